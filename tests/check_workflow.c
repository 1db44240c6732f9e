/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "testutil.h"
#include "util.h"
#include "workflow-patterns.h"
#include "workflow-private.h"
#include "workflow.h"

#include <libxml/parser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
data_path(const char *file)
{
	return xasprintf("%s/tests/data/workflow/%s", tu_srcdir(), file);
}

/* Loads and checks FILE against the fixture templates; returns all
   messages with the directory part of the path removed, or NULL when
   the workflow is valid. */
static char *
problems(const char *file, const char *templates)
{
	char *path = data_path(file), *error = NULL, *dir, *out, *p;
	struct workflow *wf = NULL;
	struct strlist errors = { 0 };
	size_t skip = strlen(path) - strlen(file);

	dir = templates != NULL ? xstrdup(templates) : data_path("templates");
	if (workflow_load_file(path, &wf, &error) == 0) {
		if (workflow_check(wf, dir, &errors) > 0)
			error = scxml_join_errors(&errors, path);
		workflow_free(&wf);
	}
	free(dir);
	if (error == NULL) {
		free(path);
		return NULL;
	}
	/* "DIR/bad.xml:3: ..." lines become "bad.xml:3: ..." */
	out = xstrdup("");
	for (p = error; *p != '\0';) {
		char *nl = strchr(p, '\n'), *line;
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char *joined;

		line = xstrndup(p, n);
		joined = xasprintf("%s%s%s", out, *out != '\0' ? "\n" : "",
				   strncmp(line, path, skip) == 0 ?
				   line + skip : line);
		free(out);
		out = joined;
		free(line);
		p += n + (nl != NULL);
	}
	free(error);
	free(path);
	return out;
}

/* Every semantic check has a fixture that fails it, with the exact
   file:line: message an administrator sees. */
struct bad_case {
	const char *file;
	const char *want;
};

static const struct bad_case bad_cases[] = {
	{ "bad-attribute.xml", "bad-attribute.xml:8: Invalid attribute word "
	  "for element command: word=\"ß\": expected up to 32 letters (a "
	  "to z, å, ä, ö), digits and '-', not starting with '-'" },
	{ "bad-nested.xml", "bad-nested.xml:9: Invalid attribute text for "
	  "element command: text=\"kanske\": expected one of: none, "
	  "optional, required" },
	{ "bad-builtin.xml",
	  "bad-builtin.xml:10: command word 'Notering' is cirm's own (it "
	  "makes a reply an internal note on any case): choose another\n"
	  "bad-builtin.xml:11: command word 'note' is cirm's own (it makes a "
	  "reply an internal note on any case): choose another\n"
	  "bad-builtin.xml:13: command word 'Hjälp' is cirm's own (it sends a "
	  "case officer the commands a case takes): choose another" },
	{ "bad-calendar.xml", "bad-calendar.xml:4: unknown calendar "
	  "'kontorstid' (sweden, none, or a <calendar> of this file)" },
	{ "bad-command.xml",
	  "bad-command.xml:9: command word 'KLAR' is already used (line 7, "
	  "as 'klar': case does not count)\n"
	  "bad-command.xml:10: command word 'ÅTGÄRDA' is already used "
	  "(line 8, as 'åtgärda': case does not count)\n"
	  "bad-command.xml:11: command 'tyst': no transition handles its "
	  "event 'cmd.quiet'" },
	{ "bad-cond.xml", "bad-cond.xml:31: condition: channel('fax'): the "
	  "channels are 'email' and 'sms'" },
	{ "bad-dead-end.xml", "bad-dead-end.xml:34: state 'fast': no final "
	  "state can be reached from it" },
	{ "bad-duplicate-id.xml", "bad-duplicate-id.xml:29: duplicate id "
	  "'registrerad' (first at line 20)" },
	/* which attribute, and what is wrong with it */
	{ "bad-duration.xml", "bad-duration.xml:22: Element timer failed to "
	  "validate attributes: after: duration \"P2X\": unexpected 'X'" },
	{ "bad-role-group.xml", "bad-role-group.xml:8: Element role failed "
	  "to validate attributes: group missing" },
	{ "bad-attribute-typo.xml", "bad-attribute-typo.xml:14: Element "
	  "timer failed to validate attributes: unknown attribute efter; "
	  "after missing" },
	{ "bad-duration-words.xml", "bad-duration-words.xml:11: Element "
	  "timer failed to validate attributes: after: duration \"3 "
	  "dagar\": must start with 'P'" },
	{ "bad-event.xml",
	  "bad-event.xml:8: command 'åtgärda': no transition handles its "
	  "event 'cmd.fix'\n"
	  "bad-event.xml:26: event 'cmd.fixa': nothing raises it (no "
	  "command, timer, raise or built-in event)" },
	{ "bad-hours.xml", "bad-hours.xml:10: mon has opening hours already "
	  "(line 9): one range a day" },
	{ "bad-loop.xml", "bad-loop.xml:19: eventless transition without "
	  "cond or target: it would loop forever" },
	{ "bad-loop-true.xml", "bad-loop-true.xml:27: eventless transition "
	  "with cond 'true' and no target: it would loop forever" },
	{ "bad-circle.xml", "bad-circle.xml:29: eventless transitions "
	  "without cond lead round in a circle ('atgardad' -> 'granskas' -> "
	  "'atgardad'): a case entering it would never settle" },
	{ "bad-no-final.xml", "bad-no-final.xml:4: no top-level <final> "
	  "state: cases could never be closed" },
	{ "bad-role.xml", "bad-role.xml:21: unknown role 'chef' (not in "
	  "<roles>)" },
	/* the root's SMS settings, with what is wrong with them */
	{ "bad-sms-window.xml", "bad-sms-window.xml:4: Invalid attribute "
	  "sms-window for element workflow: sms-window: duration \"P2X\": "
	  "unexpected 'X'" },
	{ "bad-sms-segments.xml", "bad-sms-segments.xml:4: Invalid attribute "
	  "sms-segments for element workflow: sms-segments=\"11\": a whole "
	  "number from 1 to 10" },
	/* the order of <workflow>'s children, in plain words */
	{ "bad-order.xml", "bad-order.xml:13: <roles> must come before "
	  "<templates> (line 9): <workflow>'s children go in this order: "
	  "title, description, calendar, roles, commands, templates, and "
	  "then the states" },
	/* every schema problem at once, not only libxml2's first: a
	   state's own, and one inside it */
	{ "bad-schema.xml", "bad-schema.xml:28: Invalid attribute category "
	  "for element state: category=\"sleeping\": expected initial, "
	  "active, waiting or inactive\n"
	  "bad-schema.xml:29: <frobnicate> is not allowed here (not part of "
	  "the workflow format, or in the wrong place)" },
	{ "bad-schema-many.xml",
	  "bad-schema-many.xml:6: Invalid attribute calender for element "
	  "workflow: calender is not an attribute of <workflow>\n"
	  "bad-schema-many.xml:7: <calendar> needs <hours> inside it (see "
	  "cirm-workflow(5))\n"
	  "bad-schema-many.xml:11: Element command failed to validate "
	  "attributes: word=\"-fel\": expected up to 32 letters (a to z, "
	  "å, ä, ö), digits and '-', not starting with '-'\n"
	  "bad-schema-many.xml:13: Invalid attribute category for element "
	  "state: category=\"start\": expected initial, active, waiting or "
	  "inactive\n"
	  "bad-schema-many.xml:14: Element timer failed to validate "
	  "attributes: after: duration \"2 dagar\": must start with 'P'\n"
	  "bad-schema-many.xml:15: Invalid attribute colour for element "
	  "transition: colour is not an attribute of <transition>" },
	{ "bad-target.xml", "bad-target.xml:26: target 'nowhere': no such "
	  "state" },
	{ "bad-timer.xml", "bad-timer.xml:23: timer 'glomd': no transition "
	  "in state 'registrerad' or around it handles its event "
	  "'timer.forgotten'" },
	{ "bad-timer-far.xml", "bad-timer-far.xml:15: timer 'langt': "
	  "after=\"PT87840H\" cannot be counted in its calendar from today: "
	  "deadline year 2200 is outside 1900-2199" },
	{ "bad-due-far.xml", "bad-due-far.xml:17: set field=\"due\": "
	  "after=\"PT87840H\" cannot be counted in the workflow's calendar "
	  "from today: deadline year 2200 is outside 1900-2199" },
	{ "bad-unreachable.xml", "bad-unreachable.xml:33: state 'glomd' can "
	  "never be entered" },
	{ "bad-zero-timer.xml", "bad-zero-timer.xml:12: timer 'genast': "
	  "after=\"PT0S\" is no time, and its event 'timer.now' enters state "
	  "'ny' again (line 13), arming it again at once: it would fire for "
	  "ever" },
	{ "bad-zero-circle.xml", "bad-zero-circle.xml:10: timers of no time "
	  "('genast' at line 12) and transitions without cond lead round in "
	  "a circle ('ny' -> 'granskas' -> 'ny'): a case entering it would "
	  "go round for ever, acting at every turn" },
	/* a merged case is closed, never left open beside the one kept */
	{ "bad-merge.xml",
	  "bad-merge.xml:16: command 'slå-ihop' merges the case into another "
	  "(argument=\"case\"), so a transition on 'cmd.merge' must go to a "
	  "top-level <final> state\n"
	  "bad-merge.xml:20: command 'slå-ihop' merges the case into another "
	  "(argument=\"case\"), so a transition on 'cmd.merge' must go to a "
	  "top-level <final> state\n"
	  "bad-merge.xml:29: command 'slå-ihop' merges the case into another "
	  "(argument=\"case\"), so a transition on 'cmd.merge' must go to a "
	  "top-level <final> state\n"
	  "bad-merge.xml:30: command 'slå-ihop' merges the case into another "
	  "(argument=\"case\"): a transition on 'cmd.merge' takes no cond" },
	{ "bad-command-template.xml", "bad-command-template.xml:10: command "
	  "'notis': a template for its text, but text=\"none\"" },
	{ "bad-translation.xml",
	  "bad-translation.xml:8: command 'klar': a second translation into "
	  "'en' (first at line 7)\n"
	  "bad-translation.xml:9: command 'klar': a translation into 'sv', "
	  "the workflow's own language: the command's word and help are "
	  "already that\n"
	  "bad-translation.xml:12: command 'ta': the translation into 'en' "
	  "has neither word nor help" },
	/* a translation's word is the command's own alias: no clash; it is
	   another command's: the error is said where it is written */
	{ "bad-translation-word.xml", "bad-translation-word.xml:11: command "
	  "word 'RESOLVE' is already used (line 6, as 'resolve': case does "
	  "not count)" },
	/* hardened parsing: no DTD, so no entity ever expands */
	{ "billion-laughs.xml", "billion-laughs.xml:2: DOCTYPE not allowed "
	  "(no DTDs or entities): remove the <!DOCTYPE ...> and write out "
	  "what its entities stood for" },
	{ "xxe.xml", "xxe.xml:2: DOCTYPE not allowed (no DTDs or entities): "
	  "remove the <!DOCTYPE ...> and write out what its entities stood "
	  "for" },
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	char *got = problems(c->file, NULL);

	ck_assert_msg(got != NULL, "%s: no problem found", c->file);
	ck_assert_str_eq(got, c->want);
	free(got);
}
END_TEST

