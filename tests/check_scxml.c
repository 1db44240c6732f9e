/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "scxml.h"
#include "testutil.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One run: a document, a script, the configuration it ends in and (when
   not NULL) the <log> labels in the order they were executed. */
struct run_case {
	const char *file;
	const char *script;
	const char *config;
	const char *log;
};

static const struct run_case run_cases[] = {
	/* event descriptors match by token prefix */
	{ "prefix", "mail", "m", NULL },
	{ "prefix", "mail.citizen", "m", NULL },
	{ "prefix", "mailbox", "mb", NULL },
	{ "prefix", "mail.citizen, reset, mailbox", "mb", NULL },
	{ "prefix", "sms", "s", NULL },
	{ "prefix", "sms.in.x", "s", NULL },
	{ "prefix", "smsx, mails, y", "xy", NULL },
	{ "prefix", "any, whatever.else", "idle", NULL },
	/* document order; descendants before ancestors */
	{ "order", "e", "y", NULL },
	{ "order", "g", "x", NULL },
	{ "order", "h", "z", NULL },
	{ "order", "unknown", "p c", NULL },
	/* eventless chains, and In() on an eventless transition */
	{ "eventless", "", "c", "b c" },
	{ "eventless", "go", "e", "b c" },
	/* targetless: actions without exit or entry; internal and
	   external self transitions */
	{ "targetless", "t, t", "p c", "enter-p enter-c t t" },
	{ "targetless", "self", "p c",
	  "enter-p enter-c exit-c exit-p t-self enter-p enter-c" },
	{ "targetless", "inner", "p d",
	  "enter-p enter-c exit-c t-inner enter-d" },
	/* exit in reverse document order, entry in document order */
	{ "nested", "e", "s2 s21 s211",
	  "enter-s1 enter-s11 enter-s111 exit-s111 exit-s11 exit-s1 t "
	  "enter-s2 enter-s21 enter-s211" },
	{ "nested", "f", "s1 s11 s112",
	  "enter-s1 enter-s11 enter-s111 exit-s111 t enter-s112" },
	/* final states, done.state, and stopping at a top-level final */
	{ "final", "e", "end",
	  "enter-stepdone exit-work done enter-end exit-end" },
	{ "final", "e, e, x", "end", NULL },
	/* parallel regions, done.state of a parallel */
	{ "parallel", "", "P r1 a1 r2 b1", "enter-P enter-r1 enter-r2" },
	{ "parallel", "a", "P r1 a2 r2 b1", NULL },
	{ "parallel", "go, b", "P r1 a1 r2 b2", NULL },
	{ "parallel", "a, go", "both",
	  "enter-P enter-r1 enter-r2 exit-r2 exit-r1 exit-P" },
	/* optimal enabled transition set */
	{ "conflict", "out", "o1", NULL },
	{ "conflict", "both", "P r1 a2 r2 b2", NULL },
	{ "conflict", "out, back", "P r1 a2 r2 b2", NULL },
	/* type="internal" on an atomic source, or targeting the source
	   itself, behaves as external */
	{ "internal", "leaf", "p c", "enter-p enter-c exit-c t enter-c" },
	{ "internal", "top", "p c",
	  "enter-p enter-c exit-c exit-p t enter-p enter-c" },
	/* raise: internal events in order, before external ones */
	{ "raise", "", "pass", NULL },
	{ "precedence", "", "pass", NULL },
	/* delayed send on the virtual clock, cancel */
	{ "timer", "+4999ms", "wait", "early" },
	{ "timer", "+5s", "expired", "early" },
	{ "timer", "+4s, +1s", "expired", "early" },
	{ "timer", "+1s, stop, +1h", "stopped", "" },
	{ "timeorder", "+1m", "s1", NULL },
	{ "timeorder", "+3m", "s3", NULL },
	/* In() and boolean conditions, <if> */
	{ "cond", "go", "P x x1 y y1", NULL },
	{ "cond", "tox2, go", "P x x2 y y2", NULL },
	{ "cond", "other", "P x x1 y y3", "elseif" },
	{ "cond", "tox2, other", "P x x2 y y1", NULL },
};

static char *
data_path(const char *file)
{
	return xasprintf("%s/tests/data/scxml/%s.scxml", tu_srcdir(), file);
}

static struct scxml *
load_file(const char *file)
{
	char *path = data_path(file), *error = NULL;
	size_t len;
	char *text = tu_slurp(path, &len);
	struct scxml *doc = NULL;

	ck_assert_msg(scxml_load(path, text, len, &doc, &error) == 0,
		      "%s: %s", file, error);
	free(text);
	free(path);
	return doc;
}

