/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl mail inspect FILE, cirmctl quarantine list|show|release */
#include "config.h"

#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "mailin.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static char *
read_all(FILE *f, size_t max, size_t *len_r)
{
	size_t cap = 65536, len = 0, n;
	char *buf = xmalloc(cap + 1);

	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len > max)
			break;
		if (len == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	buf[len] = '\0';
	*len_r = len;
	return buf;
}

/* LABEL in its 14-column field, then VALUE on the rest of the line. */
static void
print_verdict(const struct mailin_verdict *v)
{
	ctl_print_cell(stdout, _("Kind:"), 14);
	switch (v->kind) {
	case MAILIN_NEW_CASE:
		fputs(_("new case"), stdout);
		/* a case the sender may not join, or a closed one */
		if (v->mentioned != NULL)
			printf(_(", mentioning %s"), v->mentioned);
		break;
	case MAILIN_FOLLOW_UP:
		printf(_("follow-up on %s (by %s)"), v->case_number,
		       _(v->thread_by));
		if (v->merged_from[0] != '\0')
			printf(_(", which %s was merged into"),
			       v->merged_from);
		break;
	case MAILIN_DUPLICATE:
		printf(_("duplicate of a message on %s"), v->case_number);
		break;
	case MAILIN_RESENT:
		printf(_("duplicate of a message on %s, sent again under "
			 "another Message-ID (kept there; no new case)"),
		       v->case_number);
		break;
	case MAILIN_BOUNCE:
		fputs(_("bounce"), stdout);
		if (v->case_number[0] != '\0')
			printf(_(" on %s"), v->case_number);
		if (v->outbox_id != 0)
			printf(_(" of outbox message %lld"), (long long)v->outbox_id);
		break;
	case MAILIN_AUTO_REPLY:
		printf(_("automatic reply on %s"), v->case_number);
		break;
	case MAILIN_QUARANTINE:
		/* the reason may quote a server's or a sender's text */
		fputs(_("quarantine: "), stdout);
		ctl_print_cell(stdout, v->reason, 0);
		break;
	case MAILIN_HANDLER_REPLY:
		printf(_("handler's reply on %s"), v->case_number);
		break;
	case MAILIN_HANDLER_COMMAND:
		fputs(_("handler's commands (no case)"), stdout);
		break;
	case MAILIN_OUTSIDE_REPLY:
		printf(_("answer from outside on %s, to what a case officer "
			 "forwarded"), v->case_number);
		break;
	case MAILIN_THANKS:
		printf(_("thanks on closed case %s (kept there; no new case)"),
		       v->case_number);
		break;
	case MAILIN_GROUP_ANSWER:
		if (v->answer_named)
			printf(_("answer on %s from %s, whom the workflow "
				 "notified by login (kept as a note for its "
				 "case officer)"),
			       v->case_number, v->answer_group);
		else
			printf(_("answer on %s from group %s, which the "
				 "workflow notified (kept as a note for its "
				 "case officer)"),
			       v->case_number, v->answer_group);
		if (v->merged_from[0] != '\0')
			printf(_(", which %s was merged into"),
			       v->merged_from);
		break;
	}
	fputc('\n', stdout);
	if (v->mentioned != NULL)
		ctl_field(_("Mentions:"), v->mentioned);
	/* the sender below is the citizen, not who sent it to cirm */
	if (v->forwarded_by != 0)
		ctl_field(_("Forwarded:"), _("by a case officer, to register "
					     "the citizen's mail"));
}

/* TEXT line by line, its control characters (terminal escapes a
   sender put in) as blanks. */
static void
print_text(const char *text)
{
	if (text == NULL || *text == '\0')
		fputc('\n', stdout);
	for (const char *p = text != NULL ? text : ""; *p != '\0';) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n);

		ctl_print_cell(stdout, line, 0);
		fputc('\n', stdout);
		free(line);
		p += n + (p[n] == '\n');
	}
}

