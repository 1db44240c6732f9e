/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Which attribute value the workflow schema refuses, and what it takes.
   libxml2 says only that an element's attributes "failed to validate",
   or names the attribute ("Invalid attribute id for element state")
   without its value or its rule: an administrator who wrote
   id="väntar-svar" or days="Mon-Fri" could not tell what is wrong. Each
   value is validated alone against the schema's own pattern for that
   attribute, so that the schema stays the one judge. */
#include "config.h"

#include "workflow-private.h"

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <stdlib.h>
#include <string.h>

#define RNG_NS "http://relaxng.org/ns/structure/1.0"
/* The most bytes of a refused value repeated in its message. */
#define VALUE_SHOWN 64

#define NAME_WORDS "a letter, then letters, digits, '_', '.' or '-' " \
	"(a to z only: no å, ä or ö)"

/* The schema's named patterns, in words. */
static const struct {
	const char *define, *words;
} hints[] = {
	{ "workflow-id", "a lower-case letter, then up to 63 lower-case "
	  "letters (a to z), digits, '_' or '-'" },
	{ "version", "a whole number from 1, without sign or leading "
	  "zeros" },
	{ "state-id", NAME_WORDS }, { "timer-id", NAME_WORDS },
	{ "role-id", NAME_WORDS }, { "calendar-ref", NAME_WORDS },
	{ "calendar-id", NAME_WORDS ", and not sweden or none" },
	{ "template-id", "a file name: a letter or digit, then letters, "
	  "digits, '_', '.' or '-' (a to z only)" },
	{ "command-word", "up to 32 letters (a to z, å, ä, ö), digits and "
	  "'-', not starting with '-'" },
	{ "event-name", "an event such as cmd.resolve: words of letters (a "
	  "to z), digits, '_' or '-', joined by '.'" },
	{ "event-descriptor", "events such as cmd.resolve or timer.*, "
	  "separated by spaces" },
	{ "days", "days such as mon-fri or mon,wed-fri: mon, tue, wed, thu, "
	  "fri, sat and sun, in lower case, without spaces" },
	{ "clock-time", "a time HH:MM, such as 08:00" },
	{ "clock-time-end", "a time HH:MM, such as 16:30, or 24:00" },
	{ "date", "a date YYYY-MM-DD that exists, such as 2026-05-15" },
	{ "group-name", "a name without white space" },
	{ "priority", "low, normal, high or urgent" },
	{ "state-category", "initial, active, waiting or inactive" },
	{ "category-word", "one word of letters, digits, '_' or '-'" },
	{ "label", "a text that is not blank, at most 500 characters" },
	{ "state-label", "a text of at most 40 characters with a letter or "
	  "digit in it" },
	{ "condition", "a condition, not blank" },
	{ "role-ref", "role:ROLE" }, { "group-ref", "group:GROUP" },
	{ "handler-ref", "handler:LOGIN" },
};

/* One attribute's pattern in the schema, compiled as the content of an
   element <v>; its words for people, or NULL. */
struct pattern {
	char element[32], attribute[32];
	bool xml_ns;		/* an attribute in the xml: namespace */
	/* in a <group> with an attribute of one fixed value (<set
	   field="priority" value="...">): that attribute and value */
	char *when_attr, *when_value;
	xmlRelaxNG *rng;
	char *words;
};

static struct pattern *patterns;
static size_t npatterns;
static bool collected;

static bool
rng_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
		strcmp((const char *)n->ns->href, RNG_NS) == 0 &&
		strcmp((const char *)n->name, name) == 0;
}

static char *
rng_name(const xmlNode *n)
{
	return workflow_attr(n, "name");
}

static char *
hint(const xmlNode *ref)
{
	char *name = rng_name(ref), *out = NULL;

	for (size_t i = 0; name != NULL && i < N_ELEMENTS(hints); i++)
		if (strcmp(hints[i].define, name) == 0)
			out = xstrdup(hints[i].words);
	free(name);
	return out;
}

/* What the pattern P (the children of an <attribute>) takes, in words:
   a named pattern's hint, or the values of a choice of values. */
