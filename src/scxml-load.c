/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "scxml-private.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <stdlib.h>
#include <string.h>

/* What one parse collects through libxml2's callbacks. */
struct scxml_parse {
	const char *name;
	const char *data;	/* the document, for what libxml2 leaves out */
	size_t len;
	struct strlist *errors;
	int doctype_line;	/* 0 when there is none */
	xmlParserCtxt *ctxt;
	bool bad_encoding;	/* not in the encoding it declares */
	int first_line;		/* of the first error, 0 before it */
	bool cut;		/* later errors left out (parse_serror) */
};

/* The line of the first "<!--" in P's document that no "-->" ends, or
   0. libxml2 says "Comment not terminated" at the end of the file, where
   the comment swallowed everything after it ("->" typed for "-->"). */
static int
open_comment_line(const struct scxml_parse *p)
{
	const char *d = p->data, *end = p->data + p->len, *q;
	int line = 1;

	for (q = d; q + 4 <= end; q++) {
		if (*q == '\n')
			line++;
		if (memcmp(q, "<!--", 4) != 0)
			continue;
		const char *c = q + 4;

		while (c + 3 <= end && memcmp(c, "-->", 3) != 0)
			c++;
		if (c + 3 > end)
			return line;
		for (; q < c; q++)
			line += *q == '\n';
	}
	return 0;
}

/* While loading: the document and its errors. */
struct scxml_loader {
	struct scxml *doc;
	struct strlist errors;
	/* the errors found before the references were resolved: the
	   chart's structure (elements, ids); those after it (a target to
	   nowhere, a bad condition) leave a chart that can be checked */
	size_t structural;
	bool resolving;		/* got as far as the references */
};

static void CIRM_PRINTF(3, 4)
load_error(struct scxml_loader *ld, const xmlNode *node, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_addf(&ld->errors, "%s:%ld: %s", ld->doc->name,
		     node != NULL ? xmlGetLineNo(node) : 0L, msg);
	free(msg);
}

/* The HTML entities that Swedish text copied from a web page or typed
   by habit has, and their characters. */
static const struct {
	const char *name, *utf8;
	unsigned code;
} html_entities[] = {
	{ "aring", "\xc3\xa5", 0xe5 }, { "auml", "\xc3\xa4", 0xe4 },
	{ "ouml", "\xc3\xb6", 0xf6 }, { "Aring", "\xc3\x85", 0xc5 },
	{ "Auml", "\xc3\x84", 0xc4 }, { "Ouml", "\xc3\x96", 0xd6 },
	{ "eacute", "\xc3\xa9", 0xe9 }, { "uuml", "\xc3\xbc", 0xfc },
	{ "nbsp", "a no-break space", 0xa0 },
	{ "ndash", "\xe2\x80\x93", 0x2013 },
	{ "mdash", "\xe2\x80\x94", 0x2014 },
	{ "hellip", "\xe2\x80\xa6", 0x2026 },
};

/* libxml2's "Entity 'aring' not defined" in an administrator's words:
   XML has five entities, a workflow can declare none (a DOCTYPE is
   refused), so the text is to be written out. Newly allocated, or NULL
   when MSG is not that. */
static char *
entity_words(const char *msg)
{
	static const char pre[] = "Entity '", post[] = "' not defined";
	size_t n = strlen(msg), lp = sizeof(pre) - 1, lq = sizeof(post) - 1;
	char *name, *out;

	if (n <= lp + lq || strncmp(msg, pre, lp) != 0 ||
	    strcmp(msg + n - lq, post) != 0)
		return NULL;
	name = xstrndup(msg + lp, n - lp - lq);
	out = NULL;
	for (size_t i = 0; out == NULL && i < N_ELEMENTS(html_entities); i++)
		if (strcmp(html_entities[i].name, name) == 0)
			out = xasprintf("&%s; is not XML (XML has only &amp; "
					"&lt; &gt; &quot; &apos;): write %s "
					"itself, or &#%u;", name,
					html_entities[i].utf8,
					html_entities[i].code);
	if (out == NULL)
		out = xasprintf("&%s; is not XML (XML has only &amp; &lt; "
				"&gt; &quot; &apos;, and a DOCTYPE to declare "
				"more is refused): write the text itself",
				name);
	free(name);
	return out;
}

