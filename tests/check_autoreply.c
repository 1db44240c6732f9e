/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "autoreply.h"
#include "mime.h"
#include "testutil.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE AUTOREPLY_NONE
#define REPLY AUTOREPLY_REPLY
#define BOUNCE AUTOREPLY_BOUNCE
#define BULK AUTOREPLY_BULK

/* ---- golden files ------------------------------------------------------

   Each file under tests/data/bounces/<dir>/ with its kind (and, for our
   own fixtures, the sign that must decide). What a bounce tells is in
   <dir>/expected.txt, reviewed line by line against the .eml. */

static const struct corpus_case {
	const char *path; /* under tests/data/bounces */
	enum autoreply_kind kind;
	const char *reason; /* NULL: any */
} corpus[] = {
	{ "sisimai/lhost-exim-01.eml", BOUNCE, NULL },
	{ "sisimai/lhost-exim-02.eml", BOUNCE, NULL },
	{ "sisimai/lhost-exim-03.eml", BOUNCE, NULL },
	{ "sisimai/lhost-exim-04.eml", BOUNCE, NULL },
	{ "sisimai/lhost-exim-05.eml", BOUNCE, NULL },
	{ "sisimai/lhost-gmail-01.eml", BOUNCE, NULL },
	{ "sisimai/lhost-gmail-03.eml", BOUNCE, NULL },
	{ "sisimai/lhost-gmail-04.eml", BOUNCE, NULL },
	{ "sisimai/lhost-gmail-05.eml", BOUNCE, NULL },
	{ "sisimai/lhost-office365-01.eml", BOUNCE, NULL },
	{ "sisimai/lhost-office365-02.eml", BOUNCE, NULL },
	{ "sisimai/lhost-office365-03.eml", BOUNCE, NULL },
	{ "sisimai/lhost-office365-04.eml", BOUNCE, NULL },
	{ "sisimai/lhost-office365-05.eml", BOUNCE, NULL },
	{ "sisimai/lhost-postfix-01.eml", BOUNCE, NULL },
	{ "sisimai/lhost-postfix-02.eml", BOUNCE, NULL },
	{ "sisimai/lhost-postfix-03.eml", BOUNCE, NULL },
	{ "sisimai/lhost-postfix-04.eml", BOUNCE, NULL },
	{ "sisimai/lhost-postfix-05.eml", BOUNCE, NULL },
	{ "sisimai/lhost-postfix-06.eml", BOUNCE, NULL },
	{ "sisimai/lhost-postfix-07.eml", BOUNCE, NULL },
	{ "sisimai/lhost-postfix-08.eml", BOUNCE, NULL },
	{ "sisimai/lhost-postfix-09.eml", BOUNCE, NULL },
	{ "sisimai/lhost-postfix-10.eml", BOUNCE, NULL },
	{ "sisimai/lhost-sendmail-01.eml", BOUNCE, NULL },
	{ "sisimai/lhost-sendmail-02.eml", BOUNCE, NULL },
	{ "sisimai/lhost-sendmail-03.eml", BOUNCE, NULL },
	{ "sisimai/lhost-sendmail-04.eml", BOUNCE, NULL },
	{ "sisimai/lhost-sendmail-05.eml", BOUNCE, NULL },
	{ "sisimai/not-is-not-bounce-01.eml", NONE, NULL },
	{ "sisimai/not-is-not-bounce-02.eml", NONE, NULL },
	/* sisimai lists this one as "not" because sisimai does not decode
	   it, but it is a postmaster's notice of a rejected mail (Return-
	   Path <>, Auto-Submitted, "Mailbox full"): never a citizen's. */
	{ "sisimai/not-rb-issue-368-bug.eml", BOUNCE, "mailer-daemon sender" },
	{ "sisimai/rfc3464-01.eml", BOUNCE, NULL },
	{ "sisimai/rfc3464-03.eml", BOUNCE, NULL },
	{ "sisimai/rfc3464-04.eml", BOUNCE, NULL },
	{ "sisimai/rfc3464-06.eml", BOUNCE, NULL },
	{ "sisimai/rfc3834-01.eml", REPLY, NULL },
	{ "sisimai/rfc3834-02.eml", REPLY, NULL },
	{ "sisimai/rfc3834-03.eml", REPLY, NULL },
	{ "own/sv-exchange-ndr.eml", BOUNCE, "multipart/report delivery-status" },
	{ "own/sv-ndr-plain.eml", BOUNCE, "subject: Olevererbart:" },
	{ "own/delayed-dsn.eml", BOUNCE, "multipart/report delivery-status" },
	{ "own/success-dsn.eml", REPLY, "delivery status: success" },
	{ "own/sv-out-of-office.eml", REPLY, "Auto-Submitted: auto-replied" },
	{ "own/citizen-kunde-inte-levereras.eml", NONE, NULL },
	{ "own/citizen-attached-ndr.eml", NONE, NULL },
	{ "own/citizen-forwarded-ndr.eml", NONE, NULL },
	{ "own/outlook-suppress.eml", NONE, NULL },
	{ "own/mailing-list.eml", BULK, "List-Id" },
	{ "own/precedence-bulk.eml", BULK, "Precedence: bulk" },
};

