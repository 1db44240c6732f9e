/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Loading a cirm workflow: schema, cirm's own parts, and the statechart
   rewritten in place into SCXML for the interpreter core. */
#include "config.h"

#include "workflow-patterns.h"
#include "workflow-private.h"

#include "blob.h"

#include <errno.h>
#include <fcntl.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const workflow_predicates[] = {
	"channel", "category", "priority", "keyword", "pattern", "assigned",
	"thanks", NULL
};

/* a value libxml2 refused without saying which */
#define UNSAID_VALUE "a value cirm-workflow(5) does not allow here"
/* how a message of an element lacking a part goes on */
#define LACKS " needs "
/* said of an element where the format has none of that name */
#define NOT_ALLOWED "<%s> is not allowed here (not part of the workflow " \
	"format, or in the wrong place)"

/* How many times its own size in elements diagnose may validate of a
   workflow that fails: the shipped ones and a generated one of 500
   states nested 3 deep take 3 to 4 times. */
#define DIAGNOSE_FACTOR 8

static const char *const priorities[] = { "low", "normal", "high",
					  "urgent", NULL };

struct loader {
	struct workflow *wf;
	xmlDoc *xml;		/* while it is validated */
	struct strlist errors;
	struct strlist cascade;	/* schema messages that only echo others */
	long line;		/* the element validated alone, or 0 */
	const xmlNode *alone;	/* that element, as the file has it */
	size_t compare_at;	/* 1 + index in errors of the last "failed
				   to compare", or 0 */
	size_t validating;	/* errors before the validation at hand */
	size_t budget;		/* elements diagnose may still validate */
	bool exhausted;		/* it ran out */
};

static void CIRM_PRINTF(3, 4)
lerror(struct loader *ld, const xmlNode *node, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_addf(&ld->errors, "%s:%ld: %s", ld->wf->name,
		     node != NULL ? xmlGetLineNo(node) : 1L, msg);
	free(msg);
}

bool
workflow_node_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
		strcmp((const char *)n->ns->href, WORKFLOW_NAMESPACE) == 0 &&
		(name == NULL || strcmp((const char *)n->name, name) == 0);
}

char *
workflow_attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *s = v != NULL ? xstrdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

bool
workflow_in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i] != NULL; i++) {
		if (strcmp(list[i], s) == 0)
			return true;
	}
	return false;
}

/* --- schema ------------------------------------------------------------ */

static xmlRelaxNG *schema;

/* The most bytes of stray text repeated in its message. */
#define STRAY_TEXT_SHOWN 40

/* libxml2 reports a bad element also as a failure of each enclosing
   one, and a misplaced known element as "did not expect" after it.
   Those echoes are shown only when nothing more precise was found. */
static bool
is_cascade(const char *msg)
{
	static const char *const echoes[] = {
		"failed to validate content", "has extra content",
		"Expecting an element", "Did not expect element",
		"Expecting element", "in interleave",
		/* <closed date="2026-02-30"/>: "failed to validate
		   attributes" says it too, with what is expected */
		"doesn't allow value", NULL
	};

	for (size_t i = 0; echoes[i] != NULL; i++) {
		if (strstr(msg, echoes[i]) != NULL)
			return true;
	}
	return false;
}

/* The lines of the elements called NAME in N and below: *COUNT of them,
   the first MAX in LINES. */
static void
element_lines(const xmlNode *n, const char *name, long *lines, size_t *count,
	      size_t max)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcmp(n->name, (const xmlChar *)name) == 0) {
			if (*count < max)
				lines[*count] = xmlGetLineNo(n);
			(*count)++;
		}
		element_lines(n->children, name, lines, count, max);
	}
}

/* libxml2 names no node for some errors ("Element command failed to
   validate attributes"): the element's line when it is the only one of
   its name, else the first, with the others' lines in *NOTE_R. */
static int
line_of_element(const struct loader *ld, const char *msg, char **note_r)
{
	long lines[8];
	size_t count = 0, n;
	char name[64];

	*note_r = NULL;
	if (ld->xml == NULL || strncmp(msg, "Element ", 8) != 0)
		return 0;
	n = strcspn(msg + 8, " :");
	if (n == 0 || n >= sizeof(name))
		return 0;
	memcpy(name, msg + 8, n);
	name[n] = '\0';
	element_lines(xmlDocGetRootElement(ld->xml), name, lines, &count,
		      N_ELEMENTS(lines));
	if (count == 0)
		return 0;
	if (count > 1) {
		char *list = xstrdup(""), *more;

		for (size_t i = 0; i < count && i < N_ELEMENTS(lines); i++) {
			more = xasprintf("%s%s%ld", list, i > 0 ? ", " : "",
					 lines[i]);
			free(list);
			list = more;
		}
		*note_r = xasprintf(" (one of the <%s> elements, at lines "
				    "%s%s)", name, list,
				    count > N_ELEMENTS(lines) ? ", ..." : "");
		free(list);
	}
	return (int)lines[0];
}

/* The elements called NAME in N and below: *COUNT of them, the last in
   *FOUND_R. */
static void
find_elements(xmlNode *n, const char *name, xmlNode **found_r, size_t *count)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcmp(n->name, (const xmlChar *)name) == 0) {
			*found_r = n;
			(*count)++;
		}
		find_elements(n->children, name, found_r, count);
	}
}

/* The element libxml2's MSG ("Element state failed ...") is about:
   NODE, which libxml2 gives, when it has that name (it may give a child
   or the parent instead); its parent or only child of that name; else
   the only element of that name in the document. NULL when none of
   these is. */
static xmlNode *
named_element(const struct loader *ld, const char *msg, xmlNode *node)
{
	xmlNode *found = NULL;
	size_t n, count = 0;
	char name[64];

	if (strncmp(msg, "Element ", 8) != 0)
		return node;
	n = strcspn(msg + 8, " :");
	if (n == 0 || n >= sizeof(name))
		return node;
	memcpy(name, msg + 8, n);
	name[n] = '\0';
	if (node != NULL) {
		if (xmlStrcmp(node->name, (const xmlChar *)name) == 0)
			return node;
		if (node->parent != NULL &&
		    node->parent->type == XML_ELEMENT_NODE &&
		    xmlStrcmp(node->parent->name, (const xmlChar *)name) == 0)
			return node->parent;
		for (xmlNode *c = node->children; c != NULL; c = c->next)
			if (c->type == XML_ELEMENT_NODE &&
			    xmlStrcmp(c->name, (const xmlChar *)name) == 0) {
				found = c;
				count++;
			}
		if (count == 1)
			return found;
		count = 0;
	}
	if (ld->xml == NULL)
		return NULL;
	find_elements(xmlDocGetRootElement(ld->xml), name, &found, &count);
	return count == 1 ? found : NULL;
}

/* Whether N has an element NAME among its children. */
static bool
has_child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)c->name, name) == 0)
			return true;
	return false;
}

/* Whether the problem WHY was said of the element at LINE by the last
   message: libxml2 reports one bad value twice, as "Element state failed
   to validate attributes" and as "Invalid attribute id for element
   state", in either order. */
static bool
said_just_before(const struct loader *ld, int line, const char *why)
{
	char *at;
	bool said;

	/* a sibling on the same line, validated alone before, said its
	   own */
	if (ld->errors.n <= ld->validating || line <= 0)
		return false;
	at = xasprintf("%s:%d: ", ld->wf->name, line);
	said = strncmp(ld->errors.v[ld->errors.n - 1], at, strlen(at)) == 0 &&
		strstr(ld->errors.v[ld->errors.n - 1], why) != NULL;
	free(at);
	return said;
}

/* The attributes of each element, as the schema has them: those it
   needs, then those it may have. Only for saying what is wrong; the
   schema decides. */
static const struct {
	const char *element, *required, *optional;
} element_attrs[] = {
	{ "workflow", "id version", "initial calendar sms-window sms-links "
	  "sms-segments" },
	{ "calendar", "id", "" }, { "hours", "days open close", "" },
	{ "closed", "date", "" }, { "role", "id group", "" },
	{ "command", "word event", "aliases role text argument help "
	  "template" },
	{ "translation", "", "word help" },
	{ "template", "id", "" },
	{ "state", "id", "initial category label" },
	{ "parallel", "id", "category label" }, { "final", "id", "label" },
	{ "timer", "id after event", "calendar" },
	{ "transition", "", "event cond target type" },
	{ "reply", "template", "" }, { "notify", "to template", "" },
	{ "assign", "to", "" }, { "set", "field", "value after" },
	{ "raise", "event", "" }, { "log", "label", "" },
	{ "if", "cond", "" }, { "elseif", "cond", "" },
};

