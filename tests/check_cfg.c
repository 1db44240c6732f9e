/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cfg.h"
#include "testutil.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *dir;

static void
setup(void)
{
	dir = tu_tmpdir();
}

static void
teardown(void)
{
	tu_rmrf(dir);
	free(dir);
}

/* Loads TEXT as cirm.conf; returns the result and leaves the errors. */
static int
load(const char *text, struct cfg **cfg_r, struct strlist *errors)
{
	char *path = tu_write(dir, "cirm.conf", text, 0640);
	int ret = cfg_load(path, cfg_r, errors);

	free(path);
	return ret;
}

/* Asserts that TEXT fails with exactly one error, at LINE, containing
   WHAT. */
static void
assert_one_error(const char *text, int line, const char *what)
{
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;
	char *where = xasprintf("%s/cirm.conf:%d: ", dir, line);

	ck_assert_int_eq(load(text, &cfg, &errors), -1);
	ck_assert_ptr_null(cfg);
	ck_assert_uint_eq(errors.n, 1);
	ck_assert_msg(strncmp(errors.v[0], where, strlen(where)) == 0,
		      "error '%s' does not start with '%s'", errors.v[0], where);
	ck_assert_msg(strstr(errors.v[0], what) != NULL,
		      "error '%s' does not mention '%s'", errors.v[0], what);
	strlist_clear(&errors);
	free(where);
}

START_TEST(test_defaults)
{
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;
	char *db = xasprintf("%s/cirm.db", dir);

	ck_assert_int_eq(load("# only comments\n\n   \n", &cfg, &errors), 0);
	ck_assert_uint_eq(errors.n, 0);
	ck_assert_str_eq(cfg_str(cfg, CFG_DATABASE), db);
	ck_assert_str_eq(cfg_str(cfg, CFG_CASE_PREFIX), "KS");
	ck_assert_int_eq(cfg_int(cfg, CFG_ENGINE_BATCH), 500);
	for (int i = 0; i < SETTING_COUNT; i++)
		ck_assert(cfg_is_default(cfg, (enum setting_id)i));
	cfg_free(&cfg);
	ck_assert_ptr_null(cfg);
	free(db);
}
END_TEST

START_TEST(test_values)
{
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;

	ck_assert_int_eq(load("case_prefix = BN\n"
			      "  engine_batch=7  \r\n"
			      "database = /var/lib/cirm/x.db\n"
			      "spool_dir = data/spool\n"
			      "log_level = debug\n",
			      &cfg, &errors), 0);
	ck_assert_str_eq(cfg_str(cfg, CFG_CASE_PREFIX), "BN");
	ck_assert_int_eq(cfg_int(cfg, CFG_ENGINE_BATCH), 7);
	ck_assert_str_eq(cfg_str(cfg, CFG_DATABASE), "/var/lib/cirm/x.db");
	ck_assert(strstr(cfg_str(cfg, CFG_SPOOL_DIR), "/data/spool") != NULL);
	ck_assert_str_eq(cfg_str(cfg, CFG_LOG_LEVEL), "debug");
	ck_assert(!cfg_is_default(cfg, CFG_CASE_PREFIX));
	ck_assert(cfg_is_default(cfg, CFG_LANGUAGE));
	cfg_free(&cfg);
}
END_TEST

/* A file saved by an editor that begins it with a UTF-8 byte order
   mark (Notepad): the mark is no part of the first setting's name. */
START_TEST(test_byte_order_mark)
{
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;

	ck_assert_int_eq(load("\xef\xbb\xbf" "case_prefix = MBN\n"
			      "mail_name = Håbo kommun\n", &cfg, &errors), 0);
	ck_assert_uint_eq(errors.n, 0);
	ck_assert_str_eq(cfg_str(cfg, CFG_CASE_PREFIX), "MBN");
	cfg_free(&cfg);
	/* only at the very start */
	assert_one_error("case_prefix = MBN\n\xef\xbb\xbf" "language = en\n",
			 2, "unknown setting");
}
END_TEST

/* Saved as ISO-8859-1: said with the line, rather than mail_name
   going into every mail as broken UTF-8. */
