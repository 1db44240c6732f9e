/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl report [--from DATE] [--to DATE] [--within DAYS]
   [--by workflow|group|handler|channel|month] [--csv]: how quickly the cases
   received in a period got their first answer from a person, the
   figure municipalities report ("svar inom två arbetsdagar"), counted
   in business days by each case's workflow calendar. */
#include "config.h"

#include "calendar.h"
#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "store.h"
#include "util.h"
#include "workflow.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

/* Most business days --within accepts. */
#define WITHIN_MAX 60

enum by { BY_WORKFLOW, BY_GROUP, BY_HANDLER, BY_CHANNEL, BY_MONTH };

/* The figures of one row of the report. */
struct row {
	char *key;		/* NULL: all cases */
	long received;
	long in_time;		/* first answer by the deadline */
	long late;		/* first answer after it */
	long waiting;		/* open, unanswered, deadline not passed */
	long overdue;		/* open, unanswered, deadline passed */
	long unanswered;	/* closed without an answer */
	double *hours;		/* to each first answer */
	size_t nhours, cap;
};

/* A workflow version's calendar, loaded once. */
struct cal_entry {
	char *workflow;
	int version;
	struct workflow *wf;	/* NULL: not loadable */
};

struct report {
	struct store *store;
	enum by by;
	struct calendar_duration within;
	int64_t now;
	struct row all;
	struct row *rows;
	size_t nrows;
	struct cal_entry *cals;
	size_t ncals;
	struct calendar *fallback;
	long by_fallback;	/* cases counted by the default calendar */
	char *err;
};

static void
row_free(struct row *r)
{
	free(r->key);
	free(r->hours);
}

/* The row for KEY, made when new. */
static struct row *
row_for(struct report *rp, const char *key)
{
	for (size_t i = 0; i < rp->nrows; i++)
		if (strcmp(rp->rows[i].key, key) == 0)
			return &rp->rows[i];
	rp->rows = xrealloc(rp->rows, (rp->nrows + 1) * sizeof(*rp->rows));
	memset(&rp->rows[rp->nrows], 0, sizeof(*rp->rows));
	rp->rows[rp->nrows].key = xstrdup(key);
	return &rp->rows[rp->nrows++];
}

/* The calendar the workflow WORKFLOW VERSION counts business days in,
   or the default Swedish one when the case has no workflow or its
   definition cannot be read. */
static const struct calendar *
calendar_of(struct report *rp, const char *workflow, int version)
{
	struct cal_entry *e = NULL;

	if (workflow == NULL) {
		rp->by_fallback++;
		return rp->fallback;
	}
	for (size_t i = 0; i < rp->ncals && e == NULL; i++)
		if (rp->cals[i].version == version &&
		    strcmp(rp->cals[i].workflow, workflow) == 0)
			e = &rp->cals[i];
	if (e == NULL) {
		char *source = NULL, *err = NULL;
		size_t len = 0;

		rp->cals = xrealloc(rp->cals,
				    (rp->ncals + 1) * sizeof(*rp->cals));
		e = &rp->cals[rp->ncals++];
		e->workflow = xstrdup(workflow);
		e->version = version;
		e->wf = NULL;
		if (store_workflow_def_get(rp->store, workflow, version,
					   &source, &len, &err) > 0 &&
		    workflow_load(workflow, source, len, &e->wf, &err) < 0)
			e->wf = NULL;
		free(source);
		free(err);
	}
	if (e->wf == NULL || e->wf->calendar == NULL) {
		rp->by_fallback++;
		return rp->fallback;
	}
	return e->wf->calendar;
}

static void
count(struct row *r, const struct store_report_case *c, int64_t deadline,
      int64_t now)
{
	r->received++;
	if (c->first_answer_at != 0) {
		if (c->first_answer_at <= deadline)
			r->in_time++;
		else
			r->late++;
		if (r->nhours == r->cap) {
			r->cap = r->cap == 0 ? 64 : r->cap * 2;
			r->hours = xrealloc(r->hours,
					    r->cap * sizeof(*r->hours));
		}
		r->hours[r->nhours++] =
			(double)(c->first_answer_at - c->received_at) / 3600.0;
	} else if (c->closed_at != 0)
		r->unanswered++;
	else if (now <= deadline)
		r->waiting++;
	else
		r->overdue++;
}

