/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl sms encode TEXT, cirmctl sms number NUMBER: what a text costs
   as SMS, and how cirm reads a telephone number (with the instance's
   sms_country_code). Nothing is stored. */
#include "config.h"

#include "cfg.h"
#include "ctl.h"
#include "daemon.h"
#include "e164.h"
#include "gsm.h"
#include "i18n.h"
#include "settings.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

/* Without a configuration to say sms_country_code. */
#define DEFAULT_COUNTRY "+46"

/* Standard input, up to one byte more than the codec takes (so that it
   refuses a longer text with its reason), without the line breaks and
   spaces that end it: a file's last line break is no part of its text,
   as cirm sends an SMS template ("sms encode - < acknowledgement.sms"
   counts what the citizen gets). */
static char *
read_stdin(size_t *len_r)
{
	char *buf = xmalloc(GSM_TEXT_BYTES_MAX + 2);
	size_t len = 0, n;

	while (len <= GSM_TEXT_BYTES_MAX &&
	       (n = fread(buf + len, 1, GSM_TEXT_BYTES_MAX + 1 - len,
			  stdin)) > 0)
		len += n;
	while (len > 0 && len <= GSM_TEXT_BYTES_MAX &&
	       (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
		buf[len - 1] == ' '))
		len--;
	buf[len] = '\0';
	*len_r = len;
	return buf;
}

static void
print_parts(const struct gsm_msg *msg, const struct gsm_part *parts, int n,
	    enum gsm_ref ref)
{
	int gsm7 = msg->enc == GSM_GSM7;
	size_t max = n == 1 ? (gsm7 ? GSM7_SINGLE : UCS2_SINGLE) :
		     ref == GSM_REF16 ? (gsm7 ? GSM7_PART16 : UCS2_PART16) :
		     (gsm7 ? GSM7_PART8 : UCS2_PART8);

	printf(_("Encoding: %s\n"), gsm7 ? _("GSM 7-bit") :
	       _("UCS-2 (UTF-16)"));
	printf(gsm7 ? _("Length:   %zu septets\n") :
	       _("Length:   %zu UTF-16 units\n"), msg->n);
	if (n == 1)
		printf(gsm7 ? _("Segments: 1 (at most %zu septets)\n") :
		       _("Segments: 1 (at most %zu units)\n"), max);
	else
		printf(gsm7 ? _("Segments: %d (at most %zu septets each with "
				"the concatenation header)\n") :
		       _("Segments: %d (at most %zu units each with the "
			 "concatenation header)\n"), n, max);
	for (int i = 0; i < n; i++) {
		char *text = gsm_decode(msg, parts[i].off, parts[i].n, NULL);

		printf("%4d %4zu  ", i + 1, parts[i].n);
		ctl_print_cell(stdout, text, 0);
		fputc('\n', stdout);
		free(text);
	}
}

static void
encode_usage(void)
{
	ctl_error("%s", _("usage: cirmctl sms encode [--ucs2|--gsm7] "
			  "[--ref16] TEXT|-"));
}

/* The first word of ARGV before any "--" that getopt would take for
   short options, none of which sms encode has: a text ("-50% i dag"),
   or NULL. */
static const char *
dash_text(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (argv[i][0] == '-' && argv[i][1] != '-' &&
		    argv[i][1] != '\0')
			return argv[i];
	return NULL;
}

