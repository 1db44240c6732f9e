/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inbound mail: where does it belong? */
#include "config.h"

#include "mailin-private.h"

#include "e164.h"
#include "forward.h"
#include "html.h"
#include "i18n.h"
#include "log.h"
#include "mailout.h"
#include "reply.h"
#include "token.h"
#include "util.h"

#include <ctype.h>
#include <idn2.h>
#include <libpsl.h>
#include <locale.h>
#include <pthread.h>
#include <stdbool.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>
#include <strings.h>

static char *
where(const struct cfg *cfg, enum setting_id id)
{
	int line = cfg_line(cfg, id);

	return line > 0 ? xasprintf("%s:%d: ", cfg_path(cfg), line) :
		xasprintf("%s: ", cfg_path(cfg));
}

/* mail_form_senders with each domain in its xn-- form, as senders are
   compared (see lower()): "@e-tjänster.kommun.example" as well. */
static char *
form_senders_ascii(const char *v)
{
	struct strlist out = { 0 };
	const char *p = v;

	while (*p != '\0') {
		size_t n;
		char *one, *ascii;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == 0)
			break;
		one = p[0] == '@' ? xasprintf("x%.*s", (int)n, p) :
			xstrndup(p, n);
		ascii = mailout_address_ascii(one);
		strlist_addf(&out, "%s%s", out.n > 0 ? " " : "",
			     ascii == NULL ? one + (p[0] == '@') :
			     ascii + (p[0] == '@'));
		free(ascii);
		free(one);
		p += n;
	}
	return out.n > 0 ? strlist_join(&out) : xstrdup(v);
}

struct mailin *
mailin_new(const struct cfg *cfg, char **error_r)
{
	struct mailin *mi = xcalloc(1, sizeof(*mi));

	/* mails may be parsed in the engine's read-ahead thread */
	html_init();
	if (cfg_load_key(cfg, mi->key, error_r) < 0) {
		free(mi);
		return NULL;
	}
	mi->prefix = xstrdup(cfg_str(cfg, CFG_CASE_PREFIX));
	mi->address = xstrdup(cfg_str(cfg, CFG_MAIL_ADDRESS));
	mi->name = xstrdup(cfg_str(cfg, CFG_MAIL_NAME));
	mi->template_dir = xstrdup(cfg_str(cfg, CFG_TEMPLATE_DIR));
	mi->templates = template_cache_new(mi->template_dir);
	mi->workflow_dir = xstrdup(cfg_str(cfg, CFG_WORKFLOW_DIR));
	mi->workflow_default = xstrdup(cfg_str(cfg, CFG_WORKFLOW_DEFAULT));
	mi->workflow_routes = xstrdup(cfg_str(cfg, CFG_WORKFLOW_ROUTES));
	mi->where_default = where(cfg, CFG_WORKFLOW_DEFAULT);
	mi->where_routes = where(cfg, CFG_WORKFLOW_ROUTES);
	mi->where_workflow_dir = cfg_blame(cfg, CFG_WORKFLOW_DIR);
	mi->sms_country_code = xstrdup(cfg_str(cfg, CFG_SMS_COUNTRY_CODE));
	mi->sms = strcmp(cfg_str(cfg, CFG_SMS_TRANSPORT), "none") != 0;
	mi->form_senders = form_senders_ascii(cfg_str(cfg,
						      CFG_MAIL_FORM_SENDERS));
	mi->auth_server = strcmp(cfg_str(cfg, CFG_MAIL_AUTH_SERVER),
				 "none") != 0 ?
		xstrdup(cfg_str(cfg, CFG_MAIL_AUTH_SERVER)) : NULL;
	mi->case_access_all = strcmp(cfg_str(cfg, CFG_CASE_ACCESS), "all") == 0;
	mi->language = xstrdup(cfg_str(cfg, CFG_LANGUAGE));
	mi->spool_dir = xstrdup(cfg_str(cfg, CFG_SPOOL_DIR));
	mi->flood_max = cfg_int(cfg, CFG_FLOOD_MAX_CASES);
	mi->resend_window = cfg_int(cfg, CFG_MAIL_RESEND_WINDOW);
	mi->limits.max_size = (size_t)cfg_int(cfg, CFG_MAIL_MAX_SIZE);
	mi->limits.max_header_bytes = (size_t)cfg_int(cfg, CFG_MAIL_MAX_HEADER_BYTES);
	mi->limits.max_attachment = (size_t)cfg_int(cfg, CFG_MAIL_MAX_ATTACHMENT);
	mi->limits.max_depth = (int)cfg_int(cfg, CFG_MAIL_MAX_DEPTH);
	mi->limits.max_parts = (int)cfg_int(cfg, CFG_MAIL_MAX_PARTS);
	return mi;
}

void
mailin_free(struct mailin **mip)
{
	struct mailin *mi = *mip;

	if (mi == NULL)
		return;
	OPENSSL_cleanse(mi->key, sizeof(mi->key));
	free(mi->prefix);
	free(mi->address);
	free(mi->name);
	free(mi->template_dir);
	caseflow_free(&mi->flow);
	template_cache_free(&mi->templates);
	free(mi->workflow_dir);
	free(mi->workflow_default);
	free(mi->workflow_routes);
	free(mi->where_default);
	free(mi->where_routes);
	free(mi->where_workflow_dir);
	free(mi->sms_country_code);
	free(mi->form_senders);
	free(mi->auth_server);
	free(mi->language);
	free(mi->spool_dir);
	free(mi);
	*mip = NULL;
}

void
mailin_verdict_clear(struct mailin_verdict *v)
{
	mime_free(&v->msg);
	autoreply_clear(&v->ar);
	free(v->stripped);
	free(v->sender);
	free(v->dedupe_key);
	free(v->resend_key);
	free(v->signature);
	free(v->mentioned);
	free(v->reason);
	free(v->blobs);
	free(v->forward_note);
	free(v->forward_sent);
	free(v->interleaved);
	free(v->answer_group);
	memset(v, 0, sizeof(*v));
}

const char *
mailin_kind_name(enum mailin_kind kind)
{
	static const char *const names[] = {
		"new case", "follow-up", "duplicate", "bounce", "auto-reply",
		"quarantine", "handler reply", "handler commands",
		"answer from outside", "thanks on a closed case",
		"answer from a notified group", "copy sent again",
	};

	return names[kind];
}

/* An address as cirm keeps it: in small letters, and a domain with å,
   ä or ö in its xn-- form, as most mail carries it and as cirm sends to
   it, so that fia@håbo.se in a header written in UTF-8 is the handler
   or citizen fia@xn--hbo-ula.se. */