static const char *const corpus_dirs[] = { "sisimai", "own" };

/* Parses the mail at PATH (under tests/data/bounces) as cirm would: an
   mbox "From " line first is dropped, as cirm-mailgate does. */
static struct mime_message *
load(const char *path)
{
	char *file = xasprintf("%s/tests/data/bounces/%s", tu_srcdir(), path);
	size_t len;
	char *raw = tu_slurp(file, &len), *p = raw, *err = NULL, *nl;
	struct mime_limits lim;
	struct mime_message *m = NULL;

	if (strncmp(p, "From ", 5) == 0 && (nl = strchr(p, '\n')) != NULL) {
		len -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	mime_limits_default(&lim);
	ck_assert_msg(mime_parse(p, len, &lim, &m, &err) == 0, "%s: %s", path,
		      err);
	free(raw);
	free(file);
	return m;
}

static const char *
or_dash(const char *s)
{
	return s != NULL ? s : "-";
}

/* One line of expected.txt: file recipient status permanent id | diag */
static char *
bounce_line(const char *name, const struct autoreply *ar)
{
	return xasprintf("%s %s %s %d %s | %s", name, or_dash(ar->recipient),
			 or_dash(ar->status), ar->permanent,
			 or_dash(ar->original_message_id),
			 or_dash(ar->diagnostic));
}

/* The line of DIR/expected.txt about NAME (caller frees), or NULL. */
static char *
expected_line(const char *dir, const char *name)
{
	char *file = xasprintf("%s/tests/data/bounces/%s/expected.txt",
			       tu_srcdir(), dir);
	char *all = tu_slurp(file, NULL), *found = NULL;
	size_t n = strlen(name);

	for (char *line = strtok(all, "\n"); line != NULL && found == NULL;
	     line = strtok(NULL, "\n"))
		if (strncmp(line, name, n) == 0 && line[n] == ' ')
			found = xstrdup(line);
	free(all);
	free(file);
	return found;
}

START_TEST(test_corpus)
{
	const struct corpus_case *c = &corpus[_i];
	const char *slash = strchr(c->path, '/');
	char *dir = xstrndup(c->path, (size_t)(slash - c->path));
	struct mime_message *m = load(c->path);
	struct autoreply ar;

	autoreply_classify(m, &ar);
	ck_assert_msg(ar.kind == c->kind, "%s: %s (%s), want %s", c->path,
		      autoreply_kind_name(ar.kind), ar.reason,
		      autoreply_kind_name(c->kind));
	ck_assert_msg(c->reason == NULL || strcmp(ar.reason, c->reason) == 0,
		      "%s: reason '%s', want '%s'", c->path, ar.reason, c->reason);
	if (ar.kind == AUTOREPLY_BOUNCE) {
		char *got = bounce_line(slash + 1, &ar);
		char *want = expected_line(dir, slash + 1);

		ck_assert_msg(want != NULL, "%s: not in expected.txt; got\n%s",
			      c->path, got);
		ck_assert_msg(strcmp(got, want) == 0, "%s:\n got %s\nwant %s",
			      c->path, got, want);
		free(got);
		free(want);
	} else {
		ck_assert_ptr_null(ar.recipient);
		ck_assert_ptr_null(ar.original_message_id);
	}
	autoreply_clear(&ar);
	mime_free(&m);
	free(dir);
}
END_TEST

static int
in_corpus(const char *dir, const char *name)
{
	for (size_t i = 0; i < N_ELEMENTS(corpus); i++) {
		size_t n = strlen(dir);

		if (strncmp(corpus[i].path, dir, n) == 0 &&
		    corpus[i].path[n] == '/' &&
		    strcmp(corpus[i].path + n + 1, name) == 0)
			return corpus[i].kind == AUTOREPLY_BOUNCE ? 2 : 1;
	}
	return 0;
}

/* Every .eml is in the table, and expected.txt names only bounces of
   it, so that no file is silently skipped or stale. */
START_TEST(test_corpus_complete)
{
	const char *dir = corpus_dirs[_i];
	char *path = xasprintf("%s/tests/data/bounces/%s", tu_srcdir(), dir);
	char *exp = xasprintf("%s/expected.txt", path);
	DIR *d = opendir(path);
	struct dirent *e;
	char *all;

	ck_assert_msg(d != NULL, "no %s", path);
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if (n > 4 && strcmp(e->d_name + n - 4, ".eml") == 0)
			ck_assert_msg(in_corpus(dir, e->d_name), "%s/%s is not in "
				      "the table of check_autoreply.c", dir,
				      e->d_name);
	}
	closedir(d);
	all = tu_slurp(exp, NULL);
	for (char *line = strtok(all, "\n"); line != NULL;
	     line = strtok(NULL, "\n")) {
		char *name = xstrndup(line, strcspn(line, " "));

		ck_assert_msg(line[0] == '#' || in_corpus(dir, name) == 2,
			      "%s: '%s' is not a bounce of the table", exp, name);
		free(name);
	}
	free(all);
	free(exp);
	free(path);
}
END_TEST

