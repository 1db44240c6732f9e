/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_TOKEN_H
#define CIRM_TOKEN_H

#include <stdint.h>

#include "secret.h"

/* Signed reply addresses: local+TAG@domain, where TAG names a case (and,
   for a handler's address, the handler) and carries an HMAC-SHA256 of
   them under the instance key, so that nobody can make one up. Tags are
   lower case, because mail systems may fold the case of local parts:
       ks-2026-00042.3f9a0c2e71b4d5a6         (the case's citizen side)
       ks-2026-00042.h17.0b1c2d3e4f5a6b7c     (handler 17 on that case)
       ks-2026-00042.f3.9e8d7c6b5a4f3e2d      (the case as forwarded to
                                               someone outside, forward 3)
       h17.5c4d3e2f1a0b9c8d                   (handler 17's own address,
                                               for commands on no case)
       h17-1.7a6b5c4d3e2f1a0b                 (the same after one
                                               replacement: generation 1) */

#define TOKEN_MAX 96

/* Writes the tag for CASE_NUMBER (and HANDLER_ID, or 0) into TAG_R. */
void token_make(const unsigned char key[SECRET_KEY_LEN],
		const char *case_number, int64_t handler_id,
		char tag_r[TOKEN_MAX]);

/* Builds the whole address from the case address ADDRESS
   (local@domain): local+TAG@domain (caller frees). */
char *token_address(const unsigned char key[SECRET_KEY_LEN],
		    const char *address, const char *case_number,
		    int64_t handler_id);

/* Handler HANDLER_ID's own address, on no case: local+h17.SIG@domain,
   where the commands that change the handler (#borta) are taken. Its
   GENERATION counts its replacements (0: none), so that an old one can
   be told from a made-up one and refused: local+h17-1.SIG after the
   first. */
char *token_address_handler(const unsigned char key[SECRET_KEY_LEN],
			    const char *address, int64_t handler_id,
			    int64_t generation);

/* The address someone outside the case was sent it from, to answer
   forward FORWARD_ID (store_forward_add) on CASE_NUMBER. */
char *token_address_forward(const unsigned char key[SECRET_KEY_LEN],
			    const char *address, const char *case_number,
			    int64_t forward_id);

/* Checks whether RECIPIENT is a signed address made from ADDRESS. Returns
   1 with the case number (upper case, as stored; "" for a handler's own
   address, token_address_handler) in NUMBER_R and the
   handler in *handler_id_r (0 for the citizen side) and the forward in
   *FORWARD_ID_R (0 for none; when FORWARD_ID_R is NULL a forward's
   address is not taken) and a handler's own address's generation in
   *GENERATION_R (0 for the first and for any other address; when
   GENERATION_R is NULL a later one is not taken) when the signature
   verifies (compared in constant time), 0 when RECIPIENT is no tagged
   address of ours or its signature is wrong. */
int token_check(const unsigned char key[SECRET_KEY_LEN], const char *address,
		const char *recipient, char number_r[TOKEN_MAX],
		int64_t *handler_id_r, int64_t *forward_id_r,
		int64_t *generation_r);

#endif