static void
print_message(const struct mailin_verdict *v, int text_only)
{
	const struct mime_message *m = v->msg;
	char t[32];

	if (text_only) {
		print_text(v->stripped);
		return;
	}
	print_verdict(v);
	if (v->ar.kind != AUTOREPLY_NONE) {
		char *what = xasprintf("%s (%s)%s%s%s%s",
				       autoreply_kind_name(v->ar.kind), v->ar.reason,
				       v->ar.recipient ? ", " : "",
				       v->ar.recipient ? v->ar.recipient : "",
				       v->ar.status ? " " : "",
				       v->ar.status ? v->ar.status : "");

		ctl_field(_("Automatic:"), what);
		free(what);
	}
	ctl_print_addr(_("From:"), &m->from);
	ctl_print_addr(_("Reply-To:"), &m->reply_to);
	if (v->by_form) {
		char *who = xasprintf(_("%s (the Reply-To: From is one of "
					"mail_form_senders)"), v->sender);

		ctl_field(_("Citizen:"), who);
		free(who);
	}
	for (size_t i = 0; i < m->nto; i++)
		ctl_print_addr(_("To:"), &m->to[i]);
	for (size_t i = 0; i < m->ncc; i++)
		ctl_print_addr(_("Cc:"), &m->cc[i]);
	ctl_field(_("Subject:"), m->subject);
	ctl_field(_("Date:"), ctl_time(m->date, t));
	ctl_field("Message-ID:", m->message_id);
	ctl_field("In-Reply-To:", m->in_reply_to);
	/* "-" when there are none, as for In-Reply-To */
	if (m->nreferences == 0)
		ctl_field("References:", NULL);
	for (size_t i = 0; i < m->nreferences; i++)
		ctl_field("References:", m->references[i]);
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = &m->parts[i];
		char *what;

		if (!mime_part_is_file(p))
			continue;
		what = xasprintf("%s  %s  %zu", p->filename ? p->filename : "-",
				 p->content_type, p->len);
		ctl_field(_("Attachment:"), what);
		free(what);
	}
	printf("\n%s\n", _("New text:"));
	print_text(v->stripped);
	if (v->interleaved != NULL) {
		printf("\n%s\n", _("As handlers see it, with the questions it "
				    "answers:"));
		print_text(v->interleaved);
	}
}

int
ctl_mail(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "text", no_argument, NULL, 't' }, { NULL, 0, NULL, 0 },
	};
	struct mailin_verdict v;
	struct mailin *mi = NULL;
	struct store *store = NULL;
	struct cfg *cfg = NULL;
	int c, text_only = 0, ret = 1;
	char *raw = NULL, *err = NULL;
	size_t len;
	FILE *f;

	if (argc < 2 || strcmp(argv[1], "inspect") != 0) {
		if (argc >= 2)
			ctl_error(_("unknown mail command '%s'"), argv[1]);
		ctl_error("%s", _("usage: cirmctl mail inspect [--text] FILE"));
		return EX_USAGE;
	}
	argc--, argv++;
	while ((c = ctl_getopt(argc, argv, "t", opts)) != -1) {
		if (c != 't') {
			ctl_error("%s", _("usage: cirmctl mail inspect [--text] FILE"));
			return EX_USAGE;
		}
		text_only = 1;
	}
	if (ctl_too_many(argc, argv, optind, 1) || optind != argc - 1) {
		ctl_error("%s", _("usage: cirmctl mail inspect [--text] FILE"));
		return EX_USAGE;
	}
	if (ctl_load_config(ctl, &cfg) < 0)
		return EX_CONFIG;
	f = strcmp(argv[optind], "-") == 0 ? stdin : fopen(argv[optind], "rb");
	if (f == NULL) {
		ctl_error("%s: %s", argv[optind], strerror(errno));
		goto out;
	}
	raw = read_all(f, (size_t)cfg_int(cfg, CFG_MAIL_MAX_SIZE) + 1, &len);
	if (ferror(f)) {
		ctl_error("%s: %s", argv[optind], strerror(errno));
		if (f != stdin)
			fclose(f);
		goto out;
	}
	if (f != stdin)
		fclose(f);
	if (ctl_open_store(cfg, &store) < 0 ||
	    (mi = mailin_new(cfg, &err)) == NULL ||
	    mailin_analyse(mi, store, raw, len, cirm_now(), &v, &err) < 0) {
		if (err != NULL)
			ctl_error("%s", err);
		goto out;
	}
	if (v.msg == NULL)
		print_verdict(&v);
	else
		print_message(&v, text_only);
	mailin_verdict_clear(&v);
	ret = 0;
out:
	free(err);
	free(raw);
	mailin_free(&mi);
	store_free(&store);
	cfg_free(&cfg);
	return ret;
}