static void
parse_serror(void *user, xmlErrorPtr err)
{
	xmlParserCtxt *ctxt = user;
	struct scxml_parse *p = ctxt->_private;
	char *msg, *words;
	size_t n;
	int line;

	/* what follows is the failed conversion's doing */
	if (p->bad_encoding)
		return;
	msg = xstrdup(err->message != NULL ? err->message : "error");
	n = strlen(msg);

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	/* one line each: "...encoding !\nBytes: 0x.." */
	for (char *q = msg; *q != '\0'; q++)
		if (*q == '\n')
			*q = ' ';
	/* libxml2's words for what an administrator can act on */
	if (strncmp(msg, "Excessive depth in document", 27) == 0) {
		free(msg);
		msg = xstrdup("elements nested more than 256 deep");
	} else if (strcmp(msg, "xmlParseEntityRef: no name") == 0 ||
		   strcmp(msg, "EntityRef: expecting ';'") == 0) {
		/* "a && b", "R&D": an & starts an entity in XML */
		free(msg);
		msg = xstrdup("a bare '&': write it as &amp; (in a cond, "
			      "write and instead of &&)");
	} else if (strcmp(msg, "Unescaped '<' not allowed in attributes "
			  "values") == 0) {
		free(msg);
		msg = xstrdup("a bare '<' in an attribute's value: write it "
			      "as &lt;");
	} else if ((words = entity_words(msg)) != NULL) {
		free(msg);
		msg = words;
	} else if (strncmp(msg, "Input is not proper UTF-8", 25) == 0) {
		char *m = xasprintf("not UTF-8: save the file as UTF-8, or "
				    "declare its encoding in <?xml ...?> (%s)",
				    msg);

		free(msg);
		msg = m;
	}
	line = err->line;
	if (strncmp(msg, "Comment not terminated", 22) == 0 &&
	    (line = open_comment_line(p)) > 0) {
		free(msg);
		msg = xstrdup("comment not terminated: this <!-- has no --> "
			      "after it, so the rest of the file is inside it");
	} else
		line = err->line;
	/* warnings (e.g. a relative namespace URI) do not refuse a file */
	if (p->doctype_line == 0 && err->level >= XML_ERR_ERROR) {
		char *e = xasprintf("%s:%d: %s", p->name, line, msg);
		/* the same again ("a && b" has two bare '&'): said once */
		bool again = p->errors->n > 0 &&
			strcmp(p->errors->v[p->errors->n - 1], e) == 0;

		if (p->first_line != 0) {
			/* What libxml2 says past its first fatal error is
			   mostly that error's doing ("attributes construct
			   error", "Opening and ending tag mismatch" at every
			   enclosing element, "Extra content at the end"):
			   the first error alone, and a word that the rest
			   waits for it. */
			if (!p->cut && !again)
				strlist_addf(p->errors, "%s:%d: the rest of "
					     "the file is read once this is "
					     "mended (XML stops at its first "
					     "error)", p->name, p->first_line);
			p->cut = p->cut || !again;
		} else {
			/* only a well-formedness error (fatal) stops XML:
			   after a namespace error ("Namespace prefix foo on
			   x is not defined") libxml2 reads on, and what it
			   says next is the file's own */
			if (err->level == XML_ERR_FATAL)
				p->first_line = line > 0 ? line : 1;
			if (!again)
				strlist_add(p->errors, e);
		}
		free(e);
	}
	free(msg);
}

/* libxml2 says that the bytes are not in the encoding the document
   declares without its parser context: through the thread's function
   for errors, else on stderr, and its parser then reports whatever it
   was reading as cut short ("Comment not terminated"). */
static void
encoding_serror(void *user, xmlErrorPtr err)
{
	struct scxml_parse *p = user;
	const xmlChar *enc = p->ctxt->encoding != NULL ? p->ctxt->encoding :
			     p->ctxt->input != NULL ? p->ctxt->input->encoding :
						     NULL;

	if (p->bad_encoding || err->level < XML_ERR_ERROR)
		return;
	if (err->domain != XML_FROM_I18N && err->domain != XML_FROM_IO) {
		parse_serror(p->ctxt, err);
		return;
	}
	p->bad_encoding = true;
	strlist_addf(p->errors, "%s:%d: not in the encoding that <?xml ...?> "
		     "declares (%s): save the file in it, or as UTF-8 "
		     "without the declaration", p->name,
		     p->ctxt->input != NULL && p->ctxt->input->line > 0 ?
			     p->ctxt->input->line : 1,
		     enc != NULL ? (const char *)enc : "?");
}

