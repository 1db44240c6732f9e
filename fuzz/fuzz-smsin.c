/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An inbound SMS as the engine reads its inbox row, whichever gateway
   (or other program) wrote it: the envelope's header lines, the text's
   check (which must let through only well-formed UTF-8), the STOP and
   START keywords, and the subject of a case opened by SMS. The file's
   own code is included to reach these without a store. */
#include "../src/mailin-sms.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sms_envelope e;
	char *reason = NULL, word[16];

	if (parse_envelope(data, size, &e, &reason) < 0) {
		free(reason);
		envelope_clear(&e);
		return 0;
	}
	/* what passed is text as the rest of cirm reads it */
	if (utf8_bad_line(e.text) != 0)
		abort();
	(void)keyword(e.text, word);
	free(sms_subject(e.text));
	envelope_clear(&e);
	return 0;
}