static bool
word_in(const char *words, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = words; (p = strstr(p, w)) != NULL; p += n)
		if ((p == words || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* libxml2 says only that an element's attributes do not validate:
   which attribute is unknown (a typo: efter="P2D"), missing (a role
   without group) or, for a duration, wrong ("3 dagar", "-P5D"), when
   NODE shows it; else NULL. */
static char *
attribute_problem(const void *node)
{
	static const char *const durations[] = { "after", "sms-window", NULL };
	const xmlNode *n = node;
	struct strlist why = { 0 };
	const char *req = NULL, *opt = NULL;
	char *out;

	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return NULL;
	for (size_t i = 0; i < N_ELEMENTS(element_attrs); i++)
		if (xmlStrcmp(n->name, (const xmlChar *)
			      element_attrs[i].element) == 0) {
			req = element_attrs[i].required;
			opt = element_attrs[i].optional;
		}
	for (const xmlAttr *a = n->properties; req != NULL && a != NULL;
	     a = a->next)
		if (a->ns == NULL && !word_in(req, (const char *)a->name) &&
		    !word_in(opt, (const char *)a->name))
			strlist_addf(&why, "unknown attribute %s", a->name);
	for (const char *p = req; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, " ");
		char *name = xstrndup(p, len);

		if (!xmlHasNsProp(n, (const xmlChar *)name, NULL))
			strlist_addf(&why, "%s missing", name);
		free(name);
		p += len + (p[len] == ' ');
	}
	for (size_t i = 0; durations[i] != NULL; i++) {
		struct calendar_duration d;
		char *v = workflow_attr((xmlNode *)n, durations[i]), *e = NULL;

		/* <set field="due" after=""/> clears the due date */
		if (v != NULL && v[0] != '\0' &&
		    calendar_duration_parse(v, &d, &e) < 0) {
			strlist_addf(&why, "%s: %s", durations[i], e);
			free(e);
		}
		free(v);
	}
	/* the durations are said above, in their own words */
	workflow_value_problems(n, NULL, durations, &why);
	if (why.n == 0)
		return NULL;
	out = xstrdup(why.v[0]);
	for (size_t i = 1; i < why.n; i++) {
		char *more = xasprintf("%s; %s", out, why.v[i]);

		free(out);
		out = more;
	}
	strlist_clear(&why);
	return out;
}

static void
schema_error(void *user, xmlErrorPtr err)
{
	struct loader *ld = user;
	/* copied first: validating a value alone below makes libxml2
	   report into the structure ERR points to */
	xmlNode *node = err->node;
	int err_line = err->line;
	char *msg = xstrdup(err->message != NULL ? err->message : "invalid");
	char *note = NULL;
	size_t n = strlen(msg);
	bool compare = false, lacks = false;
	char want[64], g;
	int line;

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	if (strncmp(msg, "Expecting no namespace for element ", 35) == 0) {
		char *m = xasprintf(NOT_ALLOWED, msg + 35);

		free(msg);
		msg = m;
	} else if (ld->line != 0 && node != NULL &&
		   node == xmlDocGetRootElement(node->doc) &&
		   sscanf(msg, "Expecting an element %63[^,], got nothin%c",
			  want, &g) == 2 &&
		   !has_child(ld->alone != NULL ? ld->alone : node, want)) {
		/* an element validated alone that lacks a part it must
		   have (a <calendar> without <hours>); libxml2 says it too
		   when an attribute fails, so it is an echo unless the
		   element has nothing else wrong (see diagnose) */
		char *m = xasprintf("<%s>" LACKS "<%s> inside it (see "
				    "cirm-workflow(5))", node->name, want);

		lacks = true;

		free(msg);
		msg = m;
	} else if (strcmp(msg, "failed to compare type string") == 0) {
		compare = true;
		free(msg);
		/* said of an empty element, and as well of an attribute
		   value outside its list (priority="HIGH", xml:lang="de") */
		msg = xstrdup("a value cirm-workflow(5) does not allow here, "
			      "or an element left empty that needs content");
	} else if (strncmp(msg, "Invalid attribute ", 18) == 0 &&
		   node != NULL) {
		/* "Invalid attribute id for element state": which value,
		   and what it should be */
		struct strlist why = { 0 };
		char *attr = xstrndup(msg + 18, strcspn(msg + 18, " "));
		char *v = workflow_attr(node, attr), *e = NULL;
		struct calendar_duration d;

		/* the root's SMS settings, in the words their timers'
		   durations get */
		if (v != NULL && strcmp(attr, "sms-window") == 0 &&
		    calendar_duration_parse(v, &d, &e) < 0)
			strlist_addf(&why, "sms-window: %s", e);
		else if (v != NULL && strcmp(attr, "sms-segments") == 0)
			strlist_addf(&why, "sms-segments=\"%.40s\": a whole "
				     "number from 1 to %d", v,
				     WORKFLOW_SMS_SEGMENTS_MAX);
		else
			workflow_value_problems(node, attr, NULL, &why);
		free(e);
		free(v);
		if (why.n > 0 &&
		    said_just_before(ld, (int)xmlGetLineNo(node), why.v[0])) {
			strlist_clear(&why);
			free(attr);
			free(msg);
			return;
		}
		if (why.n > 0) {
			char *m = xasprintf("%s: %s", msg, why.v[0]);

			free(msg);
			msg = m;
		}
		strlist_clear(&why);
		free(attr);
	} else if (strstr(msg, "failed to validate attributes") != NULL) {
		char *why, *m;

		node = named_element(ld, msg, node);
		why = attribute_problem(node);
		if (why != NULL && node != NULL &&
		    said_just_before(ld, (int)xmlGetLineNo(node), why)) {
			free(why);
			free(msg);
			return;
		}

		/* libxml2 said "failed to compare" of this value just
		   before (maybe with a "Type date doesn't allow value"),
		   at the parent element's line: this message says it, at
		   the right line */
		if (ld->compare_at > ld->validating &&
		    ld->compare_at <= ld->errors.n &&
		    ld->compare_at + 2 > ld->errors.n) {
			size_t i = ld->compare_at - 1;

			free(ld->errors.v[i]);
			memmove(ld->errors.v + i, ld->errors.v + i + 1,
				(ld->errors.n - i - 1) * sizeof(char *));
			ld->errors.n--;
			if (why == NULL)
				why = xstrdup(UNSAID_VALUE);
		}
		ld->compare_at = 0;
		m = why != NULL ? xasprintf("%s: %s", msg, why) :
			xasprintf("%s (see cirm-workflow(5) for the values "
				  "each attribute takes)", msg);

		free(why);
		free(msg);
		msg = m;
	}
	line = node != NULL ? (int)xmlGetLineNo(node) : 0;
	if (line <= 0)
		line = err_line > 0 ? err_line : 0;
	if (line <= 0)
		line = (int)ld->line;
	if (line <= 0)
		line = line_of_element(ld, msg, &note);
	if (line <= 0)
		line = 1;
	strlist_addf(lacks || is_cascade(msg) ? &ld->cascade : &ld->errors,
		     "%s:%d: %s%s", ld->wf->name, line, msg,
		     note != NULL ? note : "");
	if (compare)
		ld->compare_at = ld->errors.n;
	free(note);
	free(msg);
}

/* The shipped schema, compiled once from the copy built into the
   program (so that a stray file can never weaken validation). */
static xmlRelaxNG *
get_schema(void)
{
	xmlRelaxNGParserCtxt *pc;

	if (schema != NULL)
		return schema;
	pc = xmlRelaxNGNewMemParserCtxt(workflow_schema_rng,
					(int)workflow_schema_rng_len);
	if (pc == NULL)
		abort();
	schema = xmlRelaxNGParse(pc);
	xmlRelaxNGFreeParserCtxt(pc);
	if (schema == NULL) {
		fprintf(stderr, "cirm: the built-in workflow schema does not "
			"compile\n");
		abort();
	}
	return schema;
}

/* The shipped schema with <start> at the element NAME's definition, to
   validate one element alone; NULL when the schema has none. */
static xmlRelaxNG *
get_element_schema(const char *name)
{
	static struct {
		char name[16];
		xmlRelaxNG *rng;
	} cache[32];
	static size_t ncache;
	const char *text = workflow_schema_rng;
	const char *start = strstr(text, "<start>"), *end, *def;
	char *want = xasprintf("<define name=\"%s\">", name), *doc;
	char *element = xasprintf("<element name=\"%s\"", name);
	xmlRelaxNGParserCtxt *pc;
	xmlRelaxNG *rng;

	for (size_t i = 0; i < ncache; i++)
		if (strcmp(cache[i].name, name) == 0) {
			free(want);
			free(element);
			return cache[i].rng;
		}
	end = start != NULL ? strstr(start, "</start>") : NULL;
	def = strstr(text, want);
	/* the definition of the element NAME, not of a value or pattern
	   of that name (<priority>, <label>) */
	if (def != NULL)
		def += strlen(want) + strspn(def + strlen(want), " \t\r\n");
	if (end == NULL || strlen(name) >= sizeof(cache[0].name) ||
	    ncache == N_ELEMENTS(cache) || def == NULL ||
	    strncmp(def, element, strlen(element)) != 0) {
		free(want);
		free(element);
		return NULL;
	}
	free(want);
	free(element);
	doc = xasprintf("%.*s<start><ref name=\"%s\"/></start>%s",
			(int)(start - text), text, name, end + 8);
	pc = xmlRelaxNGNewMemParserCtxt(doc, (int)strlen(doc));
	if (pc == NULL)
		abort();
	rng = xmlRelaxNGParse(pc);
	xmlRelaxNGFreeParserCtxt(pc);
	free(doc);
	snprintf(cache[ncache].name, sizeof(cache[0].name), "%s", name);
	cache[ncache++].rng = rng;
	return rng;
}

/* Validates DOC against RNG, its problems into LD: 0 when it passes. */
static int
schema_validate(struct loader *ld, xmlRelaxNG *rng, xmlDoc *doc)
{
	xmlRelaxNGValidCtxt *vc = xmlRelaxNGNewValidCtxt(rng);
	int ret;

	if (vc == NULL)
		abort();
	xmlRelaxNGSetValidStructuredErrors(vc, schema_error, ld);
	ld->validating = ld->errors.n;
	ld->compare_at = 0;
	ret = xmlRelaxNGValidateDoc(vc, doc);
	xmlRelaxNGFreeValidCtxt(vc);
	return ret;
}

/* How many elements N is, with those inside it. */
static size_t
count_elements(const xmlNode *n)
{
	size_t count = 1;

	for (const xmlNode *c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			count += count_elements(c);
	return count;
}

/* The shipped schema as a document, to read which elements may hold
   which (may_hold). */
static xmlDoc *
schema_doc(void)
{
	static xmlDoc *doc;

	if (doc == NULL &&
	    (doc = xmlReadMemory(workflow_schema_rng,
				 (int)workflow_schema_rng_len, NULL, NULL,
				 XML_PARSE_NONET | XML_PARSE_NOBLANKS)) == NULL)
		abort();
	return doc;
}

/* The <define name="NAME"> of the schema, or NULL. */
static xmlNode *
schema_define(const char *name)
{
	for (xmlNode *d = xmlDocGetRootElement(schema_doc())->children;
	     d != NULL; d = d->next) {
		if (d->type == XML_ELEMENT_NODE &&
		    xmlStrcmp(d->name, (const xmlChar *)"define") == 0) {
			xmlChar *n = xmlGetProp(d, (const xmlChar *)"name");
			bool same = n != NULL &&
				xmlStrcmp(n, (const xmlChar *)name) == 0;

			xmlFree(n);
			if (same)
				return d;
		}
	}
	return NULL;
}

/* Whether the pattern P (and those after it) names the element CHILD
   as a child of the element it is in: through references, but not into
   the elements it names. DEPTH bounds the references followed. */
static bool
pattern_names(const xmlNode *p, const char *child, int depth)
{
	for (; p != NULL; p = p->next) {
		xmlChar *name;
		bool found = false;

		if (p->type != XML_ELEMENT_NODE ||
		    xmlStrcmp(p->name, (const xmlChar *)"attribute") == 0)
			continue;
		name = xmlGetProp(p, (const xmlChar *)"name");
		if (xmlStrcmp(p->name, (const xmlChar *)"element") == 0) {
			found = name != NULL &&
				xmlStrcmp(name, (const xmlChar *)child) == 0;
		} else if (xmlStrcmp(p->name, (const xmlChar *)"ref") == 0) {
			const xmlNode *d = name != NULL && depth > 0 ?
				schema_define((const char *)name) : NULL;

			found = d != NULL &&
				pattern_names(d->children, child, depth - 1);
		} else {
			found = pattern_names(p->children, child, depth);
		}
		xmlFree(name);
		if (found)
			return true;
	}
	return false;
}

/* Whether the format lets the element PARENT hold an element CHILD
   anywhere (true when PARENT is no element of the schema's: nothing is
   known then). */
static bool
may_hold(const char *parent, const char *child)
{
	const xmlNode *d = schema_define(parent), *e;

	for (e = d != NULL ? d->children : NULL; e != NULL; e = e->next)
		if (e->type == XML_ELEMENT_NODE)
			break;
	if (e == NULL || xmlStrcmp(e->name, (const xmlChar *)"element") != 0)
		return true;
	return pattern_names(e->children, child, 16);
}

/* libxml2 reports a problem inside <commands>, <roles> or <title> only
   as the root's children failing to match ("Expecting element
   calendar, got title"), at a line that is not the problem's, and stops
   at the first problem in any case. So each element of the workflow is
   validated alone, innermost first: an element whose children pass
   says its problems, echoes included when it has nothing better to
   say; one whose children fail is validated without them, and says
   only what is wrong with itself, since their absence may be all its
   echoes are about. Returns whether N or an element inside it fails. */
static bool
diagnose(struct loader *ld, xmlNode *n)
{
	bool failed = false, *child_failed = NULL;
	size_t nchildren = 0, before = ld->errors.n, own, size;
	xmlNode *copy;
	xmlRelaxNG *rng;
	xmlDoc *doc;
	int ret;

	for (xmlNode *c = n->children; c != NULL; c = c->next)
		nchildren++;
	child_failed = xcalloc(nchildren + 1, sizeof(*child_failed));
	nchildren = 0;
	for (xmlNode *c = n->children; c != NULL; c = c->next, nchildren++) {
		if (workflow_node_is(c, NULL) && diagnose(ld, c)) {
			child_failed[nchildren] = failed = true;
			/* left out below, where it would have been
			   said that it has no place here at all
			   (actions written inside an <else>, as if it
			   were a block) */
			if (get_element_schema((const char *)c->name) != NULL &&
			    !may_hold((const char *)n->name,
				      (const char *)c->name))
				lerror(ld, c, NOT_ALLOWED, c->name);
		}
		/* an element in no namespace is no editor's either
		   (cirm-workflow(5): foreign elements have one) */
		if (c->type == XML_ELEMENT_NODE && c->ns == NULL) {
			lerror(ld, c, NOT_ALLOWED, c->name);
			child_failed[nchildren] = failed = true;
		}
	}
	if (ld->exhausted) {
		free(child_failed);
		return failed;
	}
	if ((rng = get_element_schema((const char *)n->name)) == NULL) {
		/* of the workflow's namespace, and no element of its
		   format (libxml2 says so only as an echo, or not at all
		   when something around it fails too) */
		lerror(ld, n, NOT_ALLOWED, n->name);
		free(child_failed);
		return true;
	}
	/* the element with its attributes, and the children that pass
	   (copying the others too would cost their size at every level
	   above them) */
	doc = xmlNewDoc((const xmlChar *)"1.0");
	copy = xmlDocCopyNode(n, doc, 2);
	if (copy == NULL)
		abort();
	xmlDocSetRootElement(doc, copy);
	nchildren = 0;
	for (xmlNode *c = n->children; c != NULL; c = c->next, nchildren++)
		if (!child_failed[nchildren] &&
		    xmlAddChild(copy, xmlDocCopyNode(c, doc, 1)) == NULL)
			abort();
	if ((size = count_elements(copy)) > ld->budget) {
		ld->exhausted = true;
		xmlFreeDoc(doc);
		free(child_failed);
		return failed;
	}
	ld->budget -= size;
	ld->line = xmlGetLineNo(n);
	ld->alone = n;
	own = ld->errors.n;
	ret = schema_validate(ld, rng, doc);
	ld->line = 0;
	ld->alone = NULL;
	xmlFreeDoc(doc);
	/* a part the element lacks in the file, not only in the copy
	   without the children that failed, when that is all that is
	   wrong with the element itself (libxml2 says it also when an
	   attribute fails); said besides the children's problems (a
	   <calendar> with a wrong <closed> and no <hours>) */
	for (size_t i = 0; ret != 0 && ld->errors.n == own &&
		     i < ld->cascade.n; i++)
		if (strstr(ld->cascade.v[i], ">" LACKS "<") != NULL)
			strlist_add(&ld->errors, ld->cascade.v[i]);
	if (ret != 0 && ld->errors.n == before) {
		for (size_t i = 0; i < ld->cascade.n &&
			     ld->errors.n == before; i++)
			if (strstr(ld->cascade.v[i], "Expecting an element , "
				   "got nothing") == NULL)
				strlist_add(&ld->errors, ld->cascade.v[i]);
	}
	strlist_clear(&ld->cascade);
	free(child_failed);
	return failed || ret != 0;
}

/* Text where the workflow format has none (only <title> and
   <description> hold text, and foreign elements whatever they like): a
   note typed without <!-- -->, a stray character. libxml2 reports it
   only as a cascade through every enclosing element ("Did not expect
   element commands there", at elements that are fine): each is said
   here, at the line where it begins, and the cascade is left out. */
/* The first character of P when P holds, besides ASCII white space,
   only spaces XML does not count as white space (the no-break space,
   which copying from a web page or a word processor leaves, thin and
   wide spaces, the byte order mark); else 0. */
static unsigned long
unicode_spaces(const char *p)
{
	unsigned long first = 0;

	while (*p != '\0') {
		const unsigned char *u = (const unsigned char *)p;
		unsigned long c;
		int n;

		if (strchr(" \t\r\n", *p) != NULL) {
			p++;
			continue;
		}
		if (u[0] == 0xc2 && u[1] == 0xa0)
			c = 0xa0, n = 2;
		else if (u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80)
			c = 0x1680, n = 3;
		else if ((u[0] == 0xe2 || u[0] == 0xe3 || u[0] == 0xef) &&
			 u[1] != '\0' && u[2] != '\0')
			c = (u[0] & 0x0fUL) << 12 | (u[1] & 0x3fUL) << 6 |
				(u[2] & 0x3fUL), n = 3;
		else
			return 0;
		if (!(c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200b) ||
		      c == 0x202f || c == 0x205f || c == 0x3000 || c == 0xfeff))
			return 0;
		if (first == 0)
			first = c;
		p += n;
	}
	return first;
}

static void
stray_text(struct loader *ld, xmlNode *n)
{
	for (xmlNode *c = n->children; c != NULL; c = c->next) {
		const char *t = (const char *)c->content, *p;
		long line;
		char *shown;
		size_t len, cut;

		if (c->type == XML_ELEMENT_NODE) {
			if (workflow_node_is(c, NULL) &&
			    !workflow_node_is(c, "title") &&
			    !workflow_node_is(c, "description"))
				stray_text(ld, c);
			continue;
		}
		if ((c->type != XML_TEXT_NODE &&
		     c->type != XML_CDATA_SECTION_NODE) || t == NULL)
			continue;
		p = t + strspn(t, " \t\r\n");
		if (*p == '\0')
			continue;
		/* the line where the text ends, back to where it starts: an
		   element's line is that of its start tag, which follows;
		   libxml2 gives a text's own line only roughly (where it
		   ended, or where it met a letter outside ASCII) */
		line = c->next != NULL && c->next->type == XML_ELEMENT_NODE ?
			xmlGetLineNo(c->next) : xmlGetLineNo(c);
		for (const char *q = p; line > 0 && *q != '\0'; q++)
			line -= *q == '\n';
		if (line <= 0)
			line = xmlGetLineNo(n);
		len = strcspn(p, "\r\n");
		cut = len > STRAY_TEXT_SHOWN ? STRAY_TEXT_SHOWN : len;
		while (cut < len && cut > 0 &&
		       ((unsigned char)p[cut] & 0xc0) == 0x80)
			cut--;
		if (unicode_spaces(p) != 0) {
			strlist_addf(&ld->errors, "%s:%ld: spaces that are not "
				     "plain spaces (U+%04lX%s) inside <%s>, as "
				     "copying from a web page or a word "
				     "processor leaves them: replace them with "
				     "plain spaces", ld->wf->name, line,
				     unicode_spaces(p),
				     unicode_spaces(p) == 0xa0 ?
				     ", no-break space" : "", n->name);
			continue;
		}
		shown = xstrndup(p, cut);
		strlist_addf(&ld->errors, "%s:%ld: text \"%s%s\" inside <%s> "
			     "is not part of the workflow format: make it a "
			     "comment (<!-- ... -->), or remove it",
			     ld->wf->name, line, shown,
			     cut < len || p[len + strspn(p + len, " \t\r\n")] !=
			     '\0' ? "..." : "", n->name);
		free(shown);
	}
}

/* The order of <workflow>'s children, which the schema fixes and whose
   breach libxml2 tells only as "Invalid sequence in interleave" and
   echoes about other elements: said here in plain words, each
   element out of place. How many. */
static size_t
child_order(struct loader *ld, xmlNode *root)
{
	static const char *const order[] = {
		"title", "description", "calendar", "roles", "commands",
		"templates", "state", "parallel", "final",
	};
	static const int rank[] = { 0, 1, 2, 3, 4, 5, 6, 6, 6 };
	/* of these there is one at most (calendars and states are many) */
	static const bool single[] = { true, true, false, true, true, true,
				       false, false, false };
	const xmlNode *last = NULL, *first[N_ELEMENTS(order)] = { 0 };
	int highest = -1;
	size_t n = 0;

	for (xmlNode *c = root != NULL ? root->children : NULL; c != NULL;
	     c = c->next) {
		int r = -1;

		if (!workflow_node_is(c, NULL))
			continue;
		size_t k = 0;

		for (size_t i = 0; i < N_ELEMENTS(order); i++)
			if (workflow_node_is(c, order[i]))
				r = rank[k = i];
		if (r < 0)
			continue;	/* the schema names it */
		if (single[k] && first[k] != NULL) {
			lerror(ld, c, "a second <%s> (the first is at line "
			       "%ld): a workflow has one at most", c->name,
			       xmlGetLineNo(first[k]));
			n++;
			continue;
		}
		if (first[k] == NULL)
			first[k] = c;
		if (r < highest) {
			lerror(ld, c, "<%s> must come before <%s> (line %ld): "
			       "<workflow>'s children go in this order: "
			       "title, description, calendar, roles, commands, "
			       "templates, and then the states", c->name,
			       last->name, xmlGetLineNo(last));
			n++;
		} else {
			highest = r;
			last = c;
		}
	}
	return n;
}

/* The line an error of LD says it is at. */
static long
error_line(const struct loader *ld, const char *error)
{
	size_t n = strlen(ld->wf->name);

	return strncmp(error, ld->wf->name, n) == 0 && error[n] == ':' ?
		strtol(error + n + 1, NULL, 10) : 0;
}

/* The element X when ERROR is the bare "Element X failed to validate
   attributes (see ...)" that libxml2 says before it says which
   attribute, or one that says only that some value is refused (libxml2
   may say which after it: "Invalid attribute lang for element
   translation"); else NULL. */
static char *
bare_attributes(const char *error)
{
	const char *e = strstr(error, ": Element ");
	const char *end = e != NULL ? strchr(e + 10, ' ') : NULL;

	if (end == NULL ||
	    (strncmp(end, " failed to validate attributes (see ", 36) != 0 &&
	     strcmp(end, " failed to validate attributes: " UNSAID_VALUE) != 0))
		return NULL;
	return xstrndup(e + 10, (size_t)(end - e - 10));
}

/* Whether ERROR says what is wrong with an attribute of the element
   NAME, and is not bare itself. */
static bool
says_attribute_of(const char *error, const char *name)
{
	char *bare = bare_attributes(error), *element, *of;
	bool says;

	free(bare);
	if (bare != NULL)
		return false;
	element = xasprintf(": Element %s ", name);
	of = xasprintf(" for element %s:", name);
	says = strstr(error, element) != NULL || strstr(error, of) != NULL;
	free(element);
	free(of);
	return says;
}

struct line_error {
	long line;
	size_t at;
	char *error;
};

static int
line_error_cmp(const void *a, const void *b)
{
	const struct line_error *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* LD's errors from BEFORE on in the order of their lines, as an editor
   walks them, without a bare message where the same line says which
   attribute of that element. */
static void
order_by_line(struct loader *ld, size_t before)
{
	size_t n = ld->errors.n - before, out = before;
	struct line_error *v = xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = (struct line_error){
			error_line(ld, ld->errors.v[before + i]), i,
			ld->errors.v[before + i] };
	qsort(v, n, sizeof(*v), line_error_cmp);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && v[j].line == v[i].line; j++)
			;
		for (size_t k = i; k < j; k++) {
			char *bare = bare_attributes(v[k].error);
			bool said = false;

			for (size_t m = i; bare != NULL && m < j && !said; m++)
				said = says_attribute_of(v[m].error, bare);
			free(bare);
			if (said)
				free(v[k].error);
			else
				ld->errors.v[out++] = v[k].error;
		}
	}
	ld->errors.n = out;
	free(v);
}