/* ---- small mails ---------------------------------------------------- */

#define CITIZEN \
	"From: Anna Berg <anna.berg@example.com>\n" \
	"To: kontakt@kommun.example.se\n" \
	"Date: Mon, 1 Apr 2024 10:00:00 +0200\n" \
	"Message-ID: <m1@example.com>\n"
#define DAEMON \
	"From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\n" \
	"To: kontakt@kommun.example.se\n" \
	"Date: Mon, 1 Apr 2024 10:00:00 +0200\n" \
	"Message-ID: <d1@mx.example.com>\n"
#define PLAIN "Content-Type: text/plain; charset=utf-8\n"
#define REPORT(type) \
	"MIME-Version: 1.0\n" \
	"Content-Type: multipart/report; report-type=" type "; boundary=\"b\"\n"
#define DSN_GROUP(rcpt, action, status) \
	"Final-Recipient: rfc822; " rcpt "\n" action \
	"Status: " status "\n\n"

static const struct mail_case {
	const char *name;
	const char *mail;
	enum autoreply_kind kind;
	const char *reason; /* NULL: any */
	/* bounces only; NULL: must be absent */
	const char *recipient, *status, *id;
	int permanent;
} mails[] = {
	{ "citizen", CITIZEN "Subject: Hej\n\nEn fråga om bygglov.\n",
	  NONE, NULL, NULL, NULL, NULL, 0 },
	{ "Auto-Submitted no", CITIZEN "Auto-Submitted: no\nSubject: Hej\n\nx\n",
	  NONE, NULL, NULL, NULL, NULL, 0 },
	{ "Auto-Submitted auto-generated (comment)",
	  CITIZEN "Auto-Submitted: auto-generated (weekly)\nSubject: Rapport\n\nx\n",
	  REPLY, "Auto-Submitted: auto-generated", NULL, NULL, NULL, 0 },
	{ "Auto-Submitted auto-notified",
	  CITIZEN "Auto-Submitted: Auto-Notified\nSubject: x\n\nx\n",
	  REPLY, "Auto-Submitted: auto-notified", NULL, NULL, NULL, 0 },
	{ "Auto-Submitted other value",
	  CITIZEN "Auto-Submitted: x-vendor-robot\nSubject: x\n\nx\n",
	  REPLY, "Auto-Submitted", NULL, NULL, NULL, 0 },
	{ "X-Autoreply", CITIZEN "X-Autoreply: yes\nSubject: Tack\n\nx\n",
	  REPLY, "X-Autoreply", NULL, NULL, NULL, 0 },
	{ "X-Autorespond", CITIZEN "X-Autorespond: on\nSubject: Tack\n\nx\n",
	  REPLY, "X-Autorespond", NULL, NULL, NULL, 0 },
	{ "Precedence auto_reply",
	  CITIZEN "Precedence: auto_reply\nSubject: Tack\n\nx\n",
	  REPLY, "Precedence: auto_reply", NULL, NULL, NULL, 0 },
	{ "Precedence junk", CITIZEN "Precedence: junk\nSubject: x\n\nx\n",
	  BULK, "Precedence: junk", NULL, NULL, NULL, 0 },
	{ "Precedence list", CITIZEN "Precedence: LIST\nSubject: x\n\nx\n",
	  BULK, "Precedence: list", NULL, NULL, NULL, 0 },
	{ "Precedence first-class",
	  CITIZEN "Precedence: first-class\nSubject: x\n\nx\n",
	  NONE, NULL, NULL, NULL, NULL, 0 },
	{ "List-Unsubscribe",
	  CITIZEN "List-Unsubscribe: <mailto:u@example.com>\nSubject: x\n\nx\n",
	  BULK, "List-Unsubscribe", NULL, NULL, NULL, 0 },
	{ "X-Auto-Response-Suppress alone",
	  CITIZEN "X-Auto-Response-Suppress: All\nSubject: Fråga\n\nx\n",
	  NONE, NULL, NULL, NULL, NULL, 0 },
	{ "forwarded by an inbox rule",
	  CITIZEN "X-MS-Exchange-Inbox-Rules-Loop: anna.berg@example.com\n"
	  "Subject: Fråga\n\nx\n",
	  NONE, NULL, NULL, NULL, NULL, 0 },
	{ "Out of Office", CITIZEN "Subject: Out of Office: Ditt ärende\n\nx\n",
	  REPLY, "subject: Out of Office", NULL, NULL, NULL, 0 },
	{ "Frånvaromeddelande",
	  CITIZEN "Subject: =?utf-8?Q?Fr=C3=A5nvaromeddelande?=\n\nx\n",
	  REPLY, "subject: Frånvaromeddelande", NULL, NULL, NULL, 0 },
	{ "Autosvar", CITIZEN "Subject: Autosvar: Ditt ärende\n\nx\n",
	  REPLY, "subject: Autosvar", NULL, NULL, NULL, 0 },
	{ "Abwesenheitsnotiz", CITIZEN "Subject: Abwesenheitsnotiz: x\n\nx\n",
	  REPLY, "subject: Abwesenheitsnotiz", NULL, NULL, NULL, 0 },
	{ "Auto alone", CITIZEN "Subject: Auto: parkering vid skolan\n\nx\n",
	  NONE, NULL, NULL, NULL, NULL, 0 },
	{ "Auto answering", CITIZEN "In-Reply-To: <cirm.1@kommun.example.se>\n"
	  "Subject: Auto: Ditt ärende\n\nx\n",
	  REPLY, "subject: Auto:", NULL, NULL, NULL, 0 },
	{ "Vacation alone", CITIZEN "Subject: Vacation rental permit\n\nx\n",
	  NONE, NULL, NULL, NULL, NULL, 0 },
	{ "Vacation from Exchange",
	  CITIZEN "X-Auto-Response-Suppress: All\nSubject: Vacation\n\nx\n",
	  REPLY, "subject: Vacation", NULL, NULL, NULL, 0 },
	{ "answer to an automatic reply",
	  CITIZEN "Subject: Re: Automatic reply: Ditt ärende\n\nTack.\n",
	  NONE, NULL, NULL, NULL, NULL, 0 },
	{ "null return path", "Return-Path: <>\n" CITIZEN "Subject: x\n\nx\n",
	  REPLY, "null return path", NULL, NULL, NULL, 0 },
	{ "read receipt", CITIZEN REPORT("disposition-notification")
	  "Subject: Read: x\n\n--b\n" PLAIN "\nRead.\n--b\n"
	  "Content-Type: message/disposition-notification\n\n"
	  "Final-Recipient: rfc822; anna.berg@example.com\n"
	  "Disposition: manual-action/MDN-sent-manually; displayed\n--b--\n",
	  REPLY, "multipart/report disposition-notification",
	  NULL, NULL, NULL, 0 },
	/* Heuristic bounces need two signs, one of them not the text. */
	{ "daemon sender alone", DAEMON "Subject: Hello\n\nHello.\n",
	  NONE, NULL, NULL, NULL, NULL, 0 },
	{ "daemon sender and text", DAEMON "Subject: Notice\n\n"
	  "Your message could not be delivered to\n\n  per@example.org\n",
	  BOUNCE, "mailer-daemon sender", NULL, NULL, NULL, 1 },
	{ "citizen text only", CITIZEN "Subject: Hjälp\n\nMy mail could not be "
	  "delivered: 550 5.1.1 User unknown, permanent error.\n",
	  NONE, NULL, NULL, NULL, NULL, 0 },
	{ "subject and enclosed message",
	  "From: noreply@example.org\nTo: kontakt@kommun.example.se\n"
	  "Subject: Undeliverable: Ditt ärende\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n" PLAIN
	  "\nDelivery has failed to these recipients or groups:\n\n"
	  "per@example.org\n\n--b\nContent-Type: message/rfc822\n\n"
	  "From: kontakt@kommun.example.se\nTo: per@example.org\n"
	  "Message-ID: <cirm.7@kommun.example.se>\nSubject: x\n\nx\n--b--\n",
	  BOUNCE, "subject: Undeliverable:", "per@example.org", NULL,
	  "cirm.7@kommun.example.se", 1 },
	{ "Swedish subject and text", "Return-Path: <>\n"
	  "From: Postmaster <postmaster@example.se>\n"
	  "Subject: Det gick inte att leverera: Ditt ärende\n" PLAIN "\n"
	  "Leveransen misslyckades till följande mottagare eller grupper:\n\n"
	  "per@example.se\n\nFjärrservern returnerade '550 5.1.1 "
	  "RESOLVER.ADR.RecipNotFound; not found'\n",
	  BOUNCE, "subject: Det gick inte att leverera", "per@example.se",
	  "5.1.1", NULL, 1 },
	{ "automatic reply that mentions delivery",
	  CITIZEN "Auto-Submitted: auto-replied\nSubject: Borta\n\n"
	  "Your mail could not be delivered to me personally; I am away.\n",
	  REPLY, "Auto-Submitted: auto-replied", NULL, NULL, NULL, 0 },
	{ "Exim delay warning", DAEMON "Auto-Submitted: auto-replied\n"
	  "Subject: Warning: message 1rXyZ-000Abc-2D delayed 24 hours\n\n"
	  "A message that you sent has not yet been delivered to one or more\n"
	  "of its recipients after more than 24 hours on the queue.\n\n"
	  "The address to which the message has not yet been delivered is:\n\n"
	  "  per@example.org\n    Delay reason: SMTP error from remote mail "
	  "server after RCPT TO:<per@example.org>:\n    451 4.3.0 Try again "
	  "later\n\nNo action is required on your part. Delivery attempts "
	  "will continue for some time.\n",
	  BOUNCE, "mailer-daemon sender", "per@example.org", "4.3.0", NULL, 0 },
	{ "report forwarded as an attachment", CITIZEN "Subject: Titta\n"
	  "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"o\"\n\n"
	  "--o\n" PLAIN "\nSe bifogat.\n--o\nContent-Type: message/rfc822\n\n"
	  DAEMON REPORT("delivery-status") "Subject: x\n\n--b\n" PLAIN "\nx\n"
	  "--b\nContent-Type: message/delivery-status\n\n"
	  DSN_GROUP("gone@example.org", "Action: failed\n", "5.1.1")
	  "--b--\n\n--o--\n",
	  NONE, NULL, NULL, NULL, NULL, 0 },
	/* RFC 3464 */
	{ "report about two recipients", DAEMON REPORT("delivery-status")
	  "Subject: x\n\n--b\n" PLAIN "\nx\n--b\n"
	  "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"
	  DSN_GROUP("ok@example.org", "Action: delivered\n", "2.0.0")
	  DSN_GROUP("bad@example.org", "Action: failed\n", "5.1.1 (unknown)")
	  "--b--\n",
	  BOUNCE, "multipart/report delivery-status", "bad@example.org",
	  "5.1.1", NULL, 1 },
	{ "report without Action", DAEMON REPORT("delivery-status")
	  "Subject: x\n\n--b\n" PLAIN "\nx\n--b\n"
	  "Content-Type: message/delivery-status\n\n"
	  "X-Original-Message-ID: <cirm.9@kommun.example.se>\n\n"
	  DSN_GROUP("<slow@example.org>", "", "4.2.2")
	  "--b--\n",
	  BOUNCE, "multipart/report delivery-status", "slow@example.org",
	  "4.2.2", "cirm.9@kommun.example.se", 0 },
	{ "report part in a multipart/mixed", DAEMON "MIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=\"b\"\n"
	  "Subject: x\n\n--b\n" PLAIN "\nx\n--b\n"
	  "Content-Type: message/delivery-status\n\n"
	  DSN_GROUP("gone@example.org", "Action: failed\n", "5.1.1")
	  "--b--\n",
	  BOUNCE, "message/delivery-status part", "gone@example.org", "5.1.1",
	  NULL, 1 },
};

