/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Validation without recompiling pattern facets. libxml2 builds,
   compiles and frees a pattern facet's regular expression for every
   value it checks against it (xmlRelaxNGSchemaFacetCheck): for a
   workflow of 500 states that was over half of loading it. So a second
   schema is compiled, the built-in one with every <param
   name="pattern"> removed, and the patterns are checked apart with
   their regular expressions compiled once, by libxml2's own engine.

   The table of patterns is derived from the schema's grammar: for each
   element of the workflow namespace, what each of its attributes (or
   its text) must match. A document passes only when the pattern-free
   schema and the table both accept it; then the full schema accepts
   it too. Everything else (an invalid document, or a schema with a
   pattern where the derivation below does not follow it) goes to the
   full validation, which says what is wrong. */
#include "config.h"

#include "workflow-patterns.h"
#include "workflow-private.h"

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlregexp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RNG_NS "http://relaxng.org/ns/structure/1.0"
#define XSD_LIB "http://www.w3.org/2001/XMLSchema-datatypes"
/* Deepest chain of <ref>s followed without meeting an <element>. */
#define MAX_REF_DEPTH 32

/* What a value must match. */
struct checker {
	enum { CK_PATTERN, CK_LIST, CK_CHOICE } kind;
	/* CK_PATTERN: the pattern; whether its type is string (then the
	   value is matched as written, else it must hold no white space,
	   which the type's normalisation would change) */
	char *regex;
	xmlRegexp *re;
	bool string;
	/* CK_LIST: what each white-space-separated token must pass */
	struct checker *item;
	/* CK_CHOICE: equal to one of VALUES, or passing one of ALTS */
	char **values;
	size_t nvalues;
	struct checker **alts;
	size_t nalts;
};

/* The ATTR (in ATTR_NS, "" for none) of <ELEMENT>, or its text when
   ATTR is NULL, must pass CK (NULL: the pattern-free schema judges
   alone). When WHEN_ATTR is set, only if that attribute's value is
   WHEN_VALUE: the rule comes from a <group> that fixes it, as <set>'s
   field fixes what its value is. */
struct rule {
	char *element, *attr_ns, *attr;
	char *when_attr, *when_value;
	struct checker *ck;
};

struct table {
	bool usable;
	xmlRelaxNG *fast;	/* the schema without pattern facets */
	/* once derived, only those with a checker, by element name */
	struct rule *rules;
	size_t nrules;
};

/* While deriving a table from the schema document. */
struct walk {
	const xmlNode *grammar;
	struct table *t;
	int depth;
};

static struct table shipped;
static pthread_once_t shipped_once = PTHREAD_ONCE_INIT;

static bool
rng_is(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
		xmlStrcmp(n->ns->href, (const xmlChar *)RNG_NS) == 0 &&
		(name == NULL || xmlStrcmp(n->name, (const xmlChar *)name) == 0);
}

/* The attribute NAME of an RNG element, trimmed as RelaxNG trims names
   and types; NULL when absent. */
static char *
rng_attr(const xmlNode *n, const char *name)
{
	char *v = workflow_attr(n, name), *p, *e;

	if (v == NULL)
		return NULL;
	p = v + strspn(v, " \t\r\n");
	for (e = p + strlen(p); e > p && strchr(" \t\r\n", e[-1]) != NULL;)
		e--;
	*e = '\0';
	memmove(v, p, strlen(p) + 1);
	return v;
}

/* The value of attribute NAME on N or its nearest RNG ancestor that has
   it (ns and datatypeLibrary are inherited), or "" (caller frees). */
static char *
inherited(const xmlNode *n, const char *name)
{
	for (; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent) {
		char *v = rng_attr(n, name);

		if (v != NULL)
			return v;
	}
	return xstrdup("");
}

static void
disable(struct walk *w)
{
	w->t->usable = false;
}

/* The only element child of N's children list C, or NULL; *COUNT_R
   how many there are. */
static const xmlNode *
only_child(const xmlNode *c, size_t *count_r)
{
	const xmlNode *only = NULL;

	*count_r = 0;
	for (; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE) {
			only = c;
			(*count_r)++;
		}
	return *count_r == 1 ? only : NULL;
}

/* The <define> called NAME; NULL (and the table unusable) when there
   is none, or several, or one combined with others. */