static void
collect_log(void *ctx, const char *label, const char *expr)
{
	struct strlist *log = ctx;

	strlist_addf(log, "%s%s", log->n > 0 ? " " : "",
		     label != NULL ? label : "");
}

/* Runs SCRIPT step by step through the session API, collecting logs. */
static char *
run_with_log(const struct scxml *doc, const char *script)
{
	struct scxml_session *s = scxml_session_new(doc);
	struct strlist log = { 0 };
	char *copy = xstrdup(script), *save = NULL, *error = NULL;
	uint64_t ms;

	scxml_session_set_log(s, collect_log, &log);
	ck_assert_msg(scxml_start(s, &error) == 0, "%s", error);
	for (char *step = strtok_r(copy, ", ", &save); step != NULL;
	     step = strtok_r(NULL, ", ", &save)) {
		int ret;

		if (step[0] == '+') {
			ck_assert_int_eq(scxml_parse_delay(step + 1, &ms), 0);
			ret = scxml_advance(s, ms, &error);
		} else {
			ret = scxml_send(s, step, &error);
		}
		ck_assert_msg(ret == 0, "%s", error);
	}
	free(copy);
	scxml_session_free(&s);
	ck_assert_ptr_null(s);
	return strlist_join(&log);
}

START_TEST(test_run)
{
	const struct run_case *c = &run_cases[_i];
	struct scxml *doc = load_file(c->file);
	char *out = NULL, *error = NULL, *log;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	char *want = xasprintf("%s\n", c->config);

	ck_assert_msg(scxml_run_script(doc, c->script, f, &error) == 0,
		      "%s [%s]: %s", c->file, c->script, error);
	fclose(f);
	ck_assert_msg(strcmp(out, want) == 0, "%s [%s]: got '%.*s' want '%s'",
		      c->file, c->script, (int)strcspn(out, "\n"), out,
		      c->config);
	log = run_with_log(doc, c->script);
	if (c->log != NULL)
		ck_assert_msg(strcmp(log, c->log) == 0,
			      "%s [%s]: log '%s' want '%s'", c->file,
			      c->script, log, c->log);
	free(log);
	free(want);
	free(out);
	scxml_free(&doc);
	ck_assert_ptr_null(doc);
}
END_TEST

/* Runs SCRIPT on FILE expecting failure; returns the error. */
static char *
run_error(const char *file, const char *script)
{
	struct scxml *doc = load_file(file);
	char *error = NULL, *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);

	ck_assert_int_eq(scxml_run_script(doc, script, f, &error), -1);
	fclose(f);
	ck_assert_str_eq(out, "");
	free(out);
	scxml_free(&doc);
	return error;
}

START_TEST(test_eventless_loop)
{
	char *error = run_error("loop", "go");

	ck_assert_msg(strstr(error, "eventless transitions loop in state ping")
		      != NULL, "%s", error);
	free(error);
}
END_TEST

START_TEST(test_raise_loop)
{
	char *error = run_error("raiseloop", "");

	ck_assert_msg(strstr(error, "loop in state spin") != NULL, "%s",
		      error);
	free(error);
}
END_TEST

START_TEST(test_send_loop)
{
	char *error = run_error("sendloop", "go");

	ck_assert_msg(strstr(error, "external events loop: 'go'") != NULL,
		      "%s", error);
	free(error);
}
END_TEST

/* A failed session stays failed and keeps its configuration. */
START_TEST(test_failed_session)
{
	struct scxml *doc = load_file("loop");
	struct scxml_session *s = scxml_session_new(doc);
	char *error = NULL;

	ck_assert_int_eq(scxml_start(s, &error), 0);
	ck_assert_int_eq(scxml_send(s, "go", &error), -1);
	free(error);
	error = NULL;
	ck_assert_int_eq(scxml_send(s, "go", &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "loop"));
	free(error);
	ck_assert(!scxml_in_final(s));
	scxml_session_free(&s);
	scxml_free(&doc);
}
END_TEST

START_TEST(test_in_final)
{
	struct scxml *doc = load_file("final");
	struct scxml_session *s = scxml_session_new(doc);
	char *error = NULL;

	ck_assert_int_eq(scxml_start(s, &error), 0);
	ck_assert(!scxml_in_final(s));
	ck_assert_int_eq(scxml_send(s, "e", &error), 0);
	ck_assert(scxml_in_final(s));
	ck_assert_int_eq(scxml_send(s, "e", &error), 0);
	scxml_session_free(&s);
	scxml_free(&doc);
}
END_TEST

