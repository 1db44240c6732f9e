#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the libFuzzer harnesses of fuzz/ in a build directory of their
# own (default _build/fuzz), configured with CC=clang --enable-fuzzing,
# apart from the normal build; see fuzz/README.
#   fuzz/build.sh [BUILDDIR]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build/fuzz}
[ -f "$top/configure" ] || (cd "$top" && autoreconf -fi)
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q CC="${CC:-clang}" --enable-fuzzing
make -j2 fuzz