static const xmlNode *
find_define(struct walk *w, const xmlNode *ref)
{
	char *name = rng_attr(ref, "name");
	const xmlNode *found = NULL;
	size_t count = 0;

	for (const xmlNode *d = w->grammar->children; name != NULL && d != NULL;
	     d = d->next) {
		char *dn;

		if (!rng_is(d, "define"))
			continue;
		dn = rng_attr(d, "name");
		if (dn != NULL && strcmp(dn, name) == 0) {
			found = d;
			/* combined with another, maybe from an include */
			count += xmlHasProp(d, (const xmlChar *)"combine") !=
				NULL ? 2 : 1;
		}
		free(dn);
	}
	free(name);
	if (count != 1) {
		disable(w);
		return NULL;
	}
	return found;
}

/* Whether the children C hold a pattern, through <ref>s, but not
   inside a nested <element> (each element is walked on its own). */
static bool
has_pattern(struct walk *w, const xmlNode *c)
{
	bool found = false;

	if (w->depth > MAX_REF_DEPTH)
		return true;
	for (; c != NULL && !found; c = c->next) {
		char *name;

		if (!rng_is(c, NULL) || rng_is(c, "element"))
			continue;
		if (rng_is(c, "param")) {
			name = rng_attr(c, "name");
			found = name != NULL && strcmp(name, "pattern") == 0;
			free(name);
		} else if (rng_is(c, "ref")) {
			const xmlNode *d = find_define(w, c);

			w->depth++;
			found = d == NULL || has_pattern(w, d->children);
			w->depth--;
		} else {
			found = has_pattern(w, c->children);
		}
	}
	return found;
}

/* N, or what the chain of <ref>s starting at N stands for: the single
   pattern of a <define>, or the <define> itself when it has several
   (a group, which no rule below takes). NULL when unusable. */
static const xmlNode *
deref(struct walk *w, const xmlNode *n)
{
	for (int i = 0; rng_is(n, "ref"); i++) {
		const xmlNode *d = find_define(w, n), *only;
		size_t count;

		if (d == NULL || i > MAX_REF_DEPTH) {
			disable(w);
			return NULL;
		}
		only = only_child(d->children, &count);
		n = only != NULL ? only : d;
	}
	return n;
}

static void
checker_free(struct checker *ck)
{
	if (ck == NULL)
		return;
	free(ck->regex);
	if (ck->re != NULL)
		xmlRegFreeRegexp(ck->re);
	checker_free(ck->item);
	for (size_t i = 0; i < ck->nvalues; i++)
		free(ck->values[i]);
	free(ck->values);
	for (size_t i = 0; i < ck->nalts; i++)
		checker_free(ck->alts[i]);
	free(ck->alts);
	free(ck);
}

static void
rule_free(struct rule *r)
{
	free(r->element);
	free(r->attr_ns);
	free(r->attr);
	free(r->when_attr);
	free(r->when_value);
	checker_free(r->ck);
}

static bool
checker_equal(const struct checker *a, const struct checker *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case CK_PATTERN:
		return a->string == b->string && strcmp(a->regex, b->regex) == 0;
	case CK_LIST:
		return checker_equal(a->item, b->item);
	case CK_CHOICE:
		if (a->nvalues != b->nvalues || a->nalts != b->nalts)
			return false;
		for (size_t i = 0; i < a->nvalues; i++)
			if (strcmp(a->values[i], b->values[i]) != 0)
				return false;
		for (size_t i = 0; i < a->nalts; i++)
			if (!checker_equal(a->alts[i], b->alts[i]))
				return false;
		return true;
	}
	return false;
}

/* Whether the <data> or <value> N has XML Schema's (or the built-in)
   type string, whose values are compared as written. */
static bool
type_is_string(const xmlNode *n)
{
	char *type = rng_attr(n, "type"), *lib = inherited(n,
							    "datatypeLibrary");
	bool is = type != NULL && strcmp(type, "string") == 0 &&
		(strcmp(lib, XSD_LIB) == 0 || lib[0] == '\0');

	free(type);
	free(lib);
	return is;
}

/* The checker of the <data> N: NULL when it has no pattern (or the
   table became unusable). Its other facets and its <except> stay in
   the pattern-free schema, which checks them; in a <choice>
   (IN_CHOICE) there must be none, since a value passing one
   alternative's facets and another's pattern would pass both checks. */