/* Stops at the DOCTYPE before any entity is declared or expanded. */
static void
parse_doctype(void *user, const xmlChar *name, const xmlChar *ext_id,
	      const xmlChar *sys_id)
{
	xmlParserCtxt *ctxt = user;
	struct scxml_parse *p = ctxt->_private;

	p->doctype_line = ctxt->input != NULL ? ctxt->input->line : 1;
	if (p->doctype_line < 1)
		p->doctype_line = 1;
	xmlStopParser(ctxt);
}

/* Parses DATA hardened: NONET, no entity substitution, no DTD loading,
   and a DOCTYPE stops the parse. */
static xmlDoc *
parse_xml(const char *name, const char *data, size_t len,
	  struct strlist *errors)
{
	struct scxml_parse p = { .name = name, .data = data, .len = len,
				 .errors = errors };
	xmlParserCtxt *ctxt = xmlNewParserCtxt();
	xmlDoc *xml;

	if (ctxt == NULL)
		abort();
	p.ctxt = ctxt;
	ctxt->_private = &p;
	ctxt->sax->serror = parse_serror;
	ctxt->sax->internalSubset = parse_doctype;
	ctxt->sax->externalSubset = parse_doctype;
	ctxt->vctxt.error = NULL;
	ctxt->vctxt.warning = NULL;
	xmlSetStructuredErrorFunc(&p, encoding_serror);
	xml = xmlCtxtReadMemory(ctxt, data, (int)len, name, NULL,
				XML_PARSE_NONET | XML_PARSE_BIG_LINES |
				XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (p.doctype_line == 0 && xml != NULL && xml->intSubset != NULL)
		p.doctype_line = 1;
	if (p.doctype_line != 0) {
		strlist_addf(errors, "%s:%d: DOCTYPE not allowed (no DTDs or "
			     "entities): remove the <!DOCTYPE ...> and write "
			     "out what its entities stood for", name,
			     p.doctype_line);
		xmlFreeDoc(xml);
		xml = NULL;
	} else if (xml == NULL && errors->n == 0) {
		strlist_addf(errors, "%s:1: not well-formed XML", name);
	} else if (xml != NULL && !ctxt->wellFormed) {
		xmlFreeDoc(xml);
		xml = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	return xml;
}

bool
scxml_node_is(const xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE && node->ns != NULL &&
		strcmp((const char *)node->ns->href, SCXML_NAMESPACE) == 0 &&
		strcmp((const char *)node->name, name) == 0;
}

static bool
in_scxml_ns(const xmlNode *node)
{
	return node->type == XML_ELEMENT_NODE && node->ns != NULL &&
		strcmp((const char *)node->ns->href, SCXML_NAMESPACE) == 0;
}

static char *
get_attr(const xmlNode *node, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)name);
	char *s = v != NULL ? xstrdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

/* Reports attributes of NODE (without namespace) not in the
   space-separated list ALLOWED. */
static void
check_attrs(struct scxml_loader *ld, const xmlNode *node, const char *allowed)
{
	for (const xmlAttr *a = node->properties; a != NULL; a = a->next) {
		const char *n = (const char *)a->name;
		const char *p = allowed;
		size_t len = strlen(n);
		bool ok = false;

		if (a->ns != NULL)
			continue;
		while ((p = strstr(p, n)) != NULL && !ok) {
			ok = (p == allowed || p[-1] == ' ') &&
				(p[len] == ' ' || p[len] == '\0');
			p += len;
		}
		if (!ok)
			load_error(ld, node, "unknown attribute %s on <%s>", n,
				   (const char *)node->name);
	}
}

static void load_children(struct scxml_loader *ld, struct scxml_state *st,
			  const xmlNode *node);

static struct scxml_state *
new_state(struct scxml_loader *ld, struct scxml_state *parent,
	  const xmlNode *node, enum scxml_kind kind)
{
	struct scxml_state *st = xcalloc(1, sizeof(*st));

	st->kind = kind;
	st->parent = parent;
	st->line = (int)xmlGetLineNo(node);
	st->index = ld->doc->nstates;
	SCXML_PUSH(ld->doc->states, ld->doc->nstates, st);
	if (parent != NULL)
		SCXML_PUSH(parent->children, parent->nchildren, st);
	return st;
}

static void
load_state(struct scxml_loader *ld, struct scxml_state *parent,
	   const xmlNode *node, enum scxml_kind kind)
{
	struct scxml_state *st = new_state(ld, parent, node, kind);

	check_attrs(ld, node, kind == SCXML_KIND_STATE ? "id initial" : "id");
	st->id = get_attr(node, "id");
	if (st->id == NULL || st->id[0] == '\0')
		load_error(ld, node, "<%s> without id",
			   (const char *)node->name);
	if (kind == SCXML_KIND_STATE)
		st->initial_text = get_attr(node, "initial");
	load_children(ld, st, node);
	st->last = ld->doc->nstates - 1;
}

static void
load_transition(struct scxml_loader *ld, struct scxml_state *st,
		xmlNode *node)
{
	struct scxml_transition *t = xcalloc(1, sizeof(*t));
	char *type;

	check_attrs(ld, node, "event cond target type");
	t->source = st;
	t->node = node;
	t->event = get_attr(node, "event");
	t->cond = get_attr(node, "cond");
	t->target_text = get_attr(node, "target");
	type = get_attr(node, "type");
	if (type != NULL && strcmp(type, "internal") == 0)
		t->internal = true;
	else if (type != NULL && strcmp(type, "external") != 0)
		load_error(ld, node, "transition type must be internal or "
			   "external, not '%s'", type);
	free(type);
	if (t->event != NULL && strspn(t->event, " \t\r\n") == strlen(t->event))
		load_error(ld, node, "empty event attribute");
	SCXML_PUSH(st->transitions, st->ntransitions, t);
}

/* SCXML elements this interpreter refuses rather than ignores. */
static bool
is_unsupported(const char *name)
{
	static const char *const names[] = {
		"history", "initial", "invoke", "datamodel", "script",
		"donedata",
	};

	for (size_t i = 0; i < N_ELEMENTS(names); i++) {
		if (strcmp(name, names[i]) == 0)
			return true;
	}
	return false;
}

static void
load_child(struct scxml_loader *ld, struct scxml_state *st, xmlNode *n)
{
	const char *name = (const char *)n->name;
	bool final = st->kind == SCXML_KIND_FINAL;

	if (!final && strcmp(name, "state") == 0)
		load_state(ld, st, n, SCXML_KIND_STATE);
	else if (!final && strcmp(name, "parallel") == 0)
		load_state(ld, st, n, SCXML_KIND_PARALLEL);
	else if (!final && strcmp(name, "final") == 0)
		load_state(ld, st, n, SCXML_KIND_FINAL);
	else if (st->kind != SCXML_KIND_ROOT && strcmp(name, "onentry") == 0) {
		check_attrs(ld, n, "");
		SCXML_PUSH(st->onentry, st->nonentry, n);
	} else if (st->kind != SCXML_KIND_ROOT && strcmp(name, "onexit") == 0) {
		check_attrs(ld, n, "");
		SCXML_PUSH(st->onexit, st->nonexit, n);
	} else if (!final && st->kind != SCXML_KIND_ROOT &&
		   strcmp(name, "transition") == 0)
		load_transition(ld, st, n);
	else if (is_unsupported(name))
		load_error(ld, n, "<%s> is not supported", name);
	else
		load_error(ld, n, "unknown element <%s> in <%s>", name,
			   st->kind == SCXML_KIND_ROOT ? "scxml" :
			   (const char *)n->parent->name);
}

static void
load_children(struct scxml_loader *ld, struct scxml_state *st,
	      const xmlNode *node)
{
	for (xmlNode *n = node->children; n != NULL; n = n->next) {
		if (in_scxml_ns(n))
			load_child(ld, st, n);
	}
}

static int
cmp_id(const void *a, const void *b)
{
	const struct scxml_state *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

struct scxml_state *
scxml_find(const struct scxml *doc, const char *id)
{
	struct scxml_state key = { .id = (char *)id }, *kp = &key;
	struct scxml_state **r;

	/* no state has an id: by_id is NULL, which bsearch may not get */
	if (doc->nby_id == 0)
		return NULL;
	r = bsearch(&kp, doc->by_id, doc->nby_id, sizeof(*doc->by_id), cmp_id);
	return r != NULL ? *r : NULL;
}

/* Sorts the ids for lookup and reports duplicates. */
static void
index_ids(struct scxml_loader *ld)
{
	struct scxml *doc = ld->doc;

	for (size_t i = 1; i < doc->nstates; i++) {
		if (doc->states[i]->id != NULL && doc->states[i]->id[0] != '\0')
			SCXML_PUSH(doc->by_id, doc->nby_id, doc->states[i]);
	}
	if (doc->nby_id == 0)
		return;
	qsort(doc->by_id, doc->nby_id, sizeof(*doc->by_id), cmp_id);
	for (size_t i = 1; i < doc->nby_id; i++) {
		struct scxml_state *a = doc->by_id[i - 1], *b = doc->by_id[i];

		if (strcmp(a->id, b->id) == 0)
			strlist_addf(&ld->errors, "%s:%d: duplicate id '%s' "
				     "(first at line %d)", doc->name,
				     a->line > b->line ? a->line : b->line,
				     a->id, a->line < b->line ? a->line :
				     b->line);
	}
}

/* Of the states named ID (several when index_ids found it duplicated,
   which it reports), the one inside ST, or NULL: a state's initial
   means that one, so the other is no false "not inside". */
static struct scxml_state *
inside_named(const struct scxml *doc, const char *id,
	     const struct scxml_state *st)
{
	for (size_t i = 0; i < doc->nby_id; i++)
		if (strcmp(doc->by_id[i]->id, id) == 0 &&
		    scxml_is_descendant(doc->by_id[i], st))
			return doc->by_id[i];
	return NULL;
}

/* The state id of DOC nearest to ID, a slip of the keyboard away (a
   letter off, or two in an id of six or more), for "did you mean", or
   NULL when none or several are that near. */
static const char *
near_state(const struct scxml *doc, const char *id)
{
	struct near_search n;

	near_start(&n, id);
	for (size_t i = 0; i < doc->nby_id; i++)
		near_weigh(&n, doc->by_id[i]->id, doc->by_id[i]->id);
	return near_found(&n);
}

/* Resolves the space-separated ids in TEXT into *V; WHAT names the
   attribute in messages. */
static void
resolve_ids(struct scxml_loader *ld, int line, const char *what,
	    const char *text, struct scxml_state ***v, size_t *n)
{
	char *copy = xstrdup(text), *save = NULL;
	size_t count = 0;

	for (char *id = strtok_r(copy, " \t\r\n", &save); id != NULL;
	     id = strtok_r(NULL, " \t\r\n", &save)) {
		struct scxml_state *s;

		if (++count > SCXML_MAX_IDS) {
			strlist_addf(&ld->errors, "%s:%d: %s names more than "
				     "%d states", ld->doc->name, line, what,
				     SCXML_MAX_IDS);
			break;
		}
		s = scxml_find(ld->doc, id);
		if (s == NULL) {
			const char *near = near_state(ld->doc, id);

			strlist_addf(&ld->errors, "%s:%d: %s '%s': no such "
				     "state%s%s%s", ld->doc->name, line, what,
				     id, near != NULL ? " (did you mean '" : "",
				     near != NULL ? near : "",
				     near != NULL ? "'?)" : "");
		} else
			SCXML_PUSH(*v, *n, s);
	}
	if (count == 0)
		strlist_addf(&ld->errors, "%s:%d: empty %s", ld->doc->name,
			     line, what);
	free(copy);
}

/* Several states named together must be able to be active together: no
   two of them in different children of a <state> (or of <scxml>), but
   only in different regions of a <parallel>. */
static void
check_together(struct scxml_loader *ld, int line, const char *what,
	       struct scxml_state *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			const struct scxml_state *a = v[i]->parent;

			if (v[i] == v[j] || scxml_is_descendant(v[j], v[i]) ||
			    scxml_is_descendant(v[i], v[j]))
				continue;
			while (a != NULL && !scxml_is_descendant(v[j], a))
				a = a->parent;
			if (a != NULL && a->kind != SCXML_KIND_PARALLEL) {
				strlist_addf(&ld->errors, "%s:%d: %s '%s' and "
					     "'%s' cannot be active together "
					     "(several states only in "
					     "different regions of a "
					     "parallel state)", ld->doc->name,
					     line, what, v[i]->id, v[j]->id);
				return;
			}
		}
	}
}

