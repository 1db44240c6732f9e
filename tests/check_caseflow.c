/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Cases through a workflow in a real database: state, timers, outbox,
   history, versions, and nothing half-done after a rollback. */
#include "config.h"

#include "caseflow.h"
#include "store-private.h"
#include "testutil.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *dir, *templates;
static struct store *store;
static struct caseflow *cf;

/* 2026-12-04 is a Friday: local 10:00 */
static int64_t
at(int year, int mon, int day, int hour, int min)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = mon - 1,
			 .tm_mday = day, .tm_hour = hour, .tm_min = min,
			 .tm_isdst = -1 };

	return (int64_t)mktime(&tm);
}

static void
sql(const char *text)
{
	char *err = NULL;

	ck_assert_msg(store_exec(store, text, &err) == 0, "%s", err);
}

static int64_t
count(const char *query)
{
	return tu_sql_int(store->db, query);
}

static char *
text(const char *query)
{
	sqlite3_stmt *st;
	char *s;

	ck_assert_int_eq(sqlite3_prepare_v2(store->db, query, -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	s = xstrdup(sqlite3_column_text(st, 0) != NULL ?
		    (const char *)sqlite3_column_text(st, 0) : "(null)");
	sqlite3_finalize(st);
	return s;
}

static void
assert_text(const char *query, const char *want)
{
	char *got = text(query);

	ck_assert_str_eq(got, want);
	free(got);
}

static void
setup(void)
{
	struct store_settings set = { .create = 1 };
	struct caseflow_settings cs = { .municipality = "Exempels kommun",
					.language = "sv" };
	char *path, *err = NULL, *wfdir;
	struct strlist errors = { 0 };

	setenv("TZ", "Europe/Stockholm", 1);
	tzset();
	dir = tu_tmpdir();
	path = xasprintf("%s/cirm.db", dir);
	ck_assert_msg(store_open(path, &set, &store, &err) == 0, "%s", err);
	free(path);
	templates = xasprintf("%s/tests/data/workflow/templates", tu_srcdir());
	cs.template_dir = templates;
	cf = caseflow_new(&cs);
	sql("INSERT INTO contact (id, kind, name, language, created_at) VALUES "
	    "(1, 'citizen', 'Anna', 'sv', 0), "
	    "(2, 'handler', 'Eva', 'sv', 0), (3, 'handler', 'Olle', 'sv', 0);"
	    "UPDATE contact SET login = 'eva' WHERE id = 2;"
	    "UPDATE contact SET login = 'olle' WHERE id = 3;"
	    "INSERT INTO contact_address (contact_id, kind, address, "
	    "created_at) VALUES (1, 'email', 'anna@example.org', 0), "
	    "(2, 'email', 'eva@kommun.example', 0), "
	    "(3, 'email', 'olle@kommun.example', 0);"
	    "INSERT INTO handler_group (id, name, created_at) VALUES "
	    "(1, 'kundtjanst', 0);"
	    "INSERT INTO group_member VALUES (1, 2), (1, 3);");
	wfdir = tu_tmpdir();
	path = xasprintf("%s/tests/data/workflow/minimal.xml", tu_srcdir());
	{
		size_t len;
		char *src = tu_slurp(path, &len), *p;

		p = tu_write(wfdir, "minimal.xml", src, 0644);
		free(p);
		free(src);
	}
	free(path);
	/* a bad file beside it is reported and does not stop the good one */
	free(tu_write(wfdir, "broken.xml", "<workflow", 0644));
	ck_assert_int_eq(caseflow_load_dir(cf, store, wfdir, &errors), 1);
	ck_assert_uint_eq(errors.n, 1);
	ck_assert_msg(strstr(errors.v[0], "broken.xml:1: ") != NULL, "%s",
		      errors.v[0]);
	strlist_clear(&errors);
	tu_rmrf(wfdir);
	free(wfdir);
}

static void
teardown(void)
{
	caseflow_free(&cf);
	store_free(&store);
	tu_rmrf(dir);
	free(dir);
	free(templates);
}

static int64_t
new_case(int64_t now)
{
	struct store_case_new c = { .prefix = "KS", .received_at = now,
				    .citizen_id = 1, .channel = "email",
				    .subject = "Gatlampa", .state = "new" };
	char number[STORE_CASE_NUMBER_MAX], *err = NULL;
	int64_t id;

	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_msg(store_case_create(store, &c, &id, number, &err) == 0,
		      "%s", err);
	ck_assert_int_eq(store_commit(store, &err), 0);
	return id;
}

/* Starts case ID on workflow WF with IN, in a transaction of its own. */
static void
start(int64_t id, const char *wf, const struct caseflow_input *in)
{
	char *err = NULL;

	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_msg(caseflow_start(cf, store, id, wf, in, &err) == 0, "%s",
		      err);
	ck_assert_int_eq(store_commit(store, &err), 0);
}

static void
event(int64_t id, const char *ev, int64_t now)
{
	struct caseflow_input in = { .channel = "email", .text = "hej",
				     .now = now };
	char *err = NULL;

	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_msg(caseflow_event(cf, store, id, ev, &in, &err) == 0, "%s",
		      err);
	ck_assert_int_eq(store_commit(store, &err), 0);
}

static int
fire(int64_t now)
{
	char *err = NULL;
	int n = 0;

	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_msg(caseflow_fire_timers(cf, store, now, 100, &n, &err) == 0,
		      "%s", err);
	ck_assert_int_eq(store_commit(store, &err), 0);
	return n;
}

/* A case from start to close: acknowledgement to the citizen, the
   role's group notified, a timer in business days fired once, a
   waiting state, and a closed case that ignores further events. */
START_TEST(test_lifecycle)
{
	int64_t fri = at(2026, 12, 4, 10, 0), id = new_case(fri);
	struct caseflow_input in = { .channel = "email", .now = fri };

	start(id, "minimal", &in);
	assert_text("SELECT state || ' ' || workflow || ' ' || "
		    "workflow_version FROM cases", "registrerad minimal 1");
	/* the reply to the citizen, and one mail to each group member */
	assert_text("SELECT group_concat(recipient, ' ') FROM (SELECT "
		    "recipient FROM outbox ORDER BY id)",
		    "anna@example.org eva@kommun.example olle@kommun.example");
	assert_text("SELECT subject FROM outbox WHERE recipient = "
		    "'anna@example.org'", "Mottaget [KS-2026-00001]");
	/* P2D from Friday 10:00 in business days is Tuesday 10:00 */
	ck_assert_int_eq(count("SELECT fire_at FROM timer"),
			 at(2026, 12, 8, 10, 0));
	ck_assert_int_eq(fire(at(2026, 12, 8, 9, 59)), 0);
	ck_assert_int_eq(fire(at(2026, 12, 8, 10, 0)), 1);
	ck_assert_int_eq(fire(at(2026, 12, 9, 10, 0)), 0);
	assert_text("SELECT priority FROM cases", "high");
	/* leaving the state drops its timers */
	event(id, "cmd.fix", fri);
	assert_text("SELECT state FROM cases", "atgardad");
	ck_assert_int_eq(count("SELECT count(*) FROM timer WHERE fired_at IS "
			       "NULL"), 0);
	/* the citizen writes: back to registrerad, timer armed again */
	event(id, "mail.citizen", at(2026, 12, 10, 9, 0));
	assert_text("SELECT state FROM cases", "registrerad");
	ck_assert_int_eq(count("SELECT count(*) FROM timer WHERE fired_at IS "
			       "NULL"), 1);
	event(id, "cmd.resolve", at(2026, 12, 10, 9, 30));
	assert_text("SELECT state FROM cases", "klar");
	ck_assert_int_ne(count("SELECT closed_at FROM cases"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM timer WHERE fired_at IS "
			       "NULL"), 0);
	event(id, "mail.citizen", at(2026, 12, 11, 9, 0));
	assert_text("SELECT state FROM cases", "klar");
	/* the history tells the way: each event with the states before and
	   after, then what its actions did */
	assert_text("SELECT group_concat(kind, ' ') FROM (SELECT kind FROM "
		    "event ORDER BY id)", "workflow.start reply.sent notify "
		    "timer.remind set cmd.fix mail.citizen notify cmd.resolve "
		    "mail.citizen");
	assert_text("SELECT detail FROM event ORDER BY id DESC LIMIT 1",
		    "case closed");
	assert_text("SELECT from_state || '>' || to_state FROM event WHERE "
		    "kind = 'cmd.resolve'", "registrerad>klar");
}
END_TEST

/* A notification is in the language of the handler it goes to, with
   the commands' arguments named in it, while the citizen's reply is in
   the instance's. */
START_TEST(test_notify_language)
{
	int64_t fri = at(2026, 12, 4, 10, 0), id = new_case(fri);
	struct caseflow_input in = { .channel = "email", .now = fri };
	char *sv, *en;

	sql("UPDATE contact SET language = 'en' WHERE id = 3");
	start(id, "minimal", &in);
	assert_text("SELECT subject FROM outbox WHERE recipient = "
		    "'anna@example.org'", "Mottaget [KS-2026-00001]");
	assert_text("SELECT subject FROM outbox WHERE recipient = "
		    "'eva@kommun.example'", "Nytt ärende KS-2026-00001");
	assert_text("SELECT subject FROM outbox_mail WHERE recipient = "
		    "'olle@kommun.example'", "New case KS-2026-00001");
	sv = text("SELECT body FROM outbox_mail WHERE recipient = "
		  "'eva@kommun.example'");
	en = text("SELECT body FROM outbox_mail WHERE recipient = "
		  "'olle@kommun.example'");
	ck_assert_msg(strstr(sv, "går inte till invånaren") != NULL, "%s", sv);
	ck_assert_msg(strstr(en, "not sent to the citizen") != NULL, "%s", en);
	free(sv);
	free(en);
}
END_TEST

static void load_workflow(const char *name, const char *xml);

/* A case's due date counts from when its message arrived (a forward
   an officer sends days later, a backlog after an outage), a due date
   set again later from then. */
START_TEST(test_due_from_received)
{
	static const char wf[] =
		"<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"ankomst\" "
		"version=\"1\" initial=\"ny\" xml:lang=\"sv\">\n"
		"  <commands><command word=\"igen\" event=\"cmd.reopen\"/>"
		"<command word=\"klar\" event=\"cmd.resolve\"/>"
		"</commands>\n"
		"  <state id=\"ny\">\n"
		"    <onentry><set field=\"due\" after=\"P2D\"/></onentry>\n"
		"    <transition event=\"cmd.reopen\" target=\"ny\"/>\n"
		"    <transition event=\"cmd.resolve\" target=\"klar\"/>\n"
		"  </state>\n"
		"  <final id=\"klar\"/>\n"
		"</workflow>\n";
	int64_t mon = at(2026, 11, 30, 10, 0), fri = at(2026, 12, 4, 10, 0);
	int64_t id = new_case(mon), later = new_case(fri + 3600);
	struct caseflow_input in = { .channel = "email", .now = fri };

	load_workflow("ankomst.xml", wf);
	start(id, "ankomst", &in);
	ck_assert_int_eq(count("SELECT due_at FROM cases WHERE id = 1"),
			 at(2026, 12, 2, 10, 0));
	/* set again on a later event: from that event */
	event(id, "cmd.reopen", fri);
	ck_assert_int_eq(count("SELECT due_at FROM cases WHERE id = 1"),
			 at(2026, 12, 8, 10, 0));
	/* a received time after now (a clock ahead) is not used */
	start(later, "ankomst", &in);
	ck_assert_int_eq(count("SELECT due_at FROM cases WHERE id = 2"),
			 at(2026, 12, 8, 10, 0));
}
END_TEST

/* Ten business days from a Saturday end at the opening of a Monday,
   which handlers read as the Friday before: the deadline is stored as
   counted (the timers' moment), and shown as people say it. */
START_TEST(test_due_shown)
{
	static const char wf[] =
		"<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"frist\" "
		"version=\"1\" initial=\"ny\" xml:lang=\"sv\">\n"
		"  <roles><role id=\"handlaggare\" group=\"kundtjanst\"/>"
		"</roles>\n"
		"  <commands><command word=\"klar\" event=\"cmd.resolve\"/>"
		"</commands>\n"
		"  <templates><template id=\"frist\"/></templates>\n"
		"  <state id=\"ny\">\n"
		"    <onentry>\n"
		"      <set field=\"due\" after=\"P10D\"/>\n"
		"      <notify to=\"role:handlaggare\" template=\"frist\"/>\n"
		"    </onentry>\n"
		"    <transition event=\"cmd.resolve\" target=\"klar\"/>\n"
		"  </state>\n"
		"  <final id=\"klar\"/>\n"
		"</workflow>\n";
	int64_t sat = at(2026, 11, 28, 10, 0), id = new_case(sat);
	struct caseflow_input in = { .channel = "email", .now = sat };
	char *err = NULL;

	load_workflow("frist.xml", wf);
	start(id, "frist", &in);
	ck_assert_int_eq(count("SELECT due_at FROM cases"),
			 at(2026, 12, 14, 8, 0));
	assert_text("SELECT group_concat(body, '|') FROM outbox_mail",
		    "Klart senast: 2026-12-11 16:30\n|"
		    "Klart senast: 2026-12-11 16:30\n");
	/* a notice outside a workflow run (as of a delivery failure) */
	sql("DELETE FROM outbox; UPDATE cases SET assignee_id = 2");
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_msg(caseflow_notify(cf, store, id, "frist", &in, &err) == 0,
		      "%s", err);
	ck_assert_int_eq(store_commit(store, &err), 0);
	assert_text("SELECT group_concat(body, '|') FROM outbox_mail",
		    "Klart senast: 2026-12-11 16:30\n");
}
END_TEST

/* The commands a notification lists are remembered for the rest of a
   transaction, by handler and state: a handler's groups changing in it
   changes them at once, and the next transaction reads them afresh. */
START_TEST(test_help_remembered)
{
	static const char wf[] =
		"<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"beslut\" "
		"version=\"1\" initial=\"ny\" xml:lang=\"sv\">\n"
		"  <roles><role id=\"handlaggare\" group=\"kundtjanst\"/>\n"
		"    <role id=\"chef\" group=\"ledning\"/></roles>\n"
		"  <commands><command word=\"klar\" event=\"cmd.resolve\"/>\n"
		"    <command word=\"beslut\" event=\"cmd.decide\" "
		"role=\"chef\"/></commands>\n"
		"  <templates><template id=\"nytt\"/></templates>\n"
		"  <state id=\"ny\">\n"
		"    <onentry><notify to=\"role:handlaggare\" "
		"template=\"nytt\"/></onentry>\n"
		"    <transition event=\"cmd.resolve\" target=\"klar\"/>\n"
		"    <transition event=\"cmd.decide\" target=\"klar\"/>\n"
		"  </state>\n"
		"  <final id=\"klar\"/>\n"
		"</workflow>\n";
	int64_t fri = at(2026, 12, 4, 10, 0), ids[4];
	struct caseflow_input in = { .channel = "email", .now = fri };
	static const char query[] = "SELECT group_concat(instr(body, "
		"'#beslut') > 0, '') FROM (SELECT body FROM outbox_mail "
		"WHERE recipient = 'eva@kommun.example' ORDER BY id)";
	char *err = NULL;

	load_workflow("beslut.xml", wf);
	sql("INSERT INTO handler_group (id, name, created_at) VALUES "
	    "(2, 'ledning', 0); INSERT INTO group_member VALUES (2, 2)");
	for (int i = 0; i < 4; i++)
		ids[i] = new_case(fri);
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_msg(caseflow_start(cf, store, ids[0], "beslut", &in, &err) ==
		      0, "%s", err);
	ck_assert_msg(caseflow_start(cf, store, ids[1], "beslut", &in, &err) ==
		      0, "%s", err);
	ck_assert_msg(store_group_member_remove(store, "ledning", 2, &err) == 1,
		      "%s", err);
	ck_assert_msg(caseflow_start(cf, store, ids[2], "beslut", &in, &err) ==
		      0, "%s", err);
	ck_assert_int_eq(store_commit(store, &err), 0);
	/* changed between transactions, by another program */
	sql("INSERT INTO group_member VALUES (2, 2)");
	start(ids[3], "beslut", &in);
	assert_text(query, "1101");
}
END_TEST

/* A notification to a group nobody is in reaches nobody: the case says
   the action was skipped (cirmctl status counts it), not "notify". */
START_TEST(test_notify_nobody)
{
	static const char wf[] =
		"<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"tom\" "
		"version=\"1\" initial=\"ny\" xml:lang=\"sv\">\n"
		"  <roles><role id=\"handlaggare\" group=\"kundtjanst\"/>\n"
		"    <role id=\"chef\" group=\"ledning\"/></roles>\n"
		"  <templates><template id=\"nytt\"/></templates>\n"
		"  <state id=\"ny\">\n"
		"    <onentry><notify to=\"role:chef\" template=\"nytt\"/>\n"
		"      <notify to=\"role:handlaggare\" template=\"nytt\"/>\n"
		"      <notify to=\"assignee\" template=\"nytt\"/>"
		"</onentry>\n"
		"    <transition event=\"mail.citizen\" target=\"klar\"/>\n"
		"  </state>\n"
		"  <final id=\"klar\"/>\n"
		"</workflow>\n";
	int64_t fri = at(2026, 12, 4, 10, 0), id;
	struct caseflow_input in = { .channel = "email", .now = fri };

	load_workflow("tom.xml", wf);
	sql("INSERT INTO handler_group (id, name, created_at) VALUES "
	    "(2, 'ledning', 0)");
	id = new_case(fri);
	tu_stderr_capture(dir);
	start(id, "tom", &in);
	free(tu_stderr_captured());
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'action.skipped' AND detail LIKE '%role:chef: "
			       "reached nobody: no active case officer with an "
			       "address in the group'"), 1);
	/* the case has no group yet: its assignee is nobody */
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'action.skipped' AND detail LIKE '%assignee: "
			       "reached nobody: the case has neither a case "
			       "officer nor a group'"), 1);
	/* the group with members is told, and says so */
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'notify' AND detail = 'role:handlaggare'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM outbox WHERE recipient "
			       "IN ('eva@kommun.example', "
			       "'olle@kommun.example')"), 2);
}
END_TEST

