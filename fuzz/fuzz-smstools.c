/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An incoming smstools3 spool file, as the gateway reads it: header
   lines, the text in its Alphabet, the concatenation header of
   UDH-DATA. The gateway's own code is included to reach its reader
   without a spool directory. */
#include "../gateways/smstools.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smsfile f;
	struct sms_in in;
	struct gsm_concat c;
	const char *why = NULL;
	char *text = NULL, *reason = NULL, *from, id[33];
	size_t len;

	if (size > SMSTOOLS_FILE_MAX)
		return 0;
	if (parse_file((const char *)data, size, &f, &why) == 0) {
		memset(&in, 0, sizeof(in));
		switch (judge(&f, &in, &c, &text, &reason)) {
		case TAKE:
			from = sender(&f, "+46");
			free(from);
			(void)sms_id(&f, id);
			break;
		case REPORT:
			break;
		case BAD:
			free(reason);
			break;
		case HELD:
			in.from = from = sender(&f, "+46");
			free(held_envelope(&f, &in, &len));
			free(from);
			free(reason);
			break;
		}
		free(text);
	}
	free(f.copy);
	return 0;
}
