/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SMTP outbound gateway: sends the outbox's mail to one submission
   server with libESMTP, a batch of messages per connection, over
   smtp_connections connections at once. Each connection is a worker
   thread with its own database connection and libESMTP session, and
   sends the rows of its share of the cases (store_outbox_due), so that
   a case's mail keeps its order.

   Each message is claimed (committed 'sending') when libESMTP asks for
   its data, that is after the server accepted its envelope and before a
   byte of it is written, and marked 'sent' when the server accepted it:
   at any moment at most one row a connection is in flight. A 4xx
   answer or a broken connection puts the row back with a growing
   delay; a 5xx answer fails it for good with the server's reason, for
   the engine to raise, unless it refuses our sender address, will not
   relay for us, or wants a login we do not give (settings to fix, not
   the mail's fault: the row waits, refusal_of). Rows a broken
   connection kept us from trying count no attempt.

   TLS: libESMTP's own checks know neither our CA file nor address
   literals, and its STARTTLS handling proved unreliable with Postfix
   (at times it sent QUIT right after EHLO over TLS). So TLS is done
   here, by a relay thread per connection: it connects, does STARTTLS
   (or implicit TLS) itself, verifies the chain (tls.c) against
   smtp_ca_file or the system store, for the purpose "TLS server" and
   for smtp_host (a name or an address), and only then hands libESMTP a
   plain loopback socket with the server's greeting. A certificate we do
   not accept ends the connection before EHLO, AUTH or any mail. */
#include "config.h"

#include "gateway.h"
#include "log.h"
#include "secret.h"
#include "tls.h"
#include "util.h"

#include <openssl/ssl.h>

#include <auth-client.h>
#include <libesmtp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

enum tls_mode { TLS_STARTTLS, TLS_IMPLICIT, TLS_NONE };

/* Permanent refusals that are not of the message but of a setting of
   ours (refusal_of): every mail would get the same, so none fails. */
enum refusal {
	REFUSED_LOGIN,	/* 530 with no smtp_user */
	REFUSED_RELAY,	/* the server will not relay for us */
	REFUSED_SENDER, /* mail_address, or smtp_user may not send as it */
	REFUSALS
};

enum {
	SMTP_TEXT_MAX = 200,	 /* bytes of a server's answer kept */
	RELAY_TIMEOUT_MS = 60000, /* implicit TLS: longest silence */
	/* A server greets at once; one silent this long after the
	   connection is most likely waiting for a TLS handshake (a port
	   for implicit TLS, with smtp_tls = starttls), as for IMAP. */
	SMTP_GREETING_MS = 15000,
	/* libESMTP's wait for the greeting and for each answer to the
	   envelope (MAIL, RCPT, RSET). In milliseconds, whatever its
	   documentation says: 60 was taken for 60 ms and raised to its
	   floor of a second, and a server that answers a second late
	   (Postfix past smtpd_soft_error_limit, a slow policy check) had
	   libESMTP drop the connection. */
	SMTP_REPLY_MS = 60000
};

struct smtp {
	struct gateway_ctx *ctx;
	const char *host, *user; /* user NULL: no AUTH */
	unsigned int port;
	enum tls_mode tls;
	struct tls_client *tls_client; /* NULL with smtp_tls = none */
	auth_context_t auth;
	char *password;
	size_t password_size;
	/* this session */
	int tls_ok, tls_refused, auth_sent, authed, connects;
	int sent, deferred, failed;
	int reached;		/* a message got an answer to its MAIL */
	/* Messages put back for each kind of refusal of a setting, and
	   the first such answer (refusals_report logs it once a batch). */
	int refused[REFUSALS], refused_any;
	char *refused_why[REFUSALS];
	struct relay *relay;
	char relay_why[256];	/* why the relay ended the session */
	struct outbound_msg *pending; /* sent, not yet recorded */
	int stopped;		      /* parked in its session (park) */
	int gated;		      /* holds first_session */
};

/* --- implicit TLS: a relay thread ----------------------------------- */

struct relay {
	struct smtp *s;
	int listen_fd, port;
	pthread_t thread;
};

/* A connection to HOST:PORT, or -1 with *why_r saying why (a name
   that does not resolve has no errno). */
static int
tcp_connect(const char *host, unsigned int port, const char **why_r)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char service[16];
	int fd = -1, r;

	snprintf(service, sizeof(service), "%u", port);
	r = getaddrinfo(host, service, &hints, &res);
	if (r != 0) {
		*why_r = r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r);
		return -1;
	}
	*why_r = "no address";
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			*why_r = strerror(errno);
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

/* Writes N bytes to the non-blocking TLS connection. 0, or -1. */
static int
ssl_write_all(SSL *ssl, const char *buf, int n)
{
	for (;;) {
		int w = SSL_write(ssl, buf, n), e;
		struct pollfd pfd = { .fd = SSL_get_fd(ssl) };

		if (w > 0)
			return 0;
		e = SSL_get_error(ssl, w);
		if (e == SSL_ERROR_WANT_WRITE)
			pfd.events = POLLOUT;
		else if (e == SSL_ERROR_WANT_READ)
			pfd.events = POLLIN;
		else
			return -1;
		if (poll(&pfd, 1, RELAY_TIMEOUT_MS) <= 0)
			return -1;
	}
}