static void
assert_opt_str(const char *name, const char *what, const char *got,
	       const char *want)
{
	if (want == NULL)
		ck_assert_msg(got == NULL, "%s: %s '%s', want none", name, what,
			      got);
	else
		ck_assert_msg(got != NULL && strcmp(got, want) == 0,
			      "%s: %s '%s', want '%s'", name, what, or_dash(got),
			      want);
}

START_TEST(test_mail)
{
	const struct mail_case *c = &mails[_i];
	struct mime_limits lim;
	struct mime_message *m = NULL;
	struct autoreply ar;
	char *err = NULL;

	mime_limits_default(&lim);
	ck_assert_msg(mime_parse(c->mail, strlen(c->mail), &lim, &m, &err) == 0,
		      "%s: %s", c->name, err);
	autoreply_classify(m, &ar);
	ck_assert_msg(ar.kind == c->kind, "%s: %s (%s), want %s", c->name,
		      autoreply_kind_name(ar.kind), ar.reason,
		      autoreply_kind_name(c->kind));
	ck_assert_msg(c->reason == NULL || strcmp(ar.reason, c->reason) == 0,
		      "%s: reason '%s', want '%s'", c->name, ar.reason, c->reason);
	if (c->kind == AUTOREPLY_BOUNCE) {
		if (c->recipient != NULL)
			assert_opt_str(c->name, "recipient", ar.recipient,
				       c->recipient);
		if (c->status != NULL)
			assert_opt_str(c->name, "status", ar.status, c->status);
		assert_opt_str(c->name, "original id", ar.original_message_id,
			       c->id);
		ck_assert_msg(ar.permanent == c->permanent, "%s: permanent %d",
			      c->name, ar.permanent);
	}
	autoreply_clear(&ar);
	mime_free(&m);
}
END_TEST