static void
resolve_initial(struct scxml_loader *ld, struct scxml_state *st)
{
	if (st->initial_text == NULL) {
		for (size_t i = 0; i < st->nchildren && st->ninitial == 0; i++)
			SCXML_PUSH(st->initial, st->ninitial, st->children[i]);
		return;
	}
	if (st->nchildren == 0) {
		strlist_addf(&ld->errors, "%s:%d: initial on atomic state "
			     "'%s'", ld->doc->name, st->line, st->id);
		return;
	}
	resolve_ids(ld, st->line, "initial", st->initial_text, &st->initial,
		    &st->ninitial);
	for (size_t i = 0; i < st->ninitial; i++) {
		struct scxml_state *in;

		if (scxml_is_descendant(st->initial[i], st))
			continue;
		in = inside_named(ld->doc, st->initial[i]->id, st);
		if (in != NULL)
			st->initial[i] = in;
		else
			strlist_addf(&ld->errors, "%s:%d: initial state '%s' "
				     "is not inside '%s'", ld->doc->name,
				     st->line, st->initial[i]->id,
				     st->id != NULL ? st->id : "scxml");
	}
	check_together(ld, st->line, "initial", st->initial, st->ninitial);
}

static void
resolve_all(struct scxml_loader *ld)
{
	for (size_t i = 0; i < ld->doc->nstates; i++) {
		struct scxml_state *st = ld->doc->states[i];

		resolve_initial(ld, st);
		for (size_t j = 0; j < st->nonentry; j++)
			scxml_check_exec(ld->doc, st->onentry[j], &ld->errors);
		for (size_t j = 0; j < st->nonexit; j++)
			scxml_check_exec(ld->doc, st->onexit[j], &ld->errors);
		for (size_t j = 0; j < st->ntransitions; j++) {
			struct scxml_transition *t = st->transitions[j];
			int line = (int)xmlGetLineNo(t->node);
			bool ok;
			char *err = NULL;

			scxml_check_exec(ld->doc, t->node, &ld->errors);
			if (t->target_text != NULL)
				resolve_ids(ld, line, "target",
					    t->target_text, &t->targets,
					    &t->ntargets);
			check_together(ld, line, "target", t->targets,
				       t->ntargets);
			if (t->cond != NULL &&
			    scxml_cond_eval(ld->doc, t->cond, NULL, &ok,
					    &err) < 0) {
				strlist_addf(&ld->errors, "%s:%d: %s",
					     ld->doc->name, line, err);
				free(err);
			}
		}
	}
}