/* Copies bytes between the plain socket P and the TLS connection SSL
   (its socket non-blocking, so that a record that is not data, such as
   a TLS 1.3 session ticket, never blocks the other direction) until
   one side closes. */
static void
pump(int p, SSL *ssl)
{
	int t = SSL_get_fd(ssl);
	char buf[16384];

	for (;;) {
		struct pollfd fds[2] = { { .fd = p, .events = POLLIN },
					 { .fd = t, .events = POLLIN } };
		int n;

		if (SSL_pending(ssl) == 0 && poll(fds, 2, RELAY_TIMEOUT_MS) <= 0)
			return;
		if (SSL_pending(ssl) > 0 || fds[1].revents != 0) {
			n = SSL_read(ssl, buf, sizeof(buf));
			if (n <= 0) {
				int e = SSL_get_error(ssl, n);

				if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
					return;
			}
			for (int off = 0; n > 0 && off < n;) {
				ssize_t w = write(p, buf + off, (size_t)(n - off));

				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					return;
				off += (int)w;
			}
		}
		if (fds[0].revents != 0) {
			ssize_t r = read(p, buf, sizeof(buf));

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0 || ssl_write_all(ssl, buf, (int)r) < 0)
				return;
		}
	}
}

/* Reads one SMTP reply (all its lines) from FD, a byte at a time so
   that nothing behind it is consumed. Its code, or -1. GREETING_R (may
   be NULL) gets the reply as it came; *starttls_r (may be NULL) whether
   a line offered STARTTLS. */
static int
read_reply(int fd, char **text_r, int *starttls_r)
{
	char line[1024];
	size_t n = 0, total = 0;
	int code = -1;
	char *all = NULL;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char c;

		if (poll(&pfd, 1, RELAY_TIMEOUT_MS) <= 0 || read(fd, &c, 1) != 1)
			break;
		if (n < sizeof(line) - 1)
			line[n++] = c;
		if (c != '\n')
			continue;
		line[n] = '\0';
		all = xrealloc(all, total + n + 1);
		memcpy(all + total, line, n + 1);
		total += n;
		if (starttls_r != NULL && n >= 12 &&
		    strncasecmp(line + 4, "STARTTLS", 8) == 0)
			*starttls_r = 1;
		if (n < 4 || line[0] < '2' || line[0] > '5') {
			code = -1;
			break;
		}
		if (line[3] != '-') {
			code = atoi(line);
			break;
		}
		n = 0;
	}
	if (text_r != NULL)
		*text_r = all;
	else
		free(all);
	return code;
}