/* ---- edges -------------------------------------------------------------- */

START_TEST(test_empty_message)
{
	struct mime_message m;
	struct mime_part part = { .role = MIME_PART_MESSAGE,
				  .content_type = NULL };
	struct autoreply ar;

	memset(&m, 0, sizeof(m));
	autoreply_classify(&m, &ar); /* even text NULL */
	ck_assert_int_eq(ar.kind, AUTOREPLY_NONE);
	ck_assert_ptr_nonnull(ar.reason);
	autoreply_clear(&ar);

	m.text = (char *)"";
	m.content_type = (char *)"multipart/report";
	m.report_type = (char *)"delivery-status";
	m.parts = &part;
	m.nparts = 1;
	autoreply_classify(&m, &ar);
	ck_assert_int_eq(ar.kind, AUTOREPLY_BOUNCE);
	ck_assert_int_eq(ar.permanent, 1);
	ck_assert_ptr_null(ar.recipient);
	ck_assert_ptr_null(ar.status);
	ck_assert_ptr_null(ar.original_message_id);
	autoreply_clear(&ar);
	autoreply_clear(&ar);
	autoreply_clear(NULL);

	autoreply_classify(NULL, &ar);
	ck_assert_int_eq(ar.kind, AUTOREPLY_NONE);
}
END_TEST

