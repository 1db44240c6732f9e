/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The IMAP inbound gateway: fetches new mail from one mailbox and
   queues each message in the inbox together with its position
   (UIDVALIDITY:UID) in one transaction; then marks it processed on the
   server; waits with IDLE or polls; reconnects with back-off.

   Certificates: Debian's libetpan is built with GnuTLS, verifies
   nothing, and its mailstream_ssl_set_server_certicate() does nothing
   there (it only works in an OpenSSL build). So after every handshake,
   implicit TLS or STARTTLS, the chain the server presented is taken
   from the stream and verified here with OpenSSL: against imap_ca_file
   or the system store, for the purpose "TLS server", and for imap_host
   (a name, or an address literal). Until that holds no credential is
   sent and no message fetched. The handshake itself has proved that
   the server holds the key of the leaf it presented. */
#include "config.h"

#include "gateway.h"
#include "log.h"
#include "mailin.h"
#include "secret.h"
#include "tls.h"
#include "uidset.h"
#include "util.h"

#include <libetpan/libetpan.h>
#include <openssl/x509.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum {
	IMAP_TIMEOUT = 60,	/* s: longest wait for the server */
	IMAP_GREETING = 15,	/* s: longest wait for its first words */
	IMAP_BATCH = 50,	/* UIDs per metadata FETCH */
	IMAP_BACKOFF_MAX = 300, /* s between reconnections, at most */
	IMAP_KEEPALIVE = 600,	/* s: longest IDLE or silence; RFC 3501
				   servers log out after 30 min */
	IMAP_TEXT_MAX = 160,	/* bytes of server text in a log line */
	IMAP_BAD_TRIES = 3,	/* sessions that fail at the same message
				   before it is given up (see give_up) */
	IMAP_REFETCH_MAX = 86400, /* s: longest wait before a message given
				     up is fetched again (see refetch_due) */
	IMAP_REFETCH_GROWTH = 4, /* each failure waits this many times longer */
	IMAP_REFETCH_LIST = 1000, /* messages given up kept for fetching again */
	IMAP_WAKE_CHECK = 10,	/* s: how often a wait for mail asks whether a
				   message given up is due (refetch_wanted) */
};

/* The keyword that marks mail cirm took, with imap_processed = flag and
   on mail kept on the server (see search_new). */
#define IMAP_KEYWORD "$cirm"

/* What to do when the server cannot keep IMAP_KEYWORD: flag mode relies
   on it to tell processed mail from new, and delete mode to tell the
   oversize mail it keeps on the server (see fetch_batch) from new. */
#define KEYWORD_HINT "check imap_processed: flag and delete need a " \
		     "server that stores the keyword " IMAP_KEYWORD \
		     "; move (to imap_processed_folder) does not"

enum tls_mode { TLS_IMPLICIT, TLS_STARTTLS, TLS_NONE };
enum done_mode { DONE_MOVE, DONE_FLAG, DONE_DELETE };

struct imap {
	struct gateway_ctx *ctx;
	const struct cfg *cfg;
	mailimap *s;
	struct tls_client *tls_client; /* NULL with imap_tls = none */
	const char *host, *mailbox;
	char *box, *folder; /* mailbox and imap_processed_folder as sent */
	unsigned int port;
	enum tls_mode tls;
	enum done_mode done;
	uint32_t max_size, max_header;
	uint32_t uidvalidity, last; /* the position */
	int preauth, folder_ready;
	int keyword_ok; /* the mailbox keeps IMAP_KEYWORD (keyword_permanent) */
	int progress; /* the session queued mail, or got to wait for it */
	/* A FETCH that broke the session: of failed_uid (0: of a batch).
	   The sessions that broke one after another at bad_uid, bad_tries;
	   while bad_tries > 0 messages are fetched one at a time, to find
	   the one the server fails on. These outlive the session. */
	int fetch_failed, bad_tries;
	uint32_t failed_uid, bad_uid;
	/* the message given up being fetched again (0: none), and the wait
	   before its next try */
	uint32_t refetching;
	long refetch_wait;
	uint32_t given_up; /* the message given up in this look for mail */
	char *refetch_key; /* its key in the database, by mailbox */
	/* why the session broke, for cirmctl status ("": not said) */
	char why[GATEWAY_PROBLEM_MAX];
};

/* One message as a FETCH response describes it. */
struct item {
	uint32_t uid, size;
	int64_t date;	  /* INTERNALDATE; 0 when absent */
	const char *body; /* a fetched section, or NULL */
	size_t len;
};

static const char *
imap_strerror(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
		return "cannot connect (refused, unreachable or unknown host)";
	case MAILIMAP_ERROR_STREAM:
		return "connection lost or timed out";
	case MAILIMAP_ERROR_SSL:
		return "TLS handshake failed";
	case MAILIMAP_ERROR_PARSE:
		return "unreadable answer from the server";
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
		return "the server turned the connection away";
	case MAILIMAP_ERROR_LOGIN:
	case MAILIMAP_ERROR_SASL:
		return "authentication failed";
	default:
		return "refused by the server";
	}
}

/* 1 when libetpan's R means the connection is unusable. */
static int
imap_broken(int r)
{
	return r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE ||
	       r == MAILIMAP_ERROR_CONNECTION_REFUSED || r == MAILIMAP_ERROR_SSL;
}

/* Logs that STEP failed with libetpan's R, with the server's own words
   when it answered (printable ASCII, cut short) and HINT (may be NULL):
   for what the session goes on after (a refusal passed over). */
static void
warn_hint(struct imap *im, const char *step, int r, const char *hint)
{
	const char *resp = im->s != NULL ? im->s->imap_response : NULL;
	char text[IMAP_TEXT_MAX + 1], *clean;
	size_t n = 0;

	if (gateway_stopping()) {
		/* SIGTERM interrupts a blocking read: no error */
		log_info("%s:%u: %s: interrupted to stop", im->host, im->port,
			 step);
		return;
	}
	if (resp != NULL && !imap_broken(r)) {
		for (; resp[n] != '\0' && n < IMAP_TEXT_MAX; n++)
			text[n] = resp[n] >= 0x20 && resp[n] < 0x7f ? resp[n] : '?';
	}
	text[n] = '\0';
	/* addresses and numbers in the server's words masked */
	clean = scrub_personal(text);
	log_errorx("%s:%u: %s: %s%s%s%s%s%s", im->host, im->port, step,
		   imap_strerror(r), n > 0 ? " (server: " : "", clean,
		   n > 0 ? ")" : "", hint != NULL ? "; " : "",
		   hint != NULL ? hint : "");
	free(clean);
}

/* warn_hint for a failure that ends the session: also kept as its
   reason for cirmctl status (im->why), without the server's words,
   which may name the user. Returns -1. */
static int
fail_hint(struct imap *im, const char *step, int r, const char *hint)
{
	warn_hint(im, step, r, hint);
	if (!gateway_stopping())
		snprintf(im->why, sizeof(im->why), "%s: %s", step,
			 imap_strerror(r));
	return -1;
}

static int
fail(struct imap *im, const char *step, int r)
{
	return fail_hint(im, step, r, NULL);
}

/* NAME (UTF-8) as a mailbox name on the wire: modified UTF-7 (RFC 3501
   5.1.3), which servers require; Dovecot refuses "Åtgärdade" as it is.
   A name that is not UTF-8 is sent unchanged, for the server to judge. */
static char *
mailbox_name(const char *name)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+,";
	const unsigned char *p = (const unsigned char *)name;
	char *out = xmalloc(strlen(name) * 5 + 1);
	size_t o = 0;
	uint32_t bits = 0;
	int nbits = 0, shifted = 0;

	if (utf8_bad_line(name) != 0) {
		free(out);
		return xstrdup(name);
	}
	while (*p != '\0' || shifted) {
		uint32_t c = *p, u[2];
		int len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4, nu;

		if (shifted && (*p == '\0' || (c >= 0x20 && c < 0x7f))) {
			if (nbits > 0)
				out[o++] = b64[(bits << (6 - nbits)) & 0x3f];
			out[o++] = '-';
			shifted = nbits = 0;
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
			if (c == '&')
				out[o++] = '-';
			p++;
			continue;
		}
		if (len > 1)
			c &= 0xff >> (len + 1);
		for (int i = 1; i < len; i++)
			c = (c << 6) | (p[i] & 0x3f);
		p += len;
		nu = c >= 0x10000 ? 2 : 1;
		u[0] = nu == 2 ? 0xd800 | ((c - 0x10000) >> 10) : c;
		u[1] = 0xdc00 | (c & 0x3ff);
		if (!shifted)
			out[o++] = '&';
		shifted = 1;
		for (int i = 0; i < nu; i++) {
			bits = (bits << 16) | u[i];
			for (nbits += 16; nbits >= 6; nbits -= 6)
				out[o++] = b64[(bits >> (nbits - 6)) & 0x3f];
			bits &= (1u << nbits) - 1;
		}
	}
	out[o] = '\0';
	return out;
}

/* --- TLS ---------------------------------------------------------- */

/* libetpan calls this before the handshake: name the host we want
   (SNI), except for an address literal (RFC 6066). */
static void
tls_setup(struct mailstream_ssl_context *c, void *data)
{
	struct imap *im = data;

	if (!tls_host_is_address(im->host))
		mailstream_ssl_set_server_name(c, (char *)im->host);
}

/* The server's certificates from the handshake: the leaf in *leaf_r,
   the others (untrusted, to build the chain) in *chain_r. -1 when it
   presented none. */
static int
peer_certs(mailstream *stream, X509 **leaf_r, STACK_OF(X509) **chain_r)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	ssize_t len = mailstream_ssl_get_certificate(stream, &der);
	carray *certs;

	*chain_r = sk_X509_new_null();
	*leaf_r = NULL;
	if (*chain_r == NULL)
		fatalx("out of memory");
	if (len > 0) {
		p = der;
		*leaf_r = d2i_X509(NULL, &p, (long)len);
	}
	free(der);
	if (*leaf_r == NULL)
		return -1;
	certs = mailstream_get_certificate_chain(stream);
	for (unsigned int i = 1; certs != NULL && i < carray_count(certs); i++) {
		MMAPString *str = carray_get(certs, i);
		X509 *x;

		p = (const unsigned char *)str->str;
		x = d2i_X509(NULL, &p, (long)str->len);
		if (x != NULL && sk_X509_push(*chain_r, x) == 0)
			X509_free(x);
	}
	if (certs != NULL)
		mailstream_certificate_chain_free(certs);
	return 0;
}

