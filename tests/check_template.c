/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "template.h"
#include "testutil.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *dir;

static void
setup(void)
{
	char *p;

	dir = tu_tmpdir();
	p = xasprintf("%s/sv", dir);
	mkdir(p, 0755);
	free(p);
	p = xasprintf("%s/en", dir);
	mkdir(p, 0755);
	free(p);
}

static void
teardown(void)
{
	tu_rmrf(dir);
	free(dir);
}

static void
put(const char *lang, const char *name, const char *text)
{
	char *sub = xasprintf("%s/%s", dir, lang);

	free(tu_write(sub, name, text, 0644));
	free(sub);
}

static const struct template_var vars[] = {
	{ "case.number", "KS-2026-00001" },
	{ "case.category", "belysning" },
	{ "case.due", "" },
	{ "handler.name", "Eva" },
};

/* Renders NAME in LANG: the body, or "ERROR: message" with the
   directory cut off (from each line of one of several). */
static char *
render(const char *lang, const char *name, char **subject_r)
{
	char *subject = NULL, *body = NULL, *err = NULL, *out;

	if (template_render(dir, lang, name, vars, N_ELEMENTS(vars), &subject,
			    &body, &err) < 0) {
		char *q;

		out = xasprintf("ERROR: %s", err);
		while ((q = strstr(out, dir)) != NULL)
			memmove(q, q + strlen(dir) + 1,
				strlen(q + strlen(dir) + 1) + 1);
		free(err);
		return out;
	}
	if (subject_r != NULL)
		*subject_r = subject;
	else
		free(subject);
	return body;
}

struct case_ {
	const char *text, *want;
};