/* The diagnostic is one line of at most 200 bytes, cut between
   characters. */
START_TEST(test_long_diagnostic)
{
	char *mail, *long_text = xmalloc(1001);
	struct mime_limits lim;
	struct mime_message *m = NULL;
	struct autoreply ar;
	char *err = NULL;

	for (int i = 0; i < 500; i++)
		memcpy(long_text + 2 * i, "\xc3\xa4", 2); /* ä */
	long_text[1000] = '\0';
	mail = xasprintf(DAEMON REPORT("delivery-status") "Subject: x\n\n--b\n"
			 PLAIN "\nx\n--b\nContent-Type: message/delivery-status\n\n"
			 "Final-Recipient: rfc822; a@example.org\nAction: failed\n"
			 "Diagnostic-Code: smtp; 550 5.7.1\n  folded\t %s\n\n--b--\n",
			 long_text);
	mime_limits_default(&lim);
	ck_assert_int_eq(mime_parse(mail, strlen(mail), &lim, &m, &err), 0);
	autoreply_classify(m, &ar);
	ck_assert_int_eq(ar.kind, AUTOREPLY_BOUNCE);
	ck_assert_ptr_nonnull(ar.diagnostic);
	ck_assert_uint_le(strlen(ar.diagnostic), 200);
	/* "550 5.7.1 folded " (17 bytes), then only whole "ä" */
	ck_assert(strncmp(ar.diagnostic, "550 5.7.1 folded \xc3\xa4", 19) == 0);
	ck_assert_uint_eq((strlen(ar.diagnostic) - 17) % 2, 0);
	ck_assert_ptr_null(strchr(ar.diagnostic, '\n'));
	ck_assert_str_eq(ar.status, "5.7.1");
	autoreply_clear(&ar);
	mime_free(&m);
	free(mail);
	free(long_text);
}
END_TEST

