/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "token.h"

#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIG_HEX 16 /* 64 bits of HMAC: forging one takes 2^63 tries */

/* The signature of NUMBER for HANDLER_ID (0: the citizen side), or for
   forward -HANDLER_ID when that is negative: "cirm-reply:-5:" is no
   handler's. */
static void
signature(const unsigned char key[SECRET_KEY_LEN], const char *number,
	  int64_t handler_id, char out[SIG_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char msg[TOKEN_MAX + 32];
	int n;

	/* Signed in lower case: the form the tag travels in. */
	n = snprintf(msg, sizeof(msg), "cirm-reply:%lld:", (long long)handler_id);
	for (const char *p = number; *p != '\0' && n < (int)sizeof(msg) - 1; p++)
		msg[n++] = (char)tolower((unsigned char)*p);
	HMAC(EVP_sha256(), key, SECRET_KEY_LEN, (const unsigned char *)msg,
	     (size_t)n, md, &mdlen);
	for (int i = 0; i < SIG_HEX / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[SIG_HEX] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
}

void
token_make(const unsigned char key[SECRET_KEY_LEN], const char *case_number,
	   int64_t handler_id, char tag_r[TOKEN_MAX])
{
	char sig[SIG_HEX + 1];
	int n;

	signature(key, case_number, handler_id, sig);
	if (handler_id > 0 && *case_number == '\0')
		n = snprintf(tag_r, TOKEN_MAX, "h%lld.%s",
			     (long long)handler_id, sig);
	else if (handler_id > 0)
		n = snprintf(tag_r, TOKEN_MAX, "%s.h%lld.%s", case_number,
			     (long long)handler_id, sig);
	else if (handler_id < 0)
		n = snprintf(tag_r, TOKEN_MAX, "%s.f%lld.%s", case_number,
			     -(long long)handler_id, sig);
	else
		n = snprintf(tag_r, TOKEN_MAX, "%s.%s", case_number, sig);
	for (int i = 0; i < n && i < TOKEN_MAX; i++)
		tag_r[i] = (char)tolower((unsigned char)tag_r[i]);
}

/* local+TAG@domain of ADDRESS. */
static char *
address_with(const char *address, const char *tag)
{
	const char *at = strrchr(address, '@');

	if (at == NULL)
		return xasprintf("%s+%s", address, tag);
	return xasprintf("%.*s+%s%s", (int)(at - address), address, tag, at);
}

/* The address for HANDLER_ID, or for forward -HANDLER_ID. */
static char *
address_for(const unsigned char key[SECRET_KEY_LEN], const char *address,
	    const char *case_number, int64_t handler_id)
{
	char tag[TOKEN_MAX];

	token_make(key, case_number, handler_id, tag);
	return address_with(address, tag);
}

char *
token_address(const unsigned char key[SECRET_KEY_LEN], const char *address,
	      const char *case_number, int64_t handler_id)
{
	return address_for(key, address, case_number,
			   handler_id > 0 ? handler_id : 0);
}

/* What a handler's own address of GENERATION signs in place of a case
   number: nothing for the first, "#1" after one replacement; no case
   number has a '#'. */
static void
generation_text(int64_t generation, char out[24])
{
	if (generation > 0)
		snprintf(out, 24, "#%lld", (long long)generation);
	else
		out[0] = '\0';
}

char *
token_address_handler(const unsigned char key[SECRET_KEY_LEN],
		      const char *address, int64_t handler_id,
		      int64_t generation)
{
	char tag[TOKEN_MAX], sig[SIG_HEX + 1], gen[24];

	if (generation <= 0)
		return address_for(key, address, "", handler_id);
	generation_text(generation, gen);
	signature(key, gen, handler_id, sig);
	snprintf(tag, sizeof(tag), "h%lld-%lld.%s", (long long)handler_id,
		 (long long)generation, sig);
	return address_with(address, tag);
}

char *
token_address_forward(const unsigned char key[SECRET_KEY_LEN],
		      const char *address, const char *case_number,
		      int64_t forward_id)
{
	return address_for(key, address, case_number, -forward_id);
}

/* Splits "local+tag@domain" of RECIPIENT against ADDRESS; the tag, or
   NULL when the local part or domain differ. */
static char *
tag_of(const char *address, const char *recipient)
{
	const char *at = strrchr(address, '@'), *rat = strrchr(recipient, '@');
	size_t local = at != NULL ? (size_t)(at - address) : strlen(address);
	const char *tag;

	if (at == NULL || rat == NULL || strcasecmp(at, rat) != 0 ||
	    strncasecmp(recipient, address, local) != 0 || recipient[local] != '+')
		return NULL;
	tag = recipient + local + 1;
	if (rat - tag <= 0 || rat - tag >= TOKEN_MAX)
		return NULL;
	return xstrndup(tag, (size_t)(rat - tag));
}

/* Whether TAG (its signature cut off) has the shape of a handler's own
   address: h17, or h17-1 of one that replaced another. Not a citizen's
   tag whose case number's prefix is H or H2 ("h2-2026-00042"): the
   number has two '-'. */
static bool
own_tag_like(const char *tag)
{
	size_t d;

	if ((tag[0] != 'h' && tag[0] != 'H') ||
	    (d = strspn(tag + 1, "0123456789")) == 0)
		return false;
	tag += 1 + d;
	if (*tag == '-' && (d = strspn(tag + 1, "0123456789")) > 0)
		tag += 1 + d;
	return *tag == '\0';
}

int
token_check(const unsigned char key[SECRET_KEY_LEN], const char *address,
	    const char *recipient, char number_r[TOKEN_MAX],
	    int64_t *handler_id_r, int64_t *forward_id_r,
	    int64_t *generation_r)
{
	char *tag = tag_of(address, recipient), *sig, *h, *id;
	char want[SIG_HEX + 1], gen[24] = "";
	const char *number;
	long long handler = 0, generation = 0;
	int ok = 0;
	bool forward = false;

	if (tag == NULL)
		return 0;
	number = tag;
	sig = strrchr(tag, '.');
	if (sig == NULL || strlen(sig + 1) != SIG_HEX)
		goto out;
	*sig++ = '\0';
	h = strrchr(tag, '.');
	/* what names the handler or forward: after the number, or the
	   whole tag of a handler's own address, which names no case */
	id = h != NULL ? h + 1 : own_tag_like(tag) ? tag : NULL;
	if (id != NULL && (id[0] == 'h' || id[0] == 'H' ||
			   ((id[0] == 'f' || id[0] == 'F') && h != NULL &&
			    forward_id_r != NULL))) {
		char *end;

		forward = id[0] == 'f' || id[0] == 'F';
		errno = 0;
		handler = strtoll(id + 1, &end, 10);
		/* an own address that replaced another: "h17-1", whose
		   generation is signed with it */
		if (*end == '-' && h == NULL && !forward &&
		    generation_r != NULL && isdigit((unsigned char)end[1]) &&
		    end[1] != '0' && errno == 0) {
			generation = strtoll(end + 1, &end, 10);
			if (generation <= 0)
				goto out;
		}
		/* one spelling of each: "h017" or "h17-01" is not
		   "h17" or "h17-1" written another way */
		if (*end != '\0' || handler <= 0 || errno != 0 ||
		    !isdigit((unsigned char)id[1]) || id[1] == '0')
			goto out;
		if (h != NULL)
			*h = '\0';
		else
			number = "";
	}
	/* naming no case is a handler's own address, and only that: the
	   citizen side or a forward of no case is nobody's, and would be
	   taken as the own address of whichever handler sent it */
	if (*number == '\0' && (handler <= 0 || forward))
		goto out;
	/* "#1" is what a later own address signs where a case number
	   would be (generation_text), and no case number has a '#': as a
	   case's tag ("#1.h17.SIG") the own address would name a case
	   there is none of, and be threaded on by In-Reply-To, an
	   officer's on any case */
	if (strchr(number, '#') != NULL)
		goto out;
	for (char *p = tag; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	generation_text(generation, gen);
	signature(key, *number != '\0' ? number : gen,
		  forward ? -handler : handler, want);
	for (char *p = sig; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (CRYPTO_memcmp(want, sig, SIG_HEX) == 0 &&
	    strlen(number) < TOKEN_MAX) {
		snprintf(number_r, TOKEN_MAX, "%s", number);
		*handler_id_r = forward ? 0 : handler;
		if (forward_id_r != NULL)
			*forward_id_r = forward ? handler : 0;
		if (generation_r != NULL)
			*generation_r = generation;
		ok = 1;
	}
out:
	free(tag);
	return ok;
}
