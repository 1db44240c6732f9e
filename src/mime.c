/* SPDX-License-Identifier: GPL-3.0-or-later */
/* MIME structure: libetpan parses, this file walks the tree, applies the
   limits, picks the body text and lists the parts. */
#include "config.h"

#include "mime-private.h"

#include "html.h"
#include "settings.h"
#include "util.h"

#include <libetpan/libetpan.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Nesting libetpan will be asked to parse: its parser recurses once per
   level, so a message with thousands of nested multiparts must be
   refused before it reaches it. */
#define MIME_MAX_CONTAINERS 1000
/* Comments nest a few deep in real mail; libetpan recurses on each. */
#define MIME_MAX_COMMENT_DEPTH 100

struct walk {
	struct mime_message *msg;
	const struct mime_limits *lim;
	char *error;
	struct strlist body;	/* UTF-8 texts chosen as the body */
	int body_from_html;
	int top;		/* the depth of the message itself: 0, or
				   inside an opaque S/MIME signature */
};

void
mime_limits_default(struct mime_limits *l)
{
	long v;

	str_to_long(settings[CFG_MAIL_MAX_SIZE].def, 0, 1L << 40, &v);
	l->max_size = (size_t)v;
	str_to_long(settings[CFG_MAIL_MAX_HEADER_BYTES].def, 0, 1L << 40, &v);
	l->max_header_bytes = (size_t)v;
	str_to_long(settings[CFG_MAIL_MAX_ATTACHMENT].def, 0, 1L << 40, &v);
	l->max_attachment = (size_t)v;
	str_to_long(settings[CFG_MAIL_MAX_DEPTH].def, 0, 1000, &v);
	l->max_depth = (int)v;
	str_to_long(settings[CFG_MAIL_MAX_PARTS].def, 0, 100000, &v);
	l->max_parts = (int)v;
}

const char *
mime_header(const struct mime_message *msg, const char *name)
{
	for (size_t i = 0; i < msg->nheaders; i++) {
		if (strcasecmp(msg->headers[i].name, name) == 0)
			return msg->headers[i].value;
	}
	return NULL;
}

