/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inbound mail through the engine into cases: threading, duplicates,
   bounces, automatic replies, floods, loops, acknowledgements. */
#include "config.h"

#include "cfg.h"
#include "engine.h"
#include "instance.h"
#include "mailin.h"
#include "mailin-private.h"
#include "store-private.h"
#include "blob.h"
#include "testutil.h"
#include "token.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *dir;
static struct cfg *cfg;
static struct store *store;
static struct mailin *mi;
static struct engine *engine;

/* The engine's prepare sync as cirmd sets it, counting the batches
   whose attachment files the read-ahead thread wrote. */
static int syncs_with_files;

static int
counting_sync(void *ctx, char **error_r)
{
	if (((struct mailin *)ctx)->prepared_dirty)
		syncs_with_files++;
	return mailin_prepared_sync(ctx, error_r);
}

/* A new instance in DIR, with EXTRA added to its cirm.conf. */
static void
make_instance(const char *extra)
{
	struct strlist errors = { 0 };
	char *err = NULL, *conf;
	FILE *f;

	/* cirmctl init copies the shipped templates from the source tree. */
	if (getenv("CIRM_DATADIR") == NULL)
		setenv("CIRM_DATADIR", getenv("top_srcdir") ? getenv("top_srcdir") :
				       ".", 1);
	syncs_with_files = 0;
	dir = tu_tmpdir();
	tu_rmrf(dir);
	ck_assert_msg(instance_init(dir, &err) == 0, "%s", err);
	conf = xasprintf("%s/cirm.conf", dir);
	f = fopen(conf, "a");
	fputs(extra, f);
	fclose(f);
	ck_assert_msg(cfg_load(conf, &cfg, &errors) == 0, "%s",
		      errors.n ? errors.v[0] : "");
	free(conf);
}

/* The mail handling and the engine on the instance make_instance made,
   which read its workflows and templates now. */
static void
start_mailin(void)
{
	struct store_settings set = { 0 };
	struct strlist errors = { 0 };
	char *err = NULL;

	ck_assert(store_open(cfg_str(cfg, CFG_DATABASE), &set, &store, &err) == 0);
	mi = mailin_new(cfg, &err);
	ck_assert_ptr_nonnull(mi);
	ck_assert_msg(mailin_load_workflows(mi, store, NULL, &errors) == 0,
		      "%s", errors.n ? errors.v[0] : "");
	ck_assert_uint_eq(errors.n, 0);
	struct engine_settings es = { .batch = 10, .max_attempts = 2,
				      .retry_delay = 1 };
	engine = engine_new(store, &es);
	engine_set_handler(engine, "email", mailin_handle, mi);
	/* as cirmd runs it: mails read ahead in the engine's thread */
	engine_set_prepare(engine, "email", mailin_prepare,
			   mailin_prepared_free, mi);
	engine_set_prepare_sync(engine, counting_sync, mi);
	engine_set_before_commit(engine, mailin_sync, mi);
	engine_set_after_batch(engine, mailin_after_batch, mi);
}

static void
setup_with(const char *extra)
{
	make_instance(extra);
	start_mailin();
}

static void
setup(void)
{
	setup_with("");
}

static void
teardown(void)
{
	engine_free(&engine);
	mailin_free(&mi);
	store_free(&store);
	cfg_free(&cfg);
	tu_rmrf(dir);
	free(dir);
}

static void
deliver_from(const char *raw, const char *source)
{
	struct engine_stats stats = { 0 };
	char *err = NULL;

	ck_assert(store_inbox_put(store, "email", source, cirm_now(), NULL, raw,
				  strlen(raw), NULL, &err) == 1);
	ck_assert_msg(engine_drain(engine, cirm_now() + 100000, &stats, &err) == 0,
		      "%s", err);
}

static void
deliver(const char *raw)
{
	deliver_from(raw, "test");
}

static int64_t
count(const char *sql)
{
	return tu_sql_int(store->db, sql);
}

/* Attachments that went to Anna, all of them (NAME NULL) or those named
   NAME. */
static int64_t
sent_to_anna(const char *name)
{
	char *sql = xasprintf("SELECT count(*) FROM outbox o JOIN attachment a "
			      "ON a.message_id = o.message_id WHERE "
			      "o.recipient = 'anna@example.se'%s%s%s",
			      name != NULL ? " AND a.filename = '" : "",
			      name != NULL ? name : "",
			      name != NULL ? "'" : "");
	int64_t n = count(sql);

	free(sql);
	return n;
}

static char *
text(const char *sql)
{
	sqlite3_stmt *st;
	char *s;

	ck_assert_int_eq(sqlite3_prepare_v2(store->db, sql, -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	s = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s;
}

/* Checks that case ID's subject is EXPECTED. */
static void
subject_is(int id, const char *expected)
{
	char *sql = xasprintf("SELECT subject FROM cases WHERE id = %d", id);
	char *subject = text(sql);

	ck_assert_str_eq(subject, expected);
	free(subject);
	free(sql);
}

static char *
mail(const char *from, const char *to, const char *subject, const char *id,
     const char *extra, const char *body)
{
	return xasprintf("From: %s\nTo: %s\nSubject: %s\n%s%s%s%s"
			 "Date: Mon, 23 Nov 2026 10:00:00 +0100\n\n%s\n",
			 from, to, subject, id ? "Message-ID: <" : "",
			 id ? id : "", id ? ">\n" : "", extra ? extra : "", body);
}

/* Delivers the mail mail() makes of the same arguments. */
static void
deliver_mail(const char *from, const char *to, const char *subject,
	     const char *id, const char *extra, const char *body)
{
	char *m = mail(from, to, subject, id, extra, body);

	deliver(m);
	free(m);
}

START_TEST(test_new_case_and_ack)
{
	char *hdr, *rcpt;

	deliver_mail("Anna Andersson <Anna@Example.se>",
		     "arende@kommun.example", "Trasig gatlampa",
		     "a1@example.se", NULL, "Lampan lyser inte.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE direction = 'in' "
			       "AND body_stripped = 'Lampan lyser inte.'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), 1);
	hdr = text("SELECT headers FROM outbox");
	ck_assert(strstr(hdr, "Auto-Submitted: auto-replied\n") != NULL);
	ck_assert(strstr(hdr, "In-Reply-To: <a1@example.se>\n") != NULL);
	ck_assert(strstr(hdr, "Reply-To: arende+ks-") != NULL);
	rcpt = text("SELECT recipient FROM outbox");
	ck_assert_str_eq(rcpt, "anna@example.se");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE subject LIKE "
			       "'Vi har tagit emot ditt ärende [KS-%]'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM contact_address WHERE "
			       "address = 'anna@example.se'"), 1);
	free(rcpt);
	free(hdr);
}
END_TEST

/* The citizen's name, in the To line of mail to them, is one line
   whatever its encoded words decode to: no header field of its own. */
START_TEST(test_name_no_header)
{
	const char *m = "From: =?utf-8?q?Anna=0D=0AReply-To:_evil=40x.example?= "
		"<anna@example.se>\nTo: arende@kommun.example\nSubject: Hej\n"
		"Message-ID: <nh1@example.se>\n\nHej.\n";
	char *hdr;

	deliver(m);
	hdr = text("SELECT headers FROM outbox WHERE recipient = "
		   "'anna@example.se'");
	ck_assert_msg(strstr(hdr, "\nTo: Anna  Reply-To: evil@x.example "
			     "<anna@example.se>\n") != NULL &&
		      strstr(hdr, "\nReply-To: arende+") != NULL &&
		      strstr(strstr(hdr, "\nReply-To:") + 1, "\nReply-To:") ==
		      NULL, "%s", hdr);
	free(hdr);
}
END_TEST

START_TEST(test_duplicates)
{
	char *m1 = mail("a@example.se", "arende@kommun.example", "Buller",
			"dup@example.se", "Delivered-To: arende@kommun.example\n", "x");
	char *m2 = mail("a@example.se", "info@kommun.example", "Buller",
			"dup@example.se", "Delivered-To: info@kommun.example\n", "x");
	char *n1 = mail("b@example.se", "arende@kommun.example", "Utan id", NULL,
			NULL, "same text");

	deliver(m1);
	deliver(m1);
	deliver(m2); /* one mail sent to two of our addresses */
	deliver(n1);
	deliver(n1); /* no Message-ID: the digest decides */
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 0);
	free(m1);
	free(m2);
	free(n1);
}
END_TEST

/* A sender whose mail program gives every mail the same Message-ID:
   the second mail, with other words, is no copy of the first, and must
   not vanish as one; the same mail delivered again still is. */
START_TEST(test_duplicate_id_other_text)
{
	deliver_mail("anna@example.se", "arende@kommun.example", "Gatlampa",
		     "same@example.se", NULL, "Lampan lyser inte.");
	deliver_mail("anna@example.se", "arende@kommun.example", "Hundbajs",
		     "same@example.se", NULL, "Det ligger bajs i parken.");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "direction = 'in'"), 2);
	deliver_mail("anna@example.se", "arende@kommun.example", "Hundbajs",
		     "same@example.se", NULL, "Det ligger bajs i parken.");
	deliver_mail("anna@example.se", "arende@kommun.example", "Gatlampa",
		     "same@example.se", NULL, "Lampan lyser inte.");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "direction = 'in'"), 2);
}
END_TEST

/* The same in the quarantine: the sender's next mail under a
   Message-ID that waits there is not dropped as its copy. */
START_TEST(test_quarantined_id_other_text)
{
	deliver_mail("bertil@example.org",
		     "arende+h1.0123456789abcdef@kommun.example", "Fråga 1",
		     "q-same@example.org", NULL, "Text nummer ett.");
	deliver_mail("bertil@example.org",
		     "arende+h1.0123456789abcdef@kommun.example", "Fråga 2",
		     "q-same@example.org", NULL, "Text nummer två.");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 2);
	deliver_mail("bertil@example.org",
		     "arende+h1.0123456789abcdef@kommun.example", "Fråga 2",
		     "q-same@example.org", NULL, "Text nummer två.");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 2);
}
END_TEST

/* An automatic reply is kept with no contact, under the Message-ID its
   sender chose: a citizen's later mail with that ID is not its copy
   (whoever sent the automatic reply could make it vanish so). */
START_TEST(test_duplicate_of_auto_reply)
{
	char *ack, *irt;

	deliver_mail("mallory@example.org", "arende@kommun.example", "Hej",
		     "m1@example.org", NULL, "Fråga.");
	ack = text("SELECT rfc_message_id FROM outbox");
	irt = xasprintf("In-Reply-To: <%s>\nAuto-Submitted: auto-replied\n",
			ack);
	deliver_mail("mallory@example.org", "arende@kommun.example",
		     "Automatic reply: Hej", "anna-next@example.se", irt,
		     "Borta.");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "kind = 'auto-reply'"), 1);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Halt utanför skolan", "anna-next@example.se", NULL,
		     "Vägen är hal.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	/* the automatic reply delivered again is still its copy */
	deliver_mail("mallory@example.org", "arende@kommun.example",
		     "Automatic reply: Hej", "anna-next@example.se", irt,
		     "Borta.");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "kind = 'auto-reply'"), 1);
	free(irt);
	free(ack);
}
END_TEST

/* A Message-ID is the same mail only from the same sender: another's
   mail with an ID already here (guessed, or copied from a forward) is
   no duplicate, neither of a case's mail nor of one in the quarantine;
   it is handled, never dropped. */
START_TEST(test_duplicate_other_sender)
{
	char *mallory = mail("mallory@example.org", "arende@kommun.example",
			     "Först", "same@example.se", NULL, "Jag var först.");
	char *anna = mail("anna@example.se", "arende@kommun.example",
			  "Buller", "same@example.se", NULL, "Det bullrar.");
	char *qm = mail("nobody@example.org", "arende@kommun.example",
			"Out of office", "q@example.se",
			"Auto-Submitted: auto-replied\n", "Away.");
	char *qa = mail("anna@example.se", "arende@kommun.example",
			"Frånvaro", "q@example.se",
			"Auto-Submitted: auto-replied\n", "Borta.");

	deliver(mallory);
	deliver(anna);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "body_stripped = 'Det bullrar.'"), 1);
	deliver(anna);	/* hers again: a duplicate now */
	deliver(mallory);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "direction = 'in'"), 2);
	/* set aside first, then another's mail with its ID */
	deliver(qm);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 1);
	deliver(qa);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 2);
	deliver(qm);
	deliver(qa);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 0);
	free(mallory);
	free(anna);
	free(qm);
	free(qa);
}
END_TEST

START_TEST(test_threading)
{
	char *ack_id, *number, *extra, *addr;
	unsigned char key[SECRET_KEY_LEN];
	char *err = NULL;

	deliver_mail("anna@example.se", "arende@kommun.example", "Gatlampa",
		     "t1@example.se", NULL, "Första.");
	ack_id = text("SELECT rfc_message_id FROM outbox");
	number = text("SELECT number FROM cases");
	/* In-Reply-To our acknowledgement. */
	extra = xasprintf("In-Reply-To: <%s>\n", ack_id);
	deliver_mail("anna@example.se", "arende@kommun.example", "SV: Gatlampa",
		     "t2@example.se", extra, "Det är stolpe 14.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE direction = 'in'"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), 1); /* no new ack */
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = 'mail.citizen'"), 1);
	/* The signed reply address alone. */
	ck_assert_int_eq(secret_key_load(cfg_str(cfg, CFG_KEY_FILE), key, &err), 0);
	addr = token_address(key, "arende@kommun.example", number, 0);
	deliver_mail("anna@example.se", addr, "ny rad", "t3@example.se", NULL,
		     "Och stolpe 15.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE direction = 'in'"), 3);
	free(addr);
	free(extra);
	free(number);
	free(ack_id);
}
END_TEST

/* A case number whose prefix is H or H2 ("h2-2026-00001" in the tag)
   is no handler's own address (h17, h17-1): the citizen's signed
   reply address still names the case. */
START_TEST(test_threading_prefix_h)
{
	static const char *const prefixes[] = { "H", "H2" };
	unsigned char key[SECRET_KEY_LEN];
	char *err = NULL;

	for (size_t i = 0; i < N_ELEMENTS(prefixes); i++) {
		char *conf = xasprintf("case_prefix = %s\n", prefixes[i]);
		char *number, *addr;

		teardown();
		setup_with(conf);
		deliver_mail("anna@example.se", "arende@kommun.example",
			     "Gatlampa", "ph1@example.se", NULL, "Första.");
		number = text("SELECT number FROM cases");
		ck_assert_msg(strncmp(number, prefixes[i],
				      strlen(prefixes[i])) == 0, "%s", number);
		ck_assert_int_eq(secret_key_load(cfg_str(cfg, CFG_KEY_FILE),
						 key, &err), 0);
		addr = token_address(key, "arende@kommun.example", number, 0);
		deliver_mail("anna@example.se", addr, "ny rad",
			     "ph2@example.se", NULL, "Och stolpe 15.");
		ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
		ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
				       "direction = 'in'"), 2);
		free(addr);
		free(number);
		free(conf);
	}
}
END_TEST

START_TEST(test_forged_tag_opens_new_case)
{
	char *number, *to;

	deliver_mail("anna@example.se", "arende@kommun.example", "Gatlampa",
		     "f1@example.se", NULL, "Första.");
	number = text("SELECT lower(number) FROM cases");
	to = xasprintf("arende+%s.0123456789abcdef@kommun.example", number);
	deliver_mail("mallory@example.se", to, "hej", "f2@example.se", NULL,
		     "x");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	free(to);
	free(number);
}
END_TEST

static void add_handler_eva(void);
static char *newest_body(const char *recipient);

START_TEST(test_subject_reference)
{
	char *number, *subj, *body;

	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Gatlampa",
		     "s1@example.se", NULL, "Första.");
	number = text("SELECT number FROM cases");
	subj = xasprintf("SV: Vi har tagit emot ditt ärende [%s]", number);
	deliver_mail("ANNA@example.se", "arende@kommun.example", subj,
		     "s2@example.se", NULL, "Jag igen.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	/* Someone else quoting the number starts a case of their own, which
	   mentions the reference. */
	deliver_mail("bertil@example.se", "arende@kommun.example", subj,
		     "s3@example.se", NULL, "Angående grannens ärende.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'case.created' AND detail IS NOT NULL"), 1);
	/* and the case officer is told which case it names */
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "Nämner:       KS-2026-00001 i ämnet; "
			     "invånaren är inte part i det\n") != NULL &&
		      strstr(body, "Fortsätter:") == NULL, "%s", body);
	free(body);
	free(subj);
	free(number);
}
END_TEST

/* A domain in fullwidth letters is mapped by IDNA (UTS #46) to the
   ASCII one: anna@ｅｘａｍｐｌｅ.se must not be taken for anna@example.se,
   whose domain no DMARC check ever looked at for it, nor
   eva@ｋｏｍｍｕｎ.example for the case officer. */
START_TEST(test_fullwidth_domain_is_nobody)
{
	char *number, *subj;

	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Gatlampa",
		     "fw1@example.se", NULL, "Första.");
	number = text("SELECT number FROM cases");
	subj = xasprintf("SV: [%s] Gatlampa", number);
	deliver_mail("anna@\xef\xbd\x85\xef\xbd\x98\xef\xbd\x81"
		     "\xef\xbd\x8d\xef\xbd\x90\xef\xbd\x8c\xef\xbd\x85.se",
		     "arende@kommun.example", subj, "fw2@example.se", NULL,
		     "Skicka svaret till mig i stället.");
	deliver_mail("eva@\xef\xbd\x8b\xef\xbd\x8f\xef\xbd\x8d"
		     "\xef\xbd\x8d\xef\xbd\x95\xef\xbd\x8e.example",
		     "arende@kommun.example", "x", "fw3@example.se", NULL,
		     "#lista");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "direction = 'in'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 2);
	/* a domain with å in it is still its xn-- form */
	deliver_mail("fia@H\xc3\xa5" "bo.se", "arende@kommun.example", "Hej",
		     "fw4@example.se", NULL, "Hej.");
	ck_assert_int_eq(count("SELECT count(*) FROM contact_address WHERE "
			       "address = 'fia@xn--hbo-ula.se'"), 1);
	/* and in capitals too: the same citizen's */
	deliver_mail("fia@H\xc3\x85" "BO.SE", "arende@kommun.example", "Igen",
		     "fw5@example.se", NULL, "Igen.");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM contact_address WHERE "
			       "address = 'fia@xn--hbo-ula.se'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "direction = 'in'"), 3);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE '%stand for others (fullwidth%'"), 2);
	/* a domain no mail comes from is said to be one, not a look-alike:
	   a snowman, and a byte that is not UTF-8 */
	deliver_mail("bo@h\xc3\xa4ll\xe2\x98\x83.se", "arende@kommun.example",
		     "Hej", "fw6@example.se", NULL, "Hej.");
	deliver_mail("bo@exa\xff" "mple.se", "arende@kommun.example", "Hej",
		     "fw7@example.se", NULL, "Hej.");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason = "
			       "'sender address in From has a domain with "
			       "characters no domain name has'"), 2);
	free(subj);
	free(number);
}
END_TEST

/* A capital sharp s (U+1E9E) is mapped by IDNA (UTS #46) to "ss",
   where a small letter is not: anna@STRAẞE.se would be taken for the
   citizen anna@strasse.se, whose domain no one checked for it. */
START_TEST(test_capital_sharp_s_domain_is_nobody)
{
	char *number, *subj;

	deliver_mail("anna@strasse.se", "arende@kommun.example", "Gatlampa",
		     "ss1@strasse.se", NULL, "Första.");
	number = text("SELECT number FROM cases");
	subj = xasprintf("SV: [%s] Gatlampa", number);
	deliver_mail("anna@STRA\xe1\xba\x9e" "E.se", "arende@kommun.example",
		     subj, "ss2@example.org", NULL,
		     "Skicka svaret till mig i stället.");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "direction = 'in'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 1);
	/* a small sharp s is a domain of its own, no one's mapped */
	deliver_mail("bo@stra\xc3\x9f" "e.se", "arende@kommun.example", "Hej",
		     "ss3@example.org", NULL, "Hej.");
	ck_assert_int_eq(count("SELECT count(*) FROM contact_address WHERE "
			       "address = 'bo@xn--strae-oqa.se'"), 1);
	free(subj);
	free(number);
}
END_TEST

START_TEST(test_bounce_links_to_sent_message)
{
	char *ack_id, *bounce;

	deliver_mail("gone@example.se", "arende@kommun.example", "Hej",
		     "b1@example.se", NULL, "Text.");
	ack_id = text("SELECT rfc_message_id FROM outbox");
	bounce = xasprintf(
		"From: Mail Delivery System <MAILER-DAEMON@mx.example.se>\n"
		"To: arende@kommun.example\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"Message-ID: <bounce1@mx.example.se>\n"
		"Auto-Submitted: auto-replied\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n\n"
		"--R\nContent-Type: text/plain\n\nThis is the mail system at host mx.example.se.\n"
		"I'm sorry to have to inform you that your message could not be delivered.\n"
		"--R\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.example.se\n\n"
		"Final-Recipient: rfc822; gone@example.se\nAction: failed\nStatus: 5.1.1\n"
		"Diagnostic-Code: smtp; 550 5.1.1 user unknown\n"
		"--R\nContent-Type: text/rfc822-headers\n\n"
		"From: Kommunen <arende@kommun.example>\nTo: gone@example.se\n"
		"Message-ID: <%s>\nSubject: Vi har tagit emot\n--R--\n", ack_id);
	deliver(bounce);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE status = 'failed' "
			       "AND last_error = '5.1.1'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'delivery.failed'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE kind = 'bounce'"), 1);
	free(bounce);
	free(ack_id);
}
END_TEST

START_TEST(test_auto_replies)
{
	char *ack_id, *extra;

	deliver_mail("anna@example.se", "arende@kommun.example", "Hej",
		     "r1@example.se", NULL, "Text.");
	ack_id = text("SELECT rfc_message_id FROM outbox");
	extra = xasprintf("In-Reply-To: <%s>\nAuto-Submitted: auto-replied\n", ack_id);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Automatiskt svar: Vi har tagit emot", "r2@example.se",
		     extra, "Jag är på semester.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE kind = 'auto-reply'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = 'mail.citizen'"), 0);
	/* Tied to nothing: quarantined, never a case. */
	deliver_mail("nobody@example.se", "arende@kommun.example",
		     "Out of office", "r3@example.se",
		     "Auto-Submitted: auto-replied\n", "Away.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 1);
	free(extra);
	free(ack_id);
}
END_TEST

START_TEST(test_flood_and_release)
{
	int64_t qid;

	teardown();
	setup_with("flood_max_cases = 3\n");
	for (int i = 0; i < 4; i++) {
		char id[32], body[8];

		/* each other words: the same again is a copy (resent) */
		snprintf(id, sizeof(id), "fl%d@example.se", i);
		snprintf(body, sizeof(body), "x%d", i);
		deliver_mail("flood@example.se", "arende@kommun.example",
			     "Spam", id, NULL, body);
	}
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 3);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason LIKE "
			       "'%flood_max_cases%'"), 1);
	/* An administrator releases it: the flood limit no longer applies. */
	qid = count("SELECT id FROM quarantine");
	{
		char *err = NULL;
		struct engine_stats stats = { 0 };

		ck_assert_int_eq(store_begin(store, &err), 0);
		ck_assert_int_eq(store_quarantine_release(store, qid, 1, &err), 1);
		ck_assert_int_eq(store_commit(store, &err), 0);
		ck_assert_int_eq(engine_drain(engine, cirm_now() + 10, &stats, &err), 0);
	}
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 4);
}
END_TEST

/* Delivers RAW as received at AT. */
static void
deliver_at(const char *raw, int64_t at)
{
	struct engine_stats stats = { 0 };
	char *err = NULL;

	ck_assert(store_inbox_put(store, "email", "test", at, NULL, raw,
				  strlen(raw), NULL, &err) == 1);
	ck_assert_msg(engine_drain(engine, cirm_now() + 100000, &stats, &err) == 0,
		      "%s", err);
}

/* A mail with Message-ID ID, Date DATE, and one attachment of base64
   content FILE (NULL: none), from FROM. */
static char *
resend_mail(const char *from, const char *subject, const char *id,
	    const char *date, const char *body, const char *file)
{
	if (file == NULL)
		return xasprintf("From: %s\nTo: arende@kommun.example\n"
				 "Subject: %s\nMessage-ID: <%s>\nDate: %s\n\n"
				 "%s\n", from, subject, id, date, body);
	return xasprintf("From: %s\nTo: arende@kommun.example\n"
			 "Subject: %s\nMessage-ID: <%s>\nDate: %s\n"
			 "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
			 "boundary=\"%s\"\n\n--%s\nContent-Type: text/plain; "
			 "charset=utf-8\n\n%s\n--%s\nContent-Type: image/jpeg; "
			 "name=\"bild.jpg\"\nContent-Disposition: attachment; "
			 "filename=\"bild.jpg\"\nContent-Transfer-Encoding: "
			 "base64\n\n%s\n--%s--\n", from, subject, id, date, id,
			 id, body, id, file, id);
}

/* A citizen's mail program sends one mail twice (a double click): two
   Message-IDs, other Date lines, the same words and files. The second
   is kept, on the first one's case, which notes it came again; no
   second case, no second acknowledgement, no workflow event. */
START_TEST(test_resent_joins_case)
{
	char *m1 = resend_mail("Anna <anna@example.se>", "Trasig lampa",
			       "rs1@example.se", "Mon, 23 Nov 2026 10:00:00 +0100",
			       "Lampan vid skolan lyser inte.\n\n/Anna", NULL);
	/* other line breaks and blanks: the same text */
	char *m2 = resend_mail("Anna <ANNA@example.se>", "Trasig  lampa",
			       "rs2@example.se", "Mon, 23 Nov 2026 10:00:04 +0100",
			       "Lampan vid skolan lyser inte.\r\n\r\n/Anna ",
			       NULL);
	int64_t events;

	add_handler_eva();
	deliver(m1);
	events = count("SELECT count(*) FROM event");
	deliver(m2);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "direction = 'in'"), 2);
	/* kept as it came, both */
	ck_assert_int_eq(count("SELECT count(DISTINCT raw_sha256) FROM message "
			       "WHERE direction = 'in'"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event"), events + 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'mail.again' AND case_id = 1 AND actor_id = "
			       "(SELECT contact_id FROM contact_address WHERE "
			       "address = 'anna@example.se')"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 0);
	/* the second copy delivered again is a copy of it */
	deliver(m2);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "direction = 'in'"), 2);
	/* cirmctl mail inspect says so */
	{
		struct mailin_verdict v;
		char *m3 = resend_mail("anna@example.se", "Trasig lampa",
				       "rs3@example.se",
				       "Mon, 23 Nov 2026 10:00:09 +0100",
				       "Lampan vid skolan lyser inte. /Anna",
				       NULL);
		char *err = NULL;

		ck_assert_int_eq(mailin_analyse(mi, store, m3, strlen(m3),
						cirm_now(), &v, &err), 0);
		ck_assert_str_eq(mailin_kind_name(v.kind), "copy sent again");
		ck_assert_str_eq(v.case_number, "KS-2026-00001");
		mailin_verdict_clear(&v);
		free(m3);
	}
	free(m1);
	free(m2);
}
END_TEST

/* Not a double click: the same words from someone else, under another
   subject, with another file, to another case, or an hour later; nor
   with mail_resend_window = 0. */
START_TEST(test_resent_not)
{
	const char *d = "Mon, 23 Nov 2026 10:00:00 +0100";
	char *m[6], *ack, *extra, *reply;
	int64_t now = cirm_now();

	m[0] = resend_mail("anna@example.se", "Hål i vägen", "rn0@example.se",
			   d, "Se bilden.", "aGFsMQ==");
	m[1] = resend_mail("bo@example.se", "Hål i vägen", "rn1@example.se",
			   d, "Se bilden.", "aGFsMQ==");
	m[2] = resend_mail("anna@example.se", "Hål i cykelbanan",
			   "rn2@example.se", d, "Se bilden.", "aGFsMQ==");
	m[3] = resend_mail("anna@example.se", "Hål i vägen", "rn3@example.se",
			   d, "Se bilden.", "aGFsMg==");
	/* the same file again: a copy */
	m[4] = resend_mail("anna@example.se", "Hål i vägen", "rn4@example.se",
			   d, "Se bilden.", "aGFsMg==");
	deliver_at(m[0], now - 3);
	deliver_at(m[1], now - 2);
	deliver_at(m[2], now - 1);
	deliver(m[3]);
	deliver(m[4]);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 4);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'mail.again'"), 1);
	/* "Tack!" to each of two cases is two answers; to one, twice, a
	   double click */
	for (int i = 1; i <= 2; i++) {
		char *sql = xasprintf("SELECT rfc_message_id FROM outbox WHERE "
				      "case_id = %d AND recipient = "
				      "'anna@example.se'", i == 1 ? 1 : 3);
		char id[32];

		ack = text(sql);
		extra = xasprintf("In-Reply-To: <%s>\n", ack);
		snprintf(id, sizeof(id), "tack%d@example.se", i);
		deliver_mail("anna@example.se", "arende@kommun.example",
			     "Sv: Tack", id, extra, "Tack!");
		free(extra);
		free(ack);
		free(sql);
	}
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'mail.citizen'"), 2);
	ack = text("SELECT rfc_message_id FROM outbox WHERE case_id = 1 AND "
		   "recipient = 'anna@example.se'");
	extra = xasprintf("In-Reply-To: <%s>\n", ack);
	deliver_mail("anna@example.se", "arende@kommun.example", "Sv: Tack",
		     "tack3@example.se", extra, "Tack!");
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'mail.citizen'"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'mail.again' AND case_id = 1"), 1);
	/* an hour later it is another "Tack!" */
	reply = mail("anna@example.se", "arende@kommun.example", "Sv: Tack",
		     "tack4@example.se", extra, "Tack!");
	deliver_at(reply, now + 3600);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'mail.citizen'"), 3);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'mail.again'"), 2);
	free(reply);
	/* an hour later, a new mail the same as one before is a new case */
	m[5] = resend_mail("anna@example.se", "Hål i vägen", "rn5@example.se",
			   d, "Se bilden.", "aGFsMg==");
	deliver_at(m[5], now + 3600);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 5);
	/* and none at all with the window 0 */
	teardown();
	setup_with("mail_resend_window = 0\n");
	deliver(m[3]);
	deliver(m[4]);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'mail.again'"), 0);
	for (int i = 0; i < 6; i++)
		free(m[i]);
	free(extra);
	free(ack);
}
END_TEST

/* The same mail delivered again while it waits in the quarantine, or
   after an administrator discarded it, is not quarantined twice; once
   released it is handled afresh. */
START_TEST(test_quarantined_once)
{
	char *loop = mail("arende@kommun.example", "arende@kommun.example",
			  "Vi har tagit emot", "q1@kommun.example", NULL, "x");
	const char *noid = "From: arende@kommun.example\nTo: "
		"arende@kommun.example\nSubject: utan id\n\nsamma text\n";
	char *err = NULL;

	deliver(loop);
	deliver(loop);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 1);
	/* by its digest, without a Message-ID */
	deliver(noid);
	deliver(noid);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 2);
	/* the same mail to two of our addresses, in one batch */
	ck_assert(store_inbox_put(store, "email", "test", cirm_now(), NULL,
				  loop, strlen(loop), NULL, &err) == 1);
	deliver(loop);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 0);
	/* discarded: an administrator said nobody wants it */
	ck_assert(store_exec(store, "UPDATE quarantine SET discarded_at = 1, "
			     "raw = x'' WHERE id = 1", &err) == 0);
	deliver(loop);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 2);
	/* released, it went back to the inbox: a new copy is handled as
	   any mail, here quarantined again */
	ck_assert(store_exec(store, "UPDATE quarantine SET released_at = 1 "
			     "WHERE id = 2", &err) == 0);
	deliver(noid);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 3);
	free(loop);
}
END_TEST

START_TEST(test_loops_and_bad_mail)
{
	char *loop = mail("Kommunen <arende@kommun.example>", "arende@kommun.example",
			  "Vi har tagit emot", "l1@kommun.example", NULL, "x");
	char *nofrom = xstrdup("To: arende@kommun.example\nSubject: x\n\nbody\n");

	deliver(loop);
	deliver(nofrom);
	deliver("X-Cirm-Oversize: 99999999\nFrom: big@example.se\nSubject: x\n\n");
	deliver("just text, no header\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 4);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason LIKE '%loop%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason LIKE '%mail_max_size%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason LIKE 'not a mail%'"), 1);
	free(nofrom);
	free(loop);
}
END_TEST

/* Every attachment row names a file of the spool that holds its bytes. */
static void
check_spool_files(int want)
{
	sqlite3_stmt *st;
	int n = 0;

	ck_assert_int_eq(sqlite3_prepare_v2(store->db, "SELECT sha256, size "
					    "FROM attachment", -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		void *data = NULL;
		size_t len = 0;
		char *err = NULL;

		ck_assert_msg(blob_get(cfg_str(cfg, CFG_SPOOL_DIR), id, 1 << 20,
				       &data, &len, &err) == 0, "%s", err);
		ck_assert_uint_eq(len, (size_t)sqlite3_column_int64(st, 1));
		free(data);
		n++;
	}
	sqlite3_finalize(st);
	ck_assert_int_eq(n, want);
}

/* The attachments' files are written as the mail is read ahead (in the
   engine's thread), or by the handler for a mail that was not: a row
   tried before. Either way each one names its file. */
START_TEST(test_attachments_in_spool)
{
	char *path = xasprintf("%s/tests/data/mime/alternative-attachments.eml",
			       getenv("top_srcdir") ? getenv("top_srcdir") : ".");
	FILE *f = fopen(path, "rb");
	struct engine_stats stats = { 0 };
	char buf[8192], *err = NULL, *again;
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	deliver(buf);
	ck_assert_int_eq(count("SELECT count(*) FROM attachment"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM attachment WHERE "
			       "filename = 'bänk.jpg' AND size = 84"), 1);
	check_spool_files(2);
	ck_assert_int_eq(syncs_with_files, 1);	/* read ahead */
	/* The raw message is kept byte for byte, under its SHA-256. */
	ck_assert_int_eq(count("SELECT count(*) FROM message m JOIN raw_message r "
			       "ON r.sha256 = m.raw_sha256 WHERE m.direction = 'in' "
			       "AND length(r.raw) > 1000"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM raw_message WHERE "
			       "instr(CAST(raw AS TEXT), 'Content-Type: multipart/mixed; "
			       "boundary=\"OUTER\"') > 0"), 1);
	/* The spool emptied, the same mail with another id, as a row tried
	   before: the handler writes the files again. */
	tu_rmrf(cfg_str(cfg, CFG_SPOOL_DIR));
	again = xasprintf("%.*sagain.%s", (int)(strstr(buf, "<m1@") + 1 - buf),
			  buf, strstr(buf, "<m1@") + 1);
	ck_assert(store_inbox_put(store, "email", "test", cirm_now(), NULL,
				  again, strlen(again), NULL, &err) == 1);
	ck_assert_int_eq(store_exec(store, "UPDATE inbox SET attempts = 1",
				    &err), 0);
	ck_assert_msg(engine_drain(engine, cirm_now() + 100000, &stats, &err) ==
		      0, "%s", err);
	ck_assert_int_eq(stats.done, 1);
	check_spool_files(4);
	ck_assert_int_eq(syncs_with_files, 1);	/* the handler's */
	free(again);
	free(path);
}
END_TEST

/* New cases start the workflow their address routes to (else the
   default), and later mail moves them on. */
START_TEST(test_workflows)
{
	char *state;

	teardown();
	setup_with("workflow_routes = felanmalan@kommun.example=felanmalan "
		   "felanmalan@xn--hbo-ula.se=felanmalan\n");
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "w1@example.se", NULL, "Det låter på natten.");
	deliver_mail("bo@example.se", "Felanmälan <Felanmalan@kommun.example>",
		     "Lampa", "w2@example.se", NULL,
		     "Gatlampan vid skolan är trasig.");
	/* the route's domain written in UTF-8, as a mail may have it */
	deliver_mail("cia@example.se", "felanmalan@H\xc3\xa5" "bo.se",
		     "Lampa", "w3@example.se", NULL,
		     "Gatlampan vid torget är trasig.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE workflow = "
			       "'synpunkt' AND workflow_version = 1 AND state = "
			       "'registrerad'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE workflow = "
			       "'felanmalan' AND category = 'belysning'"), 2);
	/* armed by the state entered, in the database */
	ck_assert_int_ge(count("SELECT count(*) FROM timer WHERE fired_at IS "
			       "NULL"), 2);
	/* nobody in the directory yet: said on the case, not lost */
	ck_assert_int_ge(count("SELECT count(*) FROM event WHERE kind = "
			       "'action.skipped'"), 1);
	state = text("SELECT group_concat(kind, ' ') FROM event WHERE "
		     "case_id = 1 AND kind LIKE 'workflow%'");
	ck_assert_str_eq(state, "workflow.start");
	free(state);
}
END_TEST

/* A workflow that cannot be used stops the mail handling from
   starting, with its file:line. */
START_TEST(test_bad_default_workflow)
{
	struct strlist errors = { 0 };
	struct mailin *m2 = mailin_new(cfg, &(char *){ NULL });
	char *path = xasprintf("%s/synpunkt.xml", cfg_str(cfg, CFG_WORKFLOW_DIR));
	char *err = NULL;
	FILE *f = fopen(path, "w");

	fputs("<workflow xmlns=\"urn:x-cirm:workflow:1\">\n", f);
	fclose(f);
	/* at a start (a reboot after the file was broken): the newest
	   version the database has runs, and the errors say so */
	ck_assert_int_eq(mailin_load_workflows(m2, store, NULL, &errors), 0);
	ck_assert_msg(errors.n == 2 && strstr(errors.v[0], "synpunkt.xml:2: ") !=
		      NULL, "%s", errors.n ? errors.v[0] : "");
	ck_assert_msg(strstr(errors.v[1], "workflow synpunkt: version 1, the "
			     "newest the database has, starts new cases") !=
		      NULL, "%s", errors.v[1]);
	ck_assert_ptr_nonnull(caseflow_current(mailin_caseflow(m2),
					       "synpunkt"));
	strlist_clear(&errors);
	/* on reload, the running version stays */
	ck_assert_int_eq(mailin_load_workflows(m2, store, mi, &errors), 0);
	strlist_clear(&errors);
	/* none in the database (a new instance): it cannot start */
	ck_assert_msg(store_exec(store, "DELETE FROM workflow_def", &err) == 0,
		      "%s", err);
	ck_assert_int_eq(mailin_load_workflows(m2, store, NULL, &errors), -1);
	ck_assert_msg(errors.n == 2 && strstr(errors.v[0], "synpunkt.xml:2: ") !=
		      NULL, "%s", errors.n ? errors.v[0] : "");
	/* cirm.conf's problem, said as one (the setting is left at its
	   default, so there is no line) */
	ck_assert_msg(strncmp(errors.v[1], cfg_path(cfg),
			      strlen(cfg_path(cfg))) == 0 &&
		      strstr(errors.v[1], ": workflow_default: workflow "
			     "synpunkt is not usable") != NULL, "%s",
		      errors.v[1]);
	strlist_clear(&errors);
	mailin_free(&m2);
	free(path);
}
END_TEST

/* The directory: Eva handles synpunkter. */
static void
add_handler_eva(void)
{
	char *err = NULL;

	ck_assert_msg(store_exec(store,
		"INSERT INTO contact (kind, name, login, language, created_at) "
		"VALUES ('handler', 'Eva Ek', 'eva', 'sv', 0);"
		"INSERT INTO contact_address (contact_id, kind, address, "
		"created_at) SELECT id, 'email', 'eva@kommun.example', 0 FROM "
		"contact WHERE login = 'eva';"
		"INSERT INTO handler_group (name, created_at) VALUES "
		"('synpunkter', 0);"
		"INSERT INTO group_member SELECT g.id, c.id FROM handler_group g, "
		"contact c WHERE g.name = 'synpunkter' AND c.login = 'eva';",
		&err) == 0, "%s", err);
}

/* Olle Ek, a second case officer in synpunkter, reading LANG. */
static void
add_olle(const char *lang)
{
	char *sql = xasprintf(
		"INSERT INTO contact (kind, name, login, language, created_at) "
		"VALUES ('handler', 'Olle Ek', 'olle', '%s', 0);"
		"INSERT INTO contact_address (contact_id, kind, address, "
		"created_at) SELECT id, 'email', 'olle@kommun.example', 0 FROM "
		"contact WHERE login = 'olle';"
		"INSERT INTO group_member SELECT g.id, c.id FROM handler_group g, "
		"contact c WHERE g.name = 'synpunkter' AND c.login = 'olle';",
		lang);
	char *err = NULL;

	ck_assert_msg(store_exec(store, sql, &err) == 0, "%s", err);
	free(sql);
}

/* Adds handler LOGIN (LOGIN@kommun.example) in group GROUP. */
static void
add_handler_in(const char *login, const char *group)
{
	char *sql = xasprintf(
		"INSERT INTO contact (kind, name, login, language, created_at) "
		"VALUES ('handler', '%s', '%s', 'sv', 0);"
		"INSERT INTO contact_address (contact_id, kind, address, "
		"created_at) SELECT id, 'email', '%s@kommun.example', 0 FROM "
		"contact WHERE login = '%s';"
		"INSERT OR IGNORE INTO handler_group (name, created_at) VALUES "
		"('%s', 0);"
		"INSERT INTO group_member SELECT g.id, c.id FROM handler_group g, "
		"contact c WHERE g.name = '%s' AND c.login = '%s';",
		login, login, login, login, group, group, login);
	char *err = NULL;

	ck_assert_msg(store_exec(store, sql, &err) == 0, "%s", err);
	free(sql);
}

/* The body of the newest mail to RECIPIENT in the outbox (caller
   frees). */
/* Whether TEXT has NEEDLE in it as a reader sees it: runs of spaces
   and line breaks count as one space in both, so that a line wrapped
   at 72, or a command list aligned in columns, does not matter. */
static bool
has_text(const char *text, const char *needle)
{
	char *a = xstrdup(text), *b = xstrdup(needle);
	char *v[] = { a, b };
	bool found;

	for (size_t k = 0; k < 2; k++) {
		char *o = v[k];

		for (const char *i = v[k]; *i != '\0'; i++) {
			if (*i == ' ' || *i == '\n') {
				if (o == v[k] || o[-1] != ' ')
					*o++ = ' ';
			} else {
				*o++ = *i;
			}
		}
		*o = '\0';
	}
	found = strstr(a, b) != NULL;
	free(a);
	free(b);
	return found;
}

static char *
newest_body(const char *recipient)
{
	char *sql = xasprintf("SELECT body FROM outbox_mail WHERE recipient = '%s' "
			      "ORDER BY id DESC LIMIT 1", recipient);
	char *body = text(sql);

	free(sql);
	return body;
}

/* The Reply-To of the newest notification to Eva. */
static char *
eva_reply_to(void)
{
	char *h = text("SELECT headers FROM outbox WHERE recipient = "
		       "'eva@kommun.example' ORDER BY id DESC LIMIT 1");
	char *p = strstr(h, "Reply-To: "), *addr;

	ck_assert_ptr_nonnull(p);
	p += 10;
	addr = xstrndup(p, strcspn(p, "\n"));
	free(h);
	return addr;
}

/* Anna writes about noise (Message-ID MSGID, saying TEXT) and Eva, who
   handles synpunkter, is notified: the signed Reply-To of that
   notification (caller frees). */
static char *
eva_notified(const char *msgid, const char *text)
{
	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     msgid, NULL, text);
	return eva_reply_to();
}

/* A reply whose workflow actions find nobody in the directory (#eskalera
   to a manager group not set up yet, then set up without anyone in
   it) is carried out, and the handler is told who got nothing, once,
   in their language, rather than left to believe the manager knows. */
START_TEST(test_skipped_action_told)
{
	char *to, *body, *err = NULL;

	to = eva_notified("sk1@example.se", "Det luktar från dagvattnet.");
	deliver_mail("eva@kommun.example", to, "SV", "sk2@kommun.example", NULL,
		     "#eskalera\n");
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'action.skipped' AND detail LIKE "
			       "'role:chef: no handler group ledning%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE priority = "
			       "'high'"), 1);
	body = text("SELECT subject || '\n' || body FROM outbox_mail WHERE "
		    "subject LIKE 'Arbetsflödet hittade ingen [KS-2026-00001]%'");
	ck_assert_msg(has_text(body, "Ditt svar är behandlat och finns i "
			       "ärendet, men arbetsflödet hittade ingen för "
			       "det här:\n\n- meddelande "
			       "till gruppen ledning: gruppen finns inte i "
			       "cirm\n\nInget av detta har alltså skett."),
		      "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "subject LIKE 'Arbetsflödet hittade ingen%'"), 1);

	/* the group, with nobody in it yet; Eva reads English now */
	ck_assert_msg(store_exec(store, "INSERT INTO handler_group (name, "
				 "created_at) VALUES ('ledning', 0);"
				 "UPDATE contact SET language = 'en' WHERE "
				 "login = 'eva'", &err) == 0, "%s", err);
	deliver_mail("eva@kommun.example", to, "SV", "sk3@kommun.example", NULL,
		     "#escalate\n");
	body = text("SELECT body FROM outbox_mail WHERE subject LIKE "
		    "'The workflow found nobody [KS-2026-00001]%'");
	ck_assert_msg(has_text(body, "- notification to group ledning: the "
			       "group has no active case officer with a mail "
			       "address\n"), "%s", body);
	free(body);

	/* someone in it: nothing to tell */
	add_handler_in("lena", "ledning");
	deliver_mail("eva@kommun.example", to, "SV", "sk4@kommun.example", NULL,
		     "#escalate\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "recipient = 'lena@kommun.example'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "subject LIKE '%found nobody%' OR subject LIKE "
			       "'%hittade ingen%'"), 2);
	free(to);
}
END_TEST

/* The shipped synpunkt workflow with its <notify to="role:chef"
   template="handler-escalated"/> made one to TO, read again. */
static void
escalation_notifies(const char *to)
{
	char *path, *xml, *p;
	const char *old = "<notify to=\"role:chef\" "
		"template=\"handler-escalated\"/>";
	FILE *f;
	long len;

	teardown();
	make_instance("");
	path = xasprintf("%s/synpunkt.xml", cfg_str(cfg, CFG_WORKFLOW_DIR));
	f = fopen(path, "r+");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	xml = xcalloc(1, (size_t)len + 1);
	ck_assert_int_eq(fread(xml, 1, (size_t)len, f), len);
	p = strstr(xml, old);
	ck_assert_ptr_nonnull(p);
	fclose(f);
	f = fopen(path, "w");
	fprintf(f, "%.*s<notify to=\"%s\" template=\"handler-escalated\"/>%s",
		(int)(p - xml), xml, to, p + strlen(old));
	fclose(f);
	free(xml);
	free(path);
	start_mailin();
}

/* A workflow that notifies a group for its information (a remiss to
   miljö, which has no role on the case): a member's answer to that
   notification is kept on the case as a note, reaches no citizen, and
   the case's officers are told with it. With commands it is set aside,
   telling the member to answer without them. */
START_TEST(test_notified_group_answers)
{
	char *to, *body, *err = NULL;
	int64_t olle;

	escalation_notifies("group:milj\xc3\xb6");

	to = eva_notified("ng1@example.se", "Fläkten på taket brummar hela natten.");
	add_handler_in("olle", "milj\xc3\xb6");
	olle = count("SELECT id FROM contact WHERE login = 'olle'");
	deliver_mail("eva@kommun.example", to, "SV", "ng2@kommun.example", NULL,
		     "#eskalera\n");
	free(to);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'olle@kommun.example'"), 1);
	/* told what a reply does for them: none of the commands */
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "Du får det här för kännedom: "
			       "arbetsflödet aviserar din grupp om ärendet, "
			       "som någon annan handlägger.") &&
		      strstr(body, "Texten i ditt svar skickas") == NULL &&
		      strstr(body, "#kategori") == NULL &&
		      strstr(body, "#ta") == NULL, "%s", body);
	free(body);
	/* Eva's own says what it always did */
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "för kännedom") == NULL, "%s", body);
	free(body);
	to = token_address(mi->key, "arende@kommun.example", "KS-2026-00001",
			   olle);
	deliver_mail("olle@kommun.example", to, "SV: Eskalerat",
		     "ng3@kommun.example", NULL,
		     "Vi mätte i går: 48 dB vid fasaden. Det är över "
		     "riktvärdet.\n\nOlle\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "direction = 'in' AND visibility = 'internal' "
			       "AND kind = 'note' AND contact_id = (SELECT id "
			       "FROM contact WHERE login = 'olle') AND "
			       "body_stripped LIKE 'Vi mätte i går: 48 dB%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'group.answered' AND detail = 'milj\xc3\xb6'"), 1);
	/* the citizen got the acknowledgement alone */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), 1);
	body = text("SELECT subject || '\n' || body FROM outbox_mail WHERE "
		    "recipient = 'eva@kommun.example' ORDER BY id DESC LIMIT 1");
	ck_assert_msg(has_text(body, "Svar från gruppen milj\xc3\xb6 "
			       "[KS-2026-00001] Buller\n") &&
		      has_text(body, "olle, i gruppen milj\xc3\xb6 som "
			       "arbetsflödet aviserade, har svarat. Svaret "
			       "finns i ärendet som en anteckning och har "
			       "INTE gått till invånaren.") &&
		      has_text(body, "Vi mätte i går: 48 dB vid fasaden."),
		      "%s", body);
	free(body);

	/* commands: not Olle's to give on this case */
	deliver_mail("olle@kommun.example", to, "SV: Eskalerat",
		     "ng4@kommun.example", NULL, "#klar\nBullret är åtgärdat.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE closed_at IS "
			       "NOT NULL"), 0);
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "arbetsflödet aviserade din grupp om det "
			       "för kännedom") &&
		      has_text(body, "Svara på aviseringen utan kommandon"),
		      "%s", body);
	free(body);

	/* #notering above it, as for colleagues only: what the answer is
	   anyway, so a note, not set aside; another command under it is */
	deliver_mail("olle@kommun.example", to, "SV: Eskalerat",
		     "nn5@kommun.example", NULL,
		     "*#notering*\nFöreläggandet skickas i dag.\n\nOlle\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "visibility = 'internal' AND kind = 'note' AND "
			       "body_stripped LIKE 'Föreläggandet skickas i "
			       "dag.%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'group.answered'"), 2);
	body = text("SELECT body FROM outbox_mail WHERE recipient = "
		    "'eva@kommun.example' ORDER BY id DESC LIMIT 1");
	ck_assert_msg(has_text(body, "INTE gått till invånaren.\n\n"
			       "Föreläggandet skickas i dag.") &&
		      strstr(body, "#notering*") == NULL, "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), 1);
	/* ... and so when he answered between the quotes */
	deliver_mail("olle@kommun.example", to, "SV: Eskalerat",
		     "nn5b@kommun.example", NULL,
		     "#notering\n> Hur högt är bullret?\nCirka 48 dB.\n\n"
		     "> När mättes det?\nI går kväll.\n");
	body = text("SELECT body FROM outbox_mail WHERE recipient = "
		    "'eva@kommun.example' ORDER BY id DESC LIMIT 1");
	ck_assert_msg(has_text(body, "INTE gått till invånaren.\n\n"
			       "> Hur högt är bullret?\nCirka 48 dB.\n\n"
			       "> När mättes det?\nI går kväll.") &&
		      strstr(body, "\n#notering\n") == NULL, "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE kind = "
			       "'note' AND body_stripped LIKE '#notering%'"), 0);
	deliver_mail("olle@kommun.example", to, "SV: Eskalerat",
		     "nn6@kommun.example", NULL,
		     "#notering\n#klar\nBullret är åtgärdat.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 2);
	deliver_mail("olle@kommun.example", to, "SV: Eskalerat",
		     "nn7@kommun.example", NULL, "#notering\n\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 3);
	/* nothing written above the quote: told, not kept as "(no text)" */
	deliver_mail("olle@kommun.example", to, "SV: Eskalerat",
		     "nn8@kommun.example", NULL, "\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'empty answer%'"), 1);
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "Ditt svar på aviseringen var tomt"),
		      "%s", body);
	free(body);
	/* ... a command in marks of emphasis, under a greeting, too */
	deliver_mail("olle@kommun.example", to, "SV: Eskalerat",
		     "ng5@kommun.example", NULL, "Hej!\n\n*#klar*\nFixat.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 5);
	free(to);

	/* a case the workflow never told miljö of: not Olle's to write on,
	   though his group is one the workflow names */
	deliver_mail("bo@example.se", "arende@kommun.example", "Skylt",
		     "ng6@example.se", NULL, "Skylten har ramlat.");
	to = token_address(mi->key, "arende@kommun.example", "KS-2026-00002",
			   olle);
	deliver_mail("olle@kommun.example", to, "SV: Skylt",
		     "ng7@kommun.example", NULL, "Vi tittar på den.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE '%may not read%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'group.answered'"), 3);
	free(to);

	/* the case merged since: his answer to its notification joins the
	   case kept, where Eva works on, not the closed one */
	deliver_mail("anna@example.se", "arende@kommun.example", "Fläkten",
		     "ng9a@example.se", NULL, "Fläkten brummar fortfarande.");
	to = token_address(mi->key, "arende@kommun.example", "KS-2026-00001",
			   count("SELECT id FROM contact WHERE login = 'eva'"));
	deliver_mail("eva@kommun.example", to, "SV", "ng9@kommun.example", NULL,
		     "#slå-ihop KS-2026-3\n");
	free(to);
	ck_assert_int_eq(count("SELECT merged_into FROM cases WHERE id = 1"), 3);
	to = token_address(mi->key, "arende@kommun.example", "KS-2026-00001",
			   olle);
	deliver_mail("olle@kommun.example", to, "SV: Eskalerat",
		     "ng10@kommun.example", NULL, "Mätningen är klar.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE case_id = 3 "
			       "AND kind = 'note' AND body_stripped LIKE "
			       "'Mätningen är klar.%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE case_id = 3 "
			       "AND kind = 'group.answered'"), 1);
	body = text("SELECT subject || '\n' || body FROM outbox_mail WHERE "
		    "recipient = 'eva@kommun.example' ORDER BY id DESC LIMIT 1");
	ck_assert_msg(has_text(body, "Svar från gruppen milj\xc3\xb6 "
			       "[KS-2026-00003]") &&
		      has_text(body, "Aviseringen de svarade på gällde "
			       "KS-2026-00001, som har slagits ihop med det "
			       "här ärendet sedan dess.\n\nMätningen är klar."),
		      "%s", body);
	free(body);
	free(to);

	/* out of miljö since: the old notification lets him write nothing */
	ck_assert_msg(store_exec(store, "DELETE FROM group_member WHERE "
				 "contact_id = (SELECT id FROM contact WHERE "
				 "login = 'olle')", &err) == 0, "%s", err);
	to = token_address(mi->key, "arende@kommun.example", "KS-2026-00001",
			   olle);
	deliver_mail("olle@kommun.example", to, "SV: Eskalerat",
		     "ng8@kommun.example", NULL, "En sak till.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE '%may not read%'"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "body_stripped LIKE 'En sak till%'"), 0);
	free(to);
}
END_TEST

/* A handler the workflow notifies by login (<notify to="handler:olle">)
   who may not work on the case is told of it for their information, in
   words of their own: not "din grupp", which they were not notified as,
   and not that their reply goes to the citizen. Their answer is kept as
   a note for the case officer, as a notified group's is. */
START_TEST(test_notified_handler_answers)
{
	char *to, *body;
	int64_t olle;

	escalation_notifies("handler:olle");
	to = eva_notified("nh1@example.se", "Fläkten på taket brummar.");
	add_handler_in("olle", "milj\xc3\xb6");
	olle = count("SELECT id FROM contact WHERE login = 'olle'");
	deliver_mail("eva@kommun.example", to, "SV", "nh2@kommun.example",
		     NULL, "#eskalera\n");
	free(to);
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "Ärende KS-2026-00001 har eskalerats, "
			       "och du får veta det.") &&
		      has_text(body, "Du får det här för kännedom: "
			       "arbetsflödet aviserar dig om ärendet, som "
			       "någon annan handlägger.") &&
		      strstr(body, "din grupp") == NULL &&
		      strstr(body, "Texten i ditt svar skickas") == NULL &&
		      strstr(body, "#ta") == NULL, "%s", body);
	free(body);
	to = token_address(mi->key, "arende@kommun.example", "KS-2026-00001",
			   olle);
	deliver_mail("olle@kommun.example", to, "SV: Eskalerat",
		     "nh3@kommun.example", NULL,
		     "Vi mätte i går: 48 dB vid fasaden.\n\nOlle\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "visibility = 'internal' AND kind = 'note' AND "
			       "body_stripped LIKE 'Vi mätte i går%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), 1);
	body = text("SELECT subject || '\n' || body FROM outbox_mail WHERE "
		    "recipient = 'eva@kommun.example' ORDER BY id DESC LIMIT 1");
	ck_assert_msg(has_text(body, "olle, som arbetsflödet aviserade om "
			       "ärendet, har svarat. Svaret finns i ärendet "
			       "som en anteckning och har INTE gått till "
			       "invånaren.") &&
		      strstr(body, "gruppen") == NULL, "%s", body);
	free(body);
	/* commands: not his to give, and told so without "din grupp" */
	deliver_mail("olle@kommun.example", to, "SV: Eskalerat",
		     "nh4@kommun.example", NULL, "#klar\nÅtgärdat.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE '%only notifies the handler by login of%'"),
			 1);
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "Svara på aviseringen utan kommandon") &&
		      strstr(body, "din grupp") == NULL, "%s", body);
	free(body);
	free(to);
}
END_TEST

/* A case officer who reads English gets the workflow's commands in
   English, as its <translation>s have them, and cirm's own #note; the
   English word then works like the Swedish one. */
START_TEST(test_handler_commands_english)
{
	char *body, *h, *p, *to;

	add_handler_eva();
	add_olle("en");
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "en1@example.se", NULL, "Det bullrar från bygget.");
	body = text("SELECT body FROM outbox_mail WHERE recipient = "
		    "'olle@kommun.example'");
	ck_assert_msg(has_text(body, "\n #take \xe2\x80\x94 Take the case "
			       "yourself\n"), "%s", body);
	ck_assert_msg(has_text(body, "\n #assign LOGIN \xe2\x80\x94 Give the "
			       "case to a colleague\n"), "%s", body);
	/* the helps in one column */
	ck_assert_msg(strstr(body, "\n  #take             \xe2\x80\x94 Take") !=
		      NULL, "%s", body);
	ck_assert_msg(has_text(body, "\n #note \xe2\x80\x94 Internal"), "%s",
		      body);
	ck_assert_msg(strstr(body, "#ta ") == NULL &&
		      strstr(body, "#notering") == NULL, "%s", body);
	free(body);
	/* Eva's stays Swedish */
	body = text("SELECT body FROM outbox_mail WHERE recipient = "
		    "'eva@kommun.example'");
	ck_assert_msg(has_text(body, "\n #ta \xe2\x80\x94 Ta ärendet själv\n"),
		      "%s", body);
	free(body);
	h = text("SELECT headers FROM outbox_mail WHERE recipient = "
		 "'olle@kommun.example'");
	p = strstr(h, "Reply-To: ");
	ck_assert_ptr_nonnull(p);
	to = xstrndup(p + 10, strcspn(p + 10, "\n"));
	deliver_mail("Olle Ek <olle@kommun.example>", to, "Re: Buller",
		     "en2@kommun.example", NULL, "#Take\n\nHello Anna.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'tilldelad' AND assignee_id = (SELECT id FROM "
			       "contact WHERE login = 'olle')"), 1);
	free(to);
	free(h);
}
END_TEST

/* A mail that came encrypted (PGP/MIME, S/MIME enveloped-data) has no
   text cirm can read: the case is opened, the files kept, and the
   handler's notification says that it could not be read instead of
   showing an empty message. */
START_TEST(test_encrypted_mail_told)
{
	static const char *const files[] = { "pgp-encrypted", "smime-encrypted" };
	static const char *const kinds[] = { "PGP/MIME", "S/MIME" };

	add_handler_eva();
	for (size_t i = 0; i < N_ELEMENTS(files); i++) {
		char *path = xasprintf("%s/tests/data/mime/%s.eml",
				       tu_srcdir(), files[i]);
		char *raw = tu_slurp(path, NULL), *body, *sql, *want;

		deliver(raw);
		ck_assert_int_eq(count("SELECT count(*) FROM cases"),
				 (int64_t)i + 1);
		want = xasprintf("[Meddelandet kom krypterat (%s) och cirm "
				 "kan inte läsa det.", kinds[i]);
		sql = xasprintf("SELECT body FROM outbox_mail WHERE recipient = "
				"'eva@kommun.example' AND subject LIKE "
				"'%%KS-2026-0000%zu]%%'", i + 1);
		body = text(sql);
		ck_assert_msg(strstr(body, want) != NULL, "%s", body);
		free(body);
		free(sql);
		sql = xasprintf("SELECT body_stripped FROM message WHERE "
				"direction = 'in' AND case_id = (SELECT id FROM "
				"cases WHERE number = 'KS-2026-0000%zu')", i + 1);
		body = text(sql);
		ck_assert_msg(strstr(body, want) == body, "%s", body);
		free(body);
		free(sql);
		free(want);
		free(raw);
		free(path);
	}
	ck_assert_int_eq(count("SELECT count(*) FROM attachment a JOIN message "
			       "m ON m.id = a.message_id WHERE m.direction = "
			       "'in'"), 3);
}
END_TEST

/* A citizen forwards a neighbour's mail from Outlook, writing nothing
   above it: what was forwarded is the case's text, not nothing. */
START_TEST(test_forward_without_text)
{
	char *body;

	add_handler_eva();
	deliver_mail("Anna Andersson <anna@example.se>",
		     "arende@kommun.example", "VB: Lampa",
		     "f1@example.se", NULL,
		     "________________________________\n"
		     "Från: Per Persson <per@example.se>\n"
		     "Skickat: den 1 december 2026 09:12\n"
		     "Till: Anna Andersson\nÄmne: Lampa\n\n"
		     "Lampan vid Storgatan 5 är trasig sedan i måndags.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE direction = "
			       "'in' AND body_stripped LIKE '%Lampan vid "
			       "Storgatan 5 är trasig%'"), 1);
	body = text("SELECT body FROM outbox_mail WHERE recipient = "
		    "'eva@kommun.example'");
	ck_assert_msg(strstr(body, "Lampan vid Storgatan 5") != NULL, "%s",
		      body);
	free(body);
}
END_TEST

/* A mail that is only a photo: the handler's notification carries the
   citizen's files (else it shows an empty message and nothing else);
   the acknowledgement to the citizen does not send them back. */
START_TEST(test_notification_carries_files)
{
	static const char photo[] =
		"From: Bo <bo@example.se>\nTo: arende@kommun.example\n"
		"Message-ID: <photo@example.se>\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"A\"\n\n"
		"--A\nContent-Type: image/heic; name=\"IMG_0001.HEIC\"\n"
		"Content-Disposition: inline; filename=\"IMG_0001.HEIC\"\n"
		"Content-Transfer-Encoding: base64\n\n"
		"AAAAGGZ0eXBoZWljAAAAAG1pZjFoZWlj\n--A--\n";

	add_handler_eva();
	deliver(photo);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM attachment a JOIN outbox o "
			       "ON o.message_id = a.message_id WHERE "
			       "o.recipient = 'eva@kommun.example' AND "
			       "a.filename = 'IMG_0001.HEIC' AND "
			       "a.content_type = 'image/heic'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM attachment a JOIN outbox o "
			       "ON o.message_id = a.message_id WHERE "
			       "o.recipient = 'bo@example.se'"), 0);
}
END_TEST

/* A citizen's Latin-1 text file keeps its charset on the way to the
   handler's notification; only a text file's charset is kept. */
START_TEST(test_text_file_charset_kept)
{
	static const char mail_text[] =
		"From: Bo <bo@example.se>\nTo: arende@kommun.example\n"
		"Subject: Protokoll\nMessage-ID: <protokoll@example.se>\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"A\"\n\n"
		"--A\nContent-Type: text/plain; charset=utf-8\n\n"
		"Här är protokollet från mötet.\n"
		"--A\nContent-Type: text/plain; charset=\"ISO-8859-1\"; "
		"name=\"protokoll.txt\"\n"
		"Content-Disposition: attachment; filename=\"protokoll.txt\"\n"
		"Content-Transfer-Encoding: quoted-printable\n\n"
		"M=F6te om v=E4gen\n"
		"--A\nContent-Type: image/png; charset=iso-8859-1; "
		"name=\"karta.png\"\n"
		"Content-Disposition: attachment; filename=\"karta.png\"\n"
		"Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--A--\n";

	add_handler_eva();
	deliver(mail_text);
	ck_assert_int_eq(count("SELECT count(*) FROM attachment a JOIN outbox o "
			       "ON o.message_id = a.message_id WHERE "
			       "o.recipient = 'eva@kommun.example' AND "
			       "a.filename = 'protokoll.txt' AND "
			       "a.charset = 'iso-8859-1'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM attachment WHERE "
			       "filename = 'protokoll.txt' AND "
			       "charset = 'iso-8859-1'"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM attachment WHERE "
			       "filename = 'karta.png' AND charset IS NULL"), 2);
}
END_TEST

/* Citizen mail -> case -> Eva notified with the commands she may use ->
   Eva replies with a command and a text -> the citizen gets the text,
   threaded; #notering stays internal. */
START_TEST(test_handler_round_trip)
{
	char *to, *body, *hdr;

	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "h1@example.se", NULL, "Det bullrar från bygget.");
	body = text("SELECT body FROM outbox_mail WHERE recipient = "
		    "'eva@kommun.example'");
	ck_assert_msg(has_text(body, "#ta \xe2\x80\x94 Ta ärendet själv"),
		      "%s", body);
	ck_assert_msg(strstr(body, "Det bullrar från bygget.") != NULL, "%s",
		      body);
	ck_assert_msg(strstr(body, "Senaste meddelanden i ärendet:\n  ") !=
		      NULL, "%s", body);
	/* who wrote, by mail: no SMS advice */
	ck_assert_msg(has_text(body, "\nInvånare: anna@example.se\n") &&
		      strstr(body, "Kanal:") == NULL, "%s", body);
	free(body);
	to = eva_reply_to();
	ck_assert_msg(strstr(to, "arende+ks-2026-00001.h") == to, "%s", to);
	deliver_mail("Eva Ek <eva@kommun.example>", to, "SV: Buller",
		     "h2@kommun.example", "In-Reply-To: <x@kommun.example>\n",
		     "#ta\n\nHej Anna! Vi tittar på det i veckan.\n\n"
		     "> quoted notification\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'tilldelad' AND assignee_id = (SELECT id FROM "
			       "contact WHERE login = 'eva')"), 1);
	body = newest_body("anna@example.se");
	ck_assert_msg(strstr(body, "Hej Anna! Vi tittar på det i veckan.") !=
		      NULL, "%s", body);
	ck_assert_msg(strstr(body, "quoted") == NULL, "%s", body);
	hdr = text("SELECT headers FROM outbox_mail WHERE recipient = "
		   "'anna@example.se' ORDER BY id DESC LIMIT 1");
	ck_assert_msg(strstr(hdr, "In-Reply-To: <h1@example.se>") != NULL,
		      "%s", hdr);
	ck_assert_msg(strstr(hdr, "eva") == NULL, "handler privacy: %s", hdr);
	/* Eva wrote it: not marked automatic, which help desks set aside */
	ck_assert_msg(strstr(hdr, "Auto-Submitted") == NULL, "%s", hdr);
	free(hdr);
	/* someone else writes on the case (answering the acknowledgement
	   Anna forwarded them): Anna's answers still go on her own thread,
	   not naming a mail she never had */
	free(body);
	body = text("SELECT rfc_message_id FROM outbox WHERE recipient = "
		    "'anna@example.se' ORDER BY id LIMIT 1");
	hdr = xasprintf("In-Reply-To: <%s>\n", body);
	deliver_mail("bob@example.se", "arende@kommun.example", "SV: Buller",
		     "bob1@example.org", hdr, "Jag hör det också.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "rfc_message_id = 'bob1@example.org'"), 1);
	free(hdr);
	deliver_mail("Eva Ek <eva@kommun.example>", to, "SV: Buller",
		     "h2b@kommun.example", NULL, "Vi mäter bullret.\n");
	hdr = text("SELECT headers FROM outbox_mail WHERE recipient = "
		   "'anna@example.se' ORDER BY id DESC LIMIT 1");
	ck_assert_msg(strstr(hdr, "In-Reply-To: <h1@example.se>") != NULL &&
		      strstr(hdr, "bob1") == NULL, "%s", hdr);
	/* an internal note goes nowhere */
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "h3@kommun.example", NULL,
		     "#notering\nRing byggfirman.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE body LIKE "
			       "'%Ring byggfirman%'"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE visibility = "
			       "'internal' AND body_stripped = "
			       "'Ring byggfirman.'"), 1);
	/* nor when a mail client quotes the notification, with its
	   history, in a way the reply stripping does not know (here with
	   no attribution above it): the answer is not sent, and Eva is
	   told why */
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "h4@kommun.example", NULL,
		     "Vi återkommer.\n\n"
		     "| Senaste meddelanden i ärendet:\n"
		     "|   2026-12-06 07:50 Eva Ek (intern): Ring byggfirman.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE body LIKE "
			       "'%Ring byggfirman%' OR body LIKE "
			       "'%Vi återkommer%'"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.refused' AND detail = "
			       "'internal quoted'"), 1);
	free(body);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Ditt svar skickades inte till "
			       "invånaren"), "%s", body);
	free(hdr);
	free(body);
	free(to);
}
END_TEST

/* mail_auth_server: only the receiving server's own header counts
   (the topmost with its authserv-id); without one a mail fails. */
START_TEST(test_auth_server)
{
	char *body;
	static const struct {
		const char *headers;
		int ok;
	} cases[] = {
		{ "", 0 },
		/* the sender's own, in another server's name */
		{ "Authentication-Results: mx.evil.example; dmarc=pass "
		  "header.from=kommun.example\n", 0 },
		{ "Authentication-Results: mx.kommun.example; dmarc=pass "
		  "header.from=kommun.example\n", 1 },
		/* its name in capitals, with a version */
		{ "Authentication-Results: MX.Kommun.Example 1; dkim=pass "
		  "header.d=kommun.example\n", 1 },
		/* a longer name is another server's */
		{ "Authentication-Results: mx.kommun.example.evil.example; "
		  "dmarc=pass header.from=kommun.example\n", 0 },
		/* the server's own on top fails; one below in its name,
		   the sender's, is not believed */
		{ "Authentication-Results: mx.kommun.example; dmarc=fail "
		  "header.from=kommun.example\n"
		  "Authentication-Results: mx.kommun.example; dmarc=pass "
		  "header.from=kommun.example\n", 0 },
		/* another's on top passes, the server's below fails */
		{ "Authentication-Results: mx.evil.example; dmarc=pass "
		  "header.from=kommun.example\n"
		  "Authentication-Results: mx.kommun.example; spf=fail "
		  "smtp.mailfrom=kommun.example\n", 0 },
		{ "Authentication-Results: mx.evil.example; dmarc=fail "
		  "header.from=kommun.example\n"
		  "Authentication-Results: mx.kommun.example; spf=pass "
		  "smtp.mailfrom=kommun.example\n", 1 },
	};
	struct mime_limits lim;

	mime_limits_default(&lim);
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		char *raw = xasprintf("%sFrom: eva@kommun.example\nTo: "
				      "arende@kommun.example\nSubject: x\n\n"
				      "#lista\n", cases[i].headers);
		struct mime_message *m = NULL;
		char *err = NULL;

		ck_assert_int_eq(mime_parse(raw, strlen(raw), &lim, &m, &err), 0);
		ck_assert_msg(mailin_auth_ok(m, "eva@kommun.example",
					     "mx.kommun.example") ==
			      cases[i].ok, "%zu: %s", i, cases[i].headers);
		/* without the setting, the topmost counts, and none is
		   no check */
		if (i == 0)
			ck_assert_int_eq(mailin_auth_ok(m, "eva@kommun.example",
							NULL), 1);
		mime_free(&m);
		free(raw);
	}

	/* through the engine: Eva's commands without the server's header
	   go to the quarantine as a forgery; with it they run */
	teardown();
	setup_with("mail_auth_server = mx.kommun.example\n");
	add_handler_eva();
	deliver_mail("eva@kommun.example", "arende@kommun.example", "Lista",
		     "as1@kommun.example", NULL, "#lista\n");
	/* the reason says what was missing: a name mistyped in the
	   setting would set every officer's mail aside */
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE '%did not pass authentication (no "
			       "Authentication-Results of mx.kommun.example, "
			       "mail_auth_server)%'"), 1);
	/* Eva is told; #lista not run */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example'"), 1);
	/* that the server gave no verdict, not that the checks failed:
	   the administrator is to look at mail_auth_server */
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "gick inte i god för") &&
		      has_text(body, "mail_auth_server ses över") &&
		      strstr(body, "DMARC") == NULL, "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "Lista",
		     "as2@kommun.example",
		     "Authentication-Results: mx.kommun.example; dmarc=pass "
		     "header.from=kommun.example\n", "#lista\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example'"), 2);
	/* the server's verdict a failure: the checks failed */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "Lista",
		     "as2b@kommun.example",
		     "Authentication-Results: mx.kommun.example; dmarc=fail "
		     "header.from=kommun.example\n", "#lista\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 2);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "SPF, DKIM och DMARC gav inte godkänt") &&
		      strstr(body, "mail_auth_server") == NULL, "%s", body);
	free(body);
	/* a citizen's mail is not checked: a new case as ever */
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "as3@example.se", NULL, "Det bullrar.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
}
END_TEST

/* mail_auth_server: CFWS may come before the authserv-id, and it may
   be a quoted string (RFC 8601 2.2): still the server's header. */
START_TEST(test_auth_server_cfws)
{
	static const struct {
		const char *headers;
		int ok;
	} cases[] = {
		{ "Authentication-Results: (by cirm-test) mx.kommun.example; "
		  "dmarc=pass header.from=kommun.example\n", 1 },
		{ "Authentication-Results: \"mx.kommun.example\"; "
		  "dmarc=pass header.from=kommun.example\n", 1 },
		/* a comment naming the server is not its name */
		{ "Authentication-Results: (mx.kommun.example) mx.evil.example; "
		  "dmarc=pass header.from=kommun.example\n", 0 },
		{ "Authentication-Results: (a (nested \\) one) two) "
		  "mx.kommun.example; dmarc=fail header.from=kommun.example\n"
		  "Authentication-Results: mx.kommun.example; dmarc=pass "
		  "header.from=kommun.example\n", 0 },
	};
	struct mime_limits lim;

	mime_limits_default(&lim);
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		char *raw = xasprintf("%sFrom: eva@kommun.example\nTo: "
				      "arende@kommun.example\nSubject: x\n\n"
				      "#lista\n", cases[i].headers);
		struct mime_message *m = NULL;
		char *err = NULL;

		ck_assert_int_eq(mime_parse(raw, strlen(raw), &lim, &m, &err), 0);
		ck_assert_msg(mailin_auth_ok(m, "eva@kommun.example",
					     "mx.kommun.example") ==
			      cases[i].ok, "%zu: %s", i, cases[i].headers);
		mime_free(&m);
		free(raw);
	}
}
END_TEST

/* Mail from a web form (mail_form_senders) is the citizen's in its
   Reply-To: they get the acknowledgement, each their own contact; a
   form's Reply-To naming a handler is set aside; other senders' Reply-To
   changes nothing. */
START_TEST(test_form_senders)
{
	char *name;

	teardown();
	setup_with("mail_form_senders = noreply@form.example, @Blankett.example\n");
	add_handler_eva();
	deliver_mail("Kontaktformulär <noreply@form.example>",
		     "arende@kommun.example", "Synpunkt från webben",
		     "f1@form.example",
		     "Reply-To: Anna Berg <Anna@Example.org>\n",
		     "Gungan i parken är trasig.");
	deliver_mail("e-tjanst@blankett.example", "arende@kommun.example",
		     "Felanmälan", "f2@blankett.example",
		     "Reply-To: olle@example.org\n", "Hål i vägen.");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.org' AND subject LIKE "
			       "'Vi har tagit emot%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'olle@example.org' AND subject LIKE "
			       "'Vi har tagit emot%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient "
			       "LIKE '%form.example' OR recipient LIKE "
			       "'%blankett.example'"), 0);
	name = text("SELECT c.name FROM contact c JOIN contact_address a ON "
		    "a.contact_id = c.id WHERE a.address = 'anna@example.org'");
	ck_assert_str_eq(name, "Anna Berg");
	free(name);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	deliver_mail("noreply@form.example", "arende@kommun.example",
		     "Test", "f3@form.example",
		     "Reply-To: eva@kommun.example\n", "Prov.");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'form mail%handler%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	deliver_mail("lisa@example.se", "arende@kommun.example", "Fråga",
		     "f4@example.se", "Reply-To: kontor@example.se\n",
		     "Hej.");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'lisa@example.se'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'kontor@example.se'"), 0);
	/* "from the form" that its receiving server found forged: not
	   the Reply-To's mail, set aside */
	deliver_mail("noreply@form.example", "arende@kommun.example",
		     "Synpunkt", "f5@form.example",
		     "Authentication-Results: mx.kommun.example; spf=fail "
		     "smtp.mailfrom=form.example; dmarc=fail (p=none) "
		     "header.from=form.example\nReply-To: anna@example.org\n",
		     "Jag tar tillbaka allt.");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'form mail%failed authentication%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 3);
	/* and one it found genuine is the form's as before */
	deliver_mail("noreply@form.example", "arende@kommun.example",
		     "Synpunkt", "f6@form.example",
		     "Authentication-Results: mx.kommun.example; dkim=pass "
		     "header.d=form.example; dmarc=pass "
		     "header.from=form.example\n"
		     "Reply-To: per@example.org\n", "Bra park.");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'per@example.org'"), 1);
}
END_TEST

/* Anyone can write from any address: a subject of kilobytes (links
   and all) is not repeated whole to that address in the municipality's
   name, nor in the notification; the case keeps it whole. */
START_TEST(test_long_subject_shown_short)
{
	char subject[2000] = "Gatlampa";
	char *body, *s;

	for (size_t n = strlen(subject); n + 30 < sizeof(subject);
	     n = strlen(subject))
		strcat(subject, " https://reklam.example/erbjudande");
	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", subject,
		     "long.1@example.se", NULL, "Lampan är trasig.");
	s = text("SELECT subject FROM cases");
	ck_assert_str_eq(s, subject);
	free(s);
	body = text("SELECT body FROM outbox_mail WHERE recipient = "
		    "'anna@example.se'");
	s = strstr(body, "Ämne: ");
	ck_assert_msg(s != NULL, "%s", body);
	/* at most 150 bytes of it, at a word's end, and "…" */
	ck_assert_msg(strchr(s, '\n') - s <=
		      (ptrdiff_t)strlen("Ämne: ") + 150 + 3, "%s", body);
	ck_assert_msg(strncmp(strchr(s, '\n') - 3 - strlen("/erbjudande"),
			      "/erbjudande\xe2\x80\xa6", 14) == 0, "%s", body);
	free(body);
	body = text("SELECT subject FROM outbox_mail WHERE recipient = "
		    "'eva@kommun.example'");
	ck_assert_msg(strlen(body) < 220, "%s", body);
	ck_assert_msg(strstr(body, "/erbjudande\xe2\x80\xa6") != NULL, "%s",
		      body);
	free(body);
}
END_TEST

/* A citizen who writes in English gets the acknowledgement and the
   frame around Eva's answer in English; Eva's notification stays in
   her language; a Swedish citizen's stays Swedish. */
START_TEST(test_citizen_language)
{
	char *to, *body, *subject;

	add_handler_eva();
	deliver_mail("John Smith <john@example.com>", "arende@kommun.example",
		     "Broken street light", "l1@example.com", NULL,
		     "Hello, the street light outside Björkvägen 12 has "
		     "been broken for a week.");
	ck_assert_int_eq(count("SELECT count(*) FROM contact c JOIN "
			       "contact_address a ON a.contact_id = c.id "
			       "WHERE a.address = 'john@example.com' AND "
			       "c.language = 'en'"), 1);
	subject = text("SELECT subject FROM outbox WHERE recipient = "
		       "'john@example.com'");
	ck_assert_str_eq(subject, "We have received your message "
				  "[KS-2026-00001]");
	free(subject);
	body = text("SELECT body FROM outbox_mail WHERE recipient = "
		    "'eva@kommun.example'");
	ck_assert_msg(strstr(body, "Ta ärendet själv") != NULL, "%s", body);
	ck_assert_msg(strstr(body, "\nSpråk:        invånaren läser engelska: "
				   "svara på engelska\n") != NULL, "%s", body);
	free(body);
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV: Broken street light",
		     "l3@kommun.example", NULL,
		     "#ta\n\nHello John, we will fix it this week.\n");
	body = newest_body("john@example.com");
	ck_assert_msg(strstr(body, "Hello John, we will fix it this week.\n"
				   "\nKind regards,") != NULL, "%s", body);
	free(body);
	subject = text("SELECT subject FROM outbox_mail WHERE recipient = "
		       "'john@example.com' ORDER BY id DESC LIMIT 1");
	ck_assert_str_eq(subject, "Re: Broken street light [KS-2026-00001]");
	free(subject);
	/* Eva corrects the guess; a language cirm does not write in is
	   refused, and nothing changes */
	deliver_mail("eva@kommun.example", to, "SV: Broken street light",
		     "l4@kommun.example", NULL, "#språk tyska\n\nHallo John.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'eva@kommun.example' AND body LIKE "
			       "'%ange sv (svenska) eller en (engelska)%'"), 1);
	/* to nobody but the officer, in the transcript */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE body LIKE "
			       "'%Hallo John%' AND recipient <> "
			       "'eva@kommun.example'"), 0);
	deliver_mail("eva@kommun.example", to, "SV: Broken street light",
		     "l5@kommun.example", NULL,
		     "#Sprak svenska\n\nHej John, lampan är lagad.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE language = "
			       "'sv' AND name = 'John Smith'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.set' AND detail = 'language'"), 1);
	body = newest_body("john@example.com");
	ck_assert_msg(strstr(body, "Hej John, lampan är lagad.\n\nMed vänlig "
				   "hälsning") != NULL, "%s", body);
	free(body);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Gatlampa", "l2@example.se", NULL,
		     "Hej, lampan på Björkvägen är trasig igen.");
	subject = text("SELECT subject FROM outbox_mail WHERE recipient = "
		       "'anna@example.se'");
	ck_assert_str_eq(subject, "Vi har tagit emot ditt ärende "
				  "[KS-2026-00002]");
	free(subject);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'eva@kommun.example' AND subject LIKE "
			       "'%[KS-2026-00002]%' AND body NOT LIKE "
			       "'%Språk:%'"), 1);
	free(to);
}
END_TEST

/* A photo sent with no text: the notification's history says so,
   rather than a line that ends in "<-". */
START_TEST(test_history_files_no_text)
{
	char *body;

	add_handler_eva();
	deliver_mail("per@example.se", "arende@kommun.example", "",
		     "hf1@example.se", "MIME-Version: 1.0\nContent-Type: "
		     "multipart/mixed; boundary=\"b\"\n",
		     "--b\nContent-Type: image/jpeg\nContent-Disposition: "
		     "attachment; filename=IMG_2041.jpg\n"
		     "Content-Transfer-Encoding: base64\n\n/9j/4AAQ\n--b--");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, " <- (filer, ingen text)\n"), "%s",
		      body);
	free(body);
}
END_TEST

/* Eva's next notification, and #visa, show the case's conversation:
   what Anna and Eva wrote, Eva's note, not the notifications. Eva's
   answer shows once, as what went to Anna; her note is
   hers by name, not "<-" as if Anna had written it; a reply of
   commands alone has no line. */
START_TEST(test_handler_sees_conversation)
{
	char *to, *body, *hist;

	to = eva_notified("v1@example.se", "Det bullrar från bygget.");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "v2@kommun.example", NULL,
		     "#ta\n\nHej Anna! Vi tittar på det i veckan.\n");
	/* a greeting on a line of its own is not all the history shows */
	deliver_mail("anna@example.se", "arende@kommun.example", "Re: Buller",
		     "v3@example.se", "In-Reply-To: <v1@example.se>\n",
		     "Hej!\n\nNu bullrar det igen.\n");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "v4@kommun.example", NULL,
		     "#notering\nRing byggfirman.\n");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "v4b@kommun.example", NULL, "#kategori buller\n");
	/* a long line with å and ä, cut to fit 72 characters */
	deliver_mail("anna@example.se", "arende@kommun.example", "Re: Buller",
		     "v5@example.se", "In-Reply-To: <v1@example.se>\n",
		     "Och nu en gång till. Det dånar från morgon till kväll, "
		     "varje dag åtta timmar.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	/* notified of the new case and of each of Anna's mails */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'eva@kommun.example'"), 3);
	body = newest_body("eva@kommun.example");
	hist = strstr(body, "Senaste meddelanden i ärendet:\n");
	ck_assert_msg(hist != NULL, "%s", body);
	/* the newest five of the conversation, and no notification */
	ck_assert_msg(strstr(hist, "<- Hej Anna! Vi tittar på det i veckan.") ==
		      NULL && strstr(hist, "-> Hej Anna! Vi tittar på det i "
				     "veckan.") != NULL &&
		      strstr(hist, "<- Hej! Nu bullrar det igen.\n") != NULL &&
		      strstr(hist, " Eva Ek (intern): Ring byggfirman.\n") != NULL &&
		      strstr(hist, "<- Ring byggfirman.") == NULL &&
		      strstr(hist, "<- \n") == NULL &&
		      strstr(hist, "<-\n") == NULL &&
		      strstr(hist, "<- Och nu en gång till. Det dånar från "
			     "morgon till\xe2\x80\xa6\n") != NULL,
		      "%s", hist);
	ck_assert_msg(strstr(hist, "rende KS-") == NULL, "%s", hist);
	free(body);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "v6@kommun.example", NULL, "#visa KS-2026-00001\n");
	body = newest_body("eva@kommun.example");
	/* the case's details each with its label */
	ck_assert_msg(strstr(body, "KS-2026-00001  Buller\n  Status: ") !=
		      NULL && strstr(body, "\n  Arbetsflöde: synpunkt\n  "
				     "Prioritet: normal, kategori: ") != NULL &&
		      strstr(body, "\n  Handläggare: Eva Ek\n  Klart senast: 20") !=
		      NULL, "%s", body);
	ck_assert_msg(strstr(body, "Det bullrar från bygget.") != NULL &&
		      strstr(body, "<- Eva Ek (intern)\nRing byggfirman.") !=
		      NULL &&
		      strstr(body, "Och nu en gång till.") != NULL, "%s", body);
	/* her #kategori alone is no message: no empty "<- Eva Ek" */
	ck_assert_msg(strstr(body, "<- Eva Ek\n\n") == NULL, "%s", body);
	/* her answer once: as it went to Anna, under her name */
	ck_assert_msg(strstr(body, " -> från Eva Ek\nHej Anna! Vi tittar på "
			     "det i veckan.\n\nMed vänlig hälsning") != NULL &&
		      strstr(strstr(body, "Hej Anna! Vi tittar") + 1,
			     "Hej Anna! Vi tittar") == NULL, "%s", body);
	ck_assert_msg(strstr(body, "Senaste meddelanden") == NULL, "%s", body);
	/* our own mail has no sender named: "->" ends its line */
	ck_assert_msg(strstr(body, " ->\n") != NULL &&
		      strstr(body, " \n") == NULL, "%s", body);
	/* her reading is in the read log: who, which case, how */
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = "
			       "'case.read' AND actor = 'mail:eva' AND object "
			       "= 'KS-2026-00001' AND detail = 'by mail'"), 1);
	free(body);
	free(to);
}
END_TEST

/* A citizen's signature under "-- " (a telephone number, an address)
   is cut from the new text, which conditions read, but the officer is
   shown it in the notification, marked as the signature; a mobile
   sign-off under it is noise and stays out, and so does the quoted
   mail below. The acknowledgement to the citizen is as it was. */
START_TEST(test_citizen_signature_shown)
{
	char *body, *to;

	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Gatlampa",
		     "cs1@example.se", NULL,
		     "Lampan vid busshållplatsen lyser inte.\n\n-- \n"
		     "Anna Andersson\nStorgatan 1, 123 45 Kommunby\n"
		     "070-123 45 67\nSkickat från min iPhone\n\n"
		     "Den 1 dec. 2026 skrev Kommunen <arende@kommun.example>:\n"
		     "> Gammal text.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "direction = 'in' AND body_stripped = "
			       "'Lampan vid busshållplatsen lyser inte.'"), 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Meddelandet:\n\nLampan vid "
			       "busshållplatsen lyser inte.\n\nSignatur:\n"
			       "Anna Andersson\nStorgatan 1, 123 45 Kommunby\n"
			       "070-123 45 67\n") &&
		      strstr(body, "iPhone") == NULL &&
		      strstr(body, "Gammal text") == NULL, "%s", body);
	free(body);
	body = newest_body("anna@example.se");
	ck_assert_msg(strstr(body, "070-123") == NULL &&
		      strstr(body, "Signatur") == NULL, "%s", body);
	free(body);
	/* her next mail, to the case: the signature again, in English for
	   an officer who reads English */
	ck_assert_msg(store_exec(store, "UPDATE contact SET language = 'en' "
				 "WHERE login = 'eva'", NULL) == 0, "lang");
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Re: Gatlampa", "cs2@example.se",
		     "In-Reply-To: <cs1@example.se>\n",
		     "Nu lyser den igen.\n\n-- \nAnna Andersson\n"
		     "070-123 45 67\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Nu lyser den igen.\n\nSignature:\n"
			       "Anna Andersson\n070-123 45 67\n"), "%s", body);
	free(body);
	/* no signature: no heading for one */
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Re: Gatlampa", "cs3@example.se",
		     "In-Reply-To: <cs1@example.se>\n",
		     "Den blinkar nu.\n\n-- \nSkickat från min iPhone\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "Signature") == NULL &&
		      strstr(body, "iPhone") == NULL, "%s", body);
	free(body);
	/* #visa shows each mail's signature under it too, once */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "cs4@kommun.example", NULL, "#visa KS-2026-00001\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Lampan vid busshållplatsen lyser inte."
			       "\n\nSignature:\nAnna Andersson\nStorgatan 1, "
			       "123 45 Kommunby\n070-123 45 67\n") &&
		      has_text(body, "Nu lyser den igen.\n\nSignature:\n"
			       "Anna Andersson\n070-123 45 67\n") &&
		      strstr(body, "iPhone") == NULL &&
		      strstr(body, "Gammal text") == NULL, "%s", body);
	free(body);
	/* the officer she is given to reads her last mail with it */
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Re: Gatlampa", "cs5@example.se",
		     "In-Reply-To: <cs1@example.se>\n",
		     "Ring mig gärna.\n\n-- \nAnna Andersson\n"
		     "070-123 45 67\n");
	add_olle("sv");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV: Gatlampa",
		     "cs6@kommun.example", NULL, "#tilldela olle\n");
	free(to);
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "Invånarens senaste meddelande:\n\n"
			       "Ring mig gärna.\n\nSignatur:\nAnna "
			       "Andersson\n070-123 45 67\n"), "%s", body);
	free(body);
}
END_TEST

/* A case officer who quotes a guideline, or the citizen's sentence,
   with "> " in their own answer means it for the citizen: the quote
   between their text goes along, where the reply stripping cut it
   silently. The notification they quote below it under the attribution
   does not, nor a notification quoted whole at the top with no
   attribution. */
START_TEST(test_officer_quote_kept)
{
	char *to, *body;

	to = eva_notified("oq1@example.se", "Det är inte plogat på "
			  "cykelvägen.");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "oq2@kommun.example", NULL,
		     "#ta\n\nHej Anna!\n\nI riktlinjerna för snöröjning "
		     "står det:\n> Gång- och cykelvägar röjs inom 24 timmar\n"
		     "> efter snöfallets slut.\n\nDärför kommer plogbilen i "
		     "morgon bitti.\n\nMed vänlig hälsning\nEva Ek\n\n"
		     "Den 7 dec. 2026 kl. 10:00 skrev Kommunen "
		     "<arende@kommun.example>:\n> Nytt ärende\n>\n"
		     "> Meddelandet:\n>\n> Det är inte plogat på "
		     "cykelvägen.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 0);
	body = newest_body("anna@example.se");
	ck_assert_msg(has_text(body, "Hej Anna!\n\nI riktlinjerna för "
			       "snöröjning står det:\n> Gång- och cykelvägar "
			       "röjs inom 24 timmar\n> efter snöfallets "
			       "slut.\n\nDärför kommer plogbilen i morgon "
			       "bitti.") &&
		      strstr(body, "Nytt ärende") == NULL &&
		      strstr(body, "Meddelandet:") == NULL, "%s", body);
	free(body);
	/* the notification quoted whole above the answer, with no
	   attribution: none of it to the citizen */
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "oq3@kommun.example", NULL,
		     "> Nytt ärende [KS-2026-00001] Buller\n>\n"
		     "> Ärende:       KS-2026-00001\n> Ämne:         Buller\n"
		     "> Kategori:     synpunkt\n> Inkom:        2026-12-07\n"
		     "> Invånare:     anna@example.se\n"
		     "> Klart senast: 2026-12-21\n> Handläggare:  Eva Ek\n"
		     ">\n> Meddelandet:\n>\n> Det är inte plogat.\n\n"
		     "Plogbilen är på väg.\n");
	body = newest_body("anna@example.se");
	ck_assert_msg(has_text(body, "Plogbilen är på väg.") &&
		      strstr(body, "Kategori:") == NULL &&
		      strstr(body, "Meddelandet:") == NULL, "%s", body);
	free(body);
	/* "Du skrev:" is hers, not a mail client's attribution; a quote
	   right under her commands too */
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "oq4@kommun.example", NULL,
		     "Du skrev:\n> Det är inte plogat på cykelvägen.\n\n"
		     "Nu är den plogad.\n");
	body = newest_body("anna@example.se");
	ck_assert_msg(has_text(body, "Du skrev:\n> Det är inte plogat på "
			       "cykelvägen.\n\nNu är den plogad."), "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "oq5@kommun.example", NULL,
		     "#fråga\n> Det är inte plogat på cykelvägen.\n\n"
		     "Vilken del av cykelvägen menar du?\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 0);
	body = newest_body("anna@example.se");
	ck_assert_msg(has_text(body, "> Det är inte plogat på cykelvägen.\n\n"
			       "Vilken del av cykelvägen menar du?") &&
		      strstr(body, "#fråga") == NULL, "%s", body);
	free(body);
	free(to);
}
END_TEST

/* A refused reply with no text of its own (a mistyped command alone)
   has nothing to show in the next notification's history: it took one
   of the five lines, as "Eva Ek (avvisat, inte skickat): " and nothing,
   in the place of a message. A refused reply with text still shows. */
START_TEST(test_history_without_empty_refused)
{
	char *to, *body, *hist;

	to = eva_notified("e1@example.se", "Det bullrar från bygget.");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "e2@kommun.example", NULL, "#tilldala olle\n");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "e3@kommun.example", NULL,
		     "#tilldala olle\nHej Anna, vi tittar på det.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE refused"),
			 2);
	deliver_mail("anna@example.se", "arende@kommun.example", "Re: Buller",
		     "e4@example.se", "In-Reply-To: <e1@example.se>\n",
		     "Nu bullrar det igen.\n");
	body = newest_body("eva@kommun.example");
	hist = strstr(body, "Senaste meddelanden i ärendet:\n");
	ck_assert_msg(hist != NULL, "%s", body);
	ck_assert_msg(strstr(hist, "(avvisat, inte skickat): \n") == NULL &&
		      strstr(hist, "(avvisat, inte skickat): Hej Anna, vi "
			     "tittar\xe2\x80\xa6\n") != NULL &&
		      strstr(hist, "<- Det bullrar från bygget.\n") != NULL &&
		      strstr(hist, "<- Nu bullrar det igen.\n") != NULL,
		      "%s", hist);
	free(body);
	free(to);
}
END_TEST

/* A handler's answer after the citizen wrote twice continues the thread
   of her last mail, and names her first mail in References too: that is
   what the acknowledgement answered, and her own mails are in her sent
   folder, so a client threads the answer with the acknowledgement only
   through it. */
START_TEST(test_answer_references_first_mail)
{
	char *to, *hdr;

	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "r1@example.se", NULL, "Det bullrar från bygget.");
	deliver_mail("anna@example.se", "arende@kommun.example", "Re: Buller",
		     "r2@example.se", "In-Reply-To: <r1@example.se>\n",
		     "Det är Åkessons Bygg.\n");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "r3@kommun.example", NULL, "#ta\nHej Anna!\n");
	hdr = text("SELECT headers FROM outbox WHERE recipient = "
		   "'anna@example.se' ORDER BY id DESC LIMIT 1");
	ck_assert_msg(strstr(hdr, "In-Reply-To: <r2@example.se>\n") != NULL &&
		      strstr(hdr, "References: <r1@example.se> "
			     "<r2@example.se>\n") != NULL, "%s", hdr);
	free(hdr);
	free(to);
}
END_TEST

/* The notifications of one case name one Message-ID of the case in
   References, so that a mail client shows them in one thread: "Nytt
   ärende" and "Nytt meddelande i ärendet" have different subjects and
   answered nothing, and stood apart. Another case has its own. */
START_TEST(test_notifications_one_thread)
{
	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "t1@example.se", NULL, "Det bullrar från bygget.");
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Re: Buller", "t2@example.se",
		     "In-Reply-To: <t1@example.se>\n",
		     "Det är Åkessons Bygg.\n");
	deliver_mail("bo@example.se", "arende@kommun.example", "Lampa",
		     "t3@example.se", NULL, "Lampan är trasig.");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example' AND instr(headers, "
			       "'References: <KS-2026-00001.case@kommun."
			       "example>' || char(10)) > 0"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example' AND instr(headers, "
			       "'References: <KS-2026-00002.case@kommun."
			       "example>' || char(10)) > 0"), 1);
}
END_TEST

/* #visa in Swedish names the priority in Swedish, as #prioritet takes
   it: "hög", not the English word the case keeps. */
START_TEST(test_show_priority_swedish)
{
	char *to, *body;

	to = eva_notified("p1@example.se", "Det bullrar från bygget.");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "p2@kommun.example", NULL, "#prioritet hög\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE priority = "
			       "'high'"), 1);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "p3@kommun.example", NULL, "#visa KS-2026-00001\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "\n  Prioritet: hög, kategori: ") != NULL,
		      "%s", body);
	free(body);
	free(to);
}
END_TEST

/* A citizen who answers the handler's questions between them: the
   handler is shown each answer below the question it answers, and the
   case keeps it so; the plain answers are what the workflow looks at. */
START_TEST(test_citizen_answers_between_quotes)
{
	char *body;

	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Gatlykta",
		     "i1@example.se", NULL, "Gatlyktan är trasig.");
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Re: Gatlykta", "i2@example.se",
		     "In-Reply-To: <i1@example.se>\n",
		     "Den 23 nov. 2026 kl. 10:12 skrev Kommunen "
		     "<arende@kommun.example>:\n"
		     "> Vilken adress gäller det?\n"
		     "Storgatan 12.\n\n"
		     "> Sedan när är den trasig?\n"
		     "I lördags.\n"
		     "> Med vänlig hälsning\n> Kommunen\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "> Vilken adress gäller det?\n"
				   "Storgatan 12.\n\n"
				   "> Sedan när är den trasig?\n"
				   "I lördags.") != NULL, "%s", body);
	ck_assert_msg(strstr(body, "Med vänlig hälsning\n> Kommunen") ==
		      NULL && strstr(body, "skrev Kommunen") == NULL,
		      "%s", body);
	free(body);
	body = text("SELECT body_stripped FROM message WHERE "
		    "rfc_message_id = 'i2@example.se'");
	ck_assert_str_eq(body, "> Vilken adress gäller det?\nStorgatan 12.\n\n"
			 "> Sedan när är den trasig?\nI lördags.");
	free(body);
}
END_TEST

/* Only a gateway's mark makes a mail "too big": a sender who puts an
   X-Cirm-Oversize field of their own first, with words in it, gets
   none of them into a notice to the handler whose address they used. */
START_TEST(test_forged_oversize_mark)
{
	add_handler_eva();
	deliver("X-Cirm-Oversize: 5 byte. Logga in på https://evil.example/ "
		"och bekräfta ditt konto\nFrom: Eva <eva@kommun.example>\n"
		"Subject: Bilder\nMessage-ID: <f1@kommun.example>\n\nHej.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE body LIKE "
			       "'%evil.example%'"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE '%mail_max_size%'"), 0);
}
END_TEST

/* Nor does a mail of its own make a note of the IMAP gateway's for a
   mail the server cannot deliver: one whose first field is
   X-Cirm-Unfetchable with words of the sender's is the ordinary mail it
   is, and none of those words reach the quarantine's reason (which the
   log and cirmctl quarantine list show). The gateway's own note still
   goes to the quarantine. */
START_TEST(test_forged_unfetchable_mark)
{
	deliver("X-Cirm-Unfetchable: Anna Andersson 19800101-1234 "
		"anna@example.se\nFrom: Anna <anna@example.se>\n"
		"Subject: Lampan\nMessage-ID: <u1@example.se>\n\nDen lyser inte.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE '%19800101%'"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	deliver("X-Cirm-Unfetchable: the IMAP server failed 3 times to "
		"deliver UID 42\r\n\r\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'the IMAP server failed 3 times to deliver "
			       "UID 42;%'"), 1);
}
END_TEST

/* Queues RAW as the IMAP gateway does, with its key KEY, and drains. */
static void
deliver_keyed(const char *raw, const char *key)
{
	struct engine_stats stats = { 0 };
	char *err = NULL;

	ck_assert(store_inbox_put(store, "email", "imap", cirm_now(), key, raw,
				  strlen(raw), NULL, &err) == 1);
	ck_assert_msg(engine_drain(engine, cirm_now() + 100000, &stats, &err) == 0,
		      "%s", err);
}

/* The gateway's note for a mail it gave up, with its UIDVALIDITY, is
   quarantined keyed by its position: a second note for it (queued
   again) is dropped, one released comes back to the quarantine. When
   the mail comes in after all (its key ends in MAILIN_REFETCHED_SUFFIX)
   it makes its case once, and the note waiting for it is resolved,
   audited; another message's note is left alone. */
START_TEST(test_unfetchable_resolved)
{
	static const char note[] = "X-Cirm-Unfetchable: the IMAP server "
		"failed 3 times to deliver UID 7 of UIDVALIDITY 1234\r\n\r\n";
	char *err = NULL;
	int64_t qid;

	deliver_keyed(note, "imap:1234:7");
	deliver_keyed("X-Cirm-Unfetchable: the IMAP server failed 3 times to "
		      "deliver UID 8 of UIDVALIDITY 1234\r\n\r\n",
		      "imap:1234:8");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE "
			       "dedupe_key = 'unfetchable:1234:7' AND reason "
			       "LIKE 'the IMAP server failed 3 times to deliver "
			       "UID 7 of UIDVALIDITY 1234; the mail stays on "
			       "the server and the gateway fetches it again%'"),
			 1);
	deliver(note);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE "
			       "dedupe_key = 'unfetchable:1234:7'"), 1);
	/* released: back in the quarantine, a new row */
	qid = count("SELECT id FROM quarantine WHERE dedupe_key = "
		    "'unfetchable:1234:7'");
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_quarantine_release(store, qid, cirm_now(), &err),
			 1);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE "
			       "dedupe_key = 'unfetchable:1234:7' AND "
			       "released_at >= strftime('%s', 'now') - 5"), 1);
	{
		struct engine_stats stats = { 0 };

		ck_assert_msg(engine_drain(engine, cirm_now() + 100000, &stats,
					   &err) == 0, "%s", err);
	}
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE "
			       "dedupe_key = 'unfetchable:1234:7' AND "
			       "released_at IS NULL"), 1);
	deliver_keyed("From: Anna <anna@example.se>\nSubject: Lampan\n"
		      "Message-ID: <r1@example.se>\n\nDen lyser inte.\n",
		      "imap:1234:7" MAILIN_REFETCHED_SUFFIX);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE "
			       "dedupe_key = 'unfetchable:1234:7' AND "
			       "released_at IS NULL"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE "
			       "dedupe_key = 'unfetchable:1234:8' AND "
			       "released_at IS NULL"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = "
			       "'quarantine.resolve'"), 1);
}
END_TEST

/* A note for a mail the gateway gave up, once discarded, says so by
   its key (store_quarantine_discarded), which is what stops the
   gateway's tries; the reason tells the administrator. A released note
   is not discarded, nor is one still waiting, nor another's. */
START_TEST(test_unfetchable_discarded)
{
	char *err = NULL;
	int64_t qid;

	deliver_keyed("X-Cirm-Unfetchable: the IMAP server failed 3 times to "
		      "deliver UID 9 of UIDVALIDITY 1234\r\n\r\n",
		      "imap:1234:9");
	deliver_keyed("X-Cirm-Unfetchable: the IMAP server failed 3 times to "
		      "deliver UID 10 of UIDVALIDITY 1234\r\n\r\n",
		      "imap:1234:10");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE "
			       "dedupe_key = 'unfetchable:1234:9' AND reason "
			       "LIKE '%, no more once it is discarded'"), 1);
	ck_assert_int_eq(store_quarantine_discarded(store,
		"unfetchable:1234:9", &err), 0);
	qid = count("SELECT id FROM quarantine WHERE dedupe_key = "
		    "'unfetchable:1234:9'");
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_quarantine_discard(store, qid, cirm_now(), &err),
			 1);
	ck_assert_int_eq(store_quarantine_release(store, qid + 1, cirm_now(),
						  &err), 1);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(store_quarantine_discarded(store,
		"unfetchable:1234:9", &err), 1);
	ck_assert_int_eq(store_quarantine_discarded(store,
		"unfetchable:1234:10", &err), 0);
	ck_assert_int_eq(store_quarantine_discarded(store,
		"unfetchable:1234:11", &err), 0);
}
END_TEST

/* Mail "Lampan" of Anna, fetched again as UID after the note that stood
   for it was discarded. */
static void
refetched_after_discard(int uid)
{
	char *note = xasprintf("X-Cirm-Unfetchable: the IMAP server failed 3 "
			       "times to deliver UID %d of UIDVALIDITY "
			       "1234\r\n\r\n", uid);
	char *pos = xasprintf("imap:1234:%d", uid);
	char *again = xasprintf("%s" MAILIN_REFETCHED_SUFFIX, pos);
	char *q = xasprintf("SELECT id FROM quarantine WHERE dedupe_key = "
			    "'unfetchable:1234:%d'", uid);
	char *err = NULL;

	deliver_keyed(note, pos);
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_quarantine_discard(store, count(q), cirm_now(),
						  &err), 1);
	ck_assert_int_eq(store_commit(store, &err), 0);
	deliver_keyed("From: Anna <anna@example.se>\nSubject: Lampan\n"
		      "Message-ID: <r12@example.se>\n\nDen lyser inte.\n",
		      again);
	free(q);
	free(again);
	free(pos);
	free(note);
}

/* The mail of a note discarded while the gateway fetched it again (it
   asked just before) makes no case: it waits in the quarantine, where a
   release makes it one. A copy of mail cirm has is dropped as such. */
START_TEST(test_unfetchable_discarded_refetched)
{
	char *err = NULL;
	int64_t qid;

	refetched_after_discard(12);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE "
			       "discarded_at IS NULL AND released_at IS NULL "
			       "AND reason LIKE '%note had been discarded%'"),
			 1);
	qid = count("SELECT id FROM quarantine WHERE discarded_at IS NULL AND "
		    "released_at IS NULL");
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_quarantine_release(store, qid, cirm_now(), &err),
			 1);
	ck_assert_int_eq(store_commit(store, &err), 0);
	{
		struct engine_stats stats = { 0 };

		ck_assert_msg(engine_drain(engine, cirm_now() + 100000, &stats,
					   &err) == 0, "%s", err);
	}
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	refetched_after_discard(13);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE "
			       "discarded_at IS NULL AND released_at IS NULL"),
			 0);
}
END_TEST

/* The topmost Authentication-Results is read as RFC 8601 writes it:
   comments and quoted strings are no separators, so OpenDKIM's
   "(2048-bit key; unprotected)" leaves its pass whole, and a sender's
   own words in a comment or a quoted local part make no pass. */
START_TEST(test_auth_results_syntax)
{
	static const struct {
		const char *ar;
		int ok;
		const char *sender;	/* NULL: eva@kommun.example */
	} cases[] = {
		{ "mx.kommun.example; dkim=pass header.d=kommun.example", 1,
		  NULL },
		{ "mx.kommun.example; dkim=pass (2048-bit key; unprotected) "
		  "header.d=kommun.example header.i=@kommun.example "
		  "header.b=AbCd", 1, NULL },
		{ "mx.kommun.example; dkim=pass (1024-bit key; secure) "
		  "header.d=kommun.example; dmarc=pass (p=reject dis=none) "
		  "header.from=kommun.example", 1, NULL },
		{ "mx.kommun.example (a; b); dkim=pass header.d=kommun.example",
		  1, NULL },
		{ "mx.kommun.example; dkim=pass header.d=\"kommun.example\"", 1,
		  NULL },
		/* the envelope sender is the attacker's to choose */
		{ "mx.kommun.example; spf=pass (sender SPF authorized) "
		  "smtp.mailfrom=\"a;dkim=pass header.d=kommun.example x\"@"
		  "evil.example", 0, NULL },
		{ "mx.kommun.example; spf=pass (mx.kommun.example: domain of "
		  "\"a;dkim=pass header.d=kommun.example \"@evil.example "
		  "designates 192.0.2.1 as permitted sender) "
		  "smtp.mailfrom=a@evil.example", 0, NULL },
		{ "mx.kommun.example; spf=pass smtp.mailfrom="
		  "\"a@kommun.example\"@evil.example", 0, NULL },
		{ "mx.kommun.example; dkim=pass header.d=evil.example "
		  "(header.d=kommun.example)", 0, NULL },
		{ "mx.kommun.example; dkim=pass (unclosed; header.d="
		  "kommun.example", 0, NULL },
		/* alignment as DMARC's relaxed mode: the same organizational
		   domain by the Public Suffix List, never a public suffix */
		{ "mx.kommun.se; dkim=pass header.d=se", 0, "eva@kommun.se" },
		{ "mx.kommun.co.uk; dkim=pass header.d=co.uk", 0,
		  "eva@kommun.co.uk" },
		{ "mx.kommun.se; dkim=pass header.d=mail.kommun.se", 1,
		  "eva@kommun.se" },
		{ "mx.kommun.se; dkim=pass header.d=kommun.se", 1,
		  "eva@mail.kommun.se" },
		{ "mx.kommun.se; dkim=pass header.d=evilkommun.se", 0,
		  "eva@kommun.se" },
		{ "mx.kommun.se; dkim=pass header.d=kommun.se.evil.example", 0,
		  "eva@kommun.se" },
		{ "mx.kommun.se; dmarc=pass header.from=KOMMUN.SE", 1,
		  "eva@kommun.se" },
		{ "mx.kommun.se; spf=pass smtp.mailfrom=bounce@mail.kommun.se",
		  1, "eva@kommun.se" },
		/* a domain without a DMARC record: OpenDMARC's "none" and
		   Exchange Online's "bestguesspass" are no DMARC result,
		   and aligned DKIM or SPF decide */
		{ "mx.kommun.example; dkim=pass header.d=kommun.example; "
		  "dmarc=none (p=none dis=none) header.from=kommun.example", 1,
		  NULL },
		{ "mx.kommun.example; dmarc=none header.from=kommun.example; "
		  "spf=pass smtp.mailfrom=eva@kommun.example", 1, NULL },
		{ "mx.kommun.example; dkim=fail header.d=kommun.example; "
		  "dmarc=none header.from=kommun.example", 0, NULL },
		{ "mx.kommun.example; dmarc=nonesuch header.from="
		  "kommun.example; dkim=pass header.d=kommun.example", 0, NULL },
		{ "mx.kommun.example; dkim=pass header.d=kommun.example; "
		  "dmarc=fail header.from=kommun.example", 0, NULL },
		/* Exchange Online writes no authserv-id: its first result
		   is a result all the same */
		{ "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom="
		  "kommun.example; dkim=none (message not signed) "
		  "header.d=none;dmarc=bestguesspass action=none "
		  "header.from=kommun.example;compauth=pass reason=109", 1,
		  NULL },
		{ "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom="
		  "kommun.example; dkim=none (message not signed) "
		  "header.d=none;dmarc=none action=none "
		  "header.from=kommun.example;compauth=pass reason=102", 1,
		  NULL },
		{ "spf=fail (sender IP is 192.0.2.1) smtp.mailfrom="
		  "kommun.example; dkim=none (message not signed) "
		  "header.d=none;dmarc=none action=none "
		  "header.from=kommun.example;compauth=fail reason=001", 0,
		  NULL },
		{ "dkim=pass (signature was verified) header.d=kommun.example;"
		  "dmarc=pass action=none header.from=kommun.example", 1,
		  NULL },
	};
	struct mime_limits lim;

	mime_limits_default(&lim);
	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		const char *from = cases[i].sender != NULL ? cases[i].sender :
			"eva@kommun.example";
		char *raw = xasprintf("Authentication-Results: %s\n"
				      "From: %s\nTo: "
				      "arende@kommun.example\nSubject: x\n\n"
				      "#klar\n", cases[i].ar, from);
		struct mime_message *m = NULL;
		char *err = NULL;

		ck_assert_int_eq(mime_parse(raw, strlen(raw), &lim, &m, &err), 0);
		ck_assert_msg(mailin_auth_ok(m, from, NULL) == cases[i].ok, "%s",
			      cases[i].ar);
		mime_free(&m);
		free(raw);
	}
}
END_TEST

/* Forged or unauthenticated replies change nothing and are kept with
   the reason; a refused command changes nothing and is explained. */
START_TEST(test_handler_refusals)
{
	char *to, *body;

	to = eva_notified("r1@example.se", "Det bullrar.");
	deliver_mail("mallory@example.se", to, "SV", "r2@example.se", NULL,
		     "#klar\nLöst!\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason = "
			       "'reply to a handler''s signed address from "
			       "another sender'"), 1);
	deliver_mail("eva@kommun.example", to, "SV", "r3@kommun.example",
		     "Authentication-Results: mx.kommun.example; dmarc=fail "
		     "header.from=kommun.example\n", "#ta\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'handler mail whose sender did not pass%'"),
			 1);
	deliver_mail("eva@kommun.example", to, "SV", "r4@kommun.example",
		     "Authentication-Results: mx.kommun.example; dkim=pass "
		     "header.d=kommun.example; dmarc=pass "
		     "header.from=kommun.example\n",
		     "#ta\n#frobnicate\n\nText till Anna.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'registrerad' AND assignee_id IS NULL"), 1);
	/* to nobody but the officer, in the transcript */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE body LIKE "
			       "'%Text till Anna%' AND recipient <> "
			       "'eva@kommun.example'"), 0);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#ta\n      går att utföra") != NULL, "%s", body);
	ck_assert_msg(strstr(body, "#frobnicate\n      utförs inte: okänt "
			     "kommando") != NULL, "%s", body);
	free(body);
	/* resolved: a question to the citizen is no longer possible */
	deliver_mail("eva@kommun.example", to, "SV", "r5@kommun.example", NULL,
		     "#klar\n\nVi har pratat med byggfirman.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'lost'"), 1);
	/* the citizen gets one mail: "your case is resolved" with the
	   answer above it, not the answer and then a second mail */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE body "
			       "LIKE '%byggfirman%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE body "
			       "LIKE 'Vi har pratat med byggfirman.\n\nVi har nu "
			       "behandlat ditt ärende KS-%' AND subject LIKE "
			       "'Ditt ärende är klart%'"), 1);
	/* ... threaded to the citizen's mail, and a person's answer: not
	   marked automatic, and the first answer of eva's on the case */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail "
			       "WHERE subject LIKE 'Ditt ärende är klart%' "
			       "AND instr(headers, 'In-Reply-To: <') > 0 AND "
			       "headers NOT LIKE '%Auto-Submitted%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event e JOIN contact c ON "
			       "c.id = e.actor_id WHERE e.kind = 'reply.sent' "
			       "AND e.detail = 'resolved' AND c.login = "
			       "'eva'"), 1);
	deliver_mail("eva@kommun.example", to, "SV", "r6@kommun.example", NULL,
		     "#fraga\n\nNär bullrar det?\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#fraga\n      utförs inte: går inte i "
			     "ärendets nuvarande läge") != NULL, "%s", body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE body LIKE "
			       "'%När bullrar det%' AND recipient <> "
			       "'eva@kommun.example'"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.refused'"), 2);
	free(body);
	free(to);
}
END_TEST

/* A command below a greeting is refused, not sent to the citizen as
   text; a '#' line that is no command word stays text. */
START_TEST(test_handler_command_below_text)
{
	char *to, *body;

	to = eva_notified("b1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "b2@kommun.example", NULL,
		     "Hej!\n#Fråga\nNär bullrar det?\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'registrerad'"), 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#Fråga\n      utförs inte: kommandon "
			     "skrivs överst i svaret, före texten") != NULL,
		      "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", to, "SV", "b3@kommun.example", NULL,
		     "Hej!\n#1 i kön är ert ärende.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'anna@example.se' AND body LIKE '%#1 i kön%'"),
			 1);
	free(to);
}
END_TEST

/* An answer with a command that sends the citizen nothing goes after
   it, and tells of the case as the command left it: closed by #stäng,
   it asks for no reply (one would open a new case); an open case's
   answer does. */
START_TEST(test_answer_after_close)
{
	char *to, *body;

	to = eva_notified("ac1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "ac2@kommun.example", NULL,
		     "#stäng\n\nVi har redan ett ärende om bullret.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE closed_at "
			       "IS NOT NULL"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "recipient = 'anna@example.se'"), 2);
	body = newest_body("anna@example.se");
	ck_assert_msg(strstr(body, "Vi har redan ett ärende om bullret.") != NULL &&
		      strstr(body, "är nu avslutat. Svarar du på det här "
			     "mejlet blir\ndet ett nytt ärende.") != NULL &&
		      strstr(body, "lägga till") == NULL, "%s", body);
	free(body);
	free(to);
	deliver_mail("bo@example.se", "arende@kommun.example", "Lukt",
		     "ac3@example.se", NULL, "Det luktar.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "ac4@kommun.example", NULL,
		     "#ta\n\nVi tittar på det.\n");
	body = newest_body("bo@example.se");
	ck_assert_msg(strstr(body, "Vi tittar på det.") != NULL &&
		      strstr(body, "om du vill lägga till\nnågot.") != NULL &&
		      strstr(body, "avslutat") == NULL, "%s", body);
	free(body);
	free(to);
}
END_TEST

/* Replaces the first FROM in S (which must hold it) by TO: a new string. */
static char *
replace_once(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);

	ck_assert_msg(p != NULL, "no '%s'", from);
	return xasprintf("%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
}

/* A command the workflow's newer version added, on a case the older
   version still runs: refused, and not as a typo but saying why, since
   the case officer sees it listed on the new cases. */
START_TEST(test_command_of_newer_version)
{
	struct strlist errors = { 0 };
	const char *wdir = cfg_str(cfg, CFG_WORKFLOW_DIR);
	char *to, *body, *path = xasprintf("%s/synpunkt.xml", wdir), *v1, *a,
	     *b, *v2, *err = NULL;
	struct mailin *m2;

	to = eva_notified("nv1@example.se", "Det bullrar.");
	v1 = tu_slurp(path, NULL);
	a = replace_once(v1, "id=\"synpunkt\" version=\"1\"",
			 "id=\"synpunkt\" version=\"2\"");
	b = replace_once(a, "    <command word=\"kategori\"",
			 "    <command word=\"granska\" event=\"cmd.review\" "
			 "text=\"none\">\n"
			 "      <translation xml:lang=\"en\" word=\"review\"/>\n"
			 "    </command>\n"
			 "    <command word=\"kategori\"");
	v2 = replace_once(b, "    <transition event=\"cmd.category\">",
			  "    <transition event=\"cmd.review\"/>\n"
			  "    <transition event=\"cmd.category\">");
	free(tu_write(wdir, "synpunkt.xml", v2, 0640));
	/* a reload, as cirmd's on SIGHUP */
	m2 = mailin_new(cfg, &err);
	ck_assert_ptr_nonnull(m2);
	ck_assert_int_eq(mailin_load_workflows(m2, store, mi, &errors), 0);
	ck_assert_msg(errors.n == 0, "%s", errors.v[0]);
	engine_set_handler(engine, "email", mailin_handle, m2);
	engine_set_prepare(engine, "email", mailin_prepare,
			   mailin_prepared_free, m2);
	engine_set_prepare_sync(engine, counting_sync, m2);
	engine_set_before_commit(engine, mailin_sync, m2);
	engine_set_after_batch(engine, mailin_after_batch, m2);
	mailin_free(&mi);
	mi = m2;
	deliver_mail("eva@kommun.example", to, "SV", "nv2@kommun.example", NULL,
		     "#granska\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "okänt kommando i den version av "
			     "arbetsflödet som\n      ärendet följer (1); det "
			     "finns i version 2, som nya ärenden får\n") !=
		      NULL && strstr(body, "Menade du") == NULL, "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'cmd.review'"), 0);
	free(to);
	free(v1);
	free(a);
	free(b);
	free(v2);
	free(path);
}
END_TEST

/* An unknown command close to a known one (a letter off, a capital, a
   colon after it) is refused with a suggestion: all or nothing still,
   nothing is carried out. One far from every command gets none. */
START_TEST(test_unknown_command_suggested)
{
	char *to, *body;

	to = eva_notified("uc1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "uc2@kommun.example", NULL,
		     "#Ta:\n#klr\n#fraaga\n#xyzzy\n\nVi tittar på det.\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "  #Ta:\n      utförs inte: okänt kommando. "
			     "Menade du #ta?\n") != NULL &&
		      strstr(body, "  #klr\n      utförs inte: okänt kommando. "
			     "Menade du #klar?\n") != NULL &&
		      strstr(body, "  #fraaga\n      utförs inte: okänt "
			     "kommando. Menade du #fråga?\n") != NULL &&
		      strstr(body, "  #xyzzy\n      utförs inte: okänt "
			     "kommando\n") != NULL, "%s", body);
	free(body);
	/* a blank after the '#' */
	deliver_mail("eva@kommun.example", to, "SV", "uc2b@kommun.example",
		     NULL, "# notering\n\nRing byggfirman.\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "  # notering\n      utförs inte: okänt "
			     "kommando. Menade du #notering?\n") != NULL,
		      "%s", body);
	free(body);
	/* in the handler's language: her word for the command */
	ck_assert_int_eq(store_exec(store, "UPDATE contact SET language = 'en' "
				    "WHERE login = 'eva'", NULL), 0);
	deliver_mail("eva@kommun.example", to, "SV", "uc3@kommun.example", NULL,
		     "#tke\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "  #tke\n      not carried out: unknown command. "
			     "Did you mean #take?\n") != NULL, "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE assignee_id "
			       "IS NULL AND state = 'registrerad'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "recipient = 'anna@example.se'"), 1);
	free(to);
}
END_TEST

/* A command without a case in a reply on a case is refused with the
   address it is taken at: #lista, #visa and #sök the plain case
   address, #borta and #tillbaka the officer's own. */
START_TEST(test_caseless_command_on_case)
{
	char *to, *body, *own, *cmd;

	to = eva_notified("cc1@example.se", "Det bullrar.");
	own = token_address_handler(mi->key, "arende@kommun.example",
				    count("SELECT id FROM contact WHERE login "
					  "= 'eva'"), 0);
	deliver_mail("eva@kommun.example", to, "SV", "cc2@kommun.example", NULL,
		     "#lista\n#visa KS-2026-00001\n#sök lampa\n"
		     "#borta 2027-01-05\n#tillbaka\n");
	body = newest_body("eva@kommun.example");
	cmd = xasprintf("#borta 2027-01-05 utförs inte: #borta och #tillbaka "
			"tar cirm bara emot på din egen adress, %s, så att "
			"ingen annan", own);
	ck_assert_msg(has_text(body, "#lista utförs inte: tas emot utan "
			       "ärende: skicka det i ett nytt mejl till "
			       "ärendeadressen, arende@kommun.example\n") &&
		      has_text(body, "#visa KS-2026-00001 utförs inte: tas "
			       "emot utan ärende") &&
		      has_text(body, "#sök lampa utförs inte: tas emot utan "
			       "ärende") &&
		      has_text(body, cmd) &&
		      has_text(body, "#tillbaka utförs inte: #borta och "
			       "#tillbaka tar cirm bara emot på din egen "
			       "adress") &&
		      strstr(body, "okänt kommando") == NULL, "%s", body);
	free(cmd);
	free(body);
	/* in English */
	ck_assert_int_eq(store_exec(store, "UPDATE contact SET language = 'en' "
				    "WHERE login = 'eva'", NULL), 0);
	deliver_mail("eva@kommun.example", to, "SV", "cc3@kommun.example", NULL,
		     "#list\n#back\n");
	body = newest_body("eva@kommun.example");
	cmd = xasprintf("#back not carried out: cirm takes #away and #back "
			"only at your own address, %s,", own);
	ck_assert_msg(has_text(body, "#list not carried out: taken on no "
			       "case: send it in a new mail to the case "
			       "address, arende@kommun.example") &&
		      has_text(body, cmd), "%s", body);
	free(cmd);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE login = "
			       "'eva' AND away_until IS NOT NULL"), 0);
	free(own);
	free(to);
}
END_TEST

/* A refusal tells where the case stands now, naming its case officer
   as handlers know her: by her name, by her login when she has none. */
START_TEST(test_refused_names_assignee)
{
	char *to, *body;

	to = eva_notified("rn1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "rn2@kommun.example", NULL,
		     "#ta\n#klar\n\nVi har pratat med byggfirman.\n");
	deliver_mail("eva@kommun.example", to, "SV", "rn3@kommun.example", NULL,
		     "#fraga\n\nNär började bullret?\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "det är nu i läget löst, med Eva Ek som "
			       "handläggare."), "%s", body);
	free(body);
	ck_assert_int_eq(store_exec(store, "UPDATE contact SET name = '' "
				    "WHERE login = 'eva'", NULL), 0);
	deliver_mail("eva@kommun.example", to, "SV", "rn4@kommun.example", NULL,
		     "#fraga\n\nNär började bullret?\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "det är nu i läget löst, med eva som "
			       "handläggare."), "%s", body);
	free(body);
	free(to);
}
END_TEST

/* Someone else who writes into a citizen's case (a reply to the
   acknowledgement the citizen forwarded them) is named in the case
   officer's notification: their words are not the citizen's. */
START_TEST(test_other_party_named)
{
	char *to, *hdr, *ack, *body;

	to = eva_notified("op1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "op2@kommun.example", NULL,
		     "#ta\n");
	ack = text("SELECT rfc_message_id FROM outbox_mail WHERE recipient = "
		   "'anna@example.se' ORDER BY id LIMIT 1");
	hdr = xasprintf("In-Reply-To: <%s>\n", ack);
	deliver_mail("Bo Berg <bo@example.se>", "arende@kommun.example",
		     "SV: Vi har tagit emot ditt ärende", "op3@example.se", hdr,
		     "Jag hör också bullret.");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Bo Berg <bo@example.se>, som är part i "
			       "ärendet men inte den invånare som skrev först, "
			       "skriver:") &&
		      strstr(body, "Invånaren skriver") == NULL &&
		      strstr(body, "Jag hör också bullret.") != NULL &&
		      /* the case's citizen is still Anna */
		      has_text(body, "\nInvånare: anna@example.se\n"),
		      "%s", body);
	free(body);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "SV: Vi har tagit emot ditt ärende", "op4@example.se", hdr,
		     "Det bullrar fortfarande.");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "Invånaren skriver:") != NULL &&
		      strstr(body, "bo@example.se") == NULL, "%s", body);
	free(body);
	free(hdr);
	free(ack);
	free(to);
}
END_TEST

/* The question reminder names the time the case closes without an
   answer: its workflow's give-up timer, as a letter writes a date. */
START_TEST(test_reminder_names_deadline)
{
	static const char *const months[] = {
		"januari", "februari", "mars", "april", "maj", "juni", "juli",
		"augusti", "september", "oktober", "november", "december",
	};
	char *to, *body, *want, *last, *hdr, *err = NULL;
	int64_t remind, giveup;
	time_t t;
	struct tm tm;
	int n = 0;

	to = eva_notified("rd1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "rd2@kommun.example", NULL,
		     "#ta\n#fråga\n\nVilken tid på dygnet bullrar det?\n\n"
		     "Med vänlig hälsning\nEva Ek\nHandläggare\nSundby "
		     "kommun\n");
	/* a note after it is for colleagues, not repeated to the citizen */
	deliver_mail("eva@kommun.example", to, "SV", "rd3@kommun.example", NULL,
		     "#notering\n\nGrannen har också ringt om bullret.\n");
	remind = count("SELECT fire_at FROM timer WHERE name = 'paminnelse' "
		       "AND fired_at IS NULL");
	giveup = count("SELECT fire_at FROM timer WHERE name = 'ge-upp' "
		       "AND fired_at IS NULL");
	ck_assert_int_gt(remind, 0);
	ck_assert_int_gt(giveup, remind);
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_msg(caseflow_fire_timers(mi->flow, store, remind + 1, 100,
					   &n, &err) == 0, "%s", err);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(n, 1);
	t = (time_t)giveup;
	ck_assert_ptr_nonnull(localtime_r(&t, &tm));
	want = xasprintf("Får vi inget svar före den %d %s %d kl. %02d.%02d "
			 "avslutar vi ärendet.", tm.tm_mday, months[tm.tm_mon],
			 tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
	body = newest_body("anna@example.se");
	ck_assert_msg(has_text(body, want), "%s\nnot in\n%s", want, body);
	ck_assert_msg(strstr(body, "om en tid") == NULL, "%s", body);
	/* and repeats the question, which may be far down in a mailbox */
	ck_assert_msg(has_text(body, "Det här skrev vi till dig senast:\n\n"
			       "Vilken tid på dygnet bullrar det?\n"),
		      "%s", body);
	ck_assert_msg(strstr(body, "Grannen") == NULL, "%s", body);
	/* without Eva's sign-off above the reminder's own closing */
	ck_assert_msg(strstr(body, "Eva Ek") == NULL &&
		      strstr(body, "Handläggare") == NULL &&
		      has_text(body, "bullrar det?\n\nMed vänlig hälsning\n"
			       "Kommunen"), "%s", body);
	free(body);
	/* no answer by then: the case closes, and the case officer who
	   asked is told, with the question */
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_msg(caseflow_fire_timers(mi->flow, store, giveup + 1, 100,
					   &n, &err) == 0, "%s", err);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE closed_at "
			       "IS NOT NULL"), 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Invånaren har inte svarat på frågan i "
			       "ärende") &&
		      has_text(body, "Det senaste vi skrev till invånaren:"
			       "\n\nVilken tid på dygnet bullrar det?\n"),
		      "%s", body);
	free(body);
	/* the answer comes late: a new case, whose notification says who
	   had the closed one and what the citizen answers */
	last = text("SELECT rfc_message_id FROM outbox_mail WHERE recipient = "
		    "'anna@example.se' ORDER BY id DESC LIMIT 1");
	hdr = xasprintf("In-Reply-To: <%s>\n", last);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "SV: Ditt ärende är avslutat", "rd4@example.se", hdr,
		     "Det bullrar mest på natten, från klockan två.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	body = text("SELECT body FROM outbox_mail WHERE subject LIKE "
		    "'Nytt ärende [KS-2026-00002]%'");
	ck_assert_msg(has_text(body, "Fortsätter: KS-2026-00001, avslutat") &&
		      has_text(body, "Handlades av: Eva Ek\n") &&
		      has_text(body, "Det senaste vi skrev till invånaren i "
			       "KS-2026-00001:\n\nVilken tid på dygnet "
			       "bullrar det?\n"), "%s", body);
	free(body);
	free(hdr);
	free(last);
	free(want);
	free(to);
}
END_TEST

/* A citizen's thank-you for the answer, and nothing more, is kept on
   the resolved case and reopens nothing: no work for the case officer.
   What else they write reopens it. */
START_TEST(test_thanks_keeps_resolved)
{
	char *to, *hdr, *last;
	int64_t to_eva;

	to = eva_notified("th1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "th2@kommun.example", NULL,
		     "#ta\n#klar\n\nVi har pratat med byggfirman.\n");
	to_eva = count("SELECT count(*) FROM outbox WHERE recipient = "
		       "'eva@kommun.example'");
	last = text("SELECT rfc_message_id FROM outbox_mail WHERE recipient = "
		    "'anna@example.se' ORDER BY id DESC LIMIT 1");
	hdr = xasprintf("In-Reply-To: <%s>\n", last);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "SV: Ditt ärende är klart", "th3@example.se", hdr,
		     "Tack så mycket!\n\nMvh Anna\n\n> Vi har pratat med "
		     "byggfirman.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'lost'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "rfc_message_id = 'th3@example.se'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example'"), to_eva);
	/* with the signature citizens write: name, address, telephone */
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "SV: Ditt ärende är klart", "th3b@example.se", hdr,
		     "Tusen tack för hjälpen!\n\nMed vänlig hälsning\n"
		     "Anna Andersson\nStorgatan 14\n070-123 45 67\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'lost'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example'"), to_eva);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "SV: Ditt ärende är klart", "th4@example.se", hdr,
		     "Tack, men det bullrar igen i natt.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'tilldelad'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example'"), to_eva + 1);
	free(hdr);
	free(last);
	free(to);
}
END_TEST

/* The workflow's thanks() takes a name in small letters when it is the
   sender's, as a thank-you to a closed case: the From name, or the
   contact's. */
START_TEST(test_thanks_small_name_keeps_resolved)
{
	char *to, *hdr, *last;
	int64_t to_eva;

	to = eva_notified("ts1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "ts2@kommun.example",
		     NULL, "#ta\n#klar\n\nVi har pratat med byggfirman.\n");
	to_eva = count("SELECT count(*) FROM outbox WHERE recipient = "
		       "'eva@kommun.example'");
	last = text("SELECT rfc_message_id FROM outbox_mail WHERE recipient = "
		    "'anna@example.se' ORDER BY id DESC LIMIT 1");
	hdr = xasprintf("In-Reply-To: <%s>\n", last);
	/* the contact has no name; the mail's From has one */
	deliver_mail("Anna Andersson <anna@example.se>",
		     "arende@kommun.example", "SV: Ditt ärende är klart",
		     "ts3@example.se", hdr, "tack så mycket mvh anna");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'lost'"), 1);
	/* the contact's name, in a mail with none */
	ck_assert_int_eq(store_exec(store, "UPDATE contact SET name = "
				    "'Anna Svensson' WHERE id = (SELECT "
				    "contact_id FROM contact_address WHERE "
				    "address = 'anna@example.se')", NULL), 0);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "SV: Ditt ärende är klart", "ts4@example.se", hdr,
		     "tack /anna s");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'lost'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example'"), to_eva);
	/* another word after her name reopens it */
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "SV: Ditt ärende är klart", "ts5@example.se", hdr,
		     "tack mvh anna trasig");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'tilldelad'"), 1);
	free(hdr);
	free(last);
	free(to);
}
END_TEST

/* A notification sent on a transition shows the case as the transition
   leaves it: the reopened case's commands and deadline, not those of
   the resolved state it came from. */
START_TEST(test_reopened_notice_shows_new_state)
{
	char *to, *body, *hdr, *last, *err = NULL, *tz;

	to = eva_notified("o1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "o2@kommun.example", NULL,
		     "#ta\n#klar\n\nVi har pratat med byggfirman.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'lost' AND due_at IS NULL"), 1);
	/* refused (no question once resolved): kept, marked as not sent */
	deliver_mail("eva@kommun.example", to, "SV", "o2b@kommun.example", NULL,
		     "#fraga\n\nNär började bullret?\n");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "rfc_message_id = 'o2b@kommun.example' AND "
			       "refused = 1 AND visibility = 'internal'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.refused' AND detail = 'commands'"), 1);
	/* handlers are shown the state's label, "löst", not its id */
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "det är nu i läget löst"), "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "o2c@kommun.example", NULL,
		     "#lista\n#visa KS-2026-00001\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "  KS-2026-00001   löst ") != NULL &&
		      strstr(body, "  Status: löst\n") != NULL &&
		      strstr(body, "  Klart senast: ingen tidsgräns\n") != NULL,
		      "%s", body);
	free(body);
	/* #lista takes no argument: said, not dropped unseen */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "o2e@kommun.example", NULL, "#lista KS-2026-00001\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "(#lista tar inget argument; det som "
			       "står efter togs inte med: ett ärende visar "
			       "du med #visa NUMMER)") &&
		      strstr(body, "  KS-2026-00001   löst ") != NULL,
		      "%s", body);
	free(body);
	/* a deadline at a Monday's opening (14 December, 08:00 Swedish
	   time), as the notifications show it */
	tz = getenv("TZ") != NULL ? xstrdup(getenv("TZ")) : NULL;
	setenv("TZ", "Europe/Stockholm", 1);
	tzset();
	ck_assert_int_eq(store_exec(store, "UPDATE cases SET due_at = "
				    "1797231600", &err), 0);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "o2d@kommun.example", NULL, "#visa KS-2026-00001\n");
	body = newest_body("eva@kommun.example");
	/* synpunkt closes at 15:00 on Fridays */
	ck_assert_msg(strstr(body, "  Klart senast: 2026-12-11 15:00\n") !=
		      NULL, "%s", body);
	free(body);
	if (tz != NULL)
		setenv("TZ", tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(tz);
	last = text("SELECT rfc_message_id FROM outbox_mail WHERE recipient = "
		    "'anna@example.se' ORDER BY id DESC LIMIT 1");
	hdr = xasprintf("In-Reply-To: <%s>\n", last);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "SV: Ditt ärende är klart", "o3@example.se", hdr,
		     "Det bullrar igen.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'tilldelad' AND due_at IS NOT NULL"), 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "Ärendet är därför öppet igen") != NULL,
		      "%s", body);
	ck_assert_msg(strstr(body, "  #klar") != NULL, "%s", body);
	ck_assert_msg(strstr(body, "ingen tidsgräns") == NULL, "%s", body);
	/* the history shows the refused reply for what it was */
	ck_assert_msg(strstr(body, " (avvisat, inte skickat): När började "
			     "bullret?") != NULL, "%s", body);
	free(body);
	free(hdr);
	free(last);
	free(to);
}
END_TEST

/* A reply with nothing of the handler's own (an answer written inside
   the quote reads as quote) changes nothing, and the handler is told. */
START_TEST(test_handler_empty_reply)
{
	char *to, *body, *note, *hdr;

	to = eva_notified("e1@example.se", "Det bullrar.");
	note = text("SELECT rfc_message_id FROM outbox WHERE recipient = "
		    "'eva@kommun.example' ORDER BY id DESC LIMIT 1");
	hdr = xasprintf("In-Reply-To: <%s>\nReferences: <%s>\n", note, note);
	deliver_mail("eva@kommun.example", to, "SV", "e2@kommun.example", hdr,
		     "\n> Det bullrar.\n> Svar: vi kommer i morgon.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), 1);	/* the ack */
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'registrerad'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.refused' AND detail = 'no text'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "rfc_message_id = 'e2@kommun.example' AND "
			       "visibility = 'internal'"), 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "Ditt svar hade ingen text av dig och "
			     "inga kommandon, bara citerad text.") != NULL,
		      "%s", body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'eva@kommun.example' AND subject = 'Ditt svar "
			       "var tomt [' || (SELECT number FROM cases) || "
			       "']'"), 1);
	/* threaded under her reply, and so under the notification */
	free(hdr);
	hdr = xasprintf("In-Reply-To: <e2@kommun.example>\nReferences: <%s> "
			"<e2@kommun.example>\n", note);
	free(body);
	body = text("SELECT headers FROM outbox_mail WHERE recipient = "
		    "'eva@kommun.example' ORDER BY id DESC LIMIT 1");
	ck_assert_msg(strstr(body, hdr) != NULL, "%s", body);
	free(body);
	free(hdr);
	free(note);
	free(to);
}
END_TEST

/* A citizen who writes to a closed case (a reply to its last mail,
   its case number in the subject) opens a new case that mentions the
   old one: nobody looks at a closed case. */
START_TEST(test_citizen_writes_to_closed_case)
{
	char *to, *ack, *hdr;

	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Lampan",
		     "c1@example.se", NULL, "Lampan är trasig.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "c2@kommun.example", NULL,
		     "#STÄNG\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE closed_at IS "
			       "NOT NULL"), 1);
	ack = text("SELECT rfc_message_id FROM outbox WHERE recipient = "
		   "'anna@example.se' ORDER BY id LIMIT 1");
	hdr = xasprintf("In-Reply-To: <%s>\n", ack);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "SV: Vi har tagit emot ditt ärende",
		     "c3@example.se", hdr, "Den är trasig igen.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM event e JOIN cases c ON "
			       "c.id = e.case_id WHERE e.kind = 'case.created' "
			       "AND e.detail = (SELECT number FROM cases ORDER "
			       "BY id LIMIT 1) AND c.closed_at IS NULL"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message m JOIN cases c ON "
			       "c.id = m.case_id WHERE c.closed_at IS NOT NULL "
			       "AND m.body_stripped LIKE '%igen%'"), 0);
	/* she is acknowledged, under the new number */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se' AND subject LIKE '%' || "
			       "(SELECT number FROM cases ORDER BY id DESC "
			       "LIMIT 1) || '%'"), 1);
	/* the new case is about what the old one was, not about our
	   acknowledgement's subject she replied to; and that
	   acknowledgement carries one case number */
	subject_is(2, "Lampan");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se' AND subject = 'Vi har tagit "
			       "emot ditt ärende [KS-2026-00002]'"), 1);
	/* Eva is told that it continues the closed case */
	{
		char *body = newest_body("eva@kommun.example");

		ck_assert_msg(strstr(body, "Fortsätter:   KS-2026-00001, "
				     "avslutat, som invånaren svarade på\n") !=
			      NULL && strstr(body, "Nämner:") == NULL, "%s",
			      body);
		free(body);
	}
	free(hdr);
	free(ack);
	free(to);
}
END_TEST

/* A citizen who sent a photo with no subject, and replies to our
   acknowledgement once the case is closed: the new case has no
   subject rather than our acknowledgement's, which its own
   acknowledgement would show her as "Ämne: Vi har tagit emot ditt
   ärende". */
START_TEST(test_closed_case_no_subject_reply_to_ack)
{
	char *to, *ack, *hdr;

	add_handler_eva();
	deliver_mail("per@example.se", "arende@kommun.example", "",
		     "ns1@example.se", NULL, "");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "ns2@kommun.example",
		     NULL, "#STÄNG\n");
	ack = text("SELECT rfc_message_id FROM outbox WHERE recipient = "
		   "'per@example.se' ORDER BY id LIMIT 1");
	hdr = xasprintf("In-Reply-To: <%s>\n", ack);
	deliver_mail("per@example.se", "arende@kommun.example",
		     "Re: Vi har tagit emot ditt ärende [KS-2026-00001]",
		     "ns3@example.se", hdr, "Fick ni bilden? Hålet är stort.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	subject_is(2, "");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'per@example.se' AND body LIKE '%Ämne:%'"), 0);
	free(hdr);
	free(ack);
	free(to);
}
END_TEST

/* A thank-you to a closed case signed in small letters ("tack mvh
   anna") is kept on it when the name is the sender's: the contact's,
   or the From name of the mail. Other small words after the closing
   are more than thanks. */
START_TEST(test_thanks_small_name_closed_case)
{
	char *to, *ack, *hdr;

	add_handler_eva();
	deliver_mail("Anna Andersson <anna@example.se>",
		     "arende@kommun.example", "Lampan", "sn1@example.se", NULL,
		     "Lampan är trasig.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "sn2@kommun.example",
		     NULL, "#STÄNG\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE closed_at IS "
			       "NOT NULL"), 1);
	ack = text("SELECT rfc_message_id FROM outbox WHERE recipient = "
		   "'anna@example.se' ORDER BY id LIMIT 1");
	hdr = xasprintf("In-Reply-To: <%s>\n", ack);
	/* the contact's name */
	deliver_mail("anna@example.se", "arende@kommun.example", "SV: Lampan",
		     "sn3@example.se", hdr, "tack så mycket mvh anna");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT case_id FROM message WHERE "
			       "rfc_message_id = 'sn3@example.se'"), 1);
	/* the From name, of a contact that has another */
	deliver_mail("Anna Maria Ek <anna@example.se>", "arende@kommun.example",
		     "SV: Lampan", "sn4@example.se", hdr, "tack /maria");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'citizen.thanks'"), 2);
	/* a word that is not her name */
	deliver_mail("anna@example.se", "arende@kommun.example", "SV: Lampan",
		     "sn5@example.se", hdr, "tack mvh anna trasig");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	free(hdr);
	free(ack);
	free(to);
}
END_TEST

/* A citizen's own words in the subject of a reply to a closed case
   stay the new case's subject, less the prefixes and the old tag; an
   answer's subject ("Svar: Lampan") is ours, so the old subject. */
START_TEST(test_closed_case_reply_subject)
{
	char *to = eva_notified("s1@example.se", "Lampan är trasig.");

	deliver_mail("eva@kommun.example", to, "SV", "s2@kommun.example", NULL,
		     "#stäng\n");
	free(to);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Re: SV:  Lampan  vid  skolan igen [KS-2026-00001]",
		     "s3@example.se", NULL, "Den är trasig igen.");
	subject_is(2, "Lampan vid skolan igen");
	/* the acknowledgement says why there is a new number */
	{
		char *body = newest_body("anna@example.se");

		ck_assert_msg(strstr(body, "Ditt tidigare ärende KS-2026-00001 "
				     "är avslutat") != NULL, "%s", body);
		free(body);
	}
	/* case 2 closed too; then a reply to an answer on it */
	ck_assert(store_exec(store, "UPDATE cases SET closed_at = 1, state = "
			     "'avslutad' WHERE id = 2", NULL) == 0);
	ck_assert(store_exec(store, "INSERT INTO message (case_id, direction, "
			     "channel, subject, body_stripped, at) VALUES (2, "
			     "'out', 'email', 'Svar: Lampan vid skolan igen "
			     "[KS-2026-00002]', 'Vi lagar den.', 5)", NULL) == 0);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Sv: Svar: Lampan vid skolan igen [KS-2026-00002]",
		     "s4@example.se", NULL, "Fortfarande trasig.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 3);
	subject_is(3, "Lampan vid skolan igen");
	/* a subject of nothing but prefixes and the tag */
	ck_assert(store_exec(store, "UPDATE cases SET closed_at = 1, state = "
			     "'avslutad' WHERE id = 3", NULL) == 0);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "SV: [KS-2026-00003]", "s5@example.se", NULL, "Igen.");
	subject_is(4, "Lampan vid skolan igen");
}
END_TEST

START_TEST(test_subject_core)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "Lampan", "Lampan" },
		{ "SV: Re: AW: Lampan", "Lampan" },
		{ "sv:Lampan", "Lampan" },
		{ "Svar: Lampan [KS-2026-00001]", "Lampan" },
		{ "Fwd: VB: [KS-2026-00001] Lampan [ks-2026-00002] igen",
		  "Lampan igen" },
		{ "Re: Lampan [KS-2026-0001]", "Lampan [KS-2026-0001]" },
		{ "Re: Lampan [XY-2026-00001]", "Lampan [XY-2026-00001]" },
		{ "Re: Lampan [KS-2026-00001", "Lampan [KS-2026-00001" },
		{ "Svaret: Lampan", "Svaret: Lampan" },
		{ "Lampan: Re: igen", "Lampan: Re: igen" },
		{ "  \t ", "" },
		{ "[KS-2026-00001]", "" },
		{ "[[[[[", "[[[[[" },
	};
	for (size_t i = 0; i < N_ELEMENTS(rows); i++) {
		char *core = mailin_subject_core("KS", rows[i].in);

		ck_assert_msg(strcmp(core, rows[i].out) == 0,
			      "'%s' -> '%s', not '%s'", rows[i].in, core,
			      rows[i].out);
		free(core);
	}
	{
		char *core = mailin_subject_core("KS", NULL);

		ck_assert_str_eq(core, "");
		free(core);
	}
}
END_TEST

/* A subject with two case numbers, the sender's closed one first
   ("SV: Svar: Lampan [KS-1] [KS-2]", as our answers wrote it when a
   case opened by a reply to a closed one kept the reply's subject):
   the mail joins the open case, not a third one that mentions the
   closed first. */
START_TEST(test_subject_two_numbers_open_wins)
{
	char *to, *subj;

	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Lampan",
		     "n1@example.se", NULL, "Lampan är trasig.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "n2@kommun.example", NULL,
		     "#stäng\n");
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "SV: Vi har tagit emot ditt ärende [KS-2026-00001]",
		     "n3@example.se", NULL, "Den är trasig igen.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE closed_at IS "
			       "NULL"), 1);
	subj = xstrdup("SV: Svar: SV: Vi har tagit emot ditt ärende "
		       "[KS-2026-00001] [KS-2026-00002]");
	deliver_mail("anna@example.se", "arende@kommun.example", subj,
		     "n4@example.se", NULL, "Och lampan bredvid också.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE case_id = 2 "
			       "AND body_stripped LIKE 'Och lampan%'"), 1);
	/* the numbers the other way round, and in small letters */
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "ks-2026-00002 och ks-2026-00001", "n5@example.se", NULL,
		     "En till.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE case_id = 2 "
			       "AND body_stripped = 'En till.'"), 1);
	free(subj);
	free(to);
}
END_TEST

/* On a closed case the transcript says so, whatever the command. */
START_TEST(test_handler_closed_case)
{
	char *to, *body;

	to = eva_notified("s1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "s2@kommun.example", NULL,
		     "#STÄNG\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE closed_at IS "
			       "NOT NULL"), 1);
	deliver_mail("eva@kommun.example", to, "SV", "s3@kommun.example", NULL,
		     "#klar\n#fråga\n\nVad hände?\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#klar\n      utförs inte: ärendet är "
			     "avslutat\n  #fråga\n      utförs inte: ärendet "
			     "är avslutat\n") != NULL, "%s", body);
	/* and what a closed case still takes */
	ck_assert_msg(has_text(body, "#kategori ORD") &&
		      has_text(body, "#språk sv|en") &&
		      has_text(body, "Din text går till invånaren; ärendet "
			       "förblir avslutat"), "%s", body);
	/* to nobody but the officer, in the transcript */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE body LIKE "
			       "'%Vad hände%' AND recipient <> "
			       "'eva@kommun.example'"), 0);
	free(body);
	/* a priority or a deadline means nothing on a closed case; its
	   category (for the statistics) and a note may still be set */
	deliver_mail("eva@kommun.example", to, "SV", "s4@kommun.example", NULL,
		     "#prioritet high\n#senast 2099-01-01\n#kategori buller\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#prioritet high\n      utförs inte: "
			     "ärendet är avslutat\n  #senast 2099-01-01\n"
			     "      utförs inte: ärendet är avslutat\n")
		      != NULL, "%s", body);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE priority = "
			       "'high' OR due_at > 4000000000 OR category = "
			       "'buller'"), 0);
	free(body);
	deliver_mail("eva@kommun.example", to, "SV", "s5@kommun.example", NULL,
		     "#kategori buller\n#notering\n\nFel kategori.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE category = "
			       "'buller'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE body_stripped "
			       "LIKE '%Fel kategori%' AND visibility = 'internal'"), 1);
	free(to);
}
END_TEST

/* #senast takes a date YYYY-MM-DD (or D/M) from today on, and says
   which day the calendar lacks; anything else changes nothing, the
   other lines included. */
START_TEST(test_handler_due)
{
	char *to, *body, *good;
	time_t now = time(NULL), ahead = now + 10 * 86400;
	struct tm tm;
	int64_t due;

	to = eva_notified("u1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "u2@kommun.example", NULL,
		     "#senast 2026-13-01\n#senast +202-01-01\n"
		     "#senast 2020-01-01\n#senast 31/4\n"
		     "#senast 2027-02-30\n#prioritet high\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#senast 2026-13-01\n      utförs inte: "
			     "det datumet finns inte\n") != NULL &&
		      strstr(body, "#senast +202-01-01\n      utförs inte: "
			     "ange ett datum ÅÅÅÅ-MM-DD (eller D/M)\n") != NULL &&
		      strstr(body, "#senast 2020-01-01\n      utförs inte: "
			     "datumet har redan varit\n") != NULL &&
		      strstr(body, "#senast 31/4\n      utförs inte: det "
			     "datumet finns inte\n") != NULL &&
		      strstr(body, "#senast 2027-02-30\n      utförs inte: "
			     "det datumet finns inte\n") != NULL &&
		      strstr(body, "#prioritet high\n      går att utföra\n") != NULL,
		      "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE priority = "
			       "'normal' AND due_at > strftime('%s', 'now')"),
			 1);
	localtime_r(&now, &tm);
	good = xasprintf("#senast %04d-06-15\n", tm.tm_year + 1900 + 1);
	deliver_mail("eva@kommun.example", to, "SV", "u3@kommun.example", NULL,
		     good);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.set' AND detail = 'due'"), 1);
	free(good);
	/* "D/M" as Swedes write it: ten days ahead, 16:00 */
	localtime_r(&ahead, &tm);
	good = xasprintf("#senast %d/%d\n", tm.tm_mday, tm.tm_mon + 1);
	deliver_mail("eva@kommun.example", to, "SV", "u4@kommun.example", NULL,
		     good);
	free(good);
	good = xasprintf("%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday);
	ck_assert(local_day_at(good, 0, 16, &due));
	ck_assert_int_eq(count("SELECT due_at FROM cases"), due);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.set' AND detail = 'due'"), 2);
	free(good);
	free(to);
}
END_TEST

/* A reply written in capitals: the words, the login and the priority
   are all taken in small letters. */
START_TEST(test_handler_upper_case)
{
	char *to;

	to = eva_notified("k1@example.se", "Det bullrar.");
	deliver_mail("EVA@KOMMUN.EXAMPLE", to, "SV", "k2@kommun.example", NULL,
		     "#TILLDELA EVA\n#PRIORITET HIGH\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'tilldelad' AND priority = 'high' AND "
			       "assignee_id = (SELECT id FROM contact WHERE "
			       "login = 'eva')"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.refused'"), 0);
	free(to);
}
END_TEST

/* #tilldela to a colleague who is disabled says so, rather than that
   there is no such login: the handler knows the colleague exists. */
START_TEST(test_handler_assign_disabled)
{
	char *to, *body;
	char *err = NULL;

	add_handler_eva();
	ck_assert_msg(store_exec(store,
		"INSERT INTO contact (kind, name, login, language, active, "
		"created_at) VALUES ('handler', 'Bo Berg', 'bo', 'sv', 0, 0);",
		&err) == 0, "%s", err);
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "d1@example.se", NULL, "Det bullrar.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "d2@kommun.example", NULL,
		     "#tilldela bo\n#tilldela bosse\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE assignee_id "
			       "IS NULL"), 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#tilldela bo\n      utförs inte: "
			     "handläggaren är avstängd i cirm\n") != NULL,
		      "%s", body);
	/* the logins of the workflow's groups are named, which no
	   notification shows */
	ck_assert_msg(strstr(body, "#tilldela bosse\n      utförs inte: "
			     "ingen handläggare med den inloggningen\n"
			     "      arbetsflödets handläggare: eva (Eva Ek)\n") !=
		      NULL, "%s", body);
	free(body);
	free(to);
}
END_TEST

/* A reply to a notification the case has moved on from: the transcript
   says where the case stands now and which commands apply, since the
   old notification lists others. */
START_TEST(test_handler_old_notification)
{
	char *to, *body, *now;

	to = eva_notified("n1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "n2@kommun.example", NULL,
		     "#klar\nBullret är åtgärdat.\n");
	deliver_mail("eva@kommun.example", to, "SV", "n3@kommun.example", NULL,
		     "#ta\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#ta\n      utförs inte: går inte i "
			     "ärendets nuvarande läge\n") != NULL, "%s", body);
	ck_assert_msg(has_text(body, "det är nu i läget löst, med Eva Ek som "
			       "handläggare. Kommandon som gäller nu: #stäng "),
		      "%s", body);
	now = strstr(body, "gäller nu:\n\n  #stäng ");
	ck_assert_msg(now != NULL, "%s", body);
	ck_assert_msg(strstr(now, "  #ta ") == NULL, "%s", body);
	free(body);
	/* a command refused for what is below it is no news of the case */
	deliver_mail("eva@kommun.example", to, "SV", "n4@kommun.example", NULL,
		     "#frobnicate\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "Kommandon som gäller nu") == NULL &&
		      strstr(body, "Bifoga") == NULL, "%s", body);
	free(body);
	free(to);
}
END_TEST

/* #prioritet takes the Swedish words as well (hög, BRÅDSKANDE); the
   case keeps the English value, and a wrong word is refused naming
   the Swedish ones. */
START_TEST(test_handler_priority_swedish)
{
	char *to, *body;

	to = eva_notified("p1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "p2@kommun.example", NULL,
		     "#prioritet hög\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE priority = "
			       "'high'"), 1);
	deliver_mail("eva@kommun.example", to, "SV", "p3@kommun.example", NULL,
		     "#PRIORITET BRÅDSKANDE\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE priority = "
			       "'urgent'"), 1);
	deliver_mail("eva@kommun.example", to, "SV", "p4@kommun.example", NULL,
		     "#prioritet mycket\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#prioritet mycket\n      utförs inte: "
			     "ange låg, normal, hög eller brådskande\n") !=
		      NULL, "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE priority = "
			       "'urgent'"), 1);
	free(to);
}
END_TEST

/* A #notering with no text (a signature is none) records nothing:
   it is refused, so that the handler knows. */
START_TEST(test_handler_empty_note)
{
	char *to, *body;

	to = eva_notified("n1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "n2@kommun.example", NULL,
		     "#notering\n\n-- \nEva Ek\nHandläggare\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#notering\n      utförs inte: behöver en "
			     "text under kommandona\n") != NULL, "%s", body);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.refused'"), 1);
	free(body);
	free(to);
}
END_TEST

/* #fraga needs a text for the citizen, the question: under #notering
   the text is internal, so the citizen would be waited for (and
   reminded) without having been asked. Refused, and the handler told
   why; nothing changes on the case. */
START_TEST(test_handler_question_as_note)
{
	char *to, *body;

	to = eva_notified("q1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "q2@kommun.example", NULL,
		     "#fraga\n#notering\nNär bullrar det?\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'vantar-svar'"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM timer WHERE event = "
			       "'timer.remind'"), 0);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "#fraga utförs inte: behöver en text "
			       "till invånaren, och #notering gör texten "
			       "intern"), "%s", body);
	free(body);
	free(to);
}
END_TEST

/* A handler's mail that finds the case by its subject or In-Reply-To,
   not by the signed reply address, is not the citizen's: it must not
   end the wait for the citizen's answer. It goes to the quarantine. */
START_TEST(test_handler_without_token)
{
	char *to, *subj, *body;

	to = eva_notified("w1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "w2@kommun.example", NULL,
		     "#fraga\nNär bullrar det?\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'vantar-svar'"), 1);
	subj = xasprintf("SV: [KS-2026-00001] Buller");
	deliver_mail("eva@kommun.example", "arende@kommun.example", subj,
		     "w3@kommun.example", "In-Reply-To: <w1@example.se>\n",
		     "#notering\nRingde henne.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'vantar-svar'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'mail.citizen'"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'handler mail on a case that did not%'"),
			 1);
	/* one in her name that failed authentication is not hers: she is
	   told someone wrote in her name, not asked to reply again */
	deliver_mail("eva@kommun.example", "arende@kommun.example", subj,
		     "w5@evil.example", "In-Reply-To: <w1@example.se>\n"
		     "Authentication-Results: mx.kommun.example; dmarc=fail "
		     "header.from=kommun.example\n",
		     "Logga in på http://evil.example/.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'handler mail whose sender did not pass "
			       "authentication%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'handler mail on a case that did not%'"),
			 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "någon skrivit i ditt namn") &&
		      !has_text(body, "Svara på aviseringen"), "%s", body);
	free(body);
	/* the citizen's own answer still does */
	deliver_mail("anna@example.se", "arende@kommun.example", subj,
		     "w4@example.se", "In-Reply-To: <w1@example.se>\n",
		     "På nätterna.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'tilldelad'"), 1);
	free(subj);
	free(to);
}
END_TEST

/* The newest mail to ADDR in the outbox: its COLUMN. */
static char *
newest_to(const char *addr, const char *column)
{
	char *sql = xasprintf("SELECT %s FROM outbox_mail WHERE recipient = '%s' "
			      "ORDER BY id DESC LIMIT 1", column, addr);
	char *s = text(sql);

	free(sql);
	return s;
}

/* #fraga asks the citizen a question: she gets a mail that says so and
   asks her to answer by replying (the workflow's template for the
   command), not an answer framed as one ("Svar: ...") that expects
   nothing of her; and only that mail. The question comes first, so
   that the case's history shows it. */
START_TEST(test_handler_question_mail)
{
	char *to, *subject, *body;

	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "qm1@example.se", NULL, "Det bullrar.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "qm2@kommun.example", NULL,
		     "#fraga\n\nNär på dygnet bullrar det?\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'vantar-svar'"), 1);
	subject = newest_to("anna@example.se", "subject");
	ck_assert_msg(strcmp(subject, "Fråga om ditt ärende: Buller "
			     "[KS-2026-00001]") == 0, "%s", subject);
	body = newest_to("anna@example.se", "body");
	ck_assert_msg(has_text(body, "en fråga från oss om ditt ärende "
			       "KS-2026-00001") &&
		      has_text(body, "När på dygnet bullrar det?") &&
		      has_text(body, "Svara på frågan genom att svara på det "
			       "här mejlet"), "%s", body);
	/* the acknowledgement and the question: no answer besides */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "recipient = 'anna@example.se'"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "recipient = 'anna@example.se' AND subject "
			       "LIKE 'Svar:%'"), 0);
	free(body);
	deliver_mail("anna@example.se", "arende@kommun.example", subject,
		     "qm3@example.se", NULL, "På nätterna.");
	/* colleagues read the question itself in the case's history */
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, " -> När på dygnet bullrar det?") != NULL,
		      "%s", body);
	free(subject);
	free(body);
	free(to);
}
END_TEST

/* Runs the engine again once every retry is due. */
static void
retry_all(void)
{
	struct engine_stats stats = { 0 };
	char *err = NULL;

	ck_assert_msg(engine_drain(engine, cirm_now() + 10 * 86400, &stats,
				   &err) == 0, "%s", err);
}

/* A handler's reply whose handling fails at every attempt (here the
   history cannot take the command's event: a fault of cirm's, not of
   the mail) is not left in the quarantine unnoticed: what it did is
   undone and the handler is told, once, with the error; a citizen's
   mail that fails so goes there as before, with nobody told. */
START_TEST(test_handler_told_of_failure)
{
	char *to, *body, *subj, *state, *err = NULL;
	int64_t before;

	to = eva_notified("f1@example.se", "Det bullrar.");
	state = text("SELECT state FROM cases");
	ck_assert_msg(store_exec(store,
		"CREATE TRIGGER broken BEFORE INSERT ON event WHEN "
		"new.kind LIKE 'cmd.%' BEGIN SELECT RAISE(ABORT, "
		"'the history is broken'); END", &err) == 0, "%s", err);
	before = count("SELECT count(*) FROM outbox");
	deliver_mail("eva@kommun.example", to, "SV: [KS-2026-00001] Buller",
		     "f2@kommun.example", NULL, "#klar\nVi har åtgärdat det.");
	/* the first attempt failed: it waits, and nobody is told yet */
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), before);
	retry_all();
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'gave up after 2 attempts: %history is "
			       "broken%'"), 1);
	/* one notice, to Eva; nothing to Anna, and the case as it was */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox") - before, 1);
	subj = newest_to("eva@kommun.example", "subject");
	ck_assert_str_eq(subj, "Ditt meddelande har inte behandlats "
			 "[KS-2026-00001]");
	body = newest_to("eva@kommun.example", "body");
	/* the error is the administrator's: it may name the server's
	   files */
	ck_assert_msg(has_text(body, "Ingenting har ändrats i något ärende") &&
		      has_text(body, "inte heller när det försökte igen") &&
		      has_text(body, "Administratören ser felet med cirmctl "
			       "quarantine show 1.") &&
		      !has_text(body, "history is broken") &&
		      has_text(body, "Ditt svar har inte nått ärendet, och "
			       "ingen har fått det") &&
		      has_text(body, "cirmctl quarantine release 1"),
		      "%s", body);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE body_full "
			       "LIKE '%åtgärdat%'"), 0);
	free(body);
	body = text("SELECT state FROM cases");
	ck_assert_str_eq(body, state);
	free(body);
	free(subj);

	/* Anna's mail that fails so is quarantined, and nobody is told */
	ck_assert_msg(store_exec(store,
		"CREATE TRIGGER broken2 BEFORE INSERT ON message WHEN "
		"new.body_full LIKE '%trasig%' BEGIN SELECT RAISE(ABORT, "
		"'the messages are broken'); END", &err) == 0, "%s", err);
	before = count("SELECT count(*) FROM outbox");
	deliver_mail("anna@example.se", "arende@kommun.example", "Trasig",
		     "f3@example.se", NULL, "En trasig lampa.");
	retry_all();
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), before);

	/* a mail in Eva's name that failed before cirm could see it was
	   hers (authenticated, her answer on her case): nobody is told */
	ck_assert_msg(store_exec(store, "ALTER TABLE message RENAME COLUMN "
				 "dedupe_key TO dk", &err) == 0, "%s", err);
	deliver_mail("eva@kommun.example", to, "SV: [KS-2026-00001] Buller",
		     "f4@kommun.example", NULL, "#klar\n");
	retry_all();
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 3);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), before);
	free(to);
	free(state);
}
END_TEST

/* A handler's mail set aside in the quarantine is not silent: the
   handler is told why, with the quarantine's number and what to do (a
   colleague too); nobody else is, and a mailbox that answers every
   notice gets at most five an hour. */
START_TEST(test_handler_told_of_quarantine)
{
	char *to, *body, *hdr, *subj;
	char *err = NULL;
	int64_t before;

	add_handler_eva();
	ck_assert_msg(store_exec(store,
		"INSERT INTO contact (kind, name, login, language, created_at) "
		"VALUES ('handler', 'Olle Ek', 'olle', 'en', 0);"
		"INSERT INTO contact_address (contact_id, kind, address, "
		"created_at) SELECT id, 'email', 'olle@kommun.example', 0 FROM "
		"contact WHERE login = 'olle';", &err) == 0, "%s", err);
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "t1@example.se", NULL, "Det bullrar.");
	to = eva_reply_to();

	/* on the case by In-Reply-To, not the signed address */
	deliver_mail("eva@kommun.example", "arende@kommun.example",
		     "SV: [KS-2026-00001] Buller", "t2@kommun.example",
		     "In-Reply-To: <t1@example.se>\n",
		     "Vi lagar det i morgon.");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 1);
	subj = newest_to("eva@kommun.example", "subject");
	ck_assert_str_eq(subj, "Ditt meddelande har inte behandlats "
			 "[KS-2026-00001]");
	body = newest_to("eva@kommun.example", "body");
	ck_assert_msg(strstr(body, "Karantän: nummer 1\n") != NULL, "%s", body);
	ck_assert_msg(strstr(body, "Ämne: SV: [KS-2026-00001] Buller\n") !=
		      NULL, "%s", body);
	ck_assert_msg(has_text(body, "signerade svarsadress"), "%s", body);
	ck_assert_msg(has_text(body, "cirmctl quarantine release 1"), "%s",
		      body);
	hdr = newest_to("eva@kommun.example", "headers");
	/* not a handler's action: no signed address to answer on */
	ck_assert_msg(strstr(hdr, "\nReply-To:") == NULL, "%s", hdr);
	ck_assert_msg(strstr(hdr, "In-Reply-To: <t2@kommun.example>") != NULL,
		      "%s", hdr);
	ck_assert_msg(strstr(hdr, "Auto-Submitted: auto-replied") != NULL,
		      "%s", hdr);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE body LIKE "
			       "'%lagar det%'"), 0);
	free(subj);
	free(body);
	free(hdr);

	/* too big to read: the handler is told, in the number's words; of
	   a subject of kilobytes (a forged From may have sent it) the
	   notice repeats at most 150 bytes */
	{
		struct strlist l = { 0 };
		char *raw, *s;
		int n = 0;

		strlist_add(&l, "X-Cirm-Oversize: 99999999\nFrom: Eva "
			    "<EVA@kommun.example>\nSubject: Bilder");
		for (int i = 0; i < 300; i++)
			strlist_add(&l, " reklam");
		strlist_add(&l, "\nMessage-ID: <t3@kommun.example>\n\n");
		raw = strlist_join(&l);
		deliver(raw);
		body = newest_to("eva@kommun.example", "body");
		for (s = body; (s = strstr(s, "reklam")) != NULL; s++)
			n++;
		ck_assert_msg(n > 0 && n <= 150 / 7, "%d: %s", n, body);
		free(raw);
		strlist_clear(&l);
	}
	ck_assert_msg(has_text(body, "Det är på 99999999 byte"), "%s", body);
	ck_assert_msg(strstr(body, "Karantän: nummer 2\n") != NULL, "%s", body);
	free(body);
	/* one in her name that failed authentication is no mail of hers
	   to be told about */
	before = count("SELECT count(*) FROM outbox");
	deliver("X-Cirm-Oversize: 99999999\nAuthentication-Results: "
		"mx.kommun.example; dmarc=fail header.from=kommun.example\n"
		"From: eva@kommun.example\nSubject: Logga in: "
		"https://evil.example/\nMessage-ID: <t3b@evil.example>\n\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), before);
	/* a colleague answering Eva's notification, in English */
	deliver_mail("olle@kommun.example", to, "Re: Buller",
		     "t4@kommun.example", NULL, "#take\n");
	subj = newest_to("olle@kommun.example", "subject");
	ck_assert_str_eq(subj, "Your message was not processed "
			 "[KS-2026-00001]");
	body = newest_to("olle@kommun.example", "body");
	ck_assert_msg(strstr(body, "another case officer") != NULL, "%s", body);
	free(subj);
	free(body);

	/* an outsider is told nothing, whatever the reason; the handler
	   whose reply address the outsider used is, at her own address */
	before = count("SELECT count(*) FROM outbox");
	deliver_mail("mallory@example.se", to, "SV", "t5@example.se", NULL,
		     "#klar\n");
	deliver("X-Cirm-Oversize: 99999999\nFrom: big@example.se\n"
		"Subject: x\n\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 6);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), before + 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient "
			       "IN ('mallory@example.se', 'big@example.se')"),
			 0);
	body = newest_to("eva@kommun.example", "body");
	ck_assert_msg(strstr(body, "Det kom från mallory@example.se; cirm har "
			     "eva@kommun.example.") != NULL, "%s", body);
	free(body);

	/* at most five notices an hour to one handler: Eva has had three */
	for (int i = 0; i < 6; i++) {
		char id[32];

		snprintf(id, sizeof(id), "t%d@kommun.example", 10 + i);
		deliver_mail("eva@kommun.example", "arende@kommun.example",
			     "SV: [KS-2026-00001] Buller", id,
			     "In-Reply-To: <t1@example.se>\n", "Igen.");
	}
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 12);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example' AND (subject LIKE "
			       "'Ditt meddelande har inte%' OR subject LIKE "
			       "'Ett svar från en annan adress%')"), 5);
	/* nothing lost: every one of them is in the quarantine */
	ck_assert_int_eq(count("SELECT count(*) FROM inbox"), 0);
	free(to);
}
END_TEST

/* The notices to a handler counted in a batch the engine rolled back
   (a row after them failed, and the batch was handled again) were
   never sent: they do not count towards the five an hour. */
START_TEST(test_handler_notices_of_batch_handled_again)
{
	struct engine_stats stats = { 0 };
	char *err = NULL;

	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "t1@example.se", NULL, "Det bullrar.");
	/* in one batch: three of Eva's mails set aside (not to her
	   signed address), then a row nothing handles */
	for (int i = 0; i < 3; i++) {
		char id[32], *m;

		snprintf(id, sizeof(id), "t%d@kommun.example", 10 + i);
		m = mail("eva@kommun.example", "arende@kommun.example",
			 "SV: [KS-2026-00001] Buller", id,
			 "In-Reply-To: <t1@example.se>\n", "Igen.");
		ck_assert(store_inbox_put(store, "email", "test", cirm_now(),
					  NULL, m, strlen(m), NULL,
					  &err) == 1);
		free(m);
	}
	ck_assert(store_inbox_put(store, "sms", "test", cirm_now(), NULL,
				  "x", 1, NULL, &err) == 1);
	ck_assert_msg(engine_drain(engine, cirm_now() + 100000, &stats,
				   &err) == 0, "%s", err);
	ck_assert_int_eq(stats.quarantined, 4);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example' AND subject LIKE "
			       "'Ditt meddelande har inte%'"), 3);
	/* and two more this hour, not a sixth */
	for (int i = 0; i < 3; i++) {
		char id[32];

		snprintf(id, sizeof(id), "t%d@kommun.example", 20 + i);
		deliver_mail("eva@kommun.example", "arende@kommun.example",
			     "SV: [KS-2026-00001] Buller", id,
			     "In-Reply-To: <t1@example.se>\n", "Igen.");
	}
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example' AND subject LIKE "
			       "'Ditt meddelande har inte%'"), 5);
}
END_TEST

/* An action the workflow skipped in a batch the engine handled again
   (a row after it failed) is logged once: the skip the first pass
   counted was rolled back with it, and is no repeat within the minute
   that the second pass would keep quiet about. */
START_TEST(test_skip_logged_in_batch_handled_again)
{
	struct engine_stats stats = { 0 };
	char *err = NULL, *m, *log, *p;
	int64_t n = 0;

	/* no group synpunkter: the new case's set group is skipped */
	m = mail("anna@example.se", "arende@kommun.example", "Buller",
		 "s1@example.se", NULL, "Det bullrar.");
	ck_assert(store_inbox_put(store, "email", "test", cirm_now(), NULL, m,
				  strlen(m), NULL, &err) == 1);
	free(m);
	ck_assert(store_inbox_put(store, "sms", "test", cirm_now(), NULL,
				  "x", 1, NULL, &err) == 1);
	tu_stderr_capture(dir);
	ck_assert_msg(engine_drain(engine, cirm_now() + 100000, &stats,
				   &err) == 0, "%s", err);
	log = tu_stderr_captured();
	/* each skipped action once */
	for (p = log; (p = strstr(p, "no handler group synpunkter")) != NULL;
	     p++)
		n++;
	ck_assert_msg(n > 0 && n == count("SELECT count(*) FROM event WHERE "
					  "kind = 'action.skipped'"),
		      "%s", log);
	ck_assert_msg(strstr(log, "also skipped") == NULL, "%s", log);
	free(log);
}
END_TEST

/* A handler who answers a notification from another address than the
   one cirm has (an alias, a shared mailbox) is not silently ignored:
   the reply changes nothing, and the handler is told at the address
   cirm has, in the handler's language; a disabled handler is not. */
START_TEST(test_handler_other_address_told)
{
	char *to, *body, *subj;
	char *err = NULL;

	to = eva_notified("o1@example.se", "Det bullrar.");
	deliver_mail("\"Eva Ek\" <Eva.Ek@kommun.example>", to, "SV: Buller",
		     "o2@kommun.example", NULL, "#ta\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE assignee_id "
			       "IS NULL"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva.ek@kommun.example'"), 0);
	/* not called hers: it may be anybody's */
	subj = newest_to("eva@kommun.example", "subject");
	ck_assert_str_eq(subj, "Ett svar från en annan adress har inte "
			 "behandlats [KS-2026-00001]");
	body = newest_to("eva@kommun.example", "body");
	ck_assert_msg(has_text(body, "Ett meddelande till svarsadressen i en "
			       "avisering till dig kom från en annan adress "
			       "än din"), "%s", body);
	ck_assert_msg(has_text(body, "Det kom från eva.ek@kommun.example; cirm "
			       "har eva@kommun.example."), "%s", body);
	ck_assert_msg(strstr(body, "cirmctl handler set") != NULL, "%s", body);
	free(subj);
	free(body);

	/* disabled: nothing more goes to her */
	ck_assert_msg(store_exec(store, "UPDATE contact SET active = 0 "
				 "WHERE login = 'eva'", &err) == 0, "%s", err);
	deliver_mail("eva.ek@kommun.example", to, "SV: Buller",
		     "o3@kommun.example", NULL, "#ta\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE subject "
			       "LIKE 'Ett svar från en annan adress%'"), 1);
	free(to);
}
END_TEST

/* A handler's reply to a reply address whose signature does not verify
   (a notification from before the key changed) is not carried out, and
   the handler, whose mail authenticated, is told; an outsider writing
   to such an address is told nothing, nor is the handler. */
START_TEST(test_handler_bad_token_told)
{
	char *to, *body;
	int64_t before;

	to = eva_notified("b1@example.se", "Det bullrar.");
	/* the last hex digit of the signature, changed */
	to[strcspn(to, "@") - 1] = to[strcspn(to, "@") - 1] == '0' ? '1' : '0';
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "b2@kommun.example", NULL, "#ta\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE assignee_id "
			       "IS NULL"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE '%signature does not verify%'"), 1);
	body = newest_to("eva@kommun.example", "body");
	ck_assert_msg(strstr(body, "signatur inte stämmer") != NULL &&
		      strstr(body, "Karantän: nummer 1\n") != NULL, "%s", body);
	free(body);
	before = count("SELECT count(*) FROM outbox_mail");
	deliver_mail("mallory@example.se", to, "SV: Buller", "b3@example.se",
		     NULL, "#ta\n");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "b4@kommun.example",
		     "Authentication-Results: mx.kommun.example; dmarc=fail "
		     "header.from=kommun.example\n", "#ta\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 3);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), before);
	free(to);
}
END_TEST

/* The Reply-To in HEADERS (caller frees). */
static char *
reply_to_of(const char *headers)
{
	const char *p = strstr(headers, "\nReply-To: ");

	ck_assert_ptr_nonnull(p);
	p += 11;
	return xstrndup(p, strcspn(p, "\n"));
}

/* A reply to all with two signed addresses of the case: the one that
   names the sender counts, whichever comes first. Eva's with Anna's
   address first is Eva's; Anna's with Eva's (passed on to her) first
   is Anna's. */
START_TEST(test_two_signed_addresses)
{
	char *eva_to, *anna_to, *hdr, *to;

	eva_to = eva_notified("t1@example.se", "Det bullrar.");
	hdr = newest_to("anna@example.se", "headers");
	anna_to = reply_to_of(hdr);
	free(hdr);
	to = xasprintf("%s, %s", anna_to, eva_to);
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "t2@kommun.example", NULL, "#ta\n");
	free(to);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE assignee_id "
			       "IS NOT NULL"), 1);
	to = xasprintf("%s, %s", eva_to, anna_to);
	deliver_mail("anna@example.se", to, "SV: Buller", "t3@example.se",
		     NULL, "Det bullrar fortfarande.");
	free(to);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE direction = "
			       "'in' AND body_stripped = 'Det bullrar "
			       "fortfarande.'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	free(anna_to);
	free(eva_to);
}
END_TEST

/* A command refused for its roles names every role that may use it,
   with the handler group each is, which is what the administrator
   adds a handler to; the notification lists only the commands the
   handler it goes to may use. */
START_TEST(test_handler_role_refused)
{
	char *to, *hdr, *kim, *body;
	char *err = NULL;

	add_handler_eva();
	ck_assert_msg(store_exec(store,
		"INSERT INTO contact (kind, name, login, language, created_at) "
		"VALUES ('handler', 'Kim Ek', 'kim', 'sv', 0);"
		"INSERT INTO contact_address (contact_id, kind, address, "
		"created_at) SELECT id, 'email', 'kim@kommun.example', 0 FROM "
		"contact WHERE login = 'kim';", &err) == 0, "%s", err);
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "g1@example.se", NULL, "Det bullrar.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "g2@kommun.example", NULL,
		     "#tilldela kim\n");
	hdr = newest_to("kim@kommun.example", "headers");
	kim = reply_to_of(hdr);
	body = newest_to("kim@kommun.example", "body");
	ck_assert_msg(strstr(body, "  #eskalera ") != NULL &&
		      strstr(body, "  #notering ") != NULL &&
		      strstr(body, "  #klar ") == NULL &&
		      strstr(body, "  #ta ") == NULL, "%s", body);
	free(body);
	body = newest_to("eva@kommun.example", "body");
	ck_assert_msg(strstr(body, "  #klar ") != NULL, "%s", body);
	free(body);
	deliver_mail("kim@kommun.example", kim, "SV", "g3@kommun.example", NULL,
		     "#klar\nKlart.\n");
	body = newest_to("kim@kommun.example", "body");
	ck_assert_msg(has_text(body, "#klar\n      utförs inte: bara för "
			       "rollerna handlaggare (gruppen synpunkter) "
			       "eller chef (gruppen ledning)\n"), "%s", body);
	free(body);
	free(kim);
	free(hdr);
	free(to);
}
END_TEST

/* The longest line of TEXT, in characters. */
static size_t
longest_line(const char *text)
{
	size_t longest = 0;

	for (const char *p = text; *p != '\0';) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n);

		if (utf8_length(line) > longest)
			longest = utf8_length(line);
		free(line);
		p += n + (p[n] == '\n');
	}
	return longest;
}

/* The mail telling a case officer that the case has a new one (after
   a colleague's #tilldela) is wrapped as the other mail to handlers
   is, at 72 characters, not one long line. */
START_TEST(test_new_case_officer_mail_wrapped)
{
	char *to, *kim_to, *body, *err = NULL;
	int64_t kim;

	add_handler_eva();
	ck_assert_msg(store_exec(store,
		"INSERT INTO contact (kind, name, login, language, created_at) "
		"VALUES ('handler', 'Kim Ek', 'kim', 'sv', 0);"
		"INSERT INTO contact_address (contact_id, kind, address, "
		"created_at) SELECT id, 'email', 'kim@kommun.example', 0 FROM "
		"contact WHERE login = 'kim';"
		"INSERT INTO group_member SELECT g.id, c.id FROM handler_group g, "
		"contact c WHERE g.name = 'synpunkter' AND c.login = 'kim';",
		&err) == 0, "%s", err);
	kim = count("SELECT id FROM contact WHERE login = 'kim'");
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "aw1@example.se", NULL, "Det bullrar.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "aw2@kommun.example", NULL,
		     "#ta\n");
	kim_to = token_address(mi->key, "arende@kommun.example",
			       "KS-2026-00001", kim);
	deliver_mail("kim@kommun.example", kim_to, "SV", "aw3@kommun.example",
		     NULL, "#tilldela kim\n");
	body = newest_to("eva@kommun.example", "body");
	ck_assert_msg(has_text(body, "handläggs nu av Kim Ek, inte längre av "
			       "dig"), "%s", body);
	ck_assert_msg(longest_line(body) <= 72, "%zu:\n%s",
		      longest_line(body), body);
	free(body);
	free(kim_to);
	free(to);
}
END_TEST

/* A handler whose case another takes over, or gives to someone else,
   is told so, in the handler's language, and can take it back by
   answering; who gives a case away is not told. */
START_TEST(test_former_assignee_told)
{
	char *to, *olle_to, *hdr, *body, *back;
	int64_t olle;

	add_handler_eva();
	add_olle("en");
	olle = count("SELECT id FROM contact WHERE login = 'olle'");
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "f1@example.se", NULL, "Det bullrar.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "f2@kommun.example", NULL,
		     "#ta\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases c JOIN contact h ON "
			       "h.id = c.assignee_id WHERE h.login = 'eva'"), 1);

	/* Olle takes it: Eva is told, with a way to take it back */
	olle_to = token_address(mi->key, "arende@kommun.example",
				"KS-2026-00001", olle);
	deliver_mail("olle@kommun.example", olle_to, "Re", "f3@kommun.example",
		     NULL, "#take\n");
	ck_assert_int_eq(count("SELECT assignee_id FROM cases"), olle);
	body = newest_to("eva@kommun.example", "subject");
	ck_assert_str_eq(body, "Ärendet har fått en ny handläggare "
			 "[KS-2026-00001] Buller");
	free(body);
	body = newest_to("eva@kommun.example", "body");
	ck_assert_msg(has_text(body, "handläggs nu av Olle Ek, inte längre av "
			       "dig"), "%s", body);
	free(body);
	/* and Olle knows whose it was, in his language */
	body = newest_to("olle@kommun.example", "subject");
	ck_assert_str_eq(body, "You took over the case [KS-2026-00001] "
			 "Buller");
	free(body);
	body = newest_to("olle@kommun.example", "body");
	ck_assert_msg(has_text(body, "Eva Ek had the case KS-2026-00001 "
			       "(Buller). It is yours now, and Eva Ek has been "
			       "told.") &&
		      has_text(body, "#assign eva to give it back"), "%s",
		      body);
	free(body);
	hdr = newest_to("eva@kommun.example", "headers");
	back = reply_to_of(hdr);
	free(hdr);
	/* kept on the case, not for the citizen */
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE visibility = "
			       "'internal' AND subject LIKE 'Ärendet har fått%'"),
			 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se' AND subject LIKE '%handläggare%'"),
			 0);

	/* taking one's own case again tells nobody */
	deliver_mail("olle@kommun.example", olle_to, "Re", "f4@kommun.example",
		     NULL, "#take\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE subject LIKE "
			       "'%new case officer%' OR subject LIKE "
			       "'%ny handläggare%'"), 1);

	/* Eva answers the notice with #ta: hers again; Olle is told, in
	   English */
	deliver_mail("eva@kommun.example", back, "SV", "f5@kommun.example",
		     NULL, "#ta\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases c JOIN contact h ON "
			       "h.id = c.assignee_id WHERE h.login = 'eva'"), 1);
	body = newest_to("olle@kommun.example", "body");
	ck_assert_msg(has_text(body, "is now handled by Eva Ek, no longer by "
			       "you"), "%s", body);
	free(body);

	/* Eva gives it to Olle herself: she is not told, he is notified by
	   the workflow */
	deliver_mail("eva@kommun.example", back, "SV", "f6@kommun.example",
		     NULL, "#tilldela olle\n");
	ck_assert_int_eq(count("SELECT assignee_id FROM cases"), olle);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example' AND subject LIKE "
			       "'%ny handläggare%'"), 1);
	/* ...in his language, naming him as the case officer, not the
	   one before nor "none yet" */
	body = newest_to("olle@kommun.example", "body");
	ck_assert_msg(strstr(body, "Eva Ek has given you case "
			     "KS-2026-00001.\n") != NULL &&
		      strstr(body, "Case officer: Olle Ek\n") != NULL &&
		      /* what he is to work on */
		      has_text(body, "The citizen's latest message:\n\n"
			       "Det bullrar.\n"), "%s", body);
	free(body);
	free(back);
	free(olle_to);
	free(to);
}
END_TEST

/* A colleague's answer to the citizen of Eva's case: it goes, and Eva,
   whose case it stays, is told what went, with a Reply-To for her. Her
   own answers tell nobody. */
START_TEST(test_colleague_answer_told)
{
	char *to, *olle_to, *body, *hdr, *back;
	int64_t olle, to_eva;

	add_handler_eva();
	add_olle("sv");
	olle = count("SELECT id FROM contact WHERE login = 'olle'");
	deliver_mail("anna@example.se", "arende@kommun.example", "Snöröjning",
		     "ca1@example.se", NULL, "Ingen har plogat.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "ca2@kommun.example", NULL,
		     "#ta\n\nVi plogar i dag.\n");
	to_eva = count("SELECT count(*) FROM outbox WHERE recipient = "
		       "'eva@kommun.example'");

	olle_to = token_address(mi->key, "arende@kommun.example",
				"KS-2026-00001", olle);
	deliver_mail("olle@kommun.example", olle_to, "SV", "ca3@kommun.example",
		     NULL, "Plogbilen kommer i morgon bitti.\n");
	body = newest_body("anna@example.se");
	ck_assert_msg(strstr(body, "Plogbilen kommer i morgon bitti.") != NULL,
		      "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example'"), to_eva + 1);
	body = newest_to("eva@kommun.example", "subject");
	ck_assert_str_eq(body, "Olle Ek har svarat invånaren [KS-2026-00001] "
			 "Snöröjning");
	free(body);
	body = newest_to("eva@kommun.example", "body");
	ck_assert_msg(has_text(body, "Olle Ek har svarat invånaren i ditt "
			       "ärende KS-2026-00001 (Snöröjning). Det här gick "
			       "till invånaren:\n\nPlogbilen kommer i morgon "
			       "bitti.\n") &&
		      has_text(body, "Ärendet är fortfarande ditt."), "%s", body);
	free(body);
	/* her Reply-To is hers: her answer from it is hers; in the thread
	   of the case's notifications */
	hdr = newest_to("eva@kommun.example", "headers");
	ck_assert_msg(strstr(hdr, "References: <KS-2026-00001.case@kommun."
			     "example>\n") != NULL, "%s", hdr);
	back = reply_to_of(hdr);
	free(hdr);
	ck_assert_int_eq(count("SELECT count(*) FROM cases c JOIN contact h ON "
			       "h.id = c.assignee_id WHERE h.login = 'eva'"), 1);
	deliver_mail("eva@kommun.example", back, "SV", "ca4@kommun.example",
		     NULL, "Förlåt, plogbilen kommer i morgon.\n");
	body = newest_body("anna@example.se");
	ck_assert_msg(strstr(body, "Förlåt") != NULL, "%s", body);
	free(body);
	/* nobody told of her own answer; Olle is no assignee */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient "
			       "IN ('eva@kommun.example', "
			       "'olle@kommun.example') AND subject LIKE "
			       "'%har svarat invånaren%'"), 1);
	/* a note of Olle's is no answer: nobody is told */
	deliver_mail("olle@kommun.example", olle_to, "SV", "ca5@kommun.example",
		     NULL, "#notering\n\nAnna ringde också.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE subject LIKE "
			       "'%har svarat invånaren%'"), 1);
	free(back);
	free(olle_to);
	free(to);
}
END_TEST

/* The citizen wrote about one thing twice: #slå-ihop KS-... closes the
   duplicate into the case kept, the citizen is told on their channel,
   the kept case's officer is told what joined it, and later mail on the
   duplicate joins the kept case. Only another open case of the same
   citizen, that the officer may read; anything else is refused and
   changes nothing. */
START_TEST(test_merge)
{
	char *to, *olle_to, *body, *hdr, *id, *reply, *back;
	int64_t olle;

	add_handler_eva();
	add_olle("sv");
	olle = count("SELECT id FROM contact WHERE login = 'olle'");
	deliver_mail("Anna Andersson <anna@example.se>",
		     "arende@kommun.example", "Buller", "mg1@example.se", NULL,
		     "Det bullrar från bygget på natten.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "mg2@kommun.example", NULL,
		     "#ta\n");
	deliver_mail("Anna Andersson <anna@example.se>",
		     "arende@kommun.example", "Bygget", "mg3@example.se", NULL,
		     "Bygget låter fortfarande hela natten.");
	deliver_mail("bo@example.se", "arende@kommun.example", "Bygge",
		     "mg4@example.se", NULL, "Bullrigt bygge.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 3);
	olle_to = token_address(mi->key, "arende@kommun.example",
				"KS-2026-00002", olle);
	deliver_mail("olle@kommun.example", olle_to, "SV", "mg5@kommun.example",
		     NULL, "#ta\n");

	/* refused, each with its reason, and nothing changes */
	deliver_mail("olle@kommun.example", olle_to, "SV", "mg6@kommun.example",
		     NULL, "#slå-ihop\n");
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "#slå-ihop\n utförs inte: ange numret på "
			       "det ärende som ska behållas"), "%s", body);
	free(body);
	deliver_mail("olle@kommun.example", olle_to, "SV", "mg7@kommun.example",
		     NULL, "#slå-ihop KS-2026-3\n");
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "utförs inte: det ärendet gäller en "
			       "annan invånare; bara samma invånares ärenden "
			       "slås ihop"), "%s", body);
	free(body);
	deliver_mail("olle@kommun.example", olle_to, "SV", "mg8@kommun.example",
		     NULL, "#sla-ihop [KS-2026-00002]\n");
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "utförs inte: det är det här ärendet"),
		      "%s", body);
	free(body);
	deliver_mail("olle@kommun.example", olle_to, "SV", "mg9@kommun.example",
		     NULL, "#slå-ihop KS-2026-99\n");
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "utförs inte: inget ärende har det numret"),
		      "%s", body);
	free(body);
	/* a text would reach the citizen: the command takes none */
	deliver_mail("olle@kommun.example", olle_to, "SV", "mg10@kommun.example",
		     NULL, "#slå-ihop KS-2026-1\n\nSamma som förra.\n");
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "utförs inte: tar ingen text till "
			       "invånaren"), "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE closed_at IS "
			       "NULL AND merged_into IS NULL"), 3);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), 2);

	/* merged, written short as case officers do */
	deliver_mail("olle@kommun.example", olle_to, "SV", "mg11@kommun.example",
		     NULL, "#slå-ihop KS-2026-1\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE id = 2 AND "
			       "merged_into = 1 AND closed_at IS NOT NULL AND "
			       "state = 'avslutad'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE id = 1 AND "
			       "closed_at IS NULL"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE case_id = 1 "
			       "AND kind = 'case.merged' AND detail = "
			       "'KS-2026-00002'"), 1);
	/* the citizen is told where it went */
	body = newest_to("anna@example.se", "subject");
	ck_assert_str_eq(body, "Ditt ärende har slagits ihop med KS-2026-00001 "
			 "[KS-2026-00002]");
	free(body);
	body = newest_body("anna@example.se");
	ck_assert_msg(has_text(body, "Svar får du i fortsättningen i ärende "
			       "KS-2026-00001."), "%s", body);
	free(body);
	/* Eva, whose case was kept, is told what joined it, with a Reply-To
	   for the case kept; Olle, who merged it, is not */
	body = newest_to("eva@kommun.example", "subject");
	ck_assert_str_eq(body, "KS-2026-00002 har slagits ihop med ditt ärende "
			 "[KS-2026-00001] Buller");
	free(body);
	body = newest_to("eva@kommun.example", "body");
	ck_assert_msg(has_text(body, "Olle Ek har slagit ihop ärende "
			       "KS-2026-00002 med ditt ärende KS-2026-00001") &&
		      has_text(body, "Senaste meddelandet i KS-2026-00002:\n\n"
			       "Bygget låter fortfarande hela natten.\n"),
		      "%s", body);
	free(body);
	hdr = newest_to("eva@kommun.example", "headers");
	back = reply_to_of(hdr);
	ck_assert_msg(strcasestr(back, "+ks-2026-00001.") != NULL, "%s", back);
	free(hdr);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'olle@kommun.example' AND subject LIKE "
			       "'%slagits ihop%'"), 0);

	/* Anna answers the notice: her mail joins the case kept */
	id = text("SELECT rfc_message_id FROM outbox WHERE recipient = "
		  "'anna@example.se' ORDER BY id DESC LIMIT 1");
	reply = xasprintf("In-Reply-To: <%s>\nReferences: <%s>\n", id, id);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Re: Ditt ärende har slagits ihop", "mg12@example.se",
		     reply, "Tack. Det var i natt igen.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 3);
	ck_assert_int_eq(count("SELECT case_id FROM message WHERE "
			       "rfc_message_id = 'mg12@example.se'"), 1);
	/* ...and so does a mail naming the merged case in its subject */
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Ang. [KS-2026-00002]", "mg13@example.se", NULL,
		     "Nu igen.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 3);
	ck_assert_int_eq(count("SELECT case_id FROM message WHERE "
			       "rfc_message_id = 'mg13@example.se'"), 1);

	/* Olle's old notification of the merged case runs nothing, and
	   says where the work goes on */
	deliver_mail("olle@kommun.example", olle_to, "SV", "mg14@kommun.example",
		     NULL, "#klar\n\nNu är det åtgärdat.\n");
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "utförs inte: ärendet är avslutat; det "
			       "har slagits ihop med KS-2026-00001") &&
		      /* a retry goes to the case kept */
		      has_text(body, "kommandona i ett svar på det här mejlet "
			       "gäller KS-2026-00001."), "%s", body);
	free(body);
	hdr = newest_to("olle@kommun.example", "headers");
	{
		char *rt = reply_to_of(hdr);

		ck_assert_msg(strcasestr(rt, "+ks-2026-00001.") != NULL, "%s",
			      rt);
		free(rt);
	}
	free(hdr);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE id = 1 AND "
			       "state = 'tilldelad'"), 1);
	/* nor does a plain answer go to the citizen from there: Olle is
	   told where the case went, with a Reply-To for the case kept */
	{
		int64_t to_anna = count("SELECT count(*) FROM outbox WHERE "
					"recipient = 'anna@example.se'");
		char *ohdr, *oback;

		deliver_mail("olle@kommun.example", olle_to, "SV",
			     "mg14a@kommun.example", NULL,
			     "Vi har pratat med byggfirman.\n");
		ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE "
				       "recipient = 'anna@example.se'"),
				 to_anna);
		body = newest_to("olle@kommun.example", "subject");
		ck_assert_str_eq(body, "Ditt svar skickades inte "
				 "[KS-2026-00002]");
		free(body);
		body = newest_body("olle@kommun.example");
		ck_assert_msg(has_text(body, "ärende KS-2026-00002 har slagits "
				       "ihop med KS-2026-00001"), "%s", body);
		free(body);
		ck_assert_int_eq(count("SELECT count(*) FROM event WHERE "
				       "case_id = 2 AND kind = "
				       "'handler.refused' AND detail = "
				       "'case merged'"), 1);
		/* answered, it goes to Anna on the case kept */
		ohdr = newest_to("olle@kommun.example", "headers");
		oback = reply_to_of(ohdr);
		ck_assert_msg(strcasestr(oback, "+ks-2026-00001.") != NULL,
			      "%s", oback);
		deliver_mail("olle@kommun.example", oback, "SV",
			     "mg14c@kommun.example", NULL,
			     "Vi har pratat med byggfirman.\n");
		ck_assert_int_eq(count("SELECT case_id FROM outbox WHERE "
				       "recipient = 'anna@example.se' ORDER "
				       "BY id DESC LIMIT 1"), 1);
		body = newest_body("anna@example.se");
		ck_assert_msg(has_text(body, "Vi har pratat med byggfirman."),
			      "%s", body);
		free(body);
		free(oback);
		free(ohdr);
	}

	/* #visa says so too */
	deliver_mail("olle@kommun.example", "arende@kommun.example", "Visa",
		     "mg14b@kommun.example", NULL, "#visa KS-2026-2\n");
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "Sammanslaget med: KS-2026-00001"), "%s",
		      body);
	free(body);
	deliver_mail("olle@kommun.example", "arende@kommun.example", "Visa",
		     "mg14d@kommun.example", NULL, "#visa KS-2026-1\n");
	body = newest_body("olle@kommun.example");
	/* with the merged case's messages after its own, the read logged */
	ck_assert_msg(has_text(body, "Sammanslagna hit: KS-2026-00002") &&
		      strstr(body, "--- KS-2026-00002, sammanslaget hit ---") !=
		      NULL && strstr(strstr(body, "--- KS-2026-00002,"),
				     "Bygget låter fortfarande hela natten.") !=
		      NULL, "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = "
			       "'case.read' AND object = 'KS-2026-00002' AND "
			       "detail = 'by mail, merged'"), 1);

	/* nor is a case merged into a merged one */
	deliver_mail("Anna Andersson <anna@example.se>",
		     "arende@kommun.example", "Bygget igen", "mg15@example.se",
		     NULL, "Fortfarande buller.");
	free(to);
	to = token_address(mi->key, "arende@kommun.example", "KS-2026-00004",
			   count("SELECT id FROM contact WHERE login = 'eva'"));
	deliver_mail("eva@kommun.example", to, "SV", "mg16@kommun.example",
		     NULL, "#slå-ihop KS-2026-2\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "utförs inte: det ärendet är avslutat; det "
			       "har slagits ihop med KS-2026-00001"), "%s", body);
	free(body);

	/* the case kept merged in its turn: the first merged one follows
	   it, so its mail reaches the case open now */
	deliver_mail("eva@kommun.example", back, "SV", "mg17@kommun.example",
		     NULL, "#slå-ihop KS-2026-4\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE merged_into = "
			       "4"), 2);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Ang. [KS-2026-00002]", "mg18@example.se", NULL,
		     "Och i morse.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 4);
	ck_assert_int_eq(count("SELECT case_id FROM message WHERE "
			       "rfc_message_id = 'mg18@example.se'"), 4);

	/* the case kept is deleted first (retention: another workflow's
	   shorter time): the links go with it, so that the next case
	   given its id, another citizen's, gets none of Anna's mail */
	{
		char *err = NULL;
		long gone = 0;

		ck_assert_int_eq(store_exec(store, "UPDATE cases SET closed_at "
					    "= 1 WHERE id = 4; UPDATE outbox "
					    "SET status = 'sent'; PRAGMA "
					    "foreign_keys = OFF", &err), 0);
		ck_assert_int_eq(store_begin(store, &err), 0);
		ck_assert_msg(store_pending_cases(store, &err) == 0 &&
			      store_case_remove(store, 4, cirm_now(), &gone,
						&err) == 1, "%s", err);
		ck_assert_int_eq(store_commit(store, &err), 0);
		ck_assert_int_eq(store_exec(store, "PRAGMA foreign_keys = ON",
					    &err), 0);
	}
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE merged_into "
			       "IS NOT NULL"), 0);
	deliver_mail("bo@example.se", "arende@kommun.example", "Parkering",
		     "mg19@example.se", NULL, "Bilar på trottoaren.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE id = 4"), 1);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Ang. [KS-2026-00002]", "mg20@example.se", NULL,
		     "Fortfarande.");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE case_id = 4 "
			       "AND rfc_message_id = 'mg20@example.se'"), 0);
	free(back);
	free(reply);
	free(id);
	free(olle_to);
	free(to);
}
END_TEST

/* A case officer away (#borta): their cases' notifications go to the
   group, nobody can give them a case, and #tillbaka ends it. */
START_TEST(test_away)
{
	char *to, *body, *cmd, *own, day[LOCAL_DAY_SIZE], later[LOCAL_DAY_SIZE];
	int64_t eva_mails;

	to = eva_notified("aw1@example.se", "Det bullrar.");
	add_olle("sv");
	deliver_mail("eva@kommun.example", to, "SV", "aw2@kommun.example", NULL,
		     "#ta\n");
	/* taken only at her own address, which the answer gives */
	own = token_address_handler(mi->key, "arende@kommun.example",
				    count("SELECT id FROM contact WHERE login "
					  "= 'eva'"), 0);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "Borta",
		     "aw2b@kommun.example", NULL, "#lista\n#borta 2027-01-05\n");
	body = newest_body("eva@kommun.example");
	cmd = xasprintf("utförs inte: #borta och #tillbaka tar cirm bara emot "
			"på din egen adress, %s,", own);
	ck_assert_msg(has_text(body, cmd) &&
		      has_text(body, "Skrev du inte det här har någon skrivit "
			       "i ditt namn; ingenting har ändrats.") &&
		      /* the rest is done */
		      strstr(body, "KS-2026-00001") != NULL, "%s", body);
	free(cmd);
	free(body);
	body = newest_to("eva@kommun.example", "headers");
	cmd = xasprintf("Reply-To: %s\n", own);
	ck_assert_msg(strstr(body, cmd) != NULL, "%s", body);
	free(cmd);
	free(body);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "Åter",
		     "aw2c@kommun.example", NULL, "#tillbaka\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "utförs inte: #borta och #tillbaka"),
		      "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE away_until "
			       "IS NOT NULL"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action LIKE "
			       "'handler.%'"), 0);

	/* what is no day, or a day past, changes nothing */
	deliver_mail("eva@kommun.example", own, "Borta",
		     "aw3@kommun.example", NULL, "#borta på fredag\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "skriv sista dagen du är borta, som i "
			       "#borta 2026-12-20"), "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", own, "Borta",
		     "aw3b@kommun.example", NULL, "#borta 2027-02-30\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "det datumet finns inte"), "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", own, "Borta",
		     "aw4@kommun.example", NULL, "#borta 2020-01-01\n");
	body = newest_body("eva@kommun.example");
	/* and lists no cases to hand over */
	ck_assert_msg(has_text(body, "den dagen har redan varit") &&
		      strstr(body, "KS-2026-00001") == NULL, "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE away_until "
			       "IS NOT NULL"), 0);

	/* away until the day after tomorrow, inclusive, written "D/M" */
	local_day(cirm_now() + 2 * 86400, day);
	cmd = xasprintf("#borta %d/%d\n", atoi(day + 8), atoi(day + 5));
	deliver_mail("eva@kommun.example", own, "Borta",
		     "aw5@kommun.example", NULL, cmd);
	free(cmd);
	body = newest_body("eva@kommun.example");
	cmd = xasprintf("Du är borta till och med %s.", day);
	ck_assert_msg(has_text(body, cmd) &&
		      /* her cases, to hand over */
		      strstr(body, "KS-2026-00001") != NULL, "%s", body);
	free(cmd);
	free(body);
	/* the day as the calendar has it */
	cmd = xasprintf("SELECT count(*) FROM audit WHERE action = "
			"'handler.away' AND actor = 'mail:eva' AND "
			"detail = '%s'", day);
	ck_assert_int_eq(count(cmd), 1);
	free(cmd);
	/* refused while away: the absence as it stands */
	deliver_mail("eva@kommun.example", own, "Borta",
		     "aw5b@kommun.example", NULL, "#borta 2099-01-01\n");
	body = newest_body("eva@kommun.example");
	cmd = xasprintf("Du är fortfarande borta till och med %s.", day);
	ck_assert_msg(has_text(body, "högst ett år framåt; för längre (upp "
			       "till två år), be administratören") &&
		      has_text(body, cmd), "%s", body);
	free(cmd);
	free(body);

	/* Anna writes again: Olle, of the group, is told, not Eva */
	eva_mails = count("SELECT count(*) FROM outbox WHERE recipient = "
			  "'eva@kommun.example'");
	deliver_mail("anna@example.se", "arende@kommun.example", "Re: Buller",
		     "aw6@example.se", "In-Reply-To: <aw1@example.se>\n",
		     "Nu igen.");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example'"), eva_mails);
	body = newest_to("olle@kommun.example", "body");
	cmd = xasprintf("Handläggare: Eva Ek (borta till och med %s)", day);
	ck_assert_msg(has_text(body, "Nu igen.") && has_text(body, cmd), "%s",
		      body);
	free(cmd);
	free(body);
	/* and the history says where the notification went */
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'notify' AND detail = 'assignee''s group (the "
			       "assignee is away or has left)'"), 1);
	/* Olle answers Anna meanwhile: Eva is told, to read when back */
	eva_mails = count("SELECT count(*) FROM outbox WHERE recipient = "
			  "'eva@kommun.example'");
	cmd = token_address(mi->key, "arende@kommun.example", "KS-2026-00001",
			    count("SELECT id FROM contact WHERE login = "
				  "'olle'"));
	deliver_mail("olle@kommun.example", cmd, "SV", "aw6b@kommun.example",
		     NULL, "Vi tittar på det i morgon.\n");
	free(cmd);
	body = newest_to("eva@kommun.example", "subject");
	ck_assert_msg(count("SELECT count(*) FROM outbox WHERE recipient = "
			    "'eva@kommun.example'") == eva_mails + 1 &&
		      strstr(body, "Olle Ek har svarat invånaren") != NULL,
		      "%s", body);
	free(body);
	/* and nobody can give her a case meanwhile */
	deliver_mail("bo@example.se", "arende@kommun.example", "Skylt",
		     "aw7@example.se", NULL, "Skylten är borta.");
	free(to);
	to = token_address(mi->key, "arende@kommun.example", "KS-2026-00002",
			   count("SELECT id FROM contact WHERE login = "
				 "'olle'"));
	deliver_mail("olle@kommun.example", to, "SV", "aw8@kommun.example",
		     NULL, "#tilldela eva\n");
	body = newest_body("olle@kommun.example");
	cmd = xasprintf("utförs inte: handläggaren är borta till och med %s",
			day);
	ck_assert_msg(has_text(body, cmd), "%s", body);
	free(cmd);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE id = 2 AND "
			       "assignee_id IS NULL"), 1);

	/* back early: her cases' notifications are hers again; Anna wrote
	   after Olle's answer, and waits */
	deliver_mail("anna@example.se", "arende@kommun.example", "Re: Buller",
		     "aw8b@example.se", "In-Reply-To: <aw1@example.se>\n",
		     "Hallå, hör ni mig?");
	/* a leave made longer while away (a second later than Anna
	   wrote) is one absence */
	sleep(1);
	local_day(cirm_now() + 3 * 86400, later);
	cmd = xasprintf("#borta %s\n", later);
	deliver_mail("eva@kommun.example", own, "Borta",
		     "aw8c@kommun.example", NULL, cmd);
	free(cmd);
	body = newest_body("eva@kommun.example");
	cmd = xasprintf("(Förut var du borta till och med %s.)", day);
	ck_assert_msg(has_text(body, cmd), "%s", body);
	free(cmd);
	free(body);
	deliver_mail("eva@kommun.example", own, "Åter",
		     "aw9@kommun.example", NULL, "#tillbaka\n");
	body = newest_body("eva@kommun.example");
	/* with the citizens who wait, then where her cases stand, as
	   #lista shows them */
	ck_assert_msg(has_text(body, "Välkommen tillbaka") &&
		      strstr(body, "Invånare som skrev medan du var borta och "
			     "inte har fått svar ännu:\n  KS-2026-00001") !=
		      NULL &&
		      has_text(body, "Dina ärenden nu, som #lista visar dem:") &&
		      strstr(strstr(body, "Dina ärenden nu"),
			     "KS-2026-00001") != NULL, "%s", body);
	free(body);
	deliver_mail("anna@example.se", "arende@kommun.example", "Re: Buller",
		     "aw10@example.se", "In-Reply-To: <aw1@example.se>\n",
		     "Och nu igen.");
	body = newest_to("eva@kommun.example", "body");
	ck_assert_msg(has_text(body, "Och nu igen."), "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", own, "Åter",
		     "aw11@kommun.example", NULL, "#tillbaka\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "du var inte borta"), "%s", body);
	free(body);
	/* her address is hers: Olle's mail to it, or one whose signature
	   was altered, is set aside and changes nothing */
	deliver_mail("olle@kommun.example", own, "Borta",
		     "aw11b@kommun.example", NULL, "#borta 2027-01-05\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'reply to a handler''s signed address "
			       "from another sender%'"), 1);
	/* told so in words of an own address, not of a notification */
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "Du skrev till en annan handläggares "
			       "egen cirm-adress"), "%s", body);
	free(body);
	deliver_mail("mallory@example.se", own, "Borta",
		     "aw11d@example.se", NULL, "#borta 2027-01-05\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Ett meddelande till din egen "
			       "cirm-adress kom från en annan adress än din") &&
		      has_text(body, "Det kom från mallory@example.se"),
		      "%s", body);
	free(body);
	/* released while the reason stands: back in the quarantine, and
	   she is not told the same a second time */
	{
		int64_t told = count("SELECT count(*) FROM outbox WHERE "
				     "recipient = 'eva@kommun.example'");
		int64_t qid = count("SELECT max(id) FROM quarantine WHERE "
				    "reason LIKE '%from another sender%'");
		struct engine_stats stats = { 0 };
		char *err = NULL;

		ck_assert_int_eq(store_begin(store, &err), 0);
		ck_assert_int_eq(store_quarantine_release(store, qid,
							  cirm_now(), &err), 1);
		ck_assert_int_eq(store_commit(store, &err), 0);
		ck_assert_msg(engine_drain(engine, cirm_now() + 100000, &stats,
					   &err) == 0, "%s", err);
		char *again = xasprintf("SELECT count(*) FROM quarantine "
					"WHERE id > %lld AND reason LIKE "
					"'%%from another sender%%' AND "
					"released_at IS NULL",
					(long long)qid);

		ck_assert_int_eq(count(again), 1);
		free(again);
		ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE "
				       "recipient = 'eva@kommun.example'"),
				 told);
	}
	own[strcspn(own, "@") - 1] = own[strcspn(own, "@") - 1] == '0' ?
		'1' : '0';
	deliver_mail("eva@kommun.example", own, "Borta",
		     "aw11c@kommun.example", NULL, "#borta 2027-01-05\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE '%signature does not verify%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE away_until "
			       "IS NOT NULL"), 0);

	/* a return day that has come ends it by itself */
	ck_assert_int_eq(store_exec(store, "UPDATE contact SET away_until = "
				    "strftime('%s', 'now') - 60 WHERE login "
				    "= 'eva'", NULL), 0);
	deliver_mail("olle@kommun.example", to, "SV", "aw12@kommun.example",
		     NULL, "#tilldela eva\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases c JOIN contact h "
			       "ON h.id = c.assignee_id WHERE c.id = 2 AND "
			       "h.login = 'eva'"), 1);

	/* the whole group away: a new case reaches them all the same, to
	   be read when back, rather than nobody */
	ck_assert_int_eq(store_exec(store, "UPDATE contact SET away_until = "
				    "strftime('%s', 'now') + 86400 WHERE kind "
				    "= 'handler'", NULL), 0);
	eva_mails = count("SELECT count(*) FROM outbox WHERE recipient IN "
			  "('eva@kommun.example', 'olle@kommun.example')");
	deliver_mail("cia@example.se", "arende@kommun.example", "Gungan",
		     "aw13@example.se", NULL, "Gungan är trasig.");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient IN "
			       "('eva@kommun.example', "
			       "'olle@kommun.example')"), eva_mails + 2);
	free(to);
	free(own);
}
END_TEST

/* The reminder keeps a question written below the officer's closing,
   as a PS: only a signature is left out. */
START_TEST(test_reminder_keeps_ps)
{
	char *to, *body, *err = NULL;
	int64_t remind;
	int n = 0;

	to = eva_notified("ps1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "ps2@kommun.example", NULL,
		     "#ta\n#fråga\n\nVi behöver veta mer.\n\nMvh Eva\n\n"
		     "PS. Vilken tid på dygnet bullrar det?\n");
	remind = count("SELECT fire_at FROM timer WHERE name = 'paminnelse' "
		       "AND fired_at IS NULL");
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_msg(caseflow_fire_timers(mi->flow, store, remind + 1, 100,
					   &n, &err) == 0, "%s", err);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(n, 1);
	body = newest_body("anna@example.se");
	ck_assert_msg(has_text(body, "Vilken tid på dygnet bullrar det?"),
		      "%s", body);
	free(body);
	free(to);
}
END_TEST

/* A merge by a third officer: the kept case's officer and the merged
   case's are each told, the latter that the work goes on in the case
   kept, with a Reply-To for it. */
START_TEST(test_merge_tells_officers)
{
	char *to, *body, *hdr, *back;
	int64_t olle, lena;

	add_handler_eva();
	add_olle("sv");
	add_handler_in("lena", "synpunkter");
	olle = count("SELECT id FROM contact WHERE login = 'olle'");
	lena = count("SELECT id FROM contact WHERE login = 'lena'");
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "mt1@example.se", NULL, "Det bullrar.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "mt2@kommun.example", NULL,
		     "#ta\n");
	free(to);
	deliver_mail("anna@example.se", "arende@kommun.example", "Bygget",
		     "mt3@example.se", NULL, "Bygget bullrar.");
	to = token_address(mi->key, "arende@kommun.example", "KS-2026-00002",
			   olle);
	deliver_mail("olle@kommun.example", to, "SV", "mt4@kommun.example",
		     NULL, "#ta\n");
	free(to);
	to = token_address(mi->key, "arende@kommun.example", "KS-2026-00002",
			   lena);
	deliver_mail("lena@kommun.example", to, "SV", "mt5@kommun.example",
		     NULL, "#slå-ihop KS-2026-1\n");
	ck_assert_int_eq(count("SELECT merged_into FROM cases WHERE id = 2"),
			 1);
	body = newest_to("eva@kommun.example", "subject");
	ck_assert_str_eq(body, "KS-2026-00002 har slagits ihop med ditt ärende "
			 "[KS-2026-00001] Buller");
	free(body);
	body = newest_to("olle@kommun.example", "subject");
	ck_assert_str_eq(body, "Ditt ärende har slagits ihop med "
			 "KS-2026-00001 [KS-2026-00002] Bygget");
	free(body);
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "arbetet fortsätter i KS-2026-00001") &&
		      has_text(body, "Vill du arbeta med KS-2026-00001: svara "
			       "på det här mejlet."), "%s", body);
	free(body);
	hdr = newest_to("olle@kommun.example", "headers");
	back = reply_to_of(hdr);
	ck_assert_msg(strcasestr(back, "+ks-2026-00001.") != NULL, "%s", back);
	free(back);
	free(hdr);
	free(to);

	/* a case kept that nobody has taken: its group is told, not the
	   one who merged */
	deliver_mail("anna@example.se", "arende@kommun.example", "Gatlampa",
		     "mt6@example.se", NULL, "Lampan är släckt.");
	deliver_mail("anna@example.se", "arende@kommun.example", "Lampan",
		     "mt7@example.se", NULL, "Lampan lyser inte.");
	to = token_address(mi->key, "arende@kommun.example", "KS-2026-00004",
			   lena);
	deliver_mail("lena@kommun.example", to, "SV", "mt8@kommun.example",
		     NULL, "#slå-ihop KS-2026-3\n");
	ck_assert_int_eq(count("SELECT merged_into FROM cases WHERE id = 4"),
			 3);
	body = newest_to("eva@kommun.example", "body");
	ck_assert_msg(has_text(body, "har slagit ihop ärende KS-2026-00004 med "
			       "ärende KS-2026-00003, som ingen har tagit "
			       "ännu") && has_text(body, "Lampan lyser inte."),
		      "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'olle@kommun.example' AND subject LIKE "
			       "'KS-2026-00004 har slagits ihop%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'lena@kommun.example' AND subject LIKE "
			       "'%slagits ihop%'"), 0);
	free(to);
}
END_TEST

/* A case given to a colleague with a note: the mail says who gave it,
   what they wrote, and what the citizen wrote. An escalation says who
   asked for help, or that nobody took the case in time. */
START_TEST(test_assigned_mail_says_who_and_what)
{
	char *to, *body, *err = NULL;
	int n = 0;

	to = eva_notified("as1@example.se", "Papperskorgen i parken är full.");
	ck_assert_msg(store_exec(store,
		"INSERT INTO contact (kind, name, login, language, created_at) "
		"VALUES ('handler', 'Olle Ek', 'olle', 'sv', 0), "
		"('handler', 'Lena Lind', 'lena', 'sv', 0);"
		"INSERT INTO contact_address (contact_id, kind, address, "
		"created_at) SELECT id, 'email', login || '@kommun.example', 0 "
		"FROM contact WHERE login IN ('olle', 'lena');"
		"INSERT INTO group_member SELECT g.id, c.id FROM handler_group g, "
		"contact c WHERE g.name = 'synpunkter' AND c.login = 'olle';"
		"INSERT OR IGNORE INTO handler_group (name, created_at) VALUES "
		"('ledning', 0);"
		"INSERT INTO group_member SELECT g.id, c.id FROM handler_group g, "
		"contact c WHERE g.name = 'ledning' AND c.login = 'lena';",
		&err) == 0, "%s", err);
	deliver_mail("eva@kommun.example", to, "SV", "as2@kommun.example", NULL,
		     "#tilldela olle\n#notering\n\nOlle, kan du ta den här? "
		     "Du har kontakt med parkenheten.\n");
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "Eva Ek har gett dig ärende "
			       "KS-2026-00001.\n") &&
		      has_text(body, "Eva Ek skriver:\n\nOlle, kan du ta den "
			       "här? Du har kontakt med parkenheten.\n") &&
		      has_text(body, "Invånarens senaste meddelande:\n\n"
			       "Papperskorgen i parken är full.\n"),
		      "%s", body);
	free(body);
	free(to);

	/* nobody took the next one in time */
	deliver_mail("anna@example.se", "arende@kommun.example", "Skylt",
		     "as3@example.se", NULL, "Skylten har blåst ner.");
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_msg(caseflow_fire_timers(mi->flow, store,
					   cirm_now() + 30 * 86400, 100, &n,
					   &err) == 0, "%s", err);
	ck_assert_int_eq(store_commit(store, &err), 0);
	body = text("SELECT body FROM outbox_mail WHERE subject LIKE "
		    "'Eskalerat ärende [KS-2026-00002]%' ORDER BY id DESC "
		    "LIMIT 1");
	ck_assert_msg(has_text(body, "Ärende KS-2026-00002 har eskalerats "
			       "till dig: ingen har tagit det i tid.") &&
		      has_text(body, "Invånarens senaste meddelande:\n\n"
			       "Skylten har blåst ner.\n") &&
		      strstr(body, "skriver:") == NULL, "%s", body);
	free(body);
	/* given with no more than her mail program's signature: that is
	   not her words to Olle */
	to = token_address(mi->key, "arende@kommun.example", "KS-2026-00002",
			   count("SELECT id FROM contact WHERE login = "
				 "'eva'"));
	deliver_mail("eva@kommun.example", to, "SV", "as4@kommun.example", NULL,
		     "#tilldela olle\n\nMed vänlig hälsning\nEva Ek\n"
		     "Handläggare\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases c JOIN contact h "
			       "ON h.id = c.assignee_id WHERE h.login = "
			       "'olle'"), 2);
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "Eva Ek har gett dig ärende "
			       "KS-2026-00002.") &&
		      strstr(body, "skriver:") == NULL, "%s", body);
	free(body);
	free(to);
}
END_TEST

/* Only a handler's own address is one: a tag naming no case in another
   form (the citizen side's, a forward's) is no officer's, though its
   signature verify; cirm signs none such today, and one must not take
   #borta for whoever sends it. */
START_TEST(test_own_address_names_handler)
{
	char *to[2];

	free(eva_notified("on1@example.se", "Det bullrar."));
	to[0] = token_address(mi->key, "arende@kommun.example", "", 0);
	to[1] = token_address_forward(mi->key, "arende@kommun.example", "", 3);
	for (size_t i = 0; i < 2; i++) {
		char id[32];

		snprintf(id, sizeof(id), "on%zu@kommun.example", i + 2);
		deliver_mail("eva@kommun.example", to[i], "Borta", id, NULL,
			     "#borta 2027-01-05\n");
		ck_assert_msg(count("SELECT count(*) FROM contact WHERE "
				    "away_until IS NOT NULL") == 0, "%s",
			      to[i]);
		free(to[i]);
	}
}
END_TEST

/* A citizen's mail a case officer forwarded: the signature the
   officers are shown as the citizen's is the citizen's under the
   forward, never the officer's own above it. */
START_TEST(test_forward_signature_is_the_citizens)
{
	char *body;

	add_handler_eva();
	add_olle("sv");
	deliver_mail("eva@kommun.example", "arende@kommun.example",
		     "Fwd: Skylten", "fs1@kommun.example", NULL,
		     "Kan någon ta den här?\n-- \nEva Ek\n"
		     "Miljöförvaltningen\n070-111 11 11\n\n"
		     "---------- Forwarded message ---------\n"
		     "From: Dan <dan@example.se>\nSubject: Skylten\n\n"
		     "Skylten har blåst ner.\n-- \nDan Persson\n"
		     "070-999 99 99\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases c JOIN "
			       "contact_address a ON a.contact_id = "
			       "c.citizen_id WHERE a.address = "
			       "'dan@example.se'"), 1);
	body = newest_body("olle@kommun.example");
	ck_assert_msg(strstr(body, "070-111") == NULL &&
		      strstr(body, "Miljöförvaltningen") == NULL, "%s", body);
	ck_assert_msg(has_text(body, "Signatur:\nDan Persson\n"
			       "070-999 99 99\n"), "%s", body);
	free(body);
}
END_TEST

/* A citizen's mail forwarded to the handler's own address: a command
   line in it is the citizen's words, never the handler's #borta, and
   the mail is registered; commands of the handler's own above a forward
   are done, and none from below them. */
START_TEST(test_own_address_forward_commands)
{
	static const char fwd[] =
		"---------- Forwarded message ---------\n"
		"From: Mallory <mallory@example.se>\n"
		"Date: Sun, 6 Dec 2026 10:00:00 +0100\n"
		"Subject: Fråga\n"
		"To: eva@kommun.example\n\n"
		"Hej Eva!\n\n#borta 2027-06-30\n\n#visa KS-2026-00001\n\n"
		"Mallory\n";
	char *own, *text, *body;

	add_handler_eva();
	own = token_address_handler(mi->key, "arende@kommun.example",
				    count("SELECT id FROM contact WHERE login "
					  "= 'eva'"), 0);
	text = xasprintf("Kan någon ta den här?\n\n%s", fwd);
	deliver_mail("eva@kommun.example", own, "Fwd: Fråga",
		     "of1@kommun.example", NULL, text);
	free(text);
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE away_until "
			       "IS NOT NULL"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM cases c JOIN "
			       "contact_address a ON a.contact_id = "
			       "c.citizen_id WHERE a.address = "
			       "'mallory@example.se'"), 1);
	/* with nothing of hers above it, the same */
	deliver_mail("eva@kommun.example", own, "Fwd: Fråga igen",
		     "of2@kommun.example", NULL, fwd);
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE away_until "
			       "IS NOT NULL"), 0);
	/* her own command above a forward is done, none below it */
	text = xasprintf("#lista\n\n%s", fwd);
	deliver_mail("eva@kommun.example", own, "Fwd: Fråga",
		     "of3@kommun.example", NULL, text);
	free(text);
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE away_until "
			       "IS NOT NULL"), 0);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "#lista") &&
		      !has_text(body, "#visa KS-2026-00001"), "%s", body);
	free(body);
	free(own);
}
END_TEST

/* An own address replaced (cirmctl handler set --new-address): the old
   one takes nothing, and the officer who writes to it is told the new
   one, which works; nobody else is told anything, and a generation
   nobody was given is a forgery. */
START_TEST(test_own_address_replaced)
{
	char *old, *now, *body, *err = NULL, *bad;
	int64_t eva, olle, gen;

	add_handler_eva();
	add_olle("sv");
	eva = count("SELECT id FROM contact WHERE login = 'eva'");
	olle = count("SELECT id FROM contact WHERE login = 'olle'");
	old = mailin_own_address(mi, store, eva, &err);
	ck_assert_msg(old != NULL, "%s", err);
	ck_assert_int_eq(store_handler_new_address(store, eva, &gen, &err), 1);
	ck_assert_int_eq(gen, 1);
	now = mailin_own_address(mi, store, eva, &err);
	ck_assert_msg(now != NULL && strcmp(now, old) != 0, "%s", now);
	/* "arende+h17-1.SIG@": the generation is in sight */
	body = xasprintf("+h%lld-1.", (long long)eva);
	ck_assert_msg(strstr(now, body) != NULL, "%s", now);
	free(body);
	/* a colleague's is not replaced with hers */
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE "
			       "address_generation > 0"), 1);

	/* the old one: set aside, nothing done, Eva told the new one, in a
	   mail whose Reply-To it is */
	deliver_mail("eva@kommun.example", old, "Borta", "ar1@kommun.example",
		     NULL, "#borta 2027-01-05\n");
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE away_until "
			       "IS NOT NULL"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'mail to a handler''s own address that "
			       "was replaced%'"), 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Meddelandet kom till din egen "
			       "cirm-adress som den var innan "
			       "administratören bytte ut den.") &&
		      /* "egen" after "din", not "din nya egna adress" */
		      has_text(body, "Skicka det igen till din egen adress "
			       "som den är nu:") &&
		      strstr(body, now) != NULL &&
		      /* released, it would be set aside again */
		      !has_text(body, "cirmctl quarantine release"), "%s", body);
	free(body);
	body = newest_to("eva@kommun.example", "headers");
	err = xasprintf("Reply-To: %s\n", now);
	ck_assert_msg(strstr(body, err) != NULL, "%s", body);
	free(err);
	err = NULL;
	free(body);
	/* the new one works */
	deliver_mail("eva@kommun.example", now, "Borta", "ar2@kommun.example",
		     NULL, "#borta 2027-01-05\n");
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE away_until "
			       "IS NOT NULL"), 1);
	deliver_mail("eva@kommun.example", now, "Åter", "ar3@kommun.example",
		     NULL, "#tillbaka\n");
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE away_until "
			       "IS NOT NULL"), 0);
	/* what cirm answers her on no case names it */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "Lista",
		     "ar4@kommun.example", NULL, "#lista\n");
	body = newest_to("eva@kommun.example", "headers");
	err = xasprintf("Reply-To: %s\n", now);
	ck_assert_msg(strstr(body, err) != NULL, "%s", body);
	free(err);
	err = NULL;
	free(body);

	/* Olle, or a stranger, at her old address: set aside, and nobody
	   is told (whoever holds it learns nothing new) */
	gen = count("SELECT count(*) FROM outbox");
	deliver_mail("olle@kommun.example", old, "Borta", "ar5@kommun.example",
		     NULL, "#borta 2027-01-05\n");
	deliver_mail("mallory@example.se", old, "Borta", "ar6@example.se",
		     NULL, "#borta 2027-01-05\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'mail to a handler''s own address that "
			       "was replaced%'"), 3);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), gen);
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE away_until "
			       "IS NOT NULL"), 0);

	/* a generation with another's signature, or one nobody was given,
	   is made up */
	bad = xstrdup(now);
	memcpy(strstr(bad, "-1.") , "-2.", 3);
	deliver_mail("eva@kommun.example", bad, "Borta", "ar7@kommun.example",
		     NULL, "#borta 2027-01-05\n");
	free(bad);
	err = token_address_handler(mi->key, "arende@kommun.example", olle,
				    1);
	bad = xasprintf("arende+h%lld-1.%.16s@kommun.example", (long long)eva,
			strchr(err, '.') + 1);
	free(err);
	err = NULL;
	deliver_mail("eva@kommun.example", bad, "Borta", "ar8@kommun.example",
		     NULL, "#borta 2027-01-05\n");
	free(bad);
	/* the new one spelt with a leading zero: each address has one
	   spelling */
	bad = xasprintf("arende+h%lld-01%s", (long long)eva,
			strstr(now, "-1.") + 2);
	deliver_mail("eva@kommun.example", bad, "Borta", "ar9@kommun.example",
		     NULL, "#borta 2027-01-05\n");
	free(bad);
	bad = xasprintf("arende+h0%lld-1%s", (long long)eva,
			strstr(now, "-1.") + 2);
	deliver_mail("eva@kommun.example", bad, "Borta", "ar10@kommun.example",
		     NULL, "#borta 2027-01-05\n");
	free(bad);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE '%signature does not verify%'"), 4);
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE away_until "
			       "IS NOT NULL"), 0);
	/* told in words of an own address, not of a notification */
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Meddelandet kom till en adress av samma "
			       "slag som din egen cirm-adress men vars "
			       "signatur inte stämmer") &&
		      !has_text(body, "aviseringen"), "%s", body);
	free(body);
	free(now);
	free(old);
}
END_TEST

/* The signature of an own address of a later generation signs "#1"
   where a tag on a case has the case number: "#1.h17.SIG" is no case's
   tag. Taken as one, naming no case there is, the mail would go on to
   be threaded by its In-Reply-To, and the own address (an old one too,
   replaced because it leaked) would answer the citizen, take the case
   and run its commands in the officer's name on any case. */
START_TEST(test_own_address_not_case_tag)
{
	char *notif, *own, *to, *err = NULL;
	int64_t eva, gen, sent;

	notif = eva_notified("oc1@example.se", "Det bullrar.");
	eva = count("SELECT id FROM contact WHERE login = 'eva'");
	ck_assert_int_eq(store_handler_new_address(store, eva, &gen, &err), 1);
	own = mailin_own_address(mi, store, eva, &err);
	ck_assert_msg(own != NULL, "%s", err);
	sent = count("SELECT count(*) FROM outbox WHERE recipient = "
		     "'anna@example.se'");
	for (int i = 0; i < 2; i++) {
		char id[32];

		/* the one in use, then the same once replaced again */
		to = xasprintf("arende+#1.h%lld.%.16s@kommun.example",
			       (long long)eva, strchr(own, '.') + 1);
		snprintf(id, sizeof(id), "oc%d@kommun.example", i + 2);
		deliver_mail("eva@kommun.example", to, "SV: Buller", id,
			     "In-Reply-To: <oc1@example.se>\n",
			     "Hej Anna, bygget är stoppat.\n\n#ta\n");
		free(to);
		ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE "
				       "recipient = 'anna@example.se'"), sent);
		ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
				       "body_stripped LIKE '%bygget är "
				       "stoppat%'"), 0);
		ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE "
				       "assignee_id IS NOT NULL"), 0);
		ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE "
				       "reason LIKE '%signature does not "
				       "verify%'"), i + 1);
		ck_assert_int_eq(store_handler_new_address(store, eva, &gen,
							   &err), 1);
	}
	free(own);
	free(notif);
}
END_TEST

/* A handler's signed address names its case: one of a case there is
   none of (removed by retention; given after a backup that was
   restored, whose number is not given again) is not threaded on by its
   In-Reply-To, or it would be the officer's answer on whichever case
   that names, for whoever holds the old notification. */
START_TEST(test_handler_token_gone_case)
{
	char *notif, *to;
	int64_t eva;

	notif = eva_notified("gc1@example.se", "Det bullrar.");
	eva = count("SELECT id FROM contact WHERE login = 'eva'");
	to = token_address(mi->key, "arende@kommun.example", "KS-2020-00001",
			   eva);
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "gc2@kommun.example", "In-Reply-To: <gc1@example.se>\n",
		     "Hej Anna, bygget är stoppat.\n\n#ta\n");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "body_stripped LIKE '%bygget är stoppat%'"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE assignee_id "
			       "IS NOT NULL"), 0);
	free(to);
	free(notif);
}
END_TEST

/* The note a case officer's forward leaves on the case is what they
   wrote above it: not the forwarded mail below a marker line, which
   reply_strip keeps, the citizen's words and address a second time in
   the officer's name; with nothing of theirs above it, no note. */
START_TEST(test_forward_note_own_words)
{
	static const char fwd[] =
		"---------- Forwarded message ---------\n"
		"From: Mallory <mallory@example.se>\n"
		"Date: Sun, 6 Dec 2026 10:00:00 +0100\n"
		"Subject: Fråga\nTo: eva@kommun.example\n\n"
		"Hej Eva!\n\nMin adress är Storgatan 4.\n";
	char *mail_text, *body;

	add_handler_eva();
	mail_text = xasprintf("Kan någon ta den här?\n\n%s", fwd);
	deliver_mail("eva@kommun.example", "arende@kommun.example",
		     "Fwd: Fråga", "fn1@kommun.example", NULL, mail_text);
	free(mail_text);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'mail.forwarded'"), 1);
	body = text("SELECT body_stripped FROM message WHERE kind = 'note'");
	ck_assert_str_eq(body, "Kan någon ta den här?");
	free(body);
	deliver_mail("eva@kommun.example", "arende@kommun.example",
		     "Fwd: Fråga igen", "fn2@kommun.example", NULL, fwd);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'mail.forwarded'"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE kind = "
			       "'note'"), 1);
}
END_TEST

/* A colleague's answer that never went (the SMS citizen asked for no
   more SMS) is not told to the assignee as gone. */
START_TEST(test_colleague_answer_withheld)
{
	char *to, *olle_to, *body, *err = NULL;
	int64_t olle;

	add_handler_eva();
	add_olle("sv");
	olle = count("SELECT id FROM contact WHERE login = 'olle'");
	deliver_mail("anna@example.se", "arende@kommun.example", "Snöröjning",
		     "po1@example.se", NULL, "Ingen har plogat.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "po2@kommun.example", NULL,
		     "#ta\n\nVi plogar i dag.\n");
	ck_assert_msg(store_exec(store,
		"UPDATE cases SET channel = 'sms';"
		"INSERT INTO contact_address (contact_id, kind, address, "
		"created_at) SELECT citizen_id, 'phone', '+46701234567', 0 FROM "
		"cases;"
		"INSERT INTO sms_optout (number, at, keyword) VALUES "
		"('+46701234567', 0, 'STOPP');", &err) == 0, "%s", err);
	olle_to = token_address(mi->key, "arende@kommun.example",
				"KS-2026-00001", olle);
	deliver_mail("olle@kommun.example", olle_to, "SV", "po3@kommun.example",
		     NULL, "Plogbilen kommer i morgon.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'reply.withheld'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE subject LIKE "
			       "'%har svarat invånaren%'"), 0);
	body = newest_to("eva@kommun.example", "body");
	ck_assert_msg(!has_text(body, "Det här gick till invånaren"), "%s",
		      body);
	free(body);
	free(olle_to);
	free(to);
}
END_TEST

/* #visa names the case's citizen in full, on the case's channel: the
   notifications mask an SMS citizen's number, and a case officer asked
   "ring me" must be able to. */
START_TEST(test_show_citizen_in_full)
{
	char *body, *err = NULL;

	add_handler_eva();
	deliver_mail("Anna Andersson <anna@example.se>", "arende@kommun.example",
		     "Snöröjning", "sc1@example.se", NULL, "Ingen har plogat.");
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "sc2@kommun.example", NULL, "#visa KS-2026-00001\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "\n  Invånare: Anna Andersson "
			       "<anna@example.se>\n"), "%s", body);
	free(body);
	ck_assert_msg(store_exec(store,
		"UPDATE cases SET channel = 'sms';"
		"INSERT INTO contact_address (contact_id, kind, address, "
		"created_at) SELECT citizen_id, 'phone', '+46701234567', 0 FROM "
		"cases;", &err) == 0, "%s", err);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "sc3@kommun.example", NULL, "#show KS-2026-00001\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "\n  Invånare: Anna Andersson, "
			       "+46 70 123 45 67\n"), "%s", body);
	free(body);
}
END_TEST

/* #namn gives the citizen a name (an SMS citizen has only a number):
   the notifications name them from then on; a name missing, too long
   or with control characters is refused, and nothing is done. */
START_TEST(test_citizen_named)
{
	char *to, *body;

	to = eva_notified("nm1@example.se", "Det luktar från dagvattnet.");
	deliver_mail("eva@kommun.example", to, "SV", "nm2@kommun.example", NULL,
		     "#namn\n");
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE kind = "
			       "'citizen' AND name IS NOT NULL AND name != ''"),
			 0);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "ange namnet, som i #namn Anna Andersson"),
		      "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", to, "SV", "nm3@kommun.example", NULL,
		     "#namn Anna Åberg\n#ta\n");
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE kind = "
			       "'citizen' AND name = 'Anna Åberg'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.set' AND detail = 'name'"), 1);
	/* the notification of her next mail names her */
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Re: Buller [KS-2026-00001]", "nm5@example.se", NULL,
		     "Det luktar fortfarande.");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Anna Åberg <anna@example.se>"), "%s",
		      body);
	free(body);
	/* and #hjälp tells of it */
	deliver_mail("eva@kommun.example", to, "SV", "nm4@kommun.example", NULL,
		     "#hjälp\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "#namn NAMN"), "%s", body);
	free(body);
	free(to);
}
END_TEST

/* An officer's answer alone that comes out too long for the SMS
   limit is kept as failed, with its text, never sent without it (the
   signature alone): the check before it should have caught it, and
   if the two ever disagree the officer is told, not the citizen sent
   an empty SMS. */
START_TEST(test_sms_answer_never_sent_empty)
{
	struct caseflow_input in = { .channel = "email" };
	char *to, *err = NULL, *answer;
	int64_t eva;

	to = eva_notified("se1@example.se", "Lampan är trasig.");
	free(to);
	ck_assert_msg(store_exec(store,
		"UPDATE cases SET channel = 'sms';"
		"INSERT INTO contact_address (contact_id, kind, address, "
		"created_at) SELECT citizen_id, 'phone', '+46701234567', 0 FROM "
		"cases;", &err) == 0, "%s", err);
	eva = count("SELECT id FROM contact WHERE login = 'eva'");
	answer = xcalloc(1, 1201);
	for (int i = 0; i < 1200; i++)
		answer[i] = i % 7 == 6 ? ' ' : 'a';
	in.text = answer;
	in.sender_id = eva;
	in.now = cirm_now();
	in.written_by_handler = true;
	ck_assert_msg(store_begin(store, &err) == 0, "%s", err);
	ck_assert_msg(caseflow_reply(mailin_caseflow(mi), store, 1, "answer",
				     &in, &err) == 0, "%s", err);
	ck_assert_msg(store_commit(store, &err) == 0, "%s", err);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'+46701234567' AND status IN ('queued', "
			       "'sending', 'sent')"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "recipient = '+46701234567' AND status = "
			       "'failed' AND body LIKE 'aaaaaa%' AND last_error "
			       "LIKE 'not sent: too long for SMS%officer''s "
			       "answer'"), 1);
	free(answer);
}
END_TEST

/* #visa shows a citizen's message of a photo and no text: only a case
   officer's reply of commands alone is left out. */
START_TEST(test_show_photo_without_text)
{
	char *to, *body;
	const char *p;
	const char *photo = "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
		"boundary=\"b\"\n";

	to = eva_notified("pv1@example.se", "Det bullrar.");
	ck_assert(store_exec(store, "UPDATE contact SET name = 'Anna "
			     "Andersson' WHERE kind = 'citizen'", NULL) == 0);
	deliver_mail("Anna Andersson <anna@example.se>", "arende@kommun.example",
		     "Re: Det bullrar [KS-2026-00001]", "pv2@example.se", photo,
		     "--b\nContent-Type: image/jpeg\nContent-Disposition: "
		     "attachment; filename=\"foto.jpg\"\n"
		     "Content-Transfer-Encoding: base64\n\n/9j/4AAQSkZJRgABAQAA"
		     "AQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0a"
		     "HBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEB"
		     "AREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAA"
		     "AAAAAAD/2gAIAQEAAD8AKp//2Q==\n--b--\n");
	ck_assert_int_eq(count("SELECT count(*) FROM message m WHERE "
			       "direction = 'in' AND EXISTS (SELECT 1 FROM "
			       "attachment a WHERE a.message_id = m.id)"), 1);
	deliver_mail("eva@kommun.example", to, "SV", "pv3@kommun.example", NULL,
		     "#ta\n");
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "pv4@kommun.example", NULL, "#visa KS-2026-00001\n");
	body = newest_body("eva@kommun.example");
	/* her first mail and the photo */
	p = strstr(body, "<- Anna Andersson\n");
	ck_assert_msg(p != NULL && strstr(p + 1, "<- Anna Andersson\n") !=
		      NULL && strstr(body, "<- Eva Ek\n") == NULL, "%s", body);
	free(body);
	free(to);
}
END_TEST

/* #hjälp in a reply on a case answers with the commands, those of the
   case's state first, and changes nothing; with a text it is refused,
   so that a question meant for cirm does not reach the citizen. */
START_TEST(test_help_on_case)
{
	char *to, *body;
	int64_t to_anna;

	to = eva_notified("hp1@example.se", "Det bullrar.");
	to_anna = count("SELECT count(*) FROM outbox WHERE recipient = "
			"'anna@example.se'");
	deliver_mail("eva@kommun.example", to, "SV", "hp2@kommun.example", NULL,
		     "#hjälp\n\nMed vänlig hälsning\nEva Ek\n");
	body = newest_to("eva@kommun.example", "subject");
	ck_assert_str_eq(body, "Hjälp [KS-2026-00001]");
	free(body);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "I ärendets nuvarande läge gäller:\n\n"
			       "  #ta") &&
		      has_text(body, "#prioritet NIVÅ — Låg, normal, hög eller "
			       "brådskande") &&
		      has_text(body, "#visa NUMMER"), "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'registrerad' AND assignee_id IS NULL"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), to_anna);
	/* misspelt, it is guessed at */
	deliver_mail("eva@kommun.example", to, "SV", "hp3@kommun.example", NULL,
		     "#hjälpp\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Menade du #hjälp?"), "%s", body);
	free(body);
	/* with a text: refused, nothing sent */
	deliver_mail("eva@kommun.example", to, "SV", "hp4@kommun.example", NULL,
		     "#hjälp\n\nHur ställer jag en fråga till invånaren?\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "#hjälp\n utförs inte: tar ingen text "
			       "till invånaren"), "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), to_anna);
	/* a closed case: only what it takes */
	deliver_mail("eva@kommun.example", to, "SV", "hp5@kommun.example", NULL,
		     "#stäng\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE closed_at IS "
			       "NOT NULL"), 1);
	deliver_mail("eva@kommun.example", to, "SV", "hp6@kommun.example", NULL,
		     "#hjälp\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Ärendet är stängt: det tar bara "
			       "#notering, #kategori, #språk och #namn. En "
			       "text av dig går ändå till invånaren") &&
		      strstr(body, "#prioritet") == NULL &&
		      strstr(body, "nuvarande läge") == NULL, "%s", body);
	free(body);
	free(to);
}
END_TEST

/* Commands are checked in the order they run: #klar above #fraga
   leaves no question to ask, and nothing of the reply happens. */
START_TEST(test_handler_command_sequence)
{
	char *to, *body;

	to = eva_notified("q1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "q2@kommun.example", NULL,
		     "#ta\n");
	deliver_mail("eva@kommun.example", to, "SV", "q3@kommun.example", NULL,
		     "#klar\n#fraga\n\nNär bullrar det?\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'tilldelad'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind IN "
			       "('cmd.resolve', 'cmd.ask')"), 0);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#klar\n      går att utföra\n  #fraga\n      utförs "
			     "inte: går inte i det läge kommandona ovanför "
			     "ger ärendet\n") != NULL, "%s", body);
	free(body);
	/* a question after taking the case is fine */
	deliver_mail("eva@kommun.example", to, "SV", "q4@kommun.example", NULL,
		     "#ta\n#fraga\n\nNär bullrar det?\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'vantar-svar'"), 1);
	free(to);
}
END_TEST

/* The automatic signature of Eva's mail client under a command that
   takes no text (#tilldela) is no text for the citizen: the case is
   assigned, the signature stays on the case for colleagues. A text
   that only starts like a closing is still refused. */
START_TEST(test_handler_signature_under_command)
{
	char *to, *body;

	to = eva_notified("s1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "s2@kommun.example",
		     "MIME-Version: 1.0\nContent-Type: text/plain; "
		     "charset=utf-8\n",
		     "#tilldela eva\n\nMed v\xc3\xa4nlig h\xc3\xa4lsning\n"
		     "Eva Ek\nHandl\xc3\xa4ggare, Exempels kommun\n"
		     "Tel. 0123-45 67 89\n\nN\xc3\xa4r du skickar e-post "
		     "till oss behandlar vi dina personuppgifter.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'tilldelad'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE direction = "
			       "'in' AND visibility = 'internal' AND "
			       "body_stripped LIKE 'Med v%Eva Ek%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.refused'"), 0);
	/* her own #tilldela eva: nobody "gave" her the case */
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Ärende KS-2026-00001 har tilldelats "
			       "dig.") && strstr(body, "gett dig") == NULL &&
		      strstr(body, "Eva Ek skriver:") == NULL, "%s", body);
	free(body);
	/* "Mvh Eva" on one line is a closing too; a sentence after the
	   closing word is not, and is refused as before */
	deliver_mail("eva@kommun.example", to, "SV", "s3@kommun.example", NULL,
		     "#tilldela eva\n\nHalsningar. Lampan ar lagad.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.refused'"), 1);
	body = newest_body("eva@kommun.example");
	/* a text meant for the colleague is not to be sent on its own,
	   where it would reach the citizen: #notering keeps it */
	ck_assert_msg(has_text(body, "#tilldela eva\n      utförs inte: tar "
			       "ingen text till invånaren; är texten till "
			       "kollegor, skriv #notering på en rad ovanför "
			       "den, och är den till invånaren, skicka den i "
			       "ett eget svar\n"), "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", to, "SV", "s3b@kommun.example",
		     NULL, "#tilldela eva\n#notering\nLampan ar lagad.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.refused'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE visibility "
			       "= 'internal' AND body_stripped = "
			       "'Lampan ar lagad.'"), 1);
	deliver_mail("eva@kommun.example", to, "SV", "s4@kommun.example", NULL,
		     "#tilldela eva\n\nMvh Eva\n");
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.refused'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), 1);
	/* under any command: "#ta" with the signature Outlook adds to
	   every reply sends Anna no mail of a signature alone */
	deliver_mail("eva@kommun.example", to, "SV", "s5@kommun.example", NULL,
		     "#ta\n#prioritet h\xc3\xb6g\n\nMed v\xc3\xa4nlig "
		     "h\xc3\xa4lsning\nEva Ek\nTel. 0123-45 67 89\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE priority = "
			       "'high'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), 1);
	/* a question of a signature alone is no question */
	deliver_mail("eva@kommun.example", to, "SV", "s6@kommun.example", NULL,
		     "#fraga\n\nMvh Eva\n");
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.refused'"), 2);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#fraga\n      utförs inte: behöver en "
			     "text under kommandona") != NULL, "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'anna@example.se'"), 1);
	free(to);
}
END_TEST

/* A command the handler wrote in bold, underlined or in italics, as
   the text of an HTML mail from Gmail or Thunderbird has it
   ("*#notering*", "_#ta_", "*#tilldela* eva"): still a command, and
   an internal note stays internal, never text for the citizen. */
START_TEST(test_handler_emphasised_command)
{
	char *to;
	int n;

	to = eva_notified("b1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "b2@kommun.example",
		     "MIME-Version: 1.0\nContent-Type: multipart/alternative; "
		     "boundary=\"b\"\n",
		     "--b\nContent-Type: text/plain; charset=utf-8\n\n"
		     "*#notering*\nGrannen har ringt polisen.\n\n"
		     "--b\nContent-Type: text/html; charset=utf-8\n\n"
		     "<div><b>#notering</b></div><div>Grannen har ringt "
		     "polisen.</div>\n--b--\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'anna@example.se' AND body LIKE '%polisen%'"),
			 0);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE visibility "
			       "= 'internal' AND body_stripped = 'Grannen har "
			       "ringt polisen.'"), 1);
	n = count("SELECT count(*) FROM outbox WHERE recipient = "
		  "'anna@example.se'");
	deliver_mail("eva@kommun.example", to, "SV", "b3@kommun.example",
		     "MIME-Version: 1.0\nContent-Type: text/plain; "
		     "charset=utf-8\n",
		     "_#prioritet_ high\n*#tilldela* eva\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'tilldelad' AND priority = 'high'"), 1);
	/* commands only: nothing for Anna */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), n);
	/* format=flowed, a space left after the command: a line of its own */
	deliver_mail("eva@kommun.example", to, "SV", "b4@kommun.example",
		     "MIME-Version: 1.0\nContent-Type: text/plain; "
		     "charset=utf-8; format=flowed\n",
		     "*#notering* \nPolisen har varit där.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE visibility "
			       "= 'internal' AND body_stripped = 'Polisen har "
			       "varit där.'"), 1);
	free(to);
}
END_TEST

/* Mail clients put no-break spaces and byte order marks where a
   handler sees plain space: the commands are still commands. */
START_TEST(test_handler_invisible_blanks)
{
	char *to;

	to = eva_notified("i1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "i2@kommun.example",
		     "MIME-Version: 1.0\nContent-Type: text/plain; "
		     "charset=utf-8\n",
		     "\xef\xbb\xbf#prioritet high\n"
		     "\xc2\xa0#tilldela\xc2\xa0" "eva\xc2\xa0\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'tilldelad' AND priority = 'high'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), 1);
	/* zero-width spaces, joiners and word joiners, from pasted text:
	   the commands are neither refused nor sent to the citizen */
	deliver_mail("eva@kommun.example", to, "SV", "i4@kommun.example",
		     "MIME-Version: 1.0\nContent-Type: text/plain; "
		     "charset=utf-8\n",
		     "\xe2\x80\x8b#prioritet\xe2\x80\x8c urgent\xe2\x81\xa0\n"
		     "\xe2\x80\x8d#fraga\xe2\x80\x8b\n\n"
		     "N\xc3\xa4r bullrar det?\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'vantar-svar' AND priority = 'urgent'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'anna@example.se' AND body LIKE '%#%'"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'eva@kommun.example' AND subject LIKE "
			       "'Dina kommandon utf%'"), 0);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "i3@kommun.example", "MIME-Version: 1.0\nContent-Type: "
		     "text/plain; charset=utf-8\n", "\xef\xbb\xbf#lista\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example' AND subject = "
			       "'Dina kommandon'"), 1);
	free(to);
}
END_TEST

/* mailin_pick_number's SENDERS: counts its calls in *CTX; only
   KS-2026-00020 is the sender's, and open. */
static int
count_senders(const char *number, void *ctx, char **error_r)
{
	(void)error_r;
	(*(int *)ctx)++;
	return strcmp(number, "KS-2026-00020") == 0 ? 2 : 0;
}

/* A text naming many case numbers costs at most MAILIN_NUMBERS_MAX
   lookups: the numbers after those are not looked at. */
START_TEST(test_pick_number_bounded)
{
	char *text = xstrdup(""), *theirs = NULL, *first = NULL, *err = NULL;
	int calls = 0;

	for (int i = 1; i <= 40; i++) {
		char *t = xasprintf("%sKS-2026-%05d ", text, i);

		free(text);
		text = t;
	}
	ck_assert_int_eq(mailin_pick_number("KS", text, false, count_senders,
					    &calls, &theirs, &first, &err), 0);
	ck_assert_int_eq(calls, MAILIN_NUMBERS_MAX);
	ck_assert_ptr_null(theirs);
	ck_assert_str_eq(first, "KS-2026-00001");
	free(first);
	/* within the bound, the open one is found */
	calls = 0;
	ck_assert_int_eq(mailin_pick_number("KS", "KS-2026-00003 KS-2026-00020",
					    false, count_senders, &calls,
					    &theirs, &first, &err), 2);
	ck_assert_str_eq(theirs, "KS-2026-00020");
	ck_assert_int_eq(calls, 2);
	free(theirs);
	free(first);
	free(text);
}
END_TEST

/* A citizen types the number short on a phone: by SMS "ks-2026-20" is
   KS-2026-00020; in a subject, which cirm wrote, only the full one. */
START_TEST(test_pick_number_shortened)
{
	char *theirs = NULL, *first = NULL, *err = NULL;
	int calls = 0;

	ck_assert_int_eq(mailin_pick_number("KS", "Ärende ks-2026-3 och "
					    "KS-2026-20. Tack", true,
					    count_senders, &calls, &theirs,
					    &first, &err), 2);
	ck_assert_str_eq(theirs, "KS-2026-00020");
	ck_assert_str_eq(first, "KS-2026-00003");
	ck_assert_int_eq(calls, 2);
	free(theirs);
	free(first);
	theirs = first = NULL;
	/* not a number: no digits, a letter glued on, or six */
	ck_assert_int_eq(mailin_pick_number("KS", "KS-2026- KS-2026-20a "
					    "XKS-2026-20", true, count_senders,
					    &calls, &theirs, &first, &err), 0);
	ck_assert_ptr_null(first);
	ck_assert_int_eq(mailin_pick_number("KS", "KS-2026-20", false,
					    count_senders, &calls, &theirs,
					    &first, &err), 0);
	ck_assert_ptr_null(first);
}
END_TEST

/* Delivers eva's reply TEXT to signed address TO, Message-ID <ID>, with
   a PDF attached as FILENAME. */
static void
eva_reply_with_pdf(const char *to, const char *id, const char *text,
		   const char *filename)
{
	const char *mime = "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
			   "boundary=\"b\"\n";
	char *body = xasprintf("--b\nContent-Type: text/plain\n\n%s\n"
			       "--b\nContent-Type: application/pdf\n"
			       "Content-Disposition: attachment; filename=%s\n"
			       "Content-Transfer-Encoding: base64\n\n"
			       "JVBERi0xLjQK\n--b--", text, filename);

	deliver_mail("eva@kommun.example", to, "SV", id, mime, body);
	free(body);
}

/* #klar with a text and a file: one mail to the citizen, "your case is
   resolved" with the text above it and the file in it. */
START_TEST(test_handler_resolve_one_mail)
{
	char *to;

	to = eva_notified("g1@example.se", "Det bullrar.");
	eva_reply_with_pdf(to, "g2@kommun.example",
			   "#klar\n\nBeslutet bifogas.\n", "beslut.pdf");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'lost'"), 1);
	/* the acknowledgement, then the one answer */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "recipient = 'anna@example.se'"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail o JOIN "
			       "attachment a ON a.message_id = o.message_id "
			       "WHERE o.recipient = 'anna@example.se' AND "
			       "o.subject LIKE 'Ditt ärende är klart%' AND "
			       "o.body LIKE 'Beslutet bifogas.%' AND "
			       "a.filename = 'beslut.pdf'"), 1);
	ck_assert_int_eq(sent_to_anna(NULL), 1);
	free(to);
}
END_TEST

/* The answer goes on its own, first, when no mail of the commands
   carries it: #ta sends the citizen nothing, and a "resolved" mail that
   cannot be stored (a failing action does not stop the run) must not
   take the answer with it. Each command runs once in what is kept, and
   the log says once that the action failed (the trial that was rolled
   back says nothing). */
START_TEST(test_handler_answer_alone)
{
	char *to, *log, *p, *err = NULL;
	int lines = 0;

	to = eva_notified("h1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "h2@kommun.example", NULL,
		     "#ta\n\nJag tittar på det i dag.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "recipient = 'anna@example.se' AND subject LIKE "
			       "'Svar:%' AND body LIKE 'Jag tittar på det i "
			       "dag.%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'cmd.take'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event e JOIN contact c ON "
			       "c.id = e.actor_id WHERE e.kind = 'reply.sent' "
			       "AND c.login = 'eva'"), 1);
	/* the mail that would carry the answer fails to be stored */
	ck_assert_int_eq(store_exec(store, "CREATE TEMP TRIGGER no_resolved "
				    "BEFORE INSERT ON message WHEN "
				    "new.subject LIKE 'Ditt ärende är klart%' "
				    "BEGIN SELECT RAISE(ABORT, 'disk full'); "
				    "END", &err), 0);
	tu_stderr_capture(dir);
	deliver_mail("eva@kommun.example", to, "SV", "h3@kommun.example", NULL,
		     "#klar\n\nLampan är lagad.\n");
	log = tu_stderr_captured();
	ck_assert_int_eq(store_exec(store, "DROP TRIGGER no_resolved", &err),
			 0);
	for (p = log; (p = strstr(p, "disk full")) != NULL; p++)
		lines++;
	ck_assert_msg(lines == 1, "%s", log);
	free(log);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'lost'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "recipient = 'anna@example.se' AND subject LIKE "
			       "'Svar:%' AND body LIKE 'Lampan är lagad.%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'cmd.resolve'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'action.failed'"), 1);
	free(to);
}
END_TEST

/* A handler's files with no text (the decision attached, "#klar"
   above) go to the citizen; with a command for colleagues only
   (#kategori) they stay on the case. */
START_TEST(test_handler_files_alone)
{
	char *to, *body;

	to = eva_notified("f1@example.se", "Det bullrar.");
	eva_reply_with_pdf(to, "f2@kommun.example", "#kategori buller\n",
			   "a.pdf");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE category = "
			       "'buller'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'anna@example.se'"), 1);
	eva_reply_with_pdf(to, "f3@kommun.example", "#ta\n#klar\n",
			   "beslut.pdf");
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'cmd.resolve'"), 1);
	ck_assert_int_eq(sent_to_anna("beslut.pdf"), 1);
	ck_assert_int_eq(sent_to_anna("a.pdf"), 0);
	/* refused: the transcript says to attach the files again, since
	   a reply to it or to the notification has none */
	eva_reply_with_pdf(to, "f4@kommun.example",
			   "#frobnicate\n\nBeslutet bifogas.\n", "nytt.pdf");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "\nBifoga filerna igen") != NULL, "%s",
		      body);
	free(body);
	free(to);
}
END_TEST

/* Outlook's winmail.dat (its Rich Text format) does not go to the
   citizen, who could not open it; the handler is told why and how to
   send the files again. A reply with nothing else sends nothing. */
START_TEST(test_handler_winmail_dat)
{
	const char *mime = "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
			   "boundary=\"b\"\n";
	char *to, *body;

	to = eva_notified("w1@example.se", "Det bullrar.");
	body = xasprintf("--b\nContent-Type: text/plain; charset=utf-8\n\n"
			 "#ta\nHej Anna! Beslutet bifogas.\n"
			 "\n--b\nContent-Type: application/ms-tnef; "
			 "name=\"winmail.dat\"\n"
			 "Content-Disposition: attachment; "
			 "filename=winmail.dat\n"
			 "Content-Transfer-Encoding: base64\n\n"
			 "eJ8+IgEAAQaQCAAE\n"
			 "--b\nContent-Type: application/pdf\n"
			 "Content-Disposition: attachment; filename=karta.pdf\n"
			 "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
			 "--b--");
	deliver_mail("eva@kommun.example", to, "SV", "w2@kommun.example", mime,
		     body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'anna@example.se' AND body LIKE "
			       "'%Beslutet bifogas%'"), 1);
	ck_assert_int_eq(sent_to_anna(NULL), 1);
	ck_assert_int_eq(sent_to_anna("karta.pdf"), 1);
	/* kept on the case */
	ck_assert_int_eq(count("SELECT count(*) FROM attachment WHERE "
			       "filename = 'winmail.dat'"), 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "Ditt svar skickades till invånaren, men "
			     "inte bilagan winmail.dat") != NULL, "%s", body);
	free(body);
	/* winmail.dat alone, as application/octet-stream: nothing to the
	   citizen, not even an empty mail */
	body = xasprintf("--b\nContent-Type: text/plain\n\n#prioritet high\n"
			 "\n--b\nContent-Type: application/octet-stream\n"
			 "Content-Disposition: attachment; "
			 "filename=WINMAIL.DAT\n"
			 "Content-Transfer-Encoding: base64\n\n"
			 "eJ8+IgEAAQaQCAAE\n"
			 "--b--");
	deliver_mail("eva@kommun.example", to, "SV", "w3@kommun.example", mime,
		     body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE priority = "
			       "'high'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'reply.attachments_withheld'"), 2);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "Ditt svar utfördes, men inte bilagan "
			     "winmail.dat") != NULL, "%s", body);
	free(body);
	free(to);
}
END_TEST

/* Outlook's reply in HTML: multipart/related around the text, its HTML
   and the inline pictures, with "[cid:...]" in the text where the HTML
   shows one: the logo image001.png, and image002.jpg when TEXT has its
   placeholder. */
static char *
outlook_reply(const char *text)
{
	bool photo = strstr(text, "[cid:image002") != NULL;

	return xasprintf(
		"--rel\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n"
		"--alt\nContent-Type: text/plain; charset=utf-8\n\n%s\n"
		"--alt\nContent-Type: text/html; charset=utf-8\n\n"
		"<html><body><p>Hej</p>%s"
		"<img src=\"cid:image001.png@01DA4B2C.8F5E3A10\"></body></html>\n"
		"--alt--\n"
		"--rel\nContent-Type: image/png; name=\"image001.png\"\n"
		"Content-Description: image001.png\n"
		"Content-Disposition: inline; filename=\"image001.png\"\n"
		"Content-ID: <image001.png@01DA4B2C.8F5E3A10>\n"
		"Content-Transfer-Encoding: base64\n\niVBORw0KGgoAAAANSUhEUg==\n"
		"%s--rel--\n", text,
		photo ? "<img src=\"cid:image002.jpg@01DA4B2C.8F5E3A10\">" : "",
		photo ? "--rel\nContent-Type: image/jpeg; name=\"image002.jpg\"\n"
		"Content-Disposition: inline; filename=\"image002.jpg\"\n"
		"Content-ID: <image002.jpg@01DA4B2C.8F5E3A10>\n"
		"Content-Transfer-Encoding: base64\n\n/9j/4AAQSkZJRgABAQ==\n" :
		"");
}

/* The logo in an Outlook signature (an inline picture below "Med vänlig
   hälsning") stays on the case and does not go to the citizen with
   every answer; a picture pasted into the text above does. A reply of
   a command and the signature sends the citizen nothing. */
START_TEST(test_handler_signature_logo)
{
	const char *mime = "MIME-Version: 1.0\nContent-Type: multipart/related; "
			   "boundary=\"rel\"; type=\"multipart/alternative\"\n";
	char *to, *body;

	to = eva_notified("l1@example.se", "Det bullrar.");
	body = outlook_reply("#ta\n\nHej Anna! Så här ser platsen ut:\n\n"
			     "[cid:image002.jpg@01DA4B2C.8F5E3A10]\n\n"
			     "Med vänlig hälsning\nEva Ek\n"
			     "[cid:image001.png@01DA4B2C.8F5E3A10]\n"
			     "Kommunen\n");
	deliver_mail("eva@kommun.example", to, "SV", "l2@kommun.example", mime,
		     body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'anna@example.se' AND body LIKE "
			       "'%Så här ser platsen ut%Eva Ek%'"), 1);
	ck_assert_int_eq(sent_to_anna(NULL), 1);
	ck_assert_int_eq(sent_to_anna("image002.jpg"), 1);
	/* both kept on the case */
	ck_assert_int_eq(count("SELECT count(*) FROM attachment WHERE "
			       "filename = 'image001.png'"), 1);
	/* a command and the signature with its logo: nothing to Anna */
	body = outlook_reply("#prioritet high\n\nMed vänlig hälsning\n"
			     "Eva Ek\n[cid:image001.png@01DA4B2C.8F5E3A10]\n"
			     "Kommunen\n");
	deliver_mail("eva@kommun.example", to, "SV", "l3@kommun.example", mime,
		     body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE priority = "
			       "'high'"), 1);
	/* the acknowledgement and the answer above */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), 2);
	free(to);
}
END_TEST

/* Thunderbird writes no placeholder in the text: the HTML marks the
   signature (class="moz-signature"), and a picture in it is the logo,
   which stays on the case; a picture in the answer above goes to the
   citizen. */
START_TEST(test_handler_signature_logo_thunderbird)
{
	const char *mime = "MIME-Version: 1.0\nContent-Type: multipart/"
			   "alternative; boundary=\"alt\"\n";
	char *to;

	to = eva_notified("t1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "t2@kommun.example", mime,
		"--alt\nContent-Type: text/plain; charset=utf-8; "
		"format=flowed\n\n"
		"#ta\n\nHej Anna! Så här ser platsen ut:\n\n-- \nEva Ek\n"
		"Kommunen\n\n"
		"--alt\nContent-Type: multipart/related; boundary=\"rel\"\n\n"
		"--rel\nContent-Type: text/html; charset=utf-8\n\n"
		"<html><body><p>#ta</p><p>Hej Anna! Så här ser platsen ut:</p>"
		"<p><img src=\"cid:part1.Xq3.Kp9@kommun.example\"></p>"
		"<div class=\"moz-signature\">-- <br>Eva Ek<br>"
		"<img src=\"cid:part2.Lg7.Mm1@kommun.example\"></div>"
		"</body></html>\n"
		"--rel\nContent-Type: image/jpeg; name=\"platsen.jpg\"\n"
		"Content-Disposition: inline; filename=\"platsen.jpg\"\n"
		"Content-ID: <part1.Xq3.Kp9@kommun.example>\n"
		"Content-Transfer-Encoding: base64\n\n/9j/4AAQSkZJRgABAQ==\n"
		"--rel\nContent-Type: image/png; name=\"logo.png\"\n"
		"Content-Disposition: inline; filename=\"logo.png\"\n"
		"Content-ID: <part2.Lg7.Mm1@kommun.example>\n"
		"Content-Transfer-Encoding: base64\n\n"
		"iVBORw0KGgoAAAANSUhEUg==\n"
		"--rel--\n\n--alt--\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'anna@example.se' AND body LIKE "
			       "'%Så här ser platsen ut%'"), 1);
	/* the photo goes to Anna, the logo does not */
	ck_assert_int_eq(sent_to_anna(NULL), 1);
	ck_assert_int_eq(sent_to_anna("platsen.jpg"), 1);
	/* both kept on the case */
	ck_assert_int_eq(count("SELECT count(*) FROM attachment WHERE "
			       "filename = 'logo.png'"), 1);
	free(to);
}
END_TEST

/* A category is one word: letters (å, ä, ö too), digits, '_', '-'. */
START_TEST(test_handler_category_word)
{
	char *to, *body;

	to = eva_notified("g1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "g2@kommun.example", NULL,
		     "#kategori gata/väg\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#kategori gata/väg\n      utförs inte: "
			     "ange ett ord\n") != NULL, "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", to, "SV", "g3@kommun.example", NULL,
		     "#kategori a\tb\n");
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.refused'"), 2);
	deliver_mail("eva@kommun.example", to, "SV", "g4@kommun.example", NULL,
		     "#kategori gångväg\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE category = "
			       "'gångväg'"), 1);
	free(to);
}
END_TEST

/* A citizen's text written decomposed (NFD, "o" U+0308) is stored with
   the letters whole: the case's text, its subject and the full-text
   search see "skolan" as anyone types it. */
START_TEST(test_decomposed_letters)
{
	deliver_mail("lars@example.se", "arende@kommun.example",
		     "Gatlampa vid sko\xcc\x88lan", "d1@example.se", NULL,
		     "Lampan vid sko\xcc\x88lan a\xcc\x88r trasig.");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "coalesce(body_full, body_stripped) LIKE "
			       "'%skölan är trasig%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE "
			       "subject = 'Gatlampa vid skölan'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message_fts WHERE "
			       "message_fts MATCH 'skölan'"), 1);
}
END_TEST

/* #lista pads its state column by characters: a state with å, ä or ö
   ("löst") lines its subject up with the others. */
START_TEST(test_list_columns_swedish)
{
	char *to = eva_notified("kol1@example.se", "Det bullrar.");
	char *body, *line[2], *save = NULL;
	long col[2];

	deliver_mail("eva@kommun.example", to, "SV", "kol2@kommun.example",
		     NULL, "#klar\nBygget har nu tysta maskiner.\n");
	free(to);
	deliver_mail("bo@example.se", "arende@kommun.example", "Trasig gunga",
		     "kol3@example.se", NULL, "Gungan är trasig.");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	/* Eva's too, in a state without å, ä or ö */
	ck_assert(store_exec(store, "UPDATE cases SET assignee_id = (SELECT "
			     "id FROM contact WHERE login = 'eva') WHERE "
			     "number = 'KS-2026-00002'", NULL) == 0);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "kol4@kommun.example", NULL, "#lista\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, " löst ") != NULL, "%s", body);
	strtok_r(body, "\n", &save);
	for (int i = 0; i < 2; i++) {
		const char *subject;

		/* the cases' lines, not the titles or deadlines */
		do
			line[i] = strtok_r(NULL, "\n", &save);
		while (line[i] != NULL && strncmp(line[i], "  KS-", 5) != 0);
		ck_assert_msg(line[i] != NULL, "%s", body);
		subject = strstr(line[i], i == 0 ? "Trasig" : "Buller");
		if (subject == NULL)
			subject = strstr(line[i], i == 0 ? "Buller" : "Trasig");
		ck_assert_msg(subject != NULL, "%s", line[i]);
		col[i] = 0;
		/* characters, not bytes, before the subject */
		for (const char *p = line[i]; p < subject; p++)
			col[i] += ((unsigned char)*p & 0xc0) != 0x80;
	}
	ck_assert_msg(col[0] == col[1], "subject at %ld and %ld:\n%s\n%s",
		      col[0], col[1], line[0], line[1]);
	free(body);
}
END_TEST

/* Every line of BODY has at most 72 characters, as mail is wrapped. */
static void
assert_fits_72(const char *body)
{
	for (const char *p = body; *p != '\0'; p += strcspn(p, "\n") +
	     (p[strcspn(p, "\n")] == '\n')) {
		char *line = xstrndup(p, strcspn(p, "\n"));

		ck_assert_msg(utf8_length(line) <= 72, "%s", line);
		free(line);
	}
}

/* #lista lists the unassigned cases of the case officer's groups too,
   after her own. */
START_TEST(test_list_unassigned)
{
	char *to = eva_notified("lu1@example.se", "Det bullrar.");
	char *body, *mine, *theirs;

	deliver_mail("eva@kommun.example", to, "SV", "lu2@kommun.example",
		     NULL, "#ta\n");
	free(to);
	deliver_mail("bo@example.se", "arende@kommun.example", "Skylt",
		     "lu3@example.se", NULL, "Skylten har blåst ner.");
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "lu4@kommun.example", NULL, "#lista\n");
	body = newest_body("eva@kommun.example");
	mine = strstr(body, "Tilldelade dig:\n  KS-2026-00001 ");
	theirs = strstr(body, "Otilldelade i dina grupper:\n"
			"  KS-2026-00002   registrerad    Skylt\n");
	ck_assert_msg(mine != NULL && theirs != NULL && mine < theirs, "%s",
		      body);
	free(body);
	/* a long subject and a long state label: the lines still fit 72 */
	ck_assert(store_exec(store, "UPDATE cases SET subject = 'Ödslig "
			     "gångväg vid ån där lamporna är släckta sedan "
			     "i höstas och ingen har åtgärdat något', state = "
			     "'väntar-på-entreprenör'", NULL) == 0);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "lu5@kommun.example", NULL, "#lista\n");
	body = newest_body("eva@kommun.example");
	assert_fits_72(body);
	ck_assert_msg(strstr(body, "väntar-på-entreprenör  Ödslig") != NULL,
		      "%s", body);
	free(body);
	/* #sök lists so too, and a case with no subject says so */
	ck_assert(store_exec(store, "UPDATE cases SET subject = NULL WHERE "
			     "number = 'KS-2026-00002'", NULL) == 0);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "lu6@kommun.example", NULL, "#sök skylt\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "KS-2026-00002   väntar-på-entreprenör  "
			     "(inget ämne)\n") != NULL, "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "lu7@kommun.example", NULL, "#sök bullrar\n");
	body = newest_body("eva@kommun.example");
	assert_fits_72(body);
	ck_assert_msg(strstr(body, "Ödslig gångväg") != NULL &&
		      strstr(body, "…\n") != NULL, "%s", body);
	free(body);
}
END_TEST

/* Commands without a case, answered by mail. */
START_TEST(test_handler_commands)
{
	char *body, *to;

	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Parkering på gräset", "c1@example.se", NULL,
		     "Bilar parkerar på gräsmattan.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "c2@kommun.example", NULL,
		     "#ta\n#prioritet hög\n");
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "c3@kommun.example", NULL, "#lista\n");
	body = newest_body("eva@kommun.example");
	/* as the morning digest lists them, in lines that fit 72 */
	ck_assert_msg(has_text(body, "#lista\nTilldelade dig:\n"
			       "  KS-2026-00001 tilldelad Parkering på gräset\n"
			       "  klart senast ") &&
		      has_text(body, ", hög prioritet\n"), "%s", body);
	assert_fits_72(body);
	free(body);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "c4@kommun.example", NULL, "#sok gräsmattan\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "KS-2026-00001") != NULL, "%s", body);
	/* the search in the read log with the cases it showed, never the
	   words searched for */
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = "
			       "'case.search' AND actor = 'mail:eva' AND "
			       "detail = 'by mail: KS-2026-00001'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE detail LIKE "
			       "'%gräsmatt%'"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	free(body);
	/* no hits is said, not left blank */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "c5@kommun.example", NULL, "#sok cykelbana\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strcmp(body, "#sok cykelbana\n  inga ärenden\n") == 0,
		      "%s", body);
	free(body);
	/* written decomposed (NFD: "o" U+0308), as some Macs send it: the
	   command word and the words searched for are the same letters */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "c11@kommun.example", NULL,
		     "#so\xcc\x88k gra\xcc\x88smattan\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#sök gräsmattan\n") != NULL &&
		      strstr(body, "KS-2026-00001") != NULL, "%s", body);
	free(body);
	/* #visa and #sök without what to look for ask for it */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "c10@kommun.example", NULL, "#visa\n#sök\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strcmp(body, "#visa\n  skriv ett ärendenummer, som i "
			     "#visa KS-2026-00042\n\n#sök\n  skriv orden att "
			     "söka efter, som i #sök gatlampa\n") == 0,
		      "%s", body);
	free(body);
	/* a case's command without the case is explained, not only helped */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "c6@kommun.example", NULL, "#klar\n#hjälp\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "#klar\n  okänt kommando här; kommandon "
			       "om ett ärende skriver du i ett svar på "
			       "aviseringen\n\n  #lista") &&
		      strstr(body, "#hjälp\n  #lista") != NULL, "%s", body);
	/* each command once, spelt as Swedish spells it: #sök, not #sok,
	   which is taken all the same */
	ck_assert_msg(has_text(body, "\n  #sök ORD — Ärenden vars meddelanden "
			       "har alla orden\n") &&
		      has_text(body, "\n  #sök ORD — Ärenden vars meddelanden "
			       "har alla orden\n  #hjälp — Kommandona\n") &&
		      /* #borta and #tillbaka under the heading of her own
			 address, which it gives */
		      has_text(body, "\n  #hjälp — Kommandona\n\nBara på din "
			       "egen cirm-adress, arende+h") &&
		      has_text(body, "så går svaret dit):\n\n  #borta "
			       "ÅÅÅÅ-MM-DD — Borta till och med den dagen") &&
		      has_text(body, "\n  #tillbaka — Tillbaka tidigare än "
			       "dagen i #borta\n") &&
		      strstr(body, "#sok") == NULL &&
		      strstr(body, "#hjalp") == NULL, "%s", body);
	free(body);
	/* under a greeting and above a signature: still commands, and no
	   case opened for the handler */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "Lista",
		     "c7@kommun.example", NULL,
		     "Hej!\n\n#lista\n\nMed vänlig hälsning\nEva\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strncmp(body, "#lista\nTilldelade dig:\n  KS-2026-00001",
			      38) == 0, "%s", body);
	free(body);
	/* a number copied from a subject, brackets and all */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "c9@kommun.example", NULL, "#visa [ks-2026-00001]\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "\nKS-2026-00001  Parkering på gräset\n") !=
		      NULL, "%s", body);
	free(body);
	/* or without the zeros, as it is said on the telephone */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "c9b@kommun.example", NULL, "#visa ks-2026-1\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "\nKS-2026-00001  Parkering på gräset\n") !=
		      NULL, "%s", body);
	free(body);
	/* #visa of one case: a reply to the answer acts on it */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "c11@kommun.example", NULL, "#visa KS-2026-00001\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Svara på det här mejlet med ett kommando "
			       "överst för att arbeta med KS-2026-00001. "
			       "Kommandon som gäller nu:\n\n") &&
		      strstr(body, "  #klar") != NULL, "%s", body);
	free(body);
	free(to);
	to = eva_reply_to();
	ck_assert_msg(strstr(to, "arende+ks-2026-00001.h") == to, "%s", to);
	deliver_mail("eva@kommun.example", to, "SV: Dina kommandon",
		     "c12@kommun.example", NULL, "#prioritet high\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE priority = "
			       "'high'"), 1);
	/* two cases shown: no reply could say which, so none is signed
	   for a case; a reply goes to her own address, on no case */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "c13@kommun.example", NULL,
		     "#visa KS-2026-00001\n#visa KS-2026-00001\n");
	body = text("SELECT headers FROM outbox_mail WHERE recipient = "
		    "'eva@kommun.example' ORDER BY id DESC LIMIT 1");
	ck_assert_msg(strstr(body, "\nReply-To: arende+h") != NULL &&
		      strstr(body, "ks-") == NULL, "%s", body);
	free(body);
	/* from a citizen, the same is an ordinary mail */
	deliver_mail("bertil@example.se", "arende@kommun.example", "Lista",
		     "c8@example.se", NULL, "Hej!\n\n#lista\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	free(to);
}
END_TEST

/* The answer to LOGIN's mail of commands CMDS to the case address. */
static char *
commands_answer(const char *login, const char *id, const char *cmds)
{
	char *from = xasprintf("%s@kommun.example", login);
	char *sql = xasprintf("SELECT body FROM outbox_mail WHERE recipient = '%s' "
			      "ORDER BY id DESC LIMIT 1", from);
	char *body;

	deliver_mail(from, "arende@kommun.example", "x", id, NULL, cmds);
	body = text(sql);
	free(sql);
	free(from);
	return body;
}

/* A handler who answers between the lines quoted from the notification
   (as mutt and Thunderbird users do): the citizen gets each answer
   below the question it answers, when that line is the citizen's own;
   quoted lines of the notification itself (its labels, its history
   with an internal note) never go to the citizen. */
START_TEST(test_handler_answers_between_quotes)
{
	char *to, *body;

	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Återvinning", "q1@example.se", NULL,
		     "Hej!\nVilken tid öppnar återvinningscentralen på "
		     "lördag?\nFår man lämna gamla möbler där?\nAnna\n");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV: Återvinning",
		     "q2@kommun.example", NULL,
		     "#ta\n\nHej Anna!\n\n"
		     "> Meddelandet:\n>\n"
		     "> Vilken tid öppnar återvinningscentralen på lördag?\n"
		     "Klockan 9.\n\n"
		     "> Får man lämna gamla möbler där?\n"
		     "Ja, i containern för grovavfall.\n\n"
		     "> Senaste meddelanden i ärendet:\n"
		     ">   2026-12-03 10:00 Eva Ek: Ring chefen om avgiften.\n"
		     "Vi hör av oss om avgiften.\n\n"
		     "> Så här svarar du: svara på det här mejlet.\n");
	body = newest_body("anna@example.se");
	ck_assert_msg(strstr(body, "Hej Anna!\n\n"
			     "> Vilken tid öppnar återvinningscentralen på "
			     "lördag?\nKlockan 9.\n\n"
			     "> Får man lämna gamla möbler där?\n"
			     "Ja, i containern för grovavfall.\n\n"
			     "Vi hör av oss om avgiften.") != NULL, "%s", body);
	ck_assert_msg(strstr(body, "Ring chefen") == NULL &&
		      strstr(body, "Meddelandet") == NULL &&
		      strstr(body, "Senaste meddelanden") == NULL &&
		      strstr(body, "Så här svarar du") == NULL, "%s", body);
	free(body);
	/* the case keeps what went to Anna */
	body = text("SELECT body_stripped FROM message WHERE "
		    "rfc_message_id = 'q2@kommun.example'");
	ck_assert_msg(strstr(body, "> Får man lämna gamla möbler där?\nJa,") !=
		      NULL && strstr(body, "Ring chefen") == NULL, "%s", body);
	free(body);
	/* a quoted line the mail client wrapped is still Anna's words;
	   part of a word of hers is not */
	deliver_mail("eva@kommun.example", to, "SV: Återvinning",
		     "q3@kommun.example", NULL,
		     "Hej igen!\n\n"
		     "> Vilken tid öppnar återvinningscentralen på\n"
		     "> lördag?\nKlockan 10, förlåt.\n\n"
		     "> gamla möb\nSe ovan.\n");
	body = newest_body("anna@example.se");
	ck_assert_msg(strstr(body, "> Vilken tid öppnar återvinningscentralen "
			     "på\n> lördag?\nKlockan 10, förlåt.") != NULL &&
		      strstr(body, "möb") == NULL, "%s", body);
	free(body);
	free(to);
}
END_TEST

/* A citizen who writes again instead of answering opens a second case:
   its notification lists the citizen's other open cases, those the case
   officer may read (case_access), so that the two are seen together. */
START_TEST(test_notification_lists_citizens_cases)
{
	char *body, *err = NULL;

	add_handler_eva();
	add_handler_in("kim", "bygglov");
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Trasig gatlykta", "o1@example.se", NULL,
		     "Lyktan vid Storgatan 12 lyser inte.");
	/* the first notification: nothing else open */
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "fler öppna ärenden") == NULL, "%s", body);
	free(body);
	/* a case of Anna's in a group Eva is not in, on no workflow of
	   hers: not hers to read, so not named to her */
	ck_assert_msg(store_exec(store,
		"INSERT INTO cases (number, prefix, year, seq, citizen_id, "
		"channel, subject, workflow, state, group_id, received_at, "
		"created_at, updated_at) SELECT 'KS-2026-00099', 'KS', 2026, 99, "
		"a.contact_id, 'email', 'Bygglov i skymundan', 'bygglov', 'ny', "
		"g.id, 1, 1, 1 FROM contact_address a, handler_group g WHERE "
		"a.address = 'anna@example.se' AND g.name = 'bygglov'",
		&err) == 0, "%s", err);
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Gatlyktan igen", "o2@example.se", NULL,
		     "Har ni fått mitt mejl om lyktan?");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "Handläggare:  ingen ännu\n\n"
				   "Invånaren har fler öppna ärenden:\n"
				   "  KS-2026-00001  Trasig gatlykta\n\n"
				   "Meddelandet:\n") != NULL, "%s", body);
	ck_assert_msg(strstr(body, "KS-2026-00099") == NULL &&
		      strstr(body, "skymundan") == NULL, "%s", body);
	free(body);
	/* another citizen's case lists none of Anna's */
	deliver_mail("bo@example.se", "arende@kommun.example",
		     "Annat", "o3@example.se", NULL, "Hej.");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "fler öppna ärenden") == NULL, "%s", body);
	free(body);
}
END_TEST

/* #mall NAME: a standard answer from templates/LANG/answers goes to the
   citizen, in the citizen's language, above the officer's closing; a
   name there is none of, or a file that cannot be used, refuses the
   reply, naming those there are. */
START_TEST(test_canned)
{
	char *to, *body, *path, *p;
	int64_t sent;
	FILE *f;

	to = eva_notified("cn1@example.se", "Vilka tider har ni öppet?\n"
			  "Kan man ringa på lördagar?");
	/* the notification names those there are, and #hjälp once */
	deliver_mail("eva@kommun.example", to, "SV", "cn1b@kommun.example",
		     NULL, "#hjälp\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#mall NAMN") != NULL &&
		      strstr(strstr(body, "#mall NAMN") + 1, "#mall NAMN") ==
		      NULL && has_text(body, "oppettider, tack, "
				       "vidarebefordrat"), "%s", body);
	free(body);
	body = text("SELECT body FROM outbox_mail WHERE recipient = "
		    "'eva@kommun.example' ORDER BY id LIMIT 1");
	ck_assert_msg(has_text(body, "#mall NAMN — Ett standardsvar i texten "
			       "till invånaren: oppettider, tack, "
			       "vidarebefordrat"), "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", to, "SV", "cn2@kommun.example", NULL,
		     "#mall öppettider\nHej Anna!\n\nMed vänlig hälsning\n"
		     "Eva Ek\n");
	body = newest_body("anna@example.se");
	p = strstr(body, "Hej Anna!");
	ck_assert_msg(p != NULL && (p = strstr(p, "Kommunens kontaktcenter har "
					       "öppet vardagar")) != NULL &&
		      strstr(p, "Med vänlig hälsning\nEva Ek") != NULL, "%s",
		      body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.refused'"), 0);

	/* refused, each saying why; nothing goes to Anna */
	sent = count("SELECT count(*) FROM outbox WHERE recipient = "
		     "'anna@example.se'");
	path = xasprintf("%s/templates/sv/answers/trasig", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("Inte UTF-8: \xe5\n", f);
	fclose(f);
	free(path);
	deliver_mail("eva@kommun.example", to, "SV", "cn3@kommun.example", NULL,
		     "#mall finnsinte\n#mall ../../../cirm.conf\n#mall\n"
		     "#mall trasig\nHej!\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "#mall finnsinte utförs inte: inget "
			       "sådant standardsvar på svenska; det finns: "
			       "oppettider, tack, trasig, vidarebefordrat") &&
		      has_text(body, "#mall ../../../cirm.conf utförs inte: "
			       "inget sådant standardsvar") &&
		      has_text(body, "#mall utförs inte: skriv standardsvarets "
			       "namn, som i #mall oppettider") &&
		      has_text(body, "#mall trasig utförs inte: standardsvaret "
			       "kan inte läsas") &&
		      /* to copy into the next try */
		      strstr(body, "Din text, som inte skickades:\n\nHej!\n") !=
		      NULL, "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", to, "SV", "cn3b@kommun.example",
		     NULL, "#mall oppettider tack\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "#mall oppettider tack utförs inte: ett "
			       "standardsvar per rad"), "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", to, "SV", "cn4@kommun.example", NULL,
		     "#notering\n#mall tack\nAnna verkar nöjd.\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "#mall tack utförs inte: ett standardsvar "
			       "går till invånaren, och #notering gör svaret "
			       "internt"), "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), sent);
	/* a refused reply is kept as the officer wrote it */
	deliver_mail("eva@kommun.example", to, "SV", "cn4b@kommun.example",
		     NULL, "#mall tack\n#prioritet jättehög\nHej!\n");
	body = text("SELECT body_stripped FROM message WHERE rfc_message_id = "
		    "'cn4b@kommun.example'");
	ck_assert_msg(strstr(body, "Hej!") != NULL &&
		      strstr(body, "Tack för att") == NULL, "%s", body);
	free(body);

	/* in the answer between quotes too */
	deliver_mail("eva@kommun.example", to, "SV", "cn4c@kommun.example",
		     NULL, "#mall tack\n\nHej Anna!\n\n"
		     "> Vilka tider har ni öppet?\n"
		     "Se nedan.\n\n"
		     "> Kan man ringa på lördagar?\n"
		     "Nej.\n\nMvh Eva\n");
	body = newest_body("anna@example.se");
	p = strstr(body, "> Kan man ringa på lördagar?\nNej.");
	ck_assert_msg(p != NULL && (p = strstr(p, "Tack för att du tog dig "
					       "tid")) != NULL &&
		      strstr(p, "Mvh Eva") != NULL, "%s", body);
	free(body);

	/* a name as a sentence ends; a file named in capitals */
	path = xasprintf("%s/templates/sv/answers/Bygglov", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("Bygglov söker du i e-tjänsten.\n", f);
	fclose(f);
	free(path);
	deliver_mail("eva@kommun.example", to, "SV", "cn4e@kommun.example",
		     NULL, "#mall öppettider.\n#mall bygglov\n");
	body = newest_body("anna@example.se");
	ck_assert_msg(has_text(body, "Kommunens kontaktcenter") &&
		      has_text(body, "Bygglov söker du i e-tjänsten."), "%s",
		      body);
	free(body);

	/* "#språk en" in the same reply: in English at once */
	deliver_mail("eva@kommun.example", to, "SV", "cn4d@kommun.example",
		     NULL, "#språk en\n#mall vidarebefordrat\n");
	body = newest_body("anna@example.se");
	ck_assert_msg(has_text(body, "We have passed your case on"), "%s",
		      body);
	free(body);

	/* the text a #fråga needs; to a citizen who reads English, in
	   English */
	ck_assert_int_eq(store_exec(store, "UPDATE contact SET language = 'en' "
				    "WHERE kind = 'citizen'", NULL), 0);
	deliver_mail("eva@kommun.example", to, "SV", "cn5@kommun.example", NULL,
		     "#fråga\n#mall tack\n");
	body = newest_body("anna@example.se");
	ck_assert_msg(has_text(body, "Thank you for taking the time to write "
			       "to us."), "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'handler.refused'"), 4);
	free(to);
}
END_TEST

/* #visa of a kept case shows a merged case the officer may not read
   by its number only (case_access = groups). */
START_TEST(test_merge_show_access)
{
	char *body;

	add_handler_eva();
	add_handler_in("kim", "bygglov");	/* no role in synpunkt */
	deliver_mail("anna@example.se", "arende@kommun.example", "Bygget",
		     "ms1@example.se", NULL, "Det bullrar från bygget.");
	deliver_mail("anna@example.se", "arende@kommun.example", "Bygget igen",
		     "ms2@example.se", NULL, "Bygget bullrar på natten.");
	/* the first given to kim, the second merged into it */
	ck_assert_int_eq(store_exec(store, "UPDATE cases SET assignee_id = "
				    "(SELECT id FROM contact WHERE login = "
				    "'kim') WHERE id = 1; UPDATE cases SET "
				    "merged_into = 1, closed_at = 1 WHERE id "
				    "= 2", NULL), 0);
	body = commands_answer("kim", "ms3@kommun.example",
			       "#visa KS-2026-00001\n");
	ck_assert_msg(strstr(body, "Det bullrar från bygget.") != NULL &&
		      strstr(body, "\nKS-2026-00002, sammanslaget hit: inte "
			     "ditt att läsa\n") != NULL &&
		      strstr(body, "på natten") == NULL, "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = "
			       "'case.read' AND object = 'KS-2026-00002'"), 0);
	/* the answer is named by the case shown */
	body = text("SELECT subject FROM outbox WHERE recipient = "
		    "'kim@kommun.example' ORDER BY id DESC LIMIT 1");
	ck_assert_str_eq(body, "Dina kommandon [KS-2026-00001]");
	free(body);
}
END_TEST

/* case_access = groups: a case officer reads by mail the cases of the
   workflows where one of their groups has a role (case officers and
   managers), of their groups, and those assigned to them; of another
   case #visa says it is not theirs to read and #sök is silent. */
START_TEST(test_handler_case_access)
{
	char *body;

	add_handler_eva();
	add_handler_in("kim", "bygglov");	/* no role in synpunkt */
	add_handler_in("lena", "ledning");	/* synpunkt's chef */
	deliver_mail("anna@example.se", "arende@kommun.example",
		     "Parkering på gräset", "a1@example.se", NULL,
		     "Bilar parkerar på gräsmattan.");
	body = commands_answer("kim", "a2@kommun.example",
			       "#visa KS-2026-00001\n#sok gräsmattan\n");
	ck_assert_msg(strcmp(body, "#visa KS-2026-00001\n  inte ditt att "
			     "läsa: varken tilldelat dig eller i någon av "
			     "dina grupper\n\n#sok gräsmattan\n  inga "
			     "ärenden\n") == 0, "%s", body);
	free(body);
	body = commands_answer("lena", "a3@kommun.example",
			       "#visa KS-2026-00001\n#sok gräsmattan\n");
	ck_assert_msg(strstr(body, "\nKS-2026-00001  Parkering på gräset\n") !=
		      NULL && strstr(body, "Bilar parkerar") != NULL &&
		      strstr(body, "#sok gräsmattan\n  KS-2026-00001") != NULL,
		      "%s", body);
	free(body);
	/* assigned to kim (by a manager's #tilldela, say): kim reads it */
	ck_assert_int_eq(store_exec(store, "UPDATE cases SET assignee_id = "
				    "(SELECT id FROM contact WHERE login = "
				    "'kim')", NULL), 0);
	body = commands_answer("kim", "a4@kommun.example",
			       "#visa KS-2026-00001\n");
	ck_assert_msg(strstr(body, "Bilar parkerar") != NULL, "%s", body);
	free(body);
	/* in kim's group, not assigned: also */
	ck_assert_int_eq(store_exec(store, "UPDATE cases SET assignee_id = "
				    "NULL, group_id = (SELECT id FROM "
				    "handler_group WHERE name = 'bygglov')",
				    NULL), 0);
	body = commands_answer("kim", "a5@kommun.example", "#sok gräsmattan\n");
	ck_assert_msg(strstr(body, "KS-2026-00001") != NULL, "%s", body);
	free(body);
	/* case_access = all: anyone reads any case */
	ck_assert_int_eq(store_exec(store, "UPDATE cases SET group_id = NULL",
				    NULL), 0);
	mi->case_access_all = true;
	body = commands_answer("kim", "a6@kommun.example",
			       "#visa KS-2026-00001\n");
	ck_assert_msg(strstr(body, "Bilar parkerar") != NULL, "%s", body);
	free(body);
}
END_TEST

/* A template the citizen gets may show the handler's text (a comment
   in the mail that the case is resolved, as an administrator may add):
   a text under #notering is for colleagues, and the citizen's mail
   shows none of it, while the manager told of an escalation still
   reads the comment. */
START_TEST(test_handler_note_not_in_citizen_template)
{
	char *to, *tdir, *body;

	teardown();
	make_instance("");
	tdir = xasprintf("%s/templates/sv", dir);
	free(tu_write(tdir, "resolved", "Subject: Klart [{{case.number}}]\n\n"
		      "Hej!\n\nKommentar: {{message.text}}\n", 0640));
	free(tdir);
	start_mailin();
	add_handler_eva();
	add_handler_in("lena", "ledning");
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "t1@example.se", NULL, "Det bullrar.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "t2@kommun.example", NULL,
		     "#klar\n#notering\nGrannen är polis, vi släppte det.\n");
	free(to);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se' AND subject LIKE 'Klart%'"),
			 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'anna@example.se' AND body LIKE '%polis%'"), 0);
	/* the manager reads the note that came with an escalation */
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller igen",
		     "t3@example.se", NULL, "Det bullrar igen.");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV", "t4@kommun.example", NULL,
		     "#eskalera\n#notering\nGrannen är polis, ta det "
		     "försiktigt.\n");
	free(to);
	body = newest_body("lena@kommun.example");
	ck_assert_msg(strstr(body, "Grannen är polis") != NULL, "%s", body);
	free(body);
}
END_TEST

/* A case officer who has left the case's group (handler set
   --remove-group), and to whom it is not assigned, may no longer read
   it (case_access): the signed address of an old notification no
   longer lets them answer the citizen or take the case either. The
   reply is set aside and the case officer told why; assigned the case,
   or under case_access = all, the reply is carried out. */
START_TEST(test_handler_left_group)
{
	char *to, *body;
	int64_t sent;

	add_handler_eva();
	add_handler_in("bo", "synpunkter");
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "l1@example.se", NULL, "Det bullrar.");
	to = eva_reply_to();
	ck_assert_int_eq(store_exec(store, "DELETE FROM group_member WHERE "
				    "contact_id = (SELECT id FROM contact WHERE "
				    "login = 'eva')", NULL), 0);
	sent = count("SELECT count(*) FROM outbox WHERE recipient = "
		     "'anna@example.se'");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "l2@kommun.example", NULL,
		     "Hej Anna, vi skickar någon i morgon.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), sent);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE assignee_id "
			       "IS NULL"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE '%may not read%'"), 1);
	body = newest_to("eva@kommun.example", "body");
	ck_assert_msg(has_text(body, "varken tilldelat dig eller i någon av "
			       "dina grupper"), "%s", body);
	/* (a group the workflow only tells, group:NAME, may answer:
	   test_notified_group_answers) */
	ck_assert_msg(has_text(body, "kan ha kommit före ett gruppbyte"),
		      "%s", body);
	free(body);
	/* nor an internal note (#notering, which needs no role) */
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "l3@kommun.example", NULL, "#notering\nRingt grannen.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE visibility "
			       "= 'internal' AND body_stripped LIKE "
			       "'%grannen%'"), 0);
	/* assigned the case again, she answers */
	ck_assert_int_eq(store_exec(store, "UPDATE cases SET assignee_id = "
				    "(SELECT id FROM contact WHERE login = "
				    "'eva')", NULL), 0);
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "l4@kommun.example", NULL,
		     "Hej Anna, vi skickar någon i morgon.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), sent + 1);
	/* case_access = all: anyone may */
	ck_assert_int_eq(store_exec(store, "UPDATE cases SET assignee_id = "
				    "NULL", NULL), 0);
	mi->case_access_all = true;
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "l5@kommun.example", NULL, "Hej igen Anna.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna@example.se'"), sent + 2);
	free(to);
}
END_TEST

/* A case officer forwards a citizen's mail that came to their own
   address to the case address, to register it: the case is the
   citizen's, as if the citizen had written in (the acknowledgement goes
   to the citizen), with the citizen's text and subject, and says who
   forwarded it. Inline, as Outlook forwards in Swedish, and attached
   whole, where the citizen's own Message-ID finds a mail that came to
   the case address too. */
START_TEST(test_handler_forward)
{
	char *body, *own;

	add_handler_eva();
	deliver_mail("Eva Ek <eva@kommun.example>", "arende@kommun.example",
		     "VB: Trasig gatlykta", "f1@kommun.example", NULL,
		     "Kan någon registrera den här?\n\n"
		     "Med vänlig hälsning\nEva Ek\n\n"
		     "________________________________\n"
		     "Från: \"Andersson, Anna\" <Anna.Andersson@example.se>\n"
		     "Skickat: den 3 december 2026 10:15\n"
		     "Till: Eva Ek <eva@kommun.example>\n"
		     "Ämne: Trasig gatlykta\n\n"
		     "Hej!\n\nGatlyktan på Storgatan 4 är trasig sedan i "
		     "måndags.\n\nAnna\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases c JOIN contact p "
			       "ON p.id = c.citizen_id JOIN contact_address a "
			       "ON a.contact_id = p.id WHERE a.address = "
			       "'anna.andersson@example.se' AND p.name = "
			       "'Andersson, Anna' AND c.subject = 'Trasig "
			       "gatlykta'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event e JOIN contact h "
			       "ON h.id = e.actor_id WHERE e.kind = "
			       "'mail.forwarded' AND h.login = 'eva' AND "
			       "e.detail = 'den 3 december 2026 10:15'"), 1);
	body = text("SELECT body_stripped FROM message WHERE direction = "
		    "'in' AND kind = 'mail'");
	ck_assert_msg(strstr(body, "Gatlyktan på Storgatan 4") != NULL &&
		      strstr(body, "registrera") == NULL, "%s", body);
	free(body);
	/* its full text too, which a handler's answer may quote back to
	   the citizen: not Eva's note, nor the forward's header block */
	body = text("SELECT coalesce(body_full, body_stripped) FROM message "
		    "WHERE direction = 'in' AND kind = 'mail'");
	ck_assert_msg(strstr(body, "Gatlyktan på Storgatan 4") != NULL &&
		      strstr(body, "registrera") == NULL &&
		      strstr(body, "Skickat:") == NULL, "%s", body);
	free(body);
	/* Eva's words above it: her internal note on the case */
	body = text("SELECT body_stripped FROM message m JOIN contact h ON "
		    "h.id = m.contact_id WHERE m.kind = 'note' AND "
		    "m.visibility = 'internal' AND h.login = 'eva'");
	ck_assert_msg(strncmp(body, "Kan någon registrera den här?", 30) ==
		      0, "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE recipient = "
			       "'anna.andersson@example.se' AND subject LIKE "
			       "'Vi har tagit emot%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'eva@kommun.example' AND subject LIKE "
			       "'Vi har tagit emot%'"), 0);
	/* nor does it name Eva's forward, which Anna never had */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient = "
			       "'anna.andersson@example.se' AND headers LIKE "
			       "'%f1@kommun.example%'"), 0);

	/* attached whole: the same mail as the one Bertil also sent to
	   the case address is found again */
	deliver_mail("bertil@example.se", "arende@kommun.example", "Buller",
		     "b1@example.se", NULL, "Det bullrar på nätterna.");
	deliver_mail("eva@kommun.example", "arende@kommun.example",
		     "Fwd: Buller", "f2@kommun.example",
		     "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
		     "boundary=\"b\"\n",
		     "--b\nContent-Type: text/plain; charset=utf-8\n\n"
		     "Se nedan.\n"
		     "--b\nContent-Type: message/rfc822\n\n"
		     "From: Bertil <bertil@example.se>\n"
		     "To: eva@kommun.example\n"
		     "Subject: Buller\nMessage-ID: <b1@example.se>\n\n"
		     "Det bullrar på nätterna.\n--b--\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 2);
	/* and a new one of Cecilia's */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "Fwd: Hål",
		     "f3@kommun.example",
		     "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
		     "boundary=\"b\"\n",
		     "--b\nContent-Type: text/plain; charset=utf-8\n\n\n"
		     "--b\nContent-Type: message/rfc822\n\n"
		     "From: Cecilia <cecilia@example.se>\n"
		     "To: eva@kommun.example\n"
		     "Subject: Hål i vägen\nMessage-ID: <c1@example.se>\n\n"
		     "Ett stort hål vid skolan.\n--b--\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases c JOIN "
			       "contact_address a ON a.contact_id = "
			       "c.citizen_id WHERE a.address = "
			       "'cecilia@example.se' AND c.subject = "
			       "'Hål i vägen'"), 1);
	/* forwarded to her own cirm address (saved from the digest):
	   the same, the citizen's case */
	own = token_address_handler(mi->key, "arende@kommun.example",
				    count("SELECT id FROM contact WHERE login "
					  "= 'eva'"), 0);
	deliver_mail("eva@kommun.example", own, "Fwd: Skylt",
		     "f3b@kommun.example", NULL,
		     "---------- Forwarded message ---------\n"
		     "From: Dan <dan@example.se>\nSubject: Skylten\n\n"
		     "Skylten har blåst ner.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases c JOIN "
			       "contact_address a ON a.contact_id = "
			       "c.citizen_id WHERE a.address = "
			       "'dan@example.se' AND c.subject = 'Skylten'"),
			 1);
	free(own);
	/* no sender to be found: no case with the officer as its
	   citizen; she is told why and how to forward it */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "VB: Lampa",
		     "f4@kommun.example", NULL,
		     "Lampan är trasig, säger någon.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'mail.forwarded'"), 3);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 4);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "recipient = 'eva@kommun.example' AND body LIKE "
			       "'Det vidarebefordrade mejlet har inte "
			       "registrerats som ett ärende: cirm%#visa%'"),
			 1);
	/* a forward whose sender failed authentication: quarantined
	   before its text is searched for whose mail it is */
	deliver_mail("eva@kommun.example", "arende@kommun.example",
		     "VB: Lampa", "f4c@kommun.example",
		     "Authentication-Results: mx.kommun.example; dmarc=fail "
		     "header.from=kommun.example\n",
		     "Från: Anna <anna@example.se>\nÄmne: Lampa\n\nHej\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'mail a handler forwarded, whose sender "
			       "did not pass authentication%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 4);
	/* a plain mail of hers on no case: the same, said plainly */
	deliver_mail("eva@kommun.example", "arende@kommun.example",
		     "Fråga", "f4b@kommun.example", NULL,
		     "Hej, hur funkar det här?\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 4);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "recipient = 'eva@kommun.example' AND body LIKE "
			       "'Ditt meddelande hade inga kommandon och "
			       "hörde inte%#lista%'"), 1);

	/* forwarded inline, the forwarded mail carrying an .eml of its
	   own that claims to be Bertil's: the mail is the one the block
	   names, Mallory's, not the file it carried */
	deliver_mail("eva@kommun.example", "arende@kommun.example",
		     "VB: Brevet", "f5@kommun.example",
		     "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
		     "boundary=\"b\"\n",
		     "--b\nContent-Type: text/plain; charset=utf-8\n\n"
		     "Registrerar detta.\n\n-----Ursprungligt meddelande-----\n"
		     "Från: Mallory <mallory@evil.example>\nSkickat: den 3 "
		     "december 2026 10:15\nTill: Eva Ek <eva@kommun.example>\n"
		     "Ämne: Brevet\n\nSe grannens brev.\n"
		     "--b\nContent-Type: message/rfc822\n\n"
		     "From: Bertil <bertil@example.se>\n"
		     "To: arende@kommun.example\n"
		     "Subject: Re: Buller [KS-2026-00002]\nMessage-ID: "
		     "<b9@example.se>\n\nJag tar tillbaka klagomålet.\n"
		     "--b--\n");
	ck_assert_int_eq(count("SELECT count(*) FROM message m JOIN "
			       "contact_address a ON a.contact_id = "
			       "m.contact_id WHERE a.address = "
			       "'bertil@example.se' AND m.body_stripped LIKE "
			       "'%tillbaka%'"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM cases c JOIN "
			       "contact_address a ON a.contact_id = "
			       "c.citizen_id WHERE a.address = "
			       "'mallory@evil.example'"), 1);
	/* a forwarded mail that says it is a case officer's is nobody's
	   command and nobody's case */
	deliver_mail("eva@kommun.example", "arende@kommun.example", "VB: Lista",
		     "f6@kommun.example",
		     "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
		     "boundary=\"b\"\n",
		     "--b\nContent-Type: text/plain; charset=utf-8\n\n\n"
		     "--b\nContent-Type: message/rfc822\n\n"
		     "From: Eva <eva@kommun.example>\n"
		     "To: arende@kommun.example\n"
		     "Subject: x\nMessage-ID: <e9@kommun.example>\n\n"
		     "#visa KS-2026-00001\n--b--\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason = "
			       "'a forwarded mail whose sender is a case "
			       "officer'"), 1);
	/* and Eva, who forwarded it, is told, at her own address */
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "avsändare är en handläggare"), "%s",
		      body);
	free(body);
	/* a notification of cirm's own, forwarded to the case address
	   (to hand the case on): set aside, and she is told what works */
	deliver_mail("eva@kommun.example", "arende@kommun.example",
		     "VB: Nytt ärende", "f7@kommun.example", NULL,
		     "Kan någon titta på detta?\n\n"
		     "-----Ursprungligt meddelande-----\n"
		     "Från: Kommunen <arende@kommun.example>\n"
		     "Skickat: den 3 december 2026 10:15\n"
		     "Till: Eva Ek <eva@kommun.example>\n"
		     "Ämne: Nytt ärende\n\nEtt nytt ärende.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason = "
			       "'a forwarded mail from cirm''s own address'"),
			 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "som cirm själv har skickat") &&
		      has_text(body, "#notering"), "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = "
			       "'case.read'"), 0);
}
END_TEST

static const char *const sv_months[] = {
	"januari", "februari", "mars", "april", "maj", "juni", "juli",
	"augusti", "september", "oktober", "november", "december",
};
static const char *const en_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec",
};

/* Eva forwards a mail FROM wrote, as Outlook does, its Skickat line
   SENT, as a new case with SUBJECT. */
static void
forward_sent_at(const char *id, const char *from, const char *subject,
		const char *sent)
{
	char *body = xasprintf("Kan någon registrera den här?\n\n"
			       "________________________________\n"
			       "Från: %s\n"
			       "Skickat: %s\n"
			       "Till: Eva Ek <eva@kommun.example>\n"
			       "Ämne: %s\n\nGatlyktan på Storgatan 4 är "
			       "trasig.\n", from, sent, subject);
	char *fwd = xasprintf("VB: %s", subject);

	deliver_mail("Eva Ek <eva@kommun.example>", "arende@kommun.example",
		     fwd, id, NULL, body);
	free(fwd);
	free(body);
}

/* The Swedish date line Outlook writes for T: "den 6 december 2026
   18:02", into BUF; *TM_R is T's local time. */
static void
outlook_sent(time_t t, struct tm *tm_r, char buf[64])
{

	localtime_r(&t, tm_r);
	snprintf(buf, 64, "den %d %s %d %02d:%02d", tm_r->tm_mday,
		 sv_months[tm_r->tm_mon], tm_r->tm_year + 1900, tm_r->tm_hour,
		 tm_r->tm_min);
}

/* A citizen's mail that reached a case officer yesterday and that the
   officer forwarded today arrived yesterday (förvaltningslagen 22 §):
   the case's received time is the forward's Skickat line, and the
   acknowledgement names that day. A mail of 40 days ago keeps the time
   the forward came: a date so old is more likely wrong. */
START_TEST(test_handler_forward_sent_time)
{
	char sent[64], recv[64], *body, *want, *tz;
	int64_t before, after, got;
	struct tm tm;
	time_t t;

	tz = getenv("TZ") != NULL ? xstrdup(getenv("TZ")) : NULL;
	setenv("TZ", "Europe/Stockholm", 1);
	tzset();
	add_handler_eva();

	t = (time_t)cirm_now() - 86400;
	outlook_sent(t, &tm, sent);
	forward_sent_at("fs1@kommun.example",
			"Anna Andersson <anna@example.se>", "Trasig gatlykta",
			sent);
	got = count("SELECT received_at FROM cases WHERE subject = "
		    "'Trasig gatlykta'");
	ck_assert_msg(got == (int64_t)(t - tm.tm_sec), "%s: %lld, not %lld",
		      sent, (long long)got, (long long)(t - tm.tm_sec));
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE kind = "
			       "'mail' AND direction = 'in' AND at = (SELECT "
			       "received_at FROM cases)"), 1);
	body = newest_body("anna@example.se");
	want = xasprintf("Vi tog emot det den %d %s %d kl. %02d.%02d",
			 tm.tm_mday, sv_months[tm.tm_mon], tm.tm_year + 1900,
			 tm.tm_hour, tm.tm_min);
	ck_assert_msg(has_text(body, want), "%s\nnot in:\n%s", want, body);
	free(want);
	free(body);
	/* the history says when the forward came, and what it said */
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'mail.forwarded' AND at > (SELECT received_at "
			       "FROM cases)"), 1);

	/* 40 days old: the time the forward came */
	outlook_sent((time_t)cirm_now() - 40 * 86400, &tm, sent);
	before = cirm_now();
	forward_sent_at("fs2@kommun.example", "Bo Berg <bo@example.se>",
			"Buller", sent);
	after = cirm_now();
	got = count("SELECT received_at FROM cases WHERE subject = 'Buller'");
	ck_assert_msg(got >= before && got <= after, "%s: %lld", sent,
		      (long long)got);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'mail.forwarded'"), 2);

	/* attached whole: the second its Date names */
	t = (time_t)cirm_now() - 2 * 86400 + 17;
	gmtime_r(&t, &tm);
	strftime(sent, sizeof(sent), "%d Mon %Y %H:%M:%S +0000", &tm);
	memcpy(sent + 3, en_months[tm.tm_mon], 3);	/* "07 Dec 2026" */
	body = xasprintf("--b\nContent-Type: text/plain; charset=utf-8\n\n"
			 "Se nedan.\n--b\nContent-Type: message/rfc822\n\n"
			 "From: Cecilia <cecilia@example.se>\n"
			 "To: eva@kommun.example\nDate: %s\n"
			 "Subject: Hål i vägen\nMessage-ID: <c1@example.se>"
			 "\n\nEtt stort hål vid skolan.\n--b--\n", sent);
	deliver_mail("eva@kommun.example", "arende@kommun.example",
		     "Fwd: Hål i vägen", "fs3@kommun.example",
		     "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
		     "boundary=\"b\"\n", body);
	free(body);
	got = count("SELECT received_at FROM cases WHERE subject = 'Hål i "
		    "vägen'");
	ck_assert_msg(got == (int64_t)t, "%s: %lld, not %lld", sent,
		      (long long)got, (long long)t);

	/* attached whole with the Received field of the officer's mail
	   server: that time, not a Date the sender's clock set back */
	t = (time_t)cirm_now() - 86400;
	gmtime_r(&t, &tm);
	strftime(recv, sizeof(recv), "%d Mon %Y %H:%M:%S +0000", &tm);
	memcpy(recv + 3, en_months[tm.tm_mon], 3);
	body = xasprintf("--b\nContent-Type: text/plain; charset=utf-8\n\n"
			 "Se nedan.\n--b\nContent-Type: message/rfc822\n\n"
			 "Received: from mx.example.se by mx.kommun.example; "
			 "%s\nFrom: Cecilia <cecilia@example.se>\n"
			 "To: eva@kommun.example\nDate: %s\n"
			 "Subject: Överklagande\nMessage-ID: <c2@example.se>"
			 "\n\nJag överklagar beslutet.\n--b--\n", recv, sent);
	deliver_mail("eva@kommun.example", "arende@kommun.example",
		     "Fwd: Överklagande", "fs4@kommun.example",
		     "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
		     "boundary=\"b\"\n", body);
	free(body);
	got = count("SELECT received_at FROM cases WHERE subject = "
		    "'Överklagande'");
	ck_assert_msg(got == (int64_t)t, "%s: %lld, not %lld", recv,
		      (long long)got, (long long)t);

	if (tz != NULL)
		setenv("TZ", tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(tz);
}
END_TEST

/* A citizen's mail that came to the case address and, forwarded as
   an attachment by a case officer, again: one case, whatever the
   officer's mail program made of its text (Exchange writes a text/plain
   beside the HTML of a mail it forwards). */
START_TEST(test_forward_attached_same_mail)
{
	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Gatlampa",
		     "fa1@example.se",
		     "MIME-Version: 1.0\nContent-Type: text/html; "
		     "charset=utf-8\n",
		     "<p>Lampan lyser inte, se <a href=\"https://karta.example/"
		     "p/12\">kartan</a>.</p>\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	deliver_mail("eva@kommun.example", "arende@kommun.example",
		     "VB: Gatlampa", "fa2@kommun.example",
		     "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
		     "boundary=\"b\"\n",
		     "--b\nContent-Type: text/plain; charset=utf-8\n\n\n"
		     "--b\nContent-Type: message/rfc822\n\n"
		     "From: anna@example.se\nTo: arende@kommun.example\n"
		     "Subject: Gatlampa\nMessage-ID: <fa1@example.se>\n"
		     "MIME-Version: 1.0\nContent-Type: multipart/alternative; "
		     "boundary=\"a\"\n\n"
		     "--a\nContent-Type: text/plain; charset=utf-8\n\n"
		     "Lampan lyser inte, se kartan<https://karta.example/p/12>.\n"
		     "--a\nContent-Type: text/html; charset=utf-8\n\n"
		     "<p>Lampan lyser inte, se <a href=\"https://karta.example/"
		     "p/12\">kartan</a>.</p>\n--a--\n"
		     "--b--\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "direction = 'in' AND kind = 'mail'"), 1);
}
END_TEST

/* A message to the citizen that failed for good is the workflow's
   delivery.failed event, once. */
START_TEST(test_delivery_failure)
{
	char *err = NULL;
	int n = 0;

	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "d1@example.se", NULL, "Det bullrar.");
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(store_outbox_failed(store, 1, "550 5.1.1 no such user",
					     &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_msg(mailin_handle_failures(mi, store, 10, &n, &err) == 0, "%s",
		      err);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'delivery.failed.email' AND case_id = 1"), 1);
	ck_assert_int_eq(mailin_handle_failures(mi, store, 10, &n, &err), 0);
	ck_assert_int_eq(n, 0);
}
END_TEST

/* The words cirm handles itself on any case (#notering, #prioritet,
   #senast, #språk, and their English and other spellings) are
   suggested as the workflow's are, in the handler's language. */
START_TEST(test_own_command_suggested)
{
	char *to, *body;

	to = eva_notified("oc1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV", "oc2@kommun.example", NULL,
		     "#notring\n#prioritt hög\n#senst 2030-01-01\n#sprk en\n"
		     "#deadlin 2030-01-01\n#intrn\n\nHej.\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "  #notring\n      utförs inte: okänt "
			     "kommando. Menade du #notering?\n") != NULL &&
		      strstr(body, "  #prioritt hög\n      utförs inte: okänt "
			     "kommando. Menade du #prioritet?\n") != NULL &&
		      strstr(body, "  #senst 2030-01-01\n      utförs inte: "
			     "okänt kommando. Menade du #senast?\n") != NULL &&
		      strstr(body, "  #sprk en\n      utförs inte: okänt "
			     "kommando. Menade du #språk?\n") != NULL &&
		      strstr(body, "  #deadlin 2030-01-01\n      utförs inte: "
			     "okänt kommando. Menade du #deadline?\n") != NULL &&
		      strstr(body, "  #intrn\n      utförs inte: okänt "
			     "kommando. Menade du #intern?\n") != NULL,
		      "%s", body);
	free(body);
	ck_assert_int_eq(store_exec(store, "UPDATE contact SET language = 'en' "
				    "WHERE login = 'eva'", NULL), 0);
	deliver_mail("eva@kommun.example", to, "SV", "oc3@kommun.example", NULL,
		     "#nte\n#prioritt high\n#langage en\n\nHi.\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "  #nte\n      not carried out: unknown "
			     "command. Did you mean #note?\n") != NULL &&
		      strstr(body, "  #prioritt high\n      not carried out: "
			     "unknown command. Did you mean #priority?\n") !=
		      NULL &&
		      strstr(body, "  #langage en\n      not carried out: "
			     "unknown command. Did you mean #language?\n") !=
		      NULL, "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "recipient = 'anna@example.se'"), 1);
	free(to);
}
END_TEST

/* An unknown word in a mail to the command address close to a command
   without a case gets the hint a reply on a case gets, in the
   handler's language; one far from them, or a case's command, is
   explained as before, and the help follows either way. */
START_TEST(test_caseless_command_suggested)
{
	char *body;

	add_handler_eva();
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "cs1@kommun.example", NULL,
		     "#lsita\n#hjlp\n#sk gatlampa\n#Visa:\n#xyzzy\n#klar\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#lsita\n  okänt kommando. Menade du "
			     "#lista?\n\n  #lista") != NULL &&
		      strstr(body, "#hjlp\n  okänt kommando. Menade du "
			     "#hjälp?\n\n  #lista") != NULL &&
		      strstr(body, "#sk gatlampa\n  okänt kommando. Menade du "
			     "#sök?\n\n  #lista") != NULL &&
		      strstr(body, "#Visa:\n  okänt kommando. Menade du "
			     "#visa?\n\n  #lista") != NULL &&
		      has_text(body, "#xyzzy\n  okänt kommando här; "
			       "kommandon om ett ärende skriver du i ett svar "
			       "på aviseringen\n\n  #lista") &&
		      has_text(body, "#klar\n  okänt kommando här; "
			       "kommandon om ett ärende skriver du i ett svar "
			       "på aviseringen\n\n  #lista"), "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 0);
	ck_assert_int_eq(store_exec(store, "UPDATE contact SET language = 'en' "
				    "WHERE login = 'eva'", NULL), 0);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "cs2@kommun.example", NULL, "#lsit\n#serch x\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "#lsit\n  unknown command. Did you mean "
			     "#list?\n\n  #list") != NULL &&
		      strstr(body, "#serch x\n  unknown command. Did you mean "
			     "#search?\n\n  #list") != NULL, "%s", body);
	free(body);
}
END_TEST

/* The shipped workflows' notifications show #fråga and #stäng, spelt
   as Swedish spells them, and the spellings without Swedish letters
   (#fraga, #stang) work all the same. */
START_TEST(test_swedish_command_words)
{
	char *to1, *to2, *body;

	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "sw1@example.se", NULL, "Det bullrar.");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "\n #fråga \xe2\x80\x94 Fråga invånaren") &&
		      has_text(body, "\n #stäng \xe2\x80\x94 Stäng utan "
			       "åtgärd") &&
		      strstr(body, "#fraga") == NULL &&
		      strstr(body, "#stang") == NULL, "%s", body);
	free(body);
	to1 = eva_reply_to();
	deliver_mail("bo@example.se", "arende@kommun.example", "Gatlampa",
		     "sw2@example.se", NULL, "Lampan är trasig.");
	to2 = eva_reply_to();
	ck_assert_str_ne(to1, to2);
	deliver_mail("eva@kommun.example", to1, "SV", "sw3@kommun.example",
		     NULL, "#fraga\n\nNär bullrar det?\n");
	deliver_mail("eva@kommun.example", to2, "SV", "sw4@kommun.example",
		     NULL, "#Fråga\n\nVar står lampan?\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'vantar-svar'"), 2);
	deliver_mail("eva@kommun.example", to1, "SV", "sw5@kommun.example",
		     NULL, "#stang\n");
	deliver_mail("eva@kommun.example", to2, "SV", "sw6@kommun.example",
		     NULL, "#STÄNG\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE state = "
			       "'avslutad'"), 2);
	free(to1);
	free(to2);
}
END_TEST

/* The history in a notification is read at 72 columns: each line fits,
   counted in characters (å, ä and ö are two bytes each), with "…" where
   the text was cut, never through a character; a long name is cut to
   leave the text room. */
START_TEST(test_history_lines_fit)
{
	char *to, *body, *hist;
	size_t cut = 0, lines = 0;

	add_handler_eva();
	deliver_mail("anna@example.se", "arende@kommun.example", "Buller",
		     "hl1@example.se", NULL,
		     "Hej!\n\nDet dånar från bygget på Östra Ågatan från "
		     "tidig morgon till sen kväll, även på söndagar, och "
		     "ingen gör något åt det.\n");
	to = eva_reply_to();
	ck_assert_int_eq(store_exec(store, "UPDATE contact SET name = "
				    "'Eva-Lotta Åkesson Östergren-Wahlström' "
				    "WHERE login = 'eva'", NULL), 0);
	deliver_mail("eva@kommun.example", to, "SV", "hl2@kommun.example", NULL,
		     "#tilldala olle\nHej Anna! Vi tittar på ärendet och "
		     "återkommer så snart vi vet något mer om störningarna.\n");
	deliver_mail("eva@kommun.example", to, "SV", "hl3@kommun.example", NULL,
		     "#notering\nRing byggfirman Åkesson & Söner och fråga om "
		     "de kan dämpa bullret från pålningen.\n");
	deliver_mail("anna@example.se", "arende@kommun.example", "Re: Buller",
		     "hl4@example.se", "In-Reply-To: <hl1@example.se>\n",
		     "Nu är det värre än någonsin: pålningen började "
		     "klockan sex i morse och håller på än.\n");
	body = newest_body("eva@kommun.example");
	ck_assert_int_eq(utf8_bad_line(body), 0);
	hist = strstr(body, "Senaste meddelanden i ärendet:\n");
	ck_assert_msg(hist != NULL, "%s", body);
	for (char *p = strchr(hist, '\n') + 1; *p != '\0' && *p != '\n';) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n);

		ck_assert_msg(utf8_length(line) <= 72, "%zu: %s", utf8_length(line),
			      line);
		cut += strstr(line, "\xe2\x80\xa6") != NULL;
		lines++;
		free(line);
		p += n + (p[n] == '\n');
	}
	ck_assert_msg(lines == 5 && cut >= 4, "%s", hist);
	ck_assert_msg(strstr(hist, "<- Hej! Det dånar från bygget på") !=
		      NULL && strstr(hist, " Eva-Lotta\xe2\x80\xa6 (avvisat, "
				     "inte skickat): Hej Anna!") != NULL &&
		      strstr(hist, " Eva-Lotta Åkesson\xe2\x80\xa6 (intern): "
			     "Ring byggfirman") != NULL, "%s", hist);
	free(body);
	free(to);
}
END_TEST

/* cirm's own field commands take effect before the workflow's, in
   whatever order the lines come: the manager's mail about an
   escalation shows the deadline set below #eskalera, and #eskalera
   sees the priority set below it (urgent stays urgent). */
START_TEST(test_fields_before_workflow_commands)
{
	char *to, *body;

	to = eva_notified("fb1@example.se", "Det bullrar.");
	add_handler_in("lena", "ledning");	/* synpunkt's chef */
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "fb2@kommun.example", NULL,
		     "#eskalera\n#senast 2030-01-31\n"
		     "#prioritet brådskande\n");
	body = newest_body("lena@kommun.example");
	ck_assert_msg(strstr(body, "Klart senast: 2030-01-31") != NULL, "%s",
		      body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE priority = "
			       "'urgent'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'cmd.escalate'"), 1);
	free(to);
}
END_TEST

/* An answer the case officer signed ("Hälsningar Eva") is not closed a
   second time by the frame around it: the municipality's name follows,
   without "Med vänlig hälsning". An unsigned answer keeps it. */
START_TEST(test_answer_signed_once)
{
	char *to, *body;

	to = eva_notified("so1@example.se", "Det bullrar.");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "so2@kommun.example", NULL,
		     "Vi pratar med byggfirman.\n\nHälsningar\nEva\n");
	body = newest_body("anna@example.se");
	ck_assert_msg(strstr(body, "Hälsningar\nEva\n\nÄrende KS-2026-00001") !=
		      NULL && strstr(body, "Med vänlig hälsning") == NULL,
		      "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "so3@kommun.example", NULL, "De slutar klockan 22.\n");
	body = newest_body("anna@example.se");
	ck_assert_msg(strstr(body, "De slutar klockan 22.\n\nMed vänlig "
			     "hälsning\n") != NULL, "%s", body);
	free(body);
	/* nor the frame of a resolved case, with a whole signature, which
	   comes last, below the frame's own words, as in a letter */
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "so4@kommun.example", NULL,
		     "#klar\nByggfirman har lovat att sluta klockan 22.\n\n"
		     "Vänliga hälsningar\nEva Ek\nHandläggare, "
		     "Samhällsbyggnad\nExempels kommun\n");
	body = newest_body("anna@example.se");
	ck_assert_msg(strstr(body, "Byggfirman har lovat att sluta klockan "
			     "22.\n\nVi har nu behandlat") != NULL &&
		      strstr(body, "öppnar vi ärendet igen.\n\nVänliga "
			     "hälsningar\nEva Ek\nHandläggare, Samhällsbyggnad"
			     "\nExempels kommun\n") != NULL &&
		      strstr(body, "Med vänlig hälsning") == NULL,
		      "%s", body);
	free(body);
	free(to);
}
END_TEST

/* A citizen who forwarded a letter to us: its header block names her
   ("To: <Anna@Example.se>"). Eva's #vidarebefordra sends the letter
   along, but not Anna's address. */
START_TEST(test_forward_outside_masks_citizen_address)
{
	char *to, *body;

	to = eva_notified("fwm1@example.se",
			  "Vattnet har varit avstängt i två dagar.\n\n"
			  "---------- Forwarded message ---------\n"
			  "Från: VA-Entreprenören <info@va.example>\n"
			  "Subject: Avisering\n"
			  "To: <Anna@Example.se>\n\n"
			  "Vattnet stängs av tisdag kl 08-16.\n");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "fwm2@kommun.example", NULL,
		     "#vidarebefordra drift@entreprenor.example\n\n"
		     "Stämmer det?\n");
	body = newest_to("drift@entreprenor.example", "body");
	ck_assert_msg(has_text(body, "Vattnet stängs av tisdag kl 08-16.") &&
		      has_text(body, "To: <[invånarens adress]>") &&
		      strcasestr(body, "anna@example.se") == NULL, "%s", body);
	free(body);
	free(to);
}
END_TEST

/* #vidarebefordra sends the case to someone outside: Eva's text, the
   case and Anna's words, but not Anna's name nor address, from the
   case address, with a Reply-To signed for the forward; nothing goes
   to Anna. The answer comes back to the case, internal, and Eva is
   told with a Reply-To signed for her; Anna is not written to and no
   case is opened. An answer that names the forward only by
   In-Reply-To comes back the same way. Bad addresses, cirm's own, and
   a forward without a text are refused. */
START_TEST(test_forward_outside)
{
	char *to, *body, *hdr, *back, *subj, *mid, *extra;

	to = eva_notified("fw1@example.se", "Gatlampan vid Storgatan 3 är "
			  "trasig.");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "fw2@kommun.example", NULL,
		     "#vidarebefordra <drift@Entreprenor.Example>\n\n"
		     "Hej! Kan ni byta lampan i veckan?\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient "
			       "= 'anna@example.se'"), 1);
	body = newest_to("drift@entreprenor.example", "body");
	ck_assert_msg(has_text(body, "Hej! Kan ni byta lampan i veckan?") &&
		      has_text(body, "KS-2026-00001") &&
		      has_text(body, "Gatlampan vid Storgatan 3 är trasig.") &&
		      has_text(body, "svaret går till handläggaren") &&
		      strstr(body, "anna@example.se") == NULL, "%s", body);
	free(body);
	hdr = newest_to("drift@entreprenor.example", "headers");
	back = reply_to_of(hdr);
	ck_assert_msg(strncmp(back, "arende+ks-2026-00001.f", 22) == 0 &&
		      strstr(hdr, "Auto-Submitted") == NULL, "%s", hdr);
	free(hdr);
	subj = newest_to("drift@entreprenor.example", "subject");
	ck_assert_str_eq(subj, "Vidarebefordrat ärende: Buller "
			 "[KS-2026-00001]");
	free(subj);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'case.forwarded'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = "
			       "'case.forward' AND actor = 'mail:eva'"), 1);

	/* the contractor answers */
	deliver_mail("Drift <drift@entreprenor.example>", back,
		     "SV: Vidarebefordrat ärende", "fw3@entreprenor.example",
		     "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
		     "boundary=\"b\"\n", "--b\nContent-Type: text/plain; "
		     "charset=utf-8\n\nVi byter den på torsdag.\n--b\n"
		     "Content-Type: application/pdf\nContent-Disposition: "
		     "attachment; filename=arbetsorder.pdf\n"
		     "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
		     "--b--");
	/* their file goes to Eva with the answer, never to Anna */
	ck_assert_int_eq(count("SELECT count(*) FROM outbox o JOIN attachment "
			       "a ON a.message_id = o.message_id WHERE "
			       "o.recipient = 'eva@kommun.example' AND "
			       "a.filename = 'arbetsorder.pdf'"), 1);
	ck_assert_int_eq(sent_to_anna("arbetsorder.pdf"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "rfc_message_id = 'fw3@entreprenor.example' AND "
			       "visibility = 'internal'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient "
			       "= 'anna@example.se'"), 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Drift <drift@entreprenor.example> har "
			       "svarat. Svaret finns i ärendet och har INTE "
			       "gått till invånaren.") &&
		      has_text(body, "Vi byter den på torsdag.") &&
		      has_text(body, "(Med filerna de skickade, bifogade.)") &&
		      has_text(body, "Eva Ek vidarebefordrade ärendet till "
			       "drift@entreprenor.example den ") &&
		      has_text(body, "Hej! Kan ni byta lampan i veckan?"),
		      "%s", body);
	free(body);
	hdr = newest_to("eva@kommun.example", "headers");
	free(back);
	back = reply_to_of(hdr);
	ck_assert_msg(strstr(back, ".h") != NULL, "%s", back);
	free(hdr);
	free(back);
	/* by In-Reply-To alone, to the plain case address */
	mid = text("SELECT m.rfc_message_id FROM case_forward f JOIN message "
		   "m ON m.id = f.message_id");
	extra = xasprintf("In-Reply-To: <%s>\n", mid);
	deliver_mail("drift@entreprenor.example", "arende@kommun.example",
		     "SV: Vidarebefordrat ärende", "fw4@entreprenor.example",
		     extra, "Klart nu, lampan lyser.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "rfc_message_id = 'fw4@entreprenor.example' AND "
			       "visibility = 'internal'"), 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Klart nu, lampan lyser."), "%s", body);
	free(body);
	free(extra);
	free(mid);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient "
			       "= 'anna@example.se'"), 1);
	/* the history and #visa name it as from outside, never as Anna's */
	deliver_mail("anna@example.se", "arende@kommun.example", "Re: Buller",
		     "fw8@example.se", "In-Reply-To: <fw1@example.se>\n",
		     "Lampan blinkar nu.\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, " Utifrån: Vi byter den på torsdag.\n") &&
		      strstr(body, "<- Vi byter") == NULL &&
		      has_text(body, " Eva Ek (vidarebefordrat): Hej! Kan ni "),
		      "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", "arende@kommun.example", "x",
		     "fw9@kommun.example", NULL, "#visa KS-2026-00001\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "<- Drift (utifrån)\nVi byter den på "
			       "torsdag.") &&
		      has_text(body, "<- Eva Ek (vidarebefordrat till "
			       "drift@entreprenor.example)\nHej! Kan ni byta"),
		      "%s", body);
	free(body);

	/* refused: no address, cirm's own, two words, no text */
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "fw5@kommun.example", NULL,
		     "#vidarebefordra drift@entreprenor\nText.\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "ange en e-postadress"), "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "fw6@kommun.example", NULL,
		     "#vidarebefordra arende@kommun.example\nText.\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "är ärendeadressen"), "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "fw7@kommun.example", NULL,
		     "#vidarebefordra drift@entreprenor.example\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "behöver en text under kommandona till "
			       "mottagaren"), "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM case_forward"), 1);
	free(to);
}
END_TEST

/* A restore puts back case_forward without the rows made since the
   backup, and their ids are given again: an answer to such a forward's
   signed address, which names its case, is not taken for the forward
   of another case that has its id now; that forward's officer is not
   told of it, nor the answer shown as from there. */
START_TEST(test_forward_id_given_again)
{
	char *to, *hdr, *back, *body;

	to = eva_notified("fr1@example.se", "Gatlampan är trasig.");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "fr2@kommun.example", NULL,
		     "#vidarebefordra drift@entreprenor.example\n\n"
		     "Kan ni byta den?\n");
	free(to);
	hdr = newest_to("drift@entreprenor.example", "headers");
	back = reply_to_of(hdr);
	free(hdr);
	/* the restore: the forward is gone, and the next has its id */
	ck_assert_int_eq(store_exec(store, "DELETE FROM case_forward", NULL),
			 0);
	deliver_mail("bo@example.se", "arende@kommun.example", "Trasig bänk",
		     "fr3@example.se", NULL, "Bänken i parken är trasig.\n");
	to = eva_reply_to();
	deliver_mail("eva@kommun.example", to, "SV: Trasig bänk",
		     "fr4@kommun.example", NULL,
		     "#vidarebefordra park@annan.example\n\n"
		     "Kan ni laga bänken?\n");
	ck_assert_int_eq(count("SELECT count(*) FROM case_forward f JOIN "
			       "cases c ON c.id = f.case_id WHERE f.id = 1 AND "
			       "c.number = 'KS-2026-00002'"), 1);
	ck_assert_msg(strstr(back, ".f1.") != NULL, "%s", back);
	deliver_mail("drift@entreprenor.example", back,
		     "SV: Vidarebefordrat ärende", "fr5@entreprenor.example",
		     NULL, "Vi byter den på torsdag.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "instr(body, 'Vi byter den på torsdag.') > 0 "
			       "AND instr(body, 'park@annan.example') > 0"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM message m JOIN cases c "
			       "ON c.id = m.case_id WHERE m.rfc_message_id = "
			       "'fr5@entreprenor.example' AND c.number <> "
			       "'KS-2026-00001'"), 0);
	/* kept, on the case its address names, as mail naming no forward:
	   an answer from outside, internal, never the citizen's words */
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "rfc_message_id = 'fr5@entreprenor.example' AND "
			       "visibility = 'internal'"), 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(strstr(body, "park@annan.example") == NULL, "%s", body);
	free(body);
	free(back);
	free(to);
}
END_TEST

/* What comes to a forward's address that is not the outside party's
   answer: a case officer's mail there (a reply to all, or someone
   writing in their name) follows the officers' rules and is never kept
   as an outside answer; the citizen's own is her mail on the case. A
   bounce of the forward (a mistyped address) tells Eva, with the
   reason, and is not the citizen's failed mail; an answer while Eva is
   away goes to her present colleague; retention takes the forward with
   its case. */
START_TEST(test_forward_edges)
{
	char *to, *hdr, *back, *mid, *bounce, *body, *err = NULL;
	long gone = 0;

	to = eva_notified("fe1@example.se", "Gatlampan är trasig.");
	add_olle("sv");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "fe2@kommun.example", NULL,
		     "#vidarebefordra drift@entreprenor.example\n\n"
		     "Kan ni byta den?\n");
	hdr = newest_to("drift@entreprenor.example", "headers");
	back = reply_to_of(hdr);
	free(hdr);
	/* Olle writes there: his mail, by his rules */
	deliver_mail("Olle Ek <olle@kommun.example>", back, "SV: x",
		     "fe3@kommun.example", NULL, "#klar\nLöst.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM quarantine WHERE reason "
			       "LIKE 'handler mail on a case that did not "
			       "come to%'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "rfc_message_id = 'fe3@kommun.example'"), 0);
	/* Anna writes there: her mail on her case */
	deliver_mail("anna@example.se", back, "SV: x", "fe4@example.se", NULL,
		     "Den lyser inte alls.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "rfc_message_id = 'fe4@example.se' AND "
			       "visibility = 'public'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM case_party WHERE role = "
			       "'outside'"), 0);

	/* the forward bounces */
	mid = text("SELECT m.rfc_message_id FROM case_forward f JOIN message "
		   "m ON m.id = f.message_id");
	bounce = xasprintf(
		"From: Mail Delivery System <MAILER-DAEMON@mx.example.se>\n"
		"To: arende@kommun.example\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"Message-ID: <fe5@mx.example.se>\n"
		"Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status; "
		"boundary=\"R\"\n\n--R\nContent-Type: text/plain\n\n"
		"Your message could not be delivered.\n"
		"--R\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.example.se\n\n"
		"Final-Recipient: rfc822; drift@entreprenor.example\n"
		"Action: failed\nStatus: 5.1.1\n"
		"Diagnostic-Code: smtp; 550 5.1.1 user unknown\n"
		"--R\nContent-Type: text/rfc822-headers\n\n"
		"From: Kommunen <arende@kommun.example>\n"
		"To: drift@entreprenor.example\nMessage-ID: <%s>\n"
		"Subject: Vidarebefordrat\n--R--\n", mid);
	deliver(bounce);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Det som vidarebefordrades till "
			       "drift@entreprenor.example kunde inte "
			       "levereras. E-postservern svarade: 5.1.1 (smtp; "
			       "550 5.1.1 user unknown)") ||
		      has_text(body, "Det som vidarebefordrades till "
			       "drift@entreprenor.example kunde inte "
			       "levereras. E-postservern svarade: 5.1.1 (550 "
			       "5.1.1 user unknown)"), "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'forward.failed'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'delivery.failed'"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE kind = "
			       "'bounce' AND visibility = 'internal'"), 1);

	/* Eva away: the answer goes to Olle, who is present */
	ck_assert_int_eq(store_exec(store, "UPDATE contact SET away_until = "
				    "unixepoch() + 86400 WHERE login = 'eva'",
				    &err), 0);
	deliver_mail("drift@entreprenor.example", back, "SV: x",
		     "fe7@entreprenor.example", NULL, "Bytt i dag.\n");
	body = newest_body("olle@kommun.example");
	ck_assert_msg(has_text(body, "Bytt i dag."), "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox_mail WHERE "
			       "recipient = 'eva@kommun.example' AND body LIKE "
			       "'%Bytt i dag%'"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM case_party WHERE role = "
			       "'outside'"), 1);

	/* retention takes the forward and the one outside with the case */
	ck_assert_int_eq(store_exec(store, "UPDATE cases SET closed_at = 1; "
				    "UPDATE outbox SET status = 'sent'; PRAGMA "
				    "foreign_keys = OFF", &err), 0);
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_msg(store_pending_cases(store, &err) == 0 &&
		      store_case_remove(store, 1, cirm_now(), &gone,
					&err) == 1, "%s", err);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(store_exec(store, "PRAGMA foreign_keys = ON", &err),
			 0);
	ck_assert_int_eq(count("SELECT count(*) FROM case_forward"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM contact_address WHERE "
			       "address = 'drift@entreprenor.example'"), 0);
	/* nothing names the case any more, its outbox rows gone with it
	   in the same transaction */
	ck_assert_int_eq(count("SELECT count(*) FROM "
			       "pragma_foreign_key_check"), 0);
	free(bounce);
	free(mid);
	free(back);
	free(to);
}
END_TEST

/* More of what officers and outsiders do: #klar beside a forward is
   refused (its "resolved" would reach the citizen without the text,
   which went outside), so is a colleague's address, a list of
   addresses; "Name <address>" is taken. The citizen's closing and
   signature (name, street, telephone) do not go outside. The
   contractor writing anew with the case number in the subject, and
   their out-of-office, come back to Eva, not as a new case. */
START_TEST(test_forward_more)
{
	char *to, *body, *hdr, *back, *extra, *mid;

	to = eva_notified("fm1@example.se", "Gatlampan är trasig.\n\n"
			  "Med vänlig hälsning\nAnna Andersson\n"
			  "Storgatan 12\n070-123 45 67");
	add_olle("sv");
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "fm2@kommun.example", NULL,
		     "#klar\n#vidarebefordra drift@entreprenor.example\n\n"
		     "Lampan är lagad nu.\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "#klar går att utföra") == false &&
		      has_text(body, "skriver till invånaren, och texten under "
			       "#vidarebefordra går bara till mottagaren"),
		      "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM case_forward"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM cases WHERE closed_at "
			       "IS NULL"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient "
			       "= 'anna@example.se'"), 1);
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "fm3@kommun.example", NULL,
		     "#vidarebefordra olle@kommun.example\n\nKan du?\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "är en handläggares adress"), "%s", body);
	free(body);
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "fm4@kommun.example", NULL,
		     "#vidarebefordra a@drift.example, b@drift.example\n\n"
		     "Kan ni?\n");
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "en adress per rad, utan namn"), "%s",
		      body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM case_forward"), 0);
	deliver_mail("eva@kommun.example", to, "SV: Buller",
		     "fm5@kommun.example", NULL,
		     "#ta\n#vidarebefordra Drift AB <drift@entreprenor.example>"
		     "\n#vidarebefordra DRIFT@entreprenor.example\n\n"
		     "Kan ni byta den?\n");
	/* the one address written twice gets one mail */
	ck_assert_int_eq(count("SELECT count(*) FROM case_forward WHERE "
			       "lower(address) = 'drift@entreprenor.example'"),
			 1);
	body = newest_to("drift@entreprenor.example", "body");
	ck_assert_msg(has_text(body, "Gatlampan är trasig.") &&
		      strstr(body, "Storgatan") == NULL &&
		      strstr(body, "070-123") == NULL &&
		      strstr(body, "Andersson") == NULL, "%s", body);
	free(body);
	hdr = newest_to("drift@entreprenor.example", "headers");
	back = reply_to_of(hdr);
	free(hdr);

	/* the contractor writes anew, naming the case */
	deliver_mail("drift@entreprenor.example", "arende@kommun.example",
		     "Angående KS-2026-00001", "fm6@entreprenor.example", NULL,
		     "Vi kommer på måndag.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "rfc_message_id = 'fm6@entreprenor.example' AND "
			       "visibility = 'internal'"), 1);
	body = newest_body("eva@kommun.example");
	ck_assert_msg(has_text(body, "Vi kommer på måndag."), "%s", body);
	free(body);
	/* and then answers the forward again: now a party "outside",
	   writing anew still comes back */
	deliver_mail("drift@entreprenor.example", back, "SV: x",
		     "fm7@entreprenor.example", NULL, "Klart.\n");
	deliver_mail("drift@entreprenor.example", "arende@kommun.example",
		     "Re: KS-2026-00001", "fm8@entreprenor.example", NULL,
		     "En sak till.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM cases"), 1);

	/* their out-of-office */
	mid = text("SELECT m.rfc_message_id FROM case_forward f JOIN message "
		   "m ON m.id = f.message_id");
	extra = xasprintf("In-Reply-To: <%s>\nAuto-Submitted: auto-replied\n",
			  mid);
	deliver_mail("drift@entreprenor.example", "arende@kommun.example",
		     "Frånvaro: Vidarebefordrat ärende", "fm9@entreprenor.example",
		     extra, "Jag är ledig till den 10 januari.\n");
	ck_assert_int_eq(count("SELECT count(*) FROM message WHERE "
			       "rfc_message_id = 'fm9@entreprenor.example' AND "
			       "visibility = 'internal'"), 1);
	hdr = newest_to("eva@kommun.example", "subject");
	ck_assert_msg(strncmp(hdr, "Automatiskt svar utifrån [KS-2026-00001]",
			      40) == 0, "%s", hdr);
	free(hdr);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient "
			       "= 'anna@example.se'"), 1);
	free(extra);
	free(mid);
	free(back);
	free(to);
}
END_TEST

static Suite *
mailin_suite(void)
{
	Suite *s = suite_create("mailin");
	TCase *tc = tcase_create("mailin");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_new_case_and_ack);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_name_no_header);
	tcase_add_test(tc, test_duplicate_other_sender);
	tcase_add_test(tc, test_duplicate_of_auto_reply);
	tcase_add_test(tc, test_duplicate_id_other_text);
	tcase_add_test(tc, test_quarantined_id_other_text);
	tcase_add_test(tc, test_resent_joins_case);
	tcase_add_test(tc, test_resent_not);
	tcase_add_test(tc, test_threading);
	tcase_add_test(tc, test_threading_prefix_h);
	tcase_add_test(tc, test_forged_tag_opens_new_case);
	tcase_add_test(tc, test_subject_reference);
	tcase_add_test(tc, test_fullwidth_domain_is_nobody);
	tcase_add_test(tc, test_capital_sharp_s_domain_is_nobody);
	tcase_add_test(tc, test_bounce_links_to_sent_message);
	tcase_add_test(tc, test_auto_replies);
	tcase_add_test(tc, test_flood_and_release);
	tcase_add_test(tc, test_loops_and_bad_mail);
	tcase_add_test(tc, test_attachments_in_spool);
	tcase_add_test(tc, test_encrypted_mail_told);
	tcase_add_test(tc, test_forward_without_text);
	tcase_add_test(tc, test_notification_carries_files);
	tcase_add_test(tc, test_text_file_charset_kept);
	tcase_add_test(tc, test_workflows);
	tcase_add_test(tc, test_bad_default_workflow);
	tcase_add_test(tc, test_handler_round_trip);
	tcase_add_test(tc, test_handler_commands_english);
	tcase_add_test(tc, test_citizen_language);
	tcase_add_test(tc, test_long_subject_shown_short);
	tcase_add_test(tc, test_form_senders);
	tcase_add_test(tc, test_auth_server);
	tcase_add_test(tc, test_auth_server_cfws);
	tcase_add_test(tc, test_forward_attached_same_mail);
	tcase_add_test(tc, test_handler_sees_conversation);
	tcase_add_test(tc, test_citizen_signature_shown);
	tcase_add_test(tc, test_forward_signature_is_the_citizens);
	tcase_add_test(tc, test_officer_quote_kept);
	tcase_add_test(tc, test_notified_handler_answers);
	tcase_add_test(tc, test_history_files_no_text);
	tcase_add_test(tc, test_forward_outside);
	tcase_add_test(tc, test_forward_outside_masks_citizen_address);
	tcase_add_test(tc, test_forward_edges);
	tcase_add_test(tc, test_forward_id_given_again);
	tcase_add_test(tc, test_forward_more);
	tcase_add_test(tc, test_show_priority_swedish);
	tcase_add_test(tc, test_notifications_one_thread);
	tcase_add_test(tc, test_answer_references_first_mail);
	tcase_add_test(tc, test_history_without_empty_refused);
	tcase_add_test(tc, test_citizen_answers_between_quotes);
	tcase_add_test(tc, test_notification_lists_citizens_cases);
	tcase_add_test(tc, test_handler_answers_between_quotes);
	tcase_add_test(tc, test_handler_refusals);
	tcase_add_test(tc, test_auth_results_syntax);
	tcase_add_test(tc, test_forged_oversize_mark);
	tcase_add_test(tc, test_forged_unfetchable_mark);
	tcase_add_test(tc, test_unfetchable_resolved);
	tcase_add_test(tc, test_unfetchable_discarded);
	tcase_add_test(tc, test_unfetchable_discarded_refetched);
	tcase_add_test(tc, test_handler_command_below_text);
	tcase_add_test(tc, test_handler_empty_reply);
	tcase_add_test(tc, test_reopened_notice_shows_new_state);
	tcase_add_test(tc, test_thanks_keeps_resolved);
	tcase_add_test(tc, test_thanks_small_name_closed_case);
	tcase_add_test(tc, test_thanks_small_name_keeps_resolved);
	tcase_add_test(tc, test_reminder_names_deadline);
	tcase_add_test(tc, test_reminder_keeps_ps);
	tcase_add_test(tc, test_other_party_named);
	tcase_add_test(tc, test_handler_closed_case);
	tcase_add_test(tc, test_citizen_writes_to_closed_case);
	tcase_add_test(tc, test_closed_case_no_subject_reply_to_ack);
	tcase_add_test(tc, test_closed_case_reply_subject);
	tcase_add_test(tc, test_subject_core);
	tcase_add_test(tc, test_subject_two_numbers_open_wins);
	tcase_add_test(tc, test_handler_due);
	tcase_add_test(tc, test_handler_upper_case);
	tcase_add_test(tc, test_handler_assign_disabled);
	tcase_add_test(tc, test_handler_old_notification);
	tcase_add_test(tc, test_handler_role_refused);
	tcase_add_test(tc, test_handler_priority_swedish);
	tcase_add_test(tc, test_handler_empty_note);
	tcase_add_test(tc, test_handler_question_as_note);
	tcase_add_test(tc, test_handler_question_mail);
	tcase_add_test(tc, test_refused_names_assignee);
	tcase_add_test(tc, test_answer_after_close);
	tcase_add_test(tc, test_unknown_command_suggested);
	tcase_add_test(tc, test_command_of_newer_version);
	tcase_add_test(tc, test_caseless_command_on_case);
	tcase_add_test(tc, test_new_case_officer_mail_wrapped);
	tcase_add_test(tc, test_handler_note_not_in_citizen_template);
	tcase_add_test(tc, test_handler_without_token);
	tcase_add_test(tc, test_handler_other_address_told);
	tcase_add_test(tc, test_two_signed_addresses);
	tcase_add_test(tc, test_handler_bad_token_told);
	tcase_add_test(tc, test_handler_command_sequence);
	tcase_add_test(tc, test_handler_told_of_quarantine);
	tcase_add_test(tc, test_handler_notices_of_batch_handled_again);
	tcase_add_test(tc, test_skip_logged_in_batch_handled_again);
	tcase_add_test(tc, test_handler_told_of_failure);
	tcase_add_test(tc, test_quarantined_once);
	tcase_add_test(tc, test_former_assignee_told);
	tcase_add_test(tc, test_colleague_answer_told);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_merge_tells_officers);
	tcase_add_test(tc, test_away);
	tcase_add_test(tc, test_own_address_names_handler);
	tcase_add_test(tc, test_own_address_forward_commands);
	tcase_add_test(tc, test_own_address_replaced);
	tcase_add_test(tc, test_own_address_not_case_tag);
	tcase_add_test(tc, test_handler_token_gone_case);
	tcase_add_test(tc, test_forward_note_own_words);
	tcase_add_test(tc, test_colleague_answer_withheld);
	tcase_add_test(tc, test_show_citizen_in_full);
	tcase_add_test(tc, test_citizen_named);
	tcase_add_test(tc, test_sms_answer_never_sent_empty);
	tcase_add_test(tc, test_show_photo_without_text);
	tcase_add_test(tc, test_help_on_case);
	tcase_add_test(tc, test_assigned_mail_says_who_and_what);
	tcase_add_test(tc, test_handler_invisible_blanks);
	tcase_add_test(tc, test_handler_emphasised_command);
	tcase_add_test(tc, test_handler_signature_under_command);
	tcase_add_test(tc, test_handler_category_word);
	tcase_add_test(tc, test_handler_files_alone);
	tcase_add_test(tc, test_handler_resolve_one_mail);
	tcase_add_test(tc, test_pick_number_bounded);
	tcase_add_test(tc, test_pick_number_shortened);
	tcase_add_test(tc, test_handler_answer_alone);
	tcase_add_test(tc, test_handler_winmail_dat);
	tcase_add_test(tc, test_handler_signature_logo);
	tcase_add_test(tc, test_handler_signature_logo_thunderbird);
	tcase_add_test(tc, test_handler_commands);
	tcase_add_test(tc, test_list_columns_swedish);
	tcase_add_test(tc, test_list_unassigned);
	tcase_add_test(tc, test_decomposed_letters);
	tcase_add_test(tc, test_handler_case_access);
	tcase_add_test(tc, test_merge_show_access);
	tcase_add_test(tc, test_canned);
	tcase_add_test(tc, test_handler_left_group);
	tcase_add_test(tc, test_handler_forward);
	tcase_add_test(tc, test_handler_forward_sent_time);
	tcase_add_test(tc, test_delivery_failure);
	tcase_add_test(tc, test_own_command_suggested);
	tcase_add_test(tc, test_caseless_command_suggested);
	tcase_add_test(tc, test_swedish_command_words);
	tcase_add_test(tc, test_history_lines_fit);
	tcase_add_test(tc, test_fields_before_workflow_commands);
	tcase_add_test(tc, test_answer_signed_once);
	tcase_add_test(tc, test_skipped_action_told);
	tcase_add_test(tc, test_notified_group_answers);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(mailin_suite());
}
