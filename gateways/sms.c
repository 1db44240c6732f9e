/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The inbound side every SMS driver shares: envelopes, concatenated
   messages put together in the store, and delivery receipts. */
#include "config.h"

#include "sms.h"

#include "blob.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
add_header(FILE *f, const char *name, const char *value)
{
	fprintf(f, "%s: ", name);
	for (const char *p = value; *p != '\0'; p++)
		putc(*p == '\r' || *p == '\n' ? ' ' : *p, f);
	putc('\n', f);
}

char *
sms_envelope(const struct sms_in *in, unsigned got, unsigned total,
	     size_t *len_r)
{
	char *env = NULL;
	FILE *f = open_memstream(&env, len_r);

	if (f == NULL)
		fatalx("out of memory");
	add_header(f, "From", in->from);
	if (in->to != NULL && *in->to != '\0')
		add_header(f, "To", in->to);
	if (in->id != NULL && *in->id != '\0')
		add_header(f, "Id", in->id);
	if (got < total)
		fprintf(f, "Parts: %u/%u\n", got, total);
	putc('\n', f);
	fwrite(in->text, 1, in->len, f);
	if (fclose(f) != 0)
		fatalx("out of memory");
	return env;
}

/* The escape to GSM-7's extension table, where sms_decode leaves one
   that ends a part, for the next part's first character. */
#define SMS_ESC '\x1b'

static int
is_high(unsigned u)
{
	return u >= 0xd800 && u <= 0xdbff;
}

static int
is_low(unsigned u)
{
	return u >= 0xdc00 && u <= 0xdfff;
}

/* The three-byte form of the surrogate U at OUT. */
static size_t
surrogate_put(unsigned u, char *out)
{
	out[0] = (char)0xed;
	out[1] = (char)(0x80 | (u >> 6 & 0x3f));
	out[2] = (char)(0x80 | (u & 0x3f));
	return 3;
}

/* Whether MSG (GSM-7) ends in an escape without its code. */
static int
dangling_escape(const struct gsm_msg *msg)
{
	size_t i = 0;

	while (i < msg->n) {
		if (msg->u[i] == GSM7_ESC && i + 1 == msg->n)
			return 1;
		i += msg->u[i] == GSM7_ESC ? 2 : 1;
	}
	return 0;
}

char *
sms_decode(const struct gsm_msg *msg, int part, size_t *len_r)
{
	size_t lead, trail, n, o = 0;
	char *body, *out;

	if (part && msg->enc == GSM_GSM7 && dangling_escape(msg)) {
		body = gsm_decode(msg, 0, msg->n - 1, &n);
		body = xrealloc(body, n + 2);
		body[n++] = SMS_ESC;
		body[n] = '\0';
		*len_r = n;
		return body;
	}
	if (!part || msg->enc != GSM_UCS2 || msg->n == 0)
		return gsm_decode(msg, 0, msg->n, len_r);
	lead = is_low(msg->u[0]) ? 1 : 0;
	trail = msg->n > lead && is_high(msg->u[msg->n - 1]) ? 1 : 0;
	body = gsm_decode(msg, lead, msg->n - lead - trail, &n);
	out = xmalloc(n + 7);
	if (lead)
		o += surrogate_put(msg->u[0], out);
	memcpy(out + o, body, n);
	o += n;
	if (trail)
		o += surrogate_put(msg->u[msg->n - 1], out + o);
	out[o] = '\0';
	free(body);
	*len_r = o;
	return out;
}

/* The surrogate in its three-byte form at P (of LEN bytes), or 0. */
static unsigned
surrogate_at(const unsigned char *p, size_t len)
{
	if (len < 3 || p[0] != 0xed || p[1] < 0xa0 || p[1] > 0xbf ||
	    (p[2] & 0xc0) != 0x80)
		return 0;
	return 0xd000u | (unsigned)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
}

/* Joins, in TEXT of *LEN bytes, each high surrogate followed by a low
   one (sms_decode's halves of a pair split between parts) into their
   character, and makes any other U+FFFD, so that the inbox gets valid
   UTF-8. In place: the text only shrinks. */
