/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_TLS_H
#define CIRM_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

/* The client side of TLS for the gateways, with OpenSSL.

   A server is accepted only when its chain leads to a CA of the
   gateway's *_ca_file setting (or the system's store), is fit for the
   purpose "TLS server", and names the host the gateway was configured
   with: a DNS name (no partial wildcards) or an address literal. The
   chain is checked here rather than by OpenSSL's handshake so that a
   gateway whose TLS library is not OpenSSL (libetpan on Debian uses
   GnuTLS) gets the very same check, through tls_client_verify().

   Errors are written to the caller's buffer as one line, ready to be
   logged after the caller's "host:port: "; TLS_ERROR_MAX bytes hold
   any of them. */

enum { TLS_ERROR_MAX = 512 };

struct tls_client;

/* A client that trusts the CA certificates in the PEM file CA_FILE, or
   the system's store when CA_FILE is "system", and speaks TLS 1.2 or
   later. SETTING names where CA_FILE came from (e.g. "smtp_ca_file"),
   for the error messages. NULL, with the reason in ERR, when the
   certificates cannot be loaded. */
struct tls_client *tls_client_new(const char *setting, const char *ca_file,
				  char *err, size_t err_size);
/* Accepts NULL; sets *P to NULL. */
void tls_client_free(struct tls_client **p);

/* The handshake over the connected socket FD with the server HOST
   (sent as SNI unless it is an address literal, RFC 6066), then
   tls_client_verify() on the chain the server presented. Returns 1
   with the session in *SSL_R, which the caller SSL_free()s; 0 when the
   handshake went through but the certificate was refused; -1 when the
   handshake failed. On 0 and -1, *SSL_R is NULL and ERR says why. FD
   stays the caller's. */
int tls_client_connect(const struct tls_client *c, int fd, const char *host,
		       SSL **ssl_r, char *err, size_t err_size);

/* Verifies the server certificate LEAF, helped by the untrusted
   certificates in CHAIN (may be NULL), for HOST. 0 when it holds, else
   -1 with the reason in ERR. */
int tls_client_verify(const struct tls_client *c, X509 *leaf,
		      STACK_OF(X509) *chain, const char *host, char *err,
		      size_t err_size);

/* 1 when HOST is an IPv4 or IPv6 address literal, else 0. */
int tls_host_is_address(const char *host);

#endif
