/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "workflow-run.h"

#include "reply.h"
#include "util.h"

#include <locale.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

struct workflow_run {
	const struct workflow *wf;
	const struct workflow_facts *facts;
	struct workflow_host host;
	struct scxml_session *session;
	/* facts->text without its sign-off, for keyword() and pattern();
	   made once for the text at TEXT_OF */
	const char *text_of;
	char *text;
};

/* The text keyword() and pattern() look at: the message without the
   sign-off at its end (reply_signoff), so that a signature's street or
   a thank-you's name, address and telephone number decide nothing. */
static const char *
condition_text(struct workflow_run *run)
{
	const char *t = run->facts->text, *cut;

	if (t == NULL)
		return NULL;
	if (run->text_of != t) {
		free(run->text);
		cut = reply_signoff(t);
		run->text = cut != NULL ? xstrndup(t, (size_t)(cut - t)) :
			NULL;
		run->text_of = t;
	}
	return run->text != NULL ? run->text : t;
}

/* Whether the non-ASCII code point C joins letters into a word. The
   punctuation, spaces and symbols that phones and mail programs write
   beside words are not: the no-break space and the rest of Latin-1's
   signs («, », ×, ÷), General Punctuation (dashes, typographic quotes,
   the ellipsis) up to the dingbats, CJK punctuation, Arabic
   punctuation, variation selectors, the byte order mark and emoji.
   Letters of any script are. */
static bool
word_code_point(unsigned long c)
{
	if (c >= 0x80 && c <= 0xbf)
		return c == 0xaa || c == 0xb5 || c == 0xba;
	/* Arabic comma, semicolon, question mark and full stop */
	if (c == 0x60c || c == 0x61b || c == 0x61f || c == 0x6d4)
		return false;
	return !(c == 0xd7 || c == 0xf7 || (c >= 0x2000 && c <= 0x2bff) ||
		 (c >= 0x3000 && c <= 0x303f) ||
		 (c >= 0xfe00 && c <= 0xfe0f) || c == 0xfeff ||
		 (c >= 0x1f000 && c <= 0x1faff));
}

/* The code point of the UTF-8 sequence at P (END bounds it), or
   (unsigned long)-1 when malformed. */
static unsigned long
code_point(const unsigned char *p, const unsigned char *end)
{
	unsigned long c = *p;
	int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;

	if (more < 0 || end - p <= more)
		return (unsigned long)-1;
	c &= 0x3fu >> more;
	for (int i = 1; i <= more; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (unsigned long)-1;
		c = c << 6 | (p[i] & 0x3fu);
	}
	return c;
}