static char *
words_of(const xmlNode *p)
{
	const xmlNode *only = NULL;
	size_t elements = 0;
	char *out = NULL;

	for (const xmlNode *c = p; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE) {
			only = c;
			elements++;
		}
	if (elements != 1)
		return NULL;
	if (rng_is(only, "list"))
		return words_of(only->children);
	if (rng_is(only, "oneOrMore") && only->children != NULL)
		return words_of(only->children);
	if (rng_is(only, "ref"))
		return hint(only);
	if (rng_is(only, "data")) {
		/* a string with only a length (a command's help) */
		const xmlNode *param = NULL;
		size_t nparams = 0;
		char *name;

		for (const xmlNode *c = only->children; c != NULL; c = c->next)
			if (c->type == XML_ELEMENT_NODE) {
				param = c;
				nparams++;
			}
		if (nparams != 1 || !rng_is(param, "param"))
			return NULL;
		name = rng_name(param);
		if (name != NULL && strcmp(name, "maxLength") == 0) {
			xmlChar *text = xmlNodeGetContent(param);

			out = xasprintf("a text of at most %s characters",
					(const char *)text);
			xmlFree(text);
		}
		free(name);
		return out;
	}
	if (rng_is(only, "value")) {
		xmlChar *text = xmlNodeGetContent(only);

		out = xasprintf("one of: %s", (const char *)text);
		xmlFree(text);
		return out;
	}
	if (!rng_is(only, "choice"))
		return NULL;
	/* a choice of values, and of patterns with short words */
	for (const xmlNode *v = only->children; v != NULL; v = v->next) {
		xmlChar *text = NULL;
		char *word = NULL, *more;

		if (v->type != XML_ELEMENT_NODE)
			continue;
		if (rng_is(v, "value"))
			text = xmlNodeGetContent(v);
		else if (rng_is(v, "ref"))
			word = hint(v);
		if ((text == NULL && word == NULL) ||
		    (word != NULL && strchr(word, ' ') != NULL)) {
			free(word);
			free(out);
			return NULL;
		}
		more = xasprintf("%s%s%s", out != NULL ? out : "",
				 out != NULL ? ", " : "",
				 text != NULL ? (const char *)text : word);
		xmlFree(text);
		free(word);
		free(out);
		out = more;
	}
	{
		char *all = out != NULL ? xasprintf("one of: %s", out) : NULL;

		free(out);
		return all;
	}
}

/* The schema text with <start> at an element <v> holding the pattern P
   (the children of an <attribute>), compiled. */
static xmlRelaxNG *
compile(xmlDoc *schema_doc, const xmlNode *p)
{
	const char *text = workflow_schema_rng;
	const char *start = strstr(text, "<start>");
	const char *end = start != NULL ? strstr(start, "</start>") : NULL;
	xmlBuffer *buf = xmlBufferCreate();
	xmlRelaxNGParserCtxt *pc;
	xmlRelaxNG *rng;
	char *doc;

	if (end == NULL || buf == NULL)
		abort();
	for (const xmlNode *c = p; c != NULL; c = c->next)
		xmlNodeDump(buf, schema_doc, (xmlNode *)c, 0, 0);
	doc = xasprintf("%.*s<start><element name=\"v\">%s</element></start>%s",
			(int)(start - text), text,
			(const char *)xmlBufferContent(buf), end + 8);
	xmlBufferFree(buf);
	pc = xmlRelaxNGNewMemParserCtxt(doc, (int)strlen(doc));
	if (pc == NULL)
		abort();
	rng = xmlRelaxNGParse(pc);
	xmlRelaxNGFreeParserCtxt(pc);
	free(doc);
	return rng;
}

/* When the <attribute> A is in a <group> beside an attribute of one
   fixed value, that attribute and value into PT. */
static void
group_condition(const xmlNode *a, struct pattern *pt)
{
	if (a->parent == NULL || !rng_is(a->parent, "group"))
		return;
	for (const xmlNode *b = a->parent->children; b != NULL; b = b->next) {
		const xmlNode *v = b->children, *only = NULL;
		size_t count = 0;

		if (b == a || !rng_is(b, "attribute"))
			continue;
		for (; v != NULL; v = v->next)
			if (v->type == XML_ELEMENT_NODE) {
				only = v;
				count++;
			}
		if (count == 1 && rng_is(only, "value")) {
			xmlChar *text = xmlNodeGetContent(only);

			pt->when_attr = rng_name(b);
			pt->when_value = xstrdup((const char *)text);
			xmlFree(text);
			return;
		}
	}
}

