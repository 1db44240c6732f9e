/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "settings.h"

#include "digest.h"
#include "i18n.h"
#include "retention.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const char *const languages[] = { "sv", "en", NULL };
static const char *const case_access[] = { "groups", "all", NULL };
static const char *const log_targets[] = { "stderr", "syslog", NULL };
static const char *const log_levels[] = { "error", "warning", "info",
					  "debug", NULL };
static const char *const imap_tls[] = { "implicit", "starttls", "none",
					NULL };
static const char *const smtp_tls[] = { "starttls", "implicit", "none",
					NULL };
static const char *const smpp_long[] = { "udh", "payload", NULL };
static const char *const smpp_tls[] = { "implicit", "none", NULL };
static const char *const smpp_alphabets[] = { "auto", "gsm", "latin1",
					      NULL };
static const char *const smpp_receipt_ids[] = { "as-sent", "hex-decimal",
	"decimal-hex", "hex-hex", "decimal-decimal", NULL };
static const char *const maildir_processed[] = { "move", "delete", NULL };
static const char *const imap_processed[] = { "move", "flag", "delete",
					      NULL };
static const char *const sms_transports[] = { "smstools", "smpp", "none",
						 NULL };
static const char *const facilities[] = {
	"mail", "daemon", "user", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL
};

/* An address the municipality receives mail at: local@domain, no
   spaces or angle brackets. Empty means not configured. */
static const char *
check_mail_address(const char *v)
{
	const char *at = strchr(v, '@');

	if (at == NULL || at == v || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    strpbrk(v, " \t<>\"(),;:") != NULL)
		return N_("must be an address like arende@kommun.example");
	return NULL;
}

/* The case address: cirm's mail goes out from it (From, Reply-To), so
   it must be one a mail header can carry as it is, which the outgoing
   mail's check (mailout_address_ok) also asks: printable ASCII. A
   domain with å, ä or ö is written in its xn-- form. */
static const char *
check_own_address(const char *v)
{
	const char *reason = check_mail_address(v);

	if (reason != NULL)
		return reason;
	for (const char *p = v; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f || strchr("[]\\", c) != NULL)
			return N_("must be an address in ASCII letters, like "
				  "arende@kommun.example (a domain with Swedish "
				  "letters in its xn-- form)");
	}
	return NULL;
}

/* Where SMS come from: an international number (+ and 7 to 15 digits,
   sent with TON 1) or an alphanumeric sender id of at most 11
   characters (TON 5: letters, digits and spaces, which every network
   passes), which the handset cannot answer. */
static const char *
check_smpp_source(const char *v)
{
	size_t n = strlen(v);

	if (v[0] == '+') {
		if (n < 8 || n > 16 || strspn(v + 1, "0123456789") != n - 1)
			return N_("must be an international number like "
				  "+46701234567 or a sender name of 1 to 11 "
				  "letters and digits");
		return NULL;
	}
	if (n > 11)
		return N_("must be an international number like +46701234567 "
			  "or a sender name of 1 to 11 letters and digits");
	for (size_t i = 0; i < n; i++) {
		if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= 'a' && v[i] <= 'z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == ' '))
			return N_("must be an international number like "
				  "+46701234567 or a sender name of 1 to 11 "
				  "letters and digits");
	}
	return NULL;
}

/* A case number prefix: 1 to 8 capital letters A-Z or digits, starting
   with a letter, so that `KS-2026-00042` stays unambiguous in subjects. */
static const char *
check_case_prefix(const char *v)
{
	size_t n = strlen(v);

	if (n < 1 || n > 8 || v[0] < 'A' || v[0] > 'Z')
		return N_("must be 1 to 8 characters A-Z or 0-9, "
			  "starting with a letter");
	for (size_t i = 0; i < n; i++) {
		if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9')))
			return N_("must be 1 to 8 characters A-Z or 0-9, "
				  "starting with a letter");
	}
	return NULL;
}

/* A workflow id as the format has it: a-z first, then a-z, 0-9, _ -. */
static bool
workflow_id_ok(const char *v, size_t n)
{
	if (n < 1 || n > 64 || v[0] < 'a' || v[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '_' ||
		      v[i] == '-'))
			return false;
	}
	return true;
}

static const char *
check_workflow_id(const char *v)
{
	if (!workflow_id_ok(v, strlen(v)))
		return N_("must be a workflow id: a-z, then a-z, 0-9, _ or -");
	return NULL;
}

/* none, or addresses (local@domain) and domains (@domain) separated by
   spaces or commas. */
static const char *
check_form_senders(const char *v)
{
	const char *p = v;

	if (strcmp(v, "none") == 0)
		return NULL;
	while (*p != '\0') {
		size_t n;
		char *one;
		bool ok;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == 0)
			break;
		one = xstrndup(p, n);
		ok = one[0] == '@' ? one[1] != '\0' &&
			strpbrk(one + 1, "@<>\"();:") == NULL :
			check_mail_address(one) == NULL;
		free(one);
		if (!ok)
			return N_("must be none or addresses and @domains, e.g. "
				  "noreply@e-tjanster.kommun.example");
		p += n;
	}
	return NULL;
}