START_TEST(test_virtual_clock)
{
	struct scxml *doc = load_file("timer");
	struct scxml_session *s = scxml_session_new(doc);
	char *error = NULL;

	ck_assert_int_eq(scxml_start(s, &error), 0);
	ck_assert_int_eq(scxml_advance(s, 2000, &error), 0);
	ck_assert_uint_eq(scxml_now(s), 2000);
	ck_assert_int_eq(scxml_advance(s, 3000, &error), 0);
	ck_assert_uint_eq(scxml_now(s), 5000);
	scxml_session_free(&s);
	scxml_free(&doc);
}
END_TEST

struct match_case {
	const char *descriptors, *name;
	bool match;
};

static const struct match_case match_cases[] = {
	{ "mail", "mail", true },
	{ "mail", "mail.citizen", true },
	{ "mail", "mailbox", false },
	{ "mail.*", "mail.citizen", true },
	{ "mail.", "mail.citizen", true },
	{ "mail.citizen", "mail", false },
	{ "mail.citizen", "mail.citizen.x", true },
	{ "*", "anything.at.all", true },
	{ "a b  c", "c.d", true },
	{ "a b", "ab", false },
	{ "", "a", false },
};

START_TEST(test_event_match)
{
	const struct match_case *c = &match_cases[_i];

	ck_assert_msg(scxml_event_match(c->descriptors, c->name) == c->match,
		      "'%s' vs '%s'", c->descriptors, c->name);
}
END_TEST

START_TEST(test_delay)
{
	/* CSS2 times, as SCXML's delay is: fractions too */
	static const struct {
		const char *text;
		uint64_t ms;
	} good[] = {
		{ "500ms", 500 }, { "5s", 5000 }, { "2m", 120000 },
		{ "1h", 3600000 }, { "1.5s", 1500 }, { ".25s", 250 },
		{ "2.5ms", 2 },
	};
	static const char *const bad[] = {
		"1.s", ".s", "1.2.3s", "5", "s", "-5s", "5 s",
		"99999999999999999999s",
	};
	uint64_t ms;

	for (size_t i = 0; i < N_ELEMENTS(good); i++) {
		ck_assert_msg(scxml_parse_delay(good[i].text, &ms) == 0, "%s",
			      good[i].text);
		ck_assert_uint_eq(ms, good[i].ms);
	}
	for (size_t i = 0; i < N_ELEMENTS(bad); i++)
		ck_assert_msg(scxml_parse_delay(bad[i], &ms) == -1, "%s",
			      bad[i]);
}
END_TEST

START_TEST(test_script_errors)
{
	struct scxml *doc = load_file("timer");
	char *error = NULL;
	FILE *f = fopen("/dev/null", "w");

	ck_assert_int_eq(scxml_run_script(doc, "+5x", f, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "bad delay '+5x'"));
	free(error);
	ck_assert_int_eq(scxml_run_script(doc, "a b", f, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "bad event name"));
	free(error);
	ck_assert_int_eq(scxml_run_script(doc, " , ,", f, &error), 0);
	fclose(f);
	scxml_free(&doc);
}
END_TEST

/* Loads FILE expecting failure; returns the error. */
static char *
load_error(const char *file)
{
	char *path = data_path(file), *error = NULL;
	size_t len;
	char *text = tu_slurp(path, &len);
	struct scxml *doc = NULL;

	ck_assert_int_eq(scxml_load(path, text, len, &doc, &error), -1);
	ck_assert_ptr_null(doc);
	free(text);
	free(path);
	return error;
}

static void
assert_has(const char *error, const char *file, int line, const char *what)
{
	char *want = xasprintf("/tests/data/scxml/%s.scxml:%d: %s", file, line,
			       what);

	ck_assert_msg(strstr(error, want) != NULL, "'%s' lacks '%s'", error,
		      want);
	free(want);
}

START_TEST(test_billion_laughs)
{
	char *error = load_error("billion-laughs");

	assert_has(error, "billion-laughs", 2, "DOCTYPE not allowed");
	ck_assert_ptr_null(strchr(error, '\n'));
	free(error);
}
END_TEST

START_TEST(test_xxe)
{
	char *error = load_error("xxe");

	assert_has(error, "xxe", 2, "DOCTYPE not allowed");
	ck_assert_ptr_null(strstr(error, "root:"));
	free(error);
}
END_TEST

/* A DOCTYPE without an internal subset is refused as well. */
START_TEST(test_external_doctype)
{
	static const char text[] =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE scxml SYSTEM \"http://example.invalid/x.dtd\">\n"
		"<scxml xmlns=\"" SCXML_NAMESPACE "\"><state id=\"a\"/>"
		"</scxml>\n";
	struct scxml *doc = NULL;
	char *error = NULL;

	ck_assert_int_eq(scxml_load("ext.scxml", text, sizeof(text) - 1, &doc,
				    &error), -1);
	ck_assert_msg(strncmp(error, "ext.scxml:2: DOCTYPE not allowed", 32)
		      == 0, "%s", error);
	free(error);
}
END_TEST