static void
surrogates_join(char *text, size_t *len)
{
	unsigned char *s = (unsigned char *)text;
	size_t i = 0, o = 0;

	while (i < *len) {
		unsigned hi = surrogate_at(s + i, *len - i), lo;

		if (hi == 0) {
			s[o++] = s[i++];
			continue;
		}
		lo = is_high(hi) ? surrogate_at(s + i + 3, *len - i - 3) : 0;
		if (is_low(lo)) {
			uint32_t cp = 0x10000 + ((hi - 0xd800) << 10) +
				      (lo - 0xdc00);

			s[o++] = (unsigned char)(0xf0 | cp >> 18);
			s[o++] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
			s[o++] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
			s[o++] = (unsigned char)(0x80 | (cp & 0x3f));
			i += 6;
		} else {
			s[o++] = 0xef;
			s[o++] = 0xbf;
			s[o++] = 0xbd;
			i += 3;
		}
	}
	*len = o;
}

static int
queue_whole(struct gateway_ctx *ctx, const struct sms_in *in, unsigned got,
	    unsigned total, char **error_r)
{
	char *env, *key = NULL, sha[BLOB_ID_LEN + 1], *text;
	struct sms_in fixed = *in;
	size_t len;
	int64_t id;
	int r;

	text = xmalloc(in->len + 1);
	memcpy(text, in->text, in->len);
	fixed.text = text;
	surrogates_join(text, &fixed.len);
	env = sms_envelope(&fixed, got, total, &len);
	free(text);
	if (in->id != NULL && *in->id != '\0')
		key = xasprintf("sms:%s:%s", ctx->name, in->id);
	else if (in->key != NULL && *in->key != '\0')
		key = xasprintf("sms:%s:%s", ctx->name, in->key);
	blob_id(env, len, sha);
	r = store_inbox_put_keyed(ctx->store, ctx->channel, ctx->name,
				  in->received_at, key, env, len, sha, &id,
				  error_r);
	free(key);
	free(env);
	return r;
}

/* Where parts never came, the text says so: whoever reads it sees the
   gap, not two pieces glued together as if they were one sentence. */
#define SMS_GAP "[\u2026]"

struct joined {
	FILE *f;
	unsigned got, next; /* parts joined; the seq expected next */
	int esc;	    /* the last part ended in an escape */
};

/* The extension table's character for the default alphabet's
   character CP after an escape (3GPP TS 23.038 6.2.1.1), or 0. */
static uint32_t
gsm7_extended(uint32_t cp)
{
	static const uint32_t map[][2] = {
		{ 0x039b, '^' }, { '(', '{' }, { ')', '}' }, { '/', '\\' },
		{ '<', '[' }, { '=', '~' }, { '>', ']' }, { 0x00a1, '|' },
		{ 'e', 0x20ac },
	};

	for (size_t i = 0; i < N_ELEMENTS(map); i++)
		if (map[i][0] == cp)
			return map[i][1];
	return 0;
}

/* Writes the character of the extension table that the first
   character of TEXT (LEN bytes) stands for, when it follows an escape
   that ended the part before. Returns the bytes of TEXT that took, 0
   when it has none (it then stays itself, as gsm_decode has it). */
static size_t
put_extended(FILE *f, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	uint32_t cp = s[0], ext;
	size_t n = 1;

	if (s[0] >= 0xc0 && s[0] < 0xe0 && len >= 2)
		cp = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f), n = 2;
	else if (s[0] >= 0x80)
		return 0;
	ext = gsm7_extended(cp);
	if (ext == 0)
		return 0;
	if (ext == 0x20ac)
		fputs("\u20ac", f);
	else
		putc((int)ext, f);
	return n;
}

static int
join_part(const struct store_sms_part *p, void *arg)
{
	struct joined *j = arg;
	const char *t = p->text;
	size_t len = strlen(t);
	int esc = len > 0 && t[len - 1] == SMS_ESC;

	if (esc)
		len--;
	if (j->esc && (p->seq > j->next || len == 0))
		putc(' ', j->f); /* an escape with no code is a space */
	if (p->seq > j->next)
		fputs(j->got > 0 ? " " SMS_GAP " " : SMS_GAP " ", j->f);
	if (j->esc && p->seq == j->next && len > 0) {
		size_t n = put_extended(j->f, t, len);

		t += n;
		len -= n;
	}
	fwrite(t, 1, len, j->f);
	j->esc = esc;
	j->got++;
	j->next = p->seq + 1;
	return 0;
}