bool
workflow_word_char(const unsigned char *p, const unsigned char *end)
{
	unsigned long c;

	if (*p < 0x80)
		return (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9');
	c = code_point(p, end);
	return c == (unsigned long)-1 || word_code_point(c);
}

/* Whether the character ending just before P (TEXT its start) is part
   of a word. */
static bool
word_char_before(const unsigned char *text, const unsigned char *p,
		 const unsigned char *end)
{
	const unsigned char *q = p - 1;

	while (q > text && p - q < 4 && (*q & 0xc0) == 0x80)
		q--;
	return workflow_word_char(q, end);
}

/* Whether WORD occurs in TEXT as a whole word, case-folded (Swedish
   capitals included): "gatlampa" is not found in "gatlampan" nor in
   "gatlampaåtgärd", but is in "»gatlampa«" and "gatlampa…". */
static bool
has_keyword(const char *text, const char *word)
{
	char *t, *w, *p;
	size_t n;
	bool found = false;

	if (text == NULL || *word == '\0')
		return false;
	t = workflow_fold(text);
	w = workflow_fold(word);
	n = strlen(w);
	for (p = t; !found && (p = strstr(p, w)) != NULL; p++) {
		const unsigned char *u = (const unsigned char *)t;
		const unsigned char *at = (const unsigned char *)p;
		const unsigned char *end = u + strlen(t);

		found = (at == u || !word_char_before(u, at, end)) &&
			(at[n] == '\0' || !workflow_word_char(at + n, end));
	}
	free(t);
	free(w);
	return found;
}

/* A UTF-8 character type for pattern(), whatever the process's
   locale; (locale_t)0 when the system has none, and the process's
   serves. */
static locale_t
utf8_ctype(void)
{
	static const char *const names[] = { "C.UTF-8", "C.utf8",
					     "en_US.UTF-8", "sv_SE.UTF-8" };
	static locale_t loc;
	static bool tried;

	for (size_t i = 0; !tried && loc == (locale_t)0 &&
	     i < N_ELEMENTS(names); i++)
		loc = newlocale(LC_CTYPE_MASK, names[i], (locale_t)0);
	tried = true;
	return loc;
}

/* What REGEX has outside its bracket expressions: a back-reference
   (\\1 to \\9), a ^ anchor. */
struct regex_parts {
	bool backreference, caret;
};

static struct regex_parts
regex_parts(const char *regex)
{
	struct regex_parts r = { false, false };

	for (const char *p = regex; *p != '\0'; p++) {
		if (*p == '\\' && p[1] >= '1' && p[1] <= '9')
			r.backreference = true;
		if (*p == '^')
			r.caret = true;
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p != '[')
			continue;
		/* "[]a]" and "[^]a]" hold a ']'; "[[:alpha:]]" a class */
		p += p[1] == '^' ? 2 : 1;
		if (*p == ']')
			p++;
		for (; *p != '\0' && *p != ']'; p++)
			if (p[0] == '[' && (p[1] == ':' || p[1] == '.' ||
					    p[1] == '=')) {
				const char *end = strchr(p + 2, p[1]);

				if (end == NULL || end[1] != ']')
					break;
				p = end + 1;
			}
		if (*p == '\0')
			break;
	}
	return r;
}

/* Compiled patterns, by their text and whether searched anchored as
   "^.*(REGEX)": each is compiled once in a process, not at every event
   whose workflow asks (compiling took a tenth of the engine's time on
   the events benchmark). Entries live as long as the process, so that
   no caller ever holds a freed one; past PATTERNS_MAX patterns (a
   workflow edited and reloaded very many times) the rest are compiled
   at each use as before. */
#define PATTERNS_MAX 512

struct compiled_pattern {
	char *regex;
	bool wrapped;	/* asked for "^.*(REGEX)" */
	int rc;		/* regcomp's: 0, or why it does not compile */
	regex_t re;	/* when rc is 0 */
};

static pthread_mutex_t patterns_mu = PTHREAD_MUTEX_INITIALIZER;
static struct compiled_pattern *patterns[PATTERNS_MAX];
static size_t npatterns;

/* Compiles REGEX into P (wrapped in "^.*(...)" when WRAP and that
   compiles) under the UTF-8 character type, as it will run. */
static void
pattern_compile(struct compiled_pattern *p, const char *regex, bool wrap)
{
	p->rc = REG_BADPAT;
	if (wrap) {
		char *wrapped = xasprintf("^.*(%s)", regex);

		p->rc = regcomp(&p->re, wrapped,
				REG_EXTENDED | REG_ICASE | REG_NOSUB);
		free(wrapped);
	}
	if (p->rc != 0)
		p->rc = regcomp(&p->re, regex,
				REG_EXTENDED | REG_ICASE | REG_NOSUB);
}

/* The compiled REGEX from the cache, compiled now if it is not there;
   *FRESH_R when it could not be kept and the caller frees it
   (pattern_release). */
static struct compiled_pattern *
pattern_get(const char *regex, bool wrap, bool *fresh_r)
{
	struct compiled_pattern *p = NULL;

	*fresh_r = false;
	pthread_mutex_lock(&patterns_mu);
	for (size_t i = 0; p == NULL && i < npatterns; i++)
		if (patterns[i]->wrapped == wrap &&
		    strcmp(patterns[i]->regex, regex) == 0)
			p = patterns[i];
	if (p == NULL) {
		p = xcalloc(1, sizeof(*p));
		p->regex = xstrdup(regex);
		p->wrapped = wrap;
		pattern_compile(p, regex, wrap);
		if (npatterns < PATTERNS_MAX)
			patterns[npatterns++] = p;
		else
			*fresh_r = true;
	}
	pthread_mutex_unlock(&patterns_mu);
	return p;
}