static int
write_str(int fd, const char *str)
{
	size_t len = strlen(str);

	while (len > 0) {
		ssize_t w = write(fd, str, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		str += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Logs "HOST:PORT: reason" of a session the relay ends, and keeps the
   reason for cirmctl status: libESMTP sees only a dropped connection.
   Read after relay_stop() joined the thread. */
static void CIRM_PRINTF(2, 3)
relay_fail(struct smtp *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->relay_why, sizeof(s->relay_why), fmt, ap);
	va_end(ap);
	log_errorx("%s:%u: %s", s->host, s->port, s->relay_why);
}

/* STARTTLS on T up to the handshake; *greeting_r is the server's
   greeting, for libESMTP. 0, or -1 after logging. */
static int
starttls_prelude(struct smtp *s, int t, char **greeting_r)
{
	char host[256] = "localhost", *cmd;
	int offered = 0, r;
	struct pollfd pfd = { .fd = t, .events = POLLIN };

	if (poll(&pfd, 1, SMTP_GREETING_MS) <= 0) {
		relay_fail(s, "no SMTP greeting in %d s: if smtp_port is a "
			   "port for implicit TLS (usually 465), set smtp_tls = "
			   "implicit", SMTP_GREETING_MS / 1000);
		return -1;
	}
	if (read_reply(t, greeting_r, NULL) != 220) {
		relay_fail(s, "no SMTP greeting");
		return -1;
	}
	gethostname(host, sizeof(host) - 1);
	cmd = xasprintf("EHLO %s\r\n", host);
	r = write_str(t, cmd) < 0 ? -1 : read_reply(t, NULL, &offered);
	free(cmd);
	if (r != 250 || !offered) {
		relay_fail(s, "the server does not offer STARTTLS "
			   "(smtp_tls = starttls)");
		return -1;
	}
	if (write_str(t, "STARTTLS\r\n") < 0 || read_reply(t, NULL, NULL) != 220) {
		relay_fail(s, "STARTTLS refused");
		return -1;
	}
	/* Bytes behind the server's 220 would otherwise pass for
	   protected ones (the STARTTLS injection attacks). */
	if (poll(&pfd, 1, 0) > 0) {
		relay_fail(s, "data injected before TLS started; refusing "
			   "the session");
		return -1;
	}
	return 0;
}

static void *
relay_main(void *arg)
{
	struct relay *rl = arg;
	struct smtp *s = rl->s;
	struct pollfd pfd = { .fd = rl->listen_fd, .events = POLLIN };
	SSL *ssl = NULL;
	char *greeting = NULL, err[TLS_ERROR_MAX];
	const char *why;
	int p = -1, t = -1, r;

	if (poll(&pfd, 1, RELAY_TIMEOUT_MS) <= 0 ||
	    (p = accept4(rl->listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return NULL;
	t = tcp_connect(s->host, s->port, &why);
	if (t < 0) {
		relay_fail(s, "cannot connect: %s", why);
		goto out;
	}
	if (s->tls == TLS_STARTTLS && starttls_prelude(s, t, &greeting) < 0)
		goto out;
	/* Not a byte is passed on before the certificate holds. */
	r = tls_client_connect(s->tls_client, t, s->host, &ssl, err,
			       sizeof(err));
	if (r <= 0) {
		/* a handshake with a server that greets in plain text (a
		   submission port, with smtp_tls = implicit) fails so */
		relay_fail(s, "%s%s", err,
			   r < 0 && s->tls == TLS_IMPLICIT ?
			   "; if smtp_port is a plain port (usually 587), set "
			   "smtp_tls = starttls" : "");
		if (r == 0)
			s->tls_refused = 1;
		goto out;
	}
	s->tls_ok = 1;
	fcntl(t, F_SETFL, fcntl(t, F_GETFL) | O_NONBLOCK);
	/* libESMTP gets the greeting and says EHLO again, over TLS. */
	if (greeting != NULL && write_str(p, greeting) < 0)
		goto out;
	pump(p, ssl);
	SSL_shutdown(ssl);
out:
	free(greeting);
	SSL_free(ssl);
	if (t >= 0)
		close(t);
	close(p);
	return NULL;
}

/* Starts a relay for one connection; libESMTP connects to *port_r. */
static struct relay *
relay_start(struct smtp *s)
{
	struct relay *rl = xcalloc(1, sizeof(*rl));
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rl->s = s;
	rl->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (rl->listen_fd < 0 ||
	    bind(rl->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(rl->listen_fd, 1) < 0 ||
	    getsockname(rl->listen_fd, (struct sockaddr *)&sa, &len) < 0 ||
	    pthread_create(&rl->thread, NULL, relay_main, rl) != 0) {
		log_errorx("cannot start the TLS relay: %s", strerror(errno));
		if (rl->listen_fd >= 0)
			close(rl->listen_fd);
		free(rl);
		return NULL;
	}
	rl->port = ntohs(sa.sin_port);
	return rl;
}

static void
relay_stop(struct relay **rlp)
{
	struct relay *rl = *rlp;

	if (rl == NULL)
		return;
	/* Wakes a relay still waiting for libESMTP to connect. */
	shutdown(rl->listen_fd, SHUT_RDWR);
	pthread_join(rl->thread, NULL);
	close(rl->listen_fd);
	free(rl);
	*rlp = NULL;
}

/* --- libESMTP callbacks --------------------------------------------- */

/* The server's answer as kept in last_error: one line, printable. */
static char *
status_text(const smtp_status_t *st)
{
	char *t = st->enh_class > 0 ?
		xasprintf("%d %d.%d.%d %.*s", st->code, st->enh_class,
			  st->enh_subject, st->enh_detail, SMTP_TEXT_MAX,
			  st->text != NULL ? st->text : "") :
		xasprintf("%d %.*s", st->code, SMTP_TEXT_MAX,
			  st->text != NULL ? st->text : "");
	size_t n;

	for (char *p = t; *p != '\0'; p++) {
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	}
	n = strlen(t);
	while (n > 0 && t[n - 1] == ' ')
		t[--n] = '\0';
	return t;
}

/* Whether the permanent refusal ST is of cirm's sender address
   (mail_address, or smtp_user not allowed to send as it) rather than of
   the message or its recipient: any 5xx answer to MAIL (AT_MAIL), and
   elsewhere the enhanced codes for a bad sender address or domain
   (x.1.7, x.1.8), Exchange Online's SendAsDenied after the data
   (5.7.60), and Postfix's "Sender address rejected", which its sender
   restrictions give at RCPT by default (smtpd_delay_reject). 530 asks
   for a login and says nothing of the sender; 552 (x.3.4) at MAIL says
   the message is too big for the server (its SIZE), which is the
   message's own fault. */
static int
refuses_sender(const smtp_status_t *st, int at_mail)
{
	if (st->code < 500 || st->code > 599 || st->code == 530)
		return 0;
	if (at_mail)
		return st->code != 552 &&
		       !(st->enh_subject == 3 && st->enh_detail == 4);
	if (st->enh_class > 0 && st->enh_subject == 1 &&
	    (st->enh_detail == 7 || st->enh_detail == 8))
		return 1;
	if (st->enh_class == 5 && st->enh_subject == 7 && st->enh_detail == 60)
		return 1;
	return st->text != NULL &&
	       strstr(st->text, "Sender address rejected") != NULL;
}

/* What servers say when they will not relay for a client (Postfix's
   "Relay access denied", also Exchange Online's 5.7.64; sendmail's and
   Courier's "Relaying denied"; Exim's "relay not permitted"; Exchange's
   and IIS's "Unable to relay"; qmail's "sorry, that domain isn't in my
   list of allowed rcpthosts"), matched without regard to case. Only
   these: the word "relay" alone is also in a recipient's own refusal
   (Postfix's "User unknown in relay recipient table"), in the name of
   a host, or of a block list ("blocked using relays.example"). */
static const char *const relay_refusals[] = {
	"relay access denied",	"relaying denied",
	"relay denied",		"relay not permitted",
	"not permitted to relay", "unable to relay",
	"we do not relay",	"list of allowed rcpthosts",
};

/* Whether the permanent refusal ST says the server will not relay for
   us (it relays only for a login, or for its own networks): Exchange's
   5.7.54, or one of relay_refusals with a 5.7.x enhanced code (a
   policy) or none. Never a recipient unknown, whatever the words around
   it: without an enhanced code (libESMTP reads none from a server that
   does not offer ENHANCEDSTATUSCODES) only the text tells, and a
   recipient's mail waiting for a setting would wait for ever. An
   address that holds the words does not count (scrub_personal). */
static int
refuses_relay(const smtp_status_t *st)
{
	char *text;
	int relay = 0;

	if (st->code < 500 || st->code > 599)
		return 0;
	if (st->enh_class == 5 && st->enh_subject == 7 && st->enh_detail == 54)
		return 1;
	if ((st->enh_class > 0 && st->enh_subject != 7) || st->text == NULL)
		return 0;
	text = scrub_personal(st->text);
	if (strcasestr(text, "unknown") == NULL &&
	    strcasestr(text, "recipient table") == NULL) {
		for (size_t i = 0; i < N_ELEMENTS(relay_refusals); i++) {
			if (strcasestr(text, relay_refusals[i]) != NULL) {
				relay = 1;
				break;
			}
		}
	}
	free(text);
	return relay;
}

/* Which setting of ours the permanent refusal ST is of, or -1 when it
   is the message's own: a 530 (log in first) when we have no login,
   the server not relaying for us, our sender refused (AT_MAIL: ST
   answers the MAIL command). */
static int
refusal_of(const struct smtp *s, const smtp_status_t *st, int at_mail)
{
	if (st->code == 530 && s->user == NULL)
		return REFUSED_LOGIN;
	if (refuses_relay(st))
		return REFUSED_RELAY;
	if (refuses_sender(st, at_mail))
		return REFUSED_SENDER;
	return -1;
}

/* Records what the server said of message M; AT_MAIL: ST answers its
   MAIL command. */
static void
settle(struct smtp *s, struct outbound_msg *m, const smtp_status_t *st,
       int at_mail, const char *otherwise)
{
	/* Without the login the server may refuse what it would take
	   from us: that is not the mail's fault. */
	int permanent = st != NULL && st->code >= 500 && st->code < 600 &&
			(s->user == NULL || s->authed);
	int setting = permanent ? refusal_of(s, st, at_mail) : -1;
	char *why;

	if (st != NULL && st->code >= 200 && st->code < 300) {
		/* Recorded with the next claim, or at the end. */
		m->done = 1;
		s->pending = m;
		s->sent++;
		return;
	}
	if (s->pending != NULL) {
		outbound_sent(s->ctx, s->pending);
		s->pending = NULL;
	}
	why = st != NULL && st->code >= 400 ? status_text(st) :
		xstrdup(otherwise);
	if (setting >= 0) {
		/* Every mail would fail so, for a setting only the
		   operator can change: none fails, none counts an attempt
		   (the back-off would hold the mail up to a day after the
		   fix), and each waits smtp_retry_delay until it is fixed. */
		outbound_wait(s->ctx, m, why,
			      cfg_int(s->ctx->cfg, CFG_SMTP_RETRY_DELAY));
		if (s->refused_why[setting] == NULL)
			s->refused_why[setting] = scrub_personal(why);
		s->refused[setting]++;
		s->refused_any++;
		s->deferred++;
	} else if (permanent) {
		outbound_fail(s->ctx, m, why);
		s->failed++;
	} else {
		outbound_retry(s->ctx, m, why);
		s->deferred++;
	}
	free(why);
}

static void note_rcpt(smtp_recipient_t r, const char *mailbox, void *arg);

static void
on_event(smtp_session_t session, int event, void *arg, ...)
{
	struct smtp *s = arg;
	va_list ap;

	(void)session;
	va_start(ap, arg);
	switch (event) {
	case SMTP_EV_CONNECT:
		s->connects++;
		break;
	case SMTP_EV_MESSAGESENT: {
		smtp_message_t msg = va_arg(ap, smtp_message_t);
		struct outbound_msg *m = smtp_message_get_application_data(msg);

		const smtp_status_t *st = smtp_message_transfer_status(msg);

		/* With CHUNKING the data goes before the answer to RCPT:
		   a refused recipient shows there, not in the transfer. */
		if (m != NULL) {
			m->transport_status = NULL;
			smtp_enumerate_recipients(msg, note_rcpt, m);
			if (m->transport_status != NULL &&
			    ((const smtp_status_t *)m->transport_status)->code >= 400)
				st = m->transport_status;
		}
		if (m != NULL && m->claimed && !m->done)
			settle(s, m, st, 0, "no answer to the message");
		break;
	}
	default:
		break;
	}
	va_end(ap);
}

/* Notes whether AUTH succeeded, which libESMTP does not say: it goes on
   unauthenticated when the server refuses the login. */
static int
has_line(const char *buf, int len, const char *prefix)
{
	size_t n = strlen(prefix);

	for (int i = 0; i + (int)n <= len; i++) {
		if ((i == 0 || buf[i - 1] == '\n') &&
		    memcmp(buf + i, prefix, n) == 0)
			return 1;
	}
	return 0;
}

static void
on_protocol(const char *buf, int len, int writing, void *arg)
{
	struct smtp *s = arg;

	if (writing == SMTP_CB_WRITING) {
		if (has_line(buf, len, "AUTH "))
			s->auth_sent = 1;
	} else if (writing == SMTP_CB_READING && s->auth_sent == 1) {
		if (has_line(buf, len, "235"))
			s->authed = 1;
		if (has_line(buf, len, "2") || has_line(buf, len, "4") ||
		    has_line(buf, len, "5"))
			s->auth_sent = 2; /* answered */
	}
}

struct data_state {
	int done;
};

/* libESMTP fills a character table on its first use, when it reads a
   server's EHLO answer, with no lock (tokens.c): two sessions starting
   at once in two threads would fill it together while reading it. So
   sessions start one at a time until one has got as far as a
   message's data; from then on they run side by side. */
static pthread_mutex_t first_session = PTHREAD_MUTEX_INITIALIZER;
static int tokens_ready; /* under first_session */

static void
first_session_enter(struct smtp *s)
{
	pthread_mutex_lock(&first_session);
	if (tokens_ready)
		pthread_mutex_unlock(&first_session);
	else
		s->gated = 1;
}

/* READY: this session has read the server's EHLO answer. */
static void
first_session_leave(struct smtp *s, int ready)
{
	if (!s->gated)
		return;
	if (ready)
		tokens_ready = 1;
	s->gated = 0;
	pthread_mutex_unlock(&first_session);
}

/* Workers that are done: returned from their run, or parked in their
   session (park); run() waits for all of them. */
static pthread_mutex_t settled_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t settled_cond = PTHREAD_COND_INITIALIZER;
static int settled;

static void
settle_worker(struct smtp *s, int parked)
{
	pthread_mutex_lock(&settled_lock);
	s->stopped = parked;
	settled++;
	pthread_cond_signal(&settled_cond);
	pthread_mutex_unlock(&settled_lock);
}

/* Told to stop between two mails of a session: the worker stays here,
   its session as it is, and the connection ends with the process, once
   every other worker is at a point as safe as this (the server then
   drops the message whose data it was about to get). */
static _Noreturn void
park(struct smtp *s)
{
	settle_worker(s, 1);
	for (;;)
		pause();
}

/* libESMTP asks for a message's data once the server took its envelope
   and DATA: the moment to claim the row, before any of it is sent. */
static const char *
on_data(void **state, int *len, void *arg)
{
	struct outbound_msg *m = arg;
	struct data_state *ds;
	struct smtp *s;

	if (*state == NULL)
		*state = xcalloc(1, sizeof(struct data_state));
	ds = *state;
	if (len == NULL) {
		ds->done = 0;
		return NULL;
	}
	if (ds->done) {
		*len = 0;
		return NULL;
	}
	s = m->transport;
	first_session_leave(s, 1);
	if (!m->claimed) {
		struct outbound_msg *prev = s->pending;

		s->pending = NULL;
		/* Told to stop: after the message in hand, not after the
		   batch (smtp_batch mails may take longer than cirmd waits
		   before SIGKILL, which left a row in flight to be sent
		   again). Ending the connection before a byte of this one
		   makes the server drop it; it and the rest stay queued. */
		if (gateway_stopping()) {
			if (prev != NULL)
				outbound_sent(s->ctx, prev);
			log_info("%s:%u: stopping; %d sent, the rest waits for "
				 "the next run", s->host, s->port, s->sent);
			park(s);
		}
		if (s->tls != TLS_NONE && !s->tls_ok)
			fatalx("%s:%u: refusing to send over a connection whose "
			       "certificate was not verified", s->host, s->port);
		/* Neither going on (the row would go out unclaimed) nor
		   ending the data (the server would take a truncated
		   message) is right: stop, and the dropped connection makes
		   the server discard what it has. */
		if (outbound_advance(s->ctx, prev, m) != 1)
			fatalx("smtp: stopping: outbox row %lld could not be "
			       "claimed", (long long)m->id);
	}
	ds->done = 1;
	*len = (int)m->len;
	return m->data;
}

static int
interact(auth_client_request_t req, char **result, int fields, void *arg)
{
	struct smtp *s = arg;

	for (int i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_USER)
			result[i] = (char *)s->user;
		else if (req[i].flags & AUTH_PASS)
			result[i] = s->password;
		else
			return 0;
	}
	return 1;
}

/* --- a session ------------------------------------------------------ */

static int
password_load(struct smtp *s)
{
	char *err = NULL;
	size_t len;

	if (s->user == NULL)
		return 0;
	if (secret_read(cfg_str(s->ctx->cfg, CFG_SMTP_PASSWORD_FILE),
			&s->password, &s->password_size, &err) < 0) {
		/* cirm.conf takes a password file that is not there yet
		   (cirm-mailgate reads it too, and must not tempfail for
		   it): what to do is said here */
		log_errorx("smtp_password_file: %s (smtp_user is set: put its "
			   "password in that file, mode 0600, or set smtp_user "
			   "= none); the mail waits", err);
		free(err);
		return -1;
	}
	len = s->password_size;
	if (len > 0 && s->password[len - 1] == '\n')
		s->password[--len] = '\0';
	if (len > 0 && s->password[len - 1] == '\r')
		s->password[--len] = '\0';
	return 0;
}

static smtp_session_t
session_new(struct smtp *s, struct outbound_batch *b)
{
	smtp_session_t ss = smtp_create_session();
	char server[300];

	if (ss == NULL)
		fatalx("out of memory");
	if (s->tls != TLS_NONE) {
		s->relay = relay_start(s);
		if (s->relay == NULL) {
			smtp_destroy_session(ss);
			return NULL;
		}
		snprintf(server, sizeof(server), "127.0.0.1:%d", s->relay->port);
	} else
		snprintf(server, sizeof(server), strchr(s->host, ':') != NULL ?
			 "[%s]:%u" : "%s:%u", s->host, s->port);
	smtp_set_server(ss, server);
	smtp_set_eventcb(ss, on_event, s);
	smtp_set_monitorcb(ss, on_protocol, s, 0);
	smtp_set_timeout(ss, Timeout_GREETING | Timeout_OVERRIDE_RFC2822_MINIMUM,
			 SMTP_REPLY_MS);
	smtp_set_timeout(ss, Timeout_ENVELOPE | Timeout_OVERRIDE_RFC2822_MINIMUM,
			 SMTP_REPLY_MS);
	/* TLS is the relay's business, STARTTLS included. */
	smtp_starttls_enable(ss, Starttls_DISABLED);
	if (s->user != NULL) {
		/* A context per session: one that has logged in once does
		   not start over. */
		s->auth = auth_create_context();
		if (s->auth == NULL)
			fatalx("out of memory");
		/* PLAIN and LOGIN send the password as it is: only ever over
		   TLS, or to a server on this machine. */
		auth_set_mechanism_flags(s->auth, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(s->auth, interact, s);
		smtp_auth_set_context(ss, s->auth);
	}
	for (size_t i = 0; i < b->n; i++) {
		struct outbound_msg *m = &b->v[i];
		smtp_message_t msg = smtp_add_message(ss);

		m->transport = s;
		smtp_set_reverse_path(msg, b->from);
		smtp_add_recipient(msg, m->recipient);
		smtp_set_messagecb(msg, on_data, m);
		smtp_message_set_application_data_release(msg, m, NULL);
	}
	return ss;
}

/* What became of a message the session did not settle. */
static void
settle_one(smtp_message_t msg, void *arg)
{
	struct smtp *s = ((void **)arg)[0];
	const char *why = ((void **)arg)[1];
	struct outbound_msg *m = smtp_message_get_application_data(msg);
	const smtp_status_t *st = NULL;

	if (m == NULL || m->done)
		return;
	if (!m->claimed) {
		/* Refused before its data: by the answer to MAIL, RCPT or
		   DATA. */
		const smtp_status_t *mail = smtp_reverse_path_status(msg);
		const smtp_status_t *data = smtp_message_transfer_status(msg);

		/* The connection ended before its MAIL was answered, after
		   others were: never tried, it is left to outbound_run,
		   which puts it back with no attempt counted. A session
		   that got to no message at all (the server not reached,
		   its certificate or greeting refused) counts one on each,
		   so that the mail backs off and in the end fails. */
		if (s->reached && (mail == NULL || mail->code == 0))
			return;
		if (mail != NULL && mail->code >= 400) {
			settle(s, m, mail, 1, why);
			return;
		}
		st = m->transport_status;
		/* Its recipient accepted, the server refused DATA (without
		   CHUNKING; libESMTP keeps that answer as the transfer's):
		   the message's own refusal, or a setting's, as after the
		   data. Behind a recipient refused, the answer to the
		   pipelined DATA ("554 5.5.1 Error: no valid recipients")
		   only repeats that refusal, and must neither hide its
		   cause nor fail a message refused for now. */
		if ((st == NULL || st->code < 400) && data != NULL &&
		    data->code >= 400)
			st = data;
	}
	settle(s, m, st != NULL && st->code >= 400 ? st : NULL, 0, why);
}

static void
note_rcpt(smtp_recipient_t r, const char *mailbox, void *arg)
{
	struct outbound_msg *m = arg;

	(void)mailbox;
	m->transport_status = smtp_recipient_status(r);
}

/* Notes each message's answer to RCPT, and whether the session got
   to any message (an answer to MAIL). */
static void
collect_rcpt(smtp_message_t msg, void *arg)
{
	struct smtp *s = arg;
	struct outbound_msg *m = smtp_message_get_application_data(msg);
	const smtp_status_t *mail = smtp_reverse_path_status(msg);

	if (mail != NULL && mail->code > 0)
		s->reached = 1;
	if (m != NULL)
		smtp_enumerate_recipients(msg, note_rcpt, m);
}

/* What the log and cirmctl status say of each kind of refusal: what
   the server refused (WHAT, for the sender followed by the address) and
   the settings to check. Of the two FIX and STATUS, the second is for a
   configured smtp_user, or for a login wanted with smtp_tls = none. */
static const struct {
	const char *what, *fix[2], *status[2];
} refusal_text[REFUSALS] = {
	[REFUSED_LOGIN] = {
		"the server wants a login",
		{ "set smtp_user and smtp_password_file",
		  "set smtp_user and smtp_password_file (and smtp_tls = "
		  "starttls, if it wants TLS first)" },
		{ "the server wants a login (smtp_user, smtp_password_file)",
		  "the server wants a login (smtp_user, smtp_password_file, "
		  "smtp_tls)" } },
	[REFUSED_RELAY] = {
		"the server will not relay for cirm",
		{ "set smtp_user and smtp_password_file to a login it relays "
		  "for, or have it relay for this host (its mynetworks)",
		  "check that smtp_user may relay through it, or have it relay "
		  "for this host (its mynetworks)" },
		{ "the server will not relay (smtp_user, smtp_password_file, "
		  "or its mynetworks)",
		  "the server will not relay for smtp_user (or its mynetworks)" } },
	[REFUSED_SENDER] = {
		"the server refuses mail from ",
		{ "check mail_address",
		  "check mail_address and that smtp_user may send as it" },
		{ "the server refuses the sender (mail_address)",
		  "the server refuses the sender (mail_address, smtp_user)" } },
};

/* Says once a batch, for each setting the server refused, what it
   refused, what to check and how many messages wait for it; WHY becomes
   the reason for cirmctl status: the login's when it is wanted, which
   may be all that is wrong. */
static void
refusals_report(struct smtp *s, const struct outbound_batch *b, char *why,
		size_t why_size)
{
	for (int k = REFUSALS - 1; k >= 0; k--) {
		int n = s->refused[k];
		int alt = k == REFUSED_LOGIN ? s->tls == TLS_NONE :
			  s->user != NULL;

		if (n == 0)
			continue;
		log_errorx("%s:%u: %s%s (%s): %s; %d message%s wait%s until it "
			   "is fixed", s->host, s->port, refusal_text[k].what,
			   k == REFUSED_SENDER ? b->from : "",
			   s->refused_why[k], refusal_text[k].fix[alt], n,
			   n == 1 ? "" : "s", n == 1 ? "s" : "");
		snprintf(why, why_size, "%s", refusal_text[k].status[alt]);
		free(s->refused_why[k]);
		s->refused_why[k] = NULL;
	}
}

/* Sends one batch over one connection. */
static int
send_batch(struct gateway_ctx *ctx, struct outbound_batch *b, void *arg)
{
	struct smtp *s = arg;
	smtp_session_t ss;
	char why[300], ebuf[128];
	void *args[2];
	int ok;

	s->tls_ok = s->tls_refused = 0;
	s->relay_why[0] = '\0';
	s->auth_sent = s->authed = s->connects = 0;
	s->sent = s->deferred = s->failed = 0;
	s->reached = s->refused_any = 0;
	memset(s->refused, 0, sizeof(s->refused));
	s->pending = NULL;
	if (password_load(s) < 0) {
		gateway_problem(ctx, "smtp_password_file cannot be read");
		return -1;
	}
	ss = session_new(s, b);
	if (ss == NULL) {
		secret_free(&s->password, s->password_size);
		return -1;
	}
	first_session_enter(s);
	ok = smtp_start_session(ss);
	first_session_leave(s, 0);
	if (s->pending != NULL)
		outbound_sent(s->ctx, s->pending);
	s->pending = NULL;
	relay_stop(&s->relay);
	secret_free(&s->password, s->password_size);
	if (s->tls_refused)
		snprintf(why, sizeof(why), "the server's certificate was refused");
	else if (!ok && s->relay_why[0] != '\0')
		snprintf(why, sizeof(why), "SMTP session failed: %s",
			 s->relay_why);
	else if (!ok)
		snprintf(why, sizeof(why), "SMTP session failed: %s",
			 smtp_strerror(smtp_errno(), ebuf, sizeof(ebuf)));
	else if (s->user != NULL && !s->authed)
		snprintf(why, sizeof(why), "the server did not accept the login");
	else
		snprintf(why, sizeof(why), "the server did not take the message");
	if (s->user != NULL && s->auth_sent == 0 && ok && !s->tls_refused)
		log_errorx("%s:%u: the server offers no AUTH we can use "
			   "(smtp_user is set)", s->host, s->port);
	else if (s->user != NULL && !s->authed && ok && !s->tls_refused)
		log_errorx("%s:%u: login refused; check smtp_user and "
			   "smtp_password_file", s->host, s->port);
	smtp_enumerate_messages(ss, collect_rcpt, s);
	args[0] = s;
	args[1] = why;
	smtp_enumerate_messages(ss, settle_one, args);
	smtp_destroy_session(ss);
	if (s->refused_any > 0)
		refusals_report(s, b, why, sizeof(why));
	if (s->auth != NULL)
		auth_destroy_context(s->auth);
	s->auth = NULL;
	log_info("%s:%u: %d sent, %d deferred, %d failed over %d connection%s%s",
		 s->host, s->port, s->sent, s->deferred, s->failed, s->connects,
		 s->connects == 1 ? "" : "s",
		 s->tls_ok ? " (TLS, certificate verified)" : "");
	/* Nothing went out and the server could not be used (not reached,
	   its certificate, the login, our sender or relaying refused, a
	   login wanted): the gateway runs and sends nothing until it can,
	   which cirmctl status tells. A recipient refused is that
	   message's outcome, not the server's. */
	if (s->sent == 0 && (!ok || s->tls_refused || s->refused_any > 0 ||
			     (s->user != NULL && !s->authed)))
		gateway_problem(ctx, "%s:%u: %s", s->host, s->port, why);
	else
		gateway_problem_clear(ctx);
	return s->sent > 0 ||
	       (ok && !s->tls_refused && s->refused_any == 0) ? 0 : -1;
}

/* --- the gateway ---------------------------------------------------- */

static int
smtp_init(struct smtp *s, struct gateway_ctx *ctx)
{
	const struct cfg *cfg = ctx->cfg;
	const char *tls = cfg_str(cfg, CFG_SMTP_TLS);
	const char *user = cfg_str(cfg, CFG_SMTP_USER);
	char *err = NULL, tls_err[TLS_ERROR_MAX];

	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->host = cfg_str(cfg, CFG_SMTP_HOST);
	s->port = (unsigned int)cfg_int(cfg, CFG_SMTP_PORT);
	s->tls = strcmp(tls, "none") == 0 ? TLS_NONE :
		 strcmp(tls, "implicit") == 0 ? TLS_IMPLICIT : TLS_STARTTLS;
	s->user = *user == '\0' || strcmp(user, "none") == 0 ? NULL : user;
	if (store_set_synchronous(ctx->store, 0, &err) < 0) {
		log_errorx("smtp: %s", err);
		free(err);
		return -1;
	}
	if (s->tls == TLS_NONE) {
		/* Passwords and citizens' mail never cross a network in clear:
		   without TLS only a server on this machine is allowed. */
		if (!host_is_loopback(s->host)) {
			log_errorx("%s: smtp_tls = none is allowed for a server on "
				   "loopback only", s->host);
			return -1;
		}
		return 0;
	}
	s->tls_client = tls_client_new("smtp_ca_file",
				       cfg_str(cfg, CFG_SMTP_CA_FILE), tls_err,
				       sizeof(tls_err));
	if (s->tls_client == NULL) {
		log_errorx("%s", tls_err);
		return -1;
	}
	return 0;
}

static void
smtp_deinit(struct smtp *s)
{
	tls_client_free(&s->tls_client);
}

/* One connection (smtp_connections) and the share of the outbox it
   sends: a thread with its own database connection and session. */
struct worker {
	struct gateway_ctx ctx;
	struct smtp s;
	pthread_t thread;
	int started, ret;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	w->ret = outbound_run(&w->ctx, send_batch, &w->s);
	settle_worker(&w->s, 0);
	return NULL;
}

/* Runs smtp_connections workers, each sending the mail of its share of
   the cases over a connection of its own: while one waits for the
   server's answer, another sends. The first uses CTX's database
   connection. */
static int
run(struct gateway_ctx *ctx)
{
	int n = (int)cfg_int(ctx->cfg, CFG_SMTP_CONNECTIONS), ret = 0, k;
	int started = 0, parked = 0;
	struct worker *w = xcalloc((size_t)n, sizeof(*w));
	sigset_t signals, old;
	char *err = NULL;

	for (k = 0; k < n && ret == 0; k++) {
		w[k].ctx = *ctx;
		w[k].ctx.shares = n;
		w[k].ctx.share = k;
		if (k > 0 && gateway_store_open(ctx->cfg, &w[k].ctx.store,
						&err) < 0) {
			log_errorx("smtp: %s", err);
			free(err);
			w[k].ctx.store = NULL;
			ret = -1;
		} else if (smtp_init(&w[k].s, &w[k].ctx) < 0)
			ret = -1;
	}
	if (ret < 0)
		goto done;
	if (w[0].s.user != NULL)
		auth_client_init();
	log_info("smtp: sending through %s:%u (%s) over up to %d "
		 "connection%s", w[0].s.host, w[0].s.port,
		 w[0].s.tls == TLS_NONE ? "no TLS" : w[0].s.tls == TLS_IMPLICIT ?
		 "implicit TLS" : "STARTTLS", n, n == 1 ? "" : "s");
	for (k = 0; k < n; k++) {
		int e = pthread_create(&w[k].thread, NULL, worker_main, &w[k]);

		if (e != 0) {
			log_errorx("smtp: cannot start a sending thread: %s",
				   strerror(e));
			ret = -1;
			break;
		}
		w[k].started = 1;
		started++;
	}
	/* SIGTERM interrupts a worker waiting for the server (the
	   handlers are installed without SA_RESTART), not this thread */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &signals, &old);
	pthread_mutex_lock(&settled_lock);
	while (settled < started)
		pthread_cond_wait(&settled_cond, &settled_lock);
	pthread_mutex_unlock(&settled_lock);
	for (k = 0; k < n; k++) {
		if (!w[k].started)
			continue;
		if (w[k].s.stopped) {
			parked++;
			continue;
		}
		pthread_join(w[k].thread, NULL);
		if (w[k].ret < 0)
			ret = -1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* a parked worker keeps its session (and TLS relay) to the end of
	   the process, and with it what it uses */
	if (parked > 0)
		return ret;
	if (w[0].s.user != NULL)
		auth_client_exit();
done:
	for (k = 0; k < n; k++) {
		smtp_deinit(&w[k].s);
		if (k > 0 && w[k].ctx.store != NULL)
			store_free(&w[k].ctx.store);
	}
	free(w);
	return ret;
}

static int
enabled(const struct cfg *cfg)
{
	const char *host = cfg_str(cfg, CFG_SMTP_HOST);

	return *host != '\0' && strcmp(host, "none") != 0;
}

const struct cirm_gateway gateway_smtp = {
	.name = "smtp",
	.channel = "email",
	.enabled = enabled,
	.run = run,
};
