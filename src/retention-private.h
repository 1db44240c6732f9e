/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_RETENTION_PRIVATE_H
#define CIRM_RETENTION_PRIVATE_H

#include "calendar.h"

#include <stddef.h>
#include <stdint.h>

/* Shared by retention.c (parsing) and retention-run.c (the work). */
struct rule {
	char *workflow;		/* "*": any other */
	char *period;		/* as written */
	struct calendar_duration d;
};

struct retention {
	struct rule *rules;
	size_t n;
};

/* The rule for WORKFLOW (NULL: a case without one), or NULL. */
const struct rule *retention_rule_for(const struct retention *r,
				      const char *workflow);
/* NOW less the period of RULE, in local calendar time (a month back
   from 31 March is the end of February); 0 before the epoch. */
int64_t retention_rule_cutoff(const struct rule *rule, int64_t now);

#endif