static char *
lower(const char *s)
{
	char *l = mailout_address_ascii(s);

	if (l == NULL)
		l = xstrdup(s);

	for (char *p = l; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return l;
}

static locale_t utf8_locale;

static void
open_utf8_locale(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* S (UTF-8) in small letters, "HÅBO.SE" as "håbo.se", whatever the
   process's locale: IDNA2008 takes no capitals, which UTS #46 (lower())
   maps; what is no valid UTF-8 is left as it is. */
static char *
small_letters(const char *s)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	size_t n = strlen(s);
	wchar_t *w;
	char *out = NULL;
	locale_t old;

	(void)pthread_once(&once, open_utf8_locale);
	if (utf8_locale == (locale_t)0) {
		out = xstrdup(s);
		for (char *p = out; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		return out;
	}
	w = xcalloc(n + 1, sizeof(*w));
	old = uselocale(utf8_locale);
	if (mbstowcs(w, s, n + 1) != (size_t)-1) {
		size_t m;

		for (wchar_t *p = w; *p != L'\0'; p++)
			*p = (wchar_t)towlower((wint_t)*p);
		/* a small letter takes no more bytes than its capital in
		   the letters IDNA allows; room for any all the same */
		out = xmalloc(n * 4 + 1);
		m = wcstombs(out, w, n * 4 + 1);
		if (m == (size_t)-1) {
			free(out);
			out = NULL;
		}
	}
	uselocale(old);
	free(w);
	return out != NULL ? out : xstrdup(s);
}

/* What is wrong with the domain of ADDR, or NULL.

   A domain written with characters that IDNA's mapping (UTS #46, as
   lower() applies it) turns into others than its letters in small
   case: fullwidth or other compatibility forms, an ideographic full
   stop. "eva@ｋｏｍｍｕｎ.example" would be read as eva@kommun.example,
   the case officer's or citizen's address, though no mail system
   checked that domain for it (DMARC looked at another one, or none).

   Or one with characters no domain has (a snowman, a byte that is not
   UTF-8), which no mail can come from: said as such, so that the
   administrator is not sent looking for a look-alike. */
static const char *
domain_problem(const char *addr)
{
	const char *at = strrchr(addr, '@');
	char *d, *out = NULL, *mapped = NULL;
	bool ascii = true;
	int r, m;

	if (at == NULL)
		return NULL;
	for (const char *p = at + 1; *p != '\0'; p++)
		ascii = ascii && (unsigned char)*p < 0x80;
	if (ascii)
		return NULL;
	d = small_letters(at + 1);
	r = idn2_to_ascii_8z(d, &out, IDN2_NFC_INPUT | IDN2_NO_TR46);
	free(d);
	m = idn2_to_ascii_8z(at + 1, &mapped, IDN2_NFC_INPUT |
			     IDN2_NONTRANSITIONAL);
	/* and a capital whose small letter is not what UTS #46 maps it
	   to: "ẞ" is "ß" in small letters, which IDNA2008 takes, but
	   "ss" for lower(), STRAẞE.SE the ASCII strasse.se */
	if (r == IDN2_OK && m == IDN2_OK && strcasecmp(mapped, out) != 0)
		r = IDN2_DISALLOWED;
	idn2_free(mapped);
	idn2_free(out);
	if (r == IDN2_OK)
		return NULL;
	return m == IDN2_OK ? "written in characters that stand for others "
			      "(fullwidth or other compatibility forms)" :
			      "with characters no domain name has";
}

char *
mailin_digest_key(const char *prefix, const char *what)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char out[64 + 1];

	EVP_Digest(what, strlen(what), md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return xasprintf("%s%s", prefix, out);
}

/* "mid:<Message-ID>", or for mail without one "sha:" and a digest of
   what identifies it: sender, date, subject and text. */
static char *
dedupe_key(const struct mime_message *m, const char *sender)
{
	char *what, *key;

	if (m->message_id != NULL)
		return xasprintf("mid:%s", m->message_id);
	what = xasprintf("%s\n%lld\n%s\n%s", sender, (long long)m->date,
			 m->subject != NULL ? m->subject : "", m->text);
	key = mailin_digest_key("sha:", what);
	free(what);
	return key;
}

/* T without its blanks and line breaks (no-break spaces too), as
   store_message_by_dedupe compares texts: what a mail program may write
   otherwise from one sending to the next. Caller frees. */
static char *
bare(const char *t)
{
	char *out = xmalloc(strlen(t) + 1), *o = out;

	for (const char *p = t; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			continue;
		if ((unsigned char)p[0] == 0xc2 &&
		    (unsigned char)p[1] == 0xa0) {
			p++;
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* What the copy of V's mail sent again has (store_case_resent): the
   digest of its sender, subject, text and files, with nothing of what
   differs from one sending to the next (Date, Message-ID, the Received
   fields, the MIME boundaries, blanks). The case is not in it: a copy
   is looked for on the case, or among the cases the sender opened.
   Made by the engine's read-ahead thread (mailin_prepare), or by
   resent. Caller frees. */
static char *
resend_key(const struct mailin_verdict *v)
{
	const struct mime_message *m = v->msg;
	char *subject = bare(m->subject != NULL ? m->subject : ""),
	     *text = bare(m->text != NULL ? m->text : ""), *what = NULL, *key;
	size_t len = 0;
	FILE *f = open_memstream(&what, &len);

	if (f == NULL)
		fatalx("out of memory");
	/* one field a line: BARE leaves no line break in them */
	fprintf(f, "%s\n%s\n%s\n", v->sender, subject, text);
	for (size_t i = 0; i < m->nparts; i++) {
		char id[BLOB_ID_LEN + 1];

		if (!mime_part_is_file(&m->parts[i]))
			continue;
		/* written ahead already, with its digest as its name */
		if (v->blobs != NULL && v->blobs[i][0] != '\0')
			memcpy(id, v->blobs[i], sizeof(id));
		else
			blob_id(m->parts[i].data, m->parts[i].len, id);
		fprintf(f, "%s\n", id);
	}
	if (fclose(f) != 0)
		fatalx("out of memory");
	key = mailin_digest_key("", what);
	free(what);
	free(text);
	free(subject);
	return key;
}

static int
set_case(struct store *store, struct mailin_verdict *v, const char *number,
	 const char *by, char **error_r)
{
	int r;

	if (strlen(number) >= sizeof(v->case_number))
		return 0;
	r = store_case_id(store, number, &v->case_id, error_r);
	if (r > 0) {
		memcpy(v->case_number, number, strlen(number) + 1);
		v->thread_by = by;
	} else {
		v->forward_id = 0;	/* of a case there is no more */
	}
	return r;
}

/* Whether RECIPIENT has the shape of a handler's signed address made
   from ADDRESS, signed or not: 1 for local+CASE.hID.MAC@domain, 2 for
   the handler's own, local+hID.MAC@domain or
   local+hID-GENERATION.MAC@domain; else 0. */
static int
handler_tag_like(const char *address, const char *recipient)
{
	const char *at = strrchr(address, '@'), *rat = strrchr(recipient, '@');
	size_t llen = at != NULL ? (size_t)(at - address) : 0;
	const char *h;

	if (at == NULL || rat == NULL || strcasecmp(at, rat) != 0 ||
	    strncasecmp(recipient, address, llen) != 0 ||
	    recipient[llen] != '+')
		return 0;
	/* from the '+' on, so that a handler's own address ("+h17.")
	   counts as one on a case (".h17.") */
	for (h = recipient + llen; h < rat; h++) {
		size_t d;

		if ((h[0] != '.' && h[0] != '+') || (h[1] != 'h' && h[1] != 'H'))
			continue;
		d = strspn(h + 2, "0123456789");
		if (d > 0 && h[0] == '+' && h[2 + d] == '-' &&
		    strspn(h + 3 + d, "0123456789") > 0)
			d += 1 + strspn(h + 3 + d, "0123456789");
		if (d > 0 && h[2 + d] == '.')
			return h[0] == '+' ? 2 : 1;
	}
	return 0;
}

/* The case a signed address names (set_case's R) and, when it names a
   forward too, that forward only if it is of this case: a restore puts
   back case_forward without the rows made since the backup, and their
   ids are given again, so that the forward an answer names may now be
   another case's (store_forward_get looks up the id alone). Such an
   answer is then mail on its case that names no forward, from outside
   all the same (forward_gone): kept internal, never the citizen's. */
static int
token_case(struct store *store, struct mailin_verdict *v, int r,
	   char **error_r)
{
	struct store_forward fw = { 0 };
	int f;

	if (r <= 0 || v->forward_id == 0)
		return r;
	f = store_forward_get(store, v->forward_id, &fw, error_r);
	if (f == 0 || (f > 0 && fw.case_id != v->case_id)) {
		v->forward_id = 0;
		v->forward_gone = true;
	}
	store_forward_clear(&fw);
	return f < 0 ? -1 : r;
}

char *
mailin_own_address(const struct mailin *mi, struct store *store,
		   int64_t handler_id, char **error_r)
{
	int64_t generation;

	if (store_handler_address_generation(store, handler_id, &generation,
					     error_r) < 0)
		return NULL;
	return token_address_handler(mi->key, mi->address, handler_id,
				     generation);
}

/* The I-th address a signed one is looked for in: To, Cc, then the
   envelope's headers as MTAs add them; NULL past the last. */
static const char *
token_candidate(const struct mime_message *m, size_t i)
{
	static const char *const extra[] = { "Delivered-To", "X-Original-To",
					     "Envelope-To" };

	if (i < m->nto)
		return m->to[i].addr != NULL ? m->to[i].addr : "";
	i -= m->nto;
	if (i < m->ncc)
		return m->cc[i].addr != NULL ? m->cc[i].addr : "";
	i -= m->ncc;
	if (i < N_ELEMENTS(extra)) {
		const char *a = mime_header(m, extra[i]);

		return a != NULL ? a : "";
	}
	return NULL;
}

/* 1. A signed reply address among the recipients. A handler's own
   address, which names no case, is for commands on none: never
   threaded by anything else (an answer to the digest's Message-ID, a
   case number in the subject). Of two that hold, the one that names
   the sender: an officer's reply to all with the citizen's signed
   address before the officer's own is the officer's, and a citizen's
   with an officer's address before the citizen's is the citizen's. */
static int
thread_by_token(struct mailin *mi, struct store *store,
		struct mailin_verdict *v, char **error_r)
{
	const struct mime_message *m = v->msg;
	char number[TOKEN_MAX], best[TOKEN_MAX];
	int64_t handler, forward, generation, sender = -1;
	int64_t best_handler = 0, best_forward = 0, best_generation = 0;
	bool found = false;
	const char *a;

	for (size_t i = 0; (a = token_candidate(m, i)) != NULL; i++) {
		if (*a == '\0' || !token_check(mi->key, mi->address, a, number,
					       &handler, &forward,
					       &generation))
			continue;
		if (found) {
			/* who the sender is (a handler's id, else 0), read
			   only when two hold */
			if (sender < 0) {
				int64_t id = 0;
				bool is_handler = false, active = false;

				if (v->sender != NULL &&
				    store_contact_find_full(store, "email",
							    v->sender, &id,
							    &is_handler,
							    &active,
							    error_r) < 0)
					return -1;
				sender = is_handler ? id : 0;
			}
			if (best_handler == sender || handler != sender)
				continue;
		}
		found = true;
		memcpy(best, number, sizeof(best));
		best_handler = handler;
		best_forward = forward;
		best_generation = generation;
	}
	if (found) {
		v->handler_id = best_handler;
		v->forward_id = best_forward;
		if (best[0] == '\0') {
			v->personal = true;
			v->own_generation = best_generation;
			return 0;
		}
		return token_case(store, v, set_case(store, v, best,
						     N_("signed address"),
						     error_r), error_r);
	}
	/* A handler's tag that does not verify was made up or altered:
	   such addresses are only ever given to handlers. */
	for (size_t i = 0; i < m->nto + m->ncc; i++) {
		a = i < m->nto ? m->to[i].addr : m->cc[i - m->nto].addr;
		if (a != NULL && v->forged_token == 0)
			v->forged_token = handler_tag_like(mi->address, a);
	}
	return 0;
}

/* 2. In-Reply-To, then References from the newest. */
static int
thread_by_ids(struct store *store, struct mailin_verdict *v, char **error_r)
{
	const struct mime_message *m = v->msg;
	int r;

	if (m->in_reply_to != NULL) {
		/* an answer to what a case officer sent someone outside,
		   to the case's plain address, names the forward */
		r = store_case_by_rfc_id(store, m->in_reply_to, &v->case_id,
					 &v->forward_id, error_r);
		if (r != 0) {
			v->thread_by = N_("In-Reply-To");
			return r;
		}
	}
	for (size_t i = m->nreferences; i-- > 0;) {
		r = store_case_by_rfc_id(store, m->references[i], &v->case_id,
					 &v->forward_id, error_r);
		if (r != 0) {
			v->thread_by = N_("References");
			return r;
		}
	}
	return 0;
}

/* The first case number PREFIX-YYYY-NNNNN in TEXT, upper case, or
   NULL; with SHORTENED also one written without its leading zeros
   ("KS-2026-42"), given in full. *END_R (unless NULL) is where it ends
   in TEXT. */
static char *
find_number(const char *prefix, const char *text, bool shortened,
	    const char **end_r)
{
	size_t plen = strlen(prefix);

	for (const char *p = text; p != NULL && *p != '\0'; p++) {
		size_t d = 0;

		if (strncasecmp(p, prefix, plen) != 0 || p[plen] != '-' ||
		    (p > text && isalnum((unsigned char)p[-1])))
			continue;
		const char *y = p + plen + 1;
		if (strspn(y, "0123456789") != 4 || y[4] != '-')
			continue;
		d = strspn(y + 5, "0123456789");
		if (isalnum((unsigned char)y[5 + d]) ||
		    (d < 5 && (!shortened || d == 0)))
			continue;
		if (end_r != NULL)
			*end_r = y + 5 + d;
		if (d < 5)
			return xasprintf("%s-%.4s-%05ld", prefix, y,
					 strtol(y + 5, NULL, 10));
		char *n = xstrndup(p, plen + 6 + d);

		for (char *c = n; *c != '\0'; c++)
			*c = (char)toupper((unsigned char)*c);
		return n;
	}
	return NULL;
}

char *
mailin_find_number(const char *prefix, const char *text)
{
	return find_number(prefix, text, false, NULL);
}

/* Whether P starts a reply or forward prefix ("Re:", "SV:", "Svar:",
   "AW:", "Fwd:", "VB:", ...); its length with the colon, or 0. */
static size_t
reply_prefix(const char *p)
{
	static const char *const prefixes[] = { "re", "sv", "svar", "aw",
		"antw", "vs", "fwd", "fw", "vb", "wg", "tr" };

	for (size_t i = 0; i < N_ELEMENTS(prefixes); i++) {
		size_t n = strlen(prefixes[i]);

		if (strncasecmp(p, prefixes[i], n) == 0 && p[n] == ':')
			return n + 1;
	}
	return 0;
}

/* Whether P starts a case tag "[PREFIX-YYYY-NNNNN]"; its length, or 0.
   Looks no further than the tag: a subject may be long. */
static size_t
case_tag(const char *prefix, const char *p)
{
	size_t plen = strlen(prefix), d;
	const char *y;

	if (p[0] != '[' || strncasecmp(p + 1, prefix, plen) != 0 ||
	    p[1 + plen] != '-')
		return 0;
	y = p + plen + 2;
	if (strspn(y, "0123456789") != 4 || y[4] != '-')
		return 0;
	d = strspn(y + 5, "0123456789");
	return d >= 5 && y[5 + d] == ']' ? (size_t)(y + 5 + d + 1 - p) : 0;
}

char *
mailin_subject_core(const char *prefix, const char *subject)
{
	const char *p = subject != NULL ? subject : "";
	char *out = xmalloc(strlen(p) + 1), *o = out;
	size_t n;

	for (;;) {
		p += strspn(p, " \t");
		if ((n = reply_prefix(p)) == 0)
			break;
		p += n;
	}
	while (*p != '\0') {
		if ((n = case_tag(prefix, p)) > 0) {
			p += n;
			continue;
		}
		/* runs of blanks as one space */
		if (*p == ' ' || *p == '\t') {
			p += strspn(p, " \t");
			if (o > out && o[-1] != ' ' && *p != '\0')
				*o++ = ' ';
			continue;
		}
		*o++ = *p++;
	}
	while (o > out && o[-1] == ' ')
		o--;
	*o = '\0';
	return out;
}

int
mailin_thanks_only(struct store *store, int64_t contact, int64_t case_id,
		   const char *name, const char *text, char **error_r)
{
	char *names;
	bool thanks;

	/* most are thanks, or more, whoever signs */
	if (reply_thanks_only(text))
		return 1;
	if (!reply_thanks_maybe(text))
		return 0;
	if (caseflow_known_names(store, contact, case_id, name, &names,
				 error_r) < 0)
		return -1;
	thanks = names != NULL && reply_thanks_only_by(text, names);
	free(names);
	return thanks ? 1 : 0;
}

/* Whether mail V from contact CONTACT to its case is a thank-you and
   nothing more (mailin_thanks_only, with the name it is from), with no
   file. 1, 0, or -1. */
static int
thanks_only(struct store *store, int64_t contact,
	    const struct mailin_verdict *v, char **error_r)
{
	const struct mime_message *m = v->msg;

	if (m == NULL || v->stripped == NULL || mailin_has_files(m))
		return 0;
	/* a form's mail is from the form, its Reply-To the citizen's */
	return mailin_thanks_only(store, contact, v->case_id, v->by_form ?
				  m->reply_to.name : m->from.name,
				  v->stripped, error_r);
}

int
mailin_case_closed(struct store *store, int64_t id, char **error_r)
{
	struct store_case_flow f = { 0 };
	int r = store_case_flow_get(store, id, &f, error_r);

	if (r > 0)
		r = f.closed_at != 0;
	store_case_flow_clear(&f);
	return r;
}

int
mailin_pick_number(const char *prefix, const char *text, bool shortened,
		   int (*senders)(const char *number, void *ctx,
				  char **error_r),
		   void *ctx, char **theirs_r, char **first_r, char **error_r)
{
	const char *p = text;
	char *number, *theirs = NULL, *first = NULL;
	int r = 0, best = 0, looked = 0;

	/* a lookup each: anyone may write a subject of a thousand */
	while (looked++ < MAILIN_NUMBERS_MAX &&
	       (number = find_number(prefix, p, shortened, &p)) != NULL) {
		r = senders(number, ctx, error_r);
		if (r < 0 || r == 2) {
			if (r == 2) {
				free(theirs);
				theirs = number;
				best = 2;
			} else {
				free(number);
			}
			break;
		}
		if (r == 1 && theirs == NULL) {
			theirs = number;
			best = 1;
		} else if (r == 0 && first == NULL) {
			first = number;
		} else {
			free(number);
		}
	}
	if (r < 0) {
		free(theirs);
		free(first);
		return -1;
	}
	*theirs_r = theirs;
	*first_r = first;
	return best;
}

struct senders_ctx {
	struct store *store;
	const struct mailin_verdict *v;
};

/* Whether case NUMBER is one the sender of CTX's verdict is a party to
   (mailin_pick_number's SENDERS). */
static int
senders_case(const char *number, void *ctx, char **error_r)
{
	const struct senders_ctx *c = ctx;
	int64_t id;
	int r = store_case_id(c->store, number, &id, error_r);

	if (r > 0)
		r = store_case_has_party(c->store, id, c->v->sender, error_r);
	if (r > 0) {
		r = mailin_case_closed(c->store, id, error_r);
		if (r >= 0)
			r = r > 0 ? 1 : 2;
	}
	return r;
}

/* 3. The case number in the subject, for a party to that case only.
   A subject may hold more than one: a reply to a closed case opens a new
   case whose subject keeps the old number, and our answers add the new
   one ("Svar: Re: Gunga [KS-2026-00004] [KS-2026-00005]"). The first
   open case of the sender's wins; else the first of the sender's cases
   (closed: the mail opens a new case that mentions it); else the first
   number is mentioned. */
static int
thread_by_subject(struct mailin *mi, struct store *store,
		  struct mailin_verdict *v, char **error_r)
{
	struct senders_ctx c = { store, v };
	char *theirs, *first;
	int r = mailin_pick_number(mi->prefix, v->msg->subject, false,
				   senders_case, &c, &theirs, &first, error_r);

	if (r < 0)
		return -1;
	if (theirs != NULL) {
		free(first);
		r = set_case(store, v, theirs, N_("case number in the subject"),
			     error_r);
		free(theirs);
		return r;
	}
	/* someone a case was forwarded to, writing anew about it: their
	   answer, for the case officer (decide() weighs who sent it) */
	if (first != NULL && v->sender != NULL) {
		int64_t id, forward = 0;

		r = store_case_id(store, first, &id, error_r);
		if (r > 0)
			r = store_forward_of_sender(store, id, v->sender,
						    &forward, error_r);
		if (r > 0)
			r = set_case(store, v, first,
				     N_("case number in the subject"), error_r);
		if (r > 0) {
			v->forward_id = forward;
			free(first);
			return r;
		}
		if (r < 0) {
			free(first);
			return -1;
		}
	}
	v->mentioned = first;
	return 0;
}

static int
thread(struct mailin *mi, struct store *store, struct mailin_verdict *v,
       char **error_r)
{
	char kept[STORE_CASE_NUMBER_MAX];
	int r = thread_by_token(mi, store, v, error_r);

	/* a citizen's mail an officer forwarded there is the citizen's,
	   on whatever case it answers */
	if (v->personal && v->forwarded_by != 0) {
		v->personal = false;
		v->handler_id = 0;
	}
	/* a handler's signed address names its case, and one there is
	   none of (removed by retention, given since a backup that was
	   restored) names no other: its In-Reply-To or subject would make
	   it the officer's answer on whichever case they say */
	if (v->personal || (r == 0 && v->handler_id != 0))
		return r < 0 ? -1 : 0;
	if (r == 0)
		r = thread_by_ids(store, v, error_r);
	if (r == 0)
		r = thread_by_subject(mi, store, v, error_r);
	if (r > 0 && v->case_number[0] == '\0')
		r = store_case_get_number(store, v->case_id, v->case_number,
					  error_r);
	/* mail on a case merged into another joins the kept case; not a
	   handler's reply to a signed address, which acts on the case it
	   names (closed: its commands are refused, saying where it went) */
	if (r > 0 && v->handler_id == 0 &&
	    (r = store_case_kept(store, v->case_id, &v->case_id, kept,
				 error_r)) > 0) {
		memcpy(v->merged_from, v->case_number, sizeof(v->merged_from));
		memcpy(v->case_number, kept, sizeof(v->case_number));
	}
	return r < 0 ? -1 : 0;
}

static void
quarantine(struct mailin_verdict *v, char *reason)
{
	v->kind = MAILIN_QUARANTINE;
	v->reason = reason;
}

/* The quarantine of a mail that cannot be read, or has no sender, keyed
   by its bytes: the same file queued again (after a crash between the
   gateway's commit and its move to cur/, an IMAP fetch done again, an
   MTA's retry) is dropped as a duplicate, not quarantined twice. */
static void
quarantine_raw(struct mailin_verdict *v, char *reason, const void *raw,
	       size_t len)
{
	char id[BLOB_ID_LEN + 1];

	quarantine(v, reason);
	blob_id(raw, len, id);
	v->dedupe_key = xasprintf("raw:%s", id);
}

/* Mail no person wrote: a bounce is tied to what we sent, an automatic
   reply or bulk mail to its case; none of them opens a case. */
static int
decide_automatic(struct store *store, struct mailin_verdict *v,
		 char **error_r)
{
	int64_t case_id = 0;

	if (v->ar.kind == AUTOREPLY_BOUNCE) {
		int r = v->ar.original_message_id == NULL ? 0 :
			store_outbox_by_rfc_id(store, v->ar.original_message_id,
					       &v->outbox_id, &case_id, error_r);

		if (r < 0)
			return -1;
		if (case_id != 0 && v->case_id == 0) {
			v->case_id = case_id;
			v->thread_by = N_("bounced message");
			if (store_case_get_number(store, case_id, v->case_number,
						  error_r) < 0)
				return -1;
		}
		if (v->outbox_id == 0 && v->case_id == 0)
			quarantine(v, xstrdup("bounce of a message cirm did not send"));
		else
			v->kind = MAILIN_BOUNCE;
		return 0;
	}
	if (v->case_id != 0)
		v->kind = MAILIN_AUTO_REPLY;
	else
		quarantine(v, xasprintf("%s not tied to any case (%s)",
					autoreply_kind_name(v->ar.kind),
					v->ar.reason));
	return 0;
}

/* The contact a mail's sender is, looked up once per mail: id 0 when
   the address is nobody's yet. */
struct sender {
	int64_t id;
	bool handler, active;
};

/* Marks a quarantined handler's mail V for a notice to WHO, the
   handler, who would otherwise believe it was carried out. */
static void
tell(struct mailin_verdict *v, const struct sender *who,
     enum mailin_notice notice)
{
	v->notify_id = who->id;
	v->notice = notice;
}

/* The Authentication-Results to go by: the topmost, or with SERVER
   the topmost that server wrote (its authserv-id first, RFC 8601 2.2;
   the server adds its own on top, below it may be any the sender
   wrote). NULL when there is none. */
static const char *
ar_header(const struct mime_message *m, const char *server)
{
	for (size_t i = 0; i < m->nheaders; i++) {
		const char *v = m->headers[i].value;
		size_t n;

		if (strcasecmp(m->headers[i].name,
			       "Authentication-Results") != 0)
			continue;
		if (server == NULL)
			return v;
		/* [CFWS] authserv-id: "(comment) mx.example" is the
		   server's as well, and so is its value as a quoted
		   string (RFC 8601 2.2, value of RFC 2045) */
		for (int depth = 0;; v++) {
			if (*v == '(')
				depth++;
			else if (*v == ')' && depth > 0)
				depth--;
			else if (*v == '\\' && depth > 0 && v[1] != '\0')
				v++;
			else if (*v == '\0' || (depth == 0 &&
						 strchr(" \t\r\n", *v) == NULL))
				break;
		}
		if (*v == '"') {
			n = strcspn(v + 1, "\"\\");
			if (v[1 + n] == '"' && n == strlen(server) &&
			    strncasecmp(v + 1, server, n) == 0)
				return m->headers[i].value;
			continue;
		}
		n = strcspn(v, " \t\r\n;(");
		if (n == strlen(server) && strncasecmp(v, server, n) == 0)
			return v;
	}
	return NULL;
}

/* Where the failed authentication shows, for the quarantine's reason:
   in the Authentication-Results, or, with mail_auth_server, in that
   there is none of that server's (a name mistyped in the setting sets
   every officer's mail aside: the reason says so). */
static char *
auth_where(const struct mailin_verdict *v)
{
	if (v->auth_server != NULL && v->msg != NULL &&
	    ar_header(v->msg, v->auth_server) == NULL)
		return xasprintf("no Authentication-Results of %s, "
				 "mail_auth_server", v->auth_server);
	return xstrdup("Authentication-Results");
}

/* V, WHAT ("handler mail") in a handler's name whose sender did not
   pass authentication (mailin_auth_ok): quarantined, and the handler
   whose address it bears (WHO, when a handler) told, since someone may
   have written in their name. */
static void
quarantine_forged(struct mailin_verdict *v, const struct sender *who,
		  const char *what)
{
	char *where = auth_where(v);
	/* no verdict of the server named is no failed check: the handler
	   is told so, since a mistyped name sets every reply aside */
	bool none = v->auth_server != NULL && v->msg != NULL &&
		    ar_header(v->msg, v->auth_server) == NULL;

	quarantine(v, xasprintf("%s whose sender did not pass authentication "
				"(%s)", what, where));
	free(where);
	if (who->handler)
		tell(v, who, none ? MAILIN_NOTICE_AUTH_SERVER :
		     MAILIN_NOTICE_AUTH);
}

/* Whether V, a citizen's mail that opens a case or follows up case
   V->case_id, is a copy of one of theirs that came at most
   mail_resend_window before it, sent again under another Message-ID (a
   double click): 1 with V that copy, on that mail's case; else 0, with
   V's resend key set for a copy of V to find; -1. A released mail is
   handled afresh, as an administrator asked. A citizen's mail a case
   officer forwarded is not the citizen sending it: each forward keeps
   the officer's note and is told to the case's officers. */
static int
resent(struct mailin *mi, struct store *store, int released,
       const struct sender *who, struct mailin_verdict *v, char **error_r)
{
	int64_t case_id;
	int r;

	if (mi->resend_window == 0 || v->forwarded_by != 0) {
		free(v->resend_key);
		v->resend_key = NULL;
		return 0;
	}
	if (v->resend_key == NULL)
		v->resend_key = resend_key(v);
	/* a sender we never had mail from sent nothing before */
	if (released || (v->case_id == 0 && who->id == 0))
		return 0;
	r = store_case_resent(store, v->resend_key,
				 mailin_arrival(v) -
				 mi->resend_window, v->case_id, who->id,
				 &case_id, error_r);
	if (r <= 0)
		return r;
	free(v->resend_key);
	v->resend_key = NULL;
	free(v->mentioned);
	v->mentioned = NULL;
	v->continues = false;
	v->kind = MAILIN_RESENT;
	v->case_id = case_id;
	return store_case_get_number(store, case_id, v->case_number,
				     error_r) < 0 ? -1 : 1;
}

/* Mail from a person that is tied to no case: a new case, unless the
   sender has opened too many this hour. */
static int
decide_new(struct mailin *mi, struct store *store, int64_t now, int released,
	   const struct sender *who, struct mailin_verdict *v,
	   char **error_r)
{
	int64_t n = 0;
	int r;

	/* a copy of one that opened a case is no case of its own, nor
	   counted as one more */
	if ((r = resent(mi, store, released, who, v, error_r)) != 0)
		return r < 0 ? -1 : 0;
	if (!released && who->id != 0 &&
	    store_cases_opened_since(store, who->id, now - 3600, &n,
				     error_r) < 0)
		return -1;
	if (n >= mi->flood_max)
		quarantine(v, xasprintf("sender opened %lld case(s) in the last "
					"hour (flood_max_cases is %ld)", (long long)n,
					mi->flood_max));
	else
		v->kind = MAILIN_NEW_CASE;
	/* A mail that opens a case is nobody's answer to us: when it is
	   all quote (a forward from Outlook, which heads the forwarded
	   text as a reply, with nothing written above it), that quote is
	   what it says. */
	if (v->kind == MAILIN_NEW_CASE &&
	    v->stripped[strspn(v->stripped, " \t\r\n")] == '\0') {
		free(v->stripped);
		v->stripped = xstrdup(v->msg->text != NULL ? v->msg->text : "");
	}
	return 0;
}

/* The domain of ADDR after its last '@'. */
static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : "";
}

/* The Public Suffix List: the newer of libpsl's own copy and the
   system's (Debian's publicsuffix package), loaded once. */
static psl_ctx_t *psl;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static void
psl_load(void)
{
	psl = psl_latest(NULL);
	if (psl == NULL)
		log_warnx("no Public Suffix List: only an exact sender domain "
			  "counts in Authentication-Results");
}

/* The organizational domain of DOMAIN (RFC 7489 3.2, lower case), or
   NULL when DOMAIN is a public suffix ("se", "co.uk") or no name. */
static char *
org_domain(const char *domain, size_t len)
{
	char *d = xstrndup(domain, len);
	const char *reg;
	char *org = NULL;

	for (char *p = d; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	pthread_once(&psl_once, psl_load);
	if (*d == '\0' || *d == '.')
		org = NULL;
	else if (psl == NULL)
		org = xstrdup(d);
	else if ((reg = psl_registrable_domain(psl, d)) != NULL)
		org = xstrdup(reg);
	free(d);
	return org;
}

/* Whether DOMAIN and SENDER_DOMAIN are aligned as DMARC's relaxed mode
   has it: the same organizational domain (DKIM d=kommun.se signs for
   mail from eva@mail.kommun.se, and d=mail.kommun.se for eva@kommun.se),
   never a public suffix (d=se signs for nobody). Without the list, only
   the same domain. */
static bool
aligned(const char *domain, size_t len, const char *sender_domain)
{
	char *a = org_domain(domain, len),
	     *b = org_domain(sender_domain, strlen(sender_domain));
	bool same = a != NULL && b != NULL && strcmp(a, b) == 0;

	free(a);
	free(b);
	return same;
}

/* The value of PROP ("header.d=") in the method result at P up to END. */
static bool
prop_aligned(const char *p, const char *end, const char *prop,
	     const char *sender_domain)
{
	size_t pl = strlen(prop);

	for (; p + pl <= end; p++) {
		if (strncasecmp(p, prop, pl) == 0 &&
		    (p == end || p[-1] == ' ' || p[-1] == '\t')) {
			const char *v = p + pl, *e = v;

			while (e < end && *e != ' ' && *e != '\t' && *e != ';')
				e++;
			/* smtp.mailfrom may be a whole address */
			for (const char *a = v; a < e; a++) {
				if (*a == '@')
					v = a + 1;
			}
			return aligned(v, (size_t)(e - v), sender_domain);
		}
	}
	return false;
}

/* A copy of the Authentication-Results value V with its comments as
   blanks and its quoted strings unquoted, their separators (";", blanks,
   "=", "@") made inert: a comment or a quoted string may hold anything,
   the sender's own words among them ("(domain of \"a;dkim=pass ...\"@x
   designates ...)", "smtp.mailfrom=\"a;...\"@x"), and none of it may
   read as a result or a property. OpenDKIM's "(2048-bit key; secure)"
   must not cut its result in two either. An unclosed one runs to the
   end, which then shows no pass. */
static char *
ar_plain(const char *v)
{
	char *out = xmalloc(strlen(v) + 1), *o = out;
	int depth = 0;
	bool quoted = false;

	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '\\' && (depth > 0 || quoted) && p[1] != '\0') {
			p++;
			if (quoted)
				*o++ = strchr(" \t;=@()\"\\", *p) != NULL ?
					'\x01' : *p;
		} else if (quoted) {
			if (*p == '"')
				quoted = false;
			else
				*o++ = strchr(" \t;=@()", *p) != NULL ? '\x01' :
					*p;
		} else if (*p == '(') {
			if (depth++ == 0)
				*o++ = ' ';
		} else if (depth > 0) {
			depth -= *p == ')';
		} else if (*p == '"') {
			quoted = true;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

/* Whether the DMARC result at P (after "dmarc=") says the domain has
   no DMARC record, so that there is no DMARC result to go by: "none"
   (RFC 7489 11.2), or Exchange Online's "bestguesspass" (no record;
   one would have passed). */
static bool
dmarc_no_record(const char *p)
{
	static const char *const words[] = { "none", "bestguesspass" };

	for (size_t i = 0; i < N_ELEMENTS(words); i++) {
		size_t n = strlen(words[i]);

		if (strncasecmp(p, words[i], n) == 0 &&
		    strchr(" \t\r\n;", p[n]) != NULL)
			return true;
	}
	return false;
}

/* Where the results of the Authentication-Results value AR start: after
   the authserv-id (a host name, never with '='), or at once when there
   is none, as Exchange Online writes it ("spf=pass (...) smtp.mailfrom=
   ...; dkim=..."). */
static const char *
ar_results(const char *ar)
{
	const char *semi = strchr(ar, ';');
	const char *eq = strchr(ar, '=');

	if (eq != NULL && (semi == NULL || eq < semi))
		return ar;
	return semi;
}

/* The topmost Authentication-Results (RFC 8601), added by the receiving
   MTA, or with SERVER (mail_auth_server) the topmost of that server's:
   1 when it shows dmarc=pass, or else (no DMARC result, or none for
   want of a record) dkim=pass or spf=pass, for the sender's domain; 0
   otherwise. Without the header: 1, or 0 with SERVER, whose header
   every mail it took in has. */
int
mailin_auth_ok(const struct mime_message *m, const char *sender,
	       const char *server)
{
	const char *raw = ar_header(m, server);
	const char *sd = domain_of(sender), *p;
	bool any_dmarc = false, pass = false;
	char *ar;

	if (raw == NULL)
		return server == NULL;
	ar = ar_plain(raw);
	p = ar_results(ar);
	while (p != NULL && *p != '\0') {
		const char *end;

		p += strspn(p, "; \t\r\n");
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if (strncasecmp(p, "dmarc=", 6) == 0 &&
		    dmarc_no_record(p + 6)) {
			/* no record: aligned DKIM or SPF decide */
		} else if (strncasecmp(p, "dmarc=", 6) == 0) {
			bool ok = strncasecmp(p + 6, "pass", 4) == 0 &&
				prop_aligned(p, end, "header.from=", sd);

			/* DMARC decides when present */
			pass = (any_dmarc ? pass : true) && ok;
			any_dmarc = true;
		} else if (!any_dmarc && strncasecmp(p, "dkim=pass", 9) == 0) {
			pass = pass || prop_aligned(p, end, "header.d=", sd) ||
				prop_aligned(p, end, "header.i=", sd);
		} else if (!any_dmarc && strncasecmp(p, "spf=pass", 8) == 0) {
			pass = pass || prop_aligned(p, end, "smtp.mailfrom=", sd);
		}
		p = end;
	}
	free(ar);
	return pass ? 1 : 0;
}

/* Mail to a handler's signed address, or from a handler with commands:
   a handler's action only when the token names the sender and the
   receiving MTA's authentication passed; anything else is an
   outsider's mail and goes to the quarantine with the reason. */
static int
decide_handler(const struct sender *who, struct mailin_verdict *v)
{
	if (v->handler_id != 0 && (!who->handler || who->id != v->handler_id)) {
		quarantine(v, xstrdup("reply to a handler's signed address "
				      "from another sender"));
		/* a colleague who answered a forwarded notification */
		if (who->handler) {
			tell(v, who, MAILIN_NOTICE_OTHERS_TOKEN);
		} else {
			/* the handler writing from another address (an
			   alias, a shared mailbox), or someone holding the
			   handler's notification: the handler is told, at
			   the address cirm has, never at the sender's */
			v->notify_id = v->handler_id;
			v->notice = MAILIN_NOTICE_OTHER_SENDER;
		}
		return 0;
	}
	if (v->handler_id == 0 && !who->handler) {
		/* a citizen whose mail starts with '#': an ordinary mail */
		return -2;
	}
	if (!mailin_auth_ok(v->msg, v->sender, v->auth_server)) {
		quarantine_forged(v, who, "handler mail");
		return 0;
	}
	v->handler_id = who->id;
	v->kind = v->case_id != 0 ? MAILIN_HANDLER_REPLY :
		MAILIN_HANDLER_COMMAND;
	/* an answer on a case may quote on purpose, in its own text (a
	   guideline, the citizen's sentence): those quotes are the
	   officer's words for the citizen (reply_strip_answer) */
	if (v->kind == MAILIN_HANDLER_REPLY && v->msg->encrypted == NULL) {
		free(v->stripped);
		free(v->interleaved);
		v->stripped = reply_strip_answer(v->msg->text,
						 &v->interleaved);
	}
	return 0;
}

/* Whether V has neither a text (the quotes cut) nor a file: an answer
   sent before anything was written. */
static bool
empty_answer(const struct mailin_verdict *v)
{
	const char *t = mailin_group_answer_text(v);

	return t[strspn(t, " \t\r\n")] == '\0' && !mailin_has_files(v->msg);
}

/* A handler's reply V on a case: carried out only when the handler
   may read the case (case_access). A signed address stays good for as
   long as the key does, so that of an old notification would let a
   handler who has left the case's group answer its citizen and take
   it. A member of a group the workflow notified of the case for its
   information (a remiss to miljö) answers the notification, though:
   without commands that answer is kept on the case as a note, which
   reaches no citizen, and its case officer is told. 0, or -1. */
static int
may_reply(struct mailin *mi, struct store *store, const struct sender *who,
	  struct mailin_verdict *v, char **error_r)
{
	char *group = NULL;
	const char *note;
	bool commands, named;
	int r = mailin_handler_may_read(mi, store, v->handler_id, v->case_id,
					error_r);

	if (r == 0)
		r = store_case_notified_group(store, v->case_id, v->handler_id,
					      &group, error_r) < 0 ? -1 : 0;
	if (r < 0)
		return -1;
	if (r > 0)
		return 0;
	if (group == NULL) {
		quarantine(v, xstrdup("handler reply on a case the handler "
				      "may not read (case_access): neither "
				      "assigned to them nor in one of their "
				      "groups"));
		tell(v, who, MAILIN_NOTICE_NOT_READABLE);
		return 0;
	}
	/* "group:miljö", or "handler:olle": the workflow named them */
	named = strncmp(group, "handler:", 8) == 0;
	memmove(group, strchr(group, ':') + 1, strlen(strchr(group, ':')));
	/* "#notering" above it: what the answer is anyway */
	if (v->stripped != NULL &&
	    (note = mailin_past_note(v->stripped)) != NULL) {
		char *rest = xstrdup(note);

		free(v->stripped);
		v->stripped = rest;
		/* and in the text kept with what it answers, when the
		   answers were written between the quotes */
		if (v->interleaved != NULL &&
		    (note = mailin_past_note(v->interleaved)) != NULL) {
			rest = xstrdup(note);
			free(v->interleaved);
			v->interleaved = rest;
		}
	}
	/* a command anywhere, as the reply would be read: "*#klar*",
	   "Hej!\n\n#klar" */
	commands = v->stripped != NULL && mailin_has_command_line(v->stripped);
	if (!commands && !empty_answer(v)) {
		char kept[STORE_CASE_NUMBER_MAX];
		int64_t kept_id;
		int k;

		v->kind = MAILIN_GROUP_ANSWER;
		v->answer_group = group;
		v->answer_named = named;
		/* on a case merged since, the note joins the case kept,
		   where its officer works on */
		k = store_case_kept(store, v->case_id, &kept_id, kept, error_r);
		if (k < 0)
			return -1;
		if (k > 0) {
			memcpy(v->merged_from, v->case_number,
			       sizeof(v->merged_from));
			memcpy(v->case_number, kept, sizeof(v->case_number));
			v->case_id = kept_id;
		}
		return 0;
	}
	free(group);
	quarantine(v, xasprintf(commands ? "handler commands on a case the "
				"workflow only notifies %s of (case_access): "
				"an answer without commands is kept as a "
				"note" : "empty answer (no text, no file) "
				"from %s the workflow notified",
				named ? commands ? "the handler by login" :
				"a handler" : commands ? "the handler's group" :
				"a group"));
	tell(v, who, !commands ? MAILIN_NOTICE_GROUP_EMPTY : named ?
	     MAILIN_NOTICE_NAMED_COMMANDS : MAILIN_NOTICE_GROUP_COMMANDS);
	return 0;
}

/* Whether V, a mail tied to no case, reads as commands: its text starts
   with '#', or, from a handler, has a command without a case under a
   greeting ("Hej!\n\n#lista"), which would otherwise open a case. */
static bool
commands(const struct sender *who, const struct mailin_verdict *v)
{
	const char *t = v->stripped;
	char *own;
	bool found;

	if (t == NULL)
		return false;
	if (*mailin_skip_blank(t + strspn(t, " \t\r\n")) == '#')
		return true;
	if (!who->handler)
		return false;
	/* only in the handler's own words: a line of a mail forwarded
	   under them ("#borta 2027-06-30" in a citizen's) is its writer's,
	   and the forward is that mail to register */
	own = xstrndup(t, forward_inline_at(t));
	found = mailin_has_caseless_command(own);
	free(own);
	return found;
}

/* Whether V was stored before (the same mail delivered again): 1 with
   V a duplicate on its case, 0, -1. */
static int
duplicate(struct store *store, struct mailin_verdict *v, char **error_r)
{
	int r = store_message_by_dedupe(store, v->dedupe_key, v->sender,
					v->ar.kind == AUTOREPLY_NONE,
					v->msg->text, &v->case_id, error_r);

	if (r <= 0)
		return r;
	v->kind = MAILIN_DUPLICATE;
	return store_case_get_number(store, v->case_id, v->case_number,
				     error_r) < 0 ? -1 : 1;
}

/* Sets *FIELD to PTR, freeing what it held. */
static void
replace(char **field, char *ptr)
{
	free(*field);
	*field = ptr;
}

/* A handler WHO forwarded a citizen's mail to the case address (V's
   subject says so, it has no commands): V becomes that mail, the
   citizen its sender, as if the citizen had written to the case
   address. The handler's mail is what is kept (its text and files);
   the citizen's text is what the case reads. 1 when it is, 0 when cirm
   cannot tell whose mail it forwards (then the handler's own mail goes
   on as before), -1 when V went to the quarantine. */
static int
take_forward(struct mailin *mi, const struct sender *who,
	     struct mailin_verdict *v)
{
	struct mime_message *m = v->msg;
	struct forward f;

	/* checked first: a forged officer's mail costs no search of its
	   text (and, forward or not, it would be quarantined: a mail of
	   an officer's on no case is read as commands, which need it) */
	if (!mailin_auth_ok(m, v->sender, v->auth_server)) {
		quarantine_forged(v, who, "mail a handler forwarded,");
		return -1;
	}
	if (forward_find(m, &mi->limits, &f) == 0)
		return 0;
	v->forwarded_by = who->id;
	replace(&v->forward_sent, f.sent);
	v->forward_sent_at = f.sent_at;
	replace(&m->from.addr, f.addr);
	replace(&m->from.name, f.name);
	replace(&m->reply_to.addr, NULL);
	replace(&m->reply_to.name, NULL);
	if (f.subject != NULL)
		replace(&m->subject, f.subject);
	/* the citizen's own mail, when it came attached: found again if
	   it came to the case address as well */
	if (f.message_id != NULL)
		replace(&m->message_id, f.message_id);
	replace(&m->in_reply_to, f.in_reply_to);
	for (size_t i = 0; i < m->nreferences; i++)
		free(m->references[i]);
	free(m->references);
	m->references = f.references;
	m->nreferences = f.nreferences;
	/* the handler's own words above the forward, for colleagues: not
	   the forward below them, which reply_strip keeps after its marker
	   line ("---------- Forwarded message"), the citizen's text and
	   address a second time, in the officer's name */
	{
		size_t n = forward_inline_at(v->stripped);

		while (n > 0 && isspace((unsigned char)v->stripped[n - 1]))
			n--;
		v->stripped[n] = '\0';
	}
	if (v->stripped[strspn(v->stripped, " \t\r\n")] != '\0')
		replace(&v->forward_note, v->stripped);
	else
		free(v->stripped);
	/* the signature the officers are shown is the citizen's, not the
	   officer's above the forward */
	free(v->signature);
	v->stripped = reply_strip_full(f.text, NULL, &v->signature);
	replace(&v->interleaved, NULL);
	/* the message is the citizen's: its full text is what they wrote,
	   not the handler's note and the forward's header block above it
	   (a handler's reply may quote what the citizen wrote back to
	   them; the note stays in the raw mail and as forward_note) */
	replace(&m->text, f.text);
	replace(&v->sender, xstrdup(m->from.addr));
	replace(&v->dedupe_key, dedupe_key(m, v->sender));
	/* Forwarded inline, the Message-ID is the officer's forward's,
	   which the citizen never had: answers to the citizen must not
	   name it in In-Reply-To (nor show the municipality's mail
	   host); a second delivery of the forward is still found by its
	   key above. */
	if (f.message_id == NULL)
		replace(&m->message_id, NULL);
	v->case_id = 0;
	v->case_number[0] = '\0';
	v->merged_from[0] = '\0';
	v->thread_by = NULL;
	replace(&v->mentioned, NULL);
	return 1;
}

/* Whether the sender of V, whose mail found its case without a signed
   reply address (In-Reply-To, the subject), is a handler other than the
   case's citizen: such a mail would count as the citizen's. */
static int
handler_without_token(struct store *store, const struct sender *who,
		      const struct mailin_verdict *v, char **error_r)
{
	struct store_case_flow f = { 0 };
	int r;

	if (!who->handler)
		return 0;
	r = store_case_flow_get(store, v->case_id, &f, error_r);
	if (r > 0)
		r = f.citizen_id != who->id;
	store_case_flow_clear(&f);
	return r;
}

/* Our own case address, or a tagged form of it, as the sender: a loop. */
int
mailin_from_ourselves(const struct mailin *mi, const char *sender)
{
	const char *at = strrchr(mi->address, '@');
	size_t local = at != NULL ? (size_t)(at - mi->address) : 0;
	const char *sat = strrchr(sender, '@');

	if (at == NULL || sat == NULL || strcasecmp(at, sat) != 0)
		return 0;
	return strncasecmp(sender, mi->address, local) == 0 &&
	       (sender[local] == '@' || sender[local] == '+');
}

/* Whether VALUE is what a gateway writes in X-Cirm-Oversize: the size
   in digits. A sender may put that field first in a mail of their own
   (where the MTA adds none above it); its value goes into the notice
   to a handler, so anything but a number means it is not ours. */
static bool
oversize_mark(const char *value)
{
	size_t n = strspn(value, "0123456789");

	return n > 0 && n <= 20 && value[n] == '\0';
}

/* Whether VALUE is the note the IMAP gateway writes in
   X-Cirm-Unfetchable for a mail its server fails to deliver (give_up
   in gateways/imap.c): "the IMAP server failed N times to deliver UID
   N of UIDVALIDITY N", or without the UIDVALIDITY (notes from before).
   A sender may put that field first in a mail of their own, as
   X-Cirm-Oversize; its value is the quarantine's reason, which the log
   shows, so only the gateway's words make the mark. The position as
   "V:UID" into *POS_R (free it; NULL without the UIDVALIDITY). */
static bool
unfetchable_mark(const char *value, char **pos_r)
{
	static const char failed[] = MAILIN_UNFETCHABLE_FAILED,
			  uid[] = MAILIN_UNFETCHABLE_UID,
			  uidvalidity[] = MAILIN_UNFETCHABLE_UIDVALIDITY;
	const char *p = value, *u;
	size_t n, un;

	*pos_r = NULL;
	if (strncmp(p, failed, sizeof(failed) - 1) != 0)
		return false;
	p += sizeof(failed) - 1;
	n = strspn(p, "0123456789");
	if (n == 0 || n > 10 || strncmp(p + n, uid, sizeof(uid) - 1) != 0)
		return false;
	u = p + n + sizeof(uid) - 1;
	un = strspn(u, "0123456789");
	if (un == 0 || un > 10)
		return false;
	if (u[un] == '\0')
		return true;
	p = u + un;
	if (strncmp(p, uidvalidity, sizeof(uidvalidity) - 1) != 0)
		return false;
	p += sizeof(uidvalidity) - 1;
	n = strspn(p, "0123456789");
	if (n == 0 || n > 10 || p[n] != '\0')
		return false;
	*pos_r = xasprintf("%.*s:%.*s", (int)n, p, (int)un, u);
	return true;
}

/* Whether ADDR is one of mail_form_senders: an address
   given, or one of a domain given as "@domain". */
static bool
form_sender(const struct mailin *mi, const char *addr)
{
	const char *p = mi->form_senders, *at = strrchr(addr, '@');

	if (strcmp(p, "none") == 0)
		return false;
	while (*p != '\0') {
		size_t n;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n > 0 && (p[0] == '@' ? at != NULL && strlen(at) == n &&
					    strncasecmp(at, p, n) == 0 :
			      strlen(addr) == n &&
			      strncasecmp(addr, p, n) == 0))
			return true;
		p += n;
	}
	return false;
}

/* The part of the analysis that needs no database: reading the mail.
   It runs in the engine's parsing thread (mailin_prepare), so it only
   reads MI. A mail that cannot be read is marked for the quarantine. */
static void
parse(const struct mailin *mi, const void *raw, size_t len,
      struct mailin_verdict *v)
{
	const char *why;
	char *err = NULL, *pos;

	memset(v, 0, sizeof(*v));
	v->auth_server = mi->auth_server;
	if (mime_parse(raw, len, &mi->limits, &v->msg, &err) < 0) {
		quarantine_raw(v, err, raw, len);
		return;
	}
	/* A gateway kept only the header section of a mail over the size
	   limit, marked in its first field. */
	if (v->msg->nheaders > 0 &&
	    strcasecmp(v->msg->headers[0].name, "X-Cirm-Oversize") == 0 &&
	    oversize_mark(v->msg->headers[0].value)) {
		quarantine(v, xasprintf("message of %s bytes is larger than "
					"mail_max_size (only its header was kept)",
					v->msg->headers[0].value));
		/* a handler is told (decide), so the sender is kept */
		v->notice = MAILIN_NOTICE_OVERSIZE;
		if (v->msg->from.addr != NULL &&
		    strchr(v->msg->from.addr, '@') != NULL) {
			v->sender = lower(v->msg->from.addr);
			v->dedupe_key = dedupe_key(v->msg, v->sender);
		}
		return;
	}
	/* Or stood in for a mail its server failed again and again to
	   deliver, which stays there. */
	if (v->msg->nheaders > 0 &&
	    strcasecmp(v->msg->headers[0].name, "X-Cirm-Unfetchable") == 0 &&
	    unfetchable_mark(v->msg->headers[0].value, &pos)) {
		if (pos == NULL) {
			quarantine(v, xasprintf("%.200s; the mail stays on "
						"the server",
						v->msg->headers[0].value));
			return;
		}
		/* the gateway fetches it again by itself: keyed, so that
		   the note is resolved when the mail comes in, and
		   queued twice is quarantined once */
		quarantine(v, xasprintf("%.200s; the mail stays on the server "
					"and the gateway fetches it again by "
					"itself (imap_refetch_after), at once "
					"when this note is released, no more "
					"once it is discarded",
					v->msg->headers[0].value));
		v->dedupe_key = xasprintf(MAILIN_UNFETCHABLE_KEY "%s", pos);
		free(pos);
		return;
	}
	v->stripped = reply_strip_full(v->msg->text, &v->interleaved,
				       &v->signature);
	if (v->msg->from.addr == NULL || strchr(v->msg->from.addr, '@') == NULL) {
		quarantine_raw(v, xstrdup("no sender address in From"), raw,
			       len);
		return;
	}
	if ((why = domain_problem(v->msg->from.addr)) != NULL) {
		quarantine_raw(v, xasprintf("sender address in From has a "
					    "domain %s", why), raw, len);
		return;
	}
	v->sender = lower(v->msg->from.addr);
	/* A web form writes for the citizen, who is its Reply-To: only
	   when the mail is the form's, as its receiving server found (the
	   one rule by which cirm takes another address for the sender's,
	   so checked as a handler's mail is) */
	if (form_sender(mi, v->sender) && v->msg->reply_to.addr != NULL &&
	    strchr(v->msg->reply_to.addr, '@') != NULL) {
		if ((why = domain_problem(v->msg->reply_to.addr)) != NULL) {
			quarantine_raw(v, xasprintf("form mail "
						    "(mail_form_senders) whose "
						    "Reply-To has a domain %s",
						    why), raw, len);
			return;
		}
		if (!mailin_auth_ok(v->msg, v->sender, v->auth_server)) {
			char *where = auth_where(v);

			quarantine(v, xasprintf("form mail (mail_form_senders) "
						"whose sender failed "
						"authentication (%s): its "
						"Reply-To is not taken for "
						"the citizen", where));
			free(where);
			return;
		}
		free(v->sender);
		v->sender = lower(v->msg->reply_to.addr);
		v->by_form = true;
	}
	autoreply_classify(v->msg, &v->ar);
	v->dedupe_key = dedupe_key(v->msg, v->sender);
}

/* A citizen's mail that came encrypted has no text cirm can read: the
   handler reads that instead (in the language of the case's texts),
   ahead of any text the mail had outside the encryption. */
static void
note_encrypted(const struct mailin *mi, struct mailin_verdict *v)
{
	const char *enc = v->msg->encrypted;
	char *rest = v->stripped, *note;
	bool en = mi->language != NULL && strcmp(mi->language, "en") == 0;

	if (enc == NULL)
		return;
	note = en ? xasprintf("[The message came encrypted (%s) and cirm "
			      "cannot read it. It is kept as attachments; ask "
			      "the sender to write again without encryption.]",
			      enc) :
		    xasprintf("[Meddelandet kom krypterat (%s) och cirm kan "
			      "inte läsa det. Det finns kvar som bilagor; be "
			      "avsändaren skriva igen utan kryptering.]", enc);
	if (rest != NULL && rest[strspn(rest, " \t\r\n")] != '\0') {
		v->stripped = xasprintf("%s\n\n%s", note, rest);
		free(note);
	} else
		v->stripped = note;
	free(rest);
}

/* The rest, with the database: duplicates, threading, the decision. V
   holds what parse() read. */
static int
decide(struct mailin *mi, struct store *store, int64_t now, int released,
       struct mailin_verdict *v, char **error_r)
{
	struct sender who = { 0, false, false };
	int r;

	if (v->kind == MAILIN_QUARANTINE) {
		/* too big to be read: the handler who sent it is told */
		if (v->notice != MAILIN_NOTICE_OVERSIZE || v->sender == NULL)
			return 0;
		if (store_contact_find_full(store, "email", v->sender, &who.id,
					    &who.handler, &who.active,
					    error_r) < 0)
			return -1;
		/* not when the header says the sender failed
		   authentication: anyone can write a handler's From on a
		   big mail, and the notice would take it for theirs */
		if (who.handler && who.active &&
		    mailin_auth_ok(v->msg, v->sender, v->auth_server))
			tell(v, &who, MAILIN_NOTICE_OVERSIZE);
		return 0;
	}
	if ((r = duplicate(store, v, error_r)) != 0)
		return r < 0 ? -1 : 0;
	if (thread(mi, store, v, error_r) < 0)
		return -1;
	if (v->ar.kind != AUTOREPLY_NONE)
		return decide_automatic(store, v, error_r);
	if (v->forged_token && v->handler_id == 0) {
		quarantine(v, xstrdup("mail to a handler's reply address whose "
				      "signature does not verify (forged or "
				      "altered)"));
		/* a handler's own, authenticated, answering a notification
		   from before the instance's key changed (or whose address
		   a mail system altered): the handler would wait for it */
		if (!v->by_form &&
		    store_contact_find_full(store, "email", v->sender, &who.id,
					    &who.handler, &who.active,
					    error_r) < 0)
			return -1;
		if (who.handler && who.active &&
		    mailin_auth_ok(v->msg, v->sender, v->auth_server))
			tell(v, &who, MAILIN_NOTICE_BAD_TOKEN);
		return 0;
	}
	/* a case officer's own address as it was before an administrator
	   replaced it (cirmctl handler set --new-address): someone may hold
	   it, so nothing sent there is taken, and the officer is told the
	   address that is theirs now */
	if (v->personal) {
		int64_t generation;

		r = store_handler_address_generation(store, v->handler_id,
						     &generation, error_r);
		if (r < 0)
			return -1;
		if (r > 0 && generation != v->own_generation) {
			quarantine(v, xstrdup("mail to a handler's own address "
					      "that was replaced (cirmctl "
					      "handler set --new-address)"));
			if (!v->by_form &&
			    store_contact_find_full(store, "email", v->sender,
						    &who.id, &who.handler,
						    &who.active, error_r) < 0)
				return -1;
			if (who.handler && who.active &&
			    who.id == v->handler_id &&
			    mailin_auth_ok(v->msg, v->sender, v->auth_server))
				tell(v, &who, MAILIN_NOTICE_OLD_ADDRESS);
			return 0;
		}
	}
	if (mailin_from_ourselves(mi, v->sender)) {
		quarantine(v, xstrdup("mail from cirm's own address (a loop)"));
		return 0;
	}
	if (store_contact_find_full(store, "email", v->sender, &who.id,
				    &who.handler, &who.active, error_r) < 0)
		return -1;
	/* A form's Reply-To is whatever the person filling it in typed:
	   never a handler's, whose mail must come from the handler. */
	if (v->by_form && (who.handler || v->handler_id != 0)) {
		quarantine(v, xstrdup("form mail (mail_form_senders) whose "
				      "Reply-To is a handler's address"));
		return 0;
	}
	/* A handler who left: the address may have passed to someone
	   else; nothing from it drives a case or opens one any more. */
	if (who.handler && !who.active) {
		quarantine(v, xstrdup("mail from a disabled handler's address "
				      "(cirmctl handler enable)"));
		tell(v, &who, MAILIN_NOTICE_DISABLED);
		return 0;
	}
	/* someone outside answering what a case officer sent them: kept
	   on the case for the officer, never the citizen's words nor
	   anyone's command. A case officer's mail there (a reply to all)
	   is theirs, under their rules below: it must not be kept in
	   their name unchecked, nor its commands dropped unsaid. The
	   citizen's own, or a party's, is their mail on the case. */
	if ((v->forward_id != 0 || v->forward_gone) && v->case_id != 0 &&
	    v->handler_id == 0) {
		r = who.handler || v->by_form ? 1 :
			store_case_has_party(store, v->case_id, v->sender,
					     error_r);
		if (r < 0)
			return -1;
		if (r == 0) {
			v->kind = MAILIN_OUTSIDE_REPLY;
			return 0;
		}
		v->forward_id = 0;
		v->forward_gone = false;
	}
	/* a case officer forwarding a citizen's mail to register it */
	if (who.handler && !v->by_form &&
	    (v->handler_id == 0 || (v->personal && v->handler_id == who.id)) &&
	    forward_subject(v->msg->subject) && !commands(&who, v)) {
		if ((r = take_forward(mi, &who, v)) < 0)
			return 0;
		if (r > 0) {
			/* who forwarded it, to be told when it is set
			   aside: nothing else they did happened */
			struct sender forwarder = who;

			if ((r = duplicate(store, v, error_r)) != 0)
				return r < 0 ? -1 : 0;
			who = (struct sender){ 0 };
			if (thread(mi, store, v, error_r) < 0 ||
			    store_contact_find_full(store, "email", v->sender,
						    &who.id, &who.handler,
						    &who.active, error_r) < 0)
				return -1;
			if (mailin_from_ourselves(mi, v->sender)) {
				quarantine(v, xstrdup("a forwarded mail from "
						      "cirm's own address"));
				tell(v, &forwarder, MAILIN_NOTICE_FORWARD_OURS);
				return 0;
			}
			/* never a case officer acting: the forwarded text
			   is nobody's command, and whose it says it is was
			   checked by no one */
			if (who.handler) {
				quarantine(v, xstrdup("a forwarded mail whose "
						      "sender is a case "
						      "officer"));
				tell(v, &forwarder,
				     MAILIN_NOTICE_FORWARD_OFFICER);
				return 0;
			}
		}
	}
	if (v->handler_id == 0 && v->case_id != 0 &&
	    (r = handler_without_token(store, &who, v, error_r)) != 0) {
		if (r < 0)
			return -1;
		/* one that failed authentication is not the handler's
		   mistake but someone writing in their name: told so, as
		   decide_handler tells it, never asked to do it again */
		if (!mailin_auth_ok(v->msg, v->sender, v->auth_server)) {
			quarantine_forged(v, &who, "handler mail");
			return 0;
		}
		quarantine(v, xstrdup("handler mail on a case that did not come "
				      "to the handler's signed reply address "
				      "(it would count as the citizen's); the "
				      "handler should reply to a notification"));
		tell(v, &who, MAILIN_NOTICE_NO_TOKEN);
		return 0;
	}
	/* a case officer's mail on no case is for cirm, with commands or
	   without (then told what to do), never a case with the officer
	   as its citizen */
	if (v->handler_id != 0 ||
	    (v->case_id == 0 && (commands(&who, v) ||
				 (who.handler && !v->by_form))))
		if ((r = decide_handler(&who, v)) != -2)
			return r < 0 || v->kind != MAILIN_HANDLER_REPLY ? r :
				may_reply(mi, store, &who, v, error_r);
	note_encrypted(mi, v);
	if (v->case_id != 0) {
		if ((r = mailin_case_closed(store, v->case_id, error_r)) < 0)
			return -1;
		if (r == 0) {
			/* the same answer sent twice is one answer */
			if ((r = resent(mi, store, released, &who, v,
					error_r)) != 0)
				return r < 0 ? -1 : 0;
			v->kind = MAILIN_FOLLOW_UP;
			return 0;
		}
		/* "Ok, tack!" to the case closed a moment ago: kept on it,
		   with no new case to acknowledge, assign and close */
		if ((r = thanks_only(store, who.id, v, error_r)) < 0)
			return -1;
		if (r > 0) {
			v->kind = MAILIN_THANKS;
			return 0;
		}
		/* "the lamp is broken again" to a closed case: a new case
		   that mentions the old one, so that somebody sees it */
		v->mentioned = xstrdup(v->case_number);
		v->continues = true;
		v->case_id = 0;
		v->case_number[0] = '\0';
		v->thread_by = NULL;
	}
	return decide_new(mi, store, now, released, &who, v, error_r);
}

int
mailin_analyse(struct mailin *mi, struct store *store, const void *raw,
	       size_t len, int64_t now, struct mailin_verdict *v,
	       char **error_r)
{
	parse(mi, raw, len, v);
	mailin_received(v, now);
	return decide(mi, store, now, 0, v, error_r);
}

/* Writes the attachments of a mail that was read into the spool, ahead
   of the engine, which then only records them. Content-addressed, so a
   mail that ends up not stored (a flood's quarantine, a failed batch)
   leaves a file nothing names, as one whose batch failed always could.
   A file that cannot be written is left to mailin_apply, which reports
   it. */
static void
write_blobs(struct mailin *mi, struct mailin_verdict *v)
{
	const struct mime_message *m = v->msg;

	if (v->kind == MAILIN_QUARANTINE || m == NULL || m->nparts == 0)
		return;
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = &m->parts[i];
		char *err = NULL;

		if (!mime_part_is_file(p))
			continue;
		if (v->blobs == NULL)
			v->blobs = xcalloc(m->nparts, sizeof(*v->blobs));
		if (blob_put(mi->spool_dir, p->data, p->len, v->blobs[i], 0,
			     &err) < 0) {
			v->blobs[i][0] = '\0';
			free(err);
			continue;
		}
		mi->prepared_dirty = 1;
	}
}

void *
mailin_prepare(void *ctx, const struct store_inbox_row *row)
{
	struct mailin *mi = ctx;
	struct mailin_verdict *v = xmalloc(sizeof(*v));

	parse(mi, row->raw, row->raw_len, v);
	write_blobs(mi, v);
	/* here, off the engine's writer; resent drops it where it is
	   not wanted */
	if (mi->resend_window != 0 && v->kind != MAILIN_QUARANTINE &&
	    v->sender != NULL && v->msg != NULL)
		v->resend_key = resend_key(v);
	return v;
}

int
mailin_prepared_sync(void *ctx, char **error_r)
{
	struct mailin *mi = ctx;

	return mailin_spool_sync(mi, &mi->prepared_dirty, error_r);
}

void
mailin_prepared_free(void *prepared)
{
	if (prepared != NULL) {
		mailin_verdict_clear(prepared);
		free(prepared);
	}
}

/* Whether handler ID may get one more notice of set-aside mail now
   (and counts it). */
static bool
notice_allowed(struct mailin *mi, int64_t id, int64_t now)
{
	struct mailin_notices *slot = &mi->notices[0];

	for (size_t i = 0; i < sizeof(mi->notices) / sizeof(mi->notices[0]);
	     i++) {
		struct mailin_notices *n = &mi->notices[i];

		if (n->id == id) {
			slot = n;
			break;
		}
		if (n->since < slot->since)
			slot = n;	/* the oldest, if ID has none */
	}
	if (slot->id != id || slot->since <= now - 3600) {
		slot->id = id;
		slot->since = now;
		slot->n = 0;
	}
	return slot->n++ < MAILIN_NOTICES_PER_HOUR;
}

void
mailin_after_batch(void *ctx, int committed)
{
	struct mailin *mi = ctx;

	if (committed)
		memcpy(mi->notices_committed, mi->notices,
		       sizeof(mi->notices));
	else
		memcpy(mi->notices, mi->notices_committed,
		       sizeof(mi->notices));
	if (mi->flow != NULL)
		caseflow_after_batch(mi->flow, committed);
}

/* Puts the mail of ROW, whose verdict V is the quarantine, there with
   its dedupe key, and tells the handler who sent it (if so marked);
   the same mail again, while it waits there or once discarded, is
   dropped as a duplicate. */
static enum engine_result
set_aside(struct mailin *mi, struct store *store,
	  const struct store_inbox_row *row, struct mailin_verdict *v,
	  char **reason_r)
{
	int64_t qid = 0;
	bool told = false;
	int r = 0;

	/* Here too a Message-ID is the same mail only from the same
	   sender, and with the same text: another's with that ID, or the
	   sender's next mail under it, must not be dropped as a copy of
	   what waits here (store_message_by_dedupe). */
	if (v->dedupe_key != NULL && v->sender != NULL &&
	    strncmp(v->dedupe_key, "mid:", 4) == 0) {
		char *b = bare(v->msg != NULL && v->msg->text != NULL ?
			       v->msg->text : ""), *text;

		text = mailin_digest_key("", b);
		free(b);

		replace(&v->dedupe_key, xasprintf("%s from:%s text:%s",
						  v->dedupe_key, v->sender,
						  text));
		free(text);
	}
	if (v->dedupe_key != NULL)
		r = store_quarantine_by_dedupe(store, v->dedupe_key, &qid,
					       reason_r);
	if (r > 0) {
		log_info("inbox row %lld: duplicate of quarantined %lld",
			 (long long)row->id, (long long)qid);
		return ENGINE_DONE;
	}
	/* released while its reason still stands (a sender still not a
	   party to the case): back in the quarantine, but the handler
	   was told of it already, and is not told the same again */
	if (r == 0 && v->notify_id != 0 && v->dedupe_key != NULL &&
	    strcmp(row->source, "release") == 0 &&
	    (r = store_quarantine_released_for(store, v->dedupe_key,
					       v->reason, reason_r)) > 0) {
		log_info("inbox row %lld: released, but set aside again for "
			 "the same reason; the handler is not told again",
			 (long long)row->id);
		v->notify_id = 0;
		r = 0;
	}
	if (r == 0 && v->notify_id != 0 &&
	    notice_allowed(mi, v->notify_id, cirm_now())) {
		r = mailin_handler_set_aside(mi, store, row, v, &qid,
					     reason_r);
		told = true;
	} else if (r == 0) {
		r = store_inbox_quarantine_keyed(store, row->id, v->reason,
						 v->dedupe_key, cirm_now(),
						 &qid, reason_r);
	}
	if (r < 0)
		return ENGINE_TEMP;
	log_warnx("inbox row %lld: quarantined as %lld: %s%s",
		  (long long)row->id, (long long)qid, v->reason,
		  told ? "; the handler was told" : "");
	return ENGINE_SET_ASIDE;
}

/* The last attempt at a mail of ROW (read as V) failed with ERROR in
   mailin_apply, and what it did is undone: if it was an active
   handler's answer or commands (decide() found it so: the sender
   authenticated, no form, the handler's own), it goes to the quarantine
   now, and the handler is told (a reply that never reached the citizen
   must not go unnoticed). ENGINE_SET_ASIDE, or ENGINE_DONE for a copy
   of a mail quarantined already; ENGINE_TEMP when it is left to the
   engine to quarantine. */
static enum engine_result
handler_gave_up(struct mailin *mi, struct store *store,
		const struct store_inbox_row *row, struct mailin_verdict *v,
		const char *error)
{
	int64_t id = 0;
	bool handler = false, active = false;
	char *err = NULL;
	enum engine_result res;

	if ((v->kind != MAILIN_HANDLER_REPLY &&
	     v->kind != MAILIN_HANDLER_COMMAND &&
	     v->kind != MAILIN_GROUP_ANSWER) || v->handler_id == 0 ||
	    v->msg == NULL || v->sender == NULL ||
	    store_contact_find_full(store, "email", v->sender, &id, &handler,
				    &active, &err) <= 0 ||
	    id != v->handler_id || !handler || !active ||
	    store_savepoint(store, &err) < 0) {
		free(err);
		return ENGINE_TEMP;
	}
	v->kind = MAILIN_QUARANTINE;
	v->notify_id = id;
	v->notice = MAILIN_NOTICE_FAILED;
	replace(&v->reason, xasprintf("gave up after %d attempts: %s",
				      row->attempts, error != NULL ? error :
				      "failed"));
	res = set_aside(mi, store, row, v, &err);
	if (res == ENGINE_TEMP || store_savepoint_release(store, &err) < 0) {
		store_savepoint_rollback(store);
		log_warnx("inbox row %lld: the handler cannot be told: %s",
			  (long long)row->id, err != NULL ? err : "failed");
		res = ENGINE_TEMP;
	}
	free(err);
	return res;
}

/* The key of the note that stood in the quarantine for ROW, a mail the
   IMAP gateway gave up and fetched after all (its key ends in
   MAILIN_REFETCHED_SUFFIX), or NULL when ROW is no such mail. */
static char *
note_key(const struct store_inbox_row *row)
{
	static const char suffix[] = MAILIN_REFETCHED_SUFFIX;
	const char *key = row->dedupe_key, *pos;
	size_t len = key != NULL ? strlen(key) : 0;

	if (len < sizeof(suffix) ||
	    strcmp(key + len - (sizeof(suffix) - 1), suffix) != 0 ||
	    (pos = strchr(key, ':')) == NULL)
		return NULL;
	pos++;
	return xasprintf(MAILIN_UNFETCHABLE_KEY "%.*s",
			 (int)(key + len - (sizeof(suffix) - 1) - pos), pos);
}

/* Mail V of ROW, fetched after all, whose note an administrator
   discarded while the gateway was fetching it (the gateway asks just
   before; the discard can come between): no case is made of what was
   thrown away, as the discard promises, and nothing is lost either. It
   waits in the quarantine, where a release makes it a case. 0, or -1
   with *error_r. */
static int
note_discarded(struct store *store, const struct store_inbox_row *row,
	       struct mailin_verdict *v, char **error_r)
{
	/* a copy of mail cirm has is dropped as such all the same */
	char *note = v->kind != MAILIN_QUARANTINE &&
		     v->kind != MAILIN_DUPLICATE ? note_key(row) : NULL;
	int r = note != NULL ? store_quarantine_discarded(store, note,
							  error_r) : 0;

	if (r > 0) {
		free(v->reason);
		quarantine(v, xstrdup("the mail the IMAP server failed to "
				      "deliver came in after all, but its "
				      "note had been discarded: kept here, "
				      "no case made (release it to make "
				      "one)"));
	}
	free(note);
	return r < 0 ? -1 : 0;
}

/* ROW is a mail the IMAP gateway gave up and fetched after all (see
   note_key): the note that stood for it in the quarantine, still
   waiting there, is resolved, with an entry in the audit log, so that
   the mail is in one place, its own. In the row's savepoint. 0, or -1
   with *reason_r. */
static int
resolve_note(struct store *store, const struct store_inbox_row *row,
	     char **reason_r)
{
	int64_t ids[8];
	char *note = note_key(row), num[24];
	int n = 0, r;

	if (note == NULL)
		return 0;
	r = store_quarantine_resolve(store, note, cirm_now(), ids, 8, &n,
				     reason_r);
	for (int i = 0; r == 0 && i < n && i < 8; i++) {
		snprintf(num, sizeof(num), "%lld", (long long)ids[i]);
		r = store_audit_add(store, cirm_now(), "cirmd",
				    "quarantine.resolve", num, "the mail it "
				    "stood for was fetched after all",
				    reason_r);
		if (r == 0)
			log_info("inbox row %lld: the mail the IMAP server "
				 "failed to deliver came in after all: "
				 "quarantined note %s resolved",
				 (long long)row->id, num);
	}
	free(note);
	return r < 0 ? -1 : 0;
}

enum engine_result
mailin_handle(void *ctx, struct store *store, const struct store_inbox_row *row,
	      char **reason_r)
{
	struct mailin *mi = ctx;
	struct mailin_verdict own, *v = row->prepared;
	enum engine_result res = ENGINE_DONE;
	char *err = NULL;
	int decided = -1;

	/* Read ahead in the engine's parsing thread, which also frees it
	   (mailin_prepared_free); or read here. */
	if (v == NULL) {
		v = &own;
		parse(mi, row->raw, row->raw_len, v);
	}
	mi->spool_full = 0;
	mailin_received(v, row->received_at);
	/* on the last attempt, what a failure leaves half done can be
	   undone, and a handler told */
	if (row->last_attempt && store_savepoint(store, reason_r) < 0) {
		res = ENGINE_TEMP;
	} else if ((decided = decide(mi, store, cirm_now(),
				     strcmp(row->source, "release") == 0, v,
				     &err)) < 0 ||
		   note_discarded(store, row, v, &err) < 0 ||
		   mailin_apply(mi, store, row, v, &err) < 0) {
		/* a full spool is the machine's trouble, not the mail's:
		   it must not end in the quarantine */
		res = mi->spool_full ? ENGINE_WAIT : ENGINE_TEMP;
		if (row->last_attempt)
			store_savepoint_rollback(store);
		if (res == ENGINE_TEMP && row->last_attempt && decided >= 0)
			res = handler_gave_up(mi, store, row, v, err);
		if (res == ENGINE_TEMP || res == ENGINE_WAIT)
			*reason_r = err;
		else
			free(err);
	} else if (row->last_attempt &&
		   store_savepoint_release(store, reason_r) < 0) {
		store_savepoint_rollback(store);
		res = ENGINE_TEMP;
	} else if (v->kind == MAILIN_QUARANTINE) {
		res = set_aside(mi, store, row, v, reason_r);
	} else
		log_info("inbox row %lld: %s%s%s", (long long)row->id,
			 mailin_kind_name(v->kind), v->case_id ? " on " : "",
			 v->case_id ? v->case_number : "");
	if ((res == ENGINE_DONE || res == ENGINE_SET_ASIDE) &&
	    resolve_note(store, row, reason_r) < 0)
		res = ENGINE_TEMP;
	if (v == &own)
		mailin_verdict_clear(v);
	return res;
}

/* Calls FN for each workflow workflow_routes names (with its address). */
static void
each_route(const char *routes, void (*fn)(void *ctx, const char *addr,
					  size_t addr_len, const char *wf,
					  size_t wf_len), void *ctx)
{
	const char *p = strcmp(routes, "none") == 0 ? "" : routes;

	while (*p != '\0') {
		size_t n;
		const char *eq;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == 0)
			break;
		eq = memchr(p, '=', n);
		if (eq != NULL)
			fn(ctx, p, (size_t)(eq - p), eq + 1,
			   n - (size_t)(eq - p) - 1);
		p += n;
	}
}

struct need_ctx {
	struct mailin *mi;
	struct store *store;
	struct strlist *errors;
	int missing;
	bool start;		/* no configuration ran before */
};

/* Whether workflow ID is usable for new cases: current, or, at a start,
   made so from the database (caseflow_keep_newest). */
static bool
usable(struct need_ctx *n, const char *id)
{
	char *err = NULL;

	if (caseflow_current(n->mi->flow, id) != NULL)
		return true;
	if (!n->start)
		return false;
	if (caseflow_keep_newest(n->mi->flow, n->store, id, n->errors,
				 &err) < 0) {
		strlist_add(n->errors, err);
		free(err);
		return false;
	}
	return caseflow_current(n->mi->flow, id) != NULL;
}

static void
need_route(void *ctx, const char *addr, size_t addr_len, const char *wf,
	   size_t wf_len)
{
	struct need_ctx *n = ctx;
	char *id = xstrndup(wf, wf_len);

	(void)addr;
	(void)addr_len;
	if (!usable(n, id)) {
		strlist_addf(n->errors, "%sworkflow_routes: workflow %s is "
			     "not usable (no good %s/%s.xml or other file with "
			     "that id)", n->mi->where_routes, id,
			     n->mi->workflow_dir, id);
		n->missing++;
	}
	free(id);
}

struct caseflow *
mailin_caseflow(struct mailin *mi)
{
	return mi->flow;
}

int
mailin_load_workflows(struct mailin *mi, struct store *store,
		      struct mailin *previous, struct strlist *errors)
{
	struct caseflow_settings set = {
		.template_dir = mi->template_dir, .templates = mi->templates,
		.municipality = mi->name, .language = mi->language,
		.address = mi->address, .key = mi->key,
		.case_access_all = mi->case_access_all,
		.where_workflow_dir = mi->where_workflow_dir,
	};
	struct need_ctx n = { .mi = mi, .store = store, .errors = errors,
			      .start = previous == NULL };
	size_t before;

	if (previous != NULL && previous->templates != NULL)
		(void)template_cache_keep(mi->templates, previous->templates,
					  errors);
	mailin_check_sms_templates(mi, errors);
	caseflow_free(&mi->flow);
	mi->flow = caseflow_new(&set);
	before = errors->n;
	caseflow_load_dir(mi->flow, store, mi->workflow_dir, errors);
	if (previous != NULL && previous->flow != NULL) {
		char *err = NULL;

		if (caseflow_adopt(mi->flow, store, previous->flow,
				   errors->n > before, errors, &err) < 0) {
			strlist_add(errors, err);
			free(err);
		}
	}
	if (!usable(&n, mi->workflow_default)) {
		strlist_addf(errors, "%sworkflow_default: workflow %s is not "
			     "usable (no good %s/%s.xml or other file with that "
			     "id)", mi->where_default, mi->workflow_default,
			     mi->workflow_dir, mi->workflow_default);
		n.missing++;
	}
	each_route(mi->workflow_routes, need_route, &n);
	/* after those: one the database gave at a start is current */
	{
		char *err = NULL;

		if (caseflow_check_running(mi->flow, store, previous != NULL ?
					   previous->templates : NULL, errors,
					   &err) < 0) {
			strlist_add(errors, err);
			free(err);
		}
	}
	if (n.missing > 0)
		return -1;
	/* taken: what it changes can be said now */
	caseflow_log_changes(mi->flow);
	return 0;
}

struct route_ctx {
	const struct mime_message *msg;
	const char *address;	/* instead of MSG's recipients */
	const char *country;	/* for ADDRESS: sms_country_code */
	char *found;
};

/* NUMBER (LEN bytes) in E.164 into OUT, as the engine reads a sender:
   digits alone that do not start with 0 are international. 0, or -1
   for what is no telephone number (a short code). */
static int
route_number(const char *number, size_t len, const char *country,
	     char out[E164_SIZE])
{
	char in[E164_INPUT_MAX + 2];
	const char *why;

	if (len == 0 || len > E164_INPUT_MAX)
		return -1;
	in[0] = '+';
	memcpy(in + 1, number, len);
	in[len + 1] = '\0';
	/* "46700000001" as a network gives it: "+46700000001" */
	if (strspn(in + 1, "0123456789") == len && in[1] != '0')
		return e164_normalise(in, country, out, &why);
	return e164_normalise(in + 1, country, out, &why);
}

/* Whether a route's ADDR (ADDR_LEN bytes) is the address TO. */
static bool
route_names(const char *to, const char *addr, size_t addr_len)
{
	return strlen(to) == addr_len && strncasecmp(to, addr, addr_len) == 0;
}

static void
match_route(void *ctx, const char *addr, size_t addr_len, const char *wf,
	    size_t wf_len)
{
	struct route_ctx *r = ctx;
	const struct mime_message *m = r->msg;

	if (r->address != NULL) {
		/* A number matches in any form that is the same number
		   ("0700000001" the gateway's "+46700000001"); a short code
		   as it is, with or without a '+'. */
		const char *a = r->address + (r->address[0] == '+');
		char n1[E164_SIZE], n2[E164_SIZE];

		if (r->found == NULL &&
		    route_number(r->address, strlen(r->address), r->country,
				 n1) == 0 &&
		    route_number(addr, addr_len, r->country, n2) == 0) {
			if (strcmp(n1, n2) == 0)
				r->found = xstrndup(wf, wf_len);
			return;
		}
		if (addr_len > 0 && addr[0] == '+') {
			addr++;
			addr_len--;
		}
		if (r->found == NULL && strlen(a) == addr_len &&
		    strncmp(a, addr, addr_len) == 0)
			r->found = xstrndup(wf, wf_len);
		return;
	}
	for (size_t i = 0; r->found == NULL && i < m->nto + m->ncc; i++) {
		const struct mime_address *a = i < m->nto ? &m->to[i] :
							    &m->cc[i - m->nto];
		/* as the route is written: a domain with å, ä or ö in its
		   xn-- form, however the mail wrote it */
		char *to = a->addr != NULL ? lower(a->addr) : NULL;
		char *plus = to != NULL ? strchr(to, '+') : NULL;
		char *at = to != NULL ? strrchr(to, '@') : NULL;

		if (to != NULL && route_names(to, addr, addr_len)) {
			r->found = xstrndup(wf, wf_len);
		} else if (plus != NULL && at != NULL && plus < at) {
			/* by its base address: felanmalan+x@ is felanmalan@
			   (as a signed Reply-To is arende+...@) */
			memmove(plus, at, strlen(at) + 1);
			if (route_names(to, addr, addr_len))
				r->found = xstrndup(wf, wf_len);
		}
		free(to);
	}
}

char *
mailin_workflow_for(const struct mailin *mi, const struct mime_message *msg)
{
	struct route_ctx r = { .msg = msg };

	if (msg != NULL)
		each_route(mi->workflow_routes, match_route, &r);
	return r.found != NULL ? r.found : xstrdup(mi->workflow_default);
}

char *
mailin_workflow_for_number(const struct mailin *mi, const char *number)
{
	struct route_ctx r = { .address = number,
			       .country = mi->sms_country_code };

	if (number != NULL && *number != '\0')
		each_route(mi->workflow_routes, match_route, &r);
	return r.found != NULL ? r.found : xstrdup(mi->workflow_default);
}

int
mailin_fire_timers(struct mailin *mi, struct store *store, int64_t now,
		   int limit, int *fired_r, char **error_r)
{
	*fired_r = 0;
	if (mi->flow == NULL)
		return 0;
	for (;;) {
		int n = 0;

		if (store_begin(store, error_r) < 0)
			return -1;
		if (caseflow_fire_timers(mi->flow, store, now, limit, &n,
					 error_r) < 0 ||
		    store_commit(store, error_r) < 0) {
			store_rollback(store);
			return -1;
		}
		*fired_r += n;
		if (n < limit)
			return 0;
	}
}

struct failure_ctx {
	struct mailin *mi;
	struct store *store;
	int n;
	char *error;
};

/* Tells the handler of F's closed case that the citizen never got the
   message. A template that cannot be rendered (removed by the
   administrator) is logged, not retried for ever. 0, or -1. */
static int
notify_closed(struct failure_ctx *c, const struct store_outbox_failure *f,
	      const struct caseflow_input *in)
{
	char *err = NULL;

	if (store_savepoint(c->store, &c->error) < 0)
		return -1;
	if (caseflow_notify(c->mi->flow, c->store, f->case_id,
			    "handler-delivery-failed", in, &err) == 0)
		return store_savepoint_release(c->store, &c->error);
	store_savepoint_rollback(c->store);
	if (store_busy(c->store)) {
		c->error = err;
		return -1;
	}
	log_warnx("outbox row %lld: the handler of its closed case cannot be "
		  "told it failed: %s", (long long)f->id, err);
	free(err);
	return 0;
}

/* What the workflow hears of F: the message that did not arrive, on a
   line as a case's history has it (when it was queued, "->", the start
   of its text), then what the server or the network said. */
static char *
failed_message(const struct store_outbox_failure *f)
{
	char at[LOCAL_MINUTE_SIZE];
	char *text = text_excerpt(f->body != NULL ? f->body : "", 70), *out;

	out = xasprintf("%s -> %s\n%s", local_minute(f->created_at, at), text,
			f->reason != NULL ? f->reason : "");
	free(text);
	return out;
}

static int
handle_failure(const struct store_outbox_failure *f, void *ctx)
{
	struct failure_ctx *c = ctx;
	char *vis = NULL;
	int64_t forward = 0;
	bool public = false;
	int rc = 0;

	c->n++;
	if (f->case_id != 0 && f->message_id != 0)
		rc = store_message_visibility(c->store, f->message_id, &vis,
					      &c->error);
	if (rc < 0)
		return -1;
	if (rc > 0 && strcmp(vis, "internal") == 0 &&
	    store_outbox_forward(c->store, f->id, &forward, &public,
				 &c->error) < 0)
		rc = -1;
	if (rc > 0 && forward != 0) {
		/* a mistyped address under #vidarebefordra: the officer
		   who forwarded is told */
		rc = mailin_forward_failed(c->mi, c->store, forward,
					   f->reason, &c->error);
	} else if (rc > 0 && strcmp(vis, "public") == 0) {
		/* which of the citizen's messages it was, as the history
		   lists it ("-> Hej! Lampan är lagad..."): a case has an
		   acknowledgement and answers, and the handler must know
		   whether the answer arrived */
		char *what = failed_message(f);
		struct caseflow_input in = {
			.channel = f->channel, .text = what,
			.now = cirm_now(), .delivery_failure = true,
		};
		char *event = xasprintf("delivery.failed.%s", f->channel);

		const struct workflow *wf = NULL;

		rc = store_event_add(c->store, f->case_id, in.now,
				     "delivery.failed", 0, NULL, NULL,
				     f->reason, &c->error);
		if (rc == 0)
			rc = caseflow_workflow_of(c->mi->flow, c->store,
						  f->case_id, &wf, &c->error);
		if (rc >= 0)
			rc = caseflow_event(c->mi->flow, c->store, f->case_id,
					    event, &in, &c->error);
		/* A closed case runs no workflow: its handler is told all
		   the same that the citizen never got the message (the
		   last answer, often). */
		if (rc == 0 && wf == NULL)
			rc = notify_closed(c, f, &in);
		free(event);
		free(what);
	} else if (rc > 0) {
		log_warnx("outbox row %lld: a notification to a handler "
			  "failed for good", (long long)f->id);
		rc = store_event_add(c->store, f->case_id, cirm_now(),
				     "notify.failed", 0, NULL, NULL, f->reason,
				     &c->error);
	} else {
		log_warnx("outbox row %lld: failed for good", (long long)f->id);
	}
	free(vis);
	if (rc < 0)
		return -1;
	return store_outbox_failure_handled(c->store, f->id, &c->error) < 0 ?
		-1 : 0;
}

int
mailin_handle_failures(struct mailin *mi, struct store *store, int limit,
		       int *handled_r, char **error_r)
{
	*handled_r = 0;
	if (mi->flow == NULL)
		return 0;
	for (;;) {
		struct failure_ctx c = { .mi = mi, .store = store };

		if (store_begin(store, error_r) < 0)
			return -1;
		if (store_outbox_failures(store, limit, handle_failure, &c,
					  error_r) < 0 ||
		    store_commit(store, error_r) < 0) {
			store_rollback(store);
			if (c.error != NULL) {
				free(*error_r);
				*error_r = c.error;
			}
			return -1;
		}
		*handled_r += c.n;
		if (c.n < limit)
			return 0;
	}
}