/* Templates are checked in every language directory. */
START_TEST(test_bad_templates)
{
	char *got = problems("bad-template.xml", NULL);

	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strstr(got, "bad-template.xml:14: template 'saknas' is "
			     "missing for language 'en'") != NULL, "%s", got);
	ck_assert_msg(strstr(got, "bad-template.xml:14: template 'saknas' is "
			     "missing for language 'sv'") != NULL, "%s", got);
	ck_assert_msg(strstr(got, "bad-template.xml:18: template 'odeklarerad' "
			     "is not declared in <templates>") != NULL, "%s",
		      got);
	/* a command's template for the reply's text is one too */
	ck_assert_msg(strstr(got, "bad-template.xml:9: template 'ofragad' "
			     "is not declared in <templates>") != NULL, "%s",
		      got);
	free(got);
	/* a variable cirm does not give, found before any citizen's mail */
	got = problems("bad-template-var.xml", NULL);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strstr(got, "bad-template-var.xml:13: template 'trasig': ") ==
		      got && strstr(got, "/templates/sv/trasig:3: unknown "
				    "variable 'case.nummer'") != NULL, "%s", got);
	free(got);
}
END_TEST

/* Only the languages cirm writes in are template languages: another
   directory beside sv/ and en/ (old templates kept aside) is left
   alone, not a language whose templates are all missing. */
START_TEST(test_templates_other_directories)
{
	char *tmp = tu_tmpdir(), *got;

	for (int i = 0; i < 2; i++) {
		const char *lang = i == 0 ? "sv" : "en";
		char *rel = xasprintf("templates/%s", lang);
		char *path = data_path(rel), *to = xasprintf("%s/%s", tmp, lang);
		char *from = realpath(path, NULL);

		ck_assert_ptr_nonnull(from);
		ck_assert_int_eq(symlink(from, to), 0);
		free(rel);
		free(path);
		free(from);
		free(to);
	}
	for (int i = 0; i < 2; i++) {
		char *d = xasprintf("%s/%s", tmp, i == 0 ? "old" : "sv.orig");

		ck_assert_int_eq(mkdir(d, 0700), 0);
		free(d);
	}
	got = problems("minimal.xml", tmp);
	ck_assert_msg(got == NULL, "%s", got);
	tu_rmrf(tmp);
	free(tmp);
}
END_TEST

/* The fixture every bad one derives from is valid, editor data in a
   foreign namespace included, and reads as written. */
START_TEST(test_minimal)
{
	char *path = data_path("minimal.xml"), *error = NULL, *got;
	struct workflow *wf = NULL;
	const struct workflow_command *cmd;

	got = problems("minimal.xml", NULL);
	ck_assert_msg(got == NULL, "%s", got);
	ck_assert_int_eq(workflow_load_file(path, &wf, &error), 0);
	ck_assert_str_eq(wf->id, "minimal");
	ck_assert_int_eq(wf->version, 1);
	ck_assert_str_eq(wf->lang, "sv");
	ck_assert_uint_eq(wf->nstates, 5);
	ck_assert_uint_eq(wf->ntimers, 1);
	ck_assert_str_eq(wf->timers[0].state, "registrerad");
	ck_assert_uint_eq(wf->timers[0].after.days, 2);
	ck_assert_int_eq(workflow_state(wf, "atgardad")->category,
			 WORKFLOW_WAITING);
	ck_assert_int_eq(workflow_state(wf, "ny")->category, WORKFLOW_INITIAL);
	ck_assert_int_eq(workflow_state(wf, "klar")->category,
			 WORKFLOW_INACTIVE);
	ck_assert_ptr_null(workflow_state(wf, "nosuch"));
	cmd = workflow_command(wf, "RESOLVE");
	ck_assert_ptr_nonnull(cmd);
	ck_assert_str_eq(cmd->event, "cmd.resolve");
	cmd = workflow_command(wf, "ÅTGÄRDA");
	ck_assert_ptr_nonnull(cmd);
	ck_assert_str_eq(cmd->event, "cmd.fix");
	/* å is its own letter in Swedish, not an a */
	ck_assert_ptr_null(workflow_command(wf, "atgarda"));
	ck_assert_uint_eq(strlen(wf->sha256), 64);
	workflow_free(&wf);
	free(path);
}
END_TEST

/* A case in the regions of a <parallel> is shown by the parallel's
   label, not by the last region's state. */