/* "type/subtype" in lower case; text/plain when absent. */
static char *
content_type(const struct mailmime_content *ct)
{
	const char *type = "text", *sub = "plain";
	char *s;

	if (ct != NULL && ct->ct_type != NULL) {
		const struct mailmime_type *t = ct->ct_type;

		if (t->tp_type == MAILMIME_TYPE_DISCRETE_TYPE) {
			static const char *const names[] = {
				"error", "text", "image", "audio", "video",
				"application", "extension",
			};
			int dt = t->tp_data.tp_discrete_type->dt_type;

			type = dt == MAILMIME_DISCRETE_TYPE_EXTENSION ?
				       t->tp_data.tp_discrete_type->dt_extension :
				       names[dt < 7 && dt >= 0 ? dt : 0];
		} else {
			int ct2 = t->tp_data.tp_composite_type->ct_type;

			type = ct2 == MAILMIME_COMPOSITE_TYPE_MESSAGE ? "message" :
			       ct2 == MAILMIME_COMPOSITE_TYPE_MULTIPART ? "multipart" :
									 t->tp_data.tp_composite_type->ct_token;
		}
		sub = ct->ct_subtype != NULL ? ct->ct_subtype : "";
	}
	s = xasprintf("%s/%s", type != NULL ? type : "application", sub);
	for (char *p = s; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	return s;
}

static const char *
ct_param(const struct mailmime_content *ct, const char *name)
{
	if (ct == NULL || ct->ct_parameters == NULL)
		return NULL;
	for (clistiter *it = clist_begin(ct->ct_parameters); it != NULL;
	     it = clist_next(it)) {
		struct mailmime_parameter *p = clist_content(it);

		if (p->pa_name != NULL && strcasecmp(p->pa_name, name) == 0)
			return p->pa_value;
	}
	return NULL;
}

/* MM's Content-ID without its angle brackets, or NULL. */
static char *
content_id(const struct mailmime *mm)
{
	if (mm->mm_mime_fields == NULL)
		return NULL;
	for (clistiter *it = clist_begin(mm->mm_mime_fields->fld_list);
	     it != NULL; it = clist_next(it)) {
		struct mailmime_field *f = clist_content(it);
		const char *id;

		if (f->fld_type != MAILMIME_FIELD_ID || f->fld_data.fld_id == NULL)
			continue;
		id = f->fld_data.fld_id;
		id += *id == '<';
		return xstrndup(id, strcspn(id, ">"));
	}
	return NULL;
}

static struct mailmime_disposition *
disposition(const struct mailmime *mm)
{
	if (mm->mm_mime_fields == NULL)
		return NULL;
	for (clistiter *it = clist_begin(mm->mm_mime_fields->fld_list);
	     it != NULL; it = clist_next(it)) {
		struct mailmime_field *f = clist_content(it);

		if (f->fld_type == MAILMIME_FIELD_DISPOSITION)
			return f->fld_data.fld_disposition;
	}
	return NULL;
}

/* RFC 2231 "utf-8''%C3%A5r.pdf" to UTF-8. */
static char *
rfc2231_value(const char *v)
{
	const char *q1 = strchr(v, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	char *charset, *raw, *o, *out;
	const char *p;

	if (q2 == NULL)
		return mime_decode_words(v, NULL);
	charset = xstrndup(v, (size_t)(q1 - v));
	raw = o = xmalloc(strlen(q2) + 1);
	for (p = q2 + 1; *p != '\0'; p++) {
		unsigned int c;

		if (*p == '%' && sscanf(p + 1, "%2x", &c) == 1 && p[1] && p[2]) {
			*o++ = (char)c;
			p += 2;
		} else
			*o++ = *p;
	}
	*o = '\0';
	out = mime_to_utf8(charset, raw, (size_t)(o - raw), NULL);
	free(charset);
	free(raw);
	return out;
}

/* RFC 2231 continuations: a long name in sections filename*0*=,
   filename*1*=... (a '*' after the number: percent-encoded, the first
   with its charset). Joined and decoded to UTF-8, or NULL when there
   are none. Sections must come without gaps. PARMS holds a
   Content-Disposition's parameters, or a Content-Type's when CT. */
#define RFC2231_SECTIONS_MAX 64
static char *
rfc2231_sections(clist *parms, const char *base, bool ct)
{
	const char *sec[RFC2231_SECTIONS_MAX] = { 0 };
	bool ext[RFC2231_SECTIONS_MAX] = { 0 }, extended;
	size_t blen = strlen(base), n = 0, len = 0;
	char *joined, *o, *out;

	for (clistiter *it = parms != NULL ? clist_begin(parms) : NULL;
	     it != NULL; it = clist_next(it)) {
		struct mailmime_disposition_parm *p = ct ? NULL :
						      clist_content(it);
		struct mailmime_parameter *param = ct ? clist_content(it) :
							NULL;
		const char *name;
		char *end;
		long i;

		if (!ct && p->pa_type != MAILMIME_DISPOSITION_PARM_PARAMETER)
			continue;
		if (!ct)
			param = p->pa_data.pa_parameter;
		name = param->pa_name;
		if (name == NULL || param->pa_value == NULL ||
		    strncasecmp(name, base, blen) != 0 || name[blen] != '*' ||
		    name[blen + 1] < '0' || name[blen + 1] > '9')
			continue;
		i = strtol(name + blen + 1, &end, 10);
		if (i < 0 || i >= RFC2231_SECTIONS_MAX ||
		    (*end != '\0' && strcmp(end, "*") != 0))
			continue;
		sec[i] = param->pa_value;
		ext[i] = *end == '*';
	}
	while (n < RFC2231_SECTIONS_MAX && sec[n] != NULL)
		len += strlen(sec[n++]) * 3;
	if (n == 0)
		return NULL;
	/* Plain sections are escaped so that one decoding pass serves. */
	extended = ext[0];
	o = joined = xmalloc(len + 1);
	for (size_t i = 0; i < n; i++) {
		for (const char *c = sec[i]; *c != '\0'; c++) {
			if (extended && !ext[i] && *c == '%') {
				memcpy(o, "%25", 3);
				o += 3;
			} else
				*o++ = *c;
		}
	}
	*o = '\0';
	out = extended ? rfc2231_value(joined) : mime_decode_words(joined, NULL);
	free(joined);
	return out;
}

/* The file name of a part: Content-Disposition filename (also RFC 2231
   filename* and its continuations), else Content-Type name; decoded to
   UTF-8. */
static char *
part_filename(const struct mailmime *mm, int *is_attachment)
{
	struct mailmime_disposition *d = disposition(mm);
	const char *name;

	char *joined;

	*is_attachment = d != NULL && d->dsp_type != NULL &&
			 d->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
	joined = d != NULL ? rfc2231_sections(d->dsp_parms, "filename",
					      false) : NULL;
	if (joined != NULL)
		return joined;
	for (clistiter *it = d != NULL ? clist_begin(d->dsp_parms) : NULL;
	     it != NULL; it = clist_next(it)) {
		struct mailmime_disposition_parm *p = clist_content(it);

		if (p->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME)
			return mime_decode_words(p->pa_data.pa_filename, NULL);
		if (p->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER &&
		    strcasecmp(p->pa_data.pa_parameter->pa_name, "filename*") == 0)
			return rfc2231_value(p->pa_data.pa_parameter->pa_value);
	}
	if (mm->mm_content_type != NULL &&
	    (joined = rfc2231_sections(mm->mm_content_type->ct_parameters,
				       "name", true)) != NULL)
		return joined;
	name = ct_param(mm->mm_content_type, "name");
	if (name != NULL)
		return mime_decode_words(name, NULL);
	name = ct_param(mm->mm_content_type, "name*");
	return name != NULL ? rfc2231_value(name) : NULL;
}

/* The decoded content of a single part. */
static unsigned char *
part_data(const struct mailmime_data *d, size_t *len_r)
{
	const char *data;
	size_t len, idx = 0, dlen;
	char *dec;
	unsigned char *out;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT) {
		*len_r = 0;
		return (unsigned char *)xstrdup("");
	}
	data = d->dt_data.dt_text.dt_data;
	len = d->dt_data.dt_text.dt_length;
	if (d->dt_encoded && (d->dt_encoding == MAILMIME_MECHANISM_BASE64 ||
			      d->dt_encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE) &&
	    mailmime_part_parse(data, len, &idx, d->dt_encoding, &dec, &dlen) ==
		    MAILIMF_NO_ERROR) {
		out = xmalloc(dlen + 1);
		memcpy(out, dec, dlen);
		mmap_string_unref(dec);
		len = dlen;
	} else {
		out = xmalloc(len + 1);
		memcpy(out, data, len);
	}
	out[len] = '\0';
	*len_r = len;
	return out;
}

static struct mime_part *
add_part(struct walk *w, const struct mailmime *mm, const char *type,
	 int depth, enum mime_part_role role)
{
	struct mime_message *m = w->msg;
	struct mime_part *p;
	const char *cs;
	int attach;

	m->parts = xrealloc(m->parts, (m->nparts + 1) * sizeof(*m->parts));
	p = &m->parts[m->nparts++];
	memset(p, 0, sizeof(*p));
	p->role = role;
	p->content_type = xstrdup(type);
	p->depth = depth;
	p->filename = part_filename(mm, &attach);
	p->content_id = content_id(mm);
	cs = ct_param(mm->mm_content_type, "charset");
	if (cs != NULL) {
		p->charset = xstrdup(cs);
		for (char *c = p->charset; *c != '\0'; c++) {
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		}
	}
	p->data = part_data(mm->mm_type == MAILMIME_MESSAGE ? mm->mm_body :
			    mm->mm_data.mm_single, &p->len);
	return p;
}

enum body_rule {
	BODY_NO,	  /* inside something else: attachments only */
	BODY_YES,	  /* inline text here is the body */
	BODY_ALTERNATIVE, /* inline text here is another form of the body */
};

static int walk_node(struct walk *w, struct mailmime *mm, int depth,
		     enum body_rule rule);

static int
fail(struct walk *w, char *reason)
{
	if (w->error == NULL)
		w->error = reason;
	else
		free(reason);
	return -1;
}

static int
is_report_type(const char *type)
{
	return strcmp(type, "message/delivery-status") == 0 ||
	       strcmp(type, "message/global-delivery-status") == 0 ||
	       strcmp(type, "text/rfc822-headers") == 0 ||
	       strcmp(type, "message/disposition-notification") == 0 ||
	       strcmp(type, "message/feedback-report") == 0;
}

/* CRLF and lone CR line ends become LF, in place. */
static void
unix_newlines(char *s)
{
	char *o = s;

	for (char *p = s; *p != '\0'; p++) {
		if (*p == '\r') {
			if (p[1] != '\n')
				*o++ = '\n';
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
}

bool
mime_command_start(const char *s)
{
	return s[0] == '#' ||
	       ((s[0] == '*' || s[0] == '_' || s[0] == '/') && s[1] == '#');
}

/* TEXT ("\n" line ends) of format=flowed (RFC 3676) as the lines the
   writer meant: soft line breaks (a line ending in a space, the
   signature separator "-- " aside) joined with the next line of the same
   quote depth unless that is empty, the space dropped too when DELSP,
   space-stuffing undone; a line starting a paragraph with '#' (a
   handler's command) always ends there. Quoted lines come out behind
   one '>' a level and a space. The caller frees. */
static char *
unflow(const char *text, int delsp)
{
	/* a line grows by one byte at most (the space after its '>') */
	char *out = xmalloc(2 * strlen(text) + 2), *o = out;
	int depth = -1;		/* of the line being joined; -1: none */

	for (const char *p = text; *p != '\0';) {
		size_t n = strcspn(p, "\n"), q = strspn(p, ">");
		const char *s = p + q;
		size_t sn = n - q;
		int soft;

		p += n + (p[n] == '\n');
		if (sn > 0 && *s == ' ')	/* space-stuffing */
			s++, sn--;
		soft = sn > 0 && s[sn - 1] == ' ' &&
		       !(sn == 3 && strncmp(s, "-- ", 3) == 0);
		/* a line of its own starting with '#' is a handler's command
		   even when a client left a space after it, in bold too
		   ("*#notering*") */
		if (depth < 0 && mime_command_start(s + strspn(s, " ")))
			soft = 0;
		/* no flowing across quote levels, nor into an empty line: a
		   stray space before a blank line keeps the paragraph */
		if (depth >= 0 && ((size_t)depth != q || sn == 0)) {
			*o++ = '\n';
			depth = -1;
		}
		if (depth < 0) {
			memset(o, '>', q);
			o += q;
			if (q > 0 && sn > 0)
				*o++ = ' ';
		}
		memcpy(o, s, soft && delsp ? sn - 1 : sn);
		o += soft && delsp ? sn - 1 : sn;
		depth = soft ? (int)q : -1;
		if (!soft)
			*o++ = '\n';
	}
	if (depth >= 0)
		*o++ = '\n';
	*o = '\0';
	return out;
}

/* Adds the text of part P (of MM) to the body, as UTF-8. */
static void
take_body(struct walk *w, struct mime_part *p, struct mailmime *mm)
{
	int replaced = 0;
	/* Text labelled UTF-8 that has not one UTF-8 character of several
	   bytes is in an 8-bit charset (web forms and old mail programs
	   label Windows-1252 so): read so, not as U+FFFD for each
	   'å', 'ä', 'ö'. */
	bool mislabelled = p->charset != NULL &&
			   (strcmp(p->charset, "utf-8") == 0 ||
			    strcmp(p->charset, "utf8") == 0) &&
			   mime_utf8_none((const char *)p->data, p->len);
	char *text = mime_to_utf8(mislabelled ? "windows-1252" : p->charset,
				  p->data, p->len, &replaced);
	const char *format = ct_param(mm->mm_content_type, "format");

	unix_newlines(text);
	if (replaced)
		w->msg->charset_replaced = 1;
	if (strcmp(p->content_type, "text/plain") == 0 && format != NULL &&
	    strcasecmp(format, "flowed") == 0) {
		const char *delsp = ct_param(mm->mm_content_type, "delsp");
		char *plain = unflow(text, delsp != NULL &&
					   strcasecmp(delsp, "yes") == 0);

		free(text);
		text = plain;
	} else if (strcmp(p->content_type, "text/html") == 0) {
		char *plain = html_to_text(text, strlen(text));

		free(text);
		text = plain;
		w->body_from_html = 1;
	}
	strlist_add(&w->body, text);
	free(text);
}

enum smime_kind {
	SMIME_NONE,	 /* not application/pkcs7-mime */
	SMIME_ENVELOPED, /* encrypted */
	SMIME_SIGNED,	 /* an opaque signature around the message */
	SMIME_UNSAID,	 /* no smime-type: either */
};

/* What MM, of TYPE, is as S/MIME. */
static enum smime_kind
smime_kind(const struct mailmime *mm, const char *type)
{
	const char *st;

	if (strcmp(type, "application/pkcs7-mime") != 0 &&
	    strcmp(type, "application/x-pkcs7-mime") != 0)
		return SMIME_NONE;
	st = ct_param(mm->mm_content_type, "smime-type");
	if (st == NULL)
		return SMIME_UNSAID;
	if (strcasecmp(st, "signed-data") == 0)
		return SMIME_SIGNED;
	return strcasecmp(st, "enveloped-data") == 0 ||
	       strcasecmp(st, "authenveloped-data") == 0 ? SMIME_ENVELOPED :
							   SMIME_NONE;
}

/* The content an opaque S/MIME signature wraps (a MIME entity, caller
   frees, *LEN_R bytes), or NULL when DATA (LEN bytes) is no CMS
   signed-data with its content inside. The signature is not checked:
   this is only for the handler to read; the file stays as it came. */
static char *
smime_signed_content(const unsigned char *data, size_t len, size_t *len_r)
{
	const unsigned char *p = data;
	CMS_ContentInfo *cms;
	ASN1_OCTET_STRING **os;
	char *out = NULL;

	if (len > LONG_MAX ||
	    (cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed &&
	    (os = CMS_get0_content(cms)) != NULL && *os != NULL) {
		*len_r = (size_t)ASN1_STRING_length(*os);
		out = xmalloc(*len_r + 1);
		memcpy(out, ASN1_STRING_get0_data(*os), *len_r);
		out[*len_r] = '\0';
	}
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return out;
}

static int check_nesting(const char *raw, size_t len, char **error_r);

/* Walks the message INNER (LEN bytes, changed) that an opaque S/MIME
   signature at DEPTH wrapped, as the message itself. */
static int
walk_signed(struct walk *w, char *inner, size_t len, int depth,
	    enum body_rule rule)
{
	struct mailmime *root = NULL;
	size_t idx = 0;
	char *err = NULL;
	int ret = 0, top = w->top;

	if (check_nesting(inner, len, &err) < 0)
		return fail(w, err);
	for (char *c = memchr(inner, '\0', len); c != NULL;
	     c = memchr(c, '\0', len - (size_t)(c - inner)))
		*c = ' ';
	if (mailmime_parse(inner, len, &idx, &root) == MAILIMF_NO_ERROR &&
	    root->mm_type == MAILMIME_MESSAGE &&
	    root->mm_data.mm_message.mm_msg_mime != NULL) {
		w->top = depth + 1;
		ret = walk_node(w, root->mm_data.mm_message.mm_msg_mime,
				depth + 1, rule);
		w->top = top;
	}
	if (root != NULL)
		mailmime_free(root);
	return ret;
}

static int
walk_single(struct walk *w, struct mailmime *mm, int depth,
	    enum body_rule rule)
{
	char *type = content_type(mm->mm_content_type);
	int attach, is_text, ret = 0;
	enum mime_part_role role = MIME_PART_ATTACHMENT;
	enum smime_kind smime = SMIME_NONE;
	char *fname = part_filename(mm, &attach), *inner = NULL;
	size_t ilen = 0;
	struct mime_part *p;

	is_text = strcmp(type, "text/plain") == 0 ||
		  (strcmp(type, "text/html") == 0 && w->body.n == 0);
	if (is_report_type(type))
		role = MIME_PART_REPORT;
	else if (mm->mm_type == MAILMIME_MESSAGE)
		role = MIME_PART_MESSAGE;
	else if (is_text && !attach && fname == NULL && rule == BODY_YES)
		role = MIME_PART_BODY;
	else if (!attach && fname == NULL && rule == BODY_ALTERNATIVE &&
		 strncmp(type, "text/", 5) == 0)
		role = MIME_PART_ALTERNATIVE;
	free(fname);
	/* the message itself, not a file attached to one */
	if (depth == w->top)
		smime = smime_kind(mm, type);
	if ((int)w->msg->nparts >= w->lim->max_parts) {
		free(type);
		return fail(w, xasprintf("more than %d MIME parts (mail_max_parts)",
					 w->lim->max_parts));
	}
	p = add_part(w, mm, type, depth, role);
	if (p->len > w->lim->max_attachment)
		ret = fail(w, xasprintf("a part of %zu bytes is larger than "
					"mail_max_attachment (%zu)", p->len,
					w->lim->max_attachment));
	else if (role == MIME_PART_BODY)
		take_body(w, p, mm);
	else if (smime == SMIME_SIGNED || smime == SMIME_UNSAID)
		inner = smime_signed_content(p->data, p->len, &ilen);
	if (inner != NULL)
		ret = walk_signed(w, inner, ilen, depth, rule);
	else if (ret == 0 && (smime == SMIME_ENVELOPED ||
			      smime == SMIME_UNSAID))
		w->msg->encrypted = "S/MIME";
	free(inner);
	free(type);
	return ret;
}

/* Whether the single part MM holds only white space. */
static bool
blank_part(const struct mailmime *mm)
{
	size_t len;
	unsigned char *data = part_data(mm->mm_data.mm_single, &len);
	bool blank = strspn((const char *)data, " \t\r\n") == len;

	free(data);
	return blank;
}

/* The child of a multipart/alternative that is the body: text/plain
   first, else a multipart (related HTML with images), else text/html.
   A text/plain of only white space beside another form is no text
   (some web forms and apps send one with the HTML). */
static struct mailmime *
best_alternative(struct mailmime *mm)
{
	struct mailmime *plain = NULL, *multi = NULL, *html = NULL;

	for (clistiter *it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list);
	     it != NULL; it = clist_next(it)) {
		struct mailmime *c = clist_content(it);
		char *t = content_type(c->mm_content_type);

		if (c->mm_type == MAILMIME_SINGLE && strcmp(t, "text/plain") == 0 &&
		    plain == NULL)
			plain = c;
		else if (c->mm_type == MAILMIME_MULTIPLE && multi == NULL)
			multi = c;
		else if (c->mm_type == MAILMIME_SINGLE &&
			 strcmp(t, "text/html") == 0 && html == NULL)
			html = c;
		free(t);
	}
	if (plain != NULL && (multi != NULL || html != NULL) &&
	    blank_part(plain))
		plain = NULL;
	return plain != NULL ? plain : multi != NULL ? multi : html;
}

static int
walk_multi(struct walk *w, struct mailmime *mm, int depth, enum body_rule rule)
{
	char *type = content_type(mm->mm_content_type);
	struct mailmime *best = NULL;
	int alternative = strcmp(type, "multipart/alternative") == 0;

	/* RFC 3156: the text is in the second part, which cirm cannot
	   read; both parts are kept as files */
	if (strcmp(type, "multipart/encrypted") == 0 && rule == BODY_YES)
		w->msg->encrypted = "PGP/MIME";

	if (depth == 0 && strcmp(type, "multipart/report") == 0) {
		const char *rt = ct_param(mm->mm_content_type, "report-type");

		w->msg->report_type = rt != NULL ? xstrdup(rt) : NULL;
	}
	free(type);
	if (alternative && rule == BODY_YES)
		best = best_alternative(mm);
	for (clistiter *it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list);
	     it != NULL; it = clist_next(it)) {
		struct mailmime *c = clist_content(it);
		enum body_rule r = rule;

		if (alternative && rule != BODY_NO)
			r = c == best ? BODY_YES : BODY_ALTERNATIVE;
		if (walk_node(w, c, depth + 1, r) < 0)
			return -1;
	}
	return 0;
}

static int
walk_node(struct walk *w, struct mailmime *mm, int depth, enum body_rule rule)
{
	if (depth > w->lim->max_depth)
		return fail(w, xasprintf("MIME parts nested deeper than %d "
					 "(mail_max_depth)", w->lim->max_depth));
	switch (mm->mm_type) {
	case MAILMIME_MULTIPLE:
		return walk_multi(w, mm, depth, rule);
	case MAILMIME_MESSAGE:
		/* An enclosed message is kept whole, as one part. */
		return walk_single(w, mm, depth, rule);
	default:
		return walk_single(w, mm, depth, rule);
	}
}

/* Whether S[I..] is TYPE followed, after white space and comments as
   libetpan skips them, by a '/'. After 4 KiB of them it counts as if it
   were (so that the scan stays linear, and a long comment cannot hide
   a container). */
static bool
type_at(const char *s, size_t len, size_t i, const char *type)
{
	size_t n = strlen(type), depth = 0, end;

	if (i + n > len || strncasecmp(s + i, type, n) != 0)
		return false;
	end = i + n + 4096;
	for (i += n; i < len; i++) {
		if (i >= end)
			return true;
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0 && s[i] == '/')
			return true;
		else if (depth == 0 && s[i] != ' ' && s[i] != '\t' &&
			 s[i] != '\r' && s[i] != '\n')
			return false;
	}
	return false;
}

/* Counts what could nest, case-insensitively, so that libetpan's
   recursive parser never sees a pathological message. "multipart /x"
   and "message (c)/rfc822" nest as well: libetpan skips white space
   and comments there. Any message type counts. */
static size_t
count_containers(const char *s, size_t len)
{
	size_t n = 0;

	/* each 'm', then each 'M': memchr finds them many times faster
	   than a look at every byte (this took a twentieth of reading a
	   mail) */
	for (const char *c = "mM"; *c != '\0'; c++) {
		for (const char *p = s; len >= 8 && p <= s + len - 8; p++) {
			size_t i;

			p = memchr(p, *c, (size_t)(s + len - 7 - p));
			if (p == NULL)
				break;
			i = (size_t)(p - s);
			if ((s[i + 1] == 'u' || s[i + 1] == 'U' ||
			     s[i + 1] == 'e' || s[i + 1] == 'E') &&
			    (type_at(s, len, i, "multipart") ||
			     type_at(s, len, i, "message")))
				n++;
		}
	}
	return n;
}

/* The deepest nesting of parentheses in one header field (a line not
   starting with white space, and its continuation lines), anywhere in
   the message: libetpan reads comments recursively, in the message's
   header and in each part's, and a field of a hundred thousand '('
   would overflow the stack. Body lines count too (they cannot be told
   from a part's header here); text nests parentheses a few deep. */
static size_t
deepest_comment(const char *s, size_t len)
{
	size_t depth = 0, deepest = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' && i + 1 < len && s[i + 1] != ' ' &&
		    s[i + 1] != '\t')
			depth = 0;
		else if (s[i] == '\\' && i + 1 < len)
			i++;
		else if (s[i] == '(' && ++depth > deepest)
			deepest = depth;
		else if (s[i] == ')' && depth > 0)
			depth--;
	}
	return deepest;
}

