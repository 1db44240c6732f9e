/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A handler's reply as cirm reads its commands, before it looks at the
   case: the command lines at the top (or anywhere, without a case),
   their words and arguments, the commands below the text, and whether
   the text is only a sign-off. The file's own code is included to
   reach these without a store. */
#include "../src/mailin-handler.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
commands(struct reply *r)
{
	for (size_t i = 0; i < r->ncmds; i++) {
		struct command *c = &r->cmds[i];
		int64_t t;

		(void)word_is(c->word, workflow_note_words);
		(void)word_is(c->word, workflow_priority_words);
		(void)one_word(c->arg);
		if (valid_date(c->arg, &t, NULL))
			(void)date_past(c->arg);
		ascii_lower(c->arg);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct reply r = { 0 };

	parse(text, &r);
	commands(&r);
	(void)misplaced_commands(NULL, &r);
	(void)signoff_only(r.text);
	reply_clear(&r);
	memset(&r, 0, sizeof(r));
	parse_all(text, &r);
	commands(&r);
	reply_clear(&r);
	(void)mailin_has_caseless_command(text);
	free(text);
	return 0;
}
