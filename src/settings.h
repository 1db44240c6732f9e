/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_SETTINGS_H
#define CIRM_SETTINGS_H

/* The one table of cirm.conf settings. Parsing, validation, the commented
   file `cirmctl init` writes, `cirmctl config` and cirm.conf(5) all come
   from it; add a setting here and nowhere else. */

enum setting_type {
	SETTING_STRING,
	SETTING_INT,
	SETTING_BOOL,
	SETTING_ENUM,
	SETTING_PATH,	     /* relative to the directory of cirm.conf */
	SETTING_SECRET_PATH, /* a PATH whose file must not be readable by
				group or others */
};

enum setting_id {
	CFG_DATABASE,
	CFG_SPOOL_DIR,
	CFG_SPOOL_PRUNE_INTERVAL,
	CFG_SPOOL_PRUNE_MIN_AGE,
	CFG_MAILDIR_DIR,
	CFG_MAILGATE_DIR,
	CFG_KEY_FILE,
	CFG_CASE_PREFIX,
	CFG_CASE_RETENTION,
	CFG_QUARANTINE_RETENTION,
	CFG_OUTBOX_RETENTION,
	CFG_HANDLER_DIGEST,
	CFG_CASE_ACCESS,
	CFG_LANGUAGE,
	CFG_LOG_TARGET,
	CFG_LOG_LEVEL,
	CFG_SYSLOG_FACILITY,
	CFG_BUSY_TIMEOUT,
	CFG_ENGINE_BATCH,
	CFG_ENGINE_POLL_INTERVAL,
	CFG_INBOX_MAX_ATTEMPTS,
	CFG_INBOX_RETRY_DELAY,
	CFG_TEMPLATE_DIR,
	CFG_MAIL_ADDRESS,
	CFG_MAIL_NAME,
	CFG_MAIL_MAX_SIZE,
	CFG_MAIL_MAX_HEADER_BYTES,
	CFG_MAIL_MAX_DEPTH,
	CFG_MAIL_MAX_PARTS,
	CFG_MAIL_MAX_ATTACHMENT,
	CFG_FLOOD_MAX_CASES,
	CFG_MAIL_RESEND_WINDOW,
	CFG_MAIL_FORM_SENDERS,
	CFG_MAIL_AUTH_SERVER,
	CFG_MAILDIR_POLL_INTERVAL,
	CFG_MAILDIR_PROCESSED,
	CFG_MAILDIR_RETENTION,
	CFG_IMAP_HOST,
	CFG_IMAP_PORT,
	CFG_IMAP_TLS,
	CFG_IMAP_CA_FILE,
	CFG_IMAP_USER,
	CFG_IMAP_PASSWORD_FILE,
	CFG_IMAP_MAILBOX,
	CFG_IMAP_PROCESSED,
	CFG_IMAP_PROCESSED_FOLDER,
	CFG_IMAP_IDLE,
	CFG_IMAP_POLL_INTERVAL,
	CFG_IMAP_REFETCH_AFTER,
	CFG_IMAP_REFETCH_DAYS,
	CFG_SMTP_HOST,
	CFG_SMTP_PORT,
	CFG_SMTP_TLS,
	CFG_SMTP_CA_FILE,
	CFG_SMTP_USER,
	CFG_SMTP_PASSWORD_FILE,
	CFG_SMTP_BATCH,
	CFG_SMTP_CONNECTIONS,
	CFG_SMTP_POLL_INTERVAL,
	CFG_SMTP_RETRY_DELAY,
	CFG_SMS_TRANSPORT,
	CFG_SMS_SPOOL_DIR,
	CFG_SMS_POLL_INTERVAL,
	CFG_SMS_PARTS_TIMEOUT,
	CFG_SMPP_HOST,
	CFG_SMPP_PORT,
	CFG_SMPP_TLS,
	CFG_SMPP_CA_FILE,
	CFG_SMPP_SYSTEM_ID,
	CFG_SMPP_PASSWORD_FILE,
	CFG_SMPP_SYSTEM_TYPE,
	CFG_SMPP_SOURCE,
	CFG_SMPP_WINDOW,
	CFG_SMPP_RATE,
	CFG_SMPP_LONG,
	CFG_SMPP_RECEIPT_IDS,
	CFG_SMPP_ENQUIRE_LINK,
	CFG_SMPP_DEFAULT_ALPHABET,
	CFG_WORKFLOW_DIR,
	CFG_WORKFLOW_DEFAULT,
	CFG_WORKFLOW_ROUTES,
	CFG_SMS_COUNTRY_CODE,
	SETTING_COUNT
};

struct setting_def {
	const char *name;
	enum setting_type type;
	const char *def;
	long min, max;		     /* SETTING_INT */
	const char *const *choices;  /* SETTING_ENUM, NULL-terminated */
	/* Extra check of a STRING value: NULL when fine, else a
	   translatable reason (marked N_). */
	const char *(*check)(const char *value);
	const char *unit;	     /* shown after INT values, or NULL */
	const char *help;	     /* English, one or two sentences */
};

extern const struct setting_def settings[SETTING_COUNT];

/* The setting called NAME, or NULL. */
const struct setting_def *setting_find(const char *name);
/* The setting NAME is most likely a slip for (a letter or two off, in
   capitals, or without its end, as smtp_password for
   smtp_password_file), or NULL. */
const struct setting_def *setting_near(const char *name);

#endif
