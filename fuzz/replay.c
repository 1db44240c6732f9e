/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A fuzz harness without libFuzzer: runs LLVMFuzzerTestOneInput once on
   each file named, as libFuzzer replays a corpus. make check builds
   every harness with it and replays the seeds (tests/fuzz-replay.sh),
   so that a harness that no longer builds, or an input that once
   crashed, is caught by the test suite, under the sanitizers too. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *data = NULL;
		size_t len = 0, n;
		uint8_t buf[65536];

		if (f == NULL) {
			perror(argv[i]);
			return 2;
		}
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
			uint8_t *more = realloc(data, len + n);

			if (more == NULL)
				abort();
			data = more;
			for (size_t k = 0; k < n; k++)
				data[len + k] = buf[k];
			len += n;
		}
		fclose(f);
		/* libFuzzer hands a buffer of its own, never NULL */
		if (data == NULL && (data = malloc(1)) == NULL)
			abort();
		LLVMFuzzerTestOneInput(data, len);
		free(data);
	}
	return 0;
}