/* libxml2's validator stops at the first problem it meets in the
   whole document. So when the workflow fails, its elements are
   validated alone as well, the root last (see diagnose), and every
   problem is said at once, in the order of their lines. What the whole
   document's validation said stays when that finds nothing; the root's
   own echoes stay for when none of this says anything.
   Each element is validated with all inside it, so a deep workflow
   costs its size times its depth: past DIAGNOSE_FACTOR times its size
   (a file nested as no workflow is, made to be slow), the whole
   document's first problem is all that is said. */
static void
diagnose_all(struct loader *ld, xmlNode *root, size_t before)
{
	struct strlist echoes = ld->cascade, whole = { 0 };

	ld->budget = DIAGNOSE_FACTOR * count_elements(root);
	ld->exhausted = false;

	for (size_t i = before; i < ld->errors.n; i++)
		strlist_add(&whole, ld->errors.v[i]);
	while (ld->errors.n > before)
		free(ld->errors.v[--ld->errors.n]);
	memset(&ld->cascade, 0, sizeof(ld->cascade));
	(void)diagnose(ld, root);
	strlist_clear(&ld->cascade);
	ld->cascade = echoes;
	while (ld->exhausted && ld->errors.n > before)
		free(ld->errors.v[--ld->errors.n]);
	if (ld->errors.n == before)
		for (size_t i = 0; i < whole.n; i++)
			strlist_add(&ld->errors, whole.v[i]);
	strlist_clear(&whole);
	order_by_line(ld, before);
}