static void
load_root(struct scxml_loader *ld, xmlNode *root)
{
	struct scxml_state *st;
	char *dm, *version;

	if (root == NULL || !scxml_node_is(root, "scxml")) {
		load_error(ld, root, "the root element must be <scxml> in "
			   "namespace %s", SCXML_NAMESPACE);
		return;
	}
	check_attrs(ld, root, "version initial name datamodel binding");
	dm = get_attr(root, "datamodel");
	if (dm != NULL && strcmp(dm, "null") != 0)
		load_error(ld, root, "only the null datamodel is supported, "
			   "not '%s'", dm);
	version = get_attr(root, "version");
	if (version != NULL && strcmp(version, "1.0") != 0)
		load_error(ld, root, "version must be 1.0");
	free(dm);
	free(version);
	st = new_state(ld, NULL, root, SCXML_KIND_ROOT);
	st->initial_text = get_attr(root, "initial");
	load_children(ld, st, root);
	st->last = ld->doc->nstates - 1;
	if (st->nchildren == 0)
		load_error(ld, root, "<scxml> has no states");
	index_ids(ld);
	ld->structural = ld->errors.n;
	ld->resolving = true;
	resolve_all(ld);
}

static long
error_line(const char *msg, size_t skip)
{
	return strlen(msg) > skip ? strtol(msg + skip, NULL, 10) : 0;
}