static const struct case_ cases[] = {
	/* variables */
	{ "Subject: Ärende {{case.number}}\n\nHej {{ handler.name }}!\n",
	  "Hej Eva!\n" },
	{ "Subject: x\n\nRad 1\n{{case.nonsense}}\n",
	  "ERROR: sv/t:4: unknown variable 'case.nonsense'" },
	/* a slip of the keyboard names the variable meant */
	{ "Subject: x\n\nRad 1\n{{case.nummer}}\n",
	  "ERROR: sv/t:4: unknown variable 'case.nummer' (did you mean "
	  "'case.number'?)" },
	{ "Subject: x\n\nHej {{handler.name\n", "ERROR: sv/t:3: '{{' without '}}'" },
	/* a brace lost in an edit is named where it was lost, not sent
	   as it is nor taken as a variable running on to the next "}}" */
	{ "Subject: x\n\nHej {{handler.name}\n{{#if case.due}}\nSenast "
	  "{{case.due}}\n{{/if}}\n", "ERROR: sv/t:3: '{{' without '}}'" },
	{ "Subject: x\n\nHej {{handler.name {{case.number}}\n",
	  "ERROR: sv/t:3: '{{' without '}}'" },
	{ "Subject: x\n\nHej!\n\n\xc3\x84rende {case.number}}\n",
	  "ERROR: sv/t:5: '}}' without '{{'" },
	{ "Subject: \xc3\x84rende {case.number}}\n\nHej\n",
	  "ERROR: sv/t:1: '}}' without '{{'" },
	{ "no subject\n\nbody\n",
	  "ERROR: sv/t:1: must start with a 'Subject:' line and a blank line" },
	{ "Subject: \n\nbody\n",
	  "ERROR: sv/t:1: the subject is empty: write it after 'Subject:'" },
	/* a subject of variables may be empty for a case, not as written */
	{ "Subject: {{case.due}}\n\nbody\n", "body\n" },
	/* sections, on lines of their own, leave no blank lines */
	{ "Subject: x\n\nA\n{{#if case.category}}\nKategori: {{case.category}}\n"
	  "{{/if}}\nB\n", "A\nKategori: belysning\nB\n" },
	{ "Subject: x\n\nA\n{{#if case.due}}\nSenast {{case.due}}\n{{else}}\n"
	  "Inget datum\n{{/if}}\nB\n", "A\nInget datum\nB\n" },
	{ "Subject: x\n\n{{#if case.category}}k{{#if case.due}}d{{else}}e{{/if}}"
	  "{{/if}}.\n", "ke.\n" },
	/* every name is checked, in a section left out too */
	{ "Subject: x\n\n{{#if case.due}}{{case.nonsense}}{{/if}}\n",
	  "ERROR: sv/t:3: unknown variable 'case.nonsense'" },
	{ "Subject: x\n\n{{#if case.nonsense}}x{{/if}}\n",
	  "ERROR: sv/t:3: unknown variable 'case.nonsense'" },
	/* every unknown variable at once, each with its line; a broken
	   section or brace after them too, and nothing after that, as
	   what follows it is unsure */
	{ "Subject: x\n\nHej\n{{foo}}\n{{bar}}\n{{#if case.due}}\nx\n",
	  "ERROR: sv/t:4: unknown variable 'foo'\n"
	  "sv/t:5: unknown variable 'bar'\n"
	  "sv/t:6: {{#if}} without {{/if}}" },
	{ "Subject: {{foo}}\n\n{{#if bar}}{{case.number}}{{/if}} {{baz}}\n",
	  "ERROR: sv/t:1: unknown variable 'foo'\n"
	  "sv/t:3: unknown variable 'bar'\n"
	  "sv/t:3: unknown variable 'baz'" },
	{ "Subject: x\n\n{{foo}}\nx{{/if}}\n{{bar}}\n{{baz\n",
	  "ERROR: sv/t:3: unknown variable 'foo'\n"
	  "sv/t:4: {{/if}} outside {{#if}}" },
	{ "Subject: {{foo}} {x}}\n\n{{bar}}\n",
	  "ERROR: sv/t:1: unknown variable 'foo'\n"
	  "sv/t:1: '}}' without '{{'" },
	/* the line of the section left open, not the file's last */
	{ "Subject: x\n\n{{#if case.due}}x\n", "ERROR: sv/t:3: {{#if}} without {{/if}}" },
	{ "Subject: x\n\nHej!\n{{#if case.due}}Senast {{case.due}}\n\nMed v\xc3\xa4nlig "
	  "h\xc3\xa4lsning\nKommunen\n", "ERROR: sv/t:4: {{#if}} without {{/if}}" },
	{ "Subject: x\n\nx{{/if}}\n", "ERROR: sv/t:3: {{/if}} outside {{#if}}" },
	{ "Subject: x\n\n{{#if case.due}}a{{else}}b{{else}}c{{/if}}\n",
	  "ERROR: sv/t:3: a second {{else}}" },
	/* saved on Windows: CRLF, a byte order mark */
	{ "Subject: x\r\n\r\nHej {{handler.name}}!\r\n{{#if case.due}}\r\n"
	  "d\r\n{{/if}}\r\nRad 2\r\n", "Hej Eva!\nRad 2\n" },
	{ "\xef\xbb\xbfSubject: x\n\nHej\n", "Hej\n" },
	/* saved as ISO-8859-1: said, with the line, not sent to a citizen
	   as broken UTF-8 */
	{ "Subject: x\n\nHej!\nTack f\xf6r ditt meddelande.\n",
	  "ERROR: sv/t:4: not UTF-8: save the file as UTF-8" },
	{ "Subject: \xc4rende\n\nHej\n",
	  "ERROR: sv/t:1: not UTF-8: save the file as UTF-8" },
	{ "Subject: x\n\nH\xc3\n", "ERROR: sv/t:3: not UTF-8: save the file as UTF-8" },
	{ "Subject: x\n\n\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80\n",
	  "\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80\n" },
	/* cut short by a failed save, or all in a section left out: no
	   empty mail */
	{ "Subject: x\n\n\n  \n",
	  "ERROR: sv/t:3: the text is empty: an empty message would be sent" },
	{ "Subject: x\n\n{{#if case.due}}Senast {{case.due}}{{/if}}\n",
	  "ERROR: sv/t:3: the text is empty: an empty message would be sent" },
};

START_TEST(test_render)
{
	char *got;

	put("sv", "t", cases[_i].text);
	got = render("sv", "t", NULL);
	ck_assert_str_eq(got, cases[_i].want);
	free(got);
}
END_TEST