/* none, or an authserv-id (RFC 8601 2.5): a host name as the receiving
   server writes it first in its Authentication-Results. */
static const char *
check_auth_server(const char *v)
{
	if (strcmp(v, "none") == 0)
		return NULL;
	if (*v == '\0' || *v == '.' || *v == '-' ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != strlen(v))
		return N_("must be none or the host name the receiving mail "
			  "server writes first in its Authentication-Results, "
			  "e.g. mx.kommun.example");
	return NULL;
}

static const char *
check_retention(const char *v)
{
	return retention_problem(v);
}

static const char *
check_period(const char *v)
{
	char *err = NULL;
	int rc = retention_period_check(v, &err);

	free(err);
	if (rc == -2)
		return N_("must be a period of at most ten years, P10Y (none "
			  "keeps for ever)");
	if (rc < 0)
		return N_("must be none or an ISO 8601 period longer than "
			  "nothing, e.g. P90D");
	return NULL;
}

static const char *
check_digest(const char *v)
{
	int minute;

	return digest_parse_time(v, &minute) < 0 ?
		N_("must be none or a time of day HH:MM, e.g. 07:30") : NULL;
}

/* "+46": '+' and a country code of 1 to 3 digits, not starting with 0. */
static const char *
check_country_code(const char *v)
{
	size_t n = strlen(v);

	if (n < 2 || n > 4 || v[0] != '+' || v[1] == '0' ||
	    strspn(v + 1, "0123456789") != n - 1)
		return N_("must be '+' and a country code, e.g. +46");
	return NULL;
}

/* A CA file: "system", or an absolute path. A relative one would be
   read from whatever directory a gateway happens to run in, not beside
   cirm.conf, since the value is not a path setting ("system" is a
   word). */
static const char *
check_ca_file(const char *v)
{
	if (strcmp(v, "system") != 0 && v[0] != '/')
		return N_("must be system or an absolute path to a PEM file");
	return NULL;
}

/* SMPP 3.4 fields of the bind: system_id at most 15 characters,
   system_type at most 12 (the gateway could not bind with more). */
static const char *
check_smpp_system_id(const char *v)
{
	if (strlen(v) > 15)
		return N_("must be at most 15 characters, as SMPP 3.4 allows");
	return NULL;
}

static const char *
check_smpp_system_type(const char *v)
{
	if (strlen(v) > 12)
		return N_("must be at most 12 characters, as SMPP 3.4 allows");
	return NULL;
}

/* "address=workflow" pairs separated by spaces or commas. An address
   routed twice would go to the first workflow named, and the second
   would be ignored without a word: refused. Addresses compare as
   routing matches them: mail without regard to case, a number with or
   without its '+'. */
static const char *
check_workflow_routes(const char *v)
{
	const char *p = v, *twice = NULL;
	struct strlist seen = { 0 };

	if (strcmp(v, "none") == 0)
		return NULL;
	while (*p != '\0' && twice == NULL) {
		size_t n;
		const char *eq;
		char *addr;
		bool ok;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == 0)
			break;
		eq = memchr(p, '=', n);
		if (eq == NULL)
			return N_("must be none or address=workflow pairs, "
				  "e.g. felanmalan@kommun.example=felanmalan");
		addr = xstrndup(p, (size_t)(eq - p));
		/* Mail comes to our address as mail carries it: a domain
		   with å, ä or ö in its xn-- form, as mail_address is
		   written; as typed, the route would match no mail. */
		if (check_mail_address(addr) == NULL &&
		    check_own_address(addr) != NULL) {
			free(addr);
			strlist_clear(&seen);
			return N_("must name addresses in ASCII letters, like "
				  "felanmalan@kommun.example=felanmalan (a "
				  "domain with Swedish letters in its xn-- "
				  "form)");
		}
		/* An SMS route names our number or short code. */
		ok = (check_mail_address(addr) == NULL ||
		      (addr[strspn(addr, "+")] != '\0' &&
		       strspn(addr + strspn(addr, "+"), "0123456789") ==
		       strlen(addr + strspn(addr, "+")))) &&
			workflow_id_ok(eq + 1, n - (size_t)(eq - p) - 1);
		if (ok) {
			const char *a = addr + (addr[0] == '+');

			for (size_t i = 0; i < seen.n && twice == NULL; i++)
				if (strcasecmp(seen.v[i], a) == 0)
					twice = N_("must name each address "
						   "once (a second route for "
						   "it would be ignored)");
			strlist_add(&seen, a);
		}
		free(addr);
		if (!ok) {
			strlist_clear(&seen);
			return N_("must be none or address=workflow pairs, "
				  "e.g. felanmalan@kommun.example=felanmalan");
		}
		p += n;
	}
	strlist_clear(&seen);
	return twice;
}