static int
encode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ucs2", no_argument, NULL, 'u' },
		{ "gsm7", no_argument, NULL, 'g' },
		{ "ref16", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	enum gsm_encoding want = GSM_AUTO, asked;
	enum gsm_ref ref = GSM_REF8;
	struct gsm_part parts[GSM_PARTS_MAX];
	struct gsm_msg msg;
	char *text, *error = NULL;
	size_t len;
	const char *dash = dash_text(argc, argv);
	int c, bad = 0, n;

	/* options may follow the text, so a text that looks like one
	   must come after "--": said, rather than getopt's complaint
	   about each of its letters */
	if (dash != NULL) {
		ctl_error(_("'%s': a text that begins with '-' goes after "
			    "--, as in: cirmctl sms encode -- TEXT"), dash);
		encode_usage();
		return EX_USAGE;
	}
	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'u':
		case 'g':
			/* one encoding: the last of two would win unsaid */
			asked = c == 'u' ? GSM_UCS2 : GSM_GSM7;
			bad |= want != GSM_AUTO && want != asked;
			want = asked;
			break;
		case 'r': ref = GSM_REF16; break;
		default: bad = 1; break;
		}
	}
	if (bad || ctl_too_many(argc, argv, optind, 1) ||
	    optind != argc - 1) {
		encode_usage();
		return EX_USAGE;
	}
	if (strcmp(argv[optind], "-") == 0) {
		text = read_stdin(&len);
	} else {
		text = xstrdup(argv[optind]);
		len = strlen(text);
	}
	/* as cirm sends it: a no-break space a plain one (a NUL is left
	   for gsm_encode to refuse) */
	if (want != GSM_UCS2 && strlen(text) == len) {
		gsm_plain_spaces(text);
		len = strlen(text);
	}
	if (gsm_encode(text, len, want, &msg, &error) < 0 ||
	    (n = gsm_split(&msg, ref, parts, GSM_PARTS_MAX, &error)) < 0) {
		ctl_error("%s", error);
		free(error);
		gsm_msg_clear(&msg);
		free(text);
		return EX_DATAERR;
	}
	print_parts(&msg, parts, n, ref);
	gsm_msg_clear(&msg);
	free(text);
	return 0;
}

/* Whether CC ("+46" or "46") is a country code. */
static int
country_ok(const char *cc)
{
	size_t n;

	if (*cc == '+')
		cc++;
	n = strlen(cc);
	return n >= 1 && n <= 3 && cc[0] != '0' &&
		strspn(cc, "0123456789") == n && e164_cc_len(cc) == n;
}

/* The country code the engine reads national numbers with: the
   configuration's sms_country_code (caller frees), DEFAULT_COUNTRY
   when there is no default configuration file that can be read (no
   instance here). NULL when the configuration cannot be loaded, said
   on stderr. */
static char *
configured_country(const struct ctl *ctl)
{
	struct cfg *cfg = NULL;
	char *cc;

	if (ctl->config == NULL && access(daemon_default_config(), R_OK) != 0)
		return xstrdup(DEFAULT_COUNTRY);
	if (ctl_load_config(ctl, &cfg) < 0)
		return NULL;
	cc = xstrdup(cfg_str(cfg, CFG_SMS_COUNTRY_CODE));
	cfg_free(&cfg);
	return cc;
}

static void
number_usage(void)
{
	ctl_error("%s", _("usage: cirmctl sms number [--country CC] [--mask] "
			  "NUMBER"));
}

static int
number(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "country", required_argument, NULL, 'c' },
		{ "mask", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *country = NULL, *reason;
	char out[E164_SIZE], masked[E164_MASK_SIZE], *configured = NULL;
	int c, bad = 0, mask = 0, ret = 0;

	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'c': country = optarg; break;
		case 'm': mask = 1; break;
		default: bad = 1; break;
		}
	}
	if (bad || ctl_too_many(argc, argv, optind, 1) ||
	    optind != argc - 1) {
		number_usage();
		return EX_USAGE;
	}
	if (country != NULL && !country_ok(country)) {
		ctl_error(_("--country must be a country code such as +46, "
			    "not '%s'"), country);
		number_usage();
		return EX_USAGE;
	}
	if (country == NULL &&
	    (country = configured = configured_country(ctl)) == NULL)
		return EX_CONFIG;
	if (e164_normalise(argv[optind], country, out, &reason) < 0) {
		ctl_error(_("not a telephone number: %s"), _(reason));
		ret = EX_DATAERR;
	} else
		printf("%s\n", mask ? e164_mask(out, masked) : out);
	free(configured);
	return ret;
}

int
ctl_sms(const struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "encode") == 0)
		return encode(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "number") == 0)
		return number(ctl, argc - 1, argv + 1);
	if (argc >= 2)
		ctl_error(_("unknown sms command '%s'"), argv[1]);
	/* continuation lines under "cirmctl: usage: " */
	ctl_error("%s", _("usage: cirmctl sms encode [--ucs2|--gsm7] "
			  "[--ref16] TEXT|-\n"
			  "                cirmctl sms number [--country CC] "
			  "[--mask] NUMBER"));
	return EX_USAGE;
}