/* A subject whose last variable is empty ends with no blank: "Nytt
   ärende [KS-...] " for a case with no subject. */
START_TEST(test_subject_trailing_blank)
{
	char *subject = NULL, *got;

	put("sv", "t", "Subject: Nytt \xc3\xa4rende [{{case.number}}] "
	    "{{case.due}}\t\n\nHej\n");
	got = render("sv", "t", &subject);
	ck_assert_str_eq(got, "Hej\n");
	ck_assert_str_eq(subject, "Nytt \xc3\xa4rende [KS-2026-00001]");
	free(subject);
	free(got);
}
END_TEST

/* An SMS template left empty sends no empty SMS. */
START_TEST(test_empty_sms)
{
	char *got;

	put("sv", "t.sms", "\n");
	got = render("sv", "t.sms", NULL);
	ck_assert_str_eq(got, "ERROR: sv/t.sms:1: the text is empty: an empty "
			 "message would be sent");
	free(got);
}
END_TEST

/* A template may use every variable cirm gives, however many there
   come to be: the cache's check gave the first 31 only, and a template
   with a newer one was a configuration error at start. */
START_TEST(test_cache_every_variable)
{
	struct strlist l = { 0 };
	struct template_cache *cache;
	char *text, *err = NULL;

	strlist_add(&l, "Subject: x\n\n");
	for (size_t i = 0; template_variables[i] != NULL; i++)
		strlist_addf(&l, "{{%s}}\n", template_variables[i]);
	text = strlist_join(&l);
	put("sv", "t", text);
	cache = template_cache_new(dir);
	ck_assert_ptr_nonnull(cache);
	if (template_cache_renders(cache, "sv", "t", &err) < 0)
		ck_abort_msg("%s", err);
	template_cache_free(&cache);
	strlist_clear(&l);
	free(text);
}
END_TEST

/* English when there is one, else Swedish. */
START_TEST(test_language)
{
	char *got, *subject = NULL;

	put("sv", "a", "Subject: Hej {{case.number}}\n\nsv\n");
	put("en", "a", "Subject: Hello {{case.number}}\n\nen\n");
	put("sv", "b", "Subject: Bara svenska\n\nsv\n");
	got = render("en", "a", &subject);
	ck_assert_str_eq(got, "en\n");
	ck_assert_str_eq(subject, "Hello KS-2026-00001");
	free(got);
	free(subject);
	got = render("en", "b", NULL);
	ck_assert_str_eq(got, "sv\n");
	free(got);
}
END_TEST

/* The shipped templates use only what cirm gives. */
START_TEST(test_shipped)
{
	static const char *const langs[] = { "sv", "en" };
	struct template_var *all;
	size_t n = 0;

	while (template_variables[n] != NULL)
		n++;
	all = xcalloc(n, sizeof(*all));
	for (n = 0; template_variables[n] != NULL; n++) {
		all[n].name = template_variables[n];
		all[n].value = "x";
	}
	for (size_t l = 0; l < N_ELEMENTS(langs); l++) {
		static const char *const names[] = {
			"acknowledgement", "answer", "resolved",
			"handler-new-case", "handler-escalated",
		};

		for (size_t i = 0; i < N_ELEMENTS(names); i++) {
			char *tdir = xasprintf("%s/templates", tu_srcdir());
			char *s = NULL, *b = NULL, *err = NULL;

			ck_assert_msg(template_render(tdir, langs[l], names[i], all,
						      n, &s, &b, &err) == 0,
				      "%s", err);
			free(s);
			free(b);
			free(tdir);
		}
	}
	free(all);
}
END_TEST

/* A handler told of a case for its information (reader.informed: a
   group the workflow notifies, with no role) is not asked to take it,
   nor told that a reply goes to the citizen, in any shipped
   notification a workflow may send such a group; one the workflow
   names by login (reader.named) is told it is theirs, not "din grupp". */
