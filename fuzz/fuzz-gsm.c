/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SMS codec on what comes from the network: TP-User-Data with or
   without a header (as smpp and a modem hand it over), reassembly of
   the parts; and the way out, for any UTF-8 text. The first octet
   chooses encoding and UDHI, the second is TP-UDL. */
#include "config.h"

#include "gsm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
outbound(const uint8_t *data, size_t size)
{
	struct gsm_msg msg;
	struct gsm_part parts[GSM_PARTS_MAX];
	char *err = NULL, *t;
	int n;

	if (gsm_encode((const char *)data, size, GSM_AUTO, &msg, &err) < 0) {
		free(err);
		return;
	}
	for (int ref = GSM_REF8; ref <= GSM_REF16; ref++) {
		n = gsm_split(&msg, ref, parts, GSM_PARTS_MAX, &err);
		if (n < 0) {
			free(err);
			err = NULL;
			continue;
		}
		if (gsm_count_parts(&msg, ref) != n)
			abort();
		for (int i = 0; i < n; i++) {
			struct gsm_concat c = { 0x1234, (unsigned)n,
						(unsigned)i + 1 };
			uint8_t ud[GSM_UD_MAX];
			size_t udl;
			struct gsm_msg back;
			struct gsm_concat c2;
			int r;

			if (gsm_part_ud(&msg, &parts[i], ref, &c, ud, &udl) < 0)
				abort();
			r = gsm_ud_parse(msg.enc, ud, GSM_UD_MAX, udl, n > 1,
					 &c2, &back, &err);
			if (r < 0)
				abort();
			if (back.n != parts[i].n ||
			    memcmp(back.u, msg.u + parts[i].off,
				   back.n * sizeof(*back.u)) != 0)
				abort();
			gsm_msg_clear(&back);
		}
	}
	t = gsm_decode(&msg, 0, msg.n, NULL);
	free(t);
	gsm_msg_clear(&msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gsm_reasm *r;
	struct gsm_reasm_msg m;
	int64_t now = 1000;

	outbound(data, size);
	if (size < 2)
		return 0;
	r = gsm_reasm_new(60);
	/* Several user data in a row, each "mode, udl, len, octets". */
	while (size >= 3) {
		enum gsm_encoding enc = data[0] & 1 ? GSM_UCS2 : GSM_GSM7;
		int udhi = (data[0] & 2) != 0;
		size_t udl = data[1], len = data[2];
		const char *key = data[0] & 4 ? "a" : "b";
		struct gsm_concat c;
		struct gsm_msg msg;
		char *err = NULL, *t;
		int k;

		data += 3, size -= 3;
		if (len > size)
			len = size;
		k = gsm_ud_parse(enc, data, len, udl, udhi, &c, &msg, &err);
		if (k < 0) {
			free(err);
		} else {
			t = gsm_decode(&msg, 0, msg.n, NULL);
			free(t);
			if (gsm_reasm_add(r, key, k ? &c : NULL, &msg, now, &err) < 0)
				free(err);
			gsm_msg_clear(&msg);
		}
		data += len, size -= len;
		now += 7;
		while (gsm_reasm_take(r, now, &m) == 1)
			gsm_reasm_msg_clear(&m);
	}
	while (gsm_reasm_take(r, now + 1000, &m) == 1)
		gsm_reasm_msg_clear(&m);
	gsm_reasm_free(&r);
	return 0;
}