static int
add_case(const struct store_report_case *c, void *ctx)
{
	struct report *rp = ctx;
	const struct calendar *cal = calendar_of(rp, c->workflow,
						 c->workflow_version);
	int64_t deadline;
	char month[16], *err = NULL;
	const char *key = NULL;

	if (calendar_add(cal, c->received_at, &rp->within, &deadline,
			 &err) < 0) {
		rp->err = xasprintf(_("case received at %lld: %s"),
				    (long long)c->received_at, err);
		free(err);
		return 1;
	}
	count(&rp->all, c, deadline, rp->now);
	switch (rp->by) {
	case BY_WORKFLOW:
		key = c->workflow;
		break;
	case BY_GROUP:
		key = c->group;
		break;
	case BY_HANDLER:
		key = c->handler;
		break;
	case BY_CHANNEL:
		key = c->channel;
		break;
	case BY_MONTH: {
		time_t t = (time_t)c->received_at;
		struct tm tm;

		if (localtime_r(&t, &tm) != NULL &&
		    strftime(month, sizeof(month), "%Y-%m", &tm) > 0)
			key = month;
		break;
	}
	}
	count(row_for(rp, key != NULL ? key : "-"), c, deadline, rp->now);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->key,
		      ((const struct row *)b)->key);
}

/* The median of R's hours to the first answer, or -1 when none. */
static double
median_hours(struct row *r)
{
	size_t n = r->nhours;

	if (n == 0)
		return -1;
	qsort(r->hours, n, sizeof(*r->hours), cmp_double);
	return n % 2 == 1 ? r->hours[n / 2] :
			    (r->hours[n / 2 - 1] + r->hours[n / 2]) / 2;
}

/* The share answered in time of those whose answer is due, in percent,
   or -1 when no answer is due yet. */
static double
share_in_time(const struct row *r)
{
	long due = r->in_time + r->late + r->overdue;

	return due == 0 ? -1 : 100.0 * (double)r->in_time / (double)due;
}

static void
print_number(double v, const char *suffix)
{
	char buf[32];

	if (v < 0)
		snprintf(buf, sizeof(buf), "-");
	else
		snprintf(buf, sizeof(buf), "%.1f%s", v, suffix);
	printf(" %9s", buf);
}

static void
print_row(struct row *r, int width)
{
	ctl_print_cell(stdout, r->key != NULL ? r->key : _("all"), width);
	printf("%9ld %9ld %9ld %9ld %9ld %9ld", r->received, r->in_time,
	       r->late, r->waiting, r->overdue, r->unanswered);
	print_number(share_in_time(r), " %");
	print_number(median_hours(r), "");
	putchar('\n');
}

/* KEY as an RFC 4180 field. */
static void
print_csv_field(const char *key)
{
	if (strpbrk(key, ",\"\r\n") == NULL) {
		fputs(key, stdout);
		return;
	}
	putchar('"');
	for (; *key != '\0'; key++) {
		if (*key == '"')
			putchar('"');
		putchar(*key);
	}
	putchar('"');
}

/* V (>= 0) with one decimal and a decimal point, in any locale (a
   decimal comma would split a CSV field); nothing for V < 0. */
static void
print_csv_tenths(double v)
{
	long tenths;

	if (v < 0)
		return;
	tenths = (long)(v * 10 + 0.5);
	printf("%ld.%ld", tenths / 10, tenths % 10);
}

static void
print_csv_row(struct row *r)
{
	print_csv_field(r->key != NULL ? r->key : "all");
	printf(",%ld,%ld,%ld,%ld,%ld,%ld,", r->received, r->in_time, r->late,
	       r->waiting, r->overdue, r->unanswered);
	print_csv_tenths(share_in_time(r));
	putchar(',');
	print_csv_tenths(median_hours(r));
	putchar('\n');
}

