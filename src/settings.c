/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "settings.h"

#include "i18n.h"

#include <string.h>

static const char *const languages[] = { "sv", "en", NULL };
static const char *const log_targets[] = { "stderr", "syslog", NULL };
static const char *const log_levels[] = { "error", "warning", "info",
					  "debug", NULL };
static const char *const facilities[] = {
	"mail", "daemon", "user", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL
};

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

const struct setting_def settings[SETTING_COUNT] = {
	[CFG_DATABASE] = { "database", SETTING_PATH, "cirm.db", 0, 0, NULL, NULL,
		NULL, "The SQLite database holding cases, queues and history." },
	[CFG_SPOOL_DIR] = { "spool_dir", SETTING_PATH, "spool", 0, 0, NULL, NULL,
		NULL, "Directory of content-addressed files: raw messages and "
		"attachments." },
	[CFG_MAILDIR_DIR] = { "maildir_dir", SETTING_PATH, "maildir", 0, 0, NULL,
		NULL, NULL, "Root of the local Maildirs: inbox/ for citizen mail "
		"delivered by the MTA, outbound/ for the embedded mail sink." },
	[CFG_KEY_FILE] = { "key_file", SETTING_SECRET_PATH, "cirm.key", 0, 0,
		NULL, NULL, NULL, "The instance key (HMAC-SHA256, hex) that signs "
		"reply addresses. Must be readable by its owner only (mode 0600)." },
	[CFG_CASE_PREFIX] = { "case_prefix", SETTING_STRING, "KS", 0, 0, NULL,
		check_case_prefix, NULL, "Prefix of case numbers: PREFIX-YEAR-"
		"NNNNN, numbered without gaps from 1 each year." },
	[CFG_LANGUAGE] = { "language", SETTING_ENUM, "sv", 0, 0, languages, NULL,
		NULL, "Language of texts to citizens and handlers when the "
		"contact has none of their own." },
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
	[CFG_ENGINE_BATCH] = { "engine_batch", SETTING_INT, "100", 1, 10000,
		NULL, NULL, NULL, "Inbox rows the engine handles in one "
		"transaction." },
	[CFG_ENGINE_POLL_INTERVAL] = { "engine_poll_interval", SETTING_INT, "5",
		1, 3600, NULL, NULL, "s", "How often the engine looks for new "
		"inbox rows when idle." },
	[CFG_INBOX_MAX_ATTEMPTS] = { "inbox_max_attempts", SETTING_INT, "5", 1,
		100, NULL, NULL, NULL, "Attempts at a failing inbox row before it "
		"is quarantined with its reason." },
	[CFG_INBOX_RETRY_DELAY] = { "inbox_retry_delay", SETTING_INT, "60", 1,
		86400, NULL, NULL, "s", "Delay before the first retry of a failed "
		"inbox row; it doubles with each attempt." },
};

const struct setting_def *
setting_find(const char *name)
{
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	}
	return NULL;
}
