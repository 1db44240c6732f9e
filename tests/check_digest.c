/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The case officers' morning digest (digest.c): when it is due, who
   gets one and what it lists, on a clock the test sets, in
   Europe/Stockholm. */
#include "config.h"

#include "digest.h"
#include "store-private.h"
#include "testutil.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *dir;
static struct store *store;
/* digest_settings.own_address, as the instance key would sign it */
static char *
own_address(void *ctx, struct store *st, int64_t handler_id, char **error_r)
{
	(void)ctx;
	(void)st;
	(void)error_r;
	return xasprintf("arende+h%lld.0123456789abcdef@kommun.example",
			 (long long)handler_id);
}

static const struct digest_settings set = {
	.at = 7 * 60 + 30, .language = "sv", .name = "Exempels kommun",
	.address = "arende@kommun.example", .own_address = own_address,
};

/* Local "YYYY-MM-DD HH:MM" in Europe/Stockholm. */
static int64_t
at(const char *s)
{
	struct tm tm = { 0 };

	ck_assert_ptr_nonnull(strptime(s, "%Y-%m-%d %H:%M", &tm));
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

static void
sql(const char *fmt, ...)
{
	va_list ap;
	char *q, *err = NULL;

	va_start(ap, fmt);
	q = xvasprintf(fmt, ap);
	va_end(ap);
	ck_assert_msg(sqlite3_exec(store->db, q, NULL, NULL, &err) ==
		      SQLITE_OK, "%s: %s", q, err);
	free(q);
}

static long long
count(const char *query)
{
	return tu_sql_int(store->db, query);
}

/* The body of the newest outbox row to RECIPIENT (caller frees). */
static char *
newest(const char *recipient, const char *column)
{
	sqlite3_stmt *st;
	char *q = xasprintf("SELECT %s FROM outbox_mail WHERE recipient = ? "
			    "ORDER BY id DESC LIMIT 1", column), *out;

	ck_assert_int_eq(sqlite3_prepare_v2(store->db, q, -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	out = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	free(q);
	return out;
}

static int
run(const char *when)
{
	int sent = -1;
	char *err = NULL;

	ck_assert_msg(digest_run(store, &set, at(when), &sent, &err) == 0,
		      "%s", err);
	return sent;
}

/* Handlers eva (synpunkter) and bo (gata, no cases), olle (English,
   synpunkter), sara (disabled, with a case); cases: eva's overdue one,
   her one due later, her one without a due date, one unassigned in
   synpunkter, one closed of hers, sara's in the park group (no one
   else's). */
static void
setup(void)
{
	struct store_settings s = { .create = 1 };
	char *path, *err = NULL;

	setenv("TZ", "Europe/Stockholm", 1);
	tzset();
	dir = tu_tmpdir();
	path = xasprintf("%s/cirm.db", dir);
	ck_assert_msg(store_open(path, &s, &store, &err) == 0, "%s", err);
	free(path);
	sql("INSERT INTO handler_group (id, name, created_at) VALUES "
	    "(1, 'synpunkter', 0), (2, 'gata', 0), (3, 'park', 0)");
	sql("INSERT INTO contact (id, kind, name, login, language, active, "
	    "created_at) VALUES (1, 'handler', 'Eva Ek', 'eva', 'sv', 1, 0), "
	    "(2, 'handler', NULL, 'bo', 'sv', 1, 0), "
	    "(3, 'handler', 'Olle', 'olle', 'en', 1, 0), "
	    "(4, 'handler', 'Sara', 'sara', 'sv', 0, 0), "
	    "(5, 'citizen', 'Anna', NULL, 'sv', 1, 0)");
	sql("INSERT INTO contact_address (contact_id, kind, address, "
	    "created_at) VALUES (1, 'email', 'eva@kommun.example', 0), "
	    "(2, 'email', 'bo@kommun.example', 0), "
	    "(3, 'email', 'olle@kommun.example', 0), "
	    "(4, 'email', 'sara@kommun.example', 0)");
	sql("INSERT INTO group_member VALUES (1, 1), (2, 2), (1, 3), (1, 4)");
	sql("INSERT INTO cases (id, number, prefix, year, seq, citizen_id, "
	    "channel, subject, state, group_id, assignee_id, due_at, "
	    "received_at, created_at, updated_at, closed_at) VALUES "
	    "(1, 'KS-2026-00001', 'KS', 2026, 1, 5, 'email', "
	    "'Trasig gatlampa', 'tilldelad', 1, 1, %lld, 0, 0, 0, NULL), "
	    "(2, 'KS-2026-00002', 'KS', 2026, 2, 5, 'email', "
	    "'Buller på natten från fläkten på taket till ICA Kvantum "
	    "Östermalm', 'tilldelad', 1, 1, %lld, 0, 0, 0, NULL), "
	    "(3, 'KS-2026-00003', 'KS', 2026, 3, 5, 'email', 'Parkbänk', "
	    "'tilldelad', 1, 1, NULL, 0, 0, 0, NULL), "
	    "(4, 'KS-2026-00004', 'KS', 2026, 4, 5, 'email', 'Snöröjning', "
	    "'registrerad', 1, NULL, NULL, 0, 0, 0, NULL), "
	    "(5, 'KS-2026-00005', 'KS', 2026, 5, 5, 'email', 'Stängt', "
	    "'avslutad', 1, 1, NULL, 0, 0, 0, 1), "
	    "(6, 'KS-2026-00006', 'KS', 2026, 6, 5, 'email', 'Grop', "
	    "'tilldelad', 3, 4, NULL, 0, 0, 0, NULL)",
	    (long long)at("2026-12-01 16:00"),
	    (long long)at("2026-12-20 16:00"));
}

static void
teardown(void)
{
	store_free(&store);
	tu_rmrf(dir);
	free(dir);
}

START_TEST(test_parse_time)
{
	static const struct {
		const char *text;
		int want;
	} t[] = {
		{ "none", -1 }, { "07:30", 450 }, { "00:00", 0 },
		{ "23:59", 1439 }, { "7:30", -2 }, { "24:00", -2 },
		{ "07:60", -2 }, { "07:30x", -2 }, { "", -2 }, { "0730", -2 },
		{ "-1:30", -2 }, { "+7:30", -2 }, { "None", -2 },
	};

	for (size_t i = 0; i < N_ELEMENTS(t); i++) {
		int m = -3, rc = digest_parse_time(t[i].text, &m);

		if (t[i].want == -2)
			ck_assert_msg(rc < 0, "'%s' accepted", t[i].text);
		else
			ck_assert_msg(rc == 0 && m == t[i].want,
				      "'%s': %d, %d", t[i].text, rc, m);
	}
}
END_TEST

START_TEST(test_when)
{
	/* Monday 7 December 2026 */
	ck_assert_int_eq(run("2026-12-07 07:29"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), 0);
	/* eva and olle; not bo (nothing), not sara (disabled) */
	ck_assert_int_eq(run("2026-12-07 07:30"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient "
			       "IN ('eva@kommun.example', "
			       "'olle@kommun.example')"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), 2);
	/* once a day, also after a restart (the day is in the database) */
	ck_assert_int_eq(run("2026-12-07 12:00"), 0);
	ck_assert_int_eq(run("2026-12-07 23:59"), 0);
	/* Tuesday morning: again */
	ck_assert_int_eq(run("2026-12-08 06:00"), 0);
	ck_assert_int_eq(run("2026-12-08 09:15"), 2);
	/* Saturday, Sunday: none */
	ck_assert_int_eq(run("2026-12-12 08:00"), 0);
	ck_assert_int_eq(run("2026-12-13 08:00"), 0);
	/* Christmas Eve (a Thursday), Christmas Day: none; Monday 28th */
	ck_assert_int_eq(run("2026-12-24 08:00"), 0);
	ck_assert_int_eq(run("2026-12-25 08:00"), 0);
	ck_assert_int_eq(run("2026-12-28 08:00"), 2);
	/* a clock set back a day sends nothing twice */
	ck_assert_int_eq(run("2026-12-22 08:00"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), 6);
}
END_TEST

/* A case officer away (#borta) gets no digest until back. */
START_TEST(test_away)
{
	sql("UPDATE contact SET away_until = strftime('%%s', 'now') + 86400 "
	    "WHERE login = 'olle'");
	ck_assert_int_eq(run("2026-12-07 07:30"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient "
			       "= 'eva@kommun.example'"), 1);
	/* back (the day has come): the next morning's is his again */
	sql("UPDATE contact SET away_until = strftime('%%s', 'now') - 60 "
	    "WHERE login = 'olle'");
	ck_assert_int_eq(run("2026-12-08 07:30"), 2);
}
END_TEST

/* The cases of a colleague away or disabled are in the digest of the
   others of their groups, under whose they are: sara, disabled, has
   KS-2026-00006 in gata, which bo is in; eva away, her cases go to
   olle of synpunkter. */
START_TEST(test_colleague_away)
{
	char *body;

	sql("UPDATE contact SET away_until = strftime('%%s', 'now') + 86400 "
	    "WHERE login = 'eva'");
	sql("UPDATE cases SET group_id = 2 WHERE id = 6");
	ck_assert_int_eq(run("2026-12-07 07:30"), 2);
	body = newest("bo@kommun.example", "body");
	ck_assert_msg(strstr(body, "I dina grupper, hos kollegor som är "
			     "borta:\n  KS-2026-00006") != NULL &&
		      strstr(body, "Grop (Sara)") != NULL, "%s", body);
	free(body);
	body = newest("olle@kommun.example", "body");
	ck_assert_msg(strstr(body, "In your groups, with colleagues who are "
			     "away:\n  KS-2026-00001") != NULL &&
		      strstr(body, "(Eva Ek, due 2026-12-01)") != NULL,
		      "%s", body);
	free(body);
}
END_TEST

/* Back by the day passing, with no #tillbaka to answer: the first
   digest names the cases whose citizens wrote meanwhile and still wait
   (KS-2026-00002; not KS-2026-00003, answered, nor KS-2026-00001,
   written to before the leave), once. */
START_TEST(test_back_told)
{
	char *body, *err = NULL, last[LOCAL_DAY_SIZE];
	const char *part;
	/* presence goes by the real clock */
	int64_t now = cirm_now(), day = 86400;

	ck_assert_msg(store_audit_add(store, now - 5 * day, "mail:eva",
				      "handler.away", "eva",
				      local_day(now - day, last), &err) == 0,
		      "%s", err);
	sql("UPDATE contact SET away_until = %lld WHERE login = 'eva'",
	    (long long)(now - 60));
	sql("INSERT INTO message (case_id, direction, channel, contact_id, "
	    "at, body_stripped) VALUES "
	    "(1, 'in', 'email', 5, %lld, 'Före.'), "
	    "(2, 'in', 'email', 5, %lld, 'Hallå?'), "
	    "(3, 'in', 'email', 5, %lld, 'Fråga.'), "
	    "(3, 'out', 'email', NULL, %lld, 'Svar från Olle.')",
	    (long long)(now - 6 * day), (long long)(now - 3 * day),
	    (long long)(now - 3 * day), (long long)(now - 2 * day));
	ck_assert_int_eq(run("2026-12-07 07:30"), 2);
	body = newest("eva@kommun.example", "body");
	part = strstr(body, "Invånare som skrev medan du var borta och inte "
		      "har fått svar ännu:\n  KS-2026-00002 ");
	ck_assert_msg(part != NULL && strstr(body, "Försenade") > part &&
		      strstr(part, "KS-2026-00003") > strstr(body, "Försenade"),
		      "%s", body);
	ck_assert_msg(strstr(part, "KS-2026-00001") >
		      strstr(body, "Försenade"), "%s", body);
	free(body);
	ck_assert_int_eq(count("SELECT count(*) FROM contact WHERE "
			       "away_until IS NOT NULL"), 0);
	/* told once */
	ck_assert_int_eq(run("2026-12-08 07:30"), 2);
	body = newest("eva@kommun.example", "body");
	ck_assert_msg(strstr(body, "medan du var borta") == NULL, "%s", body);
	free(body);
}
END_TEST

START_TEST(test_content)
{
	char *subject, *body, *headers, *own;
	const char *overdue, *mine, *unassigned, *later;

	ck_assert_int_eq(run("2026-12-07 07:45"), 2);
	subject = newest("eva@kommun.example", "subject");
	ck_assert_str_eq(subject, "Dina ärenden 2026-12-07: hos dig 3 "
			 "(försenade 1), otilldelade 1");
	body = newest("eva@kommun.example", "body");
	ck_assert_ptr_nonnull(strstr(body, "Hej Eva Ek!\n\nDet här är dina "
				     "öppna ärenden i dag, 2026-12-07."));
	overdue = strstr(body, "Försenade (klart senast har passerat):\n"
			 "  KS-2026-00001   tilldelad      Trasig gatlampa "
			 "(klart senast 2026-12-01)\n");
	mine = strstr(body, "Tilldelade dig:\n  KS-2026-00002");
	later = strstr(body, "  KS-2026-00003   tilldelad      Parkbänk\n");
	unassigned = strstr(body, "Otilldelade i dina grupper:\n"
			    "  KS-2026-00004   registrerad    Snöröjning\n");
	ck_assert_msg(overdue != NULL && mine != NULL && later != NULL &&
		      unassigned != NULL && overdue < mine && mine < later &&
		      later < unassigned, "%s", body);
	/* a long subject cut at 50 characters, whole ones, the "…"
	   included */
	ck_assert_ptr_nonnull(strstr(body, "Buller på natten från fläkten på "
				     "taket till ICA K… (klart senast "
				     "2026-12-20)"));
	ck_assert_ptr_null(strstr(body, "KS-2026-00005"));	/* closed */
	ck_assert_ptr_null(strstr(body, "KS-2026-00006"));	/* not hers */
	ck_assert_ptr_nonnull(strstr(body, "Svara\npå det här mejlet med "
				     "#visa ÄRENDENUMMER för ett ärende"));
	ck_assert_ptr_nonnull(strstr(body, "eller #borta ÅÅÅÅ-MM-DD\nföre en "
				     "ledighet."));
	ck_assert_ptr_nonnull(strstr(body, "varje arbetsdag kl. 07.30"));
	headers = newest("eva@kommun.example", "headers");
	ck_assert_ptr_nonnull(strstr(headers, "From: Exempels kommun "
				     "<arende@kommun.example>\n"));
	ck_assert_ptr_nonnull(strstr(headers, "Auto-Submitted: "
				     "auto-generated"));
	/* a reply is taken at her own address: #borta */
	own = xasprintf("\nReply-To: arende+h%lld.0123456789abcdef@"
			"kommun.example\n", count("SELECT id FROM contact "
						  "WHERE login = 'eva'"));
	ck_assert_msg(strstr(headers, own) != NULL, "%s", headers);
	free(own);
	free(subject);
	free(body);
	free(headers);
	/* olle reads English; only the unassigned one is his */
	subject = newest("olle@kommun.example", "subject");
	ck_assert_str_eq(subject, "Your cases 2026-12-07: yours 0 (overdue 0), "
			 "unassigned 1");
	body = newest("olle@kommun.example", "body");
	ck_assert_ptr_nonnull(strstr(body, "Hello Olle,"));
	ck_assert_ptr_nonnull(strstr(body, "Unassigned in your groups:\n"
				     "  KS-2026-00004"));
	ck_assert_ptr_null(strstr(body, "Assigned to you:"));
	/* the commands to reply with, none at the start of a line, where
	   a reply that copies the digest unquoted would carry them out */
	ck_assert_ptr_nonnull(strstr(body, "#list for your open cases"));
	ck_assert_msg(body[0] != '#' && strstr(body, "\n#") == NULL, "%s",
		      body);
	free(subject);
	free(body);
}
END_TEST

/* #lista's narrow list: a cut subject, its "…" included, keeps the
   line within 72 characters (counted as characters, not bytes); a case
   without a subject says so, in the officer's language. */
START_TEST(test_narrow_cut)
{
	struct strlist l = { 0 };
	int counts[4];
	char *err = NULL, *text;

	sql("UPDATE cases SET subject = 'Stopp! Bilarna kör alldeles för fort "
	    "på gatan vid skolan' WHERE id = 2");
	sql("UPDATE cases SET subject = NULL WHERE id = 3");
	sql("UPDATE cases SET subject = '' WHERE id = 4");
	ck_assert_msg(digest_list(store, &set, 1, false, true,
				  at("2026-12-07 08:00"), &l, counts,
				  &err) == 0, "%s", err);
	text = strlist_join(&l);
	for (const char *p = text; *p != '\0';) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n);

		ck_assert_msg(utf8_length(line) <= 72, "%zu: %s",
			      utf8_length(line), line);
		free(line);
		p += n + (p[n] == '\n');
	}
	ck_assert_msg(strstr(text, "  KS-2026-00002   tilldelad      Stopp! "
			     "Bilarna kör alldeles för fort p…\n") != NULL &&
		      strstr(text, "  KS-2026-00003   tilldelad      "
			     "(inget ämne)\n") != NULL &&
		      strstr(text, "  KS-2026-00004   registrerad    "
			     "(inget ämne)\n") != NULL, "%s", text);
	free(text);
	strlist_clear(&l);
	ck_assert_msg(digest_list(store, &set, 3, true, true,
				  at("2026-12-07 08:00"), &l, counts,
				  &err) == 0, "%s", err);
	text = strlist_join(&l);
	ck_assert_msg(strstr(text, "  KS-2026-00004   registrerad    "
			     "(no subject)\n") != NULL, "%s", text);
	free(text);
	strlist_clear(&l);
}
END_TEST

/* The states as the workflow labels them for handlers. */
static const char *
fake_label(void *ctx, const char *workflow, int version, const char *state)
{
	ck_assert_str_eq(ctx, "ctx");
	if (strcmp(workflow, "synpunkt") != 0 || version != 2)
		return NULL;
	return strcmp(state, "tilldelad") == 0 ? "hos dig" :
	       strcmp(state, "registrerad") == 0 ? "ny, åäö" : NULL;
}

/* A deadline as the workflow's calendar shows it: here three days
   earlier, for synpunkt version 2 only. */
static int64_t
fake_due(void *ctx, const char *workflow, int version, int64_t due)
{
	ck_assert_str_eq(ctx, "ctx");
	return strcmp(workflow, "synpunkt") == 0 && version == 2 ?
	       due - 3 * 86400 : due;
}

START_TEST(test_labels)
{
	struct digest_settings labelled = set;
	int sent = -1;
	char *body, *err = NULL;

	labelled.state_label = fake_label;
	labelled.due_shown = fake_due;
	labelled.label_ctx = (void *)"ctx";
	sql("UPDATE cases SET workflow = 'synpunkt', workflow_version = 2 "
	    "WHERE id IN (1, 4)");
	ck_assert_msg(digest_run(store, &labelled, at("2026-12-07 08:00"),
				 &sent, &err) == 0, "%s", err);
	ck_assert_int_eq(sent, 2);
	body = newest("eva@kommun.example", "body");
	/* in the column, counted in characters */
	ck_assert_msg(strstr(body, "  KS-2026-00001   hos dig        Trasig "
			     "gatlampa (klart senast 2026-11-28)") != NULL,
		      "%s", body);
	/* another workflow's deadline as it is */
	ck_assert_msg(strstr(body, "(klart senast 2026-12-20)") != NULL, "%s",
		      body);
	ck_assert_msg(strstr(body, "  KS-2026-00004   ny, åäö        "
			     "Snöröjning\n") != NULL, "%s", body);
	/* a case without a workflow, or a state without a label: the id */
	ck_assert_msg(strstr(body, "  KS-2026-00003   tilldelad      "
			     "Parkbänk\n") != NULL, "%s", body);
	free(body);
	/* overdue by the deadline shown: 2026-12-09 is shown as 12-06,
	   past on the 8th */
	sql("UPDATE cases SET workflow = 'synpunkt', workflow_version = 2, "
	    "due_at = %lld WHERE id = 3", (long long)at("2026-12-09 16:00"));
	ck_assert_msg(digest_run(store, &labelled, at("2026-12-08 08:00"),
				 &sent, &err) == 0, "%s", err);
	body = newest("eva@kommun.example", "body");
	ck_assert_msg(strstr(body, "Försenade (klart senast har passerat):\n"
			     "  KS-2026-00001   hos dig        Trasig gatlampa "
			     "(klart senast 2026-11-28)\n"
			     "  KS-2026-00003   hos dig        Parkbänk "
			     "(klart senast 2026-12-06)\n") != NULL, "%s", body);
	free(body);
}
END_TEST

START_TEST(test_many)
{
	char *body;

	/* 105 unassigned cases more in synpunkter: 100 listed */
	sql("WITH RECURSIVE n(i) AS (SELECT 10 UNION ALL SELECT i + 1 FROM n "
	    "WHERE i < 114) INSERT INTO cases (id, number, prefix, year, seq, "
	    "citizen_id, channel, subject, state, group_id, received_at, "
	    "created_at, updated_at) SELECT i, printf('KS-2026-%%05d', i), "
	    "'KS', 2026, i, 5, 'email', 'Fråga', 'registrerad', 1, 0, 0, 0 "
	    "FROM n");
	ck_assert_int_eq(run("2026-12-07 08:00"), 2);
	body = newest("olle@kommun.example", "body");
	ck_assert_ptr_nonnull(strstr(body, "  ... and 6 more\n"));
	ck_assert_ptr_nonnull(strstr(body, "KS-2026-00004"));
	ck_assert_ptr_null(strstr(body, "KS-2026-00114"));
	free(body);
}
END_TEST

START_TEST(test_off)
{
	struct digest_settings off = set;
	int sent = -1;
	char *err = NULL;

	off.at = -1;
	ck_assert_int_eq(digest_run(store, &off, at("2026-12-07 12:00"), &sent,
				    &err), 0);
	ck_assert_int_eq(sent, 0);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("digest");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_parse_time);
	tcase_add_test(tc, test_when);
	tcase_add_test(tc, test_away);
	tcase_add_test(tc, test_colleague_away);
	tcase_add_test(tc, test_back_told);
	tcase_add_test(tc, test_content);
	tcase_add_test(tc, test_narrow_cut);
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_labels);
	tcase_add_test(tc, test_off);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