START_TEST(test_not_utf8)
{
	assert_one_error("case_prefix = MBN\nmail_name = H\xe5" "bo kommun\n",
			 2, "not UTF-8: save the file as UTF-8");
}
END_TEST

START_TEST(test_unknown_setting)
{
	/* a slip: a letter left out, two swapped, capitals, '-' for '_',
	   a name without its end; the setting it most likely meant */
	assert_one_error("\ncase_prefx = KS\n", 2, "unknown setting "
			 "'case_prefx' (did you mean 'case_prefix'?)");
	assert_one_error("smtp_hots = mail.kommun.example\n", 1, "unknown "
			 "setting 'smtp_hots' (did you mean 'smtp_host'?)");
	assert_one_error("Mail_Name = Kommunen\n", 1, "unknown setting "
			 "'Mail_Name' (did you mean 'mail_name'?)");
	assert_one_error("case-prefix = KS\n", 1, "unknown setting "
			 "'case-prefix' (did you mean 'case_prefix'?)");
	assert_one_error("smtp_password = hemligt\n", 1, "unknown setting "
			 "'smtp_password' (did you mean 'smtp_password_file'?)");
	/* nothing near: no guess */
	for (int i = 0; i < 2; i++) {
		static const char *const text[] = {
			"smtp_server = mail.kommun.example\n", "log = syslog\n"
		};
		static const char *const end[] = {
			"unknown setting 'smtp_server'", "unknown setting 'log'"
		};
		struct strlist errors = { 0 };
		struct cfg *cfg = NULL;
		size_t n;

		ck_assert_int_eq(load(text[i], &cfg, &errors), -1);
		ck_assert_uint_eq(errors.n, 1);
		n = strlen(errors.v[0]);
		ck_assert_msg(n > strlen(end[i]) &&
			      strcmp(errors.v[0] + n - strlen(end[i]),
				     end[i]) == 0, "%s", errors.v[0]);
		strlist_clear(&errors);
	}
}
END_TEST

START_TEST(test_not_a_number)
{
	assert_one_error("engine_batch = many\n", 1, "engine_batch");
}
END_TEST

START_TEST(test_out_of_range)
{
	assert_one_error("engine_batch = 0\n", 1, "from 1 to 10000");
	assert_one_error("busy_timeout = 99999999999999999999\n", 1, "busy_timeout");
}
END_TEST

START_TEST(test_bad_enum)
{
	assert_one_error("log_target = file\n", 1, "stderr, syslog");
	/* the value read is shown, and what a '#' after it does */
	assert_one_error("log_target = file\n", 1, "syslog, not 'file'");
	assert_one_error("language = sv # Swedish\n", 1,
			 "not 'sv # Swedish' (a '#' begins a comment only at "
			 "the start of a line)");
}
END_TEST

/* A line pasted from cirmctl config, default marker and all: in free
   text it would reach every citizen's mail. A '#' elsewhere in a name
   stays. */
START_TEST(test_copied_default_marker)
{
	struct cfg *cfg = NULL;
	struct strlist errors = { 0 };

	assert_one_error("mail_name = Exempels kommun  # default\n", 1,
			 "the value of mail_name ends in '# default', as "
			 "cirmctl config prints it");
	assert_one_error("language = sv # default\n", 1,
			 "ends in '# default'");
	/* as cirmctl config prints it in Swedish, read in any locale */
	assert_one_error("mail_name = Exempels kommun  # standardvärde\n", 1,
			 "ends in '# standardvärde'");
	ck_assert_int_eq(load("mail_name = Kommun #1\n", &cfg, &errors), 0);
	ck_assert_str_eq(cfg_str(cfg, CFG_MAIL_NAME), "Kommun #1");
	cfg_free(&cfg);
	strlist_clear(&errors);
}
END_TEST

