/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl quarantine list | show ID [--raw] | release ID... | discard ID... |
   prune [--dry-run] */
#include "config.h"

#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "mailin.h"
#include "mime.h"
#include "retention.h"
#include "settings.h"
#include "store.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sysexits.h>

static int
print_row(const struct store_quarantined *q, void *ctx)
{
	char t[32], id[24], size[24];

	snprintf(id, sizeof(id), "%lld", (long long)q->id);
	snprintf(size, sizeof(size), "%zu", q->raw_len);
	ctl_print_cell(stdout, id, 8);
	ctl_print_cell(stdout, ctl_time(q->received_at, t), 18);
	ctl_print_cell(stdout, q->channel, 8);
	ctl_print_cell(stdout, q->source, 10);
	ctl_print_cell(stdout, size, 10);
	ctl_print_cell(stdout, q->reason, 0);
	fputc('\n', stdout);
	(*(int *)ctx)++;
	return 0;
}

static int
list(struct store *store, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t waiting = 0;
	char *err = NULL;
	int rows = 0, c, limit = 100;
	long n;

	while ((c = ctl_getopt(argc, argv, "n:", opts)) != -1) {
		if (c != 'n')
			return EX_USAGE;
		if (str_to_long(optarg, 1, 1000000, &n) < 0) {
			ctl_error(_("--limit must be a whole number from 1 to "
				    "1000000, not '%s'"), optarg);
			return EX_USAGE;
		}
		limit = (int)n;
	}
	if (ctl_too_many(argc, argv, optind, 0))
		return EX_USAGE;

	ctl_print_cell(stdout, _("ID"), 8);
	ctl_print_cell(stdout, _("RECEIVED"), 18);
	ctl_print_cell(stdout, _("CHANNEL"), 8);
	ctl_print_cell(stdout, _("SOURCE"), 10);
	ctl_print_cell(stdout, _("BYTES"), 10);
	ctl_print_cell(stdout, _("REASON"), 0);
	fputc('\n', stdout);
	if (store_quarantine_list(store, limit, print_row, &rows, &err) < 0 ||
	    store_quarantine_waiting(store, &waiting, &err) < 0) {
		ctl_error("%s", err);
		free(err);
		return 1;
	}
	if (rows == 0)
		printf("%s\n", _("(the quarantine is empty)"));
	else if (waiting > rows)
		printf(_("(%lld more, older: see --limit)\n"),
		       (long long)(waiting - rows));
	return 0;
}

/* Lines of a quarantined mail's text shown by quarantine show. */
#define SHOW_TEXT_LINES 8

/* That quarantined message Q has more than is shown, and how to see
   it all. */
static void
print_more(const struct store_quarantined *q)
{
	printf(_("  ... (the whole message: cirmctl quarantine show "
		 "%lld --raw)\n"), (long long)q->id);
}

/* Who quarantined mail M is from, when and about what. */
static void
show_header(const struct mime_message *m)
{
	char t[32];

	ctl_print_addr(_("From:"), &m->from);
	if (m->date != 0)
		ctl_field(_("Date:"), ctl_time(m->date, t));
	if (m->subject != NULL)
		ctl_field(_("Subject:"), m->subject);
}

/* Who a quarantined mail is from, its subject and the start of its
   text, so that an administrator can tell what it is without --raw;
   nothing more when it does not read as a mail. */
static void
show_mail(const struct store_quarantined *q, const void *raw)
{
	struct mime_limits lim;
	struct mime_message *m = NULL;
	char *err = NULL;

	mime_limits_default(&lim);
	if (mime_parse(raw, q->raw_len, &lim, &m, &err) < 0) {
		/* refused whole (the reason it is here, often): who sent
		   it and what it is about, from its header */
		free(err);
		err = NULL;
		if (mime_parse_header(raw, q->raw_len, &m, &err) < 0) {
			free(err);
			return;
		}
		show_header(m);
		print_more(q);
		mime_free(&m);
		return;
	}
	show_header(m);
	printf("%s\n", _("Text:"));
	if (*ctl_print_lines(m->text, "  | ", SHOW_TEXT_LINES) != '\0')
		print_more(q);
	mime_free(&m);
}

