/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HTML bodies to plain text: libxml2 builds the tree, one iterative walk
   writes the text. Quoted parts keep their text behind "> " so that the
   reply module, which only knows plain text, can recognise them. */
#include "config.h"

#include "html.h"
#include "util.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTML_OPTIONS                                                        \
	(HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |     \
	 HTML_PARSE_RECOVER | HTML_PARSE_IGNORE_ENC)

/* Deeper quotes and lists print like this deep: each level costs bytes on
   every line, and a hostile body could nest thousands. */
#define HTML_DEPTH_SHOWN 10
/* How much of a bordered <div> is searched for Outlook's "From:". */
#define LEAD_TEXT_MAX 256
#define LEAD_NODES_MAX 64
/* How far up from an element named "p" a paragraph is looked for. */
#define O_P_LEVELS 8

#define REPLACEMENT "\xef\xbf\xbd"

/* What entering an element did, kept in its _private until it is left. */
enum {
	F_OPEN = 1 << 0,
	F_BLOCK = 1 << 1,
	F_PARA = 1 << 2,
	F_QUOTE = 1 << 3,
	F_PRE = 1 << 4,
	F_LIST = 1 << 5,
	F_ITEM = 1 << 6,
	F_LINK = 1 << 7,
	F_MSO = 1 << 8,
};

static const char *const skipped[] = {
	"script", "style", "head", "title", "template", "noscript",
};

static const char *const blocks[] = {
	"div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "table",
	"blockquote", "pre", "hr", "section", "article", "header", "footer",
	"address", "ul", "ol", "dl", "dt", "dd", "center", "main", "nav",
	"aside", "figure", "figcaption", "form", "fieldset", "caption",
	"details", "summary", "body",
};

/* Labels that open a reply header inside Outlook's bordered <div>. */
static const char *const from_labels[] = {
	"From:", "Från:", "Fra:", "Von:", "De:", "Van:", "От:",
};

struct buf {
	char *p;
	size_t len, cap;
};

struct conv {
	struct buf out;
	int nl;		/* line ends owed before the next text */
	int in_line;	/* the current line has been started */
	int space;	/* collapsed white space owed before the next text */
	int depth;	/* open quoting elements */
	int rest;	/* 1 once a reply header began: all after it is quoted */
	int last_depth;	/* quote level of the last line started */
	int pre;	/* open <pre> elements */
	int lists;	/* open <ul>/<ol> elements */
	int bullet;	/* list level of an "- " owed at the next line */
	size_t mso_at;	/* output length where an Outlook paragraph began */
	int nbsp_line;	/* a no-break space, and nothing else yet, since
			   the last line ended */
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

/* Length of the well-formed UTF-8 sequence at S (N bytes left), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned int cp, min;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* At most HTML_MAX_INPUT bytes of HTML, cut at a character boundary, with
   every byte that is not well-formed UTF-8, and every control character
   but tab and line ends, replaced by U+FFFD: at the first bad byte libxml2
   would read the rest of the document as Latin-1.
   It starts with "<body>": text before any element (a mail body is often
   a fragment, "Thanks<br><div>...") would otherwise go into a <p> that
   libxml2 makes up, and come out as a paragraph. libxml2 drops the
   <html>, <head> and <body> tags of a whole document that follow.
   "<!-->" and "<!--->" become "<!---->": they are empty comments to a
   browser (HTML's abrupt closing of an empty comment), but libxml2
   opens a comment there that runs to the next "-->", or to the end,
   and the text after them would be gone. */
static char *
clean_input(const char *html, size_t len, size_t *len_r)
{
	const unsigned char *s = (const unsigned char *)html;
	struct buf b = { 0 };
	size_t i = 0, n;

	if (len > HTML_MAX_INPUT) {
		len = HTML_MAX_INPUT;
		for (int k = 0; k < 3 && len > 0 && (s[len] & 0xc0) == 0x80; k++)
			len--;
	}
	buf_add(&b, "<body>", 6);
	while (i < len) {
		int control = s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' &&
			      s[i] != '\r';

		n = control ? 0 : utf8_seq(s + i, len - i);
		if (s[i] == '<' && len - i >= 5 &&
		    memcmp(s + i, "<!--", 4) == 0 &&
		    (s[i + 4] == '>' ||
		     (len - i >= 6 && memcmp(s + i + 4, "->", 2) == 0))) {
			buf_add(&b, "<!---->", 7);
			i += s[i + 4] == '>' ? 5 : 6;
		} else if (n == 0)
			buf_add(&b, REPLACEMENT, 3), i++;
		else
			buf_add(&b, html + i, n), i += n;
	}
	*len_r = b.len;
	return b.p;
}

static int
in_table(const char *name, const char *const *table, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, table[i]) == 0)
			return 1;
	return 0;
}

