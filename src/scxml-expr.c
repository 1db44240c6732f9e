/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "scxml-private.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define SCXML_EVENT_PROCESSOR "http://www.w3.org/TR/scxml/#SCXMLEventProcessor"
/* Parentheses and negations nested in one condition: the parser
   recurses on each, and a file of a hundred thousand '(' would
   overflow the stack. Real conditions nest a few deep. */
#define COND_DEPTH_MAX 100
#define STR(x) STR_(x)
#define STR_(x) #x

/* Conditions of the null datamodel (SCXML 5.9.1: In()), with boolean
   connectives so that workflows can combine them. */
struct cond {
	const char *p;
	const struct scxml *doc;
	struct scxml_session *s;	/* NULL when only checking */
	char *error;
	int depth;	/* '!' and '(' open around the cursor */
};

static bool cond_or(struct cond *c);

static void
cond_skip(struct cond *c)
{
	while (isspace((unsigned char)*c->p))
		c->p++;
}

/* Consumes the token WORD (a keyword must not run on into a name). */
static bool
cond_take(struct cond *c, const char *word)
{
	size_t n = strlen(word);

	cond_skip(c);
	if (strncmp(c->p, word, n) != 0)
		return false;
	if (isalpha((unsigned char)word[0]) &&
	    (isalnum((unsigned char)c->p[n]) || c->p[n] == '_'))
		return false;
	c->p += n;
	return true;
}

/* What a word processor put at P instead of what a condition needs,
   in words; "" when nothing. */
/* The most bytes of a condition shown where it goes wrong. */
#define COND_SHOWN 20

static const char *
cond_lookalike(const char *p)
{
	static const struct {
		const char *bytes, *words;
	} lookalikes[] = {
		{ "\xc2\xa0", ": a no-break space (U+00A0) is there, "
		  "which looks like a plain space: write a plain one" },
		{ "\xe2\x80\x98", ": ‘ is a typographic quote, as word "
		  "processors write them: write ' instead" },
		{ "\xe2\x80\x99", ": ’ is a typographic quote, as word "
		  "processors write them: write ' instead" },
		{ "\xe2\x80\x9c", ": “ is a typographic quote, as word "
		  "processors write them: write ' or \" instead" },
		{ "\xe2\x80\x9d", ": ” is a typographic quote, as word "
		  "processors write them: write ' or \" instead" },
		{ "\xc2\xb4", ": ´ is an accent, not a quote: write ' "
		  "instead" },
	};

	for (size_t i = 0; i < N_ELEMENTS(lookalikes); i++)
		if (strncmp(p, lookalikes[i].bytes,
			    strlen(lookalikes[i].bytes)) == 0)
			return lookalikes[i].words;
	return "";
}

static void
cond_fail(struct cond *c, const char *what)
{
	size_t cut = strlen(c->p);

	if (c->error != NULL)
		return;
	/* the text at the problem, cut between two characters */
	if (cut > COND_SHOWN) {
		cut = COND_SHOWN;
		while (cut > 0 && ((unsigned char)c->p[cut] & 0xc0) == 0x80)
			cut--;
	}
	c->error = xasprintf("condition: %s at '%.*s'%s", what, (int)cut,
			     c->p, cond_lookalike(c->p));
}

/* A quoted string ('x' or "x"), or NULL after reporting. */
static char *
cond_string(struct cond *c, const char *what)
{
	const char *start, *end;
	char quote;

	cond_skip(c);
	quote = *c->p;
	if (quote != '\'' && quote != '"')
		return cond_fail(c, what), NULL;
	start = ++c->p;
	end = strchr(start, quote);
	if (end == NULL)
		return cond_fail(c, "unterminated string"), NULL;
	c->p = end + 1;
	return xstrndup(start, (size_t)(end - start));
}

