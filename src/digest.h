/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_DIGEST_H
#define CIRM_DIGEST_H

#include "calendar.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The handlers' morning digest: case officers who work from their mail
   client see no list of their cases unless they ask (#lista). Once a
   business day (Swedish holidays and weekends off), at the time the
   setting handler_digest gives, each active case officer with open
   cases gets one mail listing them: overdue first, then the rest
   assigned to them, then those no one has in their groups. */
struct store;
struct strlist;

struct digest_settings {
	int at;			/* minutes after local midnight; -1: off */
	const char *language;	/* a handler's without one of their own */
	const char *name;	/* the municipality, the mail's From */
	const char *address;	/* its address, for commands too */
	/* The label handlers know a state by (cirm-workflow(5)), or NULL
	   for its id; LABEL_CTX is its first argument. */
	const char *(*state_label)(void *label_ctx, const char *workflow,
				   int version, const char *state);
	/* A deadline as handlers are shown it (caseflow_due_shown()), or
	   NULL for DUE itself; LABEL_CTX is its first argument. */
	int64_t (*due_shown)(void *label_ctx, const char *workflow,
			     int version, int64_t due);
	void *label_ctx;
	/* Officer HANDLER_ID's own address (mailin_own_address), the
	   digest's Reply-To, where #borta is taken; NULL with *ERROR_R
	   when it cannot be read (the callback itself NULL for none). The
	   caller frees it. */
	char *(*own_address)(void *label_ctx, struct store *store,
			     int64_t handler_id, char **error_r);
};

/* Parses handler_digest: "none" (*MINUTE_R = -1) or "HH:MM" before
   24:00. 0, or -1. Inline, so that the settings check, which every
   program runs, does not link the digest and the store with it. */
static inline int
digest_parse_time(const char *text, int *minute_r)
{
	if (strcmp(text, "none") == 0) {
		*minute_r = -1;
		return 0;
	}
	return calendar_clock_parse(text, minute_r) < 0 ||
	       *minute_r >= 24 * 60 ? -1 : 0;
}

/* A case officer's open cases as the digest lists them, in English when
   EN, else in Swedish: those of HANDLER_ID past their due date, the
   rest of theirs, the unassigned ones of their groups, and those of
   their groups whose case officer is away (#borta) or disabled, each
   part under its title (and a part with none left out), added to OUT. A
   NARROW list has lines of at most 72 characters, for mail that is
   wrapped: the deadline and a raised priority go on a line of their
   own. COUNTS_R: how many in each part. 0, or -1 with *error_r. */
int digest_list(struct store *store, const struct digest_settings *set,
		int64_t handler_id, bool en, bool narrow, int64_t now,
		struct strlist *out, int counts_r[4], char **error_r);

/* The SUBJECT of a case (NUMBER) on a line of a narrow list, "  NUMBER
   STATE SUBJECT" with NUMBER padded to 15 characters and STATE, of
   STATE_WIDTH characters, to 14: cut so that the line has at most 72
   characters, "(inget ämne)" or "(no subject)" (EN) for none. Free it. */
char *digest_line_subject(const char *number, size_t state_width,
			  const char *subject, bool en);

/* When the digest of NOW's day is due and not yet sent (the day is
   remembered in the database), queues it for every active case
   officer with open cases, in one transaction, and sets *SENT_R to how
   many. 0, or -1 with *error_r (nothing queued). */
int digest_run(struct store *store, const struct digest_settings *set,
	       int64_t now, int *sent_r, char **error_r);

#endif
