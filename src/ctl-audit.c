/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl audit list [--limit N] [--action A] [--object O] |
   verify [--expect ID:HASH] */
#include "config.h"

#include "ctl.h"
#include "i18n.h"
#include "store.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* The widths of a listing's WHO and OBJECT columns: as wide as their
   widest value, measured in a first pass over the entries and used in
   the second, which prints them. An object is a backup's whole path or
   a login: cut short it would no longer say where the citizens' mail
   went, or who did it. The entries are read twice rather than kept, as
   --limit may ask for a million. */
struct listing {
	int who_width, object_width;
	size_t n;
};

static int
measure_entry(const struct store_audit_entry *e, void *ctx)
{
	struct listing *l = ctx;
	int w;

	w = ctl_cell_width(e->actor != NULL ? e->actor : "") + 2;
	if (w > l->who_width)
		l->who_width = w;
	w = ctl_cell_width(e->object != NULL ? e->object : "-") + 2;
	if (w > l->object_width)
		l->object_width = w;
	l->n++;
	return 0;
}

static void
print_header(const struct listing *l)
{
	ctl_print_cell(stdout, _("ID"), 7);
	ctl_print_cell(stdout, _("TIME"), 18);
	ctl_print_cell(stdout, _("WHO"), l->who_width);
	ctl_print_cell(stdout, _("ACTION"), 20);
	ctl_print_cell(stdout, _("OBJECT"), l->object_width);
	ctl_print_cell(stdout, _("DETAIL"), 0);
	fputc('\n', stdout);
}

static int
print_entry(const struct store_audit_entry *e, void *ctx)
{
	const struct listing *l = ctx;
	char t[32], id[24];

	snprintf(id, sizeof(id), "%lld", (long long)e->id);
	ctl_print_cell(stdout, id, 7);
	ctl_print_cell(stdout, ctl_time(e->at, t), 18);
	ctl_print_cell(stdout, e->actor != NULL ? e->actor : "",
		       l->who_width);
	ctl_print_cell(stdout, e->action != NULL ? e->action : "", 20);
	ctl_print_cell(stdout, e->object != NULL ? e->object : "-",
		       l->object_width);
	ctl_print_cell(stdout, e->detail != NULL ? e->detail : "", 0);
	fputc('\n', stdout);
	return 0;
}

/* OBJECT in the shape of a case number ("ks-2026-00042", with blanks
   around it as copied from a mail): how the log has it, in capitals. */
static char *
case_number_object(const char *object)
{
	size_t n, letters;
	char *s;

	object += strspn(object, " \t");
	n = strlen(object);
	while (n > 0 && (object[n - 1] == ' ' || object[n - 1] == '\t' ||
			 object[n - 1] == '\n'))
		n--;
	s = xstrndup(object, n);
	letters = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz");
	if (letters == 0 || s[letters] != '-' ||
	    strspn(s + letters + 1, "0123456789") != 4 ||
	    s[letters + 5] != '-' || s[letters + 6] == '\0' ||
	    strspn(s + letters + 6, "0123456789") != n - letters - 6) {
		free(s);
		return NULL;
	}
	for (char *p = s; *p != '\0'; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	}
	return s;
}

static int
print_action(const char *action, int64_t n, void *ctx)
{
	printf("%s%s (%lld)", *(int *)ctx ? ", " : "  ", action,
	       (long long)n);
	*(int *)ctx = 1;
	return 0;
}

/* --action matched nothing: which actions the log has, since the name
   is most often mistyped (handler.added for handler.add). */
static int
no_entry_with_action(struct store *store, const char *action)
{
	char *err = NULL;
	int any = 0;

	printf(_("(no entries with action '%s')"), action);
	fputc('\n', stdout);
	printf("%s\n", _("The audit log has these actions:"));
	if (store_audit_actions(store, print_action, &any, &err) < 0) {
		ctl_error("%s", err);
		free(err);
		return 1;
	}
	fputc('\n', stdout);
	return 0;
}