START_TEST(test_parallel_label)
{
	static const char doc[] =
		"<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"remiss\" "
		"version=\"1\" xml:lang=\"sv\">\n"
		"<commands><command word=\"a\" event=\"cmd.a\"/>"
		"<command word=\"b\" event=\"cmd.b\"/></commands>\n"
		"<parallel id=\"granskning\" label=\"på remiss\">\n"
		"<state id=\"bygg\"><state id=\"bygg-vantar\" label=\"bygg\">"
		"<transition event=\"cmd.a\" target=\"bygg-klar\"/></state>"
		"<final id=\"bygg-klar\"/></state>\n"
		"<state id=\"miljo\"><state id=\"miljo-vantar\" "
		"label=\"miljö\"><transition event=\"cmd.b\" "
		"target=\"miljo-klar\"/></state><final id=\"miljo-klar\"/>"
		"</state>\n"
		"<transition event=\"done.state.granskning\" target=\"z\"/>\n"
		"</parallel>\n<final id=\"z\"/>\n</workflow>\n";
	struct workflow *wf = NULL;
	char *error = NULL;

	ck_assert_msg(workflow_load("p.xml", doc, strlen(doc), &wf, &error) ==
		      0, "%s", error);
	ck_assert_str_eq(workflow_state_label(wf, "bygg-vantar miljo-vantar"),
			 "på remiss");
	ck_assert_str_eq(workflow_state_label(wf, "bygg-vantar miljo-klar"),
			 "på remiss");
	/* one state: its own label, as ever */
	ck_assert_str_eq(workflow_state_label(wf, "miljo-vantar"), "miljö");
	ck_assert_str_eq(workflow_state_label(wf, "z"), "z");
	/* a state the workflow does not know: as it is */
	ck_assert_str_eq(workflow_state_label(wf, "bygg-vantar nosuch"),
			 "bygg-vantar nosuch");
	workflow_free(&wf);
}
END_TEST

START_TEST(test_fold)
{
	static const char *const cases[][2] = {
		{ "KLAR", "klar" }, { "Åtgärda", "åtgärda" },
		{ "ÄNDRA-Ö", "ändra-ö" }, { "É×", "é×" }, { "x1", "x1" },
	};

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		char *f = workflow_fold(cases[i][0]);

		ck_assert_str_eq(f, cases[i][1]);
		free(f);
	}
}
END_TEST

/* The shipped workflows are valid against the shipped templates. */
START_TEST(test_shipped)
{
	static const char *const files[] = { "synpunkt.xml", "felanmalan.xml" };
	char *templates = xasprintf("%s/templates", tu_srcdir());

	for (size_t i = 0; i < N_ELEMENTS(files); i++) {
		char *path = xasprintf("%s/workflows/%s", tu_srcdir(), files[i]);
		char *error = NULL;
		struct workflow *wf = NULL;
		struct strlist errors = { 0 };

		ck_assert_msg(workflow_load_file(path, &wf, &error) == 0, "%s",
			      error);
		if (workflow_check(wf, templates, &errors) > 0) {
			error = scxml_join_errors(&errors, path);
			ck_abort_msg("%s", error);
		}
		/* every command is in English too, and its English word is
		   taken as it is written */
		for (size_t j = 0; j < wf->ncommands; j++) {
			const struct workflow_command *c = &wf->commands[j];

			ck_assert_uint_eq(c->ntr, 1);
			ck_assert_str_eq(c->tr[0].lang, "en");
			ck_assert_ptr_nonnull(c->tr[0].help);
			ck_assert_ptr_eq(workflow_command(wf, c->tr[0].word), c);
		}
		ck_assert_str_eq(workflow_command(wf, "Resolve")->word, "klar");
		workflow_free(&wf);
		free(path);
	}
	free(templates);
}
END_TEST

/* Size limit, not XML, wrong root. */
START_TEST(test_refused)
{
	struct workflow *wf = NULL;
	char *error = NULL, *big;

	big = xmalloc(WORKFLOW_MAX_SIZE + 2);
	memset(big, ' ', WORKFLOW_MAX_SIZE + 1);
	ck_assert_int_eq(workflow_load("big.xml", big, WORKFLOW_MAX_SIZE + 1,
				       &wf, &error), -1);
	ck_assert_msg(strstr(error, "big.xml:1: document too large") == error,
		      "%s", error);
	/* what the reader got is not the file's size: none is claimed */
	ck_assert_msg(strstr(error, "(more than 1048576 bytes, the limit)") !=
			      NULL, "%s", error);
	free(error);
	free(big);
	ck_assert_int_eq(workflow_load("x.xml", "<workflow", 9, &wf, &error),
			 -1);
	ck_assert_msg(strncmp(error, "x.xml:1: ", 9) == 0, "%s", error);
	free(error);
	ck_assert_int_eq(workflow_load("s.xml", "<scxml/>", 8, &wf, &error),
			 -1);
	ck_assert_str_eq(error, "s.xml:1: the root element must be <workflow> "
			 "in namespace urn:x-cirm:workflow:1");
	free(error);
	ck_assert_ptr_null(wf);
}
END_TEST

/* libxml2's own words, where an administrator could not act on them,
   are said so that one can; and each message is one line. */
/* Each element validated alone says what is wrong with it and nothing
   that is not: an element the format does not have (in the workflow's
   namespace, named as a value of the schema is, or in none) is named
   at its line, without echoes that a part is missing where it is not;
   a part given twice is named; two elements on one line each say
   their own. */
static const struct {
	const char *body, *want;
} echo_cases[] = {
	{ "<calendar id=\"c\"><hours days=\"mon\" open=\"08:00\" "
	  "close=\"16:00\"/></calendar>\n<frob/>\n",
	  "e.xml:3: <frob> is not allowed here (not part of the workflow "
	  "format, or in the wrong place)" },
	{ "<calendar id=\"c\"><hours days=\"mon\" open=\"08:00\" "
	  "close=\"16:00\"/></calendar>\n<frob xmlns=\"\"/>\n",
	  "e.xml:3: <frob> is not allowed here (not part of the workflow "
	  "format, or in the wrong place)" },
	{ "<state id=\"b\">\n<priority/>\n<transition event=\"cmd.a\" "
	  "target=\"z\"/></state>\n",
	  "e.xml:3: <priority> is not allowed here (not part of the "
	  "workflow format, or in the wrong place)" },
	{ "<title>Ett</title>\n<title>Två</title>\n",
	  "e.xml:3: a second <title> (the first is at line 2): a workflow "
	  "has one at most" },
	{ "<roles><role id=\"r\"/><role id=\"q\"/></roles>\n",
	  "e.xml:2: Element role failed to validate attributes: group "
	  "missing\n"
	  "e.xml:2: Element role failed to validate attributes: group "
	  "missing" },
	/* one refused value said once, where libxml2 says it twice */
	{ "<commands><command word=\"ta\" event=\"cmd.a\" help=\"Ta\">\n"
	  "<translation xml:lang=\"de\" word=\"nehmen\"\nhelp=\"Nehmen\"/>"
	  "</command>\n<command word=\"ge\" event=\"cmd.a\" help=\"Ge\">"
	  "<translation xml:lang=\"en\" word=\"give\" help=\"Give\"/>"
	  "</command></commands>\n",
	  "e.xml:4: Invalid attribute lang for element translation: "
	  "xml:lang=\"de\": expected one of: sv, en" },
	/* a part missing besides a wrong part: both said; a state whose
	   attribute fails is not said to need what libxml2 then expects */
	{ "<calendar id=\"c\">\n<closed date=\"2026-02-30\"/></calendar>\n"
	  "<state id=\"b\" category=\"x\"/>\n",
	  "e.xml:2: <calendar> needs <hours> inside it (see cirm-workflow(5))\n"
	  "e.xml:3: Element closed failed to validate attributes: "
	  "date=\"2026-02-30\": expected a date YYYY-MM-DD that exists, such "
	  "as 2026-05-15\n"
	  "e.xml:4: Invalid attribute category for element state: "
	  "category=\"x\": expected initial, active, waiting or inactive" },
	/* actions written inside <else>, as if it were a block, one of
	   them wrong too: both said at once */
	{ "<state id=\"b\"><onentry><if cond=\"assigned()\"><else>\n"
	  "<assign group=\"x\"/></else></if></onentry>\n"
	  "<transition event=\"cmd.a\" target=\"z\"/></state>\n",
	  "e.xml:3: Element assign failed to validate attributes: unknown "
	  "attribute group; to missing\n"
	  "e.xml:3: <assign> is not allowed here (not part of the workflow "
	  "format, or in the wrong place)" },
	/* a wrong <timer> where no timer may be; a wrong <set> where it
	   may is not said to be misplaced */
	{ "<state id=\"b\"><onentry>\n<timer id=\"t\" after=\"P1X\" "
	  "event=\"timer.t\"/>\n<set feld=\"priority\"/></onentry>\n"
	  "<transition event=\"cmd.a\" target=\"z\"/></state>\n",
	  "e.xml:3: Element timer failed to validate attributes: after: "
	  "duration \"P1X\": unexpected 'X'\n"
	  "e.xml:3: <timer> is not allowed here (not part of the workflow "
	  "format, or in the wrong place)\n"
	  "e.xml:4: Element set failed to validate attributes: unknown "
	  "attribute feld; field missing" },
};