/* A reply outside a workflow run (a command's template, rendered after
   its event) shows when a timer of the state it led to fires. */
START_TEST(test_reply_timer)
{
	static const char wf[] =
		"<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"fraga\" "
		"version=\"1\" initial=\"ny\" xml:lang=\"sv\">\n"
		"  <commands><command word=\"klar\" event=\"cmd.resolve\"/>"
		"</commands>\n"
		"  <templates><template id=\"svarstid\"/></templates>\n"
		"  <state id=\"ny\" category=\"waiting\">\n"
		"    <timer id=\"svarstid\" after=\"P5D\" "
		"event=\"timer.giveup\"/>\n"
		"    <transition event=\"timer.giveup cmd.resolve\" "
		"target=\"klar\"/>\n"
		"  </state>\n"
		"  <final id=\"klar\"/>\n"
		"</workflow>\n";
	int64_t fri = at(2026, 12, 4, 10, 0), id = new_case(fri);
	struct caseflow_input in = { .channel = "email", .now = fri,
				     .text = "Har du ett foto?" };
	char *err = NULL;

	load_workflow("fraga.xml", wf);
	start(id, "fraga", &in);
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_msg(caseflow_reply(cf, store, id, "svarstid", &in, &err) ==
		      0, "%s", err);
	ck_assert_int_eq(store_commit(store, &err), 0);
	/* five business days from a Friday morning */
	assert_text("SELECT body FROM outbox_mail",
		    "Svara senast den 11 december 2026 kl. 10.00.\n");
}
END_TEST