static struct checker *
derive_data(struct walk *w, const xmlNode *n, bool in_choice)
{
	const xmlNode *regex = NULL;
	size_t patterns = 0, others = 0;
	struct checker *ck;
	char *lib;

	for (const xmlNode *c = n->children; c != NULL; c = c->next) {
		char *name;

		if (rng_is(c, "except")) {
			others++;
			/* a pattern removed inside <except> would widen
			   what the except takes away */
			if (has_pattern(w, c->children))
				disable(w);
			continue;
		}
		if (!rng_is(c, "param"))
			continue;
		name = rng_attr(c, "name");
		if (name != NULL && strcmp(name, "pattern") == 0) {
			regex = c;
			patterns++;
		} else {
			others++;
		}
		free(name);
	}
	if (patterns == 0)
		return NULL;
	lib = inherited(n, "datatypeLibrary");
	if (patterns > 1 || strcmp(lib, XSD_LIB) != 0 ||
	    (in_choice && (others > 0 || !type_is_string(n)))) {
		free(lib);
		disable(w);
		return NULL;
	}
	free(lib);
	ck = xcalloc(1, sizeof(*ck));
	ck->kind = CK_PATTERN;
	ck->regex = (char *)xmlNodeGetContent(regex);
	if (ck->regex == NULL)
		abort();
	ck->re = xmlRegexpCompile((const xmlChar *)ck->regex);
	ck->string = type_is_string(n);
	if (ck->re == NULL)
		disable(w);
	return ck;
}

static struct checker *derive(struct walk *w, const xmlNode *content);

/* <list><oneOrMore>X</oneOrMore></list>: each token must pass X. */
static struct checker *
derive_list(struct walk *w, const xmlNode *n)
{
	const xmlNode *more, *item;
	struct checker *ck, *inner;
	size_t count;

	more = only_child(n->children, &count);
	item = rng_is(more, "oneOrMore") ? only_child(more->children, &count) :
		NULL;
	if (item == NULL) {
		if (has_pattern(w, n->children))
			disable(w);
		return NULL;
	}
	inner = derive(w, item);
	if (inner == NULL)
		return NULL;
	ck = xcalloc(1, sizeof(*ck));
	ck->kind = CK_LIST;
	ck->item = inner;
	return ck;
}

/* A <choice> of string <value>s and string <data> with only a pattern:
   one of the values, or a match of one of the patterns. */
static struct checker *
derive_choice(struct walk *w, const xmlNode *n)
{
	struct checker *ck = xcalloc(1, sizeof(*ck));
	bool other = false;

	ck->kind = CK_CHOICE;
	for (const xmlNode *c = n->children; c != NULL; c = c->next) {
		const xmlNode *alt;
		struct checker *a;

		if (!rng_is(c, NULL))
			continue;
		alt = deref(w, c);
		if (rng_is(alt, "value") && type_is_string(alt)) {
			char *v = (char *)xmlNodeGetContent(alt);

			SCXML_PUSH(ck->values, ck->nvalues, xstrdup(v != NULL ?
								     v : ""));
			xmlFree(v);
		} else if (rng_is(alt, "data") &&
			   (a = derive_data(w, alt, true)) != NULL) {
			SCXML_PUSH(ck->alts, ck->nalts, a);
		} else {
			other = true;
		}
	}
	if (ck->nalts == 0 || other) {
		/* no pattern (the schema judges alone), or one beside
		   something this does not follow */
		if (ck->nalts > 0 || has_pattern(w, n->children))
			disable(w);
		checker_free(ck);
		return NULL;
	}
	return ck;
}

/* The checker of an attribute's or element's value pattern (CONTENT
   and its siblings): NULL when it has no pattern. */
static struct checker *
derive(struct walk *w, const xmlNode *content)
{
	size_t count;
	const xmlNode *n = only_child(content, &count);

	if (n == NULL) {
		if (count > 1 && has_pattern(w, content))
			disable(w);
		return NULL;
	}
	n = deref(w, n);
	if (rng_is(n, "data"))
		return derive_data(w, n, false);
	if (rng_is(n, "list"))
		return derive_list(w, n);
	if (rng_is(n, "choice"))
		return derive_choice(w, n);
	if (n != NULL && !rng_is(n, "value") &&
	    has_pattern(w, rng_is(n, "define") ? n->children : n))
		disable(w);
	return NULL;
}