/* Joins ERRORS one per line in line order (stable; without a final
   newline) and clears them. Each starts with NAME and a colon. */
char *
scxml_join_errors(struct strlist *errors, const char *name)
{
	size_t skip = strlen(name) + 1;

	for (size_t i = 1; i < errors->n; i++) {
		char *e = errors->v[i];
		size_t j = i;

		for (; j > 0 && error_line(errors->v[j - 1], skip) >
			     error_line(e, skip); j--)
			errors->v[j] = errors->v[j - 1];
		errors->v[j] = e;
	}
	for (size_t i = 0; i + 1 < errors->n; i++) {
		char *e = xasprintf("%s\n", errors->v[i]);

		free(errors->v[i]);
		errors->v[i] = e;
	}
	return strlist_join(errors);
}

xmlDoc *
scxml_parse_xml(const char *name, const char *data, size_t len, size_t max,
		char **error_r)
{
	struct strlist errors = { 0 };
	xmlDoc *xml = NULL;

	if (len > max)
		/* Readers stop one byte past MAX: LEN is not the size. */
		strlist_addf(&errors, "%s:1: document too large (more than "
			     "%zu bytes, the limit)", name, max);
	else
		xml = parse_xml(name, data, len, &errors);
	if (errors.n > 0) {
		xmlFreeDoc(xml);
		*error_r = scxml_join_errors(&errors, name);
		return NULL;
	}
	strlist_clear(&errors);
	return xml;
}

