/* SPDX-License-Identifier: GPL-3.0-or-later */
/* random_bytes (util.h), in a file of its own: a program that does not
   call it (cirm-mailgate, one process per mail) then does not load
   libcrypto, whose start cost it 4 ms a mail. */
#include "config.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#define RANDOM_BUFFER 512

void
random_bytes(void *out, size_t n)
{
	static __thread unsigned char buf[RANDOM_BUFFER];
	static __thread size_t left;
	static __thread pid_t owner;
	pid_t pid = current_pid();

	if (n > 64)
		abort();
	if (left < n || owner != pid) {
		if (RAND_bytes(buf, sizeof(buf)) != 1)
			abort();
		left = sizeof(buf);
		owner = pid;
	}
	memcpy(out, buf + sizeof(buf) - left, n);
	/* used bytes are not left lying about */
	memset(buf + sizeof(buf) - left, 0, n);
	left -= n;
}