START_TEST(test_shipped_informed)
{
	static const char *const langs[] = { "sv", "en" };
	static const char *const names[] = {
		"handler-new-case", "handler-escalated",
		"handler-citizen-answered",
	};
	static const char *const told[] = { "din grupp", "your group" };
	static const char *const told_named[] = { "aviserar\ndig om",
						  "tells you\nof" };
	static const char *const not[] = { "Texten i ditt svar skickas",
					   "The text of your reply goes" };
	char *tdir = xasprintf("%s/templates", tu_srcdir());
	struct template_var *all;
	size_t n = 0;

	while (template_variables[n] != NULL)
		n++;
	all = xcalloc(n, sizeof(*all));
	for (size_t i = 0; i < n; i++) {
		all[i].name = template_variables[i];
		all[i].value = strcmp(template_variables[i], "reader.informed")
			== 0 ? "1" : strcmp(template_variables[i],
					     "commands.help") == 0 ||
			strcmp(template_variables[i], "reader.named") == 0 ?
			"" : "x";
	}
	for (int named = 0; named < 2; named++)
	for (size_t l = 0; l < N_ELEMENTS(langs); l++) {
		for (size_t i = 0; i < N_ELEMENTS(names); i++) {
			char *s = NULL, *b = NULL, *err = NULL;

			for (size_t k = 0; k < n; k++)
				if (strcmp(all[k].name, "reader.named") == 0)
					all[k].value = named ? "1" : "";
			ck_assert_msg(template_render(tdir, langs[l], names[i],
						      all, n, &s, &b, &err) == 0,
				      "%s", err);
			ck_assert_msg((named ? strstr(b, told_named[l]) != NULL &&
				       strstr(b, told[l]) == NULL :
				       strstr(b, told[l]) != NULL) &&
				      strstr(b, not[l]) == NULL &&
				      strstr(b, "#ta ") == NULL &&
				      strstr(b, "#take") == NULL &&
				      strstr(b, "i er grupp") == NULL &&
				      strstr(b, "in your group") == NULL,
				      "%s/%s:\n%s", langs[l], names[i], b);
			free(s);
			free(b);
		}
	}
	free(all);
	free(tdir);
}
END_TEST

/* A mail without a subject: the citizen reads no empty "Ämne:" line,
   and the answer's subject no "Svar:  [...]"; an escalation without a
   comment has no heading for one. */