static int
list(struct store *store, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "action", required_argument, NULL, 'a' },
		{ "object", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *action = NULL, *object = NULL;
	struct listing l = { .who_width = 30, .object_width = 16 };
	int64_t total = 0;
	char *err = NULL, *number = NULL;
	int rows = 0, c, limit = 50;
	long n;

	while ((c = ctl_getopt(argc, argv, "n:a:o:", opts)) != -1) {
		switch (c) {
		case 'n':
			if (str_to_long(optarg, 1, 1000000, &n) < 0) {
				ctl_error(_("--limit must be a whole number from "
					    "1 to 1000000, not '%s'"), optarg);
				return EX_USAGE;
			}
			limit = (int)n;
			break;
		case 'a':
			action = optarg;
			break;
		case 'o':
			object = optarg;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (ctl_too_many(argc, argv, optind, 0))
		return EX_USAGE;
	if (store_audit_list(store, action, object, limit, measure_entry, &l,
			     &total, &err) < 0)
		goto fail;
	/* "case show" takes a case number in small letters: so does this,
	   rather than say that nobody did anything to the case */
	if (l.n == 0 && object != NULL) {
		number = case_number_object(object);
		if (number != NULL && strcmp(number, object) != 0) {
			if (store_audit_list(store, action, number, limit,
					     measure_entry, &l, &total,
					     &err) < 0)
				goto fail;
			if (l.n > 0)
				object = number;
		}
	}
	print_header(&l);
	if (l.n > 0 && store_audit_list(store, action, object, limit,
					print_entry, &l, &total, &err) < 0)
		goto fail;
	free(number);
	rows = (int)l.n;
	if (rows == 0 && action != NULL && object == NULL)
		return no_entry_with_action(store, action);
	if (rows == 0)
		printf("%s\n", _("(no entries)"));
	else if (total > rows)
		printf(_("(%lld more, older: see --limit)\n"),
		       (long long)(total - rows));
	return 0;
fail:
	ctl_error("%s", err);
	free(err);
	free(number);
	return 1;
}

/* "ID:HASH" into *ID_R and HASH_R.  The whole line verify printed
   ("Newest: ID:HASH", its label translated or not) is taken too: it
   tells the administrator to keep "that line". */
static int
parse_expect(const char *s, int64_t *id_r, char hash_r[65])
{
	const char *colon, *blank = strrchr(s, ' ');
	char *num;
	long v;
	int ok;

	if (blank != NULL)
		s = blank + 1;
	colon = strchr(s, ':');
	if (colon == NULL || strlen(colon + 1) != 64 ||
	    strspn(colon + 1, "0123456789abcdef") != 64)
		return -1;
	num = xstrndup(s, (size_t)(colon - s));
	ok = str_to_long(num, 1, 0x7fffffffL, &v) == 0;
	free(num);
	if (!ok)
		return -1;
	*id_r = v;
	memcpy(hash_r, colon + 1, 65);
	return 0;
}

static int
verify(struct store *store, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "expect", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	char want[65] = "", got[65] = "", *err = NULL;
	int64_t want_id = 0, bad = 0, head = 0;
	int c, r;

	while ((c = ctl_getopt(argc, argv, "e:", opts)) != -1) {
		if (c != 'e')
			return EX_USAGE;
		if (parse_expect(optarg, &want_id, want) < 0) {
			ctl_error(_("--expect takes ID:HASH, an entry's id and "
				    "its 64 hexadecimal digits as audit verify "
				    "printed them, not '%s'"), optarg);
			return EX_USAGE;
		}
	}
	if (ctl_too_many(argc, argv, optind, 0))
		return EX_USAGE;
	r = store_audit_verify(store, &bad, &err);
	if (r > 0)
		r = store_audit_hash(store, &head, got, &err);
	if (r < 0) {
		ctl_error("%s", err);
		free(err);
		return 1;
	}
	if (bad != 0) {
		ctl_error(_("the audit log was altered: entry %lld does not fit "
			    "the chain (it, or an entry before it, was changed, "
			    "removed or put in)"), (long long)bad);
		return 1;
	}
	if (r == 0) {
		printf("%s\n", _("The audit log is empty."));
		return want_id != 0 ? 1 : 0;
	}
	if (want_id != 0) {
		int64_t id = want_id;
		char at[65] = "";

		r = store_audit_hash(store, &id, at, &err);
		if (r < 0) {
			ctl_error("%s", err);
			free(err);
			return 1;
		}
		if (r == 0 || strcmp(at, want) != 0) {
			ctl_error(_("the audit log was altered: entry %lld is %s "
				    "(entries were removed from its end, or the "
				    "log was written anew)"), (long long)want_id,
				  r == 0 ? _("gone") :
				  _("not the one whose hash you kept"));
			return 1;
		}
	}
	printf(_("The audit log is intact: %lld entries.\n"), (long long)head);
	printf(_("Newest: %lld:%s\n"), (long long)head, got);
	printf("%s\n", _("Keep that line elsewhere and check against it "
			 "later with --expect: only then do removed newest "
			 "entries, or a log written anew, show."));
	return 0;
}

#define USAGE N_("usage: cirmctl audit list [--limit N] [--action ACTION] " \
		 "[--object OBJECT] | verify [--expect ID:HASH]")

static int
audit_command(const struct cfg *cfg, struct store *store, int argc,
	      char **argv)
{
	int ret = EX_USAGE;

	(void)cfg;
	if (strcmp(argv[1], "list") == 0)
		ret = list(store, argc - 1, argv + 1);
	else if (strcmp(argv[1], "verify") == 0)
		ret = verify(store, argc - 1, argv + 1);
	if (ret == EX_USAGE)
		ctl_error("%s", _(USAGE));
	return ret;
}

int
ctl_audit(const struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "list") != 0 &&
			 strcmp(argv[1], "verify") != 0)) {
		if (argc >= 2)
			ctl_error(_("unknown audit command '%s'"), argv[1]);
		ctl_error("%s", _(USAGE));
		return EX_USAGE;
	}
	return ctl_with_store(ctl, audit_command, argc, argv);
}