START_TEST(test_bad_then_set_again)
{
	/* A setting named twice is reported even when its first value was
	   bad: both mistakes at once. */
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;

	ck_assert_int_eq(load("language = de\nlanguage = sv\n", &cfg, &errors),
			 -1);
	ck_assert_uint_eq(errors.n, 2);
	ck_assert_ptr_nonnull(strstr(errors.v[0], ":1: 'language' must be one of"));
	ck_assert_ptr_nonnull(strstr(errors.v[1], ":2: 'language' is set twice "
					       "(first at line 1)"));
	strlist_clear(&errors);
	/* ... and the other way round: a bad second value is said too,
	   not only after the first is taken out */
	ck_assert_int_eq(load("engine_poll_interval = 2\n"
			      "engine_poll_interval = abc\n", &cfg, &errors),
			 -1);
	ck_assert_uint_eq(errors.n, 2);
	ck_assert_ptr_nonnull(strstr(errors.v[0], ":2: 'engine_poll_interval' "
					       "is set twice (first at line 1)"));
	ck_assert_ptr_nonnull(strstr(errors.v[1], ":2: 'engine_poll_interval' "
					       "must be"));
	ck_assert_ptr_nonnull(strstr(errors.v[1], "not 'abc'"));
	strlist_clear(&errors);
}
END_TEST

START_TEST(test_bad_string)
{
	assert_one_error("case_prefix = ks-x\n", 1, "case_prefix");
	assert_one_error("case_prefix =\n", 1, "must not be empty");
	assert_one_error("database =   \n", 1, "must not be empty");
	/* refused here, with the line, rather than by a gateway that
	   cirmd restarts for ever (or a relative CA file read from
	   wherever that gateway runs) */
	assert_one_error("smpp_system_id = abcdefghijklmnop\n", 1,
			 "'smpp_system_id' must be at most 15 characters");
	assert_one_error("smpp_system_type = abcdefghijklm\n", 1,
			 "'smpp_system_type' must be at most 12 characters");
	assert_one_error("imap_ca_file = ca.pem\n", 1,
			 "'imap_ca_file' must be system or an absolute path");
	assert_one_error("smtp_ca_file = certs/ca.pem\n", 1, "smtp_ca_file");
	assert_one_error("smpp_ca_file = ./ca.pem\n", 1, "smpp_ca_file");
	/* cirm's own mail comes from it: an address with å, ä or ö
	   would make every reply fail to go out */
	assert_one_error("mail_address = ärende@kommun.example\n", 1,
			 "'mail_address' must be an address in ASCII");
	assert_one_error("mail_address = arende@håbo.se\n", 1,
			 "xn-- form");
	/* one address, two workflows: routing would take the first and
	   ignore the second without a word */
	assert_one_error("workflow_routes = fel@k.example=felanmalan "
			 "FEL@k.example=synpunkt\n", 1,
			 "'workflow_routes' must name each address once");
	assert_one_error("workflow_routes = +4672456=felanmalan, "
			 "4672456=synpunkt\n", 1,
			 "'workflow_routes' must name each address once");
	/* a route to an address as typed with å: as mail carries it, the
	   domain is in its xn-- form, and the route would match no mail */
	assert_one_error("workflow_routes = felanmalan@h\xc3\xa5" "bo.se=felanmalan\n",
			 1, "'workflow_routes' must name addresses in ASCII "
			 "letters");
	/* a form sender named without its domain, or a bare '@' */
	assert_one_error("mail_form_senders = noreply\n", 1,
			 "'mail_form_senders' must be none or addresses and "
			 "@domains");
	assert_one_error("mail_form_senders = noreply@form.example @\n", 1,
			 "'mail_form_senders' must be none or addresses and "
			 "@domains");
	/* retention: a period for each workflow, ISO 8601, once each */
	assert_one_error("case_retention = synpunkt\n", 1,
			 "'case_retention' must be none or WORKFLOW:PERIOD "
			 "pairs");
	assert_one_error("case_retention = synpunkt:2Y\n", 1,
			 "'case_retention' must be none or WORKFLOW:PERIOD");
	/* a workflow named twice: said so, not that pairs are wanted */
	assert_one_error("case_retention = synpunkt:P2Y *:P5Y synpunkt:P1Y\n",
			 1, "'case_retention' must name each workflow once, "
			 "not 'synpunkt:P2Y *:P5Y synpunkt:P1Y'");
	assert_one_error("case_retention = :P2Y\n", 1,
			 "'case_retention' must be none or WORKFLOW:PERIOD");
	/* too long a period: the limit is said, not the shape */
	assert_one_error("case_retention = synpunkt:P2Y *:P11Y\n", 1,
			 "'case_retention' must give each workflow a period "
			 "of at most ten years, P10Y (none alone keeps every "
			 "case for ever), not 'synpunkt:P2Y *:P11Y'");
	assert_one_error("quarantine_retention = P11Y\n", 1,
			 "'quarantine_retention' must be a period of at most "
			 "ten years, P10Y (none keeps for ever), not 'P11Y'");
	assert_one_error("outbox_retention = P3661D\n", 1,
			 "'outbox_retention' must be a period of at most ten "
			 "years");
	assert_one_error("quarantine_retention = P90\n", 1,
			 "'quarantine_retention' must be none or an ISO 8601 "
			 "period");
	/* the digest: a time of day */
	assert_one_error("handler_digest = 7:30\n", 1,
			 "'handler_digest' must be none or a time of day "
			 "HH:MM");
	assert_one_error("handler_digest = 24:00\n", 1,
			 "'handler_digest' must be none or a time of day "
			 "HH:MM");
}
END_TEST