/* Verifies the server's chain and that it names imap_host. 0 when it
   holds, else -1 after logging why. */
static int
verify_peer(struct imap *im)
{
	STACK_OF(X509) *chain = NULL;
	X509 *leaf = NULL;
	char err[TLS_ERROR_MAX];
	int r = -1;

	if (peer_certs(im->s->imap_stream, &leaf, &chain) < 0)
		log_errorx("%s:%u: certificate refused: the server presented "
			   "none that can be read", im->host, im->port);
	else if ((r = tls_client_verify(im->tls_client, leaf, chain, im->host,
					err, sizeof(err))) < 0)
		log_errorx("%s:%u: %s", im->host, im->port, err);
	if (r < 0)
		snprintf(im->why, sizeof(im->why), "the server's certificate "
			 "was refused");
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return r;
}

/* --- connecting and logging in -------------------------------------- */

/* libetpan (1.9.4) reads a literal, such as a message's body, in a
   loop that takes a read of 0 bytes, the end of the connection, for no
   bytes yet, and reads again for ever, at full CPU and deaf to SIGTERM:
   a server restarted, or a connection cut, in the middle of a FETCH
   hung the gateway. The stream's reads go through eof_read, which
   makes that end an error. One session at a time: one original. */
static mailstream_low_driver eof_driver;
static mailstream_low_driver *eof_orig;

static ssize_t
eof_read(mailstream_low *s, void *buf, size_t count)
{
	ssize_t r = eof_orig->mailstream_read(s, buf, count);

	return r == 0 && count > 0 ? -1 : r;
}

/* After the connection is set up (TLS, STARTTLS): the stream's low
   level is final then. */
static void
eof_is_error(mailimap *s)
{
	mailstream_low *low = mailstream_get_low(s->imap_stream);

	if (low == NULL || low->driver == &eof_driver)
		return;
	eof_orig = low->driver;
	eof_driver = *low->driver;
	eof_driver.mailstream_read = eof_read;
	low->driver = &eof_driver;
}

static int
capability(struct imap *im)
{
	struct mailimap_capability_data *cap = NULL;
	int r = mailimap_capability(im->s, &cap);

	if (r != MAILIMAP_NO_ERROR)
		return fail(im, "CAPABILITY", r);
	mailimap_capability_data_free(cap);
	return 0;
}

static int
starttls(struct imap *im)
{
	int r;

	if (im->preauth) {
		log_errorx("%s:%u: the server logged us in before STARTTLS; "
			   "refusing the unprotected session", im->host, im->port);
		return -1;
	}
	if (capability(im) < 0)
		return -1;
	if (!mailimap_has_extension(im->s, "STARTTLS")) {
		log_errorx("%s:%u: the server does not offer STARTTLS "
			   "(imap_tls = starttls)", im->host, im->port);
		return -1;
	}
	r = mailimap_socket_starttls_with_callback(im->s, tls_setup, im);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, "STARTTLS", r);
	/* Bytes that came in clear behind the server's OK would otherwise
	   pass for protected ones (CVE-2020-15953). */
	if (im->s->imap_stream->read_buffer_len > 0) {
		log_errorx("%s:%u: data injected before TLS started; refusing "
			   "the session", im->host, im->port);
		return -1;
	}
	return verify_peer(im);
}

static int
imap_connect(struct imap *im)
{
	uint16_t port = (uint16_t)im->port;
	int r;

	/* A server says hello at once; one that says nothing is most
	   likely waiting for a TLS handshake we do not start. */
	mailimap_set_timeout(im->s, IMAP_GREETING);
	if (im->tls == TLS_IMPLICIT)
		r = mailimap_ssl_connect_with_callback(im->s, im->host, port,
						       tls_setup, im);
	else
		r = mailimap_socket_connect(im->s, im->host, port);
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED)
		return fail_hint(im, "connect", r,
				 im->tls != TLS_IMPLICIT &&
				 r == MAILIMAP_ERROR_STREAM ?
				 "no greeting: if imap_port is a port for "
				 "implicit TLS (usually 993), set imap_tls = "
				 "implicit" :
				 im->tls == TLS_IMPLICIT &&
				 r == MAILIMAP_ERROR_SSL ?
				 "if imap_port is a plain port (usually 143), "
				 "set imap_tls = starttls" : NULL);
	mailimap_set_timeout(im->s, IMAP_TIMEOUT);
	mailstream_low_set_timeout(mailstream_get_low(im->s->imap_stream),
				   IMAP_TIMEOUT);
	im->preauth = r == MAILIMAP_NO_ERROR_AUTHENTICATED;
	if (im->tls == TLS_IMPLICIT)
		r = verify_peer(im);
	else if (im->tls == TLS_STARTTLS)
		r = starttls(im);
	else {
		log_warnx("%s:%u: imap_tls = none: password and mail cross "
			  "the network in clear to an unauthenticated server",
			  im->host, im->port);
		r = 0;
	}
	if (r == 0)
		log_info("%s:%u: connected%s", im->host, im->port,
			 im->tls == TLS_NONE ? " without TLS" :
			 ", certificate verified");
	return r;
}

/* LOGIN, or AUTHENTICATE PLAIN where the server disables LOGIN. The
   password is read for each login and wiped at once. */
static int
imap_login(struct imap *im)
{
	const char *user = cfg_str(im->cfg, CFG_IMAP_USER);
	char *pw = NULL, *err = NULL;
	size_t size = 0, len;
	int r;

	if (!im->preauth) {
		if (capability(im) < 0)
			return -1;
		if (secret_read(cfg_str(im->cfg, CFG_IMAP_PASSWORD_FILE), &pw,
				&size, &err) < 0) {
			log_errorx("imap_password_file: %s", err);
			snprintf(im->why, sizeof(im->why),
				 "imap_password_file cannot be read");
			free(err);
			return -1;
		}
		/* The line end, also a CRLF one (a file written on Windows):
		   a CR would go to the server inside the password. */
		len = size;
		while (len > 0 && (pw[len - 1] == '\n' || pw[len - 1] == '\r'))
			pw[--len] = '\0';
		if (mailimap_has_extension(im->s, "LOGINDISABLED")) {
			log_debug("%s:%u: LOGIN disabled, using AUTHENTICATE "
				  "PLAIN", im->host, im->port);
			r = mailimap_authenticate(im->s, "PLAIN", im->host, NULL,
						  NULL, user, user, pw, NULL);
		} else
			r = mailimap_login(im->s, user, pw);
		secret_free(&pw, size);
		if (r != MAILIMAP_NO_ERROR)
			return fail_hint(im, "login", r, imap_broken(r) ? NULL :
					 "check imap_user and imap_password_file");
	}
	/* What the server offers changes with the login. */
	return capability(im);
}

/* Reads where the last session stopped. A changed UIDVALIDITY means
   the server renumbered the mailbox, so it is read again from UID 1:
   mail marked $cirm is passed over (see search_new), mail fetched but
   not yet marked comes again and the engine drops those copies by
   their Message-ID. So too when UIDNEXT (0: not told) is not above
   the position: the mailbox was restored from a backup under the same
   UIDVALIDITY, and new mail gets UIDs that were taken before. */
static int
position_load(struct imap *im, uint32_t uidnext)
{
	char *value = NULL, *err = NULL, reset[24];
	unsigned long v = 0, u = 0;
	int r = store_gateway_state_get(im->ctx->store, im->ctx->name, "uid",
					&value, &err);

	im->last = 0;
	if (r <= 0) {
		if (r < 0)
			log_errorx("database: %s", err);
		free(err);
		return r;
	}
	if (sscanf(value, "%lu:%lu", &v, &u) == 2 && v == im->uidvalidity &&
	    u <= UINT32_MAX && (uidnext == 0 || u < uidnext)) {
		im->last = (uint32_t)u;
	} else {
		if (v == im->uidvalidity && u <= UINT32_MAX)
			log_warnx("%s: the position %lu is past the mailbox's "
				  "UIDNEXT %" PRIu32 " (restored from a backup?): "
				  "fetching the mailbox again from UID 1, but for "
				  "the mail marked $cirm; copies are dropped by "
				  "Message-ID", im->mailbox, u, uidnext);
		else
			log_warnx("%s: UIDVALIDITY is now %" PRIu32 " (position "
				  "was '%.40s'): fetching the mailbox again from "
				  "UID 1, but for the mail marked $cirm; copies "
				  "are dropped by Message-ID", im->mailbox,
				  im->uidvalidity, value);
		/* a message that failed before has another UID now */
		im->bad_uid = 0;
		im->bad_tries = 0;
		snprintf(reset, sizeof(reset), "%" PRIu32 ":0", im->uidvalidity);
		r = store_gateway_state_set(im->ctx->store, im->ctx->name, "uid",
					    reset, &err);
		if (r < 0)
			log_errorx("database: %s", err);
		free(err);
	}
	free(value);
	return r < 0 ? -1 : 0;
}

/* 1 when the selected mailbox keeps IMAP_KEYWORD for good: its
   PERMANENTFLAGS name it, or \* (new keywords may be made). A server
   that cannot keep it drops it from STORE, Dovecot without a word, and
   processed mail would look new after a new UIDVALIDITY, and be marked
   again in every session (mark_leftovers). libetpan leaves the list
   NULL both for "PERMANENTFLAGS ()" and for none at all; RFC 3501
   6.3.1 requires the response, so NULL counts as "()". */
static int
keyword_permanent(const struct mailimap_selection_info *sel)
{
	if (sel->sel_perm_flags == NULL)
		return 0;
	for (clistiter *c = clist_begin(sel->sel_perm_flags); c != NULL;
	     c = clist_next(c)) {
		const struct mailimap_flag_perm *p = clist_content(c);

		if (p->fl_type == MAILIMAP_FLAG_PERM_ALL)
			return 1;
		if (p->fl_type == MAILIMAP_FLAG_PERM_FLAG && p->fl_flag != NULL &&
		    p->fl_flag->fl_type == MAILIMAP_FLAG_KEYWORD &&
		    p->fl_flag->fl_data.fl_keyword != NULL &&
		    strcasecmp(p->fl_flag->fl_data.fl_keyword, IMAP_KEYWORD) == 0)
			return 1;
	}
	return 0;
}