static int
is_named(const xmlNode *n, const char *name)
{
	return strcmp((const char *)n->name, name) == 0;
}

/* The value of attribute NAME of N, or "" (libxml2's HTML parser stores
   each value as one text node, entities decoded). */
static const char *
attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a != NULL; a = a->next)
		if (strcasecmp((const char *)a->name, name) == 0 &&
		    a->children != NULL && a->children->content != NULL)
			return (const char *)a->children->content;
	return "";
}

/* Whether token T (LEN bytes) is NAME, bare or with the "x_" or "ecx"
   prefix that Outlook on the web and Hotmail put before the classes and
   ids of a message they quote. */
static int
token_is(const char *t, size_t len, const char *name)
{
	size_t nlen = strlen(name), pre;

	if (len < nlen || strncmp(t + len - nlen, name, nlen) != 0)
		return 0;
	pre = len - nlen;
	return pre == 0 || (pre == 2 && strncmp(t, "x_", 2) == 0) ||
	       (pre == 3 && strncmp(t, "ecx", 3) == 0);
}

static int
has_class(const xmlNode *n, const char *name)
{
	const char *p = attr(n, "class");
	static const char ws[] = " \t\r\n\f";

	while (*p != '\0') {
		size_t len;

		p += strspn(p, ws);
		len = strcspn(p, ws);
		if (len > 0 && token_is(p, len, name))
			return 1;
		p += len;
	}
	return 0;
}

static int
id_is(const xmlNode *n, const char *name)
{
	const char *id = attr(n, "id");

	return token_is(id, strlen(id), name);
}

/* Whether N is a quote: a <blockquote> or a webmail quote container.
   Gmail puts its <blockquote class="gmail_quote"> right inside a <div
   class="gmail_quote"> holding the attribution: that pair is one level. */
static int
opens_quote(const xmlNode *n)
{
	int container = has_class(n, "gmail_quote") ||
			has_class(n, "yahoo_quoted");

	if (!container && !is_named(n, "blockquote"))
		return 0;
	return !(is_named(n, "blockquote") && n->parent != NULL &&
		 n->parent->type == XML_ELEMENT_NODE &&
		 !is_named(n->parent, "blockquote") &&
		 has_class(n->parent, "gmail_quote"));
}

/* Up to LEAD_TEXT_MAX bytes of the text at the start of N, looking at no
   more than LEAD_NODES_MAX nodes, so that nested bordered <div>s cost
   little. */
static void
lead_text(const xmlNode *n, char *text, size_t cap)
{
	const xmlNode *m = n->children;
	size_t len = 0;
	int nodes = 0;

	while (m != NULL && nodes++ < LEAD_NODES_MAX && len + 1 < cap) {
		if (m->type == XML_TEXT_NODE && m->content != NULL) {
			size_t k = strlen((const char *)m->content);

			k = k < cap - 1 - len ? k : cap - 1 - len;
			memcpy(text + len, m->content, k);
			len += k;
		}
		if (m->type == XML_ELEMENT_NODE && m->children != NULL &&
		    !in_table((const char *)m->name, skipped, N_ELEMENTS(skipped))) {
			m = m->children;
			continue;
		}
		while (m != n && m->next == NULL)
			m = m->parent;
		m = m == n ? NULL : m->next;
	}
	text[len] = '\0';
}

/* Whether N is the <div> Outlook draws a line above and fills with the
   header of the message replied to ("From: ... Sent: ..."). */
