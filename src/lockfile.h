/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_LOCKFILE_H
#define CIRM_LOCKFILE_H

#include <sys/types.h>

/* An exclusive lock on PATH (fcntl, released by the kernel when the
   process dies, so a stale file never blocks a restart), holding the pid
   of its owner. Returns the open descriptor (keep it open while the lock
   is needed), -2 when another process holds it (*holder_r is its pid, or
   0 when unknown), -1 with *error_r on other failures. */
int lockfile_acquire(const char *path, pid_t *holder_r, char **error_r);

/* The pid of the process holding the lock on PATH, or 0 when nobody
   does (the lock is not taken). */
pid_t lockfile_holder(const char *path);

#endif