static int
imap_select(struct imap *im)
{
	int r = mailimap_select(im->s, im->box);

	/* A refusal is most often a name the server does not know (its
	   names may be case-sensitive, or below "INBOX."). */
	if (r != MAILIMAP_NO_ERROR)
		return fail_hint(im, "SELECT", r, imap_broken(r) ? NULL :
				 "check imap_mailbox");
	if (im->s->imap_selection_info == NULL ||
	    im->s->imap_selection_info->sel_uidvalidity == 0) {
		log_errorx("%s:%u: %s has no UIDVALIDITY", im->host, im->port,
			   im->mailbox);
		return -1;
	}
	/* Delete mode needs the keyword as much as flag mode: the oversize
	   mail stays in the mailbox marked with it alone. Unmarked it was
	   marked again in every session, deleted there when not over
	   mail_max_size (mark_leftovers), and fetched again after a new
	   UIDVALIDITY. */
	if (im->done != DONE_MOVE &&
	    !keyword_permanent(im->s->imap_selection_info)) {
		const char *mode = im->done == DONE_FLAG ? "flag" : "delete";

		log_errorx("%s:%u: %s: the server does not store the keyword "
			   IMAP_KEYWORD " there (PERMANENTFLAGS names neither "
			   "it nor \\*; an ACL without the right 'w'?): no mail "
			   "is taken from it with imap_processed = %s; "
			   KEYWORD_HINT, im->host, im->port, im->mailbox, mode);
		snprintf(im->why, sizeof(im->why), "imap_processed = %s: the "
			 "server does not store the keyword " IMAP_KEYWORD, mode);
		return -1;
	}
	im->keyword_ok = keyword_permanent(im->s->imap_selection_info);
	if (im->done == DONE_MOVE && !im->keyword_ok &&
	    !mailimap_has_extension(im->s, "MOVE"))
		log_warnx("%s:%u: %s: the server offers no MOVE and does not "
			  "store the keyword " IMAP_KEYWORD " there: mail is "
			  "moved by COPY and EXPUNGE without a mark in between, "
			  "so a session that ends between the two leaves a "
			  "message that the next copies again (a second copy "
			  "in imap_processed_folder; cirm takes it once)",
			  im->host, im->port, im->mailbox);
	im->uidvalidity = im->s->imap_selection_info->sel_uidvalidity;
	return position_load(im, im->s->imap_selection_info->sel_uidnext);
}

/* --- fetching ------------------------------------------------------- */

static int64_t
internaldate(const struct mailimap_date_time *d)
{
	struct tm tm = { 0 };
	int zone = d->dt_zone < 0 ? -d->dt_zone : d->dt_zone;
	int64_t offset = (zone / 100) * 3600 + (zone % 100) * 60;

	tm.tm_year = d->dt_year - 1900;
	tm.tm_mon = d->dt_month - 1;
	tm.tm_mday = d->dt_day;
	tm.tm_hour = d->dt_hour;
	tm.tm_min = d->dt_min;
	tm.tm_sec = d->dt_sec;
	return (int64_t)timegm(&tm) - (d->dt_zone < 0 ? -offset : offset);
}

static void
item_parse(struct mailimap_msg_att *att, struct item *it)
{
	memset(it, 0, sizeof(*it));
	for (clistiter *c = clist_begin(att->att_list); c != NULL;
	     c = clist_next(c)) {
		struct mailimap_msg_att_item *i = clist_content(c);
		struct mailimap_msg_att_static *s;

		if (i->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		s = i->att_data.att_static;
		if (s->att_type == MAILIMAP_MSG_ATT_UID)
			it->uid = s->att_data.att_uid;
		else if (s->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE)
			it->size = s->att_data.att_rfc822_size;
		else if (s->att_type == MAILIMAP_MSG_ATT_INTERNALDATE &&
			 s->att_data.att_internal_date != NULL)
			it->date = internaldate(s->att_data.att_internal_date);
		else if (s->att_type == MAILIMAP_MSG_ATT_BODY_SECTION &&
			 s->att_data.att_body_section->sec_body_part != NULL) {
			it->body = s->att_data.att_body_section->sec_body_part;
			it->len = s->att_data.att_body_section->sec_length;
		}
	}
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int refetch_spare(struct imap *im, clist *res);

/* The UIDs above the position, ascending. 0, or -1. */
static int
search_new(struct imap *im, uint32_t **uids_r, size_t *n_r)
{
	struct mailimap_search_key *key;
	clist *res = NULL;
	size_t n = 0;
	int r;

	*uids_r = NULL;
	*n_r = 0;
	if (im->last == UINT32_MAX)
		return 0;
	/* Mail cirm marked is never fetched again: above the position it
	   can only be left from before a new UIDVALIDITY, and fetched
	   again it would be quarantined twice (oversize, unreadable). */
	key = mailimap_search_key_new_multiple_empty();
	mailimap_search_key_multiple_add(key, mailimap_search_key_new_uid(
		mailimap_set_new_interval(im->last + 1, 0)));
	mailimap_search_key_multiple_add(key,
		mailimap_search_key_new_unkeyword(xstrdup(IMAP_KEYWORD)));
	r = mailimap_uid_search(im->s, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, "UID SEARCH", r);
	/* mail given up is fetched again on its own time (refetch_due),
	   also after the position went back (see position_load) */
	if (refetch_spare(im, res) < 0) {
		mailimap_search_result_free(res);
		return -1;
	}
	*uids_r = xcalloc(clist_count(res) + 1, sizeof(**uids_r));
	/* "last+1:*" names the highest UID even when that is not above
	   last+1, so the position is checked here. */
	for (clistiter *c = clist_begin(res); c != NULL; c = clist_next(c)) {
		uint32_t uid = *(uint32_t *)clist_content(c);

		if (uid > im->last)
			(*uids_r)[n++] = uid;
	}
	mailimap_search_result_free(res);
	qsort(*uids_r, n, sizeof(**uids_r), uid_cmp);
	*n_r = n;
	return 0;
}

/* UID, RFC822.SIZE and INTERNALDATE of UIDS into ITEMS, in the same
   order; uid 0 where the message is gone. */
static int
fetch_meta(struct imap *im, const uint32_t *uids, size_t n, struct item *items)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	clist *res = NULL;
	int r;

	for (size_t i = 0; i < n; i++)
		uidset_add(set, uids[i]);
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_internaldate());
	r = mailimap_uid_fetch(im->s, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		im->fetch_failed = 1;
		im->failed_uid = n == 1 ? uids[0] : 0;
		return fail(im, "UID FETCH", r);
	}
	memset(items, 0, n * sizeof(*items));
	for (clistiter *c = clist_begin(res); c != NULL; c = clist_next(c)) {
		struct item it;

		item_parse(clist_content(c), &it);
		for (size_t i = 0; i < n; i++) {
			if (uids[i] == it.uid)
				items[i] = it;
		}
	}
	mailimap_fetch_list_free(res);
	return 0;
}

/* Fetches ATT (which it frees) of message UID into *it, which points
   into *res_r (free with mailimap_fetch_list_free). 1 when found, 0
   when the message is gone, -1. */
static int
fetch_one(struct imap *im, uint32_t uid, struct mailimap_fetch_att *att,
	  clist **res_r, struct item *it)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att(att);
	int r = mailimap_uid_fetch(im->s, set, ft, res_r);

	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		*res_r = NULL;
		im->fetch_failed = 1;
		im->failed_uid = uid;
		return fail(im, "UID FETCH", r);
	}
	for (clistiter *c = clist_begin(*res_r); c != NULL; c = clist_next(c)) {
		item_parse(clist_content(c), it);
		if (it->uid == uid && it->body != NULL)
			return 1;
	}
	return 0;
}

/* The UIDs of the "kept" list VALUE ("V:U,U,..."), after its ':', when
   V is the mailbox's UIDVALIDITY; else (another mailbox's, or a value
   not of this form) NULL. */
static const char *
kept_uids(const struct imap *im, const char *value)
{
	const char *colon = strchr(value, ':');
	unsigned long v;

	if (colon == NULL || sscanf(value, "%lu:", &v) != 1 ||
	    v != im->uidvalidity)
		return NULL;
	return colon + 1;
}

/* With imap_processed = delete the oversize mail stays in the mailbox,
   marked $cirm (see fetch_batch). Until it is marked, only this list
   in the database ("kept": "UIDVALIDITY:UID,UID...") tells it from the
   queued mail a session left unmarked, which the next one deletes
   (mark_leftovers): size alone told one whose RFC822.SIZE understated
   it, or a note for a message given up, for such mail, and
   it was deleted when a session ended before the STORE (a crash, or a
   server that refuses the keyword at STORE). A UID goes in before its
   row is queued, and the list is emptied once the mail is marked.

   kept_load: the UIDs noted under the current UIDVALIDITY into *res_r
   (free with mailimap_search_result_free, also after -1). 0, or -1. */
static int
kept_load(struct imap *im, clist **res_r)
{
	char *value = NULL, *err = NULL;
	const char *uids;
	int r = store_gateway_state_get(im->ctx->store, im->ctx->name, "kept",
					&value, &err);

	*res_r = clist_new();
	if (*res_r == NULL)
		fatalx("out of memory");
	if (r < 0) {
		log_errorx("database: %s", err);
		free(err);
		return -1;
	}
	if (r > 0 && (uids = kept_uids(im, value)) != NULL) {
		/* from the ':' before the first, then each ',' */
		for (const char *p = uids - 1; p != NULL;
		     p = strchr(p + 1, ',')) {
			unsigned long u = strtoul(p + 1, NULL, 10);
			uint32_t *uid;

			if (u == 0 || u > UINT32_MAX)
				continue;
			uid = xmalloc(sizeof(*uid));
			*uid = (uint32_t)u;
			if (clist_append(*res_r, uid) < 0)
				fatalx("out of memory");
		}
	}
	free(value);
	return 0;
}

/* Adds UID to the list (ADD 1), or empties it (0). 0, or -1. */
static int
kept_note(struct imap *im, uint32_t uid, int add)
{
	char *value = NULL, *err = NULL, *nv;
	const char *uids;
	int r = 0;

	if (im->done != DONE_DELETE)
		return 0;
	if (add)
		r = store_gateway_state_get(im->ctx->store, im->ctx->name,
					    "kept", &value, &err);
	if (r > 0 && (uids = kept_uids(im, value)) != NULL && *uids != '\0')
		nv = xasprintf("%s,%" PRIu32, value, uid);
	else if (add)
		nv = xasprintf("%" PRIu32 ":%" PRIu32, im->uidvalidity, uid);
	else
		nv = xstrdup("");
	if (r >= 0)
		r = store_gateway_state_set(im->ctx->store, im->ctx->name,
					    "kept", nv, &err);
	free(nv);
	free(value);
	if (r < 0) {
		log_errorx("database: %s", err);
		free(err);
		return -1;
	}
	return 0;
}