static void
validate(struct loader *ld, xmlDoc *xml)
{
	size_t before = ld->errors.n;
	bool stray;
	int ret;

	stray_text(ld, xmlDocGetRootElement(xml));
	stray = ld->errors.n > before;
	if (child_order(ld, xmlDocGetRootElement(xml)) > 0)
		return;
	/* a valid workflow is done without the full schema, whose
	   pattern facets libxml2 compiles again for every value; all
	   else is said by the full schema below */
	if (workflow_patterns_valid(xml) == 1)
		return;
	ld->xml = xml;
	ret = schema_validate(ld, get_schema(), xml);
	/* (stray text makes every element around it fail alone: it is
	   said already) */
	if (ret != 0 && !stray)
		diagnose_all(ld, xmlDocGetRootElement(xml), before);
	ld->xml = NULL;
	if (ld->errors.n == before)
		for (size_t i = 0; i < ld->cascade.n; i++)
			strlist_add(&ld->errors, ld->cascade.v[i]);
	strlist_clear(&ld->cascade);
	if (ret != 0 && ld->errors.n == before)
		lerror(ld, xmlDocGetRootElement(xml), "does not follow the "
		       "workflow schema");
}

/* --- calendars ----------------------------------------------------------- */

static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu",
					 "fri", "sat", NULL };