/* Loads workflow XML as file NAME, from a directory of its own. */
static void
load_workflow(const char *name, const char *xml)
{
	struct strlist errors = { 0 };
	char *wfdir = tu_tmpdir();

	free(tu_write(wfdir, name, xml, 0644));
	ck_assert_int_ge(caseflow_load_dir(cf, store, wfdir, &errors), 1);
	ck_assert_msg(errors.n == 0, "%s", errors.v[0]);
	tu_rmrf(wfdir);
	free(wfdir);
}

/* Two timers of a case due in one scan (after cirmd was down, say):
   the first leads back into the state, which arms both anew a day on;
   the second, read as due before that, must not fire its new arming at
   once. */
START_TEST(test_timer_rearmed_in_scan)
{
	static const char wf[] =
		"<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"omstart\" "
		"version=\"1\" initial=\"vantar\" xml:lang=\"sv\">\n"
		"  <state id=\"vantar\">\n"
		"    <timer id=\"a-paminn\" after=\"P1D\" "
		"event=\"timer.remind\"/>\n"
		"    <timer id=\"b-geupp\" after=\"P1D\" "
		"event=\"timer.giveup\"/>\n"
		"    <transition event=\"timer.remind\" target=\"vantar\"/>\n"
		"    <transition event=\"timer.giveup\" target=\"slut\"/>\n"
		"  </state>\n"
		"  <final id=\"slut\"/>\n"
		"</workflow>\n";
	int64_t now = at(2026, 12, 7, 9, 0), id = new_case(now), due;
	struct caseflow_input in = { .channel = "email", .now = now };

	load_workflow("omstart.xml", wf);
	start(id, "omstart", &in);
	due = count("SELECT max(fire_at) FROM timer");
	ck_assert_int_eq(count("SELECT count(DISTINCT fire_at) FROM timer"), 1);
	ck_assert_int_eq(fire(due), 1);
	assert_text("SELECT state FROM cases", "vantar");
	/* both armed anew, a day after the scan */
	ck_assert_int_eq(count("SELECT count(*) FROM timer WHERE fired_at IS "
			       "NULL"), 2);
	ck_assert_int_eq(count("SELECT min(fire_at) FROM timer"), due + 86400);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'timer.giveup'"), 0);
}
END_TEST