/* In a <group> beside the <attribute> A, another unqualified attribute
   of one fixed string value: its name and value, else NULLs. */
static void
group_condition(const xmlNode *a, char **attr_r, char **value_r)
{
	*attr_r = *value_r = NULL;
	if (!rng_is(a->parent, "group"))
		return;
	for (const xmlNode *b = a->parent->children; b != NULL; b = b->next) {
		const xmlNode *v;
		size_t count;
		char *ns;

		if (b == a || !rng_is(b, "attribute") ||
		    xmlHasProp(b, (const xmlChar *)"name") == NULL)
			continue;
		v = only_child(b->children, &count);
		ns = rng_attr(b, "ns");
		if (rng_is(v, "value") && type_is_string(v) &&
		    (ns == NULL || ns[0] == '\0')) {
			char *text = (char *)xmlNodeGetContent(v);

			*attr_r = rng_attr(b, "name");
			*value_r = xstrdup(text != NULL ? text : "");
			xmlFree(text);
			free(ns);
			return;
		}
		free(ns);
	}
}

static bool
same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* Adds R to the table, unless it has it already. One attribute with
   different rules is only followed when each comes from a group fixing
   the same other attribute to a different value. */
static void
add_rule(struct walk *w, struct rule r)
{
	struct table *t = w->t;

	for (size_t i = 0; i < t->nrules; i++) {
		const struct rule *o = &t->rules[i];

		if (strcmp(o->element, r.element) != 0 ||
		    !same(o->attr_ns, r.attr_ns) || !same(o->attr, r.attr))
			continue;
		if (same(o->when_attr, r.when_attr) &&
		    same(o->when_value, r.when_value) &&
		    checker_equal(o->ck, r.ck)) {
			rule_free(&r);
			return;
		}
		if (o->when_attr == NULL || r.when_attr == NULL ||
		    strcmp(o->when_attr, r.when_attr) != 0 ||
		    strcmp(o->when_value, r.when_value) == 0)
			disable(w);
	}
	SCXML_PUSH(t->rules, t->nrules, r);
}

/* The rules of the <attribute> A of <ELEMENT>. */
static void
walk_attribute(struct walk *w, const char *element, const xmlNode *a)
{
	struct rule r = { 0 };
	char *name = rng_attr(a, "name");

	if (name == NULL) {
		/* a name class: foreign attributes, which must carry no
		   pattern */
		if (has_pattern(w, a->children))
			disable(w);
		return;
	}
	if (strchr(name, ':') != NULL) {
		free(name);
		disable(w);
		return;
	}
	r.element = xstrdup(element);
	r.attr = name;
	/* an attribute's namespace is not inherited: none unless said */
	r.attr_ns = rng_attr(a, "ns");
	if (r.attr_ns == NULL)
		r.attr_ns = xstrdup("");
	group_condition(a, &r.when_attr, &r.when_value);
	r.ck = derive(w, a->children);
	add_rule(w, r);
}

/* The rules of the content C of <ELEMENT>, down to nested elements.
   IN_CHOICE: inside a <choice>, where a patterned text would be one
   alternative among others. */
static void
walk_content(struct walk *w, const char *element, const xmlNode *c,
	     bool in_choice)
{
	if (w->depth > MAX_REF_DEPTH) {
		disable(w);
		return;
	}
	for (; c != NULL && w->t->usable; c = c->next) {
		if (!rng_is(c, NULL) || rng_is(c, "element"))
			continue;
		if (rng_is(c, "attribute")) {
			walk_attribute(w, element, c);
		} else if (rng_is(c, "ref")) {
			const xmlNode *d = find_define(w, c);

			w->depth++;
			if (d != NULL)
				walk_content(w, element, d->children,
					     in_choice);
			w->depth--;
		} else if (rng_is(c, "group") || rng_is(c, "optional") ||
			   rng_is(c, "zeroOrMore") || rng_is(c, "oneOrMore") ||
			   rng_is(c, "interleave") || rng_is(c, "mixed")) {
			walk_content(w, element, c->children, in_choice);
		} else if (rng_is(c, "choice")) {
			walk_content(w, element, c->children, true);
		} else if (rng_is(c, "data") || rng_is(c, "list")) {
			struct rule r = { .element = xstrdup(element) };

			r.ck = rng_is(c, "data") ? derive_data(w, c, false) :
				derive_list(w, c);
			if (r.ck != NULL && in_choice)
				disable(w);
			add_rule(w, r);
		} else if (!rng_is(c, "value") && !rng_is(c, "text") &&
			   !rng_is(c, "empty") && !rng_is(c, "notAllowed")) {
			disable(w);
		}
	}
}

