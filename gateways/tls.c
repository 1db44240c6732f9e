/* SPDX-License-Identifier: GPL-3.0-or-later */
/* TLS clients for the gateways: see tls.h. */
#include "config.h"

#include "tls.h"
#include "log.h"
#include "util.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tls_client {
	const char *setting, *ca_file; /* the caller's, for messages */
	X509_STORE *trust;
	SSL_CTX *ctx;
};

int
tls_host_is_address(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	       inet_pton(AF_INET6, host, buf) == 1;
}

/* OpenSSL's latest error as text in BUF. The queue is emptied, so that
   an old error never explains a later failure. */
static const char *
openssl_error(char *buf, size_t size)
{
	unsigned long e = ERR_peek_last_error();

	ERR_clear_error();
	if (e == 0)
		return "unknown error";
	ERR_error_string_n(e, buf, size);
	return buf;
}

struct tls_client *
tls_client_new(const char *setting, const char *ca_file, char *err,
	       size_t err_size)
{
	struct tls_client *c;
	X509_STORE *st = X509_STORE_new();
	char buf[256];
	int ok;

	if (st == NULL)
		fatalx("out of memory");
	if (strcmp(ca_file, "system") == 0) {
		ok = X509_STORE_set_default_paths(st);
	} else {
		/* OpenSSL says only "system lib" of a file that is missing
		   or that this user may not read */
		FILE *f = fopen(ca_file, "r");

		if (f == NULL) {
			int e = errno;

			snprintf(err, err_size, "%s %s: cannot read: %s%s",
				 setting, ca_file, strerror(e),
				 e == EACCES ? "; it must be readable by the "
					       "user the gateway runs as" : "");
			X509_STORE_free(st);
			return NULL;
		}
		fclose(f);
		ok = X509_STORE_load_file(st, ca_file);
	}
	if (ok != 1) {
		snprintf(err, err_size, "%s %s: cannot load CA certificates: %s",
			 setting, ca_file, openssl_error(buf, sizeof(buf)));
		X509_STORE_free(st);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->setting = setting;
	c->ca_file = ca_file;
	c->trust = st;
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL)
		fatalx("cannot set up TLS");
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	/* OpenSSL's own check is off: tls_client_verify() does it, the
	   same way for every gateway, before a byte is sent. */
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	return c;
}

void
tls_client_free(struct tls_client **p)
{
	struct tls_client *c = *p;

	if (c == NULL)
		return;
	SSL_CTX_free(c->ctx);
	X509_STORE_free(c->trust);
	free(c);
	*p = NULL;
}

int
tls_client_verify(const struct tls_client *c, X509 *leaf,
		  STACK_OF(X509) *chain, const char *host, char *err,
		  size_t err_size)
{
	X509_STORE_CTX *xs;
	X509_VERIFY_PARAM *param;
	int ok;

	if (leaf == NULL) {
		snprintf(err, err_size,
			 "certificate refused: the server presented none");
		return -1;
	}
	xs = X509_STORE_CTX_new();
	if (xs == NULL)
		fatalx("out of memory");
	if (X509_STORE_CTX_init(xs, c->trust, leaf, chain) != 1 ||
	    X509_STORE_CTX_set_default(xs, "ssl_server") != 1)
		fatalx("cannot set up certificate verification");
	param = X509_STORE_CTX_get0_param(xs);
	X509_VERIFY_PARAM_set_hostflags(param,
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (tls_host_is_address(host))
		ok = X509_VERIFY_PARAM_set1_ip_asc(param, host);
	else
		ok = X509_VERIFY_PARAM_set1_host(param, host, 0);
	if (ok == 1)
		ok = X509_verify_cert(xs);
	if (ok != 1)
		snprintf(err, err_size, "certificate refused: %s (depth %d; "
			 "trusted CAs: %s %s)",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(xs)),
			 X509_STORE_CTX_get_error_depth(xs), c->setting,
			 c->ca_file);
	X509_STORE_CTX_free(xs);
	ERR_clear_error();
	return ok == 1 ? 0 : -1;
}

int
tls_client_connect(const struct tls_client *c, int fd, const char *host,
		   SSL **ssl_r, char *err, size_t err_size)
{
	SSL *ssl = SSL_new(c->ctx);
	X509 *leaf;
	char buf[256];
	int r;

	*ssl_r = NULL;
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    (!tls_host_is_address(host) &&
	     SSL_set_tlsext_host_name(ssl, host) != 1))
		fatalx("cannot set up TLS");
	if (SSL_connect(ssl) != 1) {
		snprintf(err, err_size, "TLS handshake failed: %s",
			 openssl_error(buf, sizeof(buf)));
		SSL_free(ssl);
		return -1;
	}
	leaf = SSL_get1_peer_certificate(ssl);
	r = tls_client_verify(c, leaf, SSL_get_peer_cert_chain(ssl), host,
			      err, err_size);
	X509_free(leaf);
	if (r < 0) {
		SSL_free(ssl);
		return 0;
	}
	*ssl_r = ssl;
	return 1;
}