/* Characters of a line of a quarantined SMS's text shown by quarantine
   show before the rest goes on the next line: an SMS is often one line,
   and one joined from 255 parts is 40 KB of it. */
#define SHOW_TEXT_COLUMNS 80

/* TEXT with a line break after every SHOW_TEXT_COLUMNS characters of
   a line (caller frees). */
static char *
wrap_text(const char *text)
{
	size_t len = strlen(text), o = 0;
	char *out = xmalloc(len + len / SHOW_TEXT_COLUMNS + 1);
	int col = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		/* a character begins at any byte but a UTF-8 continuation */
		if (c != '\n' && (c & 0xc0) != 0x80 &&
		    col++ == SHOW_TEXT_COLUMNS) {
			out[o++] = '\n';
			col = 1;
		}
		if (c == '\n')
			col = 0;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

/* An SMS's sender (the From line before the blank line) and the start
   of its text, what follows that line. */
static void
show_sms(const struct store_quarantined *q, const void *raw)
{
	char *all = xstrndup(raw, q->raw_len), *text = strstr(all, "\n\n");
	char *wrapped;

	if (text != NULL)
		*text = '\0';
	for (char *line = all, *next; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (strncmp(line, "From:", 5) == 0) {
			ctl_field(_("From:"), line + 5 + strspn(line + 5, " \t"));
			break;
		}
	}
	printf("%s\n", _("Text:"));
	wrapped = wrap_text(text != NULL ? text + 2 : "");
	if (*ctl_print_lines(wrapped, "  | ", SHOW_TEXT_LINES) != '\0')
		print_more(q);
	free(wrapped);
	free(all);
}

/* RAW (LEN bytes) for a terminal: as cat -v shows them, the control
   characters a sender put in it, C0 ("^[") and C1 in UTF-8 ("M-^["),
   so that none of them acts on the terminal (sets its title, writes
   its clipboard, clears it); tab and line end stay as they are. */
static void
write_visible(const unsigned char *raw, size_t len, FILE *out)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = raw[i];

		if (c == 0xc2 && i + 1 < len && raw[i + 1] >= 0x80 &&
		    raw[i + 1] <= 0x9f) {
			fprintf(out, "M-^%c", raw[++i] ^ 0xc0);
		} else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
			fputc('^', out);
			fputc(c ^ 0x40, out);
		} else {
			fputc(c, out);
		}
	}
}

/* What show_one is to do, and what it finds for show_renumbered. */
struct show_ctx {
	int raw;	/* 1: --raw; -1 after an error */
	char *note;	/* the key of a note for mail the IMAP gateway
			   gave up, still waiting (free it) */
	char *gateway;	/* its gateway (free it) */
};