static bool
cond_in(struct cond *c)
{
	char *id;
	bool v = false;

	if (!cond_take(c, "("))
		return cond_fail(c, "expected ( after In"), false;
	id = cond_string(c, "expected a quoted state id");
	if (id == NULL)
		return false;
	if (scxml_find(c->doc, id) == NULL && c->error == NULL)
		c->error = xasprintf("condition: In('%s'): no such state", id);
	else if (c->s != NULL)
		v = scxml_session_in(c->s, id);
	free(id);
	if (!cond_take(c, ")"))
		cond_fail(c, "expected )");
	return v;
}

/* NAME is a host predicate of the document: NAME() or NAME('arg'). */
static bool
cond_pred(struct cond *c, const char *name)
{
	char *arg = NULL, *err = NULL;
	bool v = false;

	if (!cond_take(c, "("))
		return cond_fail(c, "expected ( after a function name"), false;
	cond_skip(c);
	if (*c->p != ')') {
		arg = cond_string(c, "expected a quoted argument");
		if (arg == NULL)
			return false;
	}
	if (!cond_take(c, ")")) {
		free(arg);
		return cond_fail(c, "expected )"), false;
	}
	if (c->s == NULL && c->doc->opts.check_pred != NULL)
		c->doc->opts.check_pred(c->doc->opts.ctx, name, arg, &err);
	else if (c->s != NULL && c->s->pred != NULL)
		c->s->pred(c->s->pred_ctx, name, arg, &v, &err);
	if (err != NULL && c->error == NULL)
		c->error = xasprintf("condition: %s(%s%s%s): %s", name,
				     arg != NULL ? "'" : "",
				     arg != NULL ? arg : "",
				     arg != NULL ? "'" : "", err);
	free(err);
	free(arg);
	return v;
}

/* A host predicate name at the cursor, consumed; NULL if none. */
static const char *
cond_pred_name(struct cond *c)
{
	const char *const *names = c->doc->opts.predicates;

	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		if (cond_take(c, names[i]))
			return names[i];
	}
	return NULL;
}

/* No term where one must be: says what was there (the end, or a call
   of a function that does not exist) and which terms there are, the
   document's own functions among them. */
static void
cond_fail_term(struct cond *c)
{
	const char *const *names = c->doc->opts.predicates;
	const char *p;
	size_t n;
	struct strlist l = { 0 };
	char *known, *what;

	cond_skip(c);
	p = c->p;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789_-");
	strlist_add(&l, "In('id')");
	for (size_t i = 0; names != NULL && names[i] != NULL; i++)
		strlist_addf(&l, "%s()", names[i]);
	strlist_add(&l, "true, false, not, or a condition in parentheses");
	known = strlist_join_sep(&l, ", ");
	strlist_clear(&l);
	if (*p == '\0')
		what = xasprintf("the condition ends where a term must follow "
				 "(%s)", known);
	else if (n > 0 && p[n + strspn(p + n, " \t")] == '(')
		what = xasprintf("unknown function '%.*s' (a term is %s)",
				 (int)(n > 40 ? 40 : n), p, known);
	else
		what = xasprintf("expected %s", known);
	cond_fail(c, what);
	free(what);
	free(known);
}

static bool
cond_unary(struct cond *c)
{
	const char *pred;
	bool v;

	if (c->error != NULL)
		return false;
	if (c->depth > COND_DEPTH_MAX) {
		cond_fail(c, "nested more than " STR(COND_DEPTH_MAX) " deep");
		return false;
	}
	if (cond_take(c, "!") || cond_take(c, "not")) {
		c->depth++;
		v = !cond_unary(c);
		c->depth--;
		return v;
	}
	if (cond_take(c, "true"))
		return true;
	if (cond_take(c, "false"))
		return false;
	if (cond_take(c, "In"))
		return cond_in(c);
	if ((pred = cond_pred_name(c)) != NULL)
		return cond_pred(c, pred);
	if (cond_take(c, "(")) {
		c->depth++;
		v = cond_or(c);
		c->depth--;
		if (!cond_take(c, ")"))
			cond_fail(c, "expected )");
		return v;
	}
	cond_fail_term(c);
	return false;
}

static bool
cond_and(struct cond *c)
{
	bool v = cond_unary(c);

	while (c->error == NULL &&
	       (cond_take(c, "&&") || cond_take(c, "and"))) {
		bool w = cond_unary(c);

		v = v && w;
	}
	return v;
}