/* The messages given up (see give_up) stay in the mailbox unmarked, and
   are fetched again later (refetch_due). This list in the database
   ("refetch MAILBOX": "UIDVALIDITY:UID/TRIES/NEXT/AT/SINCE,...", one for
   each imap_mailbox, so that reading another for a while leaves it be)
   keeps them from being marked with the mail left unmarked
   (mark_leftovers) or fetched as new (search_new), and says when each
   is due: TRIES fetches again so far, NEXT the time of the next, AT
   that of the last (or of the give-up), SINCE that of the give-up.
   Under another UIDVALIDITY its UIDs mean nothing: the mailbox is read
   again from its start, and such a message with it. */
struct refetch {
	uint32_t uid;
	int tries;
	int64_t next, at, since;
};

/* The list under the current UIDVALIDITY into *L_R (free it) and *N_R.
   0, or -1 after logging. */
static int
refetch_load(struct imap *im, struct refetch **l_r, size_t *n_r)
{
	char *value = NULL, *err = NULL;
	const char *p;
	int r = store_gateway_state_get(im->ctx->store, im->ctx->name,
					im->refetch_key, &value, &err);

	*l_r = NULL;
	*n_r = 0;
	if (r < 0) {
		log_errorx("database: %s", err);
		free(err);
		return -1;
	}
	if (r == 0 || (p = kept_uids(im, value)) == NULL || *p == '\0') {
		free(value);
		return 0;
	}
	*l_r = xcalloc(strlen(p) / 10 + 1, sizeof(**l_r));
	for (; p != NULL; p = strchr(p, ',')) {
		struct refetch e;
		unsigned long u;
		long long next, at, since;

		p += *p == ',';
		if (sscanf(p, "%lu/%d/%lld/%lld/%lld", &u, &e.tries, &next,
			   &at, &since) != 5 || u == 0 || u > UINT32_MAX)
			continue;
		e.uid = (uint32_t)u;
		e.next = next;
		e.at = at;
		e.since = since;
		(*l_r)[(*n_r)++] = e;
	}
	free(value);
	return 0;
}

/* The list L of N as stored, without UID SKIP (0: none). */
static char *
refetch_format(const struct imap *im, const struct refetch *l, size_t n,
	       uint32_t skip)
{
	char *v = xasprintf("%" PRIu32 ":", im->uidvalidity);

	for (size_t i = 0; i < n; i++) {
		char *nv;

		if (l[i].uid == skip)
			continue;
		nv = xasprintf("%s%s%" PRIu32 "/%d/%lld/%lld/%lld", v,
			       v[strlen(v) - 1] == ':' ? "" : ",", l[i].uid,
			       l[i].tries, (long long)l[i].next,
			       (long long)l[i].at, (long long)l[i].since);
		free(v);
		v = nv;
	}
	return v;
}

/* Stores the list L of N. 0, or -1 after logging. */
static int
refetch_save(struct imap *im, const struct refetch *l, size_t n)
{
	char *v = refetch_format(im, l, n, 0), *err = NULL;
	int r = store_gateway_state_set(im->ctx->store, im->ctx->name,
					im->refetch_key, v, &err);

	free(v);
	if (r < 0) {
		log_errorx("database: %s", err);
		free(err);
		return -1;
	}
	return 0;
}

/* The list as stored without UID into *value_r (free it). 0, or -1. */
static int
refetch_value(struct imap *im, uint32_t uid, char **value_r)
{
	struct refetch *l;
	size_t n;

	*value_r = NULL;
	if (refetch_load(im, &l, &n) < 0)
		return -1;
	*value_r = refetch_format(im, l, n, uid);
	free(l);
	return 0;
}