static int
show_one(const struct store_quarantined *q, const void *raw, void *ctx)
{
	struct show_ctx *sc = ctx;
	char t[32], num[32];

	if (sc->raw) {
		if (q->discarded_at != 0) {
			ctl_error(_("message %lld was discarded: its raw bytes "
				    "are erased"), (long long)q->id);
			sc->raw = -1;
			return 0;
		}
		/* exactly as stored into a file or a pipe; on a terminal
		   what was sent cannot act on it */
		if (isatty(STDOUT_FILENO))
			write_visible(raw, q->raw_len, stdout);
		else
			fwrite(raw, 1, q->raw_len, stdout);
		return 0;
	}
	snprintf(num, sizeof(num), "%lld", (long long)q->id);
	ctl_field(_("Id:"), num);
	ctl_field(_("Received:"), ctl_time(q->received_at, t));
	ctl_field(_("Quarantined:"), ctl_time(q->quarantined_at, t));
	ctl_field(_("Released:"), ctl_time(q->released_at, t));
	if (q->discarded_at != 0)
		ctl_field(_("Discarded:"), ctl_time(q->discarded_at, t));
	ctl_field(_("Channel:"), q->channel);
	ctl_field(_("Source:"), q->source);
	snprintf(num, sizeof(num), "%zu", q->raw_len);
	/* discarded: nothing left to count */
	ctl_field(_("Bytes:"), q->discarded_at != 0 ? _("erased") : num);
	ctl_field(_("Reason:"), q->reason);
	if (q->discarded_at == 0 && strcmp(q->channel, "email") == 0)
		show_mail(q, raw);
	else if (q->discarded_at == 0 && strcmp(q->channel, "sms") == 0)
		show_sms(q, raw);
	if (q->released_at == 0 && q->discarded_at == 0 &&
	    q->dedupe_key != NULL &&
	    strncmp(q->dedupe_key, MAILIN_UNFETCHABLE_KEY,
		    strlen(MAILIN_UNFETCHABLE_KEY)) == 0) {
		sc->note = xstrdup(q->dedupe_key);
		sc->gateway = xstrdup(q->source);
	}
	return 0;
}

/* A note for mail the IMAP gateway gave up (see SC) keyed by the
   UIDVALIDITY of its mailbox then: when the gateway's position ("uid":
   "UIDVALIDITY:UID") is under another now, the mailbox was renumbered
   (or imap_mailbox names another) and the UID names nothing there. The
   gateway fetches that message neither by itself nor on release, and
   nothing resolves the note: says so, and what is left to do by hand.
   0, or -1 with *ERROR_R. */
static int
show_renumbered(struct store *store, const struct show_ctx *sc,
		char **error_r)
{
	unsigned long then, uid, now, pos;
	char *value = NULL;
	int r;

	if (sc->note == NULL ||
	    sscanf(sc->note + strlen(MAILIN_UNFETCHABLE_KEY), "%lu:%lu", &then,
		   &uid) != 2)
		return 0;
	r = store_gateway_state_get(store, sc->gateway, "uid", &value,
				    error_r);
	if (r > 0 && sscanf(value, "%lu:%lu", &now, &pos) == 2 && now != then)
		printf(_("This note is from before the mailbox was renumbered "
			 "(UIDVALIDITY %lu\nthen, %lu now): UID %lu names no "
			 "message there any more, so the\ngateway does not "
			 "fetch it again, a release fetches nothing, and "
			 "nothing\nresolves this note. The gateway read the "
			 "mailbox again from its start, the\nmessage with it "
			 "if it is still there: look for it among the cases, "
			 "for a\nnewer note, or in the mailbox by hand (it "
			 "arrived before the time above),\nthen discard "
			 "this note.\n"), then, now, uid);
	free(value);
	return r < 0 ? -1 : 0;
}

/* Prints quarantined message ID as SC says. 1, 0 when there is none,
   -1 with *ERROR_R. */
static int
show_print(struct store *store, int64_t id, struct show_ctx *sc,
	   char **error_r)
{
	int found = store_quarantine_get(store, id, show_one, sc, error_r);

	if (found > 0 && sc->raw == 0 && show_renumbered(store, sc, error_r) < 0)
		found = -1;
	free(sc->note);
	free(sc->gateway);
	sc->note = sc->gateway = NULL;
	return found;
}

int
ctl_quarantine_print(struct store *store, int64_t id, char **error_r)
{
	struct show_ctx sc = { 0 };

	return show_print(store, id, &sc, error_r);
}

static int
parse_id(const char *s, int64_t *id_r)
{
	long v;

	if (str_to_long(s, 1, 0x7fffffffL, &v) < 0) {
		ctl_error(_("not a quarantine id: '%s'"), s);
		return -1;
	}
	*id_r = v;
	return 0;
}