static void
pattern_release(struct compiled_pattern *p, bool fresh)
{
	if (!fresh)
		return;
	if (p->rc == 0)
		regfree(&p->re);
	free(p->regex);
	free(p);
}

int
workflow_pattern(const char *regex, const char *text, char **error_r)
{
	locale_t loc = utf8_ctype(), old = (locale_t)0;
	struct regex_parts parts = regex_parts(regex);
	struct compiled_pattern *p;
	bool fresh;
	int ret;

	/* POSIX extended expressions have none; glibc's take time
	   exponential in the text for them, and a citizen's long mail
	   would stop the engine */
	if (parts.backreference) {
		*error_r = xstrdup("bad pattern: a back-reference such as \\1 "
				   "is not part of POSIX extended regular "
				   "expressions, and can take hours on a long "
				   "message");
		return -1;
	}
	if (loc != (locale_t)0)
		old = uselocale(loc);
	/* Searched for as "^.*(REGEX)": the same texts match, but glibc
	   then runs through the text once, where an unanchored search
	   starts again at each character and takes time quadratic in the
	   text for a pattern such as "gata.*hål" that fails (a minute for
	   a 160 KB mail). Not a pattern with ^ (glibc would take an inner
	   ^ to match after a line break too; a search anchored so is
	   quick), and the pattern alone when that does not compile (and
	   for its error). */
	p = pattern_get(regex, text != NULL && !parts.caret, &fresh);
	if (p->rc != 0) {
		char buf[128];

		regerror(p->rc, &p->re, buf, sizeof(buf));
		*error_r = xasprintf("bad pattern: %s", buf);
		ret = -1;
	} else {
		ret = text != NULL && regexec(&p->re, text, 0, NULL, 0) == 0;
	}
	pattern_release(p, fresh);
	if (loc != (locale_t)0)
		uselocale(old);
	return ret;
}

static void
predicate(void *ctx, const char *name, const char *arg, bool *value_r,
	  char **error_r)
{
	struct workflow_run *run = ctx;
	const struct workflow_facts *f = run->facts;

	*value_r = false;
	if (strcmp(name, "channel") == 0) {
		*value_r = f->channel != NULL && strcmp(f->channel, arg) == 0;
	} else if (strcmp(name, "category") == 0) {
		*value_r = f->category != NULL && strcmp(f->category, arg) == 0;
	} else if (strcmp(name, "priority") == 0) {
		*value_r = strcmp(f->priority != NULL ? f->priority : "normal",
				  arg) == 0;
	} else if (strcmp(name, "assigned") == 0) {
		*value_r = f->assigned;
	} else if (strcmp(name, "thanks") == 0) {
		/* as the engine judges one to a closed case (mailin) */
		const char *names;

		*value_r = f->text != NULL &&
			   (reply_thanks_only(f->text) ||
			    (f->sender_names != NULL &&
			     reply_thanks_maybe(f->text) &&
			     (names = f->sender_names(f->names_ctx)) != NULL &&
			     reply_thanks_only_by(f->text, names)));
	} else if (strcmp(name, "keyword") == 0) {
		*value_r = has_keyword(condition_text(run), arg);
	} else if (strcmp(name, "pattern") == 0) {
		int m = workflow_pattern(arg, condition_text(run), error_r);

		*value_r = m > 0;
	}
}