/* Takes UID off the list. 0, or -1 after logging. */
static int
refetch_save_without(struct imap *im, uint32_t uid)
{
	struct refetch *l;
	size_t n, k = 0;
	int r;

	if (refetch_load(im, &l, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (l[i].uid != uid)
			l[k++] = l[i];
	}
	r = refetch_save(im, l, k);
	free(l);
	return r;
}

/* Takes the UIDs of the list off RES (UIDs as a search gives them):
   mail given up, which stays unmarked. 0, or -1. */
static int
refetch_spare(struct imap *im, clist *res)
{
	struct refetch *l;
	struct uidlook given_up = { 0 };
	size_t n;

	if (res == NULL)
		return 0;
	if (refetch_load(im, &l, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		uidlook_add(&given_up, l[i].uid);
	uidlook_remove_from(&given_up, res);
	uidlook_free(&given_up);
	free(l);
	return 0;
}

/* The wait before the next fetch of a message given up that was
   fetched again TRIES times: imap_refetch_after, then four times as
   long each time, at most IMAP_REFETCH_MAX (or imap_refetch_after). */
static long
refetch_delay(const struct imap *im, int tries)
{
	long d = cfg_int(im->cfg, CFG_IMAP_REFETCH_AFTER);
	long max = d > IMAP_REFETCH_MAX ? d : IMAP_REFETCH_MAX;

	for (int i = 0; i < tries && d < max; i++)
		d *= IMAP_REFETCH_GROWTH;
	return d < max ? d : max;
}

/* Queues RAW as message UID and moves the position to it in the same
   transaction (a message given up and fetched again: takes it off the
   list instead); with REFETCH (may be NULL) the list is set to that too
   (a note for a message given up). 0, or -1 after logging. */
static int
deliver_noted(struct imap *im, uint32_t uid, const void *raw, size_t len,
	      int64_t date, const char *refetch)
{
	char key[64], value[24], *err = NULL, *list = NULL;
	int64_t now = cirm_now();
	int r, again = uid == im->refetching;

	/* A message given up and fetched again is below the position: it
	   leaves the list of those to fetch again instead, in the same
	   transaction, and its own key tells the engine to resolve the
	   note that stood for it (mailin.h). */
	snprintf(key, sizeof(key), "imap:%" PRIu32 ":%" PRIu32 "%s",
		 im->uidvalidity, uid, again ? MAILIN_REFETCHED_SUFFIX : "");
	snprintf(value, sizeof(value), "%" PRIu32 ":%" PRIu32,
		 im->uidvalidity, uid);
	if (again && refetch_value(im, uid, &list) < 0)
		return -1;
	/* Time limits run from arrival at the authority's server, which is
	   what INTERNALDATE records; one in the future is a wrong clock. */
	r = gateway_deliver2(im->ctx, raw, len,
			     date > 0 && date <= now ? date : now, key,
			     again ? im->refetch_key : "uid",
			     again ? list : value,
			     refetch != NULL ? im->refetch_key : NULL, refetch,
			     &err);
	free(list);
	if (r < 0) {
		log_errorx("UID %" PRIu32 ": cannot queue it%s: %s", uid,
			   store_busy(im->ctx->store) ? " (database busy)" : "",
			   err);
		free(err);
		return -1;
	}
	if (!again)
		im->last = uid;
	im->progress = 1;
	log_debug("UID %" PRIu32 ": %s (%zu bytes)", uid,
		  r > 0 ? "queued" : "was queued already", len);
	return 0;
}

static int
deliver(struct imap *im, uint32_t uid, const void *raw, size_t len,
	int64_t date)
{
	return deliver_noted(im, uid, raw, len, date, NULL);
}

/* Cuts a header section to whole lines and says whether it still ends
   with the empty line. */
static size_t
header_whole(const char *h, size_t len, int *complete_r)
{
	*complete_r = len >= 2 && h[len - 1] == '\n' &&
		      (h[len - 2] == '\n' ||
		       (len >= 3 && h[len - 2] == '\r' && h[len - 3] == '\n'));
	if (!*complete_r) {
		while (len > 0 && h[len - 1] != '\n')
			len--;
	}
	return len;
}

/* A message over mail_max_size is not fetched, but it must not vanish
   either, and a gateway writes the inbox only. So its header section
   alone (at most mail_max_header_bytes, whole lines) is queued behind a
   first line "X-Cirm-Oversize: <octets>": the engine quarantines it
   with that reason, the header tells who wrote and when, and the
   message itself stays on the server (moved or flagged, never deleted:
   see fetch_batch). 1 when queued, 0 when gone, -1. */
static int
deliver_oversize(struct imap *im, uint32_t uid, size_t size, int64_t date)
{
	struct mailimap_section *sec = mailimap_section_new_header();
	struct item it;
	clist *res = NULL;
	char *raw;
	size_t n, hlen;
	int r, complete;

	r = fetch_one(im, uid, mailimap_fetch_att_new_body_peek_section_partial(
				       sec, 0, im->max_header), &res, &it);
	if (r > 0) {
		log_warnx("UID %" PRIu32 ": %zu bytes, over mail_max_size "
			  "(%" PRIu32 "): queued its header only, for the "
			  "quarantine; the message stays on the server", uid,
			  size, im->max_size);
		hlen = header_whole(it.body, it.len, &complete);
		raw = xmalloc(hlen + 64);
		n = (size_t)snprintf(raw, 64, "X-Cirm-Oversize: %zu\r\n", size);
		memcpy(raw + n, it.body, hlen);
		n += hlen;
		if (!complete) {
			memcpy(raw + n, "\r\n", 2);
			n += 2;
		}
		r = kept_note(im, uid, 1) < 0 ||
		    deliver(im, uid, raw, n, date) < 0 ? -1 : 1;
		free(raw);
	}
	if (res != NULL)
		mailimap_fetch_list_free(res);
	return r;
}

/* Fetches message META->uid whole and queues it. 1 when queued, 2 when
   only its header was (oversize), 0 when it is gone, -1. */
static int
deliver_message(struct imap *im, const struct item *meta)
{
	struct item it;
	clist *res = NULL;
	size_t size = meta->size;
	int r;

	if (size <= im->max_size) {
		r = fetch_one(im, meta->uid, mailimap_fetch_att_new_body_peek_section(
					     mailimap_section_new(NULL)), &res, &it);
		if (r > 0 && it.len <= im->max_size)
			r = deliver(im, meta->uid, it.body, it.len, meta->date) < 0 ? -1 : 1;
		else if (r > 0)
			size = it.len; /* RFC822.SIZE understated it */
		if (res != NULL)
			mailimap_fetch_list_free(res);
		if (size <= im->max_size || r <= 0)
			return r;
	}
	r = deliver_oversize(im, meta->uid, size, meta->date);
	return r > 0 ? 2 : r;
}

/* --- marking processed --------------------------------------------- */

/* After a marking command: a refusal is logged and passed over (the
   position keeps the message from coming again); a broken connection
   ends the session. */
static int
mark_result_hint(struct imap *im, const char *step, int r, const char *hint)
{
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	if (imap_broken(r))
		return fail_hint(im, step, r, NULL);
	warn_hint(im, step, r, hint);
	return 0;
}

static int
mark_result(struct imap *im, const char *step, int r)
{
	return mark_result_hint(im, step, r, NULL);
}

/* A refused move or copy is most often a folder the server cannot make
   (a name with its hierarchy separator, or not below "INBOX."): the
   mail stays in the mailbox, and the log says what to change. */
#define FOLDER_HINT "the mail stays in the mailbox; check imap_processed_folder"

enum { MARK_DELETED = 1, MARK_SEEN = 2, MARK_KEYWORD = 4 };

/* Adds (ADD 1) or removes the flags of MARKS (MARK_SEEN: \Seen and
   IMAP_KEYWORD) on SET, silently. libetpan's result. */
static int
store_flags(struct imap *im, struct mailimap_set *set, int marks, int add)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *att;
	int r;

	if (marks & MARK_DELETED)
		mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
	if (marks & MARK_SEEN)
		mailimap_flag_list_add(fl, mailimap_flag_new_seen());
	if (marks & (MARK_SEEN | MARK_KEYWORD))
		mailimap_flag_list_add(fl, mailimap_flag_new_flag_keyword(xstrdup(IMAP_KEYWORD)));
	att = add ? mailimap_store_att_flags_new_add_flags_silent(fl) :
		    mailimap_store_att_flags_new_remove_flags_silent(fl);
	r = mailimap_uid_store(im->s, set, att);
	mailimap_store_att_flags_free(att);
	return r;
}

/* Adds \Deleted, or \Seen and the keyword IMAP_KEYWORD. The keyword
   is what tells mail taken from new (see search_new, mark_leftovers): a
   refusal to store it ends the session, to be tried again later, rather
   than taking more mail that stays unmarked. */
static int
add_flags(struct imap *im, struct mailimap_set *set, int deleted)
{
	int r = store_flags(im, set, deleted ? MARK_DELETED : MARK_SEEN,
			    1);

	if (!deleted && r != MAILIMAP_NO_ERROR && !imap_broken(r))
		return fail_hint(im, "UID STORE", r, "the mail stays unmarked "
				 "and no more is taken for now; " KEYWORD_HINT);
	return mark_result(im, "UID STORE", r);
}

/* Flags SET \Deleted and expunges it; without UIDPLUS, EXPUNGE also
   removes what others flagged \Deleted in the mailbox. */
static int
expunge(struct imap *im, struct mailimap_set *set)
{
	int r = add_flags(im, set, 1);

	if (r < 0)
		return -1;
	if (mailimap_has_uidplus(im->s))
		r = mailimap_uid_expunge(im->s, set);
	else
		r = mailimap_expunge(im->s);
	return mark_result(im, "EXPUNGE", r);
}

/* After a MOVE or COPY that R tells was refused: with NO [TRYCREATE]
   the folder, there or made when the session began, is gone (another
   client deleted it), and is made again. 1 when so, for the command to
   be tried once more; 0 when not; -1 when the connection broke. */
static int
folder_again(struct imap *im, int r)
{
	if (r == MAILIMAP_NO_ERROR || imap_broken(r) ||
	    im->s->imap_response_info == NULL ||
	    !im->s->imap_response_info->rsp_trycreate)
		return 0;
	log_warnx("%s:%u: %s is gone (deleted by another client?): making "
		  "it again", im->host, im->port,
		  cfg_str(im->cfg, CFG_IMAP_PROCESSED_FOLDER));
	r = mailimap_create(im->s, im->folder);
	if (imap_broken(r))
		return fail(im, "CREATE", r);
	return 1;
}

/* Without MOVE a message is moved in steps, and a session can end
   between any two (a crash, a lost connection, a step the server
   refuses). Each step leaves a mark, for the next session to see how
   far it got (finish_moves) and never to copy a message twice, which
   made a second copy in the folder:
     IMAP_KEYWORD	the COPY was sent: the message may be in the folder
     \Deleted too	it is in the folder: only the EXPUNGE is left
   The copy carries the keyword too, which does no harm there. Where
   the mailbox cannot keep the keyword (imap_select warns) the first
   mark is missing, and the old risk of a second copy remains. */
static int
copy_move(struct imap *im, struct mailimap_set *set)
{
	int r, again;

	log_debug("%s:%u: no MOVE: COPY, then \\Deleted and %s%s", im->host,
		  im->port, mailimap_has_uidplus(im->s) ? "UID EXPUNGE" :
		  "EXPUNGE", im->keyword_ok ? ", marked " IMAP_KEYWORD
		  " before the COPY" : "");
	if (im->keyword_ok) {
		r = store_flags(im, set, MARK_KEYWORD, 1);
		if (imap_broken(r))
			return fail(im, "UID STORE", r);
		/* A refusal must not keep mail from its folder: moved without
		   the mark, as before there was one. */
		if (r != MAILIMAP_NO_ERROR)
			warn_hint(im, "UID STORE", r, "moving the mail without "
				  "the mark that keeps it from being copied "
				  "twice");
	}
	r = mailimap_uid_copy(im->s, set, im->folder);
	if ((again = folder_again(im, r)) < 0)
		return -1;
	if (again)
		r = mailimap_uid_copy(im->s, set, im->folder);
	if (r != MAILIMAP_NO_ERROR) {
		/* Never delete what was not copied; and take the mark back,
		   so that the next session copies it (once the folder is
		   put right) rather than taking it for copied. */
		if (im->keyword_ok && !imap_broken(r))
			(void)store_flags(im, set, MARK_KEYWORD, 0);
		return mark_result_hint(im, "UID COPY", r, FOLDER_HINT);
	}
	return expunge(im, set);
}

static int
move(struct imap *im, struct mailimap_set *set)
{
	const char *folder = im->folder;
	int r, again;

	if (!im->folder_ready) {
		/* NO [ALREADYEXISTS] is the usual answer, and fine. */
		r = mailimap_create(im->s, folder);
		if (imap_broken(r))
			return fail(im, "CREATE", r);
		im->folder_ready = 1;
	}
	if (!mailimap_has_extension(im->s, "MOVE"))
		return copy_move(im, set);
	r = mailimap_uid_move(im->s, set, folder);
	if ((again = folder_again(im, r)) < 0)
		return -1;
	if (again)
		r = mailimap_uid_move(im->s, set, folder);
	return mark_result_hint(im, "UID MOVE", r, FOLDER_HINT);
}

/* Marks the queued messages DONE as imap_processed says, and KEPT (the
   oversize ones when that says delete) with flags only. A crash before
   this leaves them on the server, the position past them: the next
   session marks them (mark_leftovers). */
static int
mark_processed(struct imap *im, struct mailimap_set *done,
	       struct mailimap_set *kept)
{
	int r = 0;

	if (!clist_isempty(kept->set_list))
		r = add_flags(im, kept, 0);
	if (r < 0 || clist_isempty(done->set_list))
		return r;
	switch (im->done) {
	case DONE_MOVE:
		return move(im, done);
	case DONE_FLAG:
		return add_flags(im, done, 0);
	case DONE_DELETE:
		return expunge(im, done);
	}
	return 0;
}

/* The UIDs up to the position that match KEY (a multiple key, which
   it frees) as well. 0, or -1. */
static int
search_taken(struct imap *im, struct mailimap_search_key *key, clist **res_r)
{
	int r;

	mailimap_search_key_multiple_add(key, mailimap_search_key_new_uid(
		mailimap_set_new_interval(1, im->last)));
	r = mailimap_uid_search(im->s, NULL, key, res_r);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		*res_r = NULL;
		return fail(im, "UID SEARCH", r);
	}
	return 0;
}

/* The UIDs up to the position that carry no $cirm. 0, or -1. */
static int
search_unmarked(struct imap *im, clist **res_r)
{
	struct mailimap_search_key *key = mailimap_search_key_new_multiple_empty();

	mailimap_search_key_multiple_add(key,
		mailimap_search_key_new_unkeyword(xstrdup(IMAP_KEYWORD)));
	return search_taken(im, key, res_r);
}

/* The UIDs up to the position that carry $cirm and (DELETED 1) or not
   (0) \Deleted: see copy_move. 0, or -1. */
static int
search_copied(struct imap *im, int deleted, clist **res_r)
{
	struct mailimap_search_key *key = mailimap_search_key_new_multiple_empty();
	/* libetpan has no constructor of its own for these two */
	struct mailimap_search_key *flag = mailimap_search_key_new(
		deleted ? MAILIMAP_SEARCH_KEY_DELETED :
			  MAILIMAP_SEARCH_KEY_UNDELETED, NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL,
		NULL);

	mailimap_search_key_multiple_add(key,
		mailimap_search_key_new_keyword(xstrdup(IMAP_KEYWORD)));
	mailimap_search_key_multiple_add(key, flag);
	return search_taken(im, key, res_r);
}

enum mark_how { MARK_DONE, MARK_KEPT, MARK_EXPUNGE };

/* Marks the UIDs of RES (which it frees), IMAP_BATCH at a time, as
   queued ones (MARK_DONE) or oversize ones kept (MARK_KEPT), or
   expunges them (MARK_EXPUNGE). */
static int
mark_list(struct imap *im, clist *res, enum mark_how how)
{
	clistiter *c = clist_begin(res);
	int r = 0;

	while (r == 0 && c != NULL) {
		struct mailimap_set *set = mailimap_set_new_empty();
		struct mailimap_set *none = mailimap_set_new_empty();

		for (int i = 0; c != NULL && i < IMAP_BATCH; i++, c = clist_next(c)) {
			uidset_add(set, *(uint32_t *)clist_content(c));
		}
		r = how == MARK_EXPUNGE ? expunge(im, set) :
		    how == MARK_KEPT ? mark_processed(im, none, set) :
				       mark_processed(im, set, none);
		mailimap_set_free(set);
		mailimap_set_free(none);
	}
	mailimap_search_result_free(res);
	return r;
}

/* Moves the UIDs of KEPT (see kept_load; which it frees) that are up to
   the position from RES, the messages to be deleted, to BIG, those to
   be kept. Above the position they were not queued: not marked. */
static void
kept_merge(struct imap *im, clist *res, clist *big, clist *kept)
{
	struct uidlook moved = { 0 }, in_big = { 0 };

	uidlook_add_list(&in_big, big);
	for (clistiter *k = clist_begin(kept); k != NULL; k = clist_next(k)) {
		uint32_t uid = *(uint32_t *)clist_content(k);

		if (uid > im->last)
			continue;
		uidlook_add(&moved, uid);
		/* a search gives each UID once: none of KEPT needs looking
		   up among those added from it (which would sort IN_BIG
		   again for each) */
		if (!uidlook_has(&in_big, uid)) {
			uint32_t *u = xmalloc(sizeof(*u));

			*u = uid;
			if (clist_append(big, u) < 0)
				fatalx("out of memory");
		}
	}
	uidlook_remove_from(&moved, res);
	uidlook_free(&moved);
	uidlook_free(&in_big);
	mailimap_search_result_free(kept);
}

/* Takes the messages of RES (unmarked ones up to the position, mail
   given up left out) over mail_max_size off it into *BIG_R (a list,
   empty when none). They are searched by size among RES's UIDs alone:
   a message the server cannot read, which is what is given up, fails
   a search by size as a whole (Dovecot: "Internal error"), and every
   session after would fail with it. 0, or -1. */
static int
split_big(struct imap *im, clist *res, clist **big_r)
{
	struct mailimap_set *set;
	struct mailimap_search_key *key;
	struct uidlook big = { 0 };
	int r;

	if (clist_isempty(res)) {
		if ((*big_r = clist_new()) == NULL)
			fatalx("out of memory");
		return 0;
	}
	set = mailimap_set_new_empty();
	/* ranges: all of the mailbox up to the position, unmarked, may be
	   here */
	for (clistiter *c = clist_begin(res); c != NULL; c = clist_next(c))
		uidset_add(set, *(uint32_t *)clist_content(c));
	key = mailimap_search_key_new_multiple_empty();
	mailimap_search_key_multiple_add(key,
		mailimap_search_key_new_unkeyword(xstrdup(IMAP_KEYWORD)));
	mailimap_search_key_multiple_add(key,
		mailimap_search_key_new_larger(im->max_size));
	mailimap_search_key_multiple_add(key,
		mailimap_search_key_new_uid(set));
	r = mailimap_uid_search(im->s, NULL, key, big_r);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		*big_r = NULL;
		return fail(im, "UID SEARCH", r);
	}
	uidlook_add_list(&big, *big_r);
	uidlook_remove_from(&big, res);
	uidlook_free(&big);
	return 0;
}