/* The plain <attribute>s under N, not inside a nested <element>, of
   element ELEMENT. */
static void
collect_attributes(xmlDoc *schema_doc, const char *element, const xmlNode *n)
{
	for (; n != NULL; n = n->next) {
		char *name, *ns;

		if (n->type != XML_ELEMENT_NODE || rng_is(n, "element"))
			continue;
		if (!rng_is(n, "attribute")) {
			collect_attributes(schema_doc, element, n->children);
			continue;
		}
		name = rng_name(n);
		ns = workflow_attr(n, "ns");
		if (name != NULL &&
		    (ns == NULL || strcmp((const char *)ns,
					  (const char *)XML_XML_NAMESPACE) == 0) &&
		    strlen(name) < sizeof(patterns->attribute) &&
		    strlen(element) < sizeof(patterns->element)) {
			struct pattern pt = { .rng = compile(schema_doc,
							     n->children),
					      .words = words_of(n->children),
					      .xml_ns = ns != NULL };

			group_condition(n, &pt);
			snprintf(pt.element, sizeof(pt.element), "%s", element);
			snprintf(pt.attribute, sizeof(pt.attribute), "%s",
				 name);
			SCXML_PUSH(patterns, npatterns, pt);
		}
		free(ns);
		free(name);
	}
}

static void
collect(xmlDoc *schema_doc, const xmlNode *n)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (rng_is(n, "element")) {
			char *name = rng_name(n);

			if (name != NULL)
				collect_attributes(schema_doc, name,
						   n->children);
			free(name);
		}
		collect(schema_doc, n->children);
	}
}