static int
action(void *ctx, const struct scxml_element *elem, char **error_r)
{
	static const char *const names[] = { "reply", "notify", "assign", "set",
					     NULL };
	struct workflow_run *run = ctx;
	const char *name = scxml_element_name(elem);
	const char *ns = scxml_element_ns(elem);
	struct workflow_action a = { 0 };
	char *tmpl, *to, *field, *value, *after;
	int ret = 0, kind = -1;

	if (ns == NULL || strcmp(ns, WORKFLOW_NAMESPACE) != 0)
		return 0;
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(name, names[i]) == 0)
			kind = i;
	}
	if (kind < 0 || run->host.action == NULL)
		return 0;
	a.kind = (enum workflow_action_kind)kind;
	a.template_id = tmpl = scxml_element_attr(elem, "template");
	a.to = to = scxml_element_attr(elem, "to");
	a.field = field = scxml_element_attr(elem, "field");
	a.value = value = scxml_element_attr(elem, "value");
	a.after = after = scxml_element_attr(elem, "after");
	a.line = scxml_element_line(elem);
	ret = run->host.action(run->host.ctx, &a, error_r);
	free(tmpl);
	free(to);
	free(field);
	free(value);
	free(after);
	return ret;
}

static void
log_label(void *ctx, const char *label, const char *expr)
{
	struct workflow_run *run = ctx;
	struct workflow_action a = { .kind = WORKFLOW_LOG, .value = label };
	char *err = NULL, *both = NULL;

	/* a failed action: "error.execution" with its message */
	if (label != NULL && expr != NULL)
		a.value = both = xasprintf("%s: %s", label, expr);
	else if (label == NULL)
		a.value = expr;
	if (run->host.action != NULL && a.value != NULL &&
	    run->host.action(run->host.ctx, &a, &err) < 0)
		free(err);
	free(both);
}

static void
observe(void *ctx, const char *id, bool entered)
{
	struct workflow_run *run = ctx;

	if (run->host.state != NULL)
		run->host.state(run->host.ctx, id, entered);
}

struct workflow_run *
workflow_run_new(const struct workflow *wf, const struct workflow_facts *facts,
		 const struct workflow_host *host)
{
	struct workflow_run *run = xcalloc(1, sizeof(*run));

	run->wf = wf;
	run->facts = facts;
	run->host = *host;
	run->session = scxml_session_new(wf->chart);
	scxml_session_set_predicate(run->session, predicate, run);
	scxml_session_set_action(run->session, action, run);
	scxml_session_set_log(run->session, log_label, run);
	scxml_session_set_observer(run->session, observe, run);
	return run;
}

void
workflow_run_free(struct workflow_run **runp)
{
	if (*runp == NULL)
		return;
	scxml_session_free(&(*runp)->session);
	free((*runp)->text);
	free(*runp);
	*runp = NULL;
}

int
workflow_run_start(struct workflow_run *run, char **error_r)
{
	return scxml_start(run->session, error_r);
}

int
workflow_run_restore(struct workflow_run *run, const char *states,
		     char **error_r)
{
	struct strlist ids = { 0 };
	const char *p = states;
	int ret;

	while (*p != '\0') {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n > 0) {
			char *id = xstrndup(p, n);

			strlist_add(&ids, id);
			free(id);
		}
		p += n;
	}
	ret = scxml_restore(run->session, (const char *const *)ids.v, ids.n,
			    error_r);
	strlist_clear(&ids);
	return ret;
}

int
workflow_run_send(struct workflow_run *run, const char *event, char **error_r)
{
	return scxml_send(run->session, event, error_r);
}

static void
add_state(void *ctx, const char *id)
{
	struct strlist *l = ctx;

	strlist_add(l, id);
}

char *
workflow_run_states(const struct workflow_run *run)
{
	struct strlist l = { 0 };
	char *out;
	size_t len = 1;

	scxml_atomic_configuration(run->session, add_state, &l);
	for (size_t i = 0; i < l.n; i++)
		len += strlen(l.v[i]) + 1;
	out = xcalloc(1, len);
	for (size_t i = 0; i < l.n; i++) {
		if (i > 0)
			strcat(out, " ");
		strcat(out, l.v[i]);
	}
	strlist_clear(&l);
	return out;
}

bool
workflow_run_done(const struct workflow_run *run)
{
	return scxml_in_final(run->session);
}

bool
workflow_run_handles(const struct workflow_run *run, const char *event)
{
	return scxml_handles(run->session, event);
}