static const char *
by_title(enum by by)
{
	switch (by) {
	case BY_GROUP:
		return _("group");
	case BY_HANDLER:
		return _("handler");
	case BY_CHANNEL:
		return _("channel");
	case BY_MONTH:
		return _("month");
	case BY_WORKFLOW:
		break;
	}
	return _("workflow");
}

static void
print_table(struct report *rp, const char *from, const char *to, int within)
{
	/* the first column as wide as its widest key: groups such as
	   miljoforvaltningen-bygg and miljoforvaltningen-tillsyn, cut, would
	   be two rows of the same name */
	int width = 16;

	for (size_t i = 0; i < rp->nrows; i++) {
		const char *key = rp->rows[i].key;
		int w = ctl_cell_width(key != NULL ? key : "-") + 1;

		if (w > width)
			width = w;
	}
	printf(_("Cases received %s to %s: the first answer from a case "
		 "officer, due within %d business days\n\n"), from, to, within);
	ctl_print_cell(stdout, by_title(rp->by), width);
	{
		/* TRANSLATORS: column titles of cirmctl report, 9 columns
		   wide at most each */
		const char *titles[] = { _("received"), _("in time"),
			_("late"), _("waiting"), _("overdue"), _("no answer"),
			_("share"), _("median h") };

		for (size_t i = 0; i < N_ELEMENTS(titles); i++) {
			if (i > 0)
				putchar(' ');
			ctl_print_right(stdout, titles[i], 9);
		}
		putchar('\n');
	}
	print_row(&rp->all, width);
	for (size_t i = 0; i < rp->nrows; i++)
		print_row(&rp->rows[i], width);
	printf("\n%s\n", _("received: cases received in the period; in time, "
			   "late: first answer by or after the deadline;\n"
			   "waiting, overdue: not answered yet, the deadline "
			   "still ahead or passed; no answer: closed\n"
			   "without an answer (not counted in the share); "
			   "share: in time of in time, late and\n"
			   "overdue; median h: hours from receipt to the "
			   "first answer."));
	if (rp->by_fallback > 0)
		printf(ngettext("%ld case has no workflow definition cirm "
				"can read: its deadline was counted in the "
				"default Swedish calendar.\n",
				"%ld cases have no workflow definition cirm "
				"can read: their deadlines were counted in the "
				"default Swedish calendar.\n",
				(unsigned long)rp->by_fallback),
		       rp->by_fallback);
}

/* Local midnight at the start of YYYY-MM-DD S in *t_r; 0, or -1. */
static int
parse_day(const char *s, int64_t *t_r)
{
	struct tm tm = { 0 };
	int y, m, d, n = 0;
	time_t t;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
	    n != 10 || s[4] != '-' || s[7] != '-' || y < 1970 ||
	    y > CALENDAR_YEAR_MAX)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	/* mktime() takes 31 April for 1 May: refuse */
	if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != m - 1 ||
	    tm.tm_mday != d)
		return -1;
	*t_r = t;
	return 0;
}

/* Local midnight DAYS days after T (a local midnight). */
static int64_t
add_days(int64_t t, int days)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	tm.tm_mday += days;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* The first and last day of the month before today's, as YYYY-MM-DD. */
static void
last_month(int64_t now, char from[16], char to[16])
{
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	local_day(mktime(&tm) - 86400, to);	/* last month's last day */
	snprintf(from, 16, "%.8s01", to);
}

static void
report_clear(struct report *rp)
{
	row_free(&rp->all);
	for (size_t i = 0; i < rp->nrows; i++)
		row_free(&rp->rows[i]);
	free(rp->rows);
	for (size_t i = 0; i < rp->ncals; i++) {
		free(rp->cals[i].workflow);
		workflow_free(&rp->cals[i].wf);
	}
	free(rp->cals);
	calendar_free(&rp->fallback);
	free(rp->err);
}