static int
show(struct store *store, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "raw", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	/* --raw before or after the id, as any command's options */
	int raw = 0, bad = 0, c, found;
	struct show_ctx sc = { 0 };
	char *err = NULL, num[32];
	int64_t id;

	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		if (c == 'r')
			raw++;
		else
			bad = 1;
	}
	/* an id missing, or --raw twice: a usage error */
	if (bad || raw > 1 || ctl_too_many(argc, argv, optind, 1) ||
	    optind != argc - 1 ||
	    parse_id(argv[optind], &id) < 0)
		return EX_USAGE;
	sc.raw = raw;
	/* a quarantined message is a citizen's mail or SMS as much as a
	   case is: reading it is logged (the read log), before it is shown */
	snprintf(num, sizeof(num), "%lld", (long long)id);
	found = store_quarantine_exists(store, id, &err);
	if (found > 0 &&
	    ctl_audit_add(store, "quarantine.read", num, raw ?
			  "quarantine show --raw" : "quarantine show",
			  &err) < 0)
		found = -1;
	if (found > 0)
		found = show_print(store, id, &sc, &err);
	if (found < 0) {
		ctl_error("%s", err);
		free(err);
		return 1;
	}
	if (found == 0) {
		ctl_error(_("no quarantined message %lld"), (long long)id);
		return 1;
	}
	return sc.raw < 0 ? 1 : 0;
}

/* The ids ARGV[1..ARGC-1], each once, in *IDS_R (caller frees; index
   0 unused). 0, or EX_USAGE (a message said for an id given twice). */
static int
parse_ids(int argc, char **argv, int64_t **ids_r)
{
	int64_t *ids;

	if (argc < 2)
		return EX_USAGE;
	ids = xcalloc((size_t)argc, sizeof(*ids));
	for (int i = 1; i < argc; i++) {
		if (parse_id(argv[i], &ids[i]) < 0) {
			free(ids);
			return EX_USAGE;
		}
		for (int j = 1; j < i; j++) {
			if (ids[j] == ids[i]) {
				ctl_error(_("quarantine id %lld given twice"),
					  (long long)ids[i]);
				free(ids);
				return EX_USAGE;
			}
		}
	}
	*ids_r = ids;
	return 0;
}

/* Releases or discards (DISCARD) the quarantined messages ARGV names,
   all or none, in one transaction, each with its quarantine.release or
   quarantine.discard entry in the audit log. Release puts a message
   back in the inbox; discard marks it discarded and erases its raw
   bytes: for what nobody will want back (spam, a virus). */
static int
release_or_discard(struct store *store, int argc, char **argv, bool discard)
{
	int64_t *ids = NULL;
	char *err = NULL;
	int r = 1;

	if (ctl_no_options(&argc, &argv) < 0 ||
	    parse_ids(argc, argv, &ids) != 0)
		return EX_USAGE;
	if (store_begin(store, &err) < 0)
		goto fail;
	for (int i = 1; i < argc && r > 0; i++) {
		char num[24];
		int known;

		snprintf(num, sizeof(num), "%lld", (long long)ids[i]);
		r = discard ?
			store_quarantine_discard(store, ids[i], cirm_now(),
						 &err) :
			store_quarantine_release(store, ids[i], cirm_now(),
						 &err);
		if (r > 0 &&
		    store_audit_add(store, cirm_now(), store_audit_actor(),
				    discard ? "quarantine.discard" :
				    "quarantine.release", num, NULL, &err) < 0)
			r = -1;
		if (r != 0)
			continue;
		/* none waiting: never there, or released or discarded */
		known = store_quarantine_exists(store, ids[i], &err);
		if (known < 0)
			r = -1;
		else if (known == 0)
			ctl_error(discard ? _("no message %lld in the "
					      "quarantine (cirmctl quarantine "
					      "list shows them): nothing "
					      "discarded") :
				  _("no message %lld in the quarantine "
				    "(cirmctl quarantine list shows them): "
				    "nothing released"), (long long)ids[i]);
		else if (discard)
			ctl_error(_("no quarantined message %lld waiting "
				    "(released or discarded already?): "
				    "nothing discarded"), (long long)ids[i]);
		else
			ctl_error(_("no quarantined message %lld waiting for "
				    "release (released or discarded "
				    "already?): nothing released"),
				  (long long)ids[i]);
	}
	if (r <= 0) {
		store_rollback(store);
		if (r < 0)
			goto fail;
		free(ids);
		return 1;
	}
	if (store_commit(store, &err) < 0) {
		store_rollback(store);
		goto fail;
	}
	for (int i = 1; i < argc; i++) {
		if (discard)
			printf(_("Message %lld discarded: its raw bytes are "
				 "erased; the audit log keeps that it "
				 "was.\n"), (long long)ids[i]);
		else
			printf(_("Message %lld is back in the inbox; cirmd "
				 "handles it next (without the flood "
				 "limit).\n"), (long long)ids[i]);
	}
	free(ids);
	return 0;
fail:
	ctl_error("%s", err);
	free(err);
	free(ids);
	return 1;
}