static int
outlook_header_div(const xmlNode *n)
{
	const char *style = attr(n, "style");
	char text[LEAD_TEXT_MAX + 1];

	if (!is_named(n, "div") || strcasestr(style, "border-top") == NULL ||
	    strcasestr(style, "solid") == NULL)
		return 0;
	lead_text(n, text, sizeof(text));
	for (size_t i = 0; i < N_ELEMENTS(from_labels); i++)
		if (strstr(text, from_labels[i]) != NULL)
			return 1;
	return 0;
}

/* Whether N begins the quoted rest of a reply: Outlook's reply header
   (divRplyFwdMsg, or the bordered <div>), the appendonsend marker of
   Outlook on the web, or Hotmail's <hr id="stopSpelling">. */
static int
starts_rest(const xmlNode *n)
{
	if (id_is(n, "divRplyFwdMsg") || id_is(n, "appendonsend"))
		return 1;
	if (is_named(n, "hr") && id_is(n, "stopSpelling"))
		return 1;
	return outlook_header_div(n);
}

static void
put_prefix(struct conv *c, int depth)
{
	for (int i = 0; i < depth && i < HTML_DEPTH_SHOWN; i++)
		buf_add(&c->out, "> ", 2);
}

/* Ends the lines owed (one blank line at most, quoted as deep as the
   shallower of its neighbours) and starts a new one with its prefix. */
static void
open_line(struct conv *c)
{
	int depth = c->depth + c->rest;

	if (c->out.len > 0) {
		buf_addc(&c->out, '\n');
		if (c->nl >= 2) {
			put_prefix(c, depth < c->last_depth ? depth : c->last_depth);
			buf_addc(&c->out, '\n');
		}
	}
	put_prefix(c, depth);
	if (c->bullet > 0) {
		for (int i = 1; i < c->bullet && i < HTML_DEPTH_SHOWN; i++)
			buf_add(&c->out, "  ", 2);
		buf_add(&c->out, "- ", 2);
		c->bullet = 0;
	}
	c->nl = 0;
	c->in_line = 1;
	c->space = 0;
	c->last_depth = depth;
}

static void
put_byte(struct conv *c, char ch)
{
	if (!c->in_line)
		open_line(c);
	else if (c->space)
		buf_addc(&c->out, ' ');
	c->space = 0;
	c->nbsp_line = 0;
	buf_addc(&c->out, ch);
}

/* Asks for at least K line ends (2: a blank line) before the next text. */
static void
need_break(struct conv *c, int k)
{
	if (c->nl < k)
		c->nl = k;
	c->in_line = 0;
}

/* <br>, or a line end inside <pre>: ends the line, or adds an empty one. */
static void
line_break(struct conv *c)
{
	c->nl = c->in_line ? 1 : c->nl + 1;
	if (c->nl > 2)
		c->nl = 2;
	c->in_line = 0;
}

/* Writes the text of a text node: white space (no-break space too)
   collapses as a browser shows it, except inside <pre>. */
static void
put_text(struct conv *c, const char *s)
{
	for (; *s != '\0'; s++) {
		int nbsp = s[0] == '\xc2' && s[1] == '\xa0';

		if (nbsp)
			s++;
		if (c->pre > 0) {
			if (*s == '\n')
				line_break(c);
			else if (*s != '\r')
				put_byte(c, nbsp ? ' ' : *s);
		} else if (nbsp || strchr(" \t\r\n\f", *s) != NULL) {
			c->space = 1;
			if (nbsp && !c->in_line)
				c->nbsp_line = 1;
		} else {
			put_byte(c, *s);
		}
	}
}

static const char *
skip_scheme(const char *s)
{
	static const char *const schemes[] = { "mailto:", "http://", "https://" };

	for (size_t i = 0; i < N_ELEMENTS(schemes); i++)
		if (strncasecmp(s, schemes[i], strlen(schemes[i])) == 0)
			return s + strlen(schemes[i]);
	return s;
}

/* Whether a link's TEXT already shows where HREF goes, so that writing the
   address again would only be noise. */
static int
same_target(const char *text, const char *href)
{
	const char *a = skip_scheme(text), *b = skip_scheme(href);
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '/')
		la--;
	if (lb > 0 && b[lb - 1] == '/')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* TEXT with white space collapsed and trimmed, in place. */