/* Routes are separated by spaces or commas, as cirm.conf(5) says
   (its text is the settings table's). */
START_TEST(test_routes_commas)
{
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;
	const struct setting_def *def = setting_find("workflow_routes");

	ck_assert_int_eq(load("workflow_routes = a@k.example=felanmalan,"
			      "b@k.example=synpunkt, 72456=felanmalan\n",
			      &cfg, &errors), 0);
	cfg_free(&cfg);
	ck_assert_ptr_nonnull(def);
	ck_assert_msg(strstr(def->help, "separated by spaces or commas") !=
			      NULL, "workflow_routes: '%s'", def->help);
}
END_TEST

/* TLS off only towards this machine: said at once, with the line. */
START_TEST(test_plaintext_only_loopback)
{
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;
	static const char *const ok[] = {
		"imap_host = 127.0.0.1\nimap_tls = none\n",
		"imap_host = ::1\nimap_tls = none\n",
		"smtp_host = localhost\nsmtp_tls = none\n",
		"smtp_host = mail.example.se\nsmtp_tls = starttls\n",
		"smtp_tls = none\n",	/* no SMTP server: the sink */
	};

	assert_one_error("imap_host = imap.example.se\n# x\nimap_tls = none\n",
			 3, "imap_tls = none would send passwords and mail "
			 "unencrypted to imap.example.se");
	assert_one_error("smtp_tls = none\nsmtp_host = 127.mail.example.se\n",
			 1, "smtp_tls = none");
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(load(ok[i], &cfg, &errors) == 0, "%s: %s", ok[i],
			      errors.n > 0 ? errors.v[0] : "");
		cfg_free(&cfg);
	}
}
END_TEST

/* imap_processed = move into the very mailbox fetched from: each
   message would come back under a new UID and be fetched again, for
   ever. Said at once, with the line. */
START_TEST(test_imap_move_into_itself)
{
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;
	static const char *const ok[] = {
		"imap_host = imap.example.se\nimap_mailbox = cirm\n"
		"imap_processed = flag\n",
		"imap_host = imap.example.se\nimap_mailbox = cirm\n"
		"imap_processed_folder = Behandlat\n",
		"imap_mailbox = cirm\n", /* the IMAP gateway is off */
	};

	assert_one_error("imap_host = imap.example.se\n# x\nimap_mailbox = cirm\n",
			 3, "imap_processed_folder is the mailbox fetched from");
	assert_one_error("imap_host = imap.example.se\n"
			 "imap_processed_folder = inbox\n", 2,
			 "imap_processed_folder is the mailbox fetched from");
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(load(ok[i], &cfg, &errors) == 0, "%s: %s", ok[i],
			      errors.n > 0 ? errors.v[0] : "");
		cfg_free(&cfg);
	}
}
END_TEST

START_TEST(test_missing_equals)
{
	assert_one_error("database cirm.db\n", 1, "name = value");
	assert_one_error("= cirm.db\n", 1, "name missing");
}
END_TEST