/* Queues the message KEY names from the parts stored (with IN's
   from/to/time) and marks them done (remembered a while, so that
   a part delivered again is known). */
static int
queue_parts(struct gateway_ctx *ctx, const struct store_sms_part *key,
	    int64_t received_at, char **error_r)
{
	struct sms_in whole = {
		.from = key->sender, .to = key->recipient,
		.received_at = received_at,
	};
	struct joined j = { .next = 1 };
	char *text = NULL;
	size_t len = 0;
	int r;

	j.f = open_memstream(&text, &len);
	if (j.f == NULL)
		fatalx("out of memory");
	r = store_sms_parts_of(ctx->store, key, join_part, &j, error_r);
	if (j.esc)
		putc(' ', j.f);
	if (r >= 0 && j.got > 0 && j.next <= key->total)
		fputs(" " SMS_GAP, j.f);
	if (fclose(j.f) != 0)
		fatalx("out of memory");
	if (r < 0) {
		free(text);
		return -1;
	}
	whole.text = text;
	whole.len = len;
	r = queue_whole(ctx, &whole, j.got, key->total, error_r);
	free(text);
	if (r < 0 || store_sms_parts_done(ctx->store, key, cirm_now(),
					  error_r) < 0)
		return -1;
	return 1;
}

static int
deliver(struct gateway_ctx *ctx, const struct sms_in *in, char **error_r)
{
	struct store_sms_part p;
	char *text;
	int r;

	if (in->concat == NULL || in->concat->total <= 1)
		return queue_whole(ctx, in, 1, 1, error_r);
	if (in->concat->seq < 1 || in->concat->seq > in->concat->total) {
		/* Not a part of anything we can put together: the text
		   itself is all there is. */
		return queue_whole(ctx, in, 1, 1, error_r);
	}
	text = xmalloc(in->len + 1);
	memcpy(text, in->text, in->len);
	text[in->len] = '\0';
	p = (struct store_sms_part){
		.source = ctx->name, .sender = in->from,
		.recipient = in->to != NULL ? in->to : "",
		.ref = in->concat->ref, .total = in->concat->total,
		.seq = in->concat->seq, .text = text,
		.received_at = in->received_at,
	};
	r = store_sms_part_add(ctx->store, &p, error_r);
	free(text);
	if (r <= 0)
		return r;
	r = store_sms_parts_of(ctx->store, &p, NULL, NULL, error_r);
	if (r < 0)
		return -1;
	if ((unsigned)r < p.total)
		return 0;
	return queue_parts(ctx, &p, in->received_at, error_r);
}

int
sms_deliver(struct gateway_ctx *ctx, const struct sms_in *in, char **error_r)
{
	int r;

	if (store_begin(ctx->store, error_r) < 0)
		return -1;
	r = deliver(ctx, in, error_r);
	if (r < 0 || store_commit(ctx->store, error_r) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	if (r > 0)
		gateway_notify();
	return r;
}

struct stale {
	struct store_sms_part *v;
	size_t n;
};

static int
add_stale(const struct store_sms_part *p, void *arg)
{
	struct stale *s = arg;
	struct store_sms_part *c;

	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	c = &s->v[s->n++];
	*c = *p;
	c->source = xstrdup(p->source);
	c->sender = xstrdup(p->sender);
	c->recipient = xstrdup(p->recipient);
	c->text = NULL;
	return 0;
}

static void
stale_clear(struct stale *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free((char *)s->v[i].source);
		free((char *)s->v[i].sender);
		free((char *)s->v[i].recipient);
	}
	free(s->v);
}