START_TEST(test_schema_echoes)
{
	struct workflow *wf = NULL;
	char *error = NULL, *doc;

	doc = xasprintf("<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"t\" "
			"version=\"1\" xml:lang=\"sv\">\n%s"
			"<state id=\"a\"><transition event=\"cmd.a\" "
			"target=\"z\"/></state>\n<final id=\"z\"/>\n"
			"</workflow>\n", echo_cases[_i].body);
	ck_assert_int_eq(workflow_load("e.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, echo_cases[_i].want);
	free(error);
	free(doc);
}
END_TEST

/* Every schema problem at once costs validating each element alone,
   with all inside it: a file nested as no workflow is gets libxml2's
   first problem only, instead of taking its size times its depth. */
START_TEST(test_schema_deep)
{
	struct workflow *wf = NULL;
	struct strlist parts = { 0 };
	char *error = NULL, *doc;
	const int depth = 40;

	strlist_add(&parts, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"t\" "
		    "version=\"1\" xml:lang=\"sv\" colour=\"red\">\n");
	for (int i = 0; i < depth; i++)
		strlist_addf(&parts, "<state id=\"s%d\"><transition "
			     "event=\"mail.citizen\" target=\"z\"/>\n", i);
	for (int i = 0; i < depth; i++)
		strlist_add(&parts, "</state>");
	/* said when validated alone, which comes after the states above */
	strlist_add(&parts, "\n<state id=\"late\" category=\"bad\"/>\n"
		    "<final id=\"z\"/>\n</workflow>\n");
	doc = strlist_join_sep(&parts, "");
	strlist_clear(&parts);
	ck_assert_int_eq(workflow_load("d.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, "d.xml:44: Invalid attribute category for "
			 "element state: category=\"bad\": expected initial, "
			 "active, waiting or inactive");
	free(error);
	free(doc);
}
END_TEST

START_TEST(test_parser_words)
{
	static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		"\n<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"t\" "
		"version=\"1\" xml:lang=\"sv\" calendar=\"c\">\n";
	struct workflow *wf = NULL;
	char *error = NULL, *doc;
	size_t len;

	doc = xasprintf("%s<calendar id=\"c\"></calendar>\n<state id=\"a\">"
			"<transition event=\"mail.citizen\" target=\"z\"/>"
			"</state>\n<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("e.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, "e.xml:3: <calendar> needs <hours> inside it "
			 "(see cirm-workflow(5))");
	free(error);
	free(doc);
	/* the same words of libxml2 for a value outside its list: not
	   called empty, and <set>'s value judged by its field */
	doc = xasprintf("%s<calendar id=\"c\"><hours days=\"mon\" "
			"open=\"08:00\" close=\"16:00\"/></calendar>\n"
			"<state id=\"a\"><onentry><set field=\"priority\" "
			"value=\"HIGH\"/></onentry>\n"
			"<transition event=\"mail.citizen\" target=\"z\"/>"
			"</state>\n<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("v.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_msg(strstr(error, "v.xml:4: Element set failed to validate "
			     "attributes: value=\"HIGH\": expected low, "
			     "normal, high or urgent") != NULL &&
		      strstr(error, "empty where") == NULL, "%s", error);
	free(error);
	free(doc);
	doc = xasprintf("%s<calendar id=\"c\"><hours days=\"mon\" "
			"open=\"08:00\" close=\"16:00\"/></calendar>\n"
			"<state id=\"a\"><onentry><set field=\"prio\" "
			"value=\"high\"/></onentry>\n"
			"<transition event=\"mail.citizen\" target=\"z\"/>"
			"</state>\n<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("f.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, "f.xml:4: Element set failed to validate "
			 "attributes: field=\"prio\": expected one of: "
			 "priority, category, group, due");
	free(error);
	free(doc);
	/* a bad value of <hours> is said once, at its line, not also at
	   the <calendar>'s as if that were empty */
	doc = xasprintf("%s<calendar id=\"c\">\n<hours days=\"mon\" "
			"open=\"8:00\" close=\"16:00\"/></calendar>\n"
			"<state id=\"a\">"
			"<transition event=\"mail.citizen\" target=\"z\"/>"
			"</state>\n<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("h.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, "h.xml:4: Element hours failed to validate "
			 "attributes: open=\"8:00\": expected a time HH:MM, "
			 "such as 08:00");
	free(error);
	free(doc);
	/* which value is wrong, and what it should be: days in Swedish or
	   capitals, a state named with å, ä or ö, a root id with a '.' */
	doc = xasprintf("%s<calendar id=\"c\">\n<hours days=\"Mån-Fre\" "
			"open=\"08:00\" close=\"16:00\"/></calendar>\n"
			"<state id=\"a\">"
			"<transition event=\"mail.citizen\" target=\"z\"/>"
			"</state>\n<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("h.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, "h.xml:4: Element hours failed to validate "
			 "attributes: days=\"Mån-Fre\": expected days such as "
			 "mon-fri or mon,wed-fri: mon, tue, wed, thu, fri, sat "
			 "and sun, in lower case, without spaces");
	free(error);
	free(doc);
	/* a day that does not exist: said once, with what is expected,
	   not also in libxml2's words */
	doc = xasprintf("%s<calendar id=\"c\"><hours days=\"mon\" "
			"open=\"08:00\" close=\"16:00\"/>\n"
			"<closed date=\"2026-02-30\"/></calendar>\n"
			"<state id=\"a\">"
			"<transition event=\"mail.citizen\" target=\"z\"/>"
			"</state>\n<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("d.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, "d.xml:4: Element closed failed to validate "
			 "attributes: date=\"2026-02-30\": expected a date "
			 "YYYY-MM-DD that exists, such as 2026-05-15");
	free(error);
	free(doc);
	doc = xasprintf("%s<calendar id=\"c\"><hours days=\"mon\" "
			"open=\"08:00\" close=\"16:00\"/></calendar>\n"
			"<state id=\"väntar-svar\">"
			"<transition event=\"mail.citizen\" target=\"z\"/>"
			"</state>\n<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("s.xml", doc, strlen(doc), &wf, &error),
			 -1);
	/* libxml2 says it twice, "Element state failed to validate
	   attributes" and "Invalid attribute id for element state": once
	   is enough */
	{
		static const char want[] = "id=\"väntar-svar\": expected a "
			"letter, then letters, digits, '_', '.' or '-' (a to z "
			"only: no å, ä or ö)";
		const char *at = strstr(error, want);

		ck_assert_msg(strncmp(error, "s.xml:4: ", 9) == 0 &&
			      at != NULL &&
			      strstr(at + 1, want) == NULL &&
			      strchr(error, '\n') == NULL, "%s", error);
	}
	free(error);
	free(doc);
	doc = xstrdup("<workflow xmlns=\"urn:x-cirm:workflow:1\" "
		      "id=\"gata.park\" version=\"1\" xml:lang=\"sv\">\n"
		      "<state id=\"a\"><transition event=\"mail.citizen\" "
		      "target=\"z\"/></state>\n<final id=\"z\"/>\n"
		      "</workflow>\n");
	ck_assert_int_eq(workflow_load("w.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, "w.xml:1: Element workflow failed to validate "
			 "attributes: id=\"gata.park\": expected a lower-case "
			 "letter, then up to 63 lower-case letters (a to z), "
			 "digits, '_' or '-'");
	free(error);
	free(doc);
	doc = xstrdup("<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"t\" "
		      "version=\"1\" xml:lang=\"sv-SE\">\n"
		      "<state id=\"a\"><transition event=\"mail.citizen\" "
		      "target=\"z\"/></state>\n<final id=\"z\"/>\n"
		      "</workflow>\n");
	ck_assert_int_eq(workflow_load("l.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, "l.xml:1: Element workflow failed to validate "
			 "attributes: xml:lang=\"sv-SE\": expected one of: sv, "
			 "en");
	free(error);
	free(doc);
	/* an attribute the element has not: said so */
	doc = xstrdup("<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"t\" "
		      "version=\"1\" xml:lang=\"sv\">\n"
		      "<title xml:lang=\"en\">Roads</title>\n"
		      "<state id=\"a\"><transition event=\"mail.citizen\" "
		      "target=\"z\"/></state>\n<final id=\"z\"/>\n"
		      "</workflow>\n");
	ck_assert_int_eq(workflow_load("l.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, "l.xml:2: Invalid attribute lang for element "
			 "title: xml:lang is not an attribute of <title> (only "
			 "of <workflow>)");
	free(error);
	free(doc);
	/* a note typed without <!-- -->, or a stray character: said once
	   each, at its line, without the cascade libxml2 makes of it
	   through every enclosing element */
	doc = xasprintf("%s<calendar id=\"c\"><hours days=\"mon\" "
			"open=\"08:00\" close=\"16:00\"/></calendar>\n"
			"<state id=\"a\">\n"
			"<transition event=\"mail.citizen\" target=\"z\"/>\n"
			"  Fråga Eva: två dagar eller tre?\n  Och chefen?\n\n"
			"<transition event=\"cmd.x\" target=\"z\">x</transition>"
			"\n</state>\n<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("t.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, "t.xml:6: text \"Fråga Eva: två dagar eller "
			 "tre?...\" inside <state> is not part of the workflow "
			 "format: make it a comment (<!-- ... -->), or remove "
			 "it\n"
			 "t.xml:9: text \"x\" inside <transition> is not part of "
			 "the workflow format: make it a comment (<!-- ... -->), "
			 "or remove it");
	free(error);
	free(doc);
	/* indentation of no-break spaces, from an example copied off a
	   web page: named, since they look like any other space */
	doc = xasprintf("%s<calendar id=\"c\"><hours days=\"mon\" "
			"open=\"08:00\" close=\"16:00\"/></calendar>\n"
			"<state id=\"a\">\n\xc2\xa0\xc2\xa0<transition "
			"event=\"mail.citizen\" target=\"z\"/>\n"
			"</state>\n<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("n.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, "n.xml:5: spaces that are not plain spaces "
			 "(U+00A0, no-break space) inside <state>, as copying "
			 "from a web page or a word processor leaves them: "
			 "replace them with plain spaces");
	free(error);
	free(doc);
	/* and one at the end of a value, invisible in the message */
	doc = xasprintf("%s<calendar id=\"c\"><hours days=\"mon\" "
			"open=\"08:00\" close=\"16:00\"/></calendar>\n"
			"<state id=\"a\">\n<transition event=\"mail.citizen\" "
			"target=\"z\xc2\xa0\"/>\n</state>\n<final id=\"z\"/>\n"
			"</workflow>\n", head);
	ck_assert_int_eq(workflow_load("v.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_msg(strstr(error, "target=\"z\xc2\xa0\": expected a letter") !=
		      NULL && strstr(error, "(it holds U+00A0, a no-break "
				     "space, which looks like a plain space)") !=
		      NULL, "%s", error);
	free(error);
	free(doc);
	/* a timer commented out with "->" for "-->": the comment runs to
	   the end, and libxml2 says so at the last line */
	doc = xasprintf("%s<calendar id=\"c\"><hours days=\"mon\" "
			"open=\"08:00\" close=\"16:00\"/></calendar>\n"
			"<!-- states -->\n<state id=\"a\">\n"
			"<!-- <timer id=\"t\" after=\"P2D\" event=\"x\"/> ->\n"
			"<transition event=\"mail.citizen\" target=\"z\"/>\n"
			"</state>\n<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("c.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_msg(strncmp(error, "c.xml:6: comment not terminated: this "
			      "<!-- has no --> after it", 46) == 0, "%s", error);
	free(error);
	free(doc);
	/* && in a cond, as C has it: XML takes the & for an entity */
	doc = xasprintf("%s<state id=\"a\">\n<transition event=\"mail.citizen\" "
			"cond=\"true && true\" target=\"z\"/>\n</state>\n"
			"<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("a.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_msg(strncmp(error, "a.xml:4: a bare '&': write it as "
			      "&amp;", 33) == 0, "%s", error);
	ck_assert_msg(strchr(error, '\n') == NULL, "two lines: %s", error);
	free(error);
	free(doc);
	/* &aring; as HTML has it, and an entity of one's own: XML has
	   neither, and a workflow can declare none, so the message says
	   what to write instead */
	doc = xasprintf("%s<state id=\"a\">\n<transition event=\"mail.citizen\" "
			"target=\"z\"><log label=\"Fr&aring;ga\"/>"
			"</transition>\n</state>\n"
			"<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("e.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_msg(strstr(error, "e.xml:4: &aring; is not XML (XML has "
			     "only &amp; &lt; &gt; &quot; &apos;): write "
			     "\xc3\xa5 itself, or &#229;") != NULL, "%s",
		      error);
	free(error);
	free(doc);
	doc = xasprintf("%s<state id=\"a\">\n<transition event=\"mail.citizen\" "
			"target=\"z\">\n<log label=\"&kommun;\"/></transition>"
			"\n</state>\n<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("e.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_msg(strstr(error, "e.xml:5: &kommun; is not XML (XML has "
			     "only &amp; &lt; &gt; &quot; &apos;, and a "
			     "DOCTYPE to declare more is refused): write the "
			     "text itself") != NULL, "%s", error);
	free(error);
	free(doc);
	/* thanks() takes no argument, as assigned() */
	doc = xasprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			"<workflow xmlns=\"urn:x-cirm:workflow:1\" id=\"t\" "
			"version=\"1\" xml:lang=\"sv\" calendar=\"none\">\n"
			"<state id=\"a\">\n<transition event=\"mail.citizen\" "
			"cond=\"thanks('tack')\" target=\"z\"/>\n</state>\n"
			"<final id=\"z\"/>\n</workflow>\n");
	ck_assert_int_eq(workflow_load("t.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_msg(strstr(error, "t.xml:4: condition: thanks('tack'): takes "
			     "no argument") != NULL, "%s", error);
	free(error);
	free(doc);
	/* a '<' in a cond: said in an administrator's words, and not
	   followed by what libxml2 says of the rest of the file, which is
	   its doing (every enclosing element "not closed") */
	doc = xasprintf("%s<state id=\"a\">\n<transition event=\"mail.citizen\" "
			"cond=\"priority('high') < 2\" target=\"z\"/>\n"
			"</state>\n<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("b.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, "b.xml:4: a bare '<' in an attribute's value: "
			 "write it as &lt;\nb.xml:4: the rest of the file is "
			 "read once this is mended (XML stops at its first "
			 "error)");
	free(error);
	free(doc);
	/* a namespace error does not stop XML: a second one, on another
	   line, is the file's own and said, with no word that XML stopped */
	doc = xasprintf("%s<state id=\"a\">\n<foo:x/>\n<transition "
			"event=\"mail.citizen\" target=\"z\"/>\n</state>\n"
			"<bar:y/>\n<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("n.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, "n.xml:4: Namespace prefix foo on x is not "
			 "defined\nn.xml:7: Namespace prefix bar on y is not "
			 "defined");
	free(error);
	free(doc);
	/* a state's label over its 40 characters: the limit is said */
	doc = xasprintf("%s<state id=\"a\" label=\"väntar på komplettering "
			"från den sökande, ritningar\">\n<transition "
			"event=\"mail.citizen\" target=\"z\"/>\n</state>\n"
			"<final id=\"z\"/>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("l.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_msg(strstr(error, "expected a text of at most 40 characters "
			     "with a letter or digit in it") != NULL, "%s",
		      error);
	free(error);
	free(doc);
	/* a command's help over its 200 characters: the limit is said */
	doc = xasprintf("%s<commands><command word=\"ta\" event=\"cmd.take\" "
			"help=\"%0210d\"/></commands>\n<state id=\"a\">\n"
			"<transition event=\"cmd.take\" target=\"z\"/>\n"
			"</state>\n<final id=\"z\"/>\n</workflow>\n", head, 0);
	ck_assert_int_eq(workflow_load("h.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_msg(strstr(error, "expected a text of at most 200 "
			     "characters") != NULL, "%s", error);
	free(error);
	free(doc);
	/* bytes that are not in the declared encoding: said so, once */
	doc = xasprintf("<?xml version=\"1.0\" encoding=\"EUC-JP\"?>%s"
			"<!-- V\xff\xfeg -->\n</workflow>\n",
			strchr(head, '\n'));
	ck_assert_int_eq(workflow_load("e.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_msg(strncmp(error, "e.xml:", 6) == 0 &&
		      strstr(error, ": not in the encoding that <?xml ...?> "
			     "declares (EUC-JP)") != NULL, "%s", error);
	ck_assert_msg(strchr(error, '\n') == NULL, "two lines: %s", error);
	free(error);
	free(doc);
	doc = xasprintf("%s<title>V\xe4g</title>\n</workflow>\n", head);
	ck_assert_int_eq(workflow_load("u.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_msg(strstr(error, "u.xml:3: not UTF-8: save the file as "
			     "UTF-8") != NULL, "%s", error);
	ck_assert_msg(strchr(error, '\n') == NULL, "two lines: %s", error);
	free(error);
	free(doc);
	len = strlen(head);
	doc = xmalloc(len + 300 * 7 + 1);
	memcpy(doc, head, len);
	for (int i = 0; i < 300; i++)
		len += (size_t)sprintf(doc + len, "<title>");
	ck_assert_int_eq(workflow_load("d.xml", doc, len, &wf, &error), -1);
	ck_assert_msg(strstr(error, "d.xml:3: elements nested more than 256 "
			     "deep") != NULL, "%s", error);
	free(error);
	free(doc);
	ck_assert_ptr_null(wf);
}
END_TEST

/* pattern(): a back-reference, which glibc matches in time exponential
   in the text (a citizen's long mail stopped the engine), is refused
   when the workflow loads; one inside brackets is a plain character. */
/* pattern() gives the same answers however the text is searched, and a
   citizen's long mail does not stop the engine: an unanchored search
   for a pattern that fails took time quadratic in the text (an hour for
   this megabyte; Check's timeout ends it). */
START_TEST(test_pattern_long_text)
{
	static const struct {
		const char *regex, *text;
		int want;
	} cases[] = {
		{ "gata.*hål", "Det är ett HÅL i gatan", 0 },
		{ "gata.*hål", "gatan har ett hål", 1 },
		{ "^hej", "hej då", 1 }, { "^hej", "nej, hej", 0 },
		{ "slut$", "det tar slut", 1 }, { "slut$", "slut nu", 0 },
		{ "lampa|lykta", "gatlyktan", 1 }, { "a)", "(a)", 1 },
		{ "(gata|väg)(lampa|belysning)", "Väglampa trasig", 1 },
		{ "x*", "", 1 }, { "^$", "", 1 }, { "^$", "\n", 0 },
		{ "^b", "a\nb", 0 }, { "a$", "a\nb", 0 },
		{ "[^a]lykta", "gatlyktan", 1 },
	};
	size_t n = 1 << 20;
	char *big = xmalloc(n + 1), *error = NULL;

	for (size_t i = 0; i < N_ELEMENTS(cases); i++)
		ck_assert_msg(workflow_pattern(cases[i].regex, cases[i].text,
					       &error) == cases[i].want,
			      "%s on %s", cases[i].regex, cases[i].text);
	for (size_t i = 0; i < n; i++)
		big[i] = "gata "[i % 5];
	big[n] = '\0';
	ck_assert_int_eq(workflow_pattern("gata.*hål", big, &error), 0);
	ck_assert_int_eq(workflow_pattern("(a|t).*(hål|grop)", big, &error), 0);
	memcpy(big + n - 4, "hål", 4);
	ck_assert_int_eq(workflow_pattern("gata.*hål", big, &error), 1);
	free(big);
}
END_TEST

/* Patterns are compiled once and kept: the same pattern keeps its
   answers whatever ran before it, checked without a text (as a
   workflow loads) or searched in one, a bad one stays an error each
   time, and past the cache's size patterns still work. */
START_TEST(test_pattern_cached)
{
	char *error = NULL, regex[32], text[32];

	for (int round = 0; round < 3; round++) {
		ck_assert_int_eq(workflow_pattern("gata.*hål", NULL, &error), 0);
		ck_assert_int_eq(workflow_pattern("gata.*hål", "gatan har ett hål",
						  &error), 1);
		ck_assert_int_eq(workflow_pattern("gata.*hål", "ett hål i gatan",
						  &error), 0);
		ck_assert_int_eq(workflow_pattern("^hej", "hej", &error), 1);
		ck_assert_int_eq(workflow_pattern("^hej", "nej hej", &error), 0);
		ck_assert_int_eq(workflow_pattern("a[", "a[", &error), -1);
		ck_assert_msg(strstr(error, "bad pattern") == error, "%s", error);
		free(error);
		error = NULL;
		ck_assert_int_eq(workflow_pattern("a[", NULL, &error), -1);
		free(error);
		error = NULL;
	}
	for (int i = 0; i < 1200; i++) {
		snprintf(regex, sizeof(regex), "^ärende %d$", i);
		snprintf(text, sizeof(text), "ÄRENDE %d", i);
		ck_assert_int_eq(workflow_pattern(regex, text, &error), 1);
		snprintf(text, sizeof(text), "ärende %d", i + 1);
		ck_assert_int_eq(workflow_pattern(regex, text, &error), 0);
	}
}
END_TEST

START_TEST(test_pattern_backreference)
{
	static const char *const refused[] = {
		"((a|b|ab)*)*\\1c", "(.*)(.*)\\2\\1x", "a[^]]\\2",
	};
	static const char head[] = "<workflow xmlns=\"urn:x-cirm:workflow:1\" "
		"id=\"t\" version=\"1\" xml:lang=\"sv\">\n<state id=\"a\">\n"
		"<transition cond=\"pattern('(x)\\1')\" target=\"z\"/>\n"
		"<transition event=\"mail.citizen\" target=\"z\"/></state>\n"
		"<final id=\"z\"/>\n</workflow>\n";
	struct workflow *wf = NULL;
	char *error = NULL;

	for (size_t i = 0; i < N_ELEMENTS(refused); i++) {
		ck_assert_int_eq(workflow_pattern(refused[i], "abab", &error),
				 -1);
		ck_assert_msg(strstr(error, "back-reference") != NULL, "%s",
			      error);
		free(error);
		error = NULL;
	}
	ck_assert_int_eq(workflow_pattern("[\\1]x", "1x", &error), 1);
	ck_assert_int_eq(workflow_pattern("[[:digit:]\\1]x", "\\x", &error),
			 1);
	ck_assert_int_eq(workflow_pattern("x\\\\1", "x\\1", &error), 1);
	ck_assert_int_eq(workflow_load("b.xml", head, strlen(head), &wf,
				       &error), -1);
	ck_assert_msg(strstr(error, "b.xml:3: condition: pattern('(x)\\1'): "
			     "bad pattern: a back-reference") == error, "%s",
		      error);
	free(error);
}
END_TEST

/* The quick validation (workflow-patterns.c) is in use for the shipped
   schema: an edit of the schema that its table does not follow would
   silently make loading slow again. */
START_TEST(test_patterns_enabled)
{
	ck_assert(workflow_patterns_enabled());
	ck_assert(workflow_patterns_usable(workflow_schema_rng,
					   workflow_schema_rng_len));
}
END_TEST

/* Schemas whose patterns the table cannot follow: the quick path is
   left out for them, and a pattern on an element's text is followed. */
START_TEST(test_patterns_unusable)
{
	static const struct {
		const char *from, *to;
		bool usable;
	} edits[] = {
		/* two patterns on one value */
		{ "<param name=\"maxLength\">500</param>",
		  "<param name=\"pattern\">.{0,500}</param>", false },
		/* a pattern on foreign attributes */
		{ "<attribute><anyName/></attribute>",
		  "<attribute><anyName/><data type=\"string\">"
		  "<param name=\"pattern\">x</param></data></attribute>",
		  false },
		/* <set>'s value with a pattern not tied to its field (a
		   token value may be written with spaces around) */
		{ "<value type=\"string\">category</value>",
		  "<value>category</value>", false },
		/* a pattern in a choice beside data without one, or
		   beside another facet */
		{ "<value type=\"string\">assignee</value>",
		  "<data type=\"string\"><param name=\"maxLength\">3</param>"
		  "</data>", false },
		{ "<param name=\"pattern\">role:[A-Za-z][A-Za-z0-9_.\\-]*"
		  "</param>", "<param name=\"pattern\">role:[A-Za-z]"
		  "[A-Za-z0-9_.\\-]*</param><param name=\"maxLength\">9"
		  "</param>", false },
		/* a pattern inside an except */
		{ "<value>sweden</value>",
		  "<data type=\"string\"><param name=\"pattern\">s.*</param>"
		  "</data>", false },
		/* an element's text: alone, and as one choice of several */
		{ "<ref name=\"free-text\"/>\n    </element>\n  </define>\n\n"
		  "  <!-- Free text about", "<ref name=\"label\"/>\n    "
		  "</element>\n  </define>\n\n  <!-- Free text about", true },
		{ "<ref name=\"free-text\"/>\n    </element>\n  </define>\n\n"
		  "  <!-- Free text about", "<choice><ref name=\"label\"/>"
		  "<empty/></choice>\n    </element>\n  </define>\n\n  <!-- "
		  "Free text about", false },
	};

	for (size_t i = 0; i < N_ELEMENTS(edits); i++) {
		const char *at = strstr(workflow_schema_rng, edits[i].from);
		char *rng;

		ck_assert_msg(at != NULL, "%s", edits[i].from);
		rng = xasprintf("%.*s%s%s", (int)(at - workflow_schema_rng),
				workflow_schema_rng, edits[i].to,
				at + strlen(edits[i].from));
		ck_assert_msg(workflow_patterns_usable(rng, strlen(rng)) ==
			      edits[i].usable, "%zu: %s", i, edits[i].to);
		free(rng);
	}
}
END_TEST

/* Whether the quick path alone takes the workflow TEXT. */
static int
quick(const char *text)
{
	xmlDoc *doc = xmlReadMemory(text, (int)strlen(text), "e.xml", NULL,
				    XML_PARSE_NONET);
	int ret;

	ck_assert_ptr_nonnull(doc);
	ret = workflow_patterns_valid(doc);
	xmlFreeDoc(doc);
	return ret;
}

/* Values at the edges of the schema's patterns: taken, and by the
   quick path (not only by the full schema after it said no). */
START_TEST(test_patterns_edges)
{
	char *path = data_path("pattern-edges.xml");
	char *text = tu_slurp(path, NULL), *got;

	got = problems("pattern-edges.xml", NULL);
	ck_assert_msg(got == NULL, "%s", got);
	ck_assert_int_eq(quick(text), 1);
	free(text);
	free(path);
}
END_TEST

/* One value of pattern-edges.xml changed so that it breaks its pattern
   and nothing else in the schema, for each attribute with a pattern;
   the message is the one loading gave before the quick path existed
   (libxml2's full validation, which still says it). */
static const struct {
	const char *from, *to, *want;
} pattern_cases[] = {
	{ "id=\"a_b-9\"",
	  "id=\"A_b\"",
	  "e.xml:10: Element workflow failed to validate attributes: "
	  "id=\"A_b\": expected a lower-case letter, then up to 63 "
	  "lower-case letters (a to z), digits, '_' or '-'" },
	{ "version=\"10\"",
	  "version=\"010\"",
	  "e.xml:10: Element workflow failed to validate attributes: "
	  "version=\"010\": expected a whole number from 1, without "
	  "sign or leading zeros" },
	{ "initial=\"Ny\"",
	  "initial=\"1Ny\"",
	  "e.xml:10: Invalid attribute initial for element workflow: "
	  "initial=\"1Ny\": expected a letter, then letters, digits, "
	  "'_', '.' or '-' (a to z only: no å, ä or ö)" },
	{ "calendar=\"kontor.1\"",
	  "calendar=\"kontor 1\"",
	  "e.xml:10: Invalid attribute calendar for element workflow: "
	  "calendar=\"kontor 1\": expected a letter, then letters, "
	  "digits, '_', '.' or '-' (a to z only: no å, ä or ö)" },
	{ "sms-window=\"P1DT2H\"",
	  "sms-window=\"P1DT\"",
	  "e.xml:10: Invalid attribute sms-window for element "
	  "workflow: sms-window: duration \"P1DT\": no time component "
	  "after 'T'" },
	{ "<calendar id=\"kontor.1\">",
	  "<calendar id=\"_kontor\">",
	  "e.xml:12: Element calendar failed to validate attributes: "
	  "id=\"_kontor\": expected a letter, then letters, digits, "
	  "'_', '.' or '-' (a to z only: no å, ä or ö), and not sweden "
	  "or none" },
	{ "days=\"mon-wed,fri\"",
	  "days=\"mon-wed, fri\"",
	  "e.xml:13: Element hours failed to validate attributes: "
	  "days=\"mon-wed, fri\": expected days such as mon-fri or "
	  "mon,wed-fri: mon, tue, wed, thu, fri, sat and sun, in lower "
	  "case, without spaces" },
	{ "open=\"00:00\"",
	  "open=\"24:00\"",
	  "e.xml:13: Element hours failed to validate attributes: "
	  "open=\"24:00\": expected a time HH:MM, such as 08:00" },
	{ "close=\"24:00\"",
	  "close=\"24:30\"",
	  "e.xml:13: Element hours failed to validate attributes: "
	  "close=\"24:30\": expected a time HH:MM, such as 16:30, or "
	  "24:00" },
	{ "date=\"2026-12-31\"",
	  "date=\"2026-12-31Z\"",
	  "e.xml:15: Element closed failed to validate attributes: "
	  "date=\"2026-12-31Z\": expected a date YYYY-MM-DD that "
	  "exists, such as 2026-05-15" },
	{ "<role id=\"Handl.ag-are_1\"",
	  "<role id=\"Handl ag\"",
	  "e.xml:18: Element role failed to validate attributes: "
	  "id=\"Handl ag\": expected a letter, then letters, digits, "
	  "'_', '.' or '-' (a to z only: no å, ä or ö)" },
	{ "group=\"kund@tjänst/ö\"",
	  "group=\"kund tjänst\"",
	  "e.xml:18: Element role failed to validate attributes: "
	  "group=\"kund tjänst\": expected a name without white space" },
	{ "word=\"Åtgärda\"",
	  "word=\"-Åtgärda\"",
	  "e.xml:23: Invalid attribute word for element command: "
	  "word=\"-Åtgärda\": expected up to 32 letters (a to z, å, ä, "
	  "ö), digits and '-', not starting with '-'" },
	{ "aliases=\"klar-ÅÄÖ 1x\tö\"",
	  "aliases=\"klar-ÅÄÖ 1x é\"",
	  "e.xml:23: Invalid attribute aliases for element command: "
	  "aliases=\"klar-ÅÄÖ 1x é\": expected up to 32 letters (a to "
	  "z, å, ä, ö), digits and '-', not starting with '-'" },
	{ "event=\"cmd.fix_1\"\n",
	  "event=\"cmd..fix\"\n",
	  "e.xml:23: Invalid attribute event for element command: "
	  "event=\"cmd..fix\": expected an event such as cmd.resolve: "
	  "words of letters (a to z), digits, '_' or '-', joined by '.'" },
	{ "role=\"Handl.ag-are_1\" text",
	  "role=\"Handl.ag-are_1 2x\" text",
	  "e.xml:23: Invalid attribute role for element command: "
	  "role=\"Handl.ag-are_1 2x\": expected a letter, then letters, "
	  "digits, '_', '.' or '-' (a to z only: no å, ä or ö)" },
	{ "word=\"fix-äö\"",
	  "word=\"fix!\"",
	  "e.xml:24: Invalid attribute word for element translation: "
	  "word=\"fix!\": expected up to 32 letters (a to z, å, ä, ö), "
	  "digits and '-', not starting with '-'" },
	{ "<template id=\"kvittens\"/>",
	  "<template id=\".kvittens\"/>",
	  "e.xml:30: Element template failed to validate attributes: "
	  "id=\".kvittens\": expected a file name: a letter or digit, "
	  "then letters, digits, '_', '.' or '-' (a to z only)" },
	{ "<state id=\"oppen\">",
	  "<state id=\"öppen\">",
	  "e.xml:45: Element state failed to validate attributes: "
	  "id=\"öppen\": expected a letter, then letters, digits, '_', "
	  "'.' or '-' (a to z only: no å, ä or ö)" },
	{ "<final id=\"klar\"/>",
	  "<final id=\"klar!\"/>",
	  "e.xml:71: Element final failed to validate attributes: "
	  "id=\"klar!\": expected a letter, then letters, digits, '_', "
	  "'.' or '-' (a to z only: no å, ä or ö)" },
	{ "id=\"t-1.x\"",
	  "id=\"t 1\"",
	  "e.xml:55: Invalid attribute id for element timer: id=\"t 1\": expected a "
	  "letter, then letters, digits, '_', '.' or '-' (a to z only: "
	  "no å, ä or ö)" },
	{ "after=\"PT4H\"",
	  "after=\"P4H\"",
	  "e.xml:55: Invalid attribute after for element timer: after=\"P4H\": a value "
	  "cirm-workflow(5) does not allow here" },
	{ "event=\"timer.p_1\"",
	  "event=\"timer.*\"",
	  "e.xml:55: Invalid attribute event for element timer: event=\"timer.*\": "
	  "expected an event such as cmd.resolve: words of letters (a "
	  "to z), digits, '_' or '-', joined by '.'" },
	{ "calendar=\"none\"",
	  "calendar=\"none!\"",
	  "e.xml:55: Invalid attribute calendar for element timer: "
	  "calendar=\"none!\": expected a letter, then letters, digits, "
	  "'_', '.' or '-' (a to z only: no å, ä or ö)" },
	{ "event=\"timer.* intern.steg-1\"",
	  "event=\"timer.* intern..steg\"",
	  "e.xml:57: Invalid attribute event for element transition: "
	  "event=\"timer.* intern..steg\": expected events such as "
	  "cmd.resolve or timer.*, separated by spaces" },
	{ "target=\"oppen\"",
	  "target=\"oppen klar,\"",
	  "e.xml:43: Invalid attribute target for element transition: "
	  "target=\"oppen klar,\": expected a letter, then letters, "
	  "digits, '_', '.' or '-' (a to z only: no å, ä or ö)" },
	{ "<if cond=\"assigned()\">",
	  "<if cond=\"  \">",
	  "e.xml:58: Element if failed to validate attributes: "
	  "cond=\"  \": expected a condition, not blank" },
	{ "<elseif cond=\"channel('sms')\"/>",
	  "<elseif cond=\"\t\"/>",
	  "e.xml:60: Element elseif failed to validate attributes: cond=\" \": expected a "
	  "condition, not blank" },
	{ "<reply template=\"kvittens\"/>",
	  "<reply template=\"kvit tens\"/>",
	  "e.xml:35: Element reply failed to validate attributes: "
	  "template=\"kvit tens\": expected a file name: a letter or "
	  "digit, then letters, digits, '_', '.' or '-' (a to z only)" },
	{ "<notify to=\"handler:åsa\"",
	  "<notify to=\"handler:\"",
	  "e.xml:49: Element notify failed to validate attributes: "
	  "to=\"handler:\": expected one of: assignee, role:ROLE, "
	  "group:GROUP, handler:LOGIN" },
	{ "<notify to=\"role:Handl.ag-are_1\"",
	  "<notify to=\"role:1x\"",
	  "e.xml:47: Element notify failed to validate attributes: "
	  "to=\"role:1x\": expected one of: assignee, role:ROLE, "
	  "group:GROUP, handler:LOGIN" },
	{ "<assign to=\"group:kund@tjänst/ö\"/>",
	  "<assign to=\"group:\"/>",
	  "e.xml:52: Element assign failed to validate attributes: "
	  "to=\"group:\": expected one of: sender, argument, none, "
	  "role:ROLE, group:GROUP, handler:LOGIN" },
	{ "<set field=\"category\" value=\"Gata_väg-ÅÄÖ٣\"/>",
	  "<set field=\"category\" value=\"Gata väg\"/>",
	  "e.xml:36: Element set failed to validate attributes: "
	  "value=\"Gata väg\": expected one word of letters, digits, "
	  "'_' or '-'" },
	{ "<set field=\"group\" value=\"role:Handl.ag-are_1\"/>",
	  "<set field=\"group\" value=\"role:\"/>",
	  "e.xml:37: Element set failed to validate attributes: "
	  "value=\"role:\": expected role:ROLE" },
	/* ROLE spelt as Swedish does, which it looks like: said why */
	{ "<set field=\"group\" value=\"role:Handl.ag-are_1\"/>",
	  "<set field=\"group\" value=\"role:handl\xc3\xa4ggare\"/>",
	  "e.xml:37: Element set failed to validate attributes: "
	  "value=\"role:handl\xc3\xa4ggare\": expected role:ROLE (a "
	  "role's id is a letter, then letters, digits, '_', '.' or '-' "
	  "(a to z only: no \xc3\xa5, \xc3\xa4 or \xc3\xb6))" },
	{ "<notify to=\"role:Handl.ag-are_1\"",
	  "<notify to=\"role:\xc3\xa4\"",
	  "e.xml:47: Element notify failed to validate attributes: "
	  "to=\"role:\xc3\xa4\": expected one of: assignee, role:ROLE, "
	  "group:GROUP, handler:LOGIN (a role's id is a letter, then "
	  "letters, digits, '_', '.' or '-' (a to z only: no \xc3\xa5, "
	  "\xc3\xa4 or \xc3\xb6))" },
	{ "<set field=\"due\" after=\"P1W\"/>",
	  "<set field=\"due\" after=\"P\"/>",
	  "e.xml:38: Element set failed to validate attributes: "
	  "after: duration \"P\": no components" },
	{ "<raise event=\"intern.steg-1\"/>",
	  "<raise event=\"intern steg\"/>",
	  "e.xml:53: Element raise failed to validate attributes: "
	  "event=\"intern steg\": expected an event such as "
	  "cmd.resolve: words of letters (a to z), digits, '_' or '-', "
	  "joined by '.'" },
	{ "<log label=\" steg\nett \"/>",
	  "<log label=\" \n \"/>",
	  "e.xml:41: Element log failed to validate attributes: "
	  "label=\"   \": expected a text that is not blank, at most "
	  "500 characters" }
};

START_TEST(test_patterns_broken)
{
	const char *from = pattern_cases[_i].from, *to = pattern_cases[_i].to;
	char *path = data_path("pattern-edges.xml");
	char *text = tu_slurp(path, NULL), *at = strstr(text, from), *doc;
	char *error = NULL;
	struct workflow *wf = NULL;

	ck_assert_msg(at != NULL, "%s", from);
	doc = xasprintf("%.*s%s%s", (int)(at - text), text, to,
			at + strlen(from));
	ck_assert_int_eq(workflow_load("e.xml", doc, strlen(doc), &wf, &error),
			 -1);
	ck_assert_str_eq(error, pattern_cases[_i].want);
	ck_assert_int_eq(quick(doc), 0);
	free(error);
	free(doc);
	free(text);
	free(path);
}
END_TEST

static Suite *
workflow_suite(void)
{
	Suite *s = suite_create("workflow");
	TCase *tc = tcase_create("check");

	tcase_add_loop_test(tc, test_bad, 0, (int)N_ELEMENTS(bad_cases));
	tcase_add_test(tc, test_bad_templates);
	tcase_add_test(tc, test_templates_other_directories);
	tcase_add_test(tc, test_minimal);
	tcase_add_test(tc, test_parallel_label);
	tcase_add_test(tc, test_fold);
	tcase_add_test(tc, test_shipped);
	tcase_add_test(tc, test_refused);
	tcase_add_loop_test(tc, test_schema_echoes, 0,
			    (int)N_ELEMENTS(echo_cases));
	tcase_add_test(tc, test_schema_deep);
	tcase_add_test(tc, test_parser_words);
	tcase_add_test(tc, test_pattern_cached);
	tcase_add_test(tc, test_pattern_backreference);
	tcase_add_test(tc, test_pattern_long_text);
	tcase_add_test(tc, test_patterns_enabled);
	tcase_add_test(tc, test_patterns_unusable);
	tcase_add_test(tc, test_patterns_edges);
	tcase_add_loop_test(tc, test_patterns_broken, 0,
			    (int)N_ELEMENTS(pattern_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(workflow_suite());
}