/* Messages up to the position are queued; those of them still in the
   mailbox unmarked were left so when a session ended between queueing
   and marking (a crash, a lost connection, a stop in the middle of a
   batch). Nothing else would ever mark them: done here, as fetch_batch
   would have. 0, or -1. */
static int
mark_leftovers(struct imap *im)
{
	clist *res = NULL, *big = NULL, *kept = NULL;
	size_t n;
	int r, noted = 0;

	if (im->last == 0)
		return 0;
	/* mail given up waits to be fetched again, unmarked: taken off
	   before the search by size, which it may fail as a whole */
	if (search_unmarked(im, &res) < 0)
		return -1;
	if (refetch_spare(im, res) < 0) {
		mailimap_search_result_free(res);
		return -1;
	}
	if (im->done == DONE_DELETE &&
	    (split_big(im, res, &big) < 0 || kept_load(im, &kept) < 0)) {
		mailimap_search_result_free(res);
		if (big != NULL)
			mailimap_search_result_free(big);
		if (kept != NULL)
			mailimap_search_result_free(kept);
		return -1;
	}
	if (kept != NULL) {
		noted = !clist_isempty(kept);
		kept_merge(im, res, big, kept);
	}
	/* a kept one given up since (see above) */
	if (refetch_spare(im, big) < 0) {
		mailimap_search_result_free(res);
		if (big != NULL)
			mailimap_search_result_free(big);
		return -1;
	}
	n = clist_count(res) + (big != NULL ? clist_count(big) : 0);
	if (n > 0)
		log_info("%s: %zu message%s queued before but not yet marked "
			 "processed: marking %s now", im->mailbox, n,
			 n == 1 ? "" : "s", n == 1 ? "it" : "them");
	if (mark_list(im, res, MARK_DONE) < 0) {
		if (big != NULL)
			mailimap_search_result_free(big);
		return -1;
	}
	if (big == NULL)
		return 0;
	r = mark_list(im, big, MARK_KEPT);
	return r < 0 || !noted ? r : kept_note(im, 0, 0);
}

/* Moves without MOVE that a session left half done (see copy_move).
   Those marked \Deleted are in the folder: only expunged. Those marked
   $cirm alone may be there or not, and stay in the mailbox, said in
   the log: copying them again could make two, expunging them could
   lose the one copy. 0, or -1. */
static int
finish_moves(struct imap *im)
{
	clist *res = NULL;
	size_t n;

	if (im->last == 0 || !im->keyword_ok ||
	    mailimap_has_extension(im->s, "MOVE"))
		return 0;
	if (search_copied(im, 1, &res) < 0)
		return -1;
	if ((n = clist_count(res)) > 0)
		log_info("%s: %zu message%s copied to %s before but not yet "
			 "expunged: expunging %s now", im->mailbox, n,
			 n == 1 ? "" : "s", cfg_str(im->cfg,
						    CFG_IMAP_PROCESSED_FOLDER),
			 n == 1 ? "it" : "them");
	if (mark_list(im, res, MARK_EXPUNGE) < 0 ||
	    search_copied(im, 0, &res) < 0)
		return -1;
	if ((n = clist_count(res)) > 0)
		log_warnx("%s: %zu message%s marked " IMAP_KEYWORD " stay%s in "
			  "the mailbox: cirm took %s, but a session ended while "
			  "%s copied to %s (or imap_processed was flag); not "
			  "copied again, which could make two: see whether the "
			  "folder has %s, and move or delete %s by hand",
			  im->mailbox, n, n == 1 ? "" : "s", n == 1 ? "s" : "",
			  n == 1 ? "it" : "them",
			  n == 1 ? "it was being" : "they were being",
			  cfg_str(im->cfg, CFG_IMAP_PROCESSED_FOLDER),
			  n == 1 ? "it" : "them", n == 1 ? "it" : "them");
	mailimap_search_result_free(res);
	return 0;
}

/* Message UID broke IMAP_BAD_TRIES sessions in a row at its FETCH (the
   server cannot read it, or fails on it, or the connection broke each
   time): it would hold back all later mail for ever. A note stands for
   it in the inbox, for the engine to quarantine with the reason; the
   message itself stays on the server, unmarked, on the list of those to
   fetch again later (see struct refetch), which it goes on in the
   transaction that queues the note. 2 when queued, -1. */
static int
give_up(struct imap *im, uint32_t uid)
{
	struct refetch *l;
	size_t n, i;
	int64_t now = cirm_now();
	long wait = refetch_delay(im, 0);
	char *raw, *list;
	int r;

	if (refetch_load(im, &l, &n) < 0)
		return -1;
	for (i = 0; i < n && l[i].uid != uid; i++)
		;
	if (i == n && n >= IMAP_REFETCH_LIST) {
		log_errorx("UID %" PRIu32 ": %d messages given up wait to be "
			   "fetched again already, and the mail behind this "
			   "one waits too: see the server's log, then release "
			   "or discard their notes (cirmctl quarantine list)",
			   uid, IMAP_REFETCH_LIST);
		free(l);
		return -1;
	}
	l = xrealloc(l, (n + 1) * sizeof(*l));
	l[i] = (struct refetch){ .uid = uid, .next = now + wait, .at = now,
				 .since = now };
	list = refetch_format(im, l, i == n ? n + 1 : n, 0);
	free(l);
	raw = xasprintf("X-Cirm-Unfetchable: " MAILIN_UNFETCHABLE_FAILED "%d"
			MAILIN_UNFETCHABLE_UID "%" PRIu32
			MAILIN_UNFETCHABLE_UIDVALIDITY "%" PRIu32 "\r\n\r\n",
			im->bad_tries, uid, im->uidvalidity);
	/* the note, the position and the list in one transaction */
	r = deliver_noted(im, uid, raw, strlen(raw), 0, list);
	free(raw);
	free(list);
	if (r < 0)
		return -1;
	log_errorx("UID %" PRIu32 ": the server failed %d times to deliver "
		   "it (see its log); queued a note for the quarantine, the "
		   "message stays on the server, unmarked, and is fetched "
		   "again in %ld s", uid, im->bad_tries, wait);
	im->bad_tries = 0;
	im->bad_uid = 0;
	im->given_up = uid;
	return 2;
}

/* Fetches message L[I] of the list of N again, which is due, after
   noting the try (a crash in the FETCH must not bring it back at once).
   1 when it was queued, or is gone; -1. */
static int
refetch_one(struct imap *im, struct refetch *l, size_t n, size_t i,
	    int released)
{
	struct mailimap_set *done = mailimap_set_new_empty();
	struct mailimap_set *kept = mailimap_set_new_empty();
	uint32_t uid = l[i].uid;
	struct item meta;
	int64_t now = cirm_now();
	int r;

	l[i].tries++;
	l[i].at = now;
	im->refetch_wait = refetch_delay(im, l[i].tries);
	l[i].next = now + im->refetch_wait;
	if (refetch_save(im, l, n) < 0) {
		r = -1;
		goto out;
	}
	log_info("UID %" PRIu32 ": fetching again the message given up %lld "
		 "s ago (try %d%s)", uid, (long long)(now - l[i].since),
		 l[i].tries, released ? ", its note released" : "");
	im->refetching = uid;
	r = fetch_meta(im, &uid, 1, &meta);
	if (r == 0 && meta.uid != 0)
		r = deliver_message(im, &meta);
	else if (r == 0)
		meta.uid = 0;
	if (r == 0 || (r >= 0 && meta.uid == 0)) {
		/* expunged by someone else: nothing is left to fetch */
		log_warnx("UID %" PRIu32 ": the message given up is gone from "
			  "the mailbox (deleted by another client?); its note "
			  "stays in the quarantine", uid);
		r = refetch_save_without(im, uid);
		goto out;
	}
	if (r < 0)
		goto out;
	log_info("UID %" PRIu32 ": the message given up came in after all",
		 uid);
	mailimap_set_add_single(r == 2 && im->done == DONE_DELETE ? kept :
				done, uid);
	if (mark_processed(im, done, kept) < 0)
		r = -1;
	else if (!clist_isempty(kept->set_list) && kept_note(im, 0, 0) < 0)
		r = -1;
out:
	im->refetching = r < 0 ? im->refetching : 0;
	mailimap_set_free(done);
	mailimap_set_free(kept);
	return r < 0 ? -1 : 1;
}