int
sms_flush_parts(struct gateway_ctx *ctx, int64_t now, int64_t timeout,
		char **error_r)
{
	struct stale s = { 0 };
	int n = 0;

	if (store_begin(ctx->store, error_r) < 0)
		return -1;
	/* Every driver's parts: one SMS transport runs at a time, and the
	   parts another left (sms_transport changed meanwhile) would wait
	   for ever. */
	if (store_sms_parts_stale(ctx->store, NULL, now - timeout, 100,
				  add_stale, &s, error_r) < 0 ||
	    store_sms_parts_forget(ctx->store, NULL, now - timeout,
				   error_r) < 0)
		goto fail;
	for (size_t i = 0; i < s.n; i++) {
		if (queue_parts(ctx, &s.v[i], s.v[i].received_at, error_r) < 0)
			goto fail;
		n++;
	}
	if (store_commit(ctx->store, error_r) < 0)
		goto fail;
	if (n > 0) {
		log_warnx("%s: %d SMS put in the inbox without all their parts",
			  ctx->name, n);
		gateway_notify();
	}
	stale_clear(&s);
	return n;
fail:
	store_rollback(ctx->store);
	stale_clear(&s);
	return -1;
}

int
sms_quarantine(struct gateway_ctx *ctx, const void *raw, size_t len,
	       int64_t received_at, const char *key, const char *reason,
	       char **error_r)
{
	int64_t id;
	int r;

	if (store_begin(ctx->store, error_r) < 0)
		return -1;
	r = store_inbox_put(ctx->store, ctx->channel, ctx->name, received_at,
			    key, raw, len, &id, error_r);
	if (r > 0 && store_inbox_quarantine(ctx->store, id, reason,
					    cirm_now(), NULL, error_r) < 0)
		r = -1;
	if (r < 0 || store_commit(ctx->store, error_r) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	return r;
}

static int
do_sent(struct gateway_ctx *ctx, struct outbound_msg *m, const char *remote_id,
	char **error_r)
{
	if (store_begin(ctx->store, error_r) < 0)
		return -1;
	if (store_outbox_sent_remote(ctx->store, m->id, cirm_now(), remote_id,
				     error_r) < 0 ||
	    store_commit(ctx->store, error_r) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	return 0;
}

int
sms_sent(struct gateway_ctx *ctx, struct outbound_msg *m, const char *remote_id)
{
	char *err = NULL;

	m->done = 1;
	if (do_sent(ctx, m, remote_id, &err) < 0) {
		log_errorx("%s: outbox row %lld: cannot mark it sent: %s",
			   ctx->name, (long long)m->id, err);
		free(err);
		return -1;
	}
	return 0;
}

int
sms_receipt(struct gateway_ctx *ctx, const char *remote_id, const char *stat,
	    const char *err, const char *said, char **error_r)
{
	static const char *const delivered[] = { "DELIVRD", NULL };
	static const char *const failed[] = {
		"EXPIRED", "DELETED", "UNDELIV", "REJECTD", "UNKNOWN", NULL,
	};
	enum store_receipt outcome = STORE_RECEIPT_PENDING;
	char *receipt;
	int r;

	for (size_t i = 0; delivered[i] != NULL; i++)
		if (strcmp(stat, delivered[i]) == 0)
			outcome = STORE_RECEIPT_DELIVERED;
	for (size_t i = 0; failed[i] != NULL; i++)
		if (strcmp(stat, failed[i]) == 0)
			outcome = STORE_RECEIPT_FAILED;
	receipt = said != NULL ? xstrdup(said) :
		err != NULL && *err != '\0' ?
		xasprintf("stat:%s err:%s", stat, err) :
		xasprintf("stat:%s", stat);
	if (store_begin(ctx->store, error_r) < 0) {
		free(receipt);
		return -1;
	}
	r = store_outbox_receipt(ctx->store, ctx->channel, remote_id, receipt,
				 outcome, cirm_now(), error_r);
	free(receipt);
	if (r < 0 || store_commit(ctx->store, error_r) < 0) {
		store_rollback(ctx->store);
		return -1;
	}
	/* a failure is the engine's to raise on the case */
	if (r > 0 && outcome == STORE_RECEIPT_FAILED)
		gateway_notify();
	return r;
}

char *
sms_unknown_type_sender(const char *number, const char *country_code)
{
	const char *cc = country_code + (country_code[0] == '+');

	if (*cc != '\0' && strncmp(number, cc, strlen(cc)) == 0)
		return xasprintf("+%s", number);
	return xasprintf("0%s", number);
}