START_TEST(test_duplicate)
{
	assert_one_error("language = sv\n# x\nlanguage = en\n", 3,
			 "first at line 1");
}
END_TEST

/* Loads the LEN bytes at DATA (which may hold NUL bytes) as cirm.conf
   and asserts its errors: LINES[i] is the line of the i-th, each
   containing WHAT[i]. */
static void
assert_errors(const char *data, size_t len, size_t n, const int *lines,
	      const char *const *what)
{
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;
	char *path = xasprintf("%s/cirm.conf", dir);
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(cfg_load(path, &cfg, &errors), -1);
	ck_assert_uint_eq(errors.n, n);
	for (size_t i = 0; i < n; i++) {
		char *where = xasprintf("%s:%d: ", path, lines[i]);

		ck_assert_msg(strncmp(errors.v[i], where, strlen(where)) == 0,
			      "error '%s' does not start with '%s'",
			      errors.v[i], where);
		ck_assert_msg(strstr(errors.v[i], what[i]) != NULL,
			      "error '%s' does not mention '%s'", errors.v[i],
			      what[i]);
		free(where);
	}
	strlist_clear(&errors);
	free(path);
}

/* A line too long is said, and read to its end: the lines after it
   keep their numbers. */
START_TEST(test_long_line)
{
	static const char bad[] = "\nlanguage = fi\n";
	static const int lines[] = { 1, 2 };
	static const char *const what[] = {
		"line longer than 4096 bytes", "language",
	};
	char *text = xmalloc(CFG_LINE_MAX + 100);

	memset(text, 'x', CFG_LINE_MAX + 50);
	memcpy(text, "database = ", 11);
	strcpy(text + CFG_LINE_MAX + 50, "\n");
	assert_one_error(text, 1, "longer than");
	/* one byte too many, and a bad line after it */
	memcpy(text + CFG_LINE_MAX + 1, bad, sizeof(bad));
	assert_errors(text, strlen(text), 2, lines, what);
	/* just short enough */
	memcpy(text + CFG_LINE_MAX, bad, sizeof(bad));
	assert_errors(text, strlen(text), 1, lines + 1, what + 1);
	free(text);
}
END_TEST

/* A NUL byte (a file saved as UTF-16) is said as such, not as a line
   too long, and the lines after it keep their numbers. */
START_TEST(test_nul_byte)
{
	static const char text[] = "case_prefix = MBN\n"
				   "mail_name = H\0bo\n"
				   "language = fi\n";
	static const char utf16[] = "\xff\xfel\0a\0n\0g\0=\0s\0v\0\n\0";
	static const int lines[] = { 2, 3, 1, 2 };
	static const char *const what[] = {
		"holds a NUL byte: save the file as UTF-8 (not UTF-16)",
		"language", "holds a NUL byte", "holds a NUL byte",
	};

	assert_errors(text, sizeof(text) - 1, 2, lines, what);
	/* the last line, the "\0" after "\n", holds one too */
	assert_errors(utf16, sizeof(utf16) - 1, 2, lines + 2, what + 2);
}
END_TEST

START_TEST(test_all_errors_at_once)
{
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;

	ck_assert_int_eq(load("nonsense = 1\n"
			      "engine_batch = -1\n"
			      "case_prefix = KS\n"
			      "language = fi\n"
			      "no equals here\n",
			      &cfg, &errors), -1);
	ck_assert_uint_eq(errors.n, 4);
	ck_assert(strstr(errors.v[0], "cirm.conf:1: ") != NULL);
	ck_assert(strstr(errors.v[1], "cirm.conf:2: ") != NULL);
	ck_assert(strstr(errors.v[2], "cirm.conf:4: ") != NULL);
	ck_assert(strstr(errors.v[3], "cirm.conf:5: ") != NULL);
	strlist_clear(&errors);
}
END_TEST

START_TEST(test_missing_file)
{
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;
	char *path = xasprintf("%s/nope.conf", dir);

	ck_assert_int_eq(cfg_load(path, &cfg, &errors), -1);
	ck_assert_uint_eq(errors.n, 1);
	ck_assert(strstr(errors.v[0], "nope.conf: ") != NULL);
	strlist_clear(&errors);
	free(path);
}
END_TEST