/* What the actions set (category, due date, group, priority) is on the
   case when the run ends, and a later run keeps what it did not set,
   whatever changed it in between (a handler's #category). A group
   missing from the directory leaves the group the case had. */
START_TEST(test_set_fields)
{
	static const char wf[] =
		"<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"falt\" "
		"version=\"1\" initial=\"ny\" xml:lang=\"sv\">\n"
		"  <roles><role id=\"handlaggare\" group=\"kundtjanst\"/>\n"
		"    <role id=\"borta\" group=\"saknas\"/></roles>\n"
		"  <commands>\n"
		"    <command word=\"bradskande\" event=\"cmd.urgent\"/>\n"
		"    <command word=\"flytta\" event=\"cmd.move\"/>\n"
		"    <command word=\"klar\" event=\"cmd.resolve\"/>\n"
		"  </commands>\n"
		"  <state id=\"ny\">\n"
		"    <onentry>\n"
		"      <set field=\"category\" value=\"gata\"/>\n"
		"      <set field=\"due\" after=\"P2D\"/>\n"
		"      <set field=\"group\" value=\"role:handlaggare\"/>\n"
		"    </onentry>\n"
		"    <transition event=\"cmd.urgent\">\n"
		"      <set field=\"priority\" value=\"urgent\"/>\n"
		"    </transition>\n"
		"    <transition event=\"cmd.move\">\n"
		"      <set field=\"group\" value=\"role:borta\"/>\n"
		"      <set field=\"category\" value=\"park\"/>\n"
		"    </transition>\n"
		"    <transition event=\"cmd.resolve\" target=\"klar\"/>\n"
		"  </state>\n"
		"  <final id=\"klar\"/>\n"
		"</workflow>\n";
	int64_t fri = at(2026, 12, 4, 10, 0), id = new_case(fri);
	struct caseflow_input in = { .channel = "email", .now = fri };
	char *log, *p;

	load_workflow("falt.xml", wf);
	start(id, "falt", &in);
	assert_text("SELECT category || ' ' || priority || ' ' || group_id "
		    "FROM cases", "gata normal 1");
	/* P2D from Friday 10:00 in business days is Tuesday 10:00 */
	ck_assert_int_eq(count("SELECT due_at FROM cases"),
			 at(2026, 12, 8, 10, 0));
	/* a handler's #category between two runs */
	sql("UPDATE cases SET category = 'belysning'");
	event(id, "cmd.urgent", fri + 60);
	assert_text("SELECT category || ' ' || priority || ' ' || group_id "
		    "FROM cases", "belysning urgent 1");
	ck_assert_int_eq(count("SELECT due_at FROM cases"),
			 at(2026, 12, 8, 10, 0));
	/* no such group: the old one stays, the rest of the block runs;
	   each time on the case, in the log once */
	tu_stderr_capture(dir);
	event(id, "cmd.move", fri + 120);
	event(id, "cmd.move", fri + 180);
	event(id, "cmd.move", fri + 240);
	log = tu_stderr_captured();
	assert_text("SELECT category || ' ' || priority || ' ' || group_id "
		    "FROM cases", "park urgent 1");
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'action.skipped' AND detail LIKE "
			       "'%no handler group saknas%'"), 3);
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'set'"), 7);
	p = strstr(log, "no handler group saknas");
	ck_assert_msg(p != NULL && strstr(p + 1, "no handler group saknas") ==
		      NULL, "%s", log);
	free(log);
}
END_TEST