static int
day_index(const char *s, size_t n)
{
	for (int i = 0; day_names[i] != NULL; i++) {
		if (n == 3 && strncmp(s, day_names[i], 3) == 0)
			return i;
	}
	return -1;
}

/* "mon-fri", "sat", "mon,wed,fri" into DAYS[7]. */
static int
parse_days(const char *text, bool days[7])
{
	const char *p = text;

	memset(days, 0, 7 * sizeof(bool));
	while (*p != '\0') {
		size_t n = strcspn(p, ",-");
		int a = day_index(p, n), b;

		if (a < 0)
			return -1;
		p += n;
		b = a;
		if (*p == '-') {
			p++;
			n = strcspn(p, ",");
			b = day_index(p, n);
			if (b < 0)
				return -1;
			p += n;
		}
		/* a range runs Monday to Sunday: mon-sun, fri-sun */
		for (int d = a;; d = (d + 1) % 7) {
			days[d] = true;
			if (d == b)
				break;
		}
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return -1;
	}
	return 0;
}

static int
parse_hhmm(const char *s)
{
	int minute;

	return calendar_clock_parse(s, &minute) == 0 ? minute : -1;
}

static void
add_calendar(struct workflow *wf, const char *id, struct calendar *cal)
{
	wf->calendars = xrealloc(wf->calendars,
				 (wf->ncalendars + 1) * sizeof(*wf->calendars));
	wf->calendar_ids = xrealloc(wf->calendar_ids, (wf->ncalendars + 1) *
				    sizeof(*wf->calendar_ids));
	wf->calendars[wf->ncalendars] = cal;
	wf->calendar_ids[wf->ncalendars++] = xstrdup(id);
}

static const struct calendar *
find_calendar(const struct workflow *wf, const char *id)
{
	for (size_t i = 0; i < wf->ncalendars; i++) {
		if (strcmp(wf->calendar_ids[i], id) == 0)
			return wf->calendars[i];
	}
	return NULL;
}