static bool
cond_or(struct cond *c)
{
	bool v = cond_and(c);

	while (c->error == NULL &&
	       (cond_take(c, "||") || cond_take(c, "or"))) {
		bool w = cond_and(c);

		v = v || w;
	}
	return v;
}

int
scxml_cond_eval(const struct scxml *doc, const char *text,
		struct scxml_session *s, bool *value_r, char **error_r)
{
	struct cond c = { .p = text, .doc = doc, .s = s };

	*value_r = cond_or(&c);
	cond_skip(&c);
	if (c.error == NULL && *c.p != '\0')
		cond_fail(&c, "unexpected text");
	if (c.error != NULL) {
		*error_r = c.error;
		return -1;
	}
	return 0;
}

int
scxml_parse_delay(const char *text, uint64_t *ms_r)
{
	static const struct { const char *unit; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	/* a CSS2 time as SCXML has it, with a fraction ("1.5s", ".5s"):
	   N + FRAC / DEN units, in whole milliseconds */
	uint64_t n = 0, frac = 0, den = 1;
	const char *p = text;
	bool digits = false;

	while (isspace((unsigned char)*p))
		p++;
	for (; isdigit((unsigned char)*p); p++) {
		if (n > UINT64_C(1000000000))
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
		digits = true;
	}
	if (*p == '.') {
		if (!isdigit((unsigned char)p[1]))
			return -1;
		for (p++; isdigit((unsigned char)*p); p++) {
			if (den < UINT64_C(1000000000)) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				den *= 10;
			}
		}
		digits = true;
	}
	if (!digits)
		return -1;
	for (size_t i = 0; i < N_ELEMENTS(units); i++) {
		if (strcmp(p, units[i].unit) == 0) {
			*ms_r = n * units[i].ms + frac * units[i].ms / den;
			return 0;
		}
	}
	return -1;
}

/* Does the single descriptor D (LEN bytes) match NAME? */
static bool
descriptor_match(const char *d, size_t len, const char *name)
{
	if (len == 1 && d[0] == '*')
		return true;
	if (len >= 2 && d[len - 2] == '.' && d[len - 1] == '*')
		len -= 2;
	else if (len >= 1 && d[len - 1] == '.')
		len--;
	return len > 0 && strncmp(d, name, len) == 0 &&
		(name[len] == '\0' || name[len] == '.');
}

bool
scxml_event_match(const char *descriptors, const char *name)
{
	const char *p = descriptors;

	while (*p != '\0') {
		size_t len;

		p += strspn(p, " \t\r\n");
		len = strcspn(p, " \t\r\n");
		if (len > 0 && descriptor_match(p, len, name))
			return true;
		p += len;
	}
	return false;
}

/* Checks ATTR of NODE is a single event name (no spaces, not empty). */
static bool
valid_event_name(const char *s)
{
	return s != NULL && s[0] != '\0' && strcspn(s, " \t\r\n*") == strlen(s);
}

static void CIRM_PRINTF(4, 5)
exec_error(const struct scxml *doc, const xmlNode *node,
	   struct strlist *errors, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_addf(errors, "%s:%ld: %s", doc->name, xmlGetLineNo(node), msg);
	free(msg);
}

/* Reports unqualified attributes of NODE outside ALLOWED (a list). */
static void
exec_attrs(const struct scxml *doc, const xmlNode *node,
	   const char *const *allowed, struct strlist *errors)
{
	for (const xmlAttr *a = node->properties; a != NULL; a = a->next) {
		bool ok = a->ns != NULL;

		for (size_t i = 0; allowed[i] != NULL && !ok; i++)
			ok = strcmp((const char *)a->name, allowed[i]) == 0;
		if (!ok)
			exec_error(doc, node, errors, "unknown attribute %s "
				   "on <%s>", (const char *)a->name,
				   (const char *)node->name);
	}
}

static char *
prop(const xmlNode *node, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)name);
	char *s = v != NULL ? xstrdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