START_TEST(test_secret_readable)
{
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;
	char *key = tu_write(dir, "my.key", "00\n", 0644);

	ck_assert_int_eq(load("\nkey_file = my.key\n", &cfg, &errors), -1);
	ck_assert_uint_eq(errors.n, 1);
	ck_assert(strstr(errors.v[0], "cirm.conf:2: ") != NULL);
	ck_assert(strstr(errors.v[0], "mode 0644") != NULL);
	strlist_clear(&errors);
	/* The default key file is checked too, without a line number. */
	free(key);
	key = tu_write(dir, "cirm.key", "00\n", 0640);
	ck_assert_int_eq(load("", &cfg, &errors), -1);
	ck_assert_uint_eq(errors.n, 1);
	ck_assert(strstr(errors.v[0], "cirm.conf: ") != NULL);
	strlist_clear(&errors);
	chmod(key, 0600);
	ck_assert_int_eq(load("", &cfg, &errors), 0);
	cfg_free(&cfg);
	free(key);
}
END_TEST

START_TEST(test_dump_marks_defaults)
{
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(load("language = en\n", &cfg, &errors), 0);
	f = open_memstream(&out, &len);
	cfg_dump(cfg, f);
	fclose(f);
	ck_assert_msg(strstr(out, "\nlanguage = en\n") != NULL, "%s", out);
	ck_assert(strstr(out, "case_prefix = KS  # default\n") != NULL);
	free(out);
	cfg_free(&cfg);
}
END_TEST

START_TEST(test_template_loads_as_defaults)
{
	struct strlist errors = { 0 };
	struct cfg *cfg = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	cfg_write_template(f);
	fclose(f);
	/* Every setting is in the template, commented out. */
	for (int i = 0; i < SETTING_COUNT; i++) {
		char *line = xasprintf("\n#%s = %s\n", settings[i].name,
				       settings[i].def);

		ck_assert_msg(strstr(out, line) != NULL, "missing %s", line);
		free(line);
	}
	ck_assert_int_eq(load(out, &cfg, &errors), 0);
	for (int i = 0; i < SETTING_COUNT; i++)
		ck_assert(cfg_is_default(cfg, (enum setting_id)i));
	cfg_free(&cfg);
	free(out);
}
END_TEST

START_TEST(test_defaults_are_valid)
{
	/* Every default passes its own setting's checks. */
	for (int i = 0; i < SETTING_COUNT; i++) {
		struct strlist errors = { 0 };
		struct cfg *cfg = NULL;
		char *text = xasprintf("%s = %s\n", settings[i].name,
				       settings[i].def);

		if (settings[i].type == SETTING_SECRET_PATH) {
			free(text);
			continue;
		}
		ck_assert_msg(load(text, &cfg, &errors) == 0, "%s",
			      errors.n ? errors.v[0] : "");
		cfg_free(&cfg);
		free(text);
	}
}
END_TEST

static Suite *
cfg_suite(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc = tcase_create("cfg");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_byte_order_mark);
	tcase_add_test(tc, test_not_utf8);
	tcase_add_test(tc, test_unknown_setting);
	tcase_add_test(tc, test_not_a_number);
	tcase_add_test(tc, test_out_of_range);
	tcase_add_test(tc, test_bad_enum);
	tcase_add_test(tc, test_copied_default_marker);
	tcase_add_test(tc, test_bad_then_set_again);
	tcase_add_test(tc, test_bad_string);
	tcase_add_test(tc, test_routes_commas);
	tcase_add_test(tc, test_plaintext_only_loopback);
	tcase_add_test(tc, test_imap_move_into_itself);
	tcase_add_test(tc, test_missing_equals);
	tcase_add_test(tc, test_duplicate);
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_all_errors_at_once);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_secret_readable);
	tcase_add_test(tc, test_dump_marks_defaults);
	tcase_add_test(tc, test_template_loads_as_defaults);
	tcase_add_test(tc, test_defaults_are_valid);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(cfg_suite());
}