int
scxml_load_xml_checking(const char *name, xmlDoc *xml,
			const struct scxml_options *opts, struct scxml **doc_r,
			struct strlist *errors)
{
	struct scxml_loader ld = { .doc = xcalloc(1, sizeof(*ld.doc)) };
	bool structural;

	*doc_r = NULL;
	ld.doc->name = xstrdup(name);
	ld.doc->xml = xml;
	if (opts != NULL)
		ld.doc->opts = *opts;
	load_root(&ld, xmlDocGetRootElement(xml));
	structural = !ld.resolving || ld.structural > 0;
	for (size_t i = 0; i < ld.errors.n; i++)
		strlist_add(errors, ld.errors.v[i]);
	strlist_clear(&ld.errors);
	if (structural) {
		scxml_free(&ld.doc);
		return -1;
	}
	*doc_r = ld.doc;
	return 0;
}

int
scxml_load_xml(const char *name, xmlDoc *xml, const struct scxml_options *opts,
	       struct scxml **doc_r, char **error_r)
{
	struct strlist errors = { 0 };

	if (scxml_load_xml_checking(name, xml, opts, doc_r, &errors) == 0 &&
	    errors.n == 0)
		return 0;
	scxml_free(doc_r);
	*error_r = scxml_join_errors(&errors, name);
	return -1;
}

int
scxml_load(const char *name, const char *data, size_t len,
	   struct scxml **doc_r, char **error_r)
{
	xmlDoc *xml = scxml_parse_xml(name, data, len, SCXML_MAX_SIZE,
				      error_r);

	*doc_r = NULL;
	if (xml == NULL)
		return -1;
	return scxml_load_xml(name, xml, NULL, doc_r, error_r);
}

static void
state_free(struct scxml_state *st)
{
	for (size_t i = 0; i < st->ntransitions; i++) {
		struct scxml_transition *t = st->transitions[i];

		free(t->event);
		free(t->cond);
		free(t->target_text);
		free(t->targets);
		free(t);
	}
	free(st->transitions);
	free(st->children);
	free(st->initial);
	free(st->initial_text);
	free(st->onentry);
	free(st->onexit);
	free(st->id);
	free(st);
}

void
scxml_free(struct scxml **doc)
{
	if (*doc == NULL)
		return;
	for (size_t i = 0; i < (*doc)->nstates; i++)
		state_free((*doc)->states[i]);
	free((*doc)->states);
	free((*doc)->by_id);
	xmlFreeDoc((*doc)->xml);
	free((*doc)->name);
	free(*doc);
	*doc = NULL;
}