static void
load_calendar(struct loader *ld, xmlNode *node)
{
	struct calendar *cal = calendar_new(CALENDAR_SWEDEN);
	char *id = workflow_attr(node, "id");
	bool closed_all = true;
	long hours_line[7] = { 0 };	/* where each day got its hours */

	if (find_calendar(ld->wf, id) != NULL)
		lerror(ld, node, "duplicate calendar id '%s'", id);
	for (int d = 0; d < 7; d++)
		calendar_set_hours(cal, d, 0, 0, NULL);
	for (xmlNode *n = node->children; n != NULL; n = n->next) {
		char *days = NULL, *open = NULL, *close = NULL, *date = NULL;
		char *err = NULL;
		bool set[7];
		int y, m, d;
		char end;

		if (workflow_node_is(n, "hours")) {
			int o, c;

			days = workflow_attr(n, "days");
			open = workflow_attr(n, "open");
			close = workflow_attr(n, "close");
			o = parse_hhmm(open);
			c = parse_hhmm(close);
			if (days == NULL || parse_days(days, set) < 0)
				lerror(ld, n, "days: expected e.g. mon-fri or "
				       "mon,wed,fri");
			else if (o < 0 || c < 0 || o >= c)
				lerror(ld, n, "open and close must be times "
				       "HH:MM with open before close");
			else
				for (int i = 0; i < 7; i++) {
					/* one range a day: a second would
					   silently replace the first */
					if (set[i] && hours_line[i] != 0) {
						lerror(ld, n, "%s has opening "
						       "hours already (line "
						       "%ld): one range a day",
						       day_names[i],
						       hours_line[i]);
						continue;
					}
					if (set[i])
						hours_line[i] = xmlGetLineNo(n);
					if (set[i] && calendar_set_hours(
						    cal, i, o, c, &err) < 0) {
						lerror(ld, n, "%s", err);
						free(err);
						err = NULL;
					}
					closed_all = closed_all && !set[i];
				}
		} else if (workflow_node_is(n, "closed")) {
			date = workflow_attr(n, "date");
			if (date == NULL ||
			    sscanf(date, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3 ||
			    strlen(date) != 10 ||
			    calendar_add_closed_day(cal, y, m, d, &err) < 0) {
				lerror(ld, n, "closed: %s", err != NULL ? err :
				       "expected a date YYYY-MM-DD");
				free(err);
			}
		}
		free(days);
		free(open);
		free(close);
		free(date);
	}
	if (closed_all)
		lerror(ld, node, "calendar '%s' has no opening hours", id);
	add_calendar(ld->wf, id, cal);
	free(id);
}

/* --- roles, commands, templates ----------------------------------------- */

void
workflow_split_words(const char *text, struct strlist *l)
{
	const char *p = text;

	while (p != NULL && *p != '\0') {
		size_t n;

		p += strspn(p, " \t\r\n");
		n = strcspn(p, " \t\r\n");
		if (n > 0) {
			char *w = xstrndup(p, n);

			strlist_add(l, w);
			free(w);
		}
		p += n;
	}
}

/* NAME is a handler group the element N names. */
static void
add_group(struct workflow *wf, const xmlNode *n, const char *name)
{
	strlist_add(&wf->groups, name);
	wf->group_lines = xrealloc(wf->group_lines,
				   wf->groups.n * sizeof(*wf->group_lines));
	wf->group_lines[wf->groups.n - 1] = (int)xmlGetLineNo(n);
}

static void
load_roles(struct loader *ld, xmlNode *node)
{
	struct workflow *wf = ld->wf;

	for (xmlNode *n = node->children; n != NULL; n = n->next) {
		struct workflow_role r;

		if (!workflow_node_is(n, "role"))
			continue;
		r.id = workflow_attr(n, "id");
		r.group = workflow_attr(n, "group");
		r.line = (int)xmlGetLineNo(n);
		for (size_t i = 0; i < wf->nroles; i++) {
			if (strcmp(wf->roles[i].id, r.id) == 0)
				lerror(ld, n, "duplicate role id '%s' (first "
				       "at line %d)", r.id, wf->roles[i].line);
		}
		SCXML_PUSH(wf->roles, wf->nroles, r);
		if (r.group != NULL)
			add_group(wf, n, r.group);
	}
}

static int
enum_attr(struct loader *ld, xmlNode *n, const char *name,
	  const char *const *values, int dflt)
{
	char *v = workflow_attr(n, name);
	int ret = dflt;

	for (int i = 0; v != NULL && values[i] != NULL; i++) {
		if (strcmp(v, values[i]) == 0)
			ret = i;
	}
	if (v != NULL && ret == dflt && strcmp(v, values[dflt]) != 0)
		lerror(ld, n, "%s: unknown value '%s'", name, v);
	free(v);
	return ret;
}

/* <translation xml:lang="en" word="take" help="..."/> of command C: its
   word is taken like an alias (once, if the command has it already). */
static void
load_translation(struct loader *ld, struct workflow_command *c, xmlNode *n)
{
	struct workflow *wf = ld->wf;
	xmlChar *lang = xmlNodeGetLang(n);
	struct workflow_translation t = { 0 };

	t.lang = xstrdup(lang != NULL ? (const char *)lang : wf->lang);
	xmlFree(lang);
	t.word = workflow_attr(n, "word");
	t.help = workflow_attr(n, "help");
	t.line = (int)xmlGetLineNo(n);
	if (strcmp(t.lang, wf->lang) == 0)
		lerror(ld, n, "command '%s': a translation into '%s', the "
		       "workflow's own language: the command's word and help "
		       "are already that", c->word, t.lang);
	else if (t.word == NULL && t.help == NULL)
		lerror(ld, n, "command '%s': the translation into '%s' has "
		       "neither word nor help", c->word, t.lang);
	for (size_t i = 0; i < c->ntr; i++) {
		if (strcmp(c->tr[i].lang, t.lang) == 0)
			lerror(ld, n, "command '%s': a second translation into "
			       "'%s' (first at line %d)", c->word, t.lang,
			       c->tr[i].line);
	}
	if (t.word != NULL && !workflow_command_is(c, t.word))
		strlist_add(&c->aliases, t.word);
	SCXML_PUSH(c->tr, c->ntr, t);
}

static void use_template(struct loader *ld, xmlNode *n, bool to_citizen);

static void
load_commands(struct loader *ld, xmlNode *node)
{
	static const char *const texts[] = { "none", "optional", "required",
					     NULL };
	static const char *const args[] = { "none", "handler", "word", "case",
					    NULL };
	struct workflow *wf = ld->wf;

	for (xmlNode *n = node->children; n != NULL; n = n->next) {
		struct workflow_command c = { 0 };
		char *aliases, *roles;

		if (!workflow_node_is(n, "command"))
			continue;
		c.word = workflow_attr(n, "word");
		c.event = workflow_attr(n, "event");
		c.help = workflow_attr(n, "help");
		aliases = workflow_attr(n, "aliases");
		roles = workflow_attr(n, "role");
		workflow_split_words(aliases, &c.aliases);
		workflow_split_words(roles, &c.roles);
		free(aliases);
		free(roles);
		c.text = (enum workflow_text)enum_attr(ld, n, "text", texts,
						       WORKFLOW_TEXT_OPTIONAL);
		c.argument = (enum workflow_argument)enum_attr(
			ld, n, "argument", args, WORKFLOW_ARG_NONE);
		c.line = (int)xmlGetLineNo(n);
		c.template = workflow_attr(n, "template");
		/* the text goes to the citizen in it, as a <reply> would */
		if (c.template != NULL && c.text == WORKFLOW_TEXT_NONE)
			lerror(ld, n, "command '%s': a template for its text, "
			       "but text=\"none\"", c.word);
		else if (c.template != NULL)
			use_template(ld, n, true);
		for (xmlNode *t = n->children; t != NULL; t = t->next)
			if (workflow_node_is(t, "translation"))
				load_translation(ld, &c, t);
		SCXML_PUSH(wf->commands, wf->ncommands, c);
	}
}

static void
load_templates(struct loader *ld, xmlNode *node)
{
	struct workflow *wf = ld->wf;

	for (xmlNode *n = node->children; n != NULL; n = n->next) {
		struct workflow_template t;

		if (!workflow_node_is(n, "template"))
			continue;
		t.id = workflow_attr(n, "id");
		t.line = (int)xmlGetLineNo(n);
		t.to_citizen = false;
		for (size_t i = 0; i < wf->ntemplates; i++) {
			if (strcmp(wf->templates[i].id, t.id) == 0)
				lerror(ld, n, "template '%s' declared twice",
				       t.id);
		}
		SCXML_PUSH(wf->templates, wf->ntemplates, t);
	}
}

/* --- states, timers and actions ----------------------------------------- */

static void
load_timer(struct loader *ld, xmlNode *n, const char *state)
{
	struct workflow *wf = ld->wf;
	struct workflow_timer t = { 0 };
	char *cal = workflow_attr(n, "calendar"), *err = NULL;

	t.id = workflow_attr(n, "id");
	t.state = xstrdup(state);
	t.event = workflow_attr(n, "event");
	t.after_text = workflow_attr(n, "after");
	t.line = (int)xmlGetLineNo(n);
	if (t.after_text == NULL ||
	    calendar_duration_parse(t.after_text, &t.after, &err) < 0) {
		lerror(ld, n, "timer '%s': after: %s", t.id,
		       err != NULL ? err : "missing");
		free(err);
	}
	if (cal != NULL && find_calendar(wf, cal) == NULL)
		lerror(ld, n, "timer '%s': unknown calendar '%s'", t.id, cal);
	t.calendar = find_calendar(wf, cal != NULL ? cal : wf->calendar_id);
	t.wall_clock = cal != NULL ? strcmp(cal, "none") == 0 :
		strcmp(wf->calendar_id, "none") == 0;
	for (size_t i = 0; i < wf->ntimers; i++) {
		if (strcmp(wf->timers[i].id, t.id) == 0)
			lerror(ld, n, "duplicate timer id '%s' (first at line "
			       "%d)", t.id, wf->timers[i].line);
	}
	SCXML_PUSH(wf->timers, wf->ntimers, t);
	free(cal);
}

static void
use_template(struct loader *ld, xmlNode *n, bool to_citizen)
{
	struct workflow *wf = ld->wf;
	struct workflow_template t;

	t.id = workflow_attr(n, "template");
	if (t.id == NULL) {
		lerror(ld, n, "<%s> needs a template", (const char *)n->name);
		return;
	}
	t.line = (int)xmlGetLineNo(n);
	t.to_citizen = to_citizen;
	SCXML_PUSH(wf->used_templates, wf->nused_templates, t);
}

/* "role:x", "group:x", "handler:x" or one of the WORDS. */
static bool
valid_party(const char *to, const char *const *words)
{
	static const char *const prefixes[] = { "role:", "group:", "handler:",
						NULL };

	if (to == NULL)
		return false;
	if (workflow_in_list(words, to))
		return true;
	for (size_t i = 0; prefixes[i] != NULL; i++) {
		size_t n = strlen(prefixes[i]);

		if (strncmp(to, prefixes[i], n) == 0 && to[n] != '\0')
			return true;
	}
	return false;
}

static void
check_action(struct loader *ld, xmlNode *n)
{
	static const char *const notify_words[] = { "assignee", NULL };
	static const char *const assign_words[] = { "sender", "argument",
						    "none", NULL };
	static const char *const fields[] = { "priority", "category", "group",
					      "due", NULL };
	const char *name = (const char *)n->name;
	char *to = workflow_attr(n, "to");
	char *field = workflow_attr(n, "field"), *value = workflow_attr(n, "value");
	char *after = workflow_attr(n, "after"), *err = NULL;
	struct calendar_duration d;

	if (to != NULL && strncmp(to, "group:", 6) == 0 && to[6] != '\0')
		add_group(ld->wf, n, to + 6);
	if (strcmp(name, "reply") == 0) {
		use_template(ld, n, true);
	} else if (strcmp(name, "notify") == 0) {
		use_template(ld, n, false);
		if (!valid_party(to, notify_words))
			lerror(ld, n, "notify: to must be assignee, role:ID, "
			       "group:NAME or handler:LOGIN");
	} else if (strcmp(name, "assign") == 0) {
		if (!valid_party(to, assign_words))
			lerror(ld, n, "assign: to must be handler:LOGIN, "
			       "sender, argument, role:ID, group:NAME or none");
	} else if (strcmp(name, "set") == 0) {
		if (field == NULL || !workflow_in_list(fields, field))
			lerror(ld, n, "set: field must be priority, category, "
			       "group or due");
		else if (strcmp(field, "due") == 0) {
			if (after == NULL)
				lerror(ld, n, "set field=\"due\" needs after");
			else if (after[0] != '\0' &&
				 calendar_duration_parse(after, &d, &err) < 0)
				lerror(ld, n, "set: after: %s", err);
		} else if (value == NULL) {
			lerror(ld, n, "set field=\"%s\" needs value", field);
		} else if (strcmp(field, "priority") == 0 &&
			   !workflow_in_list(priorities, value)) {
			lerror(ld, n, "set: priority must be low, normal, high "
			       "or urgent");
		} else if (strcmp(field, "group") == 0 &&
			   strncmp(value, "role:", 5) != 0) {
			lerror(ld, n, "set: group must be role:ID");
		}
	}
	free(err);
	free(to);
	free(field);
	free(value);
	free(after);
}

static void rewrite(struct loader *ld, xmlNode *node, xmlNs *scxml_ns,
		    const char *state);

static enum workflow_category
category_of(struct loader *ld, xmlNode *n)
{
	static const char *const names[] = { "initial", "active", "waiting",
					     "inactive", NULL };

	if (workflow_node_is(n, "final"))
		return WORKFLOW_INACTIVE;
	return (enum workflow_category)enum_attr(ld, n, "category", names,
						 WORKFLOW_ACTIVE);
}

static void
drop(xmlNode *n)
{
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

/* Element names that are SCXML's, in cirm's namespace. */
static const char *const scxml_names[] = {
	"state", "parallel", "final", "transition", "onentry", "onexit",
	"raise", "log", "if", "elseif", "else", NULL
};
/* cirm's actions, left for the host. */
static const char *const action_names[] = { "reply", "notify", "assign",
					    "set", NULL };

/* Rewrites the children of NODE: SCXML's elements move into the SCXML
   namespace, cirm's parts are read and removed, foreign elements go
   (ignored), actions stay for the host. STATE is the enclosing state. */
static void
rewrite(struct loader *ld, xmlNode *node, xmlNs *scxml_ns, const char *state)
{
	xmlNode *next;

	for (xmlNode *n = node->children; n != NULL; n = next) {
		const char *name = (const char *)n->name;

		next = n->next;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!workflow_node_is(n, NULL)) {
			drop(n);
			continue;
		}
		if (workflow_in_list(action_names, name)) {
			check_action(ld, n);
			continue;
		}
		if (strcmp(name, "timer") == 0) {
			load_timer(ld, n, state != NULL ? state : "");
			drop(n);
			continue;
		}
		if (!workflow_in_list(scxml_names, name)) {
			lerror(ld, n, "<%s> is not allowed here", name);
			drop(n);
			continue;
		}
		if (strcmp(name, "state") == 0 || strcmp(name, "parallel") == 0 ||
		    strcmp(name, "final") == 0) {
			struct workflow_state st = { 0 };

			st.id = workflow_attr(n, "id");
			if (st.id == NULL)
				st.id = xstrdup("");
			st.final = strcmp(name, "final") == 0;
			st.category = category_of(ld, n);
			st.label = workflow_attr(n, "label");
			st.line = (int)xmlGetLineNo(n);
			SCXML_PUSH(ld->wf->states, ld->wf->nstates, st);
			xmlUnsetNsProp(n, NULL, (const xmlChar *)"category");
			xmlUnsetNsProp(n, NULL, (const xmlChar *)"label");
			xmlSetNs(n, scxml_ns);
			rewrite(ld, n, scxml_ns, st.id);
			continue;
		}
		xmlSetNs(n, scxml_ns);
		rewrite(ld, n, scxml_ns, state);
	}
}

/* The text of <title>, its own (not a foreign element's), on one line
   with runs of white space made single spaces; NULL when there is
   none. */
static char *
title_text(const xmlNode *node)
{
	struct strlist words = { 0 };
	char *out = NULL, *text = xstrdup("");

	/* "Syn<!-- -->punkter" is one word */
	for (const xmlNode *c = node->children; c != NULL; c = c->next)
		if ((c->type == XML_TEXT_NODE ||
		     c->type == XML_CDATA_SECTION_NODE) && c->content != NULL) {
			char *more = xasprintf("%s%s", text,
					       (const char *)c->content);

			free(text);
			text = more;
		}
	workflow_split_words(text, &words);
	free(text);
	for (size_t i = 0; i < words.n; i++) {
		char *more = out == NULL ? xstrdup(words.v[i]) :
			xasprintf("%s %s", out, words.v[i]);

		free(out);
		out = more;
	}
	strlist_clear(&words);
	return out;
}

static void
load_head(struct loader *ld, xmlNode *root)
{
	for (xmlNode *n = root->children, *next; n != NULL; n = next) {
		next = n->next;
		if (workflow_node_is(n, "title") && ld->wf->title == NULL)
			ld->wf->title = title_text(n);
		if (workflow_node_is(n, "calendar"))
			load_calendar(ld, n);
		else if (workflow_node_is(n, "roles"))
			load_roles(ld, n);
		else if (workflow_node_is(n, "commands"))
			load_commands(ld, n);
		else if (workflow_node_is(n, "templates"))
			load_templates(ld, n);
		else if (!workflow_node_is(n, "title") &&
			 !workflow_node_is(n, "description"))
			continue;
		drop(n);
	}
}

/* sms-window="P7D" (wall clock), sms-segments="3" and sms-links="no". */
static void
load_sms(struct loader *ld, xmlNode *root)
{
	struct workflow *wf = ld->wf;
	char *window = workflow_attr(root, "sms-window");
	char *segments = workflow_attr(root, "sms-segments");
	char *links = workflow_attr(root, "sms-links");
	struct calendar_duration d;
	char *err = NULL;
	long n = 0;

	wf->sms_window = WORKFLOW_SMS_WINDOW_DEFAULT;
	wf->sms_segments = WORKFLOW_SMS_SEGMENTS_DEFAULT;
	if (window != NULL) {
		if (calendar_duration_parse(window, &d, &err) < 0) {
			lerror(ld, root, "sms-window: %s", err);
			free(err);
		} else
			wf->sms_window = (int64_t)d.years * 365 * 86400 +
				(int64_t)d.months * 30 * 86400 +
				(int64_t)d.weeks * 7 * 86400 +
				(int64_t)d.days * 86400 + (int64_t)d.hours * 3600 +
				(int64_t)d.minutes * 60 + d.seconds;
	}
	if (segments != NULL) {
		if (str_to_long(segments, 1, WORKFLOW_SMS_SEGMENTS_MAX, &n) < 0)
			lerror(ld, root, "sms-segments must be a whole number "
			       "from 1 to %d", WORKFLOW_SMS_SEGMENTS_MAX);
		else
			wf->sms_segments = (int)n;
	}
	wf->sms_links = links != NULL && strcmp(links, "yes") == 0;
	free(window);
	free(segments);
	free(links);
}

static void
load_root(struct loader *ld, xmlNode *root)
{
	struct workflow *wf = ld->wf;
	char *version = workflow_attr(root, "version");
	xmlChar *lang = xmlNodeGetLang(root);
	long v = 0;
	xmlNs *ns;

	wf->id = workflow_attr(root, "id");
	if (wf->id == NULL)
		wf->id = xstrdup("");
	if (version == NULL || str_to_long(version, 1, 1000000, &v) < 0)
		lerror(ld, root, "version must be a whole number from 1");
	wf->version = (int)v;
	wf->line = (int)xmlGetLineNo(root);
	wf->lang = xstrdup(lang != NULL ? (const char *)lang : "sv");
	xmlFree(lang);
	free(version);
	wf->calendar_id = workflow_attr(root, "calendar");
	if (wf->calendar_id == NULL)
		wf->calendar_id = xstrdup("sweden");
	add_calendar(wf, "sweden", calendar_new(CALENDAR_SWEDEN));
	add_calendar(wf, "none", calendar_new(CALENDAR_NONE));
	load_sms(ld, root);
	load_head(ld, root);
	wf->calendar = find_calendar(wf, wf->calendar_id);
	if (wf->calendar == NULL) {
		lerror(ld, root, "unknown calendar '%s' (sweden, none, or a "
		       "<calendar> of this file)", wf->calendar_id);
		wf->calendar = wf->calendars[0];
	}
	ns = xmlNewNs(root, (const xmlChar *)SCXML_NAMESPACE,
		      (const xmlChar *)"scxml");
	xmlNodeSetName(root, (const xmlChar *)"scxml");
	xmlSetNs(root, ns);
	xmlUnsetNsProp(root, NULL, (const xmlChar *)"id");
	xmlUnsetNsProp(root, NULL, (const xmlChar *)"version");
	xmlUnsetNsProp(root, NULL, (const xmlChar *)"calendar");
	xmlUnsetNsProp(root, NULL, (const xmlChar *)"sms-window");
	xmlUnsetNsProp(root, NULL, (const xmlChar *)"sms-segments");
	xmlUnsetNsProp(root, NULL, (const xmlChar *)"sms-links");
	rewrite(ld, root, ns, NULL);
	/* foreign attributes are the editors'; the core ignores them */
}

/* Conditions: the predicates' arguments are checked when loading. */
static void
check_pred(void *ctx, const char *name, const char *arg, char **error_r)
{
	(void)ctx;
	if (strcmp(name, "assigned") == 0 || strcmp(name, "thanks") == 0) {
		if (arg != NULL)
			*error_r = xstrdup("takes no argument");
		return;
	}
	if (arg == NULL || arg[0] == '\0') {
		*error_r = xstrdup("needs an argument");
		return;
	}
	if (strcmp(name, "channel") == 0 && strcmp(arg, "email") != 0 &&
	    strcmp(arg, "sms") != 0)
		*error_r = xstrdup("the channels are 'email' and 'sms'");
	else if (strcmp(name, "priority") == 0 &&
		 !workflow_in_list(priorities, arg))
		*error_r = xstrdup("the priorities are low, normal, high and "
				   "urgent");
	else if (strcmp(name, "pattern") == 0)
		(void)workflow_pattern(arg, NULL, error_r);
}

/* workflow_load(), or for CHECKING workflow_load_checking(): every
   problem appended to ERRORS. 0 with *WF_R (CHECKING: perhaps with
   problems in the chart's references, wf->unresolved), or -1. */
static int
load(const char *name, const char *data, size_t len, bool checking,
     struct workflow **wf_r, struct strlist *errors)
{
	static const struct scxml_options opts = {
		.predicates = workflow_predicates, .check_pred = check_pred,
	};
	struct loader ld = { .wf = xcalloc(1, sizeof(*ld.wf)) };
	xmlDoc *xml;
	xmlNode *root;
	char *err = NULL;

	*wf_r = NULL;
	ld.wf->name = xstrdup(name);
	blob_id(data, len, ld.wf->sha256);
	xml = scxml_parse_xml(name, data, len, WORKFLOW_MAX_SIZE, &err);
	if (xml == NULL) {
		/* the parse's problems, in line order already, alone */
		strlist_add(errors, err);
		free(err);
		workflow_free(&ld.wf);
		return -1;
	}
	root = xmlDocGetRootElement(xml);
	if (root == NULL || !workflow_node_is(root, "workflow"))
		lerror(&ld, root, "the root element must be <workflow> in "
		       "namespace %s", WORKFLOW_NAMESPACE);
	else
		validate(&ld, xml);
	if (ld.errors.n == 0)
		load_root(&ld, root);
	if (ld.errors.n == 0) {
		/* takes XML over, freed with the chart or at once */
		if (scxml_load_xml_checking(name, xml, &opts, &ld.wf->chart,
					    &ld.errors) < 0 ||
		    (!checking && ld.errors.n > 0))
			scxml_free(&ld.wf->chart);
		ld.wf->unresolved = ld.wf->chart != NULL && ld.errors.n > 0;
	} else {
		xmlFreeDoc(xml);
	}
	for (size_t i = 0; i < ld.errors.n; i++)
		strlist_add(errors, ld.errors.v[i]);
	if (ld.wf->chart == NULL) {
		strlist_clear(&ld.errors);
		workflow_free(&ld.wf);
		return -1;
	}
	strlist_clear(&ld.errors);
	*wf_r = ld.wf;
	return 0;
}

int
workflow_load_checking(const char *name, const char *data, size_t len,
		       struct workflow **wf_r, struct strlist *errors)
{
	return load(name, data, len, true, wf_r, errors);
}

int
workflow_load(const char *name, const char *data, size_t len,
	      struct workflow **wf_r, char **error_r)
{
	struct strlist errors = { 0 };

	if (load(name, data, len, false, wf_r, &errors) == 0)
		return 0;
	*error_r = scxml_join_errors(&errors, name);
	return -1;
}

FILE *
workflow_open_file(const char *path, char **error_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	FILE *f;

	if (fd < 0 || fstat(fd, &st) < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = xasprintf("%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "rb");
	if (f == NULL) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

/* The bytes of the workflow file PATH into *BUF_R and *LEN_R (caller
   frees; more than WORKFLOW_MAX_SIZE when it is larger), or NULL with
   *ERROR_R. */
static int
read_file(const char *path, char **buf_r, size_t *len_r, char **error_r)
{
	FILE *f;
	size_t len = 0, n;
	char *buf;

	if ((f = workflow_open_file(path, error_r)) == NULL)
		return -1;
	buf = xmalloc(WORKFLOW_MAX_SIZE + 2);
	while (len <= WORKFLOW_MAX_SIZE &&
	       (n = fread(buf + len, 1, WORKFLOW_MAX_SIZE + 1 - len, f)) > 0)
		len += n;
	if (ferror(f)) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	*buf_r = buf;
	*len_r = len;
	return 0;
}

int
workflow_load_file(const char *path, struct workflow **wf_r, char **error_r)
{
	char *buf;
	size_t len;
	int ret;

	*wf_r = NULL;
	if (read_file(path, &buf, &len, error_r) < 0)
		return -1;
	ret = workflow_load(path, buf, len, wf_r, error_r);
	free(buf);
	return ret;
}

int
workflow_load_file_checking(const char *path, struct workflow **wf_r,
			    struct strlist *errors)
{
	char *buf, *err = NULL;
	size_t len;
	int ret;

	*wf_r = NULL;
	if (read_file(path, &buf, &len, &err) < 0) {
		strlist_add(errors, err);
		free(err);
		return -1;
	}
	ret = workflow_load_checking(path, buf, len, wf_r, errors);
	free(buf);
	return ret;
}

char *
workflow_same_version(const struct workflow *wf, const struct workflow *other)
{
	if (strcmp(wf->id, other->id) != 0 || wf->version != other->version)
		return NULL;
	return xasprintf("%s:%d: workflow %s version %d is also in %s:%d: a "
			 "file holds one version of one workflow, and cirm "
			 "cannot tell which is meant: give one of them a new "
			 "version number, or remove it", wf->name, wf->line, wf->id, wf->version,
			 other->name, other->line);
}

void
workflow_free(struct workflow **wfp)
{
	struct workflow *wf = *wfp;

	if (wf == NULL)
		return;
	free(wf->title);
	for (size_t i = 0; i < wf->ncalendars; i++) {
		calendar_free(&wf->calendars[i]);
		free(wf->calendar_ids[i]);
	}
	free(wf->calendars);
	free(wf->calendar_ids);
	for (size_t i = 0; i < wf->nroles; i++) {
		free(wf->roles[i].id);
		free(wf->roles[i].group);
	}
	free(wf->roles);
	strlist_clear(&wf->groups);
	free(wf->group_lines);
	for (size_t i = 0; i < wf->ncommands; i++) {
		free(wf->commands[i].word);
		free(wf->commands[i].event);
		free(wf->commands[i].help);
		free(wf->commands[i].template);
		strlist_clear(&wf->commands[i].aliases);
		strlist_clear(&wf->commands[i].roles);
		for (size_t j = 0; j < wf->commands[i].ntr; j++) {
			free(wf->commands[i].tr[j].lang);
			free(wf->commands[i].tr[j].word);
			free(wf->commands[i].tr[j].help);
		}
		free(wf->commands[i].tr);
	}
	free(wf->commands);
	for (size_t i = 0; i < wf->ntemplates; i++)
		free(wf->templates[i].id);
	free(wf->templates);
	for (size_t i = 0; i < wf->nused_templates; i++)
		free(wf->used_templates[i].id);
	free(wf->used_templates);
	for (size_t i = 0; i < wf->ntimers; i++) {
		free(wf->timers[i].id);
		free(wf->timers[i].state);
		free(wf->timers[i].event);
		free(wf->timers[i].after_text);
	}
	free(wf->timers);
	for (size_t i = 0; i < wf->nstates; i++) {
		free(wf->states[i].id);
		free(wf->states[i].label);
	}
	free(wf->states);
	scxml_free(&wf->chart);
	free(wf->calendar_id);
	free(wf->lang);
	free(wf->id);
	free(wf->name);
	free(wf);
	*wfp = NULL;
}
