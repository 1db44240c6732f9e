/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A deliver_sm PDU from the SMSC, as the smpp gateway reads it before it
   touches the store: libsmpp34's unpacking, the TLVs, the user data
   header, the text in its data_coding and a receipt's fields. The
   gateway's own code is included to reach these without a session. */
#include "../gateways/smpp.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pdu[SMPP_PDU_MAX];
	struct inbound in;
	deliver_sm_t d;
	const char *why = NULL;
	char *text, field[SMPP_RECEIPT_FIELD_MAX];
	size_t len, tlen;

	/* As pdu_ready passes them on: a length that is the PDU's. */
	if (size < SMPP_HEADER || size > SMPP_PDU_MAX)
		return 0;
	memcpy(pdu, data, size);
	len = size;
	pdu[0] = (uint8_t)(len >> 24), pdu[1] = (uint8_t)(len >> 16);
	pdu[2] = (uint8_t)(len >> 8), pdu[3] = (uint8_t)len;
	/* and a command_id that is deliver_sm's, as pdu_ready dispatches */
	pdu[4] = 0, pdu[5] = 0, pdu[6] = 0, pdu[7] = DELIVER_SM;
	/* As on_deliver and on_mo. */
	if (deliver_sm_tlvs(pdu, len) > SMPP_TLVS_MAX)
		return 0;
	if (read_deliver(pdu, len, &d, &in, &why) == 0) {
		struct gsm_concat c = { 0 };
		size_t h = 0;
		int concat = 0, latin1 = pdu[15] % 3 == 2;

		if ((d.esm_class & ESM_UDHI) != 0) {
			struct gsm_msg hdr;
			char *err = NULL;

			if (in.len == 0 || 1 + (size_t)in.ud[0] > in.len ||
			    (concat = gsm_ud_parse(GSM_UCS2, in.ud, in.len,
						   1 + (size_t)in.ud[0], 1, &c,
						   &hdr, &err)) < 0) {
				free(err);
				goto out;
			}
			gsm_msg_clear(&hdr);
			h = 1 + (size_t)in.ud[0];
		} else if (in.sar_ref >= 0 && in.sar_total >= 1 &&
			   in.sar_seq >= 1) {
			c.total = (unsigned)in.sar_total;
			concat = 1;
		}
		/* the three smpp_default_alphabet values, by the PDU's
		   sequence number */
		text = decode_text(d.data_coding, in.ud + h, in.len - h,
				   concat && c.total > 1, pdu[15] % 3 == 1,
				   &latin1, &tlen, &why);
		if (text != NULL) {
			(void)receipt_field(text, "id:", field, sizeof(field));
			(void)receipt_field(text, "stat:", field, sizeof(field));
			free(text);
		}
		address(field, sizeof(field), d.source_addr_ton,
			d.source_addr, "+46");
		address(field, sizeof(field), d.dest_addr_ton,
			d.destination_addr, NULL);
	}
out:
	destroy_tlv(d.tlv);
	return 0;
}
