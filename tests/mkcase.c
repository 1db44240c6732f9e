/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Test helper: creates a case through the store API, as the engine will.
   Usage: mkcase DB STATE SUBJECT [CITIZEN EMAIL BODY]
   Prints the new case number. */
#include "config.h"

#include "store.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

static int
fail(char *err)
{
	fprintf(stderr, "mkcase: %s\n", err);
	free(err);
	return 1;
}

int
main(int argc, char **argv)
{
	struct store_settings set = { 0 };
	struct store *store;
	char number[STORE_CASE_NUMBER_MAX], *err = NULL;
	int64_t now = cirm_now(), citizen = 0, id, msg;

	if (argc != 4 && argc != 7) {
		fputs("usage: mkcase DB STATE SUBJECT [CITIZEN EMAIL BODY]\n",
		      stderr);
		return 2;
	}
	if (store_open(argv[1], &set, &store, &err) < 0 ||
	    store_begin(store, &err) < 0)
		return fail(err);
	if (argc == 7 &&
	    (store_contact_add(store, STORE_CITIZEN, argv[4], NULL, "sv",
			       &citizen, &err) < 0 ||
	     store_contact_address_add(store, citizen, "email", argv[5],
				       &err) < 0))
		return fail(err);
	struct store_case_new c = {
		.prefix = "KS", .received_at = now, .citizen_id = citizen,
		.channel = "email", .subject = argv[3], .state = argv[2],
	};
	if (store_case_create(store, &c, &id, number, &err) < 0 ||
	    store_event_add(store, id, now, "case.created", 0, NULL, argv[2],
			    NULL, &err) < 0)
		return fail(err);
	if (argc == 7) {
		struct store_message_new m = {
			.direction = "in", .channel = "email",
			.contact_id = citizen, .subject = argv[3],
			.body_full = argv[6], .body_stripped = argv[6], .at = now,
		};

		if (store_message_add(store, id, &m, &msg, &err) < 0)
			return fail(err);
	}
	if (store_commit(store, &err) < 0)
		return fail(err);
	store_free(&store);
	printf("%s\n", number);
	return 0;
}
