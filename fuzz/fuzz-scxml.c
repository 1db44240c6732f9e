/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A plain SCXML statechart (cirmctl workflow check on .scxml). */
#include "config.h"

#include "scxml.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scxml *doc = NULL;
	char *err = NULL;

	if (scxml_load("fuzz.scxml", (const char *)data, size, &doc,
		       &err) < 0) {
		free(err);
		return 0;
	}
	scxml_free(&doc);
	return 0;
}