/* A case's first run arms the timers of the states it enters and drops
   those of the states it leaves on the way; a case already on a
   workflow is not started again. */
START_TEST(test_start_fresh)
{
	static const char wf[] =
		"<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"kedja\" "
		"version=\"1\" initial=\"a\" xml:lang=\"sv\">\n"
		"  <state id=\"a\">\n"
		"    <timer id=\"ta\" after=\"P1D\" event=\"timer.a\"/>\n"
		"    <transition event=\"timer.a\" target=\"b\"/>\n"
		"    <transition target=\"b\"/>\n"
		"  </state>\n"
		"  <state id=\"b\">\n"
		"    <timer id=\"tb\" after=\"P2D\" event=\"timer.b\"/>\n"
		"    <transition event=\"timer.b\" target=\"slut\"/>\n"
		"  </state>\n"
		"  <final id=\"slut\"/>\n"
		"</workflow>\n";
	int64_t now = at(2026, 12, 7, 9, 0), id = new_case(now);
	struct caseflow_input in = { .channel = "email", .now = now };
	char *err = NULL;

	load_workflow("kedja.xml", wf);
	start(id, "kedja", &in);
	assert_text("SELECT state FROM cases", "b");
	assert_text("SELECT group_concat(name) FROM timer WHERE fired_at IS "
		    "NULL", "tb");
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(caseflow_start(cf, store, id, "kedja", &in, &err), -1);
	ck_assert_msg(strstr(err, "already runs workflow kedja") != NULL, "%s",
		      err);
	free(err);
	store_rollback(store);
	ck_assert_int_eq(count("SELECT count(*) FROM timer"), 1);
}
END_TEST

