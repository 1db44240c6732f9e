#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the libFuzzer harnesses of fuzz/ with clang, in their own build
# directory (default _build/fuzz), apart from the normal build. Not part
# of make or make check; see fuzz/README.
#   fuzz/build.sh [BUILDDIR]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build/fuzz}
CC=${CC:-clang}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-g -O1 -fno-omit-frame-pointer $san"

if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
    $CC -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
	echo "$0: $CC cannot build libFuzzer programs (-fsanitize=fuzzer): install clang" >&2
	exit 1
fi
[ -f "$top/configure" ] || (cd "$top" && autoreconf -fi)
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
	"$top/configure" -q CC="$CC" CFLAGS="$cflags -fsanitize=fuzzer-no-link" \
		LDFLAGS="$san" --disable-nls
fi
make -j2 libcirm.la cirm-gateway >/dev/null

libs="$(pkg-config --libs sqlite3 libxml-2.0 libcrypto libssl libetpan libesmtp-1.0 libsmpp34) -lpthread"
incs="-I$build -I$top/src -I$top/gateways $(pkg-config --cflags libxml-2.0 libetpan libsmpp34)"
gw="gateways/cirm_gateway-gateway.o gateways/cirm_gateway-sms.o gateways/cirm_gateway-outbound.o gateways/cirm_gateway-tls.o"
for f in "$top"/fuzz/fuzz-*.c; do
	n=$(basename "$f" .c)
	extra=
	case $n in fuzz-smstools|fuzz-smpp) extra=$gw ;; esac
	$CC $cflags -fsanitize=fuzzer -std=c11 -D_GNU_SOURCE $incs -o "$n" "$f" \
		$extra .libs/libcirm.a $libs
	echo "built $build/$n"
done