/* What becomes of a message on the list of those given up (see
   refetch_action). */
enum refetch_act {
	REFETCH_WAIT,		/* not due yet */
	REFETCH_DUE,		/* its time has come */
	REFETCH_RELEASED,	/* its note was released since its last try */
	REFETCH_DROP,		/* its note was discarded */
};

/* What the quarantine says of the note of each message of the list (see
   refetch_notes). */
struct refetch_note {
	bool discarded;		/* a note with its key was discarded */
	bool released;		/* one was released, */
	int64_t released_at;	/* the last at */
};

/* A UID of the list and its place there, for bsearch. */
struct refetch_at {
	uint32_t uid;
	size_t i;
};

static int
refetch_at_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct refetch_at *)a)->uid;
	uint32_t y = ((const struct refetch_at *)b)->uid;

	return (x > y) - (x < y);
}

struct refetch_notes_ctx {
	const struct refetch_at *at;
	size_t n;
	size_t prefix;		/* strlen of the keys' common start */
	struct refetch_note *notes;
};

/* One key of the quarantine under the current UIDVALIDITY: to the
   notes of the messages of the list with its UID (one, unless the list
   was written twice over). */
static int
refetch_note_key(const struct store_quarantine_key *k, void *ctx)
{
	struct refetch_notes_ctx *c = ctx;
	const char *p = k->dedupe_key + c->prefix;
	struct refetch_at key = { 0 };
	const struct refetch_at *hit;
	char num[16];
	unsigned long u;
	size_t lo, hi;

	/* the key of a UID in decimal, as it was asked for one at a time
	   before: "V:007" or "V:7:x" is no note of UID 7 */
	if (*p < '1' || *p > '9' || (u = strtoul(p, NULL, 10)) > UINT32_MAX)
		return 0;
	snprintf(num, sizeof(num), "%lu", u);
	if (strcmp(num, p) != 0)
		return 0;
	key.uid = (uint32_t)u;
	hit = bsearch(&key, c->at, c->n, sizeof(*c->at), refetch_at_cmp);
	if (hit == NULL)
		return 0;
	for (lo = (size_t)(hit - c->at); lo > 0 && c->at[lo - 1].uid == u; lo--)
		;
	for (hi = lo; hi < c->n && c->at[hi].uid == u; hi++)
		c->notes[c->at[hi].i] = (struct refetch_note){
			k->discarded, k->released, k->released_at };
	return 0;
}

/* What the quarantine says of the notes of the N messages of list L
   into *NOTES_R (free it), asked in one query for the whole list: it
   is asked every IMAP_WAKE_CHECK while the gateway waits, and the list
   may hold IMAP_REFETCH_LIST. 0, or -1 after logging. */
static int
refetch_notes(struct imap *im, const struct refetch *l, size_t n,
	      struct refetch_note **notes_r)
{
	struct refetch_notes_ctx c = { .n = n };
	struct refetch_at *at;
	char prefix[64], *err = NULL;
	int r;

	*notes_r = xcalloc(n + 1, sizeof(**notes_r));
	if (n == 0)
		return 0;
	at = xcalloc(n, sizeof(*at));
	for (size_t i = 0; i < n; i++)
		at[i] = (struct refetch_at){ l[i].uid, i };
	qsort(at, n, sizeof(*at), refetch_at_cmp);
	snprintf(prefix, sizeof(prefix), MAILIN_UNFETCHABLE_KEY "%" PRIu32 ":",
		 im->uidvalidity);
	c.at = at;
	c.prefix = strlen(prefix);
	c.notes = *notes_r;
	r = store_quarantine_keys(im->ctx->store, prefix, refetch_note_key, &c,
				  &err);
	free(at);
	if (r < 0) {
		log_errorx("database: %s", err);
		free(err);
		free(*notes_r);
		*notes_r = NULL;
		return -1;
	}
	return 0;
}

/* What to do now with message E of the list, whose note is NOTE (see
   refetch_notes): drop it when its note was discarded (an
   administrator, or quarantine_retention, wants no more of it), fetch
   it when the note was released since its last try or its time has
   come (for imap_refetch_days after the give-up, and not when it is
   SKIP, given up in this look for mail: a short imap_refetch_after
   could have it due already), else wait. A enum refetch_act. */
static enum refetch_act
refetch_action(struct imap *im, const struct refetch *e,
	       const struct refetch_note *note, int64_t now, uint32_t skip)
{
	int64_t days = cfg_int(im->cfg, CFG_IMAP_REFETCH_DAYS) * 86400;

	if (note->discarded)
		return REFETCH_DROP;
	if (note->released && note->released_at >= e->at)
		return REFETCH_RELEASED;
	return e->next <= now && now - e->since < days && e->uid != skip ?
		REFETCH_DUE : REFETCH_WAIT;
}

/* Message UID given up, whose note was discarded: it is not fetched
   again, and it must not sit in the mailbox as new mail for ever. It
   is marked as imap_processed says, as mail over mail_max_size is
   (moved or flagged; with delete kept, marked $cirm: cirm never had
   its text), then taken off the list; marked again should the session
   end between the two. 1, or -1. */
static int
refetch_drop(struct imap *im, uint32_t uid)
{
	struct mailimap_set *done = mailimap_set_new_empty();
	struct mailimap_set *kept = mailimap_set_new_empty();
	int r;

	mailimap_set_add_single(im->done == DONE_DELETE ? kept : done, uid);
	r = mark_processed(im, done, kept);
	mailimap_set_free(done);
	mailimap_set_free(kept);
	if (r < 0 || refetch_save_without(im, uid) < 0)
		return -1;
	log_info("UID %" PRIu32 ": the note of the message given up was "
		 "discarded: it is not fetched again, and was %s", uid,
		 im->done == DONE_MOVE ? "moved to imap_processed_folder" :
		 im->done == DONE_FLAG ? "flagged processed" :
		 "kept in the mailbox, marked " IMAP_KEYWORD);
	return 1;
}

/* Fetches again, or drops, the first message given up that is due
   (see refetch_action). 1 when one was, 0 when none is due, -1. */
static int
refetch_next(struct imap *im)
{
	struct refetch *l;
	struct refetch_note *notes;
	size_t n;
	int64_t now = cirm_now();
	int r = 0;

	if (refetch_load(im, &l, &n) < 0)
		return -1;
	if (refetch_notes(im, l, n, &notes) < 0) {
		free(l);
		return -1;
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		enum refetch_act act = refetch_action(im, &l[i], &notes[i],
						      now, im->given_up);

		if (act == REFETCH_DROP)
			r = refetch_drop(im, l[i].uid);
		else if (act != REFETCH_WAIT)
			r = refetch_one(im, l, n, i, act == REFETCH_RELEASED);
	}
	free(notes);
	free(l);
	return r;
}

/* Whether a message given up is due (see refetch_action), asked while
   the gateway waits for mail, which ends then: a release, a discard or
   a time come is seen within IMAP_WAKE_CHECK, not after an IDLE of up
   to imap_poll_interval or IMAP_KEEPALIVE. Asked of the database, not
   of the server. 1 or 0; 0 after a database error (logged), which the
   next look for mail meets. */
static int
refetch_wanted(struct imap *im)
{
	struct refetch *l;
	struct refetch_note *notes;
	size_t n;
	int64_t now = cirm_now();
	enum refetch_act act = REFETCH_WAIT;

	if (refetch_load(im, &l, &n) < 0)
		return 0;
	if (refetch_notes(im, l, n, &notes) < 0) {
		free(l);
		return 0;
	}
	for (size_t i = 0; act == REFETCH_WAIT && i < n; i++)
		act = refetch_action(im, &l[i], &notes[i], now, 0);
	free(notes);
	free(l);
	return act != REFETCH_WAIT;
}

/* The messages given up that are due, one after another, after the new
   mail: a try that breaks the session costs that session alone, and the
   next one is not due before its wait. 0, or -1. */
static int
refetch_due(struct imap *im)
{
	int r;

	while (!gateway_stopping() && (r = refetch_next(im)) > 0)
		;
	return gateway_stopping() ? 0 : r;
}

/* Fetches and queues up to IMAP_BATCH messages, one at a time, then
   marks those queued. Adds to *queued. 0, or -1. */
static int
fetch_batch(struct imap *im, const uint32_t *uids, size_t n, size_t *queued)
{
	struct item meta[IMAP_BATCH];
	struct mailimap_set *done = mailimap_set_new_empty();
	struct mailimap_set *kept = mailimap_set_new_empty();
	int r;

	if (n == 1 && im->bad_tries >= IMAP_BAD_TRIES && uids[0] == im->bad_uid) {
		/* the note is queued; the message stays unmarked */
		r = give_up(im, uids[0]);
		if (r > 0)
			(*queued)++;
		n = 0;
	} else
		r = fetch_meta(im, uids, n, meta);

	for (size_t i = 0; r >= 0 && i < n && !gateway_stopping(); i++) {
		if (meta[i].uid == 0)
			continue; /* expunged meanwhile */
		r = deliver_message(im, &meta[i]);
		if (r == 0)
			log_debug("UID %" PRIu32 ": gone before it was fetched",
				  meta[i].uid);
		if (r <= 0)
			continue;
		uidset_add(r == 2 && im->done == DONE_DELETE ? kept : done,
			   meta[i].uid);
		(*queued)++;
	}
	/* What was queued is marked even when a later message failed. */
	if (mark_processed(im, done, kept) < 0)
		r = -1;
	else if (!clist_isempty(kept->set_list) && kept_note(im, 0, 0) < 0)
		r = -1;
	mailimap_set_free(done);
	mailimap_set_free(kept);
	return r < 0 ? -1 : 0;
}

