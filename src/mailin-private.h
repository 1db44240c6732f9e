/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_MAILIN_PRIVATE_H
#define CIRM_MAILIN_PRIVATE_H

#include "caseflow.h"
#include "mailin.h"
#include "secret.h"
#include "template.h"

struct mailin {
	unsigned char key[SECRET_KEY_LEN];
	char *prefix, *address, *name, *template_dir, *language, *spool_dir;
	long flood_max;
	struct mime_limits limits;
	int dirty; /* spool files written since the last sync */
	struct template_cache *templates;
	char *workflow_dir, *workflow_default, *workflow_routes;
	struct caseflow *flow;	/* NULL until mailin_load_workflows */
};

/* Writes what VERDICT decided for inbox ROW: the case, message,
   attachments, events and acknowledgement. 0, or -1 with *error_r. */
int mailin_apply(struct mailin *mi, struct store *store,
		 const struct store_inbox_row *row, struct mailin_verdict *v,
		 char **error_r);

/* The workflow a new case from MSG starts: the route of the first To or
   Cc address that has one, else workflow_default. Caller frees. */
char *mailin_workflow_for(const struct mailin *mi,
			  const struct mime_message *msg);

#endif
