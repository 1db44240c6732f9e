/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A workflow file as an administrator writes it by hand: loaded,
   checked (cirmctl workflow check) and drawn (cirmctl workflow dot).
   Every mistake must come back as NAME:LINE lines, never a crash. */
#include "config.h"

#include "util.h"
#include "workflow.h"
#include "workflow-dot.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct workflow *wf = NULL;
	struct strlist errors = { 0 };
	char *err = NULL;
	FILE *out;

	if (workflow_load("fuzz.xml", (const char *)data, size, &wf,
			  &err) < 0) {
		free(err);
		return 0;
	}
	(void)workflow_check(wf, NULL, &errors);
	out = fopen("/dev/null", "w");
	if (out != NULL) {
		(void)workflow_dot(wf, out);
		fclose(out);
	}
	strlist_clear(&errors);
	workflow_free(&wf);
	return 0;
}