static int
fetch_new(struct imap *im)
{
	uint32_t *uids;
	size_t n, queued = 0;
	int r = 0;

	im->given_up = 0;
	if (search_new(im, &uids, &n) < 0)
		return -1;
	for (size_t i = 0, b; r == 0 && i < n && !gateway_stopping(); i += b) {
		b = im->bad_tries > 0 ? 1 : IMAP_BATCH;
		r = fetch_batch(im, uids + i, n - i < b ? n - i : b, &queued);
	}
	if (r == 0)
		im->bad_tries = 0; /* what broke sessions went through */
	free(uids);
	if (queued > 0)
		log_info("%s: %zu new message%s queued", im->mailbox, queued,
			 queued == 1 ? "" : "s");
	return r;
}

/* --- waiting -------------------------------------------------------- */

/* 1 when the server sent something within SECONDS, 0 when not or when
   stopping, -1 (errno set) when poll failed. */
static int
wait_readable(struct imap *im, long seconds)
{
	struct pollfd pfd = { .fd = mailimap_idle_get_fd(im->s), .events = POLLIN };

	if (im->s->imap_stream->read_buffer_len > 0)
		return 1;
	for (long i = 0; i < seconds * 2 && !gateway_stopping(); i++) {
		int r;

		if (i > 0 && i % (IMAP_WAKE_CHECK * 2) == 0 &&
		    refetch_wanted(im))
			return 0;
		r = poll(&pfd, 1, 500);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

static int
idle_wait(struct imap *im, long seconds)
{
	int r = mailimap_idle(im->s), ready, saved;

	if (r != MAILIMAP_NO_ERROR)
		return fail(im, "IDLE", r);
	ready = wait_readable(im, seconds);
	saved = errno;
	r = mailimap_idle_done(im->s);
	if (ready < 0) {
		log_errorx("%s:%u: poll: %s", im->host, im->port, strerror(saved));
		return -1;
	}
	if (r != MAILIMAP_NO_ERROR)
		return gateway_stopping() ? 0 : fail(im, "IDLE", r);
	return 0;
}

/* Without IDLE: sleeps SECONDS, with a NOOP every IMAP_KEEPALIVE, less
   when a message given up is due (see refetch_wanted) or cirmd woke the
   gateway. */
static int
poll_wait(struct imap *im, long seconds)
{
	long quiet = 0;

	while (seconds > 0 && !gateway_stopping()) {
		long n = seconds < IMAP_WAKE_CHECK ? seconds : IMAP_WAKE_CHECK;
		int r, woken = gateway_sleep((int)n);

		seconds -= n;
		quiet += n;
		if (woken || seconds <= 0 || gateway_stopping() ||
		    refetch_wanted(im))
			return 0;
		if (quiet >= IMAP_KEEPALIVE) {
			quiet = 0;
			if ((r = mailimap_noop(im->s)) != MAILIMAP_NO_ERROR)
				return fail(im, "NOOP", r);
		}
	}
	return 0;
}

static int
serve(struct imap *im)
{
	long interval = cfg_int(im->cfg, CFG_IMAP_POLL_INTERVAL);
	int idle = cfg_bool(im->cfg, CFG_IMAP_IDLE) && mailimap_has_idle(im->s);
	int r;

	if (!im->ctx->once)
		log_info("%s: waiting for mail %s", im->mailbox,
			 idle ? "with IDLE" : "by polling");
	if (idle && interval > IMAP_KEEPALIVE)
		interval = IMAP_KEEPALIVE;
	for (;;) {
		if (fetch_new(im) < 0 || refetch_due(im) < 0)
			return -1;
		if (im->ctx->once || gateway_stopping())
			return 0;
		im->progress = 1;
		/* it takes mail again */
		gateway_problem_clear(im->ctx);
		r = idle ? idle_wait(im, interval) : poll_wait(im, interval);
		if (r < 0)
			return -1;
		if (gateway_stopping())
			return 0;
	}
}

/* --- the gateway ---------------------------------------------------- */

/* One connection, from connect to logout. 0 when it ended because we
   are done or stopping, -1 after logging why it broke. */
static int
session(struct imap *im)
{
	int r;

	im->s = mailimap_new(0, NULL);
	if (im->s == NULL)
		fatalx("out of memory");
	mailimap_set_timeout(im->s, IMAP_TIMEOUT);
	im->preauth = im->folder_ready = im->progress = 0;
	im->fetch_failed = 0;
	im->refetching = 0;
	im->why[0] = '\0';
	r = imap_connect(im);
	if (r == 0) {
		eof_is_error(im->s);
		r = imap_login(im);
	}
	if (r == 0)
		r = imap_select(im);
	if (r == 0 && im->done == DONE_MOVE)
		r = finish_moves(im);
	if (r == 0)
		r = mark_leftovers(im);
	if (r == 0)
		r = serve(im);
	if (r == 0)
		(void)mailimap_logout(im->s);
	mailimap_free(im->s);
	im->s = NULL;
	return r;
}

/* A --once run counts the sessions that broke on one message (see
   give_up) on from the runs before it, which left the count in the
   database as "BAD_UID:BAD_TRIES"; SAVE 1 leaves it there for the next. */
static void
bad_keep(struct imap *im, int save)
{
	char *value = NULL, *err = NULL, buf[24];
	unsigned long u = 0;
	int tries = 0;

	if (save) {
		snprintf(buf, sizeof(buf), "%" PRIu32 ":%d", im->bad_uid,
			 im->bad_tries);
		if (store_gateway_state_set(im->ctx->store, im->ctx->name, "bad",
					    buf, &err) < 0)
			log_errorx("database: %s", err);
	} else if (store_gateway_state_get(im->ctx->store, im->ctx->name,
					   "bad", &value, &err) < 0)
		log_errorx("database: %s", err);
	else if (value != NULL && sscanf(value, "%lu:%d", &u, &tries) == 2 &&
		 u <= UINT32_MAX && tries > 0 && tries <= IMAP_BAD_TRIES) {
		im->bad_uid = (uint32_t)u;
		im->bad_tries = tries;
	}
	free(value);
	free(err);
}

static int
imap_init(struct imap *im, struct gateway_ctx *ctx)
{
	const struct cfg *cfg = ctx->cfg;
	const char *tls = cfg_str(cfg, CFG_IMAP_TLS);
	const char *done = cfg_str(cfg, CFG_IMAP_PROCESSED);
	char err[TLS_ERROR_MAX];

	memset(im, 0, sizeof(*im));
	im->ctx = ctx;
	im->cfg = cfg;
	im->host = cfg_str(cfg, CFG_IMAP_HOST);
	im->port = (unsigned int)cfg_int(cfg, CFG_IMAP_PORT);
	im->mailbox = cfg_str(cfg, CFG_IMAP_MAILBOX);
	im->tls = strcmp(tls, "none") == 0 ? TLS_NONE :
		  strcmp(tls, "starttls") == 0 ? TLS_STARTTLS : TLS_IMPLICIT;
	im->done = strcmp(done, "flag") == 0 ? DONE_FLAG :
		   strcmp(done, "delete") == 0 ? DONE_DELETE : DONE_MOVE;
	im->max_size = (uint32_t)cfg_int(cfg, CFG_MAIL_MAX_SIZE);
	im->max_header = (uint32_t)cfg_int(cfg, CFG_MAIL_MAX_HEADER_BYTES);
	im->box = mailbox_name(im->mailbox);
	im->refetch_key = xasprintf("refetch %s", im->mailbox);
	im->folder = mailbox_name(cfg_str(cfg, CFG_IMAP_PROCESSED_FOLDER));
	if (im->tls == TLS_NONE) {
		/* Passwords and citizens' mail never cross a network in clear:
		   without TLS only a server on this machine is allowed. */
		if (!host_is_loopback(im->host)) {
			log_errorx("%s: imap_tls = none is allowed for a server on "
				   "loopback only", im->host);
			return -1;
		}
		return 0;
	}
	im->tls_client = tls_client_new("imap_ca_file",
					cfg_str(cfg, CFG_IMAP_CA_FILE), err,
					sizeof(err));
	if (im->tls_client == NULL) {
		log_errorx("%s", err);
		return -1;
	}
	return 0;
}

static int
run(struct gateway_ctx *ctx)
{
	struct imap im;
	int delay = 1, r = 0;

	if (imap_init(&im, ctx) < 0) {
		free(im.box);
		free(im.folder);
		free(im.refetch_key);
		return -1;
	}
	if (ctx->once)
		bad_keep(&im, 0);
	while (!gateway_stopping()) {
		r = session(&im);
		if (r != 0 && im.fetch_failed && im.refetching != 0 &&
		    im.failed_uid == im.refetching) {
			/* counted in the list already */
			log_warnx("UID %" PRIu32 ": fetching the message "
				  "given up again failed; the next try is in "
				  "%ld s, or when its note is released",
				  im.refetching, im.refetch_wait);
		} else if (r != 0 && im.fetch_failed && !gateway_stopping()) {
			if (im.failed_uid != 0 && im.failed_uid == im.bad_uid)
				im.bad_tries++;
			else {
				im.bad_uid = im.failed_uid;
				im.bad_tries = 1;
			}
		}
		if (r == 0 || ctx->once || gateway_stopping())
			break;
		/* A session that broke before it took mail or got to wait
		   for it: the gateway runs and takes nothing, a server that
		   cannot be reached or a login refused, perhaps for hours */
		if (!im.progress)
			gateway_problem(ctx, "%s:%u: %s", im.host, im.port,
					im.why[0] != '\0' ? im.why :
					"the session broke before mail could "
					"be taken (see the log)");
		/* A session that got somewhere starts the back-off over; one
		   that fails each time at the same step (a message the server
		   cannot deliver, a database that refuses the rows) must not
		   log in again every second. */
		if (im.progress)
			delay = 1;
		log_info("%s:%u: reconnecting in %d s", im.host, im.port, delay);
		gateway_sleep(delay);
		delay = delay >= IMAP_BACKOFF_MAX / 2 ? IMAP_BACKOFF_MAX : delay * 2;
	}
	if (ctx->once)
		bad_keep(&im, 1);
	tls_client_free(&im.tls_client);
	free(im.box);
	free(im.folder);
	free(im.refetch_key);
	return ctx->once ? r : 0;
}

static int
enabled(const struct cfg *cfg)
{
	const char *host = cfg_str(cfg, CFG_IMAP_HOST);

	return *host != '\0' && strcmp(host, "none") != 0;
}

const struct cirm_gateway gateway_imap = {
	.name = "imap",
	.channel = "email",
	.enabled = enabled,
	.run = run,
};
