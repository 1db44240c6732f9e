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
	struct inbound in = { 0 };
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
	memset(&d, 0, sizeof(d));
	/* As on_deliver: more TLVs overrun libsmpp34's message buffer. */
	if (deliver_sm_tlvs(pdu, len) > SMPP_TLVS_MAX)
		return 0;
	if (smpp34_unpack(DELIVER_SM, &d, pdu, (int)len) == 0) {
		inbound_tlvs(&d, &in);
		if ((d.esm_class & ESM_UDHI) != 0 && in.len > 0 &&
		    1 + (size_t)in.ud[0] <= in.len) {
			struct gsm_concat c;
			struct gsm_msg hdr;
			char *err = NULL;

			if (gsm_ud_parse(GSM_UCS2, in.ud, in.len,
					 1 + (size_t)in.ud[0], 1, &c, &hdr,
					 &err) < 0)
				free(err);
			else
				gsm_msg_clear(&hdr);
		}
		text = decode_text(d.data_coding, in.ud, in.len, &tlen, &why);
		if (text != NULL) {
			(void)receipt_field(text, "id:", field, sizeof(field));
			(void)receipt_field(text, "stat:", field, sizeof(field));
			free(text);
		}
	}
	destroy_tlv(d.tlv);
	return 0;
}
