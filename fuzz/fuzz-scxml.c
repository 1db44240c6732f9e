/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A plain SCXML statechart (cirmctl workflow check on .scxml), loaded
   and run: started, sent a few events, its clock moved on. */
#include "config.h"

#include "scxml.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
pred(void *ctx, const char *name, const char *arg, bool *value_r,
     char **error_r)
{
	*value_r = arg != NULL && (arg[0] & 1);
}

/* Runs a session on DOC: started, a few events, the clock moved on. */
static void
run(const struct scxml *doc)
{
	static const char *const events[] = { "a", "b", "mail.citizen",
					      "timer", "done", "error" };
	struct scxml_session *s = scxml_session_new(doc);
	char *err = NULL;

	scxml_session_set_predicate(s, pred, NULL);
	if (scxml_start(s, &err) == 0) {
		for (size_t i = 0; i < sizeof(events) / sizeof(*events); i++) {
			(void)scxml_handles(s, events[i]);
			if (scxml_send(s, events[i], &err) < 0 ||
			    scxml_advance(s, 3600000, &err) < 0)
				break;
		}
	}
	free(err);
	scxml_session_free(&s);
}

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
	run(doc);
	scxml_free(&doc);
	return 0;
}