START_TEST(test_too_large)
{
	size_t len = SCXML_MAX_SIZE + 1;
	char *text = xmalloc(len);
	struct scxml *doc = NULL;
	char *error = NULL;

	memset(text, ' ', len);
	ck_assert_int_eq(scxml_load("big.scxml", text, len, &doc, &error), -1);
	ck_assert_msg(strncmp(error, "big.scxml:1: document too large", 31)
		      == 0, "%s", error);
	free(error);
	free(text);
}
END_TEST

/* A target naming a state over and over, as long as the size limit
   lets it, is refused at once: its states were checked pair by pair. */
START_TEST(test_too_many_targets)
{
	static const char head[] =
		"<scxml xmlns=\"" SCXML_NAMESPACE "\" initial=\"p\">"
		"<parallel id=\"p\"><state id=\"a\"><transition event=\"e\" "
		"target=\"";
	static const char tail[] =
		"\"/></state><state id=\"b\"/></parallel></scxml>";
	size_t len = 0, cap = SCXML_MAX_SIZE;
	char *text = xmalloc(cap), *error = NULL;
	struct scxml *doc = NULL;

	len += (size_t)snprintf(text, cap, "%s", head);
	while (len + 2 + sizeof(tail) < cap) {
		memcpy(text + len, "a ", 2);
		len += 2;
	}
	memcpy(text + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	ck_assert_int_eq(scxml_load("many.scxml", text, len, &doc, &error), -1);
	ck_assert_msg(strstr(error, "many.scxml:1: target names more than 256 "
			     "states") != NULL, "%s", error);
	free(error);
	free(text);
}
END_TEST

START_TEST(test_malformed)
{
	static const char text[] =
		"<scxml xmlns=\"" SCXML_NAMESPACE "\">\n"
		"  <state id=\"a\">\n"
		"  </stat>\n"
		"</scxml>\n";
	struct scxml *doc = NULL;
	char *error = NULL;

	ck_assert_int_eq(scxml_load("bad.scxml", text, sizeof(text) - 1, &doc,
				    &error), -1);
	ck_assert_msg(strncmp(error, "bad.scxml:3: ", 13) == 0, "%s", error);
	free(error);
}
END_TEST

/* A target when no state has an id: said, as any unknown target. */
START_TEST(test_no_ids)
{
	static const char text[] =
		"<scxml xmlns=\"" SCXML_NAMESPACE "\">\n"
		"  <state><transition target=\"a\"/></state>\n"
		"</scxml>\n";
	struct scxml *doc = NULL;
	char *error = NULL;

	ck_assert_int_eq(scxml_load("n.scxml", text, sizeof(text) - 1, &doc,
				    &error), -1);
	ck_assert_str_eq(error, "n.scxml:2: <state> without id\n"
			 "n.scxml:2: target 'a': no such state");
	free(error);
}
END_TEST

START_TEST(test_not_scxml)
{
	static const char text[] = "<scxml><state id=\"a\"/></scxml>";
	struct scxml *doc = NULL;
	char *error = NULL;

	ck_assert_int_eq(scxml_load("x.scxml", text, sizeof(text) - 1, &doc,
				    &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "x.scxml:1: the root element"));
	free(error);
}
END_TEST

/* All problems of a document at once, each with its line. */
START_TEST(test_invalid)
{
	char *error = load_error("invalid");
	size_t lines = 1;

	assert_has(error, "invalid", 4, "unknown attribute colour on <state>");
	assert_has(error, "invalid", 5, "target 'nowhere': no such state");
	assert_has(error, "invalid", 6, "unknown element <bogus> in <state>");
	assert_has(error, "invalid", 9, "<state> without id");
	assert_has(error, "invalid", 12, "duplicate id 'a' (first at line 4)");
	/* the initial names the duplicated id inside its state: that is
	   the one it means, nothing more to say */
	assert_has(error, "invalid", 23, "duplicate id 'd1' (first at line 21)");
	ck_assert_msg(strstr(error, "'d1' is not inside") == NULL, "%s", error);
	assert_has(error, "invalid", 13,
		   "initial state 'a' is not inside 'b'");
	assert_has(error, "invalid", 17, "bad delay 'soon'");
	assert_has(error, "invalid", 17, "<raise> needs an event");
	assert_has(error, "invalid", 18, "condition: In('zz'): no such state");
	assert_has(error, "invalid", 20, "<history> is not supported");
	for (const char *p = error; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	ck_assert_uint_eq(lines, 11);
	ck_assert_msg(strstr(error, ":4: ") < strstr(error, ":5: ") &&
		      strstr(error, ":17: ") < strstr(error, ":20: "),
		      "not in line order: %s", error);
	free(error);
}
END_TEST

/* Several targets (or initial states) only in different regions of a
   parallel: two top-level states at once would be a configuration the
   session cannot be restored from. */
START_TEST(test_targets_together)
{
	static const char bad[] =
		"<scxml xmlns=\"" SCXML_NAMESPACE "\">\n"
		"  <state id=\"a\" initial=\"a1 a2\">\n"
		"    <state id=\"a1\"/><state id=\"a2\"/>\n"
		"    <transition event=\"e\" target=\"b end\"/>\n"
		"  </state>\n"
		"  <state id=\"b\"/>\n"
		"  <final id=\"end\"/>\n"
		"</scxml>\n";
	static const char good[] =
		"<scxml xmlns=\"" SCXML_NAMESPACE "\">\n"
		"  <state id=\"a\">\n"
		"    <transition event=\"e\" target=\"x2 y2\"/>\n"
		"    <transition event=\"f\" target=\"P y2\"/>\n"
		"  </state>\n"
		"  <parallel id=\"P\">\n"
		"    <state id=\"x\"><state id=\"x1\"/><state id=\"x2\"/>"
		"</state>\n"
		"    <state id=\"y\"><state id=\"y1\"/><state id=\"y2\"/>"
		"</state>\n"
		"  </parallel>\n"
		"</scxml>\n";
	struct scxml *doc = NULL;
	char *error = NULL;

	ck_assert_int_eq(scxml_load("t.scxml", bad, sizeof(bad) - 1, &doc,
				    &error), -1);
	ck_assert_msg(strstr(error, "t.scxml:2: initial 'a1' and 'a2' cannot "
			     "be active together") != NULL, "%s", error);
	ck_assert_msg(strstr(error, "t.scxml:4: target 'b' and 'end' cannot "
			     "be active together") != NULL, "%s", error);
	free(error);
	error = NULL;
	ck_assert_msg(scxml_load("t.scxml", good, sizeof(good) - 1, &doc,
				 &error) == 0, "%s", error);
	scxml_free(&doc);
}
END_TEST

struct action_log {
	struct strlist seen;
	bool fail;
};

static int
action(void *ctx, const struct scxml_element *elem, char **error_r)
{
	struct action_log *a = ctx;
	char *to = scxml_element_attr(elem, "to");

	strlist_addf(&a->seen, "%s%s:%s:%s:%d", a->seen.n > 0 ? " " : "",
		     scxml_element_ns(elem), scxml_element_name(elem),
		     to != NULL ? to : "-", scxml_element_line(elem));
	free(to);
	if (a->fail) {
		*error_r = xstrdup("no such template");
		return -1;
	}
	return 0;
}

static const char action_doc[] =
	"<scxml xmlns=\"" SCXML_NAMESPACE "\" xmlns:c=\"urn:x-cirm:test\"\n"
	"       initial=\"a\">\n"
	"  <c:meta note=\"ignored outside executable content\"/>\n"
	"  <state id=\"a\">\n"
	"    <onentry><c:notify to=\"role:x\"/><raise event=\"r\"/>"
	"<c:reply/></onentry>\n"
	"    <transition event=\"r\" target=\"b\"/>\n"
	"    <transition event=\"error.execution\" target=\"err\"/>\n"
	"  </state>\n"
	"  <state id=\"b\"/>\n"
	"  <state id=\"err\"/>\n"
	"</scxml>\n";

static void
collect_state(void *ctx, const char *id)
{
	struct strlist *l = ctx;

	strlist_addf(l, "%s%s", l->n > 0 ? " " : "", id);
}

static void
run_action_doc(struct action_log *a, const char *want_config)
{
	struct scxml *doc = NULL;
	struct scxml_session *s;
	char *error = NULL, *got;
	struct strlist config = { 0 };

	ck_assert_msg(scxml_load("act.scxml", action_doc,
				 sizeof(action_doc) - 1, &doc, &error) == 0,
		      "%s", error);
	s = scxml_session_new(doc);
	scxml_session_set_action(s, action, a);
	ck_assert_int_eq(scxml_start(s, &error), 0);
	scxml_configuration(s, collect_state, &config);
	got = strlist_join(&config);
	ck_assert_str_eq(got, want_config);
	free(got);
	scxml_session_free(&s);
	scxml_free(&doc);
}

START_TEST(test_action_hook)
{
	struct action_log a = { { 0 }, false };
	char *seen;

	run_action_doc(&a, "b");
	seen = strlist_join(&a.seen);
	ck_assert_str_eq(seen, "urn:x-cirm:test:notify:role:x:5 "
			 "urn:x-cirm:test:reply:-:5");
	free(seen);
}
END_TEST

/* A failing host action stops its block and raises error.execution. */
START_TEST(test_action_error)
{
	struct action_log a = { { 0 }, true };
	char *seen;

	run_action_doc(&a, "err");
	seen = strlist_join(&a.seen);
	ck_assert_str_eq(seen, "urn:x-cirm:test:notify:role:x:5");
	free(seen);
}
END_TEST

/* Host predicates: checked at load time, answered by the session. */
static const char *const pred_names[] = { "channel", "assigned", NULL };

static void
pred_check(void *ctx, const char *name, const char *arg, char **error_r)
{
	(void)ctx;
	if (strcmp(name, "channel") == 0 &&
	    (arg == NULL || (strcmp(arg, "sms") != 0 &&
			     strcmp(arg, "email") != 0)))
		*error_r = xstrdup("unknown channel");
}

static void
pred_answer(void *ctx, const char *name, const char *arg, bool *value_r,
	    char **error_r)
{
	const char *channel = ctx;

	(void)error_r;
	*value_r = strcmp(name, "channel") == 0 ? strcmp(arg, channel) == 0 :
		false;
}

static struct scxml *
load_with_preds(const char *text, char **error_r)
{
	const struct scxml_options opts = {
		.predicates = pred_names, .check_pred = pred_check,
	};
	char *error = NULL;
	struct scxml *doc = NULL;
	void *xml = scxml_parse_xml("p.scxml", text, strlen(text),
				    SCXML_MAX_SIZE, &error);

	ck_assert_msg(xml != NULL, "%s", error);
	if (scxml_load_xml("p.scxml", xml, &opts, &doc, error_r) < 0)
		return NULL;
	return doc;
}

static const char pred_doc[] =
	"<scxml xmlns=\"" SCXML_NAMESPACE "\" initial=\"a\">\n"
	"  <state id=\"a\">\n"
	"    <transition event=\"m\" cond=\"channel('sms') and !assigned()\"\n"
	"                target=\"sms\"/>\n"
	"    <transition event=\"m\" target=\"other\"/>\n"
	"  </state>\n"
	"  <state id=\"sms\"/><state id=\"other\"/>\n"
	"</scxml>\n";

static char *
run_pred(const char *channel)
{
	char *error = NULL, *got;
	struct scxml *doc = load_with_preds(pred_doc, &error);
	struct scxml_session *s;
	struct strlist config = { 0 };

	ck_assert_msg(doc != NULL, "%s", error);
	s = scxml_session_new(doc);
	scxml_session_set_predicate(s, pred_answer, (void *)channel);
	ck_assert_int_eq(scxml_start(s, &error), 0);
	ck_assert_int_eq(scxml_send(s, "m", &error), 0);
	scxml_configuration(s, collect_state, &config);
	got = strlist_join(&config);
	scxml_session_free(&s);
	scxml_free(&doc);
	return got;
}

START_TEST(test_predicates)
{
	char *got, *error = NULL;

	got = run_pred("sms");
	ck_assert_str_eq(got, "sms");
	free(got);
	got = run_pred("email");
	ck_assert_str_eq(got, "other");
	free(got);
	/* refused at load time: a bad argument, an unknown function, and
	   a predicate of the host in a plain document */
	ck_assert_ptr_null(load_with_preds(
		"<scxml xmlns=\"" SCXML_NAMESPACE "\">\n"
		"<state id=\"a\"><transition cond=\"channel('fax')\"/>"
		"</state></scxml>", &error));
	ck_assert_str_eq(error, "p.scxml:2: condition: channel('fax'): "
			 "unknown channel");
	free(error);
	ck_assert_ptr_null(load_with_preds(
		"<scxml xmlns=\"" SCXML_NAMESPACE "\">\n"
		"<state id=\"a\"><transition cond=\"colour('red')\"/>"
		"</state></scxml>", &error));
	ck_assert_str_eq(error, "p.scxml:2: condition: unknown function "
			 "'colour' (a term is In('id'), channel(), assigned(), "
			 "true, false, not, or a condition in parentheses) at "
			 "'colour('red')'");
	free(error);
	/* a condition that stops after "and" */
	ck_assert_ptr_null(load_with_preds(
		"<scxml xmlns=\"" SCXML_NAMESPACE "\">\n"
		"<state id=\"a\"><transition cond=\"assigned() and \"/>"
		"</state></scxml>", &error));
	ck_assert_msg(strstr(error, "p.scxml:2: condition: the condition ends "
			     "where a term must follow") != NULL, "%s", error);
	free(error);
	/* what a word processor makes of a condition: typographic quotes
	   and a no-break space, named since they look right */
	ck_assert_ptr_null(load_with_preds(
		"<scxml xmlns=\"" SCXML_NAMESPACE "\">\n"
		"<state id=\"a\"><transition cond=\"In(\xe2\x80\x98" "a\xe2\x80\x99)\"/>"
		"</state></scxml>", &error));
	ck_assert_msg(strstr(error, "p.scxml:2: condition: expected a quoted "
			     "state id at ") == error &&
		      strstr(error, ": ‘ is a typographic quote, as word "
			     "processors write them: write ' instead") != NULL,
		      "%s", error);
	free(error);
	ck_assert_ptr_null(load_with_preds(
		"<scxml xmlns=\"" SCXML_NAMESPACE "\">\n"
		"<state id=\"a\"><transition cond=\"not\xc2\xa0" "channel('sms')\"/>"
		"</state></scxml>", &error));
	ck_assert_msg(strstr(error, ": a no-break space (U+00A0) is there, "
			     "which looks like a plain space: write a plain "
			     "one") != NULL, "%s", error);
	free(error);
	/* the text shown is cut between characters, not inside an å */
	ck_assert_ptr_null(load_with_preds(
		"<scxml xmlns=\"" SCXML_NAMESPACE "\">\n"
		"<state id=\"a\"><transition cond=\"true "
		"kategorin_r\xc3\xa4ttas_s\xc3\xa5\"/></state></scxml>", &error));
	ck_assert_str_eq(error, "p.scxml:2: condition: unexpected text at "
			 "'kategorin_r\xc3\xa4ttas_s'");
	free(error);
}
END_TEST

/* A condition nested beyond reason is refused with its line, not
   parsed until the stack runs out. */
START_TEST(test_cond_deep)
{
	static const char head[] = "<scxml xmlns=\"" SCXML_NAMESPACE "\">\n"
		"<state id=\"a\"><transition cond=\"";
	static const char tail[] = "\"/></state></scxml>";
	static const char *const opens[] = { "(", "!", "not " };
	size_t n = 200000;

	for (size_t k = 0; k < N_ELEMENTS(opens); k++) {
		size_t w = strlen(opens[k]);
		char *text = xmalloc(sizeof(head) + n * (w + 1) + 16 +
				     sizeof(tail)), *p = text, *error = NULL;

		p = stpcpy(p, head);
		for (size_t i = 0; i < n; i++)
			p = stpcpy(p, opens[k]);
		p = stpcpy(p, "In('a')");
		for (size_t i = 0; k == 0 && i < n; i++)
			*p++ = ')';
		strcpy(p, tail);
		ck_assert_ptr_null(load_with_preds(text, &error));
		ck_assert_msg(strstr(error, "p.scxml:2: condition: nested more "
				     "than 100 deep") == error, "%s", error);
		free(error);
		free(text);
	}
	/* and a hundred levels are fine */
	{
		char *text = xmalloc(sizeof(head) + 200 + 16 + sizeof(tail));
		char *p = stpcpy(text, head), *error = NULL;
		struct scxml *doc;

		memset(p, '(', 100);
		p = stpcpy(p + 100, "In('a')");
		memset(p, ')', 100);
		strcpy(p + 100, tail);
		doc = load_with_preds(text, &error);
		ck_assert_msg(doc != NULL, "%s", error);
		scxml_free(&doc);
		free(text);
	}
}
END_TEST

static void
observe(void *ctx, const char *id, bool entered)
{
	struct strlist *l = ctx;

	strlist_addf(l, "%s%s%s", l->n > 0 ? " " : "", entered ? "+" : "-",
		     id);
}

/* The observer sees entry and exit in the SCXML order. */
START_TEST(test_observer)
{
	struct scxml *doc = load_file("nested");
	struct scxml_session *s = scxml_session_new(doc);
	struct strlist seen = { 0 };
	char *error = NULL, *got;

	scxml_session_set_observer(s, observe, &seen);
	ck_assert_int_eq(scxml_start(s, &error), 0);
	ck_assert_int_eq(scxml_send(s, "e", &error), 0);
	got = strlist_join(&seen);
	ck_assert_str_eq(got, "+s1 +s11 +s111 -s111 -s11 -s1 +s2 +s21 +s211");
	free(got);
	scxml_session_free(&s);
	scxml_free(&doc);
}
END_TEST

/* A saved configuration comes back without running actions, and the
   session goes on from it; bad saves are refused. */
START_TEST(test_restore)
{
	struct scxml *doc = load_file("parallel");
	struct scxml_session *s = scxml_session_new(doc);
	struct strlist config = { 0 };
	const char *saved[] = { "a2", "b1" };
	const char *bad1[] = { "a2" }, *bad2[] = { "r1" },
		*bad3[] = { "a1", "a2", "b1" }, *bad4[] = { "nosuch" },
		*bad5[] = { "both", "b1" };
	char *error = NULL, *got;

	const char *parent = NULL;

	ck_assert_int_eq(scxml_restore(s, saved, 2, &error), 0);
	scxml_atomic_configuration(s, collect_state, &config);
	got = strlist_join(&config);
	ck_assert_str_eq(got, "a2 b1");
	free(got);
	/* restored into a final below r1, which raised no done.state.r1 */
	ck_assert_str_eq(scxml_nested_final(s, &parent), "a2");
	ck_assert_str_eq(parent, "r1");
	ck_assert_int_eq(scxml_send(s, "go", &error), 0);
	ck_assert_int_eq(scxml_send(s, "b", &error), 0);
	scxml_configuration(s, collect_state, &config);
	got = strlist_join(&config);
	ck_assert_str_eq(got, "both");
	free(got);
	ck_assert_ptr_null(scxml_nested_final(s, &parent));
	scxml_session_free(&s);

	s = scxml_session_new(doc);
	ck_assert_int_eq(scxml_restore(s, bad1, 1, &error), -1);
	ck_assert_str_eq(error, "'P' is a <parallel>, and a case in it is "
			 "in all of its regions at once, but none of the "
			 "states given is in 'r2'");
	free(error);
	ck_assert_int_eq(scxml_restore(s, bad2, 1, &error), -1);
	ck_assert_str_eq(error, "'r1' holds other states, and a case is "
			 "always in one of those: name one of them");
	free(error);
	ck_assert_int_eq(scxml_restore(s, bad3, 3, &error), -1);
	ck_assert_str_eq(error, "'a1' and 'a2' are in two different states "
			 "of 'r1', and a case there is in only one at a time");
	free(error);
	ck_assert_int_eq(scxml_restore(s, bad4, 1, &error), -1);
	free(error);
	ck_assert_int_eq(scxml_restore(s, bad5, 2, &error), -1);
	ck_assert_str_eq(error, "'b1' and 'both' are in two different "
			 "top-level states, and a case is in only one at a "
			 "time");
	free(error);
	ck_assert_int_eq(scxml_restore(s, saved, 0, &error), -1);
	ck_assert_str_eq(error, "no state is given, and a case is always "
			 "in one");
	free(error);
	scxml_session_free(&s);
	scxml_free(&doc);
}
END_TEST

static Suite *
scxml_suite(void)
{
	Suite *s = suite_create("scxml");
	TCase *tc = tcase_create("run");
	TCase *tl = tcase_create("load");

	tcase_add_loop_test(tc, test_run, 0, (int)N_ELEMENTS(run_cases));
	tcase_add_test(tc, test_eventless_loop);
	tcase_add_test(tc, test_raise_loop);
	tcase_add_test(tc, test_send_loop);
	tcase_add_test(tc, test_failed_session);
	tcase_add_test(tc, test_in_final);
	tcase_add_test(tc, test_virtual_clock);
	tcase_add_loop_test(tc, test_event_match, 0,
			    (int)N_ELEMENTS(match_cases));
	tcase_add_test(tc, test_delay);
	tcase_add_test(tc, test_script_errors);
	tcase_add_test(tc, test_action_hook);
	tcase_add_test(tc, test_action_error);
	tcase_add_test(tc, test_predicates);
	tcase_add_test(tc, test_observer);
	tcase_add_test(tc, test_restore);
	suite_add_tcase(s, tc);
	tcase_add_test(tl, test_billion_laughs);
	tcase_add_test(tl, test_xxe);
	tcase_add_test(tl, test_external_doctype);
	tcase_add_test(tl, test_too_large);
	tcase_add_test(tl, test_too_many_targets);
	tcase_add_test(tl, test_malformed);
	tcase_add_test(tl, test_not_scxml);
	tcase_add_test(tl, test_no_ids);
	tcase_add_test(tl, test_invalid);
	tcase_add_test(tl, test_cond_deep);
	tcase_add_test(tl, test_targets_together);
	suite_add_tcase(s, tl);
	return s;
}

int
main(void)
{
	return tu_run(scxml_suite());
}