/* Every <element> of the schema: those named in the workflow namespace
   give rules, the others must carry no pattern. */
static void
walk_elements(struct walk *w, const xmlNode *n)
{
	for (; n != NULL && w->t->usable; n = n->next) {
		char *name, *ns;

		if (!rng_is(n, NULL))
			continue;
		if (rng_is(n, "include") || rng_is(n, "externalRef") ||
		    rng_is(n, "parentRef") || rng_is(n, "div") ||
		    (rng_is(n, "grammar") && n != w->grammar)) {
			disable(w);
			return;
		}
		if (rng_is(n, "element")) {
			name = rng_attr(n, "name");
			ns = inherited(n, "ns");
			if (name != NULL && strchr(name, ':') == NULL &&
			    strcmp(ns, WORKFLOW_NAMESPACE) == 0)
				walk_content(w, name, n->children, false);
			/* foreign elements (a name class) carry none */
			else if (has_pattern(w, n->children))
				disable(w);
			free(name);
			free(ns);
		}
		walk_elements(w, n->children);
	}
}

/* Removes every pattern facet under N. */
static void
strip_patterns(xmlNode *n)
{
	while (n != NULL) {
		xmlNode *next = n->next;
		char *name = rng_is(n, "param") ? rng_attr(n, "name") : NULL;

		if (name != NULL && strcmp(name, "pattern") == 0) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		} else {
			strip_patterns(n->children);
		}
		free(name);
		n = next;
	}
}

static void
quiet(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

static int
rule_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rule *)a)->element,
		      ((const struct rule *)b)->element);
}

/* Keeps the rules with a checker, sorted for element_passes(). */
static void
table_sort(struct table *t)
{
	size_t kept = 0;

	for (size_t i = 0; i < t->nrules; i++) {
		if (t->rules[i].ck != NULL)
			t->rules[kept++] = t->rules[i];
		else
			rule_free(&t->rules[i]);
	}
	t->nrules = kept;
	if (kept > 0)
		qsort(t->rules, kept, sizeof(*t->rules), rule_cmp);
}

static void
table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrules; i++)
		rule_free(&t->rules[i]);
	free(t->rules);
	if (t->fast != NULL)
		xmlRelaxNGFree(t->fast);
	memset(t, 0, sizeof(*t));
}