static void
quiet(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

static void
collect_once(void)
{
	xmlDoc *doc;

	if (collected)
		return;
	collected = true;
	doc = xmlReadMemory(workflow_schema_rng, (int)workflow_schema_rng_len,
			    "cirm-workflow.rng", NULL, XML_PARSE_NONET);
	if (doc == NULL)
		abort();
	collect(doc, xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
}

/* Whether VALUE fits PT's pattern. */
static bool
fits(const struct pattern *pt, const char *value)
{
	xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *v = xmlNewDocNode(doc, NULL, (const xmlChar *)"v", NULL);
	xmlRelaxNGValidCtxt *vc;
	int ret;

	xmlSetNs(v, xmlNewNs(v, (const xmlChar *)WORKFLOW_NAMESPACE, NULL));
	xmlDocSetRootElement(doc, v);
	if (*value != '\0')
		xmlAddChild(v, xmlNewDocText(doc, (const xmlChar *)value));
	vc = xmlRelaxNGNewValidCtxt(pt->rng);
	if (vc == NULL)
		abort();
	xmlRelaxNGSetValidStructuredErrors(vc, quiet, NULL);
	ret = xmlRelaxNGValidateDoc(vc, doc);
	xmlRelaxNGFreeValidCtxt(vc);
	xmlFreeDoc(doc);
	return ret == 0;
}

/* The first space in VALUE that is not a plain one (U+00A0 and the
   other Unicode spaces, which look like one), or 0. */
static unsigned long
odd_space(const char *value)
{
	for (const unsigned char *u = (const unsigned char *)value; *u != '\0';
	     u++) {
		unsigned long c;

		if (u[0] == 0xc2 && u[1] == 0xa0)
			return 0xa0;
		if ((u[0] != 0xe2 && u[0] != 0xe3 && u[0] != 0xef) ||
		    u[1] == '\0' || u[2] == '\0')
			continue;
		c = (u[0] & 0x0fUL) << 12 | (u[1] & 0x3fUL) << 6 |
			(u[2] & 0x3fUL);
		if ((c >= 0x2000 && c <= 0x200b) || c == 0x202f ||
		    c == 0x205f || c == 0x3000 || c == 0xfeff)
			return c;
	}
	return 0;
}

/* Whether VALUE names a role ("role:ID") whose id has a letter
   outside a to z, which role ids may not have. */
static bool
role_not_ascii(const char *value)
{
	if (strncmp(value, "role:", 5) != 0)
		return false;
	for (const unsigned char *u = (const unsigned char *)value + 5;
	     *u != '\0'; u++)
		if (*u >= 0x80)
			return true;
	return false;
}

/* Whether PT's group applies to N: N has its fixed attribute value,
   or PT has none. */
static bool
condition_holds(const xmlNode *n, const struct pattern *pt)
{
	char *v;
	bool holds;

	if (pt->when_attr == NULL)
		return true;
	v = workflow_attr(n, pt->when_attr);
	holds = v != NULL && strcmp(v, pt->when_value) == 0;
	free(v);
	return holds;
}

void
workflow_value_problems(const xmlNode *n, const char *only,
			const char *const *skip, struct strlist *why)
{
	collect_once();
	for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
		const char *name = (const char *)a->name;
		const struct pattern *bad = NULL;
		char *words = NULL;
		bool known = false, xml_ns = a->ns != NULL &&
			xmlStrcmp(a->ns->href, XML_XML_NAMESPACE) == 0;
		char *value;
		xmlChar *v;

		if ((a->ns != NULL && !xml_ns) ||
		    (only != NULL && strcmp(name, only) != 0) ||
		    (skip != NULL && workflow_in_list(skip, name)))
			continue;
		v = xmlNodeListGetString(n->doc, a->children, 1);
		value = xstrdup(v != NULL ? (const char *)v : "");
		xmlFree(v);
		/* an attribute may have several patterns (<set>'s value,
		   by field): a value that fits one is not the problem */
		for (size_t i = 0; value != NULL && i < npatterns; i++) {
			const struct pattern *pt = &patterns[i];

			if (pt->rng == NULL || pt->xml_ns != xml_ns ||
			    xmlStrcmp(n->name, (const xmlChar *)pt->element) != 0 ||
			    strcmp(name, pt->attribute) != 0 ||
			    !condition_holds(n, pt))
				continue;
			if (fits(pt, value)) {
				known = true;
				break;
			}
			/* several lists of values (<set>'s field, one per
			   group) make one */
			if (bad != NULL && words != NULL && pt->words != NULL &&
			    strncmp(words, "one of: ", 8) == 0 &&
			    strncmp(pt->words, "one of: ", 8) == 0) {
				char *more = xasprintf("%s, %s", words,
						       pt->words + 8);

				free(words);
				words = more;
			} else {
				free(words);
				words = pt->words != NULL ? xstrdup(pt->words) :
					NULL;
			}
			bad = pt;
		}
		if (!known && bad != NULL) {
			size_t len = strlen(value), cut = len;

			if (len > VALUE_SHOWN) {
				cut = VALUE_SHOWN;
				/* not inside a UTF-8 sequence */
				while (cut > 0 &&
				       ((unsigned char)value[cut] & 0xc0) == 0x80)
					cut--;
			}
			unsigned long sp = odd_space(value);
			char *space = sp != 0 ?
				xasprintf(" (it holds U+%04lX%s, which looks "
					  "like a plain space)", sp,
					  sp == 0xa0 ? ", a no-break space" :
					  "") :
				/* role:handläggare: the words say role:ROLE,
				   which it looks like */
				role_not_ascii(value) ?
				xstrdup(" (a role's id is " NAME_WORDS ")") :
				xstrdup("");

			strlist_addf(why, "%s%s=\"%.*s%s\": %s%s%s",
				     xml_ns ? "xml:" : "", name,
				     (int)cut, value, cut < len ? "..." : "",
				     words != NULL ? "expected " : "",
				     words != NULL ? words :
				     "a value cirm-workflow(5) does not allow "
				     "here", space);
			free(space);
		}
		/* asked of this attribute, which the element has none of
		   (xml:lang on <title>): say so */
		else if (!known && only != NULL)
			strlist_addf(why, "%s%s is not an attribute of <%s>%s",
				     xml_ns ? "xml:" : "", name,
				     (const char *)n->name,
				     xml_ns && strcmp(name, "lang") == 0 ?
				     " (only of <workflow>)" : "");
		free(words);
		free(value);
	}
}