static int
report(const struct cfg *cfg, struct store *store, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "within", required_argument, NULL, 'w' },
		{ "by", required_argument, NULL, 'b' },
		{ "csv", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const bys[] = { "workflow", "group", "handler",
					   "channel", "month" };
	struct report rp = { .store = store, .now = time(NULL) };
	char from[16], to[16];
	const char *from_arg = NULL, *to_arg = NULL;
	int64_t start, end;
	long within = 2;
	bool csv = false, by_ok;
	int c, ret = 1;

	(void)cfg;
	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'f':
			from_arg = optarg;
			break;
		case 't':
			to_arg = optarg;
			break;
		case 'w': {
			char *end_p;

			within = strtol(optarg, &end_p, 10);
			if (*optarg < '0' || *optarg > '9' || *end_p != '\0' ||
			    within < 1 || within > WITHIN_MAX) {
				ctl_error(_("--within takes a number of "
					    "business days from 1 to %d, not "
					    "'%s'"), WITHIN_MAX, optarg);
				return EX_USAGE;
			}
			break;
		}
		case 'b':
			by_ok = false;
			for (size_t i = 0; i < N_ELEMENTS(bys); i++)
				if (strcmp(optarg, bys[i]) == 0) {
					rp.by = (enum by)i;
					by_ok = true;
				}
			if (!by_ok) {
				ctl_error(_("--by takes workflow, group, "
					    "handler, channel or month, not "
					    "'%s'"),
					  optarg);
				return EX_USAGE;
			}
			break;
		case 'c':
			csv = true;
			break;
		default:
			goto usage;
		}
	}
	if (ctl_too_many(argc, argv, optind, 0))
		goto usage;
	if (from_arg == NULL && to_arg != NULL) {
		ctl_error("%s", _("--to needs --from: the period's first day"));
		return EX_USAGE;
	}
	if (from_arg == NULL)
		last_month(rp.now, from, to);
	else {
		snprintf(from, sizeof(from), "%s", from_arg);
		if (to_arg != NULL)
			snprintf(to, sizeof(to), "%s", to_arg);
		else
			local_day(rp.now, to);
	}
	if (parse_day(from, &start) < 0 || parse_day(to, &end) < 0) {
		ctl_error(_("a day is written YYYY-MM-DD, a date that exists "
			    "(from 1970): '%s'"),
			  parse_day(from, &start) < 0 ? from : to);
		return EX_USAGE;
	}
	if (end < start && from_arg != NULL && to_arg == NULL) {
		ctl_error(_("--from %s is after today (%s): the period runs "
			    "from that day to today"), from, to);
		return EX_USAGE;
	}
	if (end < start) {
		ctl_error(_("the period ends (%s) before it begins (%s)"), to,
			  from);
		return EX_USAGE;
	}
	end = add_days(end, 1);		/* --to is the last day, whole */
	rp.within.days = (uint32_t)within;
	rp.fallback = calendar_new(CALENDAR_SWEDEN);
	if (store_report_cases(store, start, end, add_case, &rp, &rp.err) < 0 ||
	    rp.err != NULL) {
		ctl_error("%s", rp.err);
		goto out;
	}
	qsort(rp.rows, rp.nrows, sizeof(*rp.rows), cmp_row);
	if (csv) {
		printf("%s,received,in_time,late,waiting,overdue,no_answer,"
		       "in_time_percent,median_hours\n", bys[rp.by]);
		print_csv_row(&rp.all);
		for (size_t i = 0; i < rp.nrows; i++)
			print_csv_row(&rp.rows[i]);
	} else
		print_table(&rp, from, to, (int)within);
	ret = 0;
out:
	report_clear(&rp);
	return ret;
usage:
	ctl_error("%s", _("usage: cirmctl report [--from YYYY-MM-DD [--to "
			  "YYYY-MM-DD]] [--within DAYS] "
			  "[--by workflow|group|handler|channel|month] [--csv]"));
	return EX_USAGE;
}

int
ctl_report(const struct ctl *ctl, int argc, char **argv)
{
	return ctl_with_store(ctl, report, argc, argv);
}