static void
check_send(const struct scxml *doc, const xmlNode *n, struct strlist *errors)
{
	static const char *const attrs[] = {
		"event", "target", "delay", "id", "type", NULL
	};
	char *event = prop(n, "event"), *target = prop(n, "target");
	char *delay = prop(n, "delay"), *type = prop(n, "type");
	uint64_t ms;

	exec_attrs(doc, n, attrs, errors);
	if (!valid_event_name(event))
		exec_error(doc, n, errors, "<send> needs an event name");
	if (target != NULL && strcmp(target, "#_internal") != 0)
		exec_error(doc, n, errors, "<send> target '%s' is not "
			   "supported (only #_internal)", target);
	if (delay != NULL && scxml_parse_delay(delay, &ms) < 0)
		exec_error(doc, n, errors, "bad delay '%s' (e.g. 500ms, 5s, "
			   "2m, 1h)", delay);
	if (type != NULL && strcmp(type, SCXML_EVENT_PROCESSOR) != 0)
		exec_error(doc, n, errors, "<send> type '%s' is not "
			   "supported", type);
	free(event);
	free(target);
	free(delay);
	free(type);
}

static void
check_cond_attr(const struct scxml *doc, const xmlNode *n,
		struct strlist *errors)
{
	static const char *const attrs[] = { "cond", NULL };
	char *cond = prop(n, "cond"), *err = NULL;
	bool v;

	exec_attrs(doc, n, attrs, errors);
	if (cond == NULL)
		exec_error(doc, n, errors, "<%s> needs cond",
			   (const char *)n->name);
	else if (scxml_cond_eval(doc, cond, NULL, &v, &err) < 0) {
		exec_error(doc, n, errors, "%s", err);
		free(err);
	}
	free(cond);
}

static void
check_one(const struct scxml *doc, const xmlNode *n, bool in_if,
	  struct strlist *errors)
{
	static const char *const raise_attrs[] = { "event", NULL };
	static const char *const cancel_attrs[] = { "sendid", NULL };
	static const char *const log_attrs[] = { "label", "expr", NULL };
	static const char *const no_attrs[] = { NULL };
	const char *name = (const char *)n->name;
	char *v;

	if (strcmp(name, "raise") == 0) {
		exec_attrs(doc, n, raise_attrs, errors);
		v = prop(n, "event");
		if (!valid_event_name(v))
			exec_error(doc, n, errors, "<raise> needs an event");
		free(v);
	} else if (strcmp(name, "send") == 0) {
		check_send(doc, n, errors);
	} else if (strcmp(name, "cancel") == 0) {
		exec_attrs(doc, n, cancel_attrs, errors);
		v = prop(n, "sendid");
		if (v == NULL || v[0] == '\0')
			exec_error(doc, n, errors, "<cancel> needs sendid");
		free(v);
	} else if (strcmp(name, "log") == 0) {
		exec_attrs(doc, n, log_attrs, errors);
	} else if (strcmp(name, "if") == 0) {
		check_cond_attr(doc, n, errors);
		scxml_check_exec(doc, n, errors);
	} else if (in_if && strcmp(name, "elseif") == 0) {
		check_cond_attr(doc, n, errors);
	} else if (in_if && strcmp(name, "else") == 0) {
		exec_attrs(doc, n, no_attrs, errors);
	} else if (strcmp(name, "assign") == 0 || strcmp(name, "script") == 0 ||
		   strcmp(name, "foreach") == 0) {
		exec_error(doc, n, errors, "<%s> is not supported with the "
			   "null datamodel", name);
	} else {
		exec_error(doc, n, errors, "unknown element <%s> in <%s>",
			   name, (const char *)n->parent->name);
	}
}

void
scxml_check_exec(const struct scxml *doc, const xmlNode *node,
		 struct strlist *errors)
{
	bool in_if = scxml_node_is(node, "if");

	for (const xmlNode *n = node->children; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && n->ns != NULL &&
		    strcmp((const char *)n->ns->href, SCXML_NAMESPACE) == 0)
			check_one(doc, n, in_if, errors);
	}
}
