/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SMPP gateway: one bind_transceiver session (SMPP 3.4) with an
   SMSC, sending the outbox's SMS and taking inbound SMS and delivery
   receipts. libsmpp34 packs and unpacks the PDUs; the framing, the
   window, the timers and what each answer means for the outbox are
   here.

   Outbound. A row is claimed ('sending', committed) before its first
   submit_sm, and marked 'sent' with the SMSC's message_id only once
   the SMSC accepted every part. Up to smpp_window submit_sm wait for
   their answer at once. This is at least once, never lost: a submit_sm
   the SMSC accepted but whose answer never reached us (the connection
   broke, the process was killed) is sent again after the reconnect, so
   up to smpp_window messages may reach a citizen twice; no row is ever
   marked sent before the SMSC took all of it.

   Receipts. The SMSC gives each part of a long text its own
   message_id. The row keeps the first part's (outbox.remote_id), and
   that part's receipt is the one recorded; receipts of later parts find
   no row and are acknowledged and dropped, so a later part failing on
   its own goes unseen. A receipt that comes before the last part was
   accepted is held in memory and recorded right after the row is
   marked sent. Some SMSCs write the id in the receipt in another base
   than in the answer to submit_sm (hex there, decimal here): with
   smpp_receipt_ids naming the two, both are read as numbers and
   kept in decimal (see id_normal).

   Inbound. deliver_sm is answered only after sms_deliver committed
   what it carried; when the store fails, with ESME_RX_T_APPN, so that
   the SMSC delivers it again later. One that cannot be read (binary
   data, a malformed header, no sender) goes to the quarantine with the
   reason, the PDU as it came: refused, the SMSC would drop it. */
#include "config.h"

#include "gateway.h"
#include "gsm.h"
#include "log.h"
#include "secret.h"
#include "sms.h"
#include "tls.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	SMPP_HEADER = 16,
	/* The largest PDU sent: libsmpp34 takes TLVs of up to 1024
	   octets, and no PDU we send is larger with them. */
	SMPP_PDU_MAX = 4096,
	/* The largest PDU read: a deliver_sm whose message_payload (a
	   long text the SMSC put together, read past libsmpp34, see
	   read_tlvs) is as long as its 16-bit length allows, with
	   room for the other fields and parameters. Refused, a PDU ends
	   the session, and the SMSC sends it again after the reconnect,
	   for ever. */
	SMPP_PDU_IN_MAX = 65535 + 4096,
	SMPP_SM_MAX = 254,	   /* octets of short_message */
	SMPP_PAYLOAD_MAX = 1024,   /* octets of message_payload */
	SMPP_SYSTEM_ID_MAX = 15,
	SMPP_PASSWORD_MAX = 8,
	SMPP_SYSTEM_TYPE_MAX = 12,
	SMPP_ID_MAX = 64,	   /* message_id */
	SMPP_RECEIPT_FIELD_MAX = 64,
	SMPP_RECENT_IDS = 32,	   /* message ids kept for id_hint */
	/* Optional parameters of a deliver_sm: real ones carry a dozen
	   at most. */
	SMPP_TLVS_MAX = 20,
	SMPP_BATCH = 1000,	   /* outbox rows loaded at once */
	SMPP_TIMEOUT_MS = 30000,   /* connect and bind */
	SMPP_STOP_WAIT_MS = 5000,  /* answers awaited when stopping */
	SMPP_THROTTLE_MIN_MS = 250,
	SMPP_THROTTLE_MAX_MS = 30000,
	SMPP_RECONNECT_MAX = 300,  /* s between connection attempts */
	SMPP_FLUSH_INTERVAL = 60   /* s between looks for stale parts */
};

#define ESM_UDHI 0x40
#define ESM_TYPE_MASK 0x3c
#define ESM_RECEIPT 0x04
#define ESM_ACK 0x08
#define ESM_INTERMEDIATE 0x20	/* intermediate delivery notification */

/* One outbox row as it goes out. */
struct row {
	struct outbound_msg *m;
	struct gsm_msg msg;
	struct gsm_part *parts;
	int nparts;
	int payload;	  /* the whole text in message_payload */
	int prepared;
	int next;	  /* the next part to submit */
	int accepted;	  /* parts the SMSC took */
	int failed;	  /* refused: no more parts */
	char *first_id;	  /* the SMSC's id of part 1 */
	char *early_stat, *early_err;
};

struct slot {
	uint32_t seq;
	struct row *row;  /* NULL: free */
	int part;
	int64_t sent_ms;
};

struct again {
	struct row *row;
	int part;
};

struct smpp {
	struct gateway_ctx *ctx;
	const char *host;
	unsigned int port;
	const char *system_id, *system_type, *source;
	uint8_t source_ton, source_npi;
	int dc0_gsm;		/* smpp_default_alphabet gsm */
	int dc0_latin1;		/* latin1, or auto after an octet > 0x7f */
	int window, rate, long_payload;
	int submit_base, receipt_base; /* of message ids; 0: as written */
	/* the last ids the SMSC gave part 1 of a row, as written, for
	   id_hint; and whether its hint was logged */
	char recent_ids[SMPP_RECENT_IDS][SMPP_ID_MAX + 1];
	unsigned int nrecent;
	int ids_hinted;
	int64_t enquire_ms, poll_ms, parts_timeout;
	int fd;
	struct tls_client *tls;	/* NULL: smpp_tls = none */
	SSL *ssl;		/* the session's, over fd */
	uint32_t seq;
	uint8_t rx[SMPP_PDU_IN_MAX];
	size_t rxlen;
	/* the batch */
	struct outbound_batch batch;
	int have_batch, batch_leftover, leftovers_done;
	struct row *rows;
	size_t nrows, cur;
	struct slot *win;
	int nused;
	struct again *again;
	int nagain;
	int64_t next_load_ms;
	/* pacing */
	int64_t throttle_until_ms, throttle_ms, next_slot_us;
	/* the link */
	int64_t last_rx_ms, enquire_sent_ms;
	uint32_t enquire_seq, unbind_seq;
	int peer_unbound, unbind_answered, bound;
	int64_t last_flush;
	/* figures for the log */
	unsigned long submits, sent, failed, deferred, received, receipts;
};

/* --- small helpers -------------------------------------------------- */

/* 1 when ID is made of the characters of SET alone, and not empty. */
static int
all_of(const char *id, const char *set)
{
	return id[0] != '\0' && id[strspn(id, set)] == '\0';
}

static const char hex_digits[] = "0123456789abcdefABCDEF";

/* ID as a number written in BASE (10 or 16) into *v. 1, or 0 when
   it is not one within 64 bits. */
static int
id_number(const char *id, int base, unsigned long long *v)
{
	char *end;

	if (!all_of(id, base == 16 ? hex_digits : "0123456789"))
		return 0;
	errno = 0;
	*v = strtoull(id, &end, base);
	return errno == 0 && *end == '\0';
}

/* ID, a message id the SMSC wrote in BASE (10 or 16), as its number in
   decimal into OUT; as written when BASE is 0, or when ID is not such
   a number within 64 bits (matched as written then, as the SMSC gave
   it both times). */
static void
id_normal(const char *id, int base, char *out, size_t size)
{
	unsigned long long v;

	if (base != 0 && id_number(id, base, &v))
		snprintf(out, size, "%llu", v);
	else
		snprintf(out, size, "%s", id);
}

/* A receipt for WRITTEN (its id as the SMSC wrote it) matched no row:
   when it is, read in some base, the number of an id the SMSC gave in
   an answer to submit_sm lately, read in some base, says once which
   smpp_receipt_ids fits. Only said: the receipts of a long text's
   later parts never match, and an id of digits alone reads in either
   base, so that a guess could record a receipt on the wrong row. */