/* The length of the header section (up to and without the blank line). */
static size_t
header_length(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' && (i + 1 < len) &&
		    (s[i + 1] == '\n' || (s[i + 1] == '\r' && i + 2 < len &&
					  s[i + 2] == '\n')))
			return i + 1;
	}
	return len;
}

/* How many times C is in S (LEN bytes); memchr goes through a mail
   many times faster than a loop over its bytes. */
static size_t
count_byte(const char *s, size_t len, char c)
{
	const char *p = s, *end = s + len;
	size_t n = 0;

	while (p < end && (p = memchr(p, c, (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* What would overflow libetpan's stack in RAW (LEN bytes): 0, or -1
   with *ERROR_R. Comments are measured only when the message has more
   '(' than they may nest deep (a scan of every byte took a twentieth of
   reading a mail). */
static int
check_nesting(const char *raw, size_t len, char **error_r)
{
	if (count_containers(raw, len) > MIME_MAX_CONTAINERS) {
		*error_r = xasprintf("more than %d multipart or message parts",
				     MIME_MAX_CONTAINERS);
		return -1;
	}
	if (count_byte(raw, len, '(') > MIME_MAX_COMMENT_DEPTH &&
	    deepest_comment(raw, len) > MIME_MAX_COMMENT_DEPTH) {
		*error_r = xasprintf("parentheses nested more than %d deep in "
				     "one header field", MIME_MAX_COMMENT_DEPTH);
		return -1;
	}
	return 0;
}

static int
check_limits(const char *raw, size_t len, const struct mime_limits *lim,
	     size_t hlen, char **error_r)
{
	if (len > lim->max_size) {
		*error_r = xasprintf("message of %zu bytes is larger than "
				     "mail_max_size (%zu)", len, lim->max_size);
		return -1;
	}
	if (hlen > lim->max_header_bytes) {
		*error_r = xasprintf("header section of %zu bytes is larger than "
				     "mail_max_header_bytes (%zu)", hlen,
				     lim->max_header_bytes);
		return -1;
	}
	return check_nesting(raw, len, error_r);
}

static char *
join_body(struct strlist *body)
{
	size_t len = 1;
	char *out;

	for (size_t i = 0; i < body->n; i++)
		len += strlen(body->v[i]) + 1;
	out = xcalloc(1, len);
	for (size_t i = 0; i < body->n; i++) {
		if (i > 0)
			strcat(out, "\n");
		strcat(out, body->v[i]);
	}
	strlist_clear(body);
	return out;
}

int
mime_parse(const void *raw, size_t len, const struct mime_limits *limits,
	   struct mime_message **msg_r, char **error_r)
{
	struct walk w = { .lim = limits };
	struct mailmime *root = NULL;
	struct mime_message *m;
	size_t hlen, idx = 0;
	char *copy;
	int ret = 0;

	hlen = header_length(raw, len);
	if (check_limits(raw, len, limits, hlen, error_r) < 0)
		return -1;
	/* libetpan reads C strings in places: NUL bytes become spaces. */
	copy = xmalloc(len + 1);
	if (len > 0) /* an empty mail comes as NULL from SQLite */
		memcpy(copy, raw, len);
	copy[len] = '\0';
	for (char *p = memchr(copy, '\0', len); p != NULL;
	     p = memchr(p, '\0', len - (size_t)(p - copy)))
		*p = ' ';
	m = w.msg = xcalloc(1, sizeof(*m));
	if (mime_split_headers(copy, hlen, &m->headers, &m->nheaders) < 0) {
		*error_r = xstrdup("not a mail: no header section");
		free(copy);
		mime_free(&m);
		return -1;
	}
	mime_read_envelope(m);
	if (mailmime_parse(copy, len, &idx, &root) == MAILIMF_NO_ERROR &&
	    root->mm_type == MAILMIME_MESSAGE && root->mm_data.mm_message.mm_msg_mime) {
		struct mailmime *body = root->mm_data.mm_message.mm_msg_mime;

		m->content_type = content_type(body->mm_content_type);
		ret = walk_node(&w, body, 0, BODY_YES);
	} else
		m->content_type = xstrdup("text/plain");
	if (root != NULL)
		mailmime_free(root);
	free(copy);
	m->text = join_body(&w.body);
	m->text_from_html = w.body_from_html;
	if (ret < 0) {
		*error_r = w.error;
		mime_free(&m);
		return -1;
	}
	*msg_r = m;
	return 0;
}

int
mime_parse_header(const void *raw, size_t len, struct mime_message **msg_r,
		  char **error_r)
{
	struct mime_limits lim;
	size_t hlen = header_length(raw, len);

	mime_limits_default(&lim);
	lim.max_size = hlen;
	lim.max_header_bytes = hlen;
	return mime_parse(raw, hlen, &lim, msg_r, error_r);
}

int
mime_part_is_file(const struct mime_part *p)
{
	return p->role == MIME_PART_ATTACHMENT || p->role == MIME_PART_MESSAGE;
}

int
mime_part_is_tnef(const struct mime_part *p)
{
	return p->role == MIME_PART_ATTACHMENT &&
		(strcmp(p->content_type, "application/ms-tnef") == 0 ||
		 strcmp(p->content_type, "application/vnd.ms-tnef") == 0 ||
		 (p->filename != NULL &&
		  strcasecmp(p->filename, "winmail.dat") == 0));
}

void
mime_free(struct mime_message **mp)
{
	struct mime_message *m = *mp;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	mime_address_clear(&m->from);
	mime_address_clear(&m->sender);
	mime_address_clear(&m->reply_to);
	for (size_t i = 0; i < m->nto; i++)
		mime_address_clear(&m->to[i]);
	for (size_t i = 0; i < m->ncc; i++)
		mime_address_clear(&m->cc[i]);
	free(m->to);
	free(m->cc);
	for (size_t i = 0; i < m->nreferences; i++)
		free(m->references[i]);
	free(m->references);
	for (size_t i = 0; i < m->nparts; i++) {
		free(m->parts[i].content_type);
		free(m->parts[i].filename);
		free(m->parts[i].content_id);
		free(m->parts[i].charset);
		free(m->parts[i].data);
	}
	free(m->parts);
	free(m->subject);
	free(m->message_id);
	free(m->in_reply_to);
	free(m->return_path);
	free(m->content_type);
	free(m->report_type);
	free(m->text);
	free(m);
	*mp = NULL;
}