static void
collapse(char *text)
{
	char *o = text;
	int space = 0;

	for (const char *s = text; *s != '\0'; s++) {
		if (strchr(" \t\r\n\f", *s) != NULL) {
			space = o != text;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = 0;
		*o++ = *s;
	}
	*o = '\0';
}

/* After the text of <a href>: " <url>" unless the text shows the url, or
   there is no text to tie it to (image links, trackers). */
static void
put_link(struct conv *c, const xmlNode *n)
{
	const char *href = attr(n, "href");
	xmlChar *content;

	href += strspn(href, " \t\r\n\f");
	if (*href == '\0' || *href == '#' ||
	    strncasecmp(href, "javascript:", 11) == 0)
		return;
	content = xmlNodeGetContent(n);
	if (content == NULL)
		return;
	collapse((char *)content);
	if (*content != '\0' && !same_target((const char *)content, href)) {
		c->space = 1;
		put_byte(c, '<');
		for (const char *s = href; *s != '\0'; s++)
			if (strchr(" \t\r\n\f", *s) == NULL)
				put_byte(c, *s);
		put_byte(c, '>');
	}
	xmlFree(content);
}

/* Whether N lies inside a <p> a few levels up: then N, named "p", is
   Word's <o:p> (libxml2 drops the prefix), since a paragraph holds no
   paragraph. */
static int
inside_p(const xmlNode *n)
{
	int up = 0;

	for (n = n->parent; n != NULL && n->type == XML_ELEMENT_NODE &&
			    up < O_P_LEVELS; n = n->parent, up++)
		if (is_named(n, "p"))
			return 1;
	return 0;
}

/* What element N does on entry; returns its F_ flags (0: skip it). */
static unsigned int
enter_element(struct conv *c, const xmlNode *n)
{
	const char *name = (const char *)n->name;
	unsigned int f = F_OPEN;

	if (in_table(name, skipped, N_ELEMENTS(skipped)))
		return 0;
	if (c->depth + c->rest == 0 && starts_rest(n))
		c->rest = 1, need_break(c, 1);
	if (opens_quote(n))
		f |= F_QUOTE, c->depth++;
	if (is_named(n, "br"))
		line_break(c);
	else if (is_named(n, "p") && inside_p(n))
		;	/* Word's <o:p>, which libxml2 names "p": inline */
	else if (is_named(n, "p") && has_class(n, "MsoNormal"))
		/* Outlook writes each line as a paragraph without margins */
		f |= F_MSO, need_break(c, 1), c->mso_at = c->out.len;
	else if (is_named(n, "p"))
		f |= F_PARA, need_break(c, 2);
	else if (in_table(name, blocks, N_ELEMENTS(blocks)))
		f |= F_BLOCK, need_break(c, 1);
	if (is_named(n, "pre"))
		f |= F_PRE, c->pre++;
	if (is_named(n, "ul") || is_named(n, "ol"))
		f |= F_LIST, c->lists++;
	if (is_named(n, "li"))
		f |= F_ITEM, c->bullet = c->lists > 0 ? c->lists : 1;
	if (is_named(n, "td") || is_named(n, "th"))
		c->space = 1;
	if (is_named(n, "a") && *attr(n, "href") != '\0')
		f |= F_LINK;
	return f;
}

/* Returns whether to walk into N's children. */
static int
enter(struct conv *c, xmlNode *n)
{
	unsigned int f;

	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		if (n->content != NULL)
			put_text(c, (const char *)n->content);
		return 0;
	}
	if (n->type != XML_ELEMENT_NODE)
		return 0;
	f = enter_element(c, n);
	n->_private = (void *)(uintptr_t)f;
	return f != 0;
}

