/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A template file as an administrator writes it, rendered with every
   variable cirm gives (empty and not, so that both branches of the
   sections run), as a mail and as an SMS. The file's own code is
   included to reach render() without a file system. */
#include "../src/template.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct template_var vars[N_ELEMENTS(template_variables)];
	size_t nvars = 0;
	char *text, *subject = NULL, *body = NULL, *err = NULL;

	if (size > TEMPLATE_MAX_SIZE)
		return 0;
	text = xstrndup((const char *)data, size);
	for (size_t i = 0; template_variables[i] != NULL; i++) {
		vars[nvars].name = template_variables[i];
		vars[nvars++].value = i % 2 ? "" : "{{x}} y\n";
	}
	for (int sms = 0; sms < 2; sms++) {
		if (render(sms ? "t.sms" : "t", text, vars, nvars, &subject,
			   &body, &err) < 0) {
			free(err);
			err = NULL;
		} else {
			free(subject);
			free(body);
		}
	}
	free(text);
	return 0;
}