static void
id_hint(struct smpp *s, const char *written)
{
	static const struct { int sub, rec; const char *name; } fits[] = {
		{ 10, 10, "decimal-decimal" }, { 16, 16, "hex-hex" },
		{ 16, 10, "hex-decimal" }, { 10, 16, "decimal-hex" },
	};
	unsigned long long v, w;
	unsigned int n = s->nrecent < SMPP_RECENT_IDS ? s->nrecent :
		SMPP_RECENT_IDS;

	if (s->submit_base != 0 || s->ids_hinted)
		return;
	for (size_t f = 0; f < N_ELEMENTS(fits); f++) {
		if (!id_number(written, fits[f].rec, &v))
			continue;
		for (unsigned int i = 0; i < n; i++) {
			const char *sent = s->recent_ids[i];

			if (strcmp(sent, written) == 0 ||
			    !id_number(sent, fits[f].sub, &w) || w != v)
				continue;
			s->ids_hinted = 1;
			log_warnx("smpp: a delivery receipt names message id "
				  "%s, which the SMSC gave as %s: no receipt "
				  "finds its SMS; set smpp_receipt_ids = %s",
				  written, sent, fits[f].name);
			return;
		}
	}
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
now_ms(void)
{
	return now_us() / 1000;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint32_t
next_seq(struct smpp *s)
{
	/* 1 to 0x7fffffff, as SMPP 3.4 wants. */
	s->seq = s->seq >= 0x7fffffff ? 1 : s->seq + 1;
	return s->seq;
}

static const struct {
	uint32_t status;
	const char *name;
} statuses[] = {
	{ ESME_RINVMSGLEN, "ESME_RINVMSGLEN" },
	{ ESME_RINVCMDLEN, "ESME_RINVCMDLEN" },
	{ ESME_RINVCMDID, "ESME_RINVCMDID" },
	{ ESME_RINVBNDSTS, "ESME_RINVBNDSTS" },
	{ ESME_RALYBND, "ESME_RALYBND" },
	{ ESME_RSYSERR, "ESME_RSYSERR" },
	{ ESME_RINVSRCADR, "ESME_RINVSRCADR" },
	{ ESME_RINVDSTADR, "ESME_RINVDSTADR" },
	{ ESME_RINVMSGID, "ESME_RINVMSGID" },
	{ ESME_RBINDFAIL, "ESME_RBINDFAIL" },
	{ ESME_RINVPASWD, "ESME_RINVPASWD" },
	{ ESME_RINVSYSID, "ESME_RINVSYSID" },
	{ ESME_RMSGQFUL, "ESME_RMSGQFUL" },
	{ ESME_RINVSERTYP, "ESME_RINVSERTYP" },
	{ ESME_RINVESMCLASS, "ESME_RINVESMCLASS" },
	{ ESME_RSUBMITFAIL, "ESME_RSUBMITFAIL" },
	{ ESME_RINVSRCTON, "ESME_RINVSRCTON" },
	{ ESME_RINVSRCNPI, "ESME_RINVSRCNPI" },
	{ ESME_RINVDSTTON, "ESME_RINVDSTTON" },
	{ ESME_RINVDSTNPI, "ESME_RINVDSTNPI" },
	{ ESME_RINVSYSTYP, "ESME_RINVSYSTYP" },
	{ ESME_RTHROTTLED, "ESME_RTHROTTLED" },
	{ ESME_RINVEXPIRY, "ESME_RINVEXPIRY" },
	{ ESME_RX_T_APPN, "ESME_RX_T_APPN" },
	{ ESME_RX_P_APPN, "ESME_RX_P_APPN" },
	{ ESME_RX_R_APPN, "ESME_RX_R_APPN" },
	{ ESME_RINVOPTPARSTREAM, "ESME_RINVOPTPARSTREAM" },
	{ ESME_ROPTPARNOTALLWD, "ESME_ROPTPARNOTALLWD" },
	{ ESME_RINVPARLEN, "ESME_RINVPARLEN" },
	{ ESME_RDELIVERYFAILURE, "ESME_RDELIVERYFAILURE" },
	{ ESME_RUNKNOWNERR, "ESME_RUNKNOWNERR" },
};

/* "ESME_RINVDSTADR (0x0000000b)": the reason kept on a failed row. */
static char *
status_text(uint32_t status)
{
	for (size_t i = 0; i < N_ELEMENTS(statuses); i++) {
		if (statuses[i].status == status)
			return xasprintf("%s (0x%08x)", statuses[i].name, status);
	}
	return xasprintf("command_status 0x%08x", status);
}

/* --- the connection ------------------------------------------------- */

static int
tcp_connect(const char *host, unsigned int port, char **error_r)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	struct timeval tv = { .tv_sec = SMPP_TIMEOUT_MS / 1000 };
	char service[16];
	int fd = -1, on = 1, e, saved = 0;

	snprintf(service, sizeof(service), "%u", port);
	e = getaddrinfo(host, service, &hints, &res);
	if (e != 0) {
		*error_r = xasprintf("%s: %s", host, gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		/* connect() and a blocked write give up in time. */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			saved = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		*error_r = xasprintf("%s:%u: cannot connect: %s", host, port,
				     strerror(saved));
		return -1;
	}
	/* Each PDU is small and waited for: no Nagle delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return fd;
}

/* Reads or writes through TLS when the session has it. */
static ssize_t
io_write(struct smpp *s, const void *buf, size_t len)
{
	int n;

	if (s->ssl == NULL)
		return write(s->fd, buf, len);
	ERR_clear_error();
	n = SSL_write(s->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (n <= 0 && SSL_get_error(s->ssl, n) != SSL_ERROR_SYSCALL)
		errno = EPROTO;
	return n;
}

static ssize_t
io_read(struct smpp *s, void *buf, size_t len)
{
	int n;

	if (s->ssl == NULL)
		return read(s->fd, buf, len);
	ERR_clear_error();
	n = SSL_read(s->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (n < 0 && SSL_get_error(s->ssl, n) != SSL_ERROR_SYSCALL)
		errno = EPROTO;
	return n;
}

static int
smpp_write(struct smpp *s, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = io_write(s, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_warnx("smpp: %s:%u: cannot write: %s", s->host,
				  s->port, w < 0 ? strerror(errno) : "closed");
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Packs PDU (a libsmpp34 struct of TYPE) and writes it. 0, or -1. */
static int
send_pdu(struct smpp *s, uint32_t type, void *pdu)
{
	uint8_t buf[SMPP_PDU_MAX];
	int len = 0, r;

	r = smpp34_pack(type, buf, (int)sizeof(buf), &len, pdu);
	if (r != 0 || len < SMPP_HEADER) {
		/* smpp34_strerror lists the fields, addresses included:
		   not for the log. */
		log_errorx("smpp: cannot pack a PDU 0x%08x", type);
		return -1;
	}
	r = smpp_write(s, buf, (size_t)len);
	OPENSSL_cleanse(buf, (size_t)len);
	return r;
}

/* A PDU of only a header: enquire_link(_resp), unbind(_resp),
   generic_nack, deliver_sm_resp with no message_id. */
static int
send_header(struct smpp *s, uint32_t id, uint32_t status, uint32_t seq)
{
	uint8_t buf[SMPP_HEADER + 1] = { 0 };
	size_t len = SMPP_HEADER;
	uint32_t v[4] = { 0, id, status, seq };

	if (id == DELIVER_SM_RESP)
		len++; /* the empty message_id */
	v[0] = (uint32_t)len;
	for (int i = 0; i < 4; i++) {
		buf[i * 4] = (uint8_t)(v[i] >> 24);
		buf[i * 4 + 1] = (uint8_t)(v[i] >> 16);
		buf[i * 4 + 2] = (uint8_t)(v[i] >> 8);
		buf[i * 4 + 3] = (uint8_t)v[i];
	}
	return smpp_write(s, buf, len);
}

/* Waits up to TIMEOUT_MS for bytes. 1 read, 0 nothing (or a signal),
   -1 the connection is gone. */
static int
read_some(struct smpp *s, int64_t timeout_ms)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	ssize_t n;
	int r;

	if (timeout_ms < 0)
		timeout_ms = 0;
	/* TLS may hold decrypted bytes the socket no longer shows. */
	if (s->ssl != NULL && SSL_pending(s->ssl) > 0)
		timeout_ms = 0;
	r = s->ssl != NULL && SSL_pending(s->ssl) > 0 ? 1 :
		poll(&pfd, 1, (int)timeout_ms);
	if (r < 0 && errno == EINTR)
		return 0;
	if (r < 0) {
		log_warnx("smpp: poll: %s", strerror(errno));
		return -1;
	}
	if (r == 0)
		return 0;
	n = io_read(s, s->rx + s->rxlen, sizeof(s->rx) - s->rxlen);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0) {
		log_warnx("smpp: %s:%u: connection %s", s->host, s->port,
			  n < 0 ? strerror(errno) : "closed by the SMSC");
		return -1;
	}
	s->rxlen += (size_t)n;
	s->last_rx_ms = now_ms();
	return 1;
}

/* The length of the whole PDU at the start of the buffer: > 0 when it
   is all there, 0 when more must come, -1 for a length we refuse. */
static long
pdu_ready(struct smpp *s)
{
	uint32_t len;

	if (s->rxlen < SMPP_HEADER)
		return 0;
	len = get32(s->rx);
	if (len < SMPP_HEADER || len > SMPP_PDU_IN_MAX) {
		log_warnx("smpp: %s:%u: PDU of %u octets refused (%s %d)",
			  s->host, s->port, len, len < SMPP_HEADER ?
			  "its header alone is" : "at most",
			  len < SMPP_HEADER ? SMPP_HEADER : SMPP_PDU_IN_MAX);
		return -1;
	}
	return s->rxlen >= len ? (long)len : 0;
}

static void
pdu_consume(struct smpp *s, size_t len)
{
	memmove(s->rx, s->rx + len, s->rxlen - len);
	s->rxlen -= len;
}

/* --- bind ----------------------------------------------------------- */

static int
password_load(struct smpp *s, char **pw_r, size_t *size_r)
{
	char *err = NULL;
	size_t len;

	if (secret_read(cfg_str(s->ctx->cfg, CFG_SMPP_PASSWORD_FILE), pw_r,
			size_r, &err) < 0) {
		log_errorx("smpp_password_file: %s", err);
		free(err);
		return -1;
	}
	len = strlen(*pw_r);
	while (len > 0 && ((*pw_r)[len - 1] == '\n' || (*pw_r)[len - 1] == '\r'))
		(*pw_r)[--len] = '\0';
	if (len > SMPP_PASSWORD_MAX) {
		log_errorx("smpp_password_file: the password has %zu characters; "
			   "SMPP 3.4 allows %d", len, SMPP_PASSWORD_MAX);
		secret_free(pw_r, *size_r);
		return -1;
	}
	return 0;
}

/* What an administrator can do about a bind refused with STATUS: only
   a refusal of the credentials is theirs to fix. */
static const char *
bind_hint(uint32_t status)
{
	switch (status) {
	case ESME_RINVPASWD:
	case ESME_RINVSYSID:
	case ESME_RBINDFAIL:
		return "check smpp_system_id and smpp_password_file";
	case ESME_RINVSYSTYP:
		return "check smpp_system_type";
	case ESME_RALYBND:
		return "the SMSC still holds a session for smpp_system_id (one "
		       "it has not seen end, or another gateway's); trying "
		       "again";
	default:
		return "the SMSC's trouble; trying again";
	}
}

/* Sends bind_transceiver and waits for its answer. 0 bound, -1. */
static int
bind_session(struct smpp *s)
{
	bind_transceiver_t b;
	char *pw = NULL;
	size_t pw_size = 0;
	int64_t deadline;
	int r;

	if (password_load(s, &pw, &pw_size) < 0)
		return -1;
	memset(&b, 0, sizeof(b));
	b.command_id = BIND_TRANSCEIVER;
	b.sequence_number = next_seq(s);
	snprintf((char *)b.system_id, sizeof(b.system_id), "%s", s->system_id);
	snprintf((char *)b.password, sizeof(b.password), "%s", pw);
	snprintf((char *)b.system_type, sizeof(b.system_type), "%s",
		 s->system_type);
	b.interface_version = SMPP_VERSION;
	secret_free(&pw, pw_size);
	r = send_pdu(s, BIND_TRANSCEIVER, &b);
	OPENSSL_cleanse(b.password, sizeof(b.password));
	if (r < 0)
		return -1;
	deadline = now_ms() + SMPP_TIMEOUT_MS;
	while (!gateway_stopping() && now_ms() < deadline) {
		long len = pdu_ready(s);
		uint32_t id, status;

		if (len < 0)
			return -1;
		if (len == 0) {
			if (read_some(s, deadline - now_ms()) < 0)
				return -1;
			continue;
		}
		id = get32(s->rx + 4);
		status = get32(s->rx + 8);
		pdu_consume(s, (size_t)len);
		if (id != BIND_TRANSCEIVER_RESP && id != GENERIC_NACK)
			continue;
		if (status != ESME_ROK) {
			char *why = status_text(status);

			log_errorx("smpp: %s:%u: bind refused: %s; %s", s->host,
				   s->port, why, bind_hint(status));
			free(why);
			return -1;
		}
		return 0;
	}
	log_errorx("smpp: %s:%u: no answer to bind_transceiver", s->host,
		   s->port);
	return -1;
}

/* --- outbound ------------------------------------------------------- */

static void
rows_free(struct smpp *s)
{
	for (size_t i = 0; i < s->nrows; i++) {
		struct row *r = &s->rows[i];

		gsm_msg_clear(&r->msg);
		free(r->parts);
		free(r->first_id);
		free(r->early_stat);
		free(r->early_err);
	}
	free(s->rows);
	s->rows = NULL;
	s->nrows = s->cur = 0;
	s->nagain = 0;
	if (s->have_batch)
		outbound_clear(&s->batch);
	s->have_batch = 0;
}

/* Loads the next rows when none are left. 1 loaded, 0 none due, -1. */
static int
batch_load(struct smpp *s)
{
	int leftovers, n;

	if (s->have_batch)
		return 1;
	if (s->leftovers_done && now_ms() < s->next_load_ms)
		return 0;
	leftovers = !s->leftovers_done;
	n = outbound_load(s->ctx, leftovers, SMPP_BATCH, &s->batch);
	if (n < 0)
		return -1;
	if (n == 0) {
		outbound_clear(&s->batch);
		if (leftovers) {
			s->leftovers_done = 1;
			return batch_load(s);
		}
		s->next_load_ms = now_ms() + s->poll_ms;
		return 0;
	}
	if (leftovers)
		log_info("smpp: sending again %d SMS left in flight by the last "
			 "run", n);
	s->have_batch = 1;
	s->batch_leftover = leftovers;
	s->rows = xcalloc((size_t)n, sizeof(*s->rows));
	s->nrows = (size_t)n;
	for (int i = 0; i < n; i++)
		s->rows[i].m = &s->batch.v[i];
	return 1;
}

/* Encodes and splits row R. 0, or -1 when the row cannot be an SMS
   (it is then failed). */
static int
row_prepare(struct smpp *s, struct row *r)
{
	const char *to = r->m->recipient;
	char *err = NULL;
	int n;

	r->prepared = 1;
	if (to[0] != '+' || strlen(to) < 2 || strlen(to) > 16 ||
	    strspn(to + 1, "0123456789") != strlen(to) - 1) {
		outbound_fail(s->ctx, r->m, "the recipient is not an "
			      "international number (+46...)");
		s->failed++;
		return -1;
	}
	if (gsm_encode(r->m->data, r->m->len, GSM_AUTO, &r->msg, &err) < 0) {
		outbound_fail(s->ctx, r->m, err);
		free(err);
		s->failed++;
		return -1;
	}
	n = gsm_count_parts(&r->msg, GSM_REF8);
	if (n > 1 && s->long_payload &&
	    r->msg.n * (r->msg.enc == GSM_UCS2 ? 2 : 1) <= SMPP_PAYLOAD_MAX) {
		r->payload = 1;
		r->nparts = 1;
		return 0;
	}
	r->parts = xcalloc(GSM_PARTS_MAX, sizeof(*r->parts));
	n = gsm_split(&r->msg, GSM_REF8, r->parts, GSM_PARTS_MAX, &err);
	if (n < 0) {
		outbound_fail(s->ctx, r->m, err);
		free(err);
		s->failed++;
		return -1;
	}
	r->nparts = n;
	return 0;
}

/* The next part to submit: *ROW_R, *PART_R. Claims a row before its
   first part. 1, 0 when none, -1 when the store failed. */
static int
next_part(struct smpp *s, struct row **row_r, int *part_r)
{
	while (s->nagain > 0) {
		struct row *r = s->again[0].row;

		*part_r = s->again[0].part;
		memmove(s->again, s->again + 1,
			(size_t)--s->nagain * sizeof(*s->again));
		if (r->failed || r->m->done)
			continue;
		*row_r = r;
		return 1;
	}
	while (s->cur < s->nrows) {
		struct row *r = &s->rows[s->cur];
		int c;

		if (r->m->done || r->failed || (r->prepared && r->next >= r->nparts)) {
			s->cur++;
			continue;
		}
		if (!r->prepared && row_prepare(s, r) < 0)
			continue;
		if (!r->m->claimed) {
			c = outbound_claim(s->ctx, r->m);
			if (c < 0)
				return -1;
			if (c == 0)
				continue; /* taken by another: done */
		}
		*row_r = r;
		*part_r = r->next++;
		return 1;
	}
	return 0;
}

/* The short_message (or message_payload) of part P of R. */
static size_t
part_octets(const struct row *r, int p, uint8_t *out, size_t room,
	    uint8_t *esm_r)
{
	size_t off = 0, first = 0, n = r->msg.n;

	*esm_r = 0;
	if (!r->payload && r->nparts > 1) {
		/* Concatenation IE, 8-bit reference: the row id's low
		   octet, the same when the row is sent again. */
		out[0] = 5;
		out[1] = 0x00;
		out[2] = 3;
		out[3] = (uint8_t)r->m->id;
		out[4] = (uint8_t)r->nparts;
		out[5] = (uint8_t)(p + 1);
		off = 6;
		*esm_r = ESM_UDHI;
	}
	if (!r->payload) {
		first = r->parts[p].off;
		n = r->parts[p].n;
	}
	if (r->msg.enc == GSM_UCS2) {
		if (off + 2 * n > room)
			return 0;
		return off + gsm_ucs2_pack(r->msg.u + first, n, out + off);
	}
	/* data_coding 0 over SMPP: the default alphabet one septet per
	   octet, unpacked; the SMSC packs it for the air. */
	if (off + n > room)
		return 0;
	for (size_t i = 0; i < n; i++)
		out[off + i] = (uint8_t)(r->msg.u[first + i] & 0x7f);
	return off + n;
}

static int
window_add(struct smpp *s, uint32_t seq, struct row *r, int part)
{
	for (int i = 0; i < s->window; i++) {
		if (s->win[i].row == NULL) {
			s->win[i] = (struct slot){ seq, r, part, now_ms() };
			s->nused++;
			return 0;
		}
	}
	return -1;
}

static int
submit(struct smpp *s, struct row *r, int part)
{
	submit_sm_t p;
	tlv_t tlv;
	uint8_t esm;
	size_t n;
	int ret;

	memset(&p, 0, sizeof(p));
	p.command_id = SUBMIT_SM;
	p.sequence_number = next_seq(s);
	p.source_addr_ton = s->source_ton;
	p.source_addr_npi = s->source_npi;
	snprintf((char *)p.source_addr, sizeof(p.source_addr), "%s",
		 s->source[0] == '+' ? s->source + 1 : s->source);
	p.dest_addr_ton = TON_International;
	p.dest_addr_npi = NPI_ISDN_E163_E164;
	snprintf((char *)p.destination_addr, sizeof(p.destination_addr), "%s",
		 r->m->recipient + 1);
	p.registered_delivery = 1;
	p.data_coding = r->msg.enc == GSM_UCS2 ? 8 : 0;
	if (r->payload) {
		memset(&tlv, 0, sizeof(tlv));
		tlv.tag = TLVID_message_payload;
		n = part_octets(r, part, tlv.value.octet, SMPP_PAYLOAD_MAX, &esm);
		tlv.length = (uint16_t)n;
		build_tlv(&p.tlv, &tlv);
	} else {
		n = part_octets(r, part, p.short_message, SMPP_SM_MAX, &esm);
		p.sm_length = (uint8_t)n;
	}
	p.esm_class = esm;
	if (n == 0 && r->msg.n > 0)
		fatalx("smpp: a part does not fit its PDU");
	if (window_add(s, p.sequence_number, r, part) < 0)
		fatalx("smpp: submit_sm beyond the window");
	ret = send_pdu(s, SUBMIT_SM, &p);
	destroy_tlv(p.tlv);
	s->submits++;
	return ret;
}

static void
apply_receipt(struct smpp *s, const char *id, const char *stat,
	      const char *err);

static int
row_sent(struct smpp *s, struct row *r)
{
	if (sms_sent(s->ctx, r->m, r->first_id) < 0)
		/* Going on could leave many rows 'sending' that went out:
		   stop, and the next run sends them again. */
		fatalx("smpp: stopping: a sent SMS could not be recorded");
	s->sent++;
	if (r->early_stat != NULL)
		apply_receipt(s, r->first_id, r->early_stat, r->early_err);
	return 0;
}

static void
throttle(struct smpp *s)
{
	s->throttle_ms = s->throttle_ms == 0 ? SMPP_THROTTLE_MIN_MS :
		s->throttle_ms * 2;
	if (s->throttle_ms > SMPP_THROTTLE_MAX_MS)
		s->throttle_ms = SMPP_THROTTLE_MAX_MS;
	s->throttle_until_ms = now_ms() + s->throttle_ms;
	log_info("smpp: the SMSC asks us to slow down; pausing %lld ms",
		 (long long)s->throttle_ms);
}

static int
on_submit_resp(struct smpp *s, const uint8_t *pdu, size_t len)
{
	uint32_t status = get32(pdu + 8), seq = get32(pdu + 12);
	submit_sm_resp_t resp;
	struct slot sl = { 0 };
	struct row *r;
	char *why;

	for (int i = 0; i < s->window; i++) {
		if (s->win[i].row != NULL && s->win[i].seq == seq) {
			sl = s->win[i];
			s->win[i].row = NULL;
			s->nused--;
			break;
		}
	}
	if (sl.row == NULL) {
		log_warnx("smpp: an answer to no submit_sm we sent (sequence "
			  "%u) ignored", seq);
		return 0;
	}
	r = sl.row;
	if (status == ESME_RTHROTTLED || status == ESME_RMSGQFUL) {
		s->again = xrealloc(s->again, (size_t)(s->nagain + 1) *
				    sizeof(*s->again));
		s->again[s->nagain++] = (struct again){ r, sl.part };
		throttle(s);
		return 0;
	}
	if (r->failed || r->m->done)
		return 0;
	if (status == ESME_RSYSERR || status == ESME_RX_T_APPN) {
		/* The SMSC's trouble, for now (as Kannel has it): the row
		   goes back to the queue with its back-off, no more parts
		   now. */
		why = status_text(status);
		r->failed = 1;
		outbound_retry(s->ctx, r->m, why);
		s->deferred++;
		free(why);
		return 0;
	}
	if (status != ESME_ROK) {
		why = status_text(status);
		r->failed = 1;
		outbound_fail(s->ctx, r->m, why);
		s->failed++;
		free(why);
		return 0;
	}
	s->throttle_ms = 0;
	memset(&resp, 0, sizeof(resp));
	if (smpp34_unpack(SUBMIT_SM_RESP, &resp, pdu, (int)len) != 0)
		resp.message_id[0] = '\0';
	resp.message_id[sizeof(resp.message_id) - 1] = '\0';
	if (sl.part == 0) {
		const char *id = (const char *)resp.message_id;
		char norm[SMPP_ID_MAX + 1];

		snprintf(s->recent_ids[s->nrecent++ % SMPP_RECENT_IDS],
			 SMPP_ID_MAX + 1, "%s", id);
		id_normal(id, s->submit_base, norm, sizeof(norm));
		r->first_id = xstrdup(norm);
	}
	if (++r->accepted == r->nparts)
		return row_sent(s, r);
	return 0;
}

/* Sends what the window, the rate and the SMSC allow. 0, or -1. */
static int
fill_window(struct smpp *s)
{
	while (s->nused < s->window) {
		struct row *r;
		int part, n;
		int64_t t = now_us();

		if (t / 1000 < s->throttle_until_ms)
			break;
		if (s->rate > 0 && t < s->next_slot_us)
			break;
		n = next_part(s, &r, &part);
		if (n <= 0)
			return n;
		if (submit(s, r, part) < 0)
			return -1;
		if (s->rate > 0)
			s->next_slot_us = (s->next_slot_us > t ? s->next_slot_us : t) +
				1000000 / s->rate;
	}
	return 0;
}

/* Whether the batch is all answered. */
static int
batch_finished(const struct smpp *s)
{
	return s->cur >= s->nrows && s->nagain == 0 && s->nused == 0;
}

/* The connection ended with rows in flight: back to the queue with
   their back-off. */
static void
rows_requeue(struct smpp *s, const char *why)
{
	for (size_t i = 0; i < s->nrows; i++) {
		struct outbound_msg *m = s->rows[i].m;

		if (m->done || (!m->claimed && !s->batch_leftover))
			continue;
		outbound_retry(s->ctx, m, why);
		s->deferred++;
	}
	for (int i = 0; i < s->window; i++)
		s->win[i].row = NULL;
	s->nused = 0;
	rows_free(s);
}

/* --- inbound -------------------------------------------------------- */

static const char *const message_states[] = {
	[1] = "ENROUTE", [2] = "DELIVRD", [3] = "EXPIRED", [4] = "DELETED",
	[5] = "UNDELIV", [6] = "ACCEPTD", [7] = "UNKNOWN", [8] = "REJECTD",
};

/* The value of "KEY:" in a receipt text ("id:... stat:DELIVRD
   err:000"), up to a space, into OUT. 1 found, 0 not. */
static int
receipt_field(const char *text, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = text; *p != '\0'; p++) {
		size_t n;

		if ((p != text && p[-1] != ' ') || strncasecmp(p, key, klen) != 0)
			continue;
		p += klen;
		n = strcspn(p, " ");
		if (n >= size)
			n = size - 1;
		memcpy(out, p, n);
		out[n] = '\0';
		return 1;
	}
	return 0;
}

static void
apply_receipt(struct smpp *s, const char *id, const char *stat,
	      const char *err)
{
	char *e = NULL;
	int r = sms_receipt(s->ctx, id, stat, err, NULL, &e);

	if (r < 0) {
		log_warnx("smpp: cannot record a delivery receipt: %s", e);
		free(e);
		return;
	}
	if (r == 1)
		s->receipts++;
}

/* Holds a receipt for a row of the batch that is not marked sent yet.
   1 held, 0 no such row. */
static int
receipt_hold(struct smpp *s, const char *id, const char *stat,
	     const char *err)
{
	for (size_t i = 0; i < s->nrows; i++) {
		struct row *r = &s->rows[i];

		if (r->m->done || r->first_id == NULL || strcmp(r->first_id, id) != 0)
			continue;
		free(r->early_stat);
		free(r->early_err);
		r->early_stat = xstrdup(stat);
		r->early_err = err != NULL ? xstrdup(err) : NULL;
		return 1;
	}
	return 0;
}

struct inbound {
	const uint8_t *ud;
	size_t len;
	const uint8_t *sm;	/* short_message, where UD starts out */
	const char *receipted_id;
	int message_state;
	int sar_ref, sar_total, sar_seq;
	int both;	/* short_message and message_payload (1), or two
			   message_payloads (2), which SMPP 3.4 forbids:
			   which one is the text? */
	char id[SMPP_ID_MAX + 1];
};

static uint32_t
on_receipt(struct smpp *s, const struct inbound *in)
{
	char text[SMPP_PAYLOAD_MAX + 1], id[SMPP_ID_MAX + 1];
	char written[SMPP_ID_MAX + 1];
	char stat[SMPP_RECEIPT_FIELD_MAX], err[SMPP_RECEIPT_FIELD_MAX];
	unsigned long long v;
	int have_err, base;
	char *e = NULL;
	int r;

	memcpy(text, in->ud, in->len);
	text[in->len] = '\0';
	for (size_t i = 0; i < in->len; i++) {
		if (text[i] == '\0')
			text[i] = ' ';
	}
	if (in->receipted_id != NULL && in->receipted_id[0] != '\0') {
		size_t n = strnlen(in->receipted_id, SMPP_ID_MAX);

		memcpy(written, in->receipted_id, n);
		written[n] = '\0';
	} else if (!receipt_field(text, "id:", written, sizeof(written)))
		written[0] = '\0';
	/* An id that is no number of the receipts' base is taken in the
	   answers' (a receipted_message_id TLV as the answer gave it,
	   as SMPP has it, beside a text in the other base). */
	base = s->receipt_base != 0 && !id_number(written, s->receipt_base,
						   &v) ?
		s->submit_base : s->receipt_base;
	id_normal(written, base, id, sizeof(id));
	if (in->message_state >= 1 &&
	    (size_t)in->message_state < N_ELEMENTS(message_states))
		snprintf(stat, sizeof(stat), "%s",
			 message_states[in->message_state]);
	else if (!receipt_field(text, "stat:", stat, sizeof(stat)))
		stat[0] = '\0';
	have_err = receipt_field(text, "err:", err, sizeof(err));
	if (id[0] == '\0' || stat[0] == '\0') {
		log_warnx("smpp: a delivery receipt without message id or "
			  "state ignored");
		return ESME_ROK;
	}
	r = sms_receipt(s->ctx, id, stat, have_err ? err : NULL, NULL, &e);
	if (r < 0) {
		log_warnx("smpp: cannot record a delivery receipt: %s; the SMSC "
			  "will send it again", e);
		free(e);
		return ESME_RX_T_APPN;
	}
	if (r == 1)
		s->receipts++;
	else if (!receipt_hold(s, id, stat, have_err ? err : NULL)) {
		log_debug("smpp: a receipt for a message id we do not know "
			  "(a later part, or sent by another) ignored");
		id_hint(s, written);
	}
	return ESME_ROK;
}

/* Latin-1 or IA5 octets to UTF-8 (caller frees). */
static char *
octets_utf8(const uint8_t *p, size_t n, int ascii, size_t *len_r)
{
	char *out = xmalloc(3 * n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		unsigned c = p[i];

		if (ascii && c > 0x7f) {
			*o++ = (char)0xef; /* U+FFFD */
			*o++ = (char)0xbf;
			*o++ = (char)0xbd;
		} else if (c < 0x80) {
			*o++ = (char)c;
		} else {
			*o++ = (char)(0xc0 | c >> 6);
			*o++ = (char)(0x80 | (c & 0x3f));
		}
	}
	*o = '\0';
	*len_r = (size_t)(o - out);
	return out;
}

/* Whether one of the N octets at P is above MAX. */
static int
any_above(const uint8_t *p, size_t n, uint8_t max)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] > max)
			return 1;
	return 0;
}

/* The text of user data UD (after any header) in DCS as UTF-8 (caller
   frees), or NULL with *why_r when it is not text we read. PART: it is
   a part of a concatenated message (see sms_decode). *LATIN1: the
   SMSC writes data_coding 0 in Latin-1 (smpp_default_alphabet latin1,
   or an octet above 0x7f seen, which auto remembers); GSM: it writes
   GSM 7-bit, whatever the octets say. */
static char *
decode_text(uint8_t dcs, const uint8_t *ud, size_t n, int part, int gsm,
	    int *latin1, size_t *len_r, const char **why_r)
{
	struct gsm_msg msg = { 0 };
	char *text;

	/* The GSM 03.38 coding groups an SMSC passes on as they came
	   from the phone: with a message class (a flash SMS is class 0),
	   uncompressed (0x10-0x1f; SMPP leaves them reserved), message
	   waiting (0xc0-0xef) and data coding/message class (0xf0-0xff).
	   Each names its alphabet in its bits. */
	if ((dcs & 0xf0) == 0xf0)
		dcs = (dcs & 0x04) ? 0x04 : 0x00;
	else if ((dcs & 0xf0) == 0x10)
		dcs = (dcs & 0x0c) == 0x00 ? 0x00 : (dcs & 0x0c) == 0x08 ?
			0x08 : 0x04;
	else if (dcs >= 0xc0 && dcs <= 0xdf)
		dcs = 0x00;
	else if ((dcs & 0xf0) == 0xe0)
		dcs = 0x08;
	/* data_coding 0 is the SMSC's default alphabet: GSM 7-bit, one
	   septet an octet, for most; an octet above 0x7f is no septet,
	   and says this SMSC's default is Latin-1 ("H\xe4lsningar"), for
	   this message and the next */
	if (dcs == 0x00 && any_above(ud, n, 0x7f)) {
		if (gsm) {
			*why_r = "an octet above 0x7f in GSM 7-bit text "
				 "(smpp_default_alphabet gsm)";
			return NULL;
		}
		*latin1 = 1;
	}
	if (dcs == 0x00 && *latin1)
		dcs = 0x03;
	switch (dcs) {
	case 0x00:
		msg.enc = GSM_GSM7;
		msg.u = xmalloc((n + 1) * sizeof(*msg.u));
		for (size_t i = 0; i < n; i++)
			msg.u[i] = ud[i] & 0x7f;
		msg.n = n;
		break;
	case 0x08:
		if (n % 2 != 0) {
			*why_r = "UCS-2 text of an odd number of octets";
			return NULL;
		}
		msg.enc = GSM_UCS2;
		msg.u = xmalloc((n / 2 + 1) * sizeof(*msg.u));
		gsm_ucs2_unpack(ud, n, msg.u);
		msg.n = n / 2;
		break;
	case 0x01:
	case 0x03:
		return octets_utf8(ud, n, dcs == 0x01, len_r);
	default:
		*why_r = "data_coding that is not text";
		return NULL;
	}
	text = sms_decode(&msg, part, len_r);
	gsm_msg_clear(&msg);
	return text;
}

/* "+46701234567" for an international number (one that an SMSC labels
   international but writes with its "00" or trunk prefix, which no
   country code begins with, as it came: the engine reads those); for
   a SENDER (SENDER_CC: sms_country_code), a national one (TON 2), which
   networks give without the trunk prefix ("701234567"), with it, as
   the engine reads national numbers ("0701234567"): else the engine
   would take its digits for an international number; one of unknown
   type (TON 0) as sms_unknown_type_sender reads it; anything else
   (our own number or short code,
   as workflow_routes names it) as it came. */
static void
address(char *out, size_t size, uint8_t ton, const uint8_t *addr,
	const char *sender_cc)
{
	const char *a = (const char *)addr, *prefix = "";
	bool digits = a[0] >= '1' && a[0] <= '9' &&
		      strspn(a, "0123456789") == strlen(a);

	if (ton == TON_International && a[0] != '+' && a[0] != '0')
		prefix = "+";
	else if (sender_cc != NULL && ton == TON_National && digits)
		prefix = "0";
	else if (sender_cc != NULL && ton == TON_Unknown && digits) {
		char *v = sms_unknown_type_sender(a, sender_cc);

		snprintf(out, size, "%s", v);
		free(v);
		return;
	}
	snprintf(out, size, "%s%s", prefix, a);
}

/* Keeps an inbound SMS that cannot be read (PDU, LEN as it came) in the
   quarantine with WHY, and answers that it was taken: refused, it would
   be gone. ESME_RX_T_APPN when the store failed, so that it comes
   again. */
static uint32_t
mo_quarantine(struct smpp *s, const uint8_t *pdu, size_t len, const char *why)
{
	char *err = NULL;

	if (sms_quarantine(s->ctx, pdu, len, cirm_now(), NULL, why,
			   &err) < 0) {
		log_warnx("smpp: cannot quarantine an inbound SMS: %s; the "
			  "SMSC will deliver it again", err);
		free(err);
		return ESME_RX_T_APPN;
	}
	log_warnx("smpp: an inbound SMS quarantined: %s", why);
	return ESME_ROK;
}

static uint32_t
on_mo(struct smpp *s, const deliver_sm_t *d, const struct inbound *in,
      const uint8_t *pdu, size_t len)
{
	struct gsm_concat c = { 0 };
	struct gsm_msg hdr;
	struct sms_in sms = { 0 };
	char from[24], to[24], *text, *err = NULL;
	const char *why = NULL;
	size_t h = 0, tlen;
	int concat = 0, r;

	/* kept whole for a human, not read as the first text alone */
	if (in->both)
		return mo_quarantine(s, pdu, len, in->both == 1 ?
				     "both short_message and message_payload "
				     "(SMPP 3.4 5.3.2.32): which is the text?" :
				     "message_payload twice: which is the "
				     "text?");
	if ((d->esm_class & ESM_UDHI) != 0) {
		/* The header alone, through the codec's parser. */
		if (in->len == 0 || 1 + (size_t)in->ud[0] > in->len ||
		    (concat = gsm_ud_parse(GSM_UCS2, in->ud, in->len,
					   1 + (size_t)in->ud[0], 1, &c, &hdr,
					   &err)) < 0) {
			free(err);
			return mo_quarantine(s, pdu, len, "a malformed user "
					     "data header");
		}
		gsm_msg_clear(&hdr);
		h = 1 + (size_t)in->ud[0];
	} else if (in->sar_ref >= 0 && in->sar_total >= 1 && in->sar_seq >= 1) {
		c = (struct gsm_concat){ (unsigned)in->sar_ref,
					 (unsigned)in->sar_total,
					 (unsigned)in->sar_seq };
		concat = 1;
	}
	text = decode_text(d->data_coding, in->ud + h, in->len - h,
			   concat && c.total > 1, s->dc0_gsm, &s->dc0_latin1,
			   &tlen, &why);
	if (text == NULL) {
		char *reason = xasprintf("%s (data_coding 0x%02x)", why,
					 d->data_coding);
		uint32_t st = mo_quarantine(s, pdu, len, reason);

		free(reason);
		return st;
	}
	address(from, sizeof(from), d->source_addr_ton, d->source_addr,
		cfg_str(s->ctx->cfg, CFG_SMS_COUNTRY_CODE));
	address(to, sizeof(to), d->dest_addr_ton, d->destination_addr, NULL);
	if (from[0] == '\0') {
		free(text);
		return mo_quarantine(s, pdu, len, "no sender");
	}
	sms = (struct sms_in){
		.from = from, .to = to[0] != '\0' ? to : NULL,
		.id = in->receipted_id, .text = text, .len = tlen,
		.received_at = cirm_now(), .concat = concat ? &c : NULL,
	};
	r = sms_deliver(s->ctx, &sms, &err);
	free(text);
	if (r < 0) {
		log_warnx("smpp: cannot store an inbound SMS: %s; the SMSC will "
			  "deliver it again", err);
		free(err);
		return ESME_RX_T_APPN;
	}
	s->received++;
	return ESME_ROK;
}

/* Where the optional parameters (TLVs) of the deliver_sm PDU of LEN
   octets begin, after its mandatory fields; -1 when those end early. */
static long
deliver_sm_tlv_offset(const uint8_t *pdu, size_t len)
{
	/* Octets of each mandatory field after the header, 0 for a
	   C string: service_type; source_addr_ton and _npi; source_addr;
	   dest_addr_ton and _npi; destination_addr; esm_class, protocol_id,
	   priority_flag; schedule_delivery_time; validity_period;
	   registered_delivery, replace_if_present_flag, data_coding,
	   sm_default_msg_id. */
	static const uint8_t fields[] = { 0, 2, 0, 2, 0, 3, 0, 0, 4 };
	size_t off = SMPP_HEADER;

	for (size_t i = 0; i < N_ELEMENTS(fields); i++) {
		const uint8_t *nul;

		if (off > len)
			return -1;
		if (fields[i] > 0) {
			off += fields[i];
			continue;
		}
		if ((nul = memchr(pdu + off, '\0', len - off)) == NULL)
			return -1;
		off = (size_t)(nul - pdu) + 1;
	}
	if (off >= len)
		return -1;
	off += 1 + (size_t)pdu[off]; /* sm_length, short_message */
	return off > len ? -1 : (long)off;
}

/* How many optional parameters (TLVs) follow the mandatory fields of
   the deliver_sm PDU of LEN octets, the last one too if cut short; -1
   when the mandatory fields end early. */
static long
deliver_sm_tlvs(const uint8_t *pdu, size_t len)
{
	long start = deliver_sm_tlv_offset(pdu, len), n = 0;

	if (start < 0)
		return -1;
	for (size_t off = (size_t)start; off < len; n++) {
		if (off + 4 > len)
			return n + 1;
		off += 4 + ((size_t)pdu[off + 2] << 8 | pdu[off + 3]);
	}
	return n;
}

/* The optional parameters cirm reads, from the octets of the deliver_sm
   PDU of LEN octets after its mandatory fields (at START), into IN.
   libsmpp34 is given none of them: it leaks the one it was reading when
   that is cut short or longer than it takes, and writes past its
   message buffer when there are many. A message_payload is the text
   when there is no short_message, for a RECEIPT only when it fits a
   receipt's. 0, or -1 with *why_r when one is cut short by the PDU's
   end. */
static int
read_tlvs(const uint8_t *pdu, size_t start, size_t len, int receipt,
	  struct inbound *in, const char **why_r)
{
	for (size_t off = start; off < len;) {
		const uint8_t *v = pdu + off + 4;
		unsigned tag;
		size_t n;

		if (len - off < 4 ||
		    (n = (size_t)pdu[off + 2] << 8 | pdu[off + 3]) >
			    len - off - 4) {
			*why_r = "a deliver_sm with an optional parameter cut "
				 "short";
			return -1;
		}
		tag = (unsigned)pdu[off] << 8 | pdu[off + 1];
		off += 4 + n;
		switch (tag) {
		case TLVID_receipted_message_id:
			n = strnlen((const char *)v, n);
			if (n > SMPP_ID_MAX)
				n = SMPP_ID_MAX;
			memcpy(in->id, v, n);
			in->id[n] = '\0';
			in->receipted_id = in->id;
			break;
		case TLVID_message_state:
			if (n == 1)
				in->message_state = v[0];
			break;
		case TLVID_sar_msg_ref_num:
			if (n == 2)
				in->sar_ref = v[0] << 8 | v[1];
			break;
		case TLVID_sar_total_segments:
			if (n == 1)
				in->sar_total = v[0];
			break;
		case TLVID_sar_segment_seqnum:
			if (n == 1)
				in->sar_seq = v[0];
			break;
		case TLVID_message_payload:
			if (in->len == 0 &&
			    (!receipt || n <= SMPP_PAYLOAD_MAX)) {
				in->ud = v;
				in->len = n;
			} else if (n > 0) {
				in->both = in->ud == in->sm ? 1 : 2;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

/* Reads the deliver_sm PDU of LEN octets: its mandatory fields into *D
   through libsmpp34 (free D->tlv with destroy_tlv), its text and the
   optional parameters cirm reads into *IN (pointing into D and PDU).
   0, or -1 with *why_r. */
static int
read_deliver(const uint8_t *pdu, size_t len, deliver_sm_t *d,
	     struct inbound *in, const char **why_r)
{
	long start = deliver_sm_tlv_offset(pdu, len);
	uint8_t *head, type;
	int r;

	memset(d, 0, sizeof(*d));
	*in = (struct inbound){ .message_state = -1, .sar_ref = -1,
				.sar_total = -1, .sar_seq = -1 };
	/* (smpp34_strerror would say why, but holds the fields, numbers
	   included.) */
	*why_r = "a deliver_sm that cannot be read";
	if (start < 0)
		return -1;
	/* The PDU up to its optional parameters, its length told so. */
	head = xmalloc((size_t)start);
	memcpy(head, pdu, (size_t)start);
	head[0] = (uint8_t)(start >> 24), head[1] = (uint8_t)(start >> 16);
	head[2] = (uint8_t)(start >> 8), head[3] = (uint8_t)start;
	r = smpp34_unpack(DELIVER_SM, d, head, (int)start);
	free(head);
	if (r != 0)
		return -1;
	in->ud = in->sm = d->short_message;
	in->len = d->sm_length;
	type = d->esm_class & ESM_TYPE_MASK;
	return read_tlvs(pdu, (size_t)start, len,
			 type == ESM_RECEIPT || type == ESM_ACK ||
				 type == ESM_INTERMEDIATE,
			 in, why_r);
}

static int
on_deliver(struct smpp *s, const uint8_t *pdu, size_t len)
{
	uint32_t seq = get32(pdu + 12), status;
	struct inbound in;
	deliver_sm_t d;
	const char *why;

	memset(&d, 0, sizeof(d));
	if (deliver_sm_tlvs(pdu, len) > SMPP_TLVS_MAX) {
		char reason[80];

		snprintf(reason, sizeof(reason), "a deliver_sm with more than "
			 "%d optional parameters", SMPP_TLVS_MAX);
		status = mo_quarantine(s, pdu, len, reason);
	} else if (read_deliver(pdu, len, &d, &in, &why) < 0) {
		status = mo_quarantine(s, pdu, len, why);
	} else {
		uint8_t type = d.esm_class & ESM_TYPE_MASK;

		/* A notification about a message we sent, in the text
		   format of a receipt; never a citizen's SMS. */
		if (type == ESM_RECEIPT || type == ESM_ACK ||
		    type == ESM_INTERMEDIATE)
			status = on_receipt(s, &in);
		else
			status = on_mo(s, &d, &in, pdu, len);
	}
	destroy_tlv(d.tlv);
	return send_header(s, DELIVER_SM_RESP, status, seq);
}

/* --- the session ---------------------------------------------------- */

static int
handle_pdu(struct smpp *s, const uint8_t *pdu, size_t len)
{
	uint32_t id = get32(pdu + 4), seq = get32(pdu + 12);

	switch (id) {
	case SUBMIT_SM_RESP:
		return on_submit_resp(s, pdu, len);
	case DELIVER_SM:
		return on_deliver(s, pdu, len);
	case ENQUIRE_LINK:
		return send_header(s, ENQUIRE_LINK_RESP, ESME_ROK, seq);
	case ENQUIRE_LINK_RESP:
		if (seq == s->enquire_seq)
			s->enquire_sent_ms = 0;
		return 0;
	case UNBIND:
		s->peer_unbound = 1;
		return send_header(s, UNBIND_RESP, ESME_ROK, seq);
	case UNBIND_RESP:
		if (seq == s->unbind_seq)
			s->unbind_answered = 1;
		return 0;
	case GENERIC_NACK:
		/* A nack of a submit_sm is its answer. */
		for (int i = 0; i < s->window; i++) {
			if (s->win[i].row != NULL && s->win[i].seq == seq)
				return on_submit_resp(s, pdu, len);
		}
		log_warnx("smpp: generic_nack 0x%08x from the SMSC",
			  get32(pdu + 8));
		return 0;
	default:
		if (id & 0x80000000)
			return 0; /* an answer to nothing we asked */
		return send_header(s, GENERIC_NACK, ESME_RINVCMDID, seq);
	}
}

/* Reads and handles what came within TIMEOUT_MS. 0, or -1 when the
   connection is gone. */
static int
pump(struct smpp *s, int64_t timeout_ms)
{
	long len;

	if (read_some(s, timeout_ms) < 0)
		return -1;
	while ((len = pdu_ready(s)) > 0) {
		if (handle_pdu(s, s->rx, (size_t)len) < 0)
			return -1;
		pdu_consume(s, (size_t)len);
	}
	return len < 0 ? -1 : 0;
}

/* Keeps the link alive: an enquire_link after smpp_enquire_link of
   silence. 0, or -1 when the last one went unanswered, or a submit_sm
   has waited twice smpp_enquire_link for its answer: an answer the
   SMSC lost would hold its window slot, and the batch behind it, for
   as long as the session lasts (the SMSC answering enquire_link all
   along); connecting again sends its row again. */
static int
keepalive(struct smpp *s)
{
	int64_t t = now_ms();

	for (int i = 0; i < s->window; i++) {
		if (s->win[i].row != NULL &&
		    t - s->win[i].sent_ms >= 2 * s->enquire_ms) {
			log_warnx("smpp: %s:%u: no answer to a submit_sm in "
				  "%lld s", s->host, s->port,
				  (long long)(t - s->win[i].sent_ms) / 1000);
			return -1;
		}
	}
	if (s->enquire_sent_ms != 0) {
		if (t - s->enquire_sent_ms < s->enquire_ms)
			return 0;
		log_warnx("smpp: %s:%u: no answer to enquire_link", s->host,
			  s->port);
		return -1;
	}
	if (t - s->last_rx_ms < s->enquire_ms)
		return 0;
	s->enquire_seq = next_seq(s);
	s->enquire_sent_ms = t;
	return send_header(s, ENQUIRE_LINK, ESME_ROK, s->enquire_seq);
}

static void
flush_parts(struct smpp *s)
{
	int64_t t = cirm_now();
	char *err = NULL;

	if (t - s->last_flush < SMPP_FLUSH_INTERVAL)
		return;
	s->last_flush = t;
	if (sms_flush_parts(s->ctx, t, s->parts_timeout, &err) < 0) {
		log_warnx("smpp: cannot put incomplete SMS in the inbox: %s", err);
		free(err);
	}
}

/* How long to wait for the SMSC before there is something to do. */
static int64_t
wait_ms(const struct smpp *s)
{
	int64_t t = now_ms(), w = 1000;

	if (s->throttle_until_ms > t && s->throttle_until_ms - t < w)
		w = s->throttle_until_ms - t;
	if (s->rate > 0 && s->next_slot_us / 1000 > t && s->nused < s->window &&
	    s->next_slot_us / 1000 - t + 1 < w)
		w = s->next_slot_us / 1000 - t + 1;
	if (s->have_batch && s->nused < s->window && t >= s->throttle_until_ms &&
	    (s->rate == 0 || now_us() >= s->next_slot_us) &&
	    (s->cur < s->nrows || s->nagain > 0))
		w = 0;
	return w;
}

/* Stops sending, lets the window drain, unbinds. */
static void
unbind(struct smpp *s)
{
	int64_t deadline = now_ms() + SMPP_STOP_WAIT_MS;

	while (s->nused > 0 && now_ms() < deadline && !s->peer_unbound)
		if (pump(s, deadline - now_ms()) < 0)
			return;
	if (s->peer_unbound)
		return;
	s->unbind_seq = next_seq(s);
	if (send_header(s, UNBIND, ESME_ROK, s->unbind_seq) < 0)
		return;
	deadline = now_ms() + SMPP_STOP_WAIT_MS;
	while (!s->unbind_answered && now_ms() < deadline)
		if (pump(s, deadline - now_ms()) < 0)
			return;
}

/* One connection, bound until it breaks, the gateway stops, or (with
   --once) nothing is left to send. 0 for a clean end, -1. */
static int
session(struct smpp *s)
{
	char *err = NULL;
	int ret = -1, r;

	s->rxlen = 0;
	s->peer_unbound = s->unbind_answered = 0;
	s->enquire_sent_ms = 0;
	s->fd = tcp_connect(s->host, s->port, &err);
	if (s->fd < 0) {
		log_warnx("smpp: %s", err);
		free(err);
		return -1;
	}
	if (s->tls != NULL) {
		char terr[TLS_ERROR_MAX];
		struct timeval tv = { .tv_sec = SMPP_TIMEOUT_MS / 1000 };

		/* A handshake that stalls gives up in time, as writes do. */
		setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		/* Not a byte of the bind (the password) before the
		   certificate holds. */
		if (tls_client_connect(s->tls, s->fd, s->host, &s->ssl, terr,
				       sizeof(terr)) <= 0) {
			log_errorx("smpp: %s:%u: %s", s->host, s->port, terr);
			goto out;
		}
		tv.tv_sec = 0;
		setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	if (bind_session(s) < 0)
		goto out;
	s->bound = 1;
	gateway_problem_clear(s->ctx);
	s->last_rx_ms = now_ms();
	log_info("smpp: bound to %s:%u as a transceiver", s->host, s->port);
	while (!gateway_stopping() && !s->peer_unbound) {
		r = batch_load(s);
		if (r < 0)
			goto out;
		if (r == 0 && s->ctx->once && s->nused == 0) {
			ret = 0;
			break;
		}
		if (s->have_batch && fill_window(s) < 0)
			goto out;
		if (pump(s, wait_ms(s)) < 0 || keepalive(s) < 0)
			goto out;
		if (s->have_batch && batch_finished(s))
			rows_free(s);
		flush_parts(s);
	}
	if (!s->peer_unbound) {
		unbind(s);
		ret = 0;
	} else
		log_info("smpp: %s:%u: the SMSC ended the session", s->host,
			 s->port);
out:
	rows_requeue(s, gateway_stopping() ?
		     "the gateway stopped before the SMSC answered" :
		     "the connection to the SMSC broke before it answered");
	if (s->ssl != NULL) {
		SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	close(s->fd);
	s->fd = -1;
	log_info("smpp: %lu submit_sm, %lu SMS sent, %lu deferred, %lu failed, "
		 "%lu received, %lu receipts", s->submits, s->sent, s->deferred,
		 s->failed, s->received, s->receipts);
	return ret;
}

/* --- the gateway ---------------------------------------------------- */

static int
smpp_init(struct smpp *s, struct gateway_ctx *ctx)
{
	const struct cfg *cfg = ctx->cfg;
	const char *type = cfg_str(cfg, CFG_SMPP_SYSTEM_TYPE), *ids;
	char *err = NULL;
	bool digits;

	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->fd = -1;
	s->host = cfg_str(cfg, CFG_SMPP_HOST);
	s->port = (unsigned int)cfg_int(cfg, CFG_SMPP_PORT);
	s->system_id = cfg_str(cfg, CFG_SMPP_SYSTEM_ID);
	s->system_type = strcmp(type, "none") == 0 ? "" : type;
	s->source = cfg_str(cfg, CFG_SMPP_SOURCE);
	s->dc0_gsm = strcmp(cfg_str(cfg, CFG_SMPP_DEFAULT_ALPHABET), "gsm") == 0;
	s->dc0_latin1 = strcmp(cfg_str(cfg, CFG_SMPP_DEFAULT_ALPHABET),
			       "latin1") == 0;
	/* Digits alone are a short code ("72456") or a national number,
	   which citizens answer as they answer a number: TON national.
	   Sent as a name, many phones cannot answer it. */
	digits = s->source[0] != '\0' &&
		strspn(s->source, "0123456789") == strlen(s->source);
	s->source_ton = s->source[0] == '+' ? TON_International :
		digits ? TON_National : TON_Alphanumeric;
	s->source_npi = s->source[0] == '+' || digits ? NPI_ISDN_E163_E164 :
		NPI_Unknown;
	if (s->source[0] != '+' && !digits)
		log_warnx("smpp: smpp_source is the name '%s': citizens cannot "
			  "answer the SMS they get, though the acknowledgement "
			  "and the answers ask them to (and to send STOP); set "
			  "it to the number they write to (+46...)", s->source);
	s->window = (int)cfg_int(cfg, CFG_SMPP_WINDOW);
	s->rate = (int)cfg_int(cfg, CFG_SMPP_RATE);
	s->long_payload = strcmp(cfg_str(cfg, CFG_SMPP_LONG), "payload") == 0;
	ids = cfg_str(cfg, CFG_SMPP_RECEIPT_IDS);
	if (strcmp(ids, "as-sent") != 0) {
		s->submit_base = strncmp(ids, "hex", 3) == 0 ? 16 : 10;
		s->receipt_base = strcmp(strchr(ids, '-') + 1, "hex") == 0 ?
			16 : 10;
	}
	s->enquire_ms = cfg_int(cfg, CFG_SMPP_ENQUIRE_LINK) * 1000;
	s->poll_ms = cfg_int(cfg, CFG_SMTP_POLL_INTERVAL) * 1000;
	s->parts_timeout = cfg_int(cfg, CFG_SMS_PARTS_TIMEOUT);
	s->win = xcalloc((size_t)s->window, sizeof(*s->win));
	if (strcmp(cfg_str(cfg, CFG_SMPP_TLS), "none") != 0) {
		char terr[TLS_ERROR_MAX];

		s->tls = tls_client_new("smpp_ca_file",
					cfg_str(cfg, CFG_SMPP_CA_FILE), terr,
					sizeof(terr));
		if (s->tls == NULL) {
			log_errorx("smpp: %s", terr);
			return -1;
		}
	} else if (!host_is_loopback(s->host))
		log_warnx("smpp: smpp_tls is none: the password and every SMS "
			  "cross the network in clear; the link to %s must be "
			  "protected otherwise (a VPN or a leased line)",
			  s->host);
	if (strlen(s->system_id) > SMPP_SYSTEM_ID_MAX ||
	    strlen(s->system_type) > SMPP_SYSTEM_TYPE_MAX) {
		log_errorx("smpp: smpp_system_id may have %d characters and "
			   "smpp_system_type %d", SMPP_SYSTEM_ID_MAX,
			   SMPP_SYSTEM_TYPE_MAX);
		return -1;
	}
	/* Each claim and each 'sent' is its own commit: durable enough
	   in WAL mode without an fsync each (at worst a row goes out
	   again). */
	if (store_set_synchronous(ctx->store, 0, &err) < 0) {
		log_errorx("smpp: %s", err);
		free(err);
		return -1;
	}
	return 0;
}

static int
run(struct gateway_ctx *ctx)
{
	struct smpp s;
	int backoff = 1, ret = 0;

	if (smpp_init(&s, ctx) < 0) {
		free(s.win);
		tls_client_free(&s.tls);
		return -1;
	}
	log_info("smpp: sending and receiving SMS through %s:%u (window %d%s)",
		 s.host, s.port, s.window, s.tls != NULL ? ", TLS" : "");
	while (!gateway_stopping()) {
		s.bound = 0;
		if (session(&s) == 0)
			break;
		if (ctx->once) {
			ret = -1;
			break;
		}
		if (s.bound)
			backoff = 1;
		else	/* it runs, and no SMS comes or goes */
			gateway_problem(ctx, "%s:%u: cannot connect or bind "
					"(see the log)", s.host, s.port);
		log_info("smpp: connecting again in %d s", backoff);
		gateway_sleep(backoff);
		backoff = backoff * 2 > SMPP_RECONNECT_MAX ? SMPP_RECONNECT_MAX :
			backoff * 2;
	}
	free(s.win);
	free(s.again);
	tls_client_free(&s.tls);
	return ret;
}

static int
enabled(const struct cfg *cfg)
{
	const char *host = cfg_str(cfg, CFG_SMPP_HOST);

	return strcmp(cfg_str(cfg, CFG_SMS_TRANSPORT), "smpp") == 0 &&
		*host != '\0' && strcmp(host, "none") != 0;
}

const struct cirm_gateway gateway_smpp = {
	.name = "smpp",
	.channel = "sms",
	.enabled = enabled,
	.run = run,
};