static void
leave(struct conv *c, xmlNode *n)
{
	unsigned int f;

	if (n->type != XML_ELEMENT_NODE)
		return;
	f = (unsigned int)(uintptr_t)n->_private;
	if (f & F_LINK)
		put_link(c, n);
	if (f & F_QUOTE)
		c->depth--;
	if (f & F_PRE)
		c->pre--;
	if (f & F_LIST)
		c->lists--;
	if (f & F_ITEM)
		c->bullet = 0;
	/* A block of no-break spaces alone is a line a browser shows (as
	   <div>&nbsp;</div> is the blank line of Outlook on the web, Apple
	   Mail and others): a blank line, not nothing. */
	if ((f & (F_BLOCK | F_PARA)) && !(f & F_MSO) && c->nbsp_line &&
	    !c->in_line)
		line_break(c);
	if (f & (F_BLOCK | F_PARA | F_MSO))
		c->nbsp_line = 0;
	if (f & F_PARA)
		need_break(c, 2);
	else if ((f & F_MSO) && c->out.len == c->mso_at)
		line_break(c);	/* an empty one: a blank line */
	else if (f & F_MSO)
		need_break(c, 1);
	else if (f & F_BLOCK)
		need_break(c, 1);
}

/* Visits the tree under TOP in document order without recursion, so that
   deep nesting costs no stack. */
static void
walk(struct conv *c, xmlNode *top)
{
	xmlNode *n = top->children;

	while (n != NULL) {
		if (enter(c, n) && n->children != NULL) {
			n = n->children;
			continue;
		}
		for (;;) {
			leave(c, n);
			if (n->next != NULL) {
				n = n->next;
				break;
			}
			n = n->parent;
			if (n == NULL || n == top)
				return;
		}
	}
}

/* TEXT with trailing white space cut from every line, no blank line at
   either end and never two in a row. */
static char *
tidy(const char *text)
{
	struct buf b = { 0 };
	int blank = 0;

	buf_add(&b, "", 0);
	while (*text != '\0') {
		size_t len = strcspn(text, "\n"), end = len;

		while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\t'))
			end--;
		if (end == 0) {
			blank = b.len > 0;
		} else {
			if (b.len > 0)
				buf_add(&b, blank ? "\n\n" : "\n", blank ? 2 : 1);
			buf_add(&b, text, end);
			blank = 0;
		}
		text += len + (text[len] == '\n');
	}
	return b.p;
}

/* The tree of a body, cleaned and cut first (clean_input), or NULL. */
static htmlDocPtr
parse(const char *html, size_t len)
{
	htmlParserCtxtPtr ctxt;
	htmlDocPtr doc;
	size_t clean_len;
	char *clean = clean_input(html, len, &clean_len);

	xmlInitParser();
	ctxt = htmlNewParserCtxt();
	if (ctxt == NULL)
		abort();
	doc = htmlCtxtReadMemory(ctxt, clean, (int)clean_len, NULL, "UTF-8",
				 HTML_OPTIONS);
	htmlFreeParserCtxt(ctxt);
	free(clean);
	return doc;
}

char *
html_to_text(const char *html, size_t len)
{
	struct conv c = { 0 };
	htmlDocPtr doc;
	char *text;

	if (html == NULL || len == 0)
		return xstrdup("");
	doc = parse(html, len);
	if (doc == NULL)
		return xstrdup("");
	walk(&c, (xmlNode *)doc);
	xmlFreeDoc(doc);
	text = tidy(c.out.p != NULL ? c.out.p : "");
	free(c.out.p);
	return text;
}

/* Adds to CIDS the cid: of each picture inside a signature from N on:
   an element Thunderbird (moz-signature) or Gmail (gmail_signature)
   marks as one, or inside one when IN_SIGNATURE. */
static void
signature_cids(const xmlNode *n, bool in_signature, struct strlist *cids)
{
	for (; n != NULL; n = n->next) {
		bool sig = in_signature;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!sig && (has_class(n, "moz-signature") ||
			     has_class(n, "gmail_signature")))
			sig = true;
		if (sig && is_named(n, "img")) {
			const char *src = attr(n, "src");

			if (strncasecmp(src, "cid:", 4) == 0 && src[4] != '\0')
				strlist_add(cids, src + 4);
		}
		signature_cids(n->children, sig, cids);
	}
}

void
html_signature_pictures(const char *html, size_t len, struct strlist *cids)
{
	htmlDocPtr doc;

	if (html == NULL || len == 0)
		return;
	doc = parse(html, len);
	if (doc == NULL)
		return;
	signature_cids(doc->children, false, cids);
	xmlFreeDoc(doc);
}

void
html_init(void)
{
	xmlInitParser();
}