START_TEST(test_kind_names)
{
	ck_assert_str_eq(autoreply_kind_name(AUTOREPLY_NONE), "none");
	ck_assert_str_eq(autoreply_kind_name(AUTOREPLY_REPLY), "auto-reply");
	ck_assert_str_eq(autoreply_kind_name(AUTOREPLY_BOUNCE), "bounce");
	ck_assert_str_eq(autoreply_kind_name(AUTOREPLY_BULK), "bulk");
	ck_assert_str_eq(autoreply_kind_name((enum autoreply_kind)42), "unknown");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("autoreply");
	TCase *tc;

	/* One test case per file, so that each shows by name. */
	for (size_t i = 0; i < N_ELEMENTS(corpus); i++) {
		tc = tcase_create(corpus[i].path);
		tcase_add_loop_test(tc, test_corpus, (int)i, (int)i + 1);
		suite_add_tcase(s, tc);
	}
	tc = tcase_create("corpus complete");
	tcase_add_loop_test(tc, test_corpus_complete, 0,
			    (int)N_ELEMENTS(corpus_dirs));
	suite_add_tcase(s, tc);
	for (size_t i = 0; i < N_ELEMENTS(mails); i++) {
		tc = tcase_create(mails[i].name);
		tcase_add_loop_test(tc, test_mail, (int)i, (int)i + 1);
		suite_add_tcase(s, tc);
	}
	tc = tcase_create("edges");
	tcase_add_test(tc, test_empty_message);
	tcase_add_test(tc, test_long_diagnostic);
	tcase_add_test(tc, test_kind_names);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