/* The table and the pattern-free schema of the schema RNG. */
static void
table_build(struct table *t, const char *rng, size_t len)
{
	xmlDoc *doc = xmlReadMemory(rng, (int)len, "cirm-workflow.rng", NULL,
				    XML_PARSE_NONET);
	struct walk w = { .t = t };
	xmlRelaxNGParserCtxt *pc;

	memset(t, 0, sizeof(*t));
	if (doc == NULL)
		return;
	t->usable = true;
	w.grammar = xmlDocGetRootElement(doc);
	if (!rng_is(w.grammar, "grammar"))
		disable(&w);
	else
		walk_elements(&w, w.grammar);
	if (t->usable) {
		strip_patterns(xmlDocGetRootElement(doc));
		pc = xmlRelaxNGNewDocParserCtxt(doc);
		if (pc == NULL)
			abort();
		xmlRelaxNGSetParserStructuredErrors(pc, quiet, NULL);
		t->fast = xmlRelaxNGParse(pc);
		xmlRelaxNGFreeParserCtxt(pc);
		t->usable = t->fast != NULL;
	}
	xmlFreeDoc(doc);
	if (t->usable)
		table_sort(t);
	else
		table_free(t);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
passes(const struct checker *ck, const char *value)
{
	switch (ck->kind) {
	case CK_PATTERN:
		if (!ck->string)
			for (const char *p = value; *p != '\0'; p++)
				if (is_space(*p))
					return false;
		return xmlRegexpExec(ck->re, (const xmlChar *)value) == 1;
	case CK_LIST:
		for (const char *p = value; *p != '\0';) {
			size_t n;
			char *token;
			bool ok;

			while (is_space(*p))
				p++;
			for (n = 0; p[n] != '\0' && !is_space(p[n]); n++)
				;
			if (n == 0)
				break;
			token = xstrndup(p, n);
			ok = passes(ck->item, token);
			free(token);
			if (!ok)
				return false;
			p += n;
		}
		return true;
	case CK_CHOICE:
		for (size_t i = 0; i < ck->nvalues; i++)
			if (strcmp(ck->values[i], value) == 0)
				return true;
		for (size_t i = 0; i < ck->nalts; i++)
			if (passes(ck->alts[i], value))
				return true;
		return false;
	}
	return false;
}

/* The text of N as libxml2 validates an element's data: its text and
   CDATA children joined (caller frees). */
static char *
text_of(const xmlNode *n)
{
	char *out = xstrdup("");

	for (const xmlNode *c = n->children; c != NULL; c = c->next)
		if ((c->type == XML_TEXT_NODE ||
		     c->type == XML_CDATA_SECTION_NODE) && c->content != NULL) {
			char *more = xasprintf("%s%s", out,
					       (const char *)c->content);

			free(out);
			out = more;
		}
	return out;
}

/* Whether R's group condition holds for N. */
static bool
applies(const struct rule *r, const xmlNode *n)
{
	char *v;
	bool holds;

	if (r->when_attr == NULL)
		return true;
	v = workflow_attr(n, r->when_attr);
	holds = v != NULL && strcmp(v, r->when_value) == 0;
	free(v);
	return holds;
}

/* Whether N and the elements of the workflow namespace in it pass the
   table (elements of other namespaces take anything). */
static bool
element_passes(const struct table *t, const xmlNode *n)
{
	size_t lo = 0, hi = t->nrules;

	/* the first rule of N's name */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(t->rules[mid].element, (const char *)n->name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < t->nrules &&
	     strcmp(t->rules[i].element, (const char *)n->name) == 0; i++) {
		const struct rule *r = &t->rules[i];
		char *value = NULL;
		bool ok = true;

		if (!applies(r, n))
			continue;
		if (r->attr == NULL) {
			value = text_of(n);
		} else {
			xmlAttr *a = xmlHasNsProp(n, (const xmlChar *)r->attr,
						  r->attr_ns[0] != '\0' ?
						  (const xmlChar *)r->attr_ns :
						  NULL);

			if (a != NULL && a->type == XML_ATTRIBUTE_NODE)
				value = (char *)xmlNodeListGetString(
					n->doc, a->children, 1);
			if (a != NULL && value == NULL)
				value = (char *)xmlStrdup((const xmlChar *)"");
		}
		if (value != NULL)
			ok = passes(r->ck, value);
		if (r->attr == NULL)
			free(value);
		else
			xmlFree(value);
		if (!ok)
			return false;
	}
	for (const xmlNode *c = n->children; c != NULL; c = c->next)
		if (workflow_node_is(c, NULL) && !element_passes(t, c))
			return false;
	return true;
}

static int
table_valid(const struct table *t, xmlDoc *doc)
{
	xmlRelaxNGValidCtxt *vc;
	xmlNode *root = xmlDocGetRootElement(doc);
	int ret;

	if (!t->usable || root == NULL)
		return 0;
	vc = xmlRelaxNGNewValidCtxt(t->fast);
	if (vc == NULL)
		abort();
	xmlRelaxNGSetValidStructuredErrors(vc, quiet, NULL);
	ret = xmlRelaxNGValidateDoc(vc, doc);
	xmlRelaxNGFreeValidCtxt(vc);
	return ret == 0 && workflow_node_is(root, NULL) &&
		element_passes(t, root);
}

static void
build_shipped(void)
{
	table_build(&shipped, workflow_schema_rng, workflow_schema_rng_len);
}

int
workflow_patterns_valid(xmlDoc *doc)
{
	pthread_once(&shipped_once, build_shipped);
	return table_valid(&shipped, doc);
}

bool
workflow_patterns_enabled(void)
{
	pthread_once(&shipped_once, build_shipped);
	return shipped.usable;
}

bool
workflow_patterns_usable(const char *rng, size_t len)
{
	struct table t;
	bool usable;

	table_build(&t, rng, len);
	usable = t.usable;
	table_free(&t);
	return usable;
}