/* ARGV: "prune" and its options. Retention, as quarantine_retention
   says and cirmd's housekeeping does. */
static int
prune(const struct cfg *cfg, struct store *store, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *period = cfg_str(cfg, CFG_QUARANTINE_RETENTION);
	bool dry_run = false;
	long discarded, erased;
	char *err = NULL;
	int c;

	while ((c = ctl_getopt(argc, argv, "n", opts)) != -1) {
		if (c != 'n')
			return EX_USAGE;
		dry_run = true;
	}
	if (ctl_too_many(argc, argv, optind, 0))
		return EX_USAGE;
	if (strcmp(period, "none") == 0) {
		printf("%s\n", _("quarantine_retention is none: quarantined "
				 "mail is kept until it is discarded."));
		return 0;
	}
	if (retention_quarantine(store, period, cirm_now(),
				 store_audit_actor(), dry_run, &discarded,
				 &erased, &err) < 0) {
		ctl_error("%s", err);
		free(err);
		return 1;
	}
	printf(dry_run ? _("Quarantined longer than %s: %ld waiting would be "
			   "discarded, %ld released copies erased.\n") :
			 _("Quarantined longer than %s: %ld waiting discarded, "
			   "%ld released copies erased.\n"),
	       period, discarded, erased);
	return 0;
}

#define USAGE N_("usage: cirmctl quarantine list [--limit N] | " \
		 "show ID [--raw] | release ID... | discard ID... | " \
		 "prune [--dry-run]")

static int
quarantine_command(const struct cfg *cfg, struct store *store, int argc,
		   char **argv)
{
	int ret = EX_USAGE;

	if (strcmp(argv[1], "list") == 0)
		ret = list(store, argc - 1, argv + 1);
	else if (strcmp(argv[1], "show") == 0)
		ret = show(store, argc - 1, argv + 1);
	else if (strcmp(argv[1], "release") == 0)
		ret = release_or_discard(store, argc - 1, argv + 1, false);
	else if (strcmp(argv[1], "discard") == 0)
		ret = release_or_discard(store, argc - 1, argv + 1, true);
	else if (strcmp(argv[1], "prune") == 0)
		ret = prune(cfg, store, argc - 1, argv + 1);
	if (ret == EX_USAGE)
		ctl_error("%s", _(USAGE));
	return ret;
}

int
ctl_quarantine(const struct ctl *ctl, int argc, char **argv)
{
	static const char *const words[] = {
		"list", "show", "release", "discard", "prune",
	};
	size_t i;

	for (i = 0; argc >= 2 && i < N_ELEMENTS(words); i++)
		if (strcmp(argv[1], words[i]) == 0)
			break;
	if (argc < 2 || i == N_ELEMENTS(words)) {
		if (argc >= 2)
			ctl_error(_("unknown quarantine command '%s'"),
				  argv[1]);
		ctl_error("%s", _(USAGE));
		return EX_USAGE;
	}
	return ctl_with_store(ctl, quarantine_command, argc, argv);
}