/* The log keeps 16 skipped actions in mind: one pushed out after it
   was skipped unlogged says for how many cases. */
START_TEST(test_skip_log_evicts)
{
	struct strlist x = { 0 };
	char *wf, *err = NULL, *log;
	int64_t now = at(2026, 12, 7, 9, 0), a, b;
	struct caseflow_input in = { .channel = "email", .now = now };

	strlist_add(&x, "<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"sex\" "
		    "version=\"1\" initial=\"ny\" xml:lang=\"sv\">\n<roles>"
		    "<role id=\"ra\" group=\"saknasA\"/>");
	for (int i = 1; i <= 16; i++)
		strlist_addf(&x, "<role id=\"r%d\" group=\"saknas%d\"/>", i, i);
	strlist_add(&x, "</roles>\n<commands><command word=\"manga\" "
		    "event=\"cmd.many\"/><command word=\"klar\" "
		    "event=\"cmd.resolve\"/></commands>\n<state id=\"ny\">"
		    "<onentry><set field=\"group\" value=\"role:ra\"/>"
		    "</onentry>\n<transition event=\"cmd.many\">\n");
	for (int i = 1; i <= 16; i++)
		strlist_addf(&x, "<set field=\"group\" value=\"role:r%d\"/>\n",
			     i);
	strlist_add(&x, "</transition>\n<transition event=\"cmd.resolve\" "
		    "target=\"klar\"/></state>\n<final id=\"klar\"/>\n"
		    "</workflow>\n");
	wf = strlist_join(&x);
	strlist_clear(&x);
	load_workflow("sex.xml", wf);
	free(wf);
	a = new_case(now);
	b = new_case(now);
	tu_stderr_capture(dir);
	/* the first case logs the skip, the second is counted */
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(caseflow_start(cf, store, a, "sex", &in, &err), 0);
	ck_assert_int_eq(caseflow_start(cf, store, b, "sex", &in, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	/* sixteen other skipped actions push it out */
	event(a, "cmd.many", now + 60);
	log = tu_stderr_captured();
	ck_assert_int_eq(count("SELECT count(*) FROM event WHERE kind = "
			       "'action.skipped'"), 18);
	ck_assert_msg(strstr(log, "role:ra: no handler group saknasA") != NULL &&
		      strstr(log, "sex.xml:4: skipped for 1 more cases") != NULL,
		      "%s", log);
	ck_assert_msg(strstr(log, "role:r16: no handler group saknas16") !=
		      NULL, "%s", log);
	free(log);
}
END_TEST

/* A trial rolled back says nothing and counts nothing: the run after it
   logs the skipped action as if the trial had not been (and is not
   taken for a repeat within the minute). */
START_TEST(test_trial_log)
{
	static const char wf[] =
		"<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"prov\" "
		"version=\"1\" initial=\"ny\" xml:lang=\"sv\">\n"
		"  <roles><role id=\"borta\" group=\"saknas\"/></roles>\n"
		"  <commands>\n"
		"    <command word=\"flytta\" event=\"cmd.move\"/>\n"
		"    <command word=\"stang\" event=\"cmd.close\"/>\n"
		"  </commands>\n"
		"  <state id=\"ny\">\n"
		"    <transition event=\"cmd.move\">\n"
		"      <set field=\"group\" value=\"role:borta\"/>\n"
		"    </transition>\n"
		"    <transition event=\"cmd.close\" target=\"stangd\"/>\n"
		"  </state>\n"
		"  <final id=\"stangd\"/>\n"
		"</workflow>\n";
	int64_t now = at(2026, 12, 7, 9, 0), id = new_case(now);
	struct caseflow_input in = { .channel = "email", .now = now };
	char *log;

	load_workflow("prov.xml", wf);
	start(id, "prov", &in);
	tu_stderr_capture(dir);
	caseflow_trial_begin(cf);
	event(id, "cmd.move", now + 60);
	caseflow_trial_end(cf, false);
	log = tu_stderr_captured();
	ck_assert_msg(log[0] == '\0', "%s", log);
	free(log);
	tu_stderr_capture(dir);
	event(id, "cmd.move", now + 120);
	log = tu_stderr_captured();
	ck_assert_msg(strstr(log, "no handler group saknas") != NULL &&
		      strstr(log, "also skipped") == NULL, "%s", log);
	free(log);
}
END_TEST

/* A rolled back transaction (a crash before commit) leaves the case
   wholly in the old state: no timer, no outbox row, no history. */
START_TEST(test_rollback)
{
	int64_t now = at(2026, 12, 7, 9, 0), id = new_case(now);
	struct caseflow_input in = { .channel = "email", .now = now };
	char *err = NULL;
	int64_t outbox, events;

	start(id, "minimal", &in);
	outbox = count("SELECT count(*) FROM outbox");
	events = count("SELECT count(*) FROM event");
	ck_assert_int_eq(store_begin(store, &err), 0);
	ck_assert_int_eq(caseflow_event(cf, store, id, "cmd.fix", &in, &err), 0);
	ck_assert_int_eq(caseflow_event(cf, store, id, "mail.citizen", &in,
					&err), 0);
	store_rollback(store);
	assert_text("SELECT state FROM cases", "registrerad");
	ck_assert_int_eq(count("SELECT count(*) FROM outbox"), outbox);
	ck_assert_int_eq(count("SELECT count(*) FROM event"), events);
	ck_assert_int_eq(count("SELECT count(*) FROM timer WHERE fired_at IS "
			       "NULL"), 1);
}
END_TEST

/* A running case keeps its version, read back from the database even by
   a process that never saw the file; a changed file with the same
   version number is refused. */
START_TEST(test_versions)
{
	int64_t now = at(2026, 12, 7, 9, 0), id = new_case(now);
	struct caseflow_input in = { .channel = "email", .now = now };
	struct caseflow_settings cs = { .template_dir = templates,
					.municipality = "X", .language = "sv" };
	char *path = xasprintf("%s/tests/data/workflow/minimal.xml",
			       tu_srcdir());
	char *src, *changed, *err = NULL;
	size_t len;
	struct workflow *wf = NULL;

	start(id, "minimal", &in);
	src = tu_slurp(path, &len);
	/* same version, other bytes */
	changed = xasprintf("%s<!-- edited -->\n", src);
	ck_assert_int_eq(workflow_load("m.xml", changed, strlen(changed), &wf,
				       &err), 0);
	ck_assert_int_eq(caseflow_add(cf, store, wf, changed, strlen(changed),
				      &err), -1);
	ck_assert_msg(strstr(err, "give the changed workflow a new version "
			     "number") != NULL, "%s", err);
	free(err);
	err = NULL;
	/* a fresh process: nothing loaded, the case still runs */
	caseflow_free(&cf);
	cf = caseflow_new(&cs);
	event(id, "cmd.fix", now);
	assert_text("SELECT state FROM cases", "atgardad");
	free(changed);
	free(src);
	free(path);
}
END_TEST

static Suite *
caseflow_suite(void)
{
	Suite *s = suite_create("caseflow");
	TCase *tc = tcase_create("flow");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_lifecycle);
	tcase_add_test(tc, test_timer_rearmed_in_scan);
	tcase_add_test(tc, test_notify_language);
	tcase_add_test(tc, test_due_shown);
	tcase_add_test(tc, test_due_from_received);
	tcase_add_test(tc, test_help_remembered);
	tcase_add_test(tc, test_notify_nobody);
	tcase_add_test(tc, test_reply_timer);
	tcase_add_test(tc, test_set_fields);
	tcase_add_test(tc, test_start_fresh);
	tcase_add_test(tc, test_skip_log_evicts);
	tcase_add_test(tc, test_rollback);
	tcase_add_test(tc, test_trial_log);
	tcase_add_test(tc, test_versions);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(caseflow_suite());
}