START_TEST(test_shipped_no_subject)
{
	static const char *const langs[] = { "sv", "en" };
	static const char *const labels[] = { "Ämne:", "Subject:" };
	static const char *const answers[] = { "Svar: [KS-2026-00001]",
					       "Re: [KS-2026-00001]" };
	/* the first three show the citizen's text */
	static const char *const handler_templates[] = {
		"handler-new-case", "handler-citizen-answered",
		"handler-reopened", "handler-assigned", "handler-escalated",
		"handler-delivery-failed",
	};
	static const char *const no_subject[] = { "Ämne:         (inget ämne)\n",
						  "Subject:      (no subject)\n" };
	static const char *const no_text[] = { "\n(ingen text)\n",
					       "\n(no text)\n" };
	static const char *const sms_questions[] = {
		"Kommunen har en fråga om ärende KS-2026-00001. Svara på "
		"detta sms.",
		"Kommunen has a question about case KS-2026-00001. Please "
		"reply to this SMS.",
	};
	static const char *const sms_signed[] = {
		"Hej\n/Eva Ek, Kommunen, ärende KS-2026-00001. Svara på detta "
		"sms.",
		"Hej\n/Eva Ek, Kommunen, case KS-2026-00001. Please reply to "
		"this SMS.",
	};
	/* and with the telephone number of their signature */
	static const char *const sms_phoned[] = {
		"Hej\n/Eva Ek, tel. 08-123 45 67, Kommunen, ärende "
		"KS-2026-00001. Svara på detta sms.",
		"Hej\n/Eva Ek, phone 08-123 45 67, Kommunen, case "
		"KS-2026-00001. Please reply to this SMS.",
	};
	static const char *const answers_phoned[] = {
		"Hej\n/Eva Ek, tel. 08-123 45 67, Kommunen, ärende "
		"KS-2026-00001",
		"Hej\n/Eva Ek, phone 08-123 45 67, Kommunen, case "
		"KS-2026-00001",
	};
	static const char *const sms_asks[] = {
		"Hej\n/Kommunen har en fråga om ärende KS-2026-00001. Svara "
		"på detta sms.",
		"Hej\n/Kommunen has a question about case KS-2026-00001. "
		"Please reply to this SMS.",
	};
	/* the heading of an escalating officer's comment */
	static const char *const writes[] = { "Handläggaren skriver:",
					      "The case officer writes:" };
	const struct template_var v[] = {
		{ "case.number", "KS-2026-00001" }, { "case.subject", "" },
		{ "case.received", "2026-12-01 09:00" },
		{ "case.received_long", "den 1 december 2026 kl. 09.00" },
		{ "case.closed", "" }, { "message.sender", "" },
		{ "case.last_answer", "" }, { "citizen.from", "" },
		{ "citizen.number", "" },
		{ "case.sms", "" }, { "citizen.sms_stopped", "" },
		{ "case.citizen_text", "" },
		{ "sender.name", "" }, { "continues.last_answer", "" },
		{ "continues.handler", "" }, { "case.merged_into", "" },
		{ "municipality.name", "Kommunen" }, { "message.text", "Hej" },
		{ "message.signed", "" }, { "message.unsigned", "" },
		{ "message.signoff", "" }, { "message.signer", "" },
		{ "message.signer_phone", "" }, { "message.signature", "" },
		{ "case.state", "ny" }, { "case.category", "" },
		{ "case.priority", "normal" }, { "case.due", "" },
		{ "handler.name", "" }, { "handler.away", "" },
		{ "commands.help", "  #ta\n" }, { "reader.informed", "" },
		{ "reader.named", "" },
		{ "case.history", "" }, { "citizen.language", "" },
		{ "case.continues", "" },
	};
	const struct template_var empty[] = {
		{ "case.number", "KS-2026-00001" }, { "case.subject", "" },
		{ "case.received", "2026-12-01 09:00" },
		{ "case.received_long", "den 1 december 2026 kl. 09.00" },
		{ "case.closed", "" }, { "message.sender", "" },
		{ "case.last_answer", "" }, { "citizen.from", "" },
		{ "citizen.number", "" },
		{ "case.sms", "" }, { "citizen.sms_stopped", "" },
		{ "case.citizen_text", "" },
		{ "sender.name", "" }, { "continues.last_answer", "" },
		{ "continues.handler", "" }, { "case.merged_into", "" },
		{ "municipality.name", "Kommunen" }, { "message.text", "" },
		{ "message.signed", "" }, { "message.unsigned", "" },
		{ "message.signoff", "" }, { "message.signer", "" },
		{ "message.signer_phone", "" }, { "message.signature", "" },
		{ "case.state", "ny" }, { "case.category", "" },
		{ "case.priority", "normal" }, { "case.due", "" },
		{ "handler.name", "" }, { "handler.away", "" },
		{ "commands.help", "  #ta\n" }, { "reader.informed", "" },
		{ "reader.named", "" },
		{ "case.history", "" }, { "citizen.language", "" },
		{ "case.continues", "" }, { "case.mentions", "" },
		{ "citizen.cases", "" },
	};
	char *tdir = xasprintf("%s/templates", tu_srcdir());

	for (size_t l = 0; l < N_ELEMENTS(langs); l++) {
		char *s = NULL, *b = NULL, *err = NULL;

		ck_assert_msg(template_render(tdir, langs[l], "acknowledgement",
					      v, N_ELEMENTS(v), &s, &b,
					      &err) == 0, "%s", err);
		ck_assert_msg(strstr(b, labels[l]) == NULL, "%s", b);
		ck_assert_msg(strstr(b, "\n\n\n") == NULL, "%s", b);
		free(s);
		free(b);
		ck_assert_msg(template_render(tdir, langs[l], "answer", v,
					      N_ELEMENTS(v), &s, &b,
					      &err) == 0, "%s", err);
		ck_assert_str_eq(s, answers[l]);
		ck_assert_msg(strstr(b, "\n\n\n") == NULL, "%s", b);
		free(s);
		free(b);
		/* escalated by a timer: no comment, and no heading for one */
		ck_assert_msg(template_render(tdir, langs[l],
					      "handler-escalated", empty,
					      N_ELEMENTS(empty), &s, &b,
					      &err) == 0, "%s", err);
		ck_assert_msg(strstr(b, writes[l]) == NULL, "%s", b);
		ck_assert_msg(strstr(b, "\n\n\n") == NULL, "%s", b);
		free(s);
		free(b);
		ck_assert_msg(template_render(tdir, langs[l],
					      "handler-escalated", v,
					      N_ELEMENTS(v), &s, &b,
					      &err) == 0, "%s", err);
		ck_assert_msg(strstr(b, writes[l]) != NULL &&
			      strstr(b, "\n\nHej\n\n") != NULL, "%s", b);
		free(s);
		free(b);
		/* a question by SMS with no text of the officer's: no empty
		   line and no lone "/" first */
		ck_assert_msg(template_render(tdir, langs[l], "question.sms",
					      empty, N_ELEMENTS(empty), &s,
					      &b, &err) == 0, "%s", err);
		ck_assert_str_eq(b, sms_questions[l]);
		free(s);
		free(b);
		ck_assert_msg(template_render(tdir, langs[l], "question.sms",
					      v, N_ELEMENTS(v), &s, &b,
					      &err) == 0, "%s", err);
		ck_assert_str_eq(b, sms_asks[l]);
		free(s);
		free(b);
		/* signed by the officer */
		struct template_var signed_v[N_ELEMENTS(v)];

		memcpy(signed_v, v, sizeof(v));
		for (size_t i = 0; i < N_ELEMENTS(v); i++)
			if (strcmp(v[i].name, "message.signer") == 0)
				signed_v[i].value = "Eva Ek";
		ck_assert_msg(template_render(tdir, langs[l], "question.sms",
					      signed_v, N_ELEMENTS(v), &s, &b,
					      &err) == 0, "%s", err);
		ck_assert_str_eq(b, sms_signed[l]);
		free(s);
		free(b);
		for (size_t i = 0; i < N_ELEMENTS(v); i++)
			if (strcmp(v[i].name, "message.signer_phone") == 0)
				signed_v[i].value = "08-123 45 67";
		ck_assert_msg(template_render(tdir, langs[l], "question.sms",
					      signed_v, N_ELEMENTS(v), &s, &b,
					      &err) == 0, "%s", err);
		ck_assert_str_eq(b, sms_phoned[l]);
		free(s);
		free(b);
		ck_assert_msg(template_render(tdir, langs[l], "answer.sms",
					      signed_v, N_ELEMENTS(v), &s, &b,
					      &err) == 0, "%s", err);
		ck_assert_str_eq(b, answers_phoned[l]);
		free(s);
		free(b);
		/* an empty mail: the handler reads that it is, not a gap */
		for (size_t t = 0; t < N_ELEMENTS(handler_templates); t++) {
			ck_assert_msg(template_render(tdir, langs[l],
						      handler_templates[t],
						      empty, N_ELEMENTS(empty),
						      &s, &b, &err) == 0,
				      "%s", err);
			ck_assert_msg(strstr(b, no_subject[l]) != NULL,
				      "%s: %s", handler_templates[t], b);
			ck_assert_msg(t >= 3 || strstr(b, no_text[l]) != NULL,
				      "%s: %s", handler_templates[t], b);
			free(s);
			free(b);
		}
	}
	free(tdir);
}
END_TEST

static Suite *
template_suite(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("render");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_render, 0, (int)N_ELEMENTS(cases));
	tcase_add_test(tc, test_empty_sms);
	tcase_add_test(tc, test_subject_trailing_blank);
	tcase_add_test(tc, test_cache_every_variable);
	tcase_add_test(tc, test_language);
	tcase_add_test(tc, test_shipped);
	tcase_add_test(tc, test_shipped_no_subject);
	tcase_add_test(tc, test_shipped_informed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(template_suite());
}