const struct setting_def settings[SETTING_COUNT] = {
	[CFG_DATABASE] = { "database", SETTING_PATH, "cirm.db", 0, 0, NULL, NULL,
		NULL, "The SQLite database holding cases, queues and history." },
	[CFG_SPOOL_DIR] = { "spool_dir", SETTING_PATH, "spool", 0, 0, NULL, NULL,
		NULL, "Directory of content-addressed files: the attachments of "
		"messages." },
	[CFG_SPOOL_PRUNE_INTERVAL] = { "spool_prune_interval", SETTING_INT, "24",
		0, 8760, NULL, NULL, "hours", "How often cirmd removes the "
		"files in spool_dir that no message names (as cirmctl spool "
		"prune does), starting when it starts, after applying "
		"case_retention, quarantine_retention, maildir_retention and "
		"outbox_retention; 0: never, and then cirmd applies no "
		"retention either (it warns when one is set)." },
	[CFG_SPOOL_PRUNE_MIN_AGE] = { "spool_prune_min_age", SETTING_INT, "24",
		1, 8760, NULL, NULL, "hours", "Files in spool_dir younger than "
		"this are kept by cirmd's prune, named or not." },
	[CFG_MAILDIR_DIR] = { "maildir_dir", SETTING_PATH, "maildir", 0, 0, NULL,
		NULL, NULL, "Root of the local Maildirs: inbox/ for citizen mail "
		"delivered by the MTA, outbound/ for the embedded mail sink." },
	[CFG_MAILGATE_DIR] = { "mailgate_dir", SETTING_PATH, "mailgate", 0, 0,
		NULL, NULL, NULL, "The Maildir in which cirm-mailgate leaves "
		"each mail the MTA delivers, durably, before it tells the MTA "
		"the mail is taken; cirmd's mailgate gateway moves it into the "
		"database. The MTA's pipe user must be able to write to its tmp/ "
		"and new/." },
	[CFG_KEY_FILE] = { "key_file", SETTING_SECRET_PATH, "cirm.key", 0, 0,
		NULL, NULL, NULL, "The instance key (HMAC-SHA256, hex) that signs "
		"reply addresses. Must be readable by its owner only (mode 0600)." },
	[CFG_CASE_PREFIX] = { "case_prefix", SETTING_STRING, "KS", 0, 0, NULL,
		check_case_prefix, NULL, "Prefix of case numbers: PREFIX-YEAR-"
		"NNNNN, numbered without gaps from 1 each year." },
	[CFG_CASE_RETENTION] = { "case_retention", SETTING_STRING, "none", 0,
		0, NULL, check_retention, NULL, "Retention (gallring) as the "
		"records management plan decides: WORKFLOW:PERIOD pairs, such as "
		"synpunkt:P2Y felanmalan:P1Y *:P10Y (\"*\": every other "
		"workflow; each period ISO 8601, at most ten years, P10Y). A "
		"case closed longer ago than its period is removed "
		"with its messages, files and history, and its citizen when no "
		"other case names them, by cirmd's housekeeping (every "
		"spool_prune_interval hours) or cirmctl case prune; each "
		"removal is in the audit log; both warn of a workflow that "
		"never ran on the instance (a mistyped id). none: nothing is "
		"ever removed." },
	[CFG_QUARANTINE_RETENTION] = { "quarantine_retention", SETTING_STRING,
		"none", 0, 0, NULL, check_period, NULL, "How long quarantined "
		"mail is kept (ISO 8601, e.g. P90D; at most ten years, P10Y): "
		"older mail still waiting "
		"is discarded (its bytes erased, the record kept), and the "
		"copies of released mail erased, by cirmd's housekeeping or "
		"cirmctl quarantine prune, audited. none: kept until an "
		"administrator discards it." },
	[CFG_OUTBOX_RETENTION] = { "outbox_retention", SETTING_STRING,
		"P30D", 0, 0, NULL, check_period, NULL, "How long the copies "
		"of what cirm sent that belong to no case are kept (ISO 8601, "
		"e.g. P30D; at most ten years, P10Y): case officers' digests and the answers to their "
		"commands, notices of mail set aside, SMS opt-out "
		"confirmations. Once sent (or failed for good) longer ago, "
		"they are removed by cirmd's housekeeping or cirmctl case "
		"prune, audited (counts, never addresses). What was sent in a "
		"case stays with the case, under case_retention. none: kept "
		"until an administrator removes them." },
	[CFG_HANDLER_DIGEST] = { "handler_digest", SETTING_STRING, "none", 0,
		0, NULL, check_digest, NULL, "When case officers get their "
		"morning digest, HH:MM local time (e.g. 07:30): each business "
		"day (weekdays but Swedish public holidays), one mail to each "
		"active case officer with open cases, listing the overdue ones, "
		"the others assigned to them and the unassigned ones in their "
		"groups, in their language. none: no digest." },
	[CFG_CASE_ACCESS] = { "case_access", SETTING_ENUM, "groups", 0, 0,
		case_access, NULL, NULL, "Which cases a case officer may read "
		"by mail (#visa, #sök). groups: the cases assigned to them, the "
		"cases of their groups, and every case of a workflow that gives "
		"one of their groups a role (as its case officers or managers); "
		"for another case #visa answers that it is not theirs to read "
		"and #sök leaves it out. all: every case." },
	[CFG_LANGUAGE] = { "language", SETTING_ENUM, "sv", 0, 0, languages, NULL,
		NULL, "Language of texts to citizens (acknowledgements, "
		"answers, reminders) whose first message is not clearly in "
		"English or Swedish (see cirmd(8)); a handler gets the "
		"language given with cirmctl handler add --language." },
	[CFG_LOG_TARGET] = { "log_target", SETTING_ENUM, "stderr", 0, 0,
		log_targets, NULL, NULL, "Where the programs log." },
	[CFG_LOG_LEVEL] = { "log_level", SETTING_ENUM, "info", 0, 0, log_levels,
		NULL, NULL, "The least important messages logged." },
	[CFG_SYSLOG_FACILITY] = { "syslog_facility", SETTING_ENUM, "mail", 0, 0,
		facilities, NULL, NULL, "Syslog facility when log_target is "
		"syslog." },
	[CFG_BUSY_TIMEOUT] = { "busy_timeout", SETTING_INT, "5000", 100, 600000,
		NULL, NULL, "ms", "How long a program waits for a database lock "
		"held by another before it gives up." },
	[CFG_ENGINE_BATCH] = { "engine_batch", SETTING_INT, "500", 1, 10000,
		NULL, NULL, NULL, "Inbox rows the engine handles in one "
		"transaction. The engine's page cache holds a batch: 16 MiB, "
		"or 32 KiB a row above 512 rows." },
	[CFG_ENGINE_POLL_INTERVAL] = { "engine_poll_interval", SETTING_INT, "5",
		1, 3600, NULL, NULL, "s", "How often the engine looks for new "
		"inbox rows when idle." },
	[CFG_INBOX_MAX_ATTEMPTS] = { "inbox_max_attempts", SETTING_INT, "5", 1,
		100, NULL, NULL, NULL, "Attempts at a failing inbox row before it "
		"is quarantined with its reason." },
	[CFG_INBOX_RETRY_DELAY] = { "inbox_retry_delay", SETTING_INT, "60", 1,
		86400, NULL, NULL, "s", "Delay before the first retry of a failed "
		"inbox row; it doubles with each attempt." },
	[CFG_TEMPLATE_DIR] = { "template_dir", SETTING_PATH, "templates", 0, 0,
		NULL, NULL, NULL, "Directory of message templates, one "
		"subdirectory per language (sv/, en/)." },
	[CFG_MAIL_ADDRESS] = { "mail_address", SETTING_STRING,
		"arende@kommun.example", 0, 0, NULL, check_own_address, NULL,
		"The municipality's case address: citizens write to it, "
		"acknowledgements come from it, and signed reply addresses are "
		"made from it (local+tag@domain). ASCII only: a domain with "
		"Swedish letters in its xn-- form." },
	[CFG_MAIL_NAME] = { "mail_name", SETTING_STRING, "Kommunen", 0, 0, NULL,
		NULL, NULL, "The municipality's name, as citizens and case "
		"officers read it: the display name on mail from cirm, and "
		"{{municipality.name}} in the templates (the acknowledgement's "
		"thanks, the answers' signature, the prefix of each SMS). Set "
		"it to the municipality's own name, e.g. Exempels kommun." },
	[CFG_MAIL_MAX_SIZE] = { "mail_max_size", SETTING_INT, "26214400", 1024,
		1073741824, NULL, NULL, "bytes", "Largest inbound mail; larger "
		"ones are bounced by cirm-mailgate and quarantined otherwise." },
	[CFG_MAIL_MAX_HEADER_BYTES] = { "mail_max_header_bytes", SETTING_INT,
		"262144", 1024, 16777216, NULL, NULL, "bytes", "Largest header "
		"section of an inbound mail." },
	[CFG_MAIL_MAX_DEPTH] = { "mail_max_depth", SETTING_INT, "10", 1, 100,
		NULL, NULL, NULL, "Deepest nesting of MIME parts." },
	[CFG_MAIL_MAX_PARTS] = { "mail_max_parts", SETTING_INT, "200", 1, 10000,
		NULL, NULL, NULL, "Most MIME parts in one mail." },
	[CFG_MAIL_MAX_ATTACHMENT] = { "mail_max_attachment", SETTING_INT,
		"20971520", 1024, 1073741824, NULL, NULL, "bytes", "Largest "
		"single attachment." },
	[CFG_FLOOD_MAX_CASES] = { "flood_max_cases", SETTING_INT, "20", 1,
		100000, NULL, NULL, "per hour", "New cases one sender may open in "
		"an hour; further mail from them goes to the quarantine." },
	[CFG_MAIL_RESEND_WINDOW] = { "mail_resend_window", SETTING_INT, "600",
		0, 86400, NULL, NULL, "s", "A citizen's mail that repeats one "
		"of theirs that came at most this long before (the same "
		"subject, text and files, another Message-ID: sent twice) is "
		"kept on the first one's case as a copy, with no new case, "
		"acknowledgement or workflow event; 0 turns this off." },
	[CFG_MAIL_FORM_SENDERS] = { "mail_form_senders", SETTING_STRING,
		"none", 0, 0, NULL, check_form_senders, NULL, "Senders that "
		"write on a citizen's behalf, such as the municipality's web "
		"forms: addresses or @domains, separated by spaces. Their mail's "
		"Reply-To is the citizen, who gets the acknowledgement and the "
		"answers; none for no such senders. A mail from one of them "
		"whose receiving server reports that it failed authentication "
		"(Authentication-Results, as for handlers) goes to the "
		"quarantine." },
	[CFG_MAIL_AUTH_SERVER] = { "mail_auth_server", SETTING_STRING,
		"none", 0, 0, NULL, check_auth_server, NULL, "The receiving "
		"mail server's name in the Authentication-Results header it "
		"adds (its authserv-id, the header's first word, e.g. "
		"mx.kommun.example). Set, only that server's header counts: "
		"a case officer's mail (or a web form's, see "
		"mail_form_senders) without one fails authentication and goes "
		"to the quarantine, and a header the sender wrote in the "
		"server's place is not believed, as long as the server puts "
		"its own on top (milters do) or removes those a sender wrote "
		"with its name. Mail the server does not check, such as a case "
		"officer's sent from inside (OpenDMARC's "
		"IgnoreAuthenticatedClients), has no header and is set aside. "
		"none: the topmost Authentication-Results header counts, and "
		"a mail without one is not checked; set it whenever the "
		"server adds the header to all mail cirm gets." },
	[CFG_MAILDIR_POLL_INTERVAL] = { "maildir_poll_interval", SETTING_INT,
		"2", 1, 3600, NULL, NULL, "s", "How often the Maildir gateway "
		"looks in maildir_dir/inbox/new." },
	[CFG_MAILDIR_PROCESSED] = { "maildir_processed", SETTING_ENUM, "move",
		0, 0, maildir_processed, NULL, NULL, "What happens to a file of "
		"maildir_dir/inbox/new once it is safely stored: move to cur/, "
		"or delete. cirm keeps the mail in its database; the copies in "
		"cur/ are kept as maildir_retention says. A file over "
		"mail_max_size, of which only the header is stored, goes to "
		"cur/ either way." },
	[CFG_MAILDIR_RETENTION] = { "maildir_retention", SETTING_STRING,
		"P30D", 0, 0, NULL, check_period, NULL, "How long the copies "
		"of processed mail in maildir_dir/inbox/cur are kept, counted "
		"from each file's modification time, its arrival (ISO 8601, "
		"e.g. P30D; at most ten years, P10Y): older ones are removed by cirmd's housekeeping "
		"or cirmctl maildir prune, audited (counts, never names). "
		"Each mail is in the database, under case_retention; a copy "
		"kept longer is outside that. A file over mail_max_size is "
		"the only whole copy of its mail (quarantined with its header "
		"alone), so quarantine_retention governs it instead. none: "
		"kept until an administrator removes them." },
	[CFG_IMAP_HOST] = { "imap_host", SETTING_STRING, "none", 0, 0, NULL,
		NULL, NULL, "IMAP server to fetch citizen mail from; none turns "
		"the IMAP gateway off." },
	[CFG_IMAP_PORT] = { "imap_port", SETTING_INT, "993", 1, 65535, NULL,
		NULL, NULL, "IMAP server port (993 for implicit TLS, 143 for "
		"STARTTLS)." },
	[CFG_IMAP_TLS] = { "imap_tls", SETTING_ENUM, "implicit", 0, 0, imap_tls,
		NULL, NULL, "TLS to the IMAP server; the certificate is always "
		"verified. none is refused unless the server is on loopback." },
	[CFG_IMAP_CA_FILE] = { "imap_ca_file", SETTING_STRING, "system", 0, 0,
		NULL, check_ca_file, NULL, "CA certificates (an absolute path to a PEM file) "
		"that verify the IMAP server; system uses the system's store." },
	[CFG_IMAP_USER] = { "imap_user", SETTING_STRING, "cirm", 0, 0, NULL, NULL,
		NULL, "IMAP login name." },
	[CFG_IMAP_PASSWORD_FILE] = { "imap_password_file", SETTING_SECRET_PATH,
		"imap.password", 0, 0, NULL, NULL, NULL, "File holding the IMAP "
		"password (mode 0600)." },
	[CFG_IMAP_MAILBOX] = { "imap_mailbox", SETTING_STRING, "INBOX", 0, 0,
		NULL, NULL, NULL, "Mailbox to fetch from." },
	[CFG_IMAP_PROCESSED] = { "imap_processed", SETTING_ENUM, "move", 0, 0,
		imap_processed, NULL, NULL, "What happens to a fetched message on "
		"the server once it is safely stored: moved to "
		"imap_processed_folder, flagged \\Seen and with the keyword "
		"$cirm, or deleted. With move and flag the server keeps it, "
		"outside cirm's retention (case_retention does not remove it). "
		"flag and delete need a server that stores keywords in "
		"imap_mailbox (its PERMANENTFLAGS name $cirm or \\*; with "
		"ACLs, the right to change flags; delete keeps oversize mail "
		"there marked $cirm): where it does not, the gateway takes no "
		"mail from the mailbox and logs why; use move there." },
	[CFG_IMAP_PROCESSED_FOLDER] = { "imap_processed_folder", SETTING_STRING,
		"cirm", 0, 0, NULL, NULL, NULL, "Folder fetched messages are moved "
		"to when imap_processed is move." },
	[CFG_IMAP_IDLE] = { "imap_idle", SETTING_BOOL, "yes", 0, 0, NULL, NULL,
		NULL, "Wait for new mail with IDLE when the server offers it." },
	[CFG_IMAP_POLL_INTERVAL] = { "imap_poll_interval", SETTING_INT, "60", 1,
		3600, NULL, NULL, "s", "How often to look for new mail without "
		"IDLE, and the longest IDLE before it is renewed." },
	[CFG_IMAP_REFETCH_AFTER] = { "imap_refetch_after", SETTING_INT,
		"3600", 1, 86400, NULL, NULL, "s", "How long after a message "
		"is given up (the server broke three sessions in a row at its "
		"FETCH; a note for it went to the quarantine) the gateway "
		"fetches it again by itself; each further failure waits four "
		"times as long, at most a day (or this, when longer). The "
		"other mail keeps coming in meanwhile; releasing the note "
		"fetches it again within seconds, also while the gateway "
		"waits with IDLE." },
	[CFG_IMAP_REFETCH_DAYS] = { "imap_refetch_days", SETTING_INT, "14", 1,
		365, NULL, NULL, "days", "For how many days after it was given up "
		"a message is fetched again by itself; after that only "
		"releasing its note in the quarantine does. It stays on the "
		"server, unmarked, either way, until its note is discarded: "
		"then it is marked as imap_processed says and never fetched "
		"again." },
	[CFG_SMTP_HOST] = { "smtp_host", SETTING_STRING, "none", 0, 0, NULL,
		NULL, NULL, "SMTP server (a submission server) that sends cirm's "
		"mail; none delivers it instead into one Maildir per recipient "
		"under maildir_dir/outbound (the sink)." },
	[CFG_SMTP_PORT] = { "smtp_port", SETTING_INT, "587", 1, 65535, NULL,
		NULL, NULL, "SMTP server port (587 for STARTTLS, 465 for "
		"implicit TLS)." },
	[CFG_SMTP_TLS] = { "smtp_tls", SETTING_ENUM, "starttls", 0, 0, smtp_tls,
		NULL, NULL, "TLS to the SMTP server; the certificate is always "
		"verified. none is refused unless the server is on loopback." },
	[CFG_SMTP_CA_FILE] = { "smtp_ca_file", SETTING_STRING, "system", 0, 0,
		NULL, check_ca_file, NULL, "CA certificates (an absolute path to a PEM file) "
		"that verify the SMTP server; system uses the system's store." },
	[CFG_SMTP_USER] = { "smtp_user", SETTING_STRING, "none", 0, 0, NULL,
		NULL, NULL, "SMTP login name for AUTH PLAIN or LOGIN; none sends "
		"without authenticating." },
	[CFG_SMTP_PASSWORD_FILE] = { "smtp_password_file", SETTING_SECRET_PATH,
		"smtp.password", 0, 0, NULL, NULL, NULL, "File holding the SMTP "
		"password (mode 0600), read when smtp_user is set." },
	[CFG_SMTP_BATCH] = { "smtp_batch", SETTING_INT, "500", 1, 10000, NULL,
		NULL, NULL, "Messages sent over one SMTP connection (or written "
		"by the sink) before the outbox is read again." },
	[CFG_SMTP_CONNECTIONS] = { "smtp_connections", SETTING_INT, "2", 1, 16,
		NULL, NULL, NULL, "SMTP connections the smtp gateway keeps open "
		"to the server at once. The mail of one case always goes over the "
		"same connection, in the order it was written; each connection "
		"has at most one message in flight, which is the one a crash "
		"can send twice (with the same Message-ID). A server that allows "
		"fewer connections from one client refuses the others for now "
		"(421), which delays their mail by smtp_retry_delay: set it to "
		"what the server allows." },
	[CFG_SMTP_POLL_INTERVAL] = { "smtp_poll_interval", SETTING_INT, "1", 1,
		3600, NULL, NULL, "s", "How often the outbox is read for mail to "
		"send when it was empty (and for SMS, by the smpp gateway)." },
	[CFG_SMTP_RETRY_DELAY] = { "smtp_retry_delay", SETTING_INT, "60", 1,
		86400, NULL, NULL, "s", "Delay before the first retry of a mail "
		"the server refused for now (4xx) or could not take; it doubles "
		"with each attempt, up to a day. A mail refused for good (5xx) "
		"is not retried." },
	[CFG_SMS_TRANSPORT] = { "sms_transport", SETTING_ENUM, "smstools", 0, 0,
		sms_transports, NULL, NULL, "How SMS come and go: smstools "
		"through the spool directories of smstools3's smsd under "
		"sms_spool_dir (a local GSM modem; the embedded default); smpp "
		"through an operator's SMSC (see smpp_host); none turns SMS "
		"off." },
	[CFG_SMS_SPOOL_DIR] = { "sms_spool_dir", SETTING_PATH, "sms", 0, 0, NULL,
		NULL, NULL, "Root of the smstools3 spool directories: incoming/ "
		"(read), outgoing/ (written), sent/ and failed/ (read for the "
		"outcome); smsd.conf must name the same directories." },
	[CFG_SMS_POLL_INTERVAL] = { "sms_poll_interval", SETTING_INT, "2", 1,
		3600, NULL, NULL, "s", "How often the smstools gateway looks in "
		"its spool directories and the outbox when idle." },
	[CFG_SMS_PARTS_TIMEOUT] = { "sms_parts_timeout", SETTING_INT, "3600",
		60, 604800, NULL, NULL, "s", "How long the parts of a "
		"concatenated SMS wait for the rest; then what came goes in, "
		"marked incomplete." },
	[CFG_SMPP_HOST] = { "smpp_host", SETTING_STRING, "none", 0, 0, NULL,
		NULL, NULL, "SMSC (SMPP 3.4 server) that sends and receives cirm's "
		"SMS over one bind_transceiver session when sms_transport is "
		"smpp. Without TLS the SMSC must be on loopback or a "
		"network the operator guarantees (a VPN or a leased line)." },
	[CFG_SMPP_PORT] = { "smpp_port", SETTING_INT, "2775", 1, 65535, NULL,
		NULL, NULL, "SMSC port." },
	[CFG_SMPP_TLS] = { "smpp_tls", SETTING_ENUM, "implicit", 0, 0,
		smpp_tls, NULL, NULL, "TLS to the SMSC: implicit (TLS from the "
		"first byte, the certificate checked against smpp_ca_file and "
		"smpp_host before the bind sends the password) or none (plain "
		"SMPP, for an SMSC on loopback or behind a VPN or leased line; "
		"logged as a warning otherwise)." },
	[CFG_SMPP_CA_FILE] = { "smpp_ca_file", SETTING_STRING, "system", 0, 0,
		NULL, check_ca_file, NULL, "CA certificates (an absolute path to a PEM "
		"file) that verify the SMSC; system uses the system's store." },
	[CFG_SMPP_SYSTEM_ID] = { "smpp_system_id", SETTING_STRING, "cirm", 0,
		0, NULL, check_smpp_system_id, NULL, "The system_id the SMSC knows cirm by (at "
		"most 15 characters)." },
	[CFG_SMPP_PASSWORD_FILE] = { "smpp_password_file", SETTING_SECRET_PATH,
		"smpp.password", 0, 0, NULL, NULL, NULL, "File holding the SMPP "
		"password (mode 0600; at most 8 characters, as SMPP 3.4 allows)." },
	[CFG_SMPP_SYSTEM_TYPE] = { "smpp_system_type", SETTING_STRING, "none",
		0, 0, NULL, check_smpp_system_type, NULL, "The system_type sent "
		"in the bind, when the SMSC asks for one (at most 12 "
		"characters); none sends it empty." },
	[CFG_SMPP_SOURCE] = { "smpp_source", SETTING_STRING, "Kommunen", 0, 0,
		NULL, check_smpp_source, NULL, "The sender of outgoing SMS: an "
		"international number (+46...) or a short code (digits alone, "
		"e.g. 72456), which citizens can answer, or an alphanumeric name "
		"of at most 11 characters, which they cannot." },
	[CFG_SMPP_WINDOW] = { "smpp_window", SETTING_INT, "10", 1, 1000, NULL,
		NULL, NULL, "submit_sm requests sent without waiting for their "
		"answer. When the connection breaks, the messages of requests "
		"not yet answered are sent again, so that up to this many may "
		"reach a citizen twice." },
	[CFG_SMPP_RATE] = { "smpp_rate", SETTING_INT, "0", 0, 100000, NULL,
		NULL, "per second", "Most submit_sm requests (message parts) a "
		"second, as the operator's contract allows; 0 for no limit but "
		"the window." },
	[CFG_SMPP_LONG] = { "smpp_long", SETTING_ENUM, "udh", 0, 0, smpp_long,
		NULL, NULL, "How a text longer than one SMS goes: udh as parts "
		"with a concatenation header (esm_class 0x40), one submit_sm "
		"each; payload as one submit_sm with the whole text in the "
		"message_payload TLV, when the SMSC splits it." },
	[CFG_SMPP_RECEIPT_IDS] = { "smpp_receipt_ids", SETTING_ENUM, "as-sent",
		0, 0, smpp_receipt_ids, NULL, NULL, "How the SMSC writes the "
		"message id in its answer to submit_sm and in the delivery "
		"receipt: as-sent when the receipt gives it as the answer did, "
		"as SMPP says (compared as written); else the answer's base, "
		"then the receipt's: hex-decimal for an SMSC that answers in "
		"hex and writes receipts in decimal (Kannel's msg-id-type 1), "
		"decimal-hex (2), hex-hex (3), decimal-decimal (0); the ids are "
		"then read as numbers and kept in decimal. cirm does not guess, "
		"since an id of digits alone reads either way; it logs which "
		"value fits when receipts it cannot match suggest one." },
	[CFG_SMPP_ENQUIRE_LINK] = { "smpp_enquire_link", SETTING_INT, "30", 5,
		3600, NULL, NULL, "s", "Idle time after which an enquire_link "
		"checks the session; an SMSC silent for twice as long is taken "
		"as gone and cirm connects again." },
	[CFG_SMPP_DEFAULT_ALPHABET] = { "smpp_default_alphabet", SETTING_ENUM,
		"auto", 0, 0, smpp_alphabets, NULL, NULL, "The SMSC's default "
		"alphabet, in which it writes an inbound SMS of data_coding 0: "
		"gsm (GSM 03.38, one septet an octet, as most SMSCs and SMPP "
		"say), latin1 (ISO-8859-1, as Kannel and some aggregators do), "
		"or auto: GSM until an octet above 0x7f, which is no septet, "
		"shows that the SMSC writes Latin-1; from then on the gateway "
		"reads Latin-1. Until then a text of plain ASCII from a Latin-1 "
		"SMSC has @, $, _ and brackets read as other characters, so "
		"set it when you know. With gsm, a text with an octet above "
		"0x7f is quarantined." },
	[CFG_WORKFLOW_DIR] = { "workflow_dir", SETTING_PATH, "workflows", 0, 0,
		NULL, NULL, NULL, "Directory of workflow definitions (*.xml, see "
		"cirm-workflow(5)). cirmd loads them at start and on SIGHUP; a "
		"file with errors is reported and never replaces a good one." },
	[CFG_WORKFLOW_DEFAULT] = { "workflow_default", SETTING_STRING,
		"synpunkt", 0, 0, NULL, check_workflow_id, NULL, "The workflow "
		"new cases start, unless workflow_routes names another for the "
		"address the citizen wrote to." },
	[CFG_WORKFLOW_ROUTES] = { "workflow_routes", SETTING_STRING, "none", 0,
		0, NULL, check_workflow_routes, NULL, "Workflows by receiving "
		"address: address=workflow pairs separated by spaces or "
		"commas, e.g. felanmalan@kommun.example=felanmalan, "
		"synpunkt@kommun.example=synpunkt; none for no routes. "
		"ASCII only, as mail_address: a domain with Swedish letters "
		"in its xn-- form. An address with a +tag (felanmalan+gata@) "
		"routes as its base address. For SMS the address is the number or short code the citizen "
		"wrote to, e.g. 72456=felanmalan. A reply to a closed case "
		"starts its new case in the closed case's workflow, "
		"whatever the address." },
	[CFG_SMS_COUNTRY_CODE] = { "sms_country_code", SETTING_STRING, "+46", 0,
		0, NULL, check_country_code, NULL, "Country code of phone "
		"numbers written without one (070-123 45 67): citizens' "
		"numbers are kept in E.164 form." },
};

const struct setting_def *
setting_near(const char *name)
{
	const struct setting_def *best = NULL, *prefixed = NULL;
	size_t n = strlen(name), best_d = n >= 6 ? 2 : 1, prefixes = 0;

	for (size_t i = 0; i < SETTING_COUNT; i++) {
		size_t d = edit_distance(name, settings[i].name, best_d);

		if (d <= best_d && (best == NULL || d < best_d)) {
			best = &settings[i];
			best_d = d;
		}
		if (n >= 6 && strncasecmp(settings[i].name, name, n) == 0) {
			prefixed = &settings[i];
			prefixes++;
		}
	}
	return best != NULL ? best : prefixes == 1 ? prefixed : NULL;
}

const struct setting_def *
setting_find(const char *name)
{
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	}
	return NULL;
}
