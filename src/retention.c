/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "retention.h"
#include "retention-private.h"

#include "calendar.h"
#include "i18n.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Most WORKFLOW:PERIOD pairs. */
#define RETENTION_RULES_MAX 100

void
retention_free(struct retention **rp)
{
	struct retention *r = *rp;

	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->rules[i].workflow);
		free(r->rules[i].period);
	}
	free(r->rules);
	free(r);
	*rp = NULL;
}

/* P0D, PT0S: everything would go at the next housekeeping, which no
   records management plan means; "none" keeps, a period removes. */
static bool
nothing(const struct calendar_duration *d)
{
	return d->years == 0 && d->months == 0 && d->weeks == 0 &&
	       d->days == 0 && d->hours == 0 && d->minutes == 0 &&
	       d->seconds == 0;
}

static const char why_shape[] =
	N_("must be none or WORKFLOW:PERIOD pairs, e.g. synpunkt:P2Y "
	   "felanmalan:P1Y *:P10Y");

static int
parse_pair(struct retention *r, const char *item, char **error_r,
	   const char **why_r)
{
	const char *colon = strrchr(item, ':');
	struct rule rule = { 0 };
	char *err = NULL;
	int rc;

	*why_r = why_shape;
	if (colon == NULL || colon == item || colon[1] == '\0') {
		*error_r = xasprintf("'%s' is not WORKFLOW:PERIOD", item);
		return -1;
	}
	rule.workflow = xstrndup(item, (size_t)(colon - item));
	rule.period = xstrdup(colon + 1);
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->rules[i].workflow, rule.workflow) == 0) {
			*error_r = xasprintf("workflow %s is named twice",
					     rule.workflow);
			*why_r = N_("must name each workflow once");
			goto fail;
		}
	rc = calendar_duration_parse(rule.period, &rule.d, &err);
	if (rc < 0) {
		*error_r = xasprintf("%s: %s", item, err);
		free(err);
		if (rc == -2)
			*why_r = N_("must give each workflow a period of at "
				    "most ten years, P10Y (none alone keeps "
				    "every case for ever)");
		goto fail;
	}
	if (nothing(&rule.d)) {
		*error_r = xasprintf("%s: a period of nothing", item);
		*why_r = N_("must give each workflow a period longer than "
			    "nothing (none keeps all)");
		goto fail;
	}
	if (r->n == RETENTION_RULES_MAX) {
		*error_r = xasprintf("more than %d workflows",
				     RETENTION_RULES_MAX);
		*why_r = N_("must name at most 100 workflows");
		goto fail;
	}
	r->rules = xrealloc(r->rules, (r->n + 1) * sizeof(*r->rules));
	r->rules[r->n++] = rule;
	return 0;
fail:
	free(rule.workflow);
	free(rule.period);
	return -1;
}

static int
parse(const char *text, struct retention **r_r, char **error_r,
      const char **why_r)
{
	struct retention *r;
	const char *p = text;

	*r_r = NULL;
	if (strcmp(text, "none") == 0)
		return 0;
	r = xcalloc(1, sizeof(*r));
	while (*p != '\0') {
		size_t n;
		char *item;
		int rc;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == 0)
			break;
		item = xstrndup(p, n);
		rc = parse_pair(r, item, error_r, why_r);
		free(item);
		if (rc < 0) {
			retention_free(&r);
			return -1;
		}
		p += n;
	}
	if (r->n == 0) {
		*error_r = xstrdup("no WORKFLOW:PERIOD given (none for none)");
		*why_r = why_shape;
		retention_free(&r);
		return -1;
	}
	*r_r = r;
	return 0;
}

int
retention_parse(const char *text, struct retention **r_r, char **error_r)
{
	const char *why;

	return parse(text, r_r, error_r, &why);
}

const char *
retention_problem(const char *text)
{
	struct retention *r = NULL;
	const char *why = NULL;
	char *err = NULL;

	if (parse(text, &r, &err, &why) == 0) {
		retention_free(&r);
		return NULL;
	}
	free(err);
	return why;
}

const struct rule *
retention_rule_for(const struct retention *r, const char *workflow)
{
	const struct rule *any = NULL;

	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->rules[i].workflow, "*") == 0)
			any = &r->rules[i];
		else if (workflow != NULL &&
			 strcmp(r->rules[i].workflow, workflow) == 0)
			return &r->rules[i];
	}
	return any;
}

int64_t
retention_rule_cutoff(const struct rule *rule, int64_t now)
{
	const struct calendar_duration *d = &rule->d;
	time_t t = (time_t)now;
	struct tm tm;
	long months;
	int mday, last;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	months = (long)tm.tm_year * 12 + tm.tm_mon - (long)d->years * 12 -
		 (long)d->months;
	if (months < 0)
		return 0;
	mday = tm.tm_mday;
	tm.tm_year = (int)(months / 12);
	tm.tm_mon = (int)(months % 12);
	/* the month's last day: the day before the next month's first */
	{
		struct tm end = tm;
		time_t e;

		end.tm_mon++;
		end.tm_mday = 0;
		end.tm_hour = 12;
		end.tm_isdst = -1;
		e = mktime(&end);
		last = localtime_r(&e, &end) != NULL ? end.tm_mday : 28;
	}
	tm.tm_mday = (mday < last ? mday : last) - (int)(d->weeks * 7) -
		     (int)d->days;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return 0;
	return (int64_t)t - (int64_t)d->hours * 3600 -
	       (int64_t)d->minutes * 60 - (int64_t)d->seconds;
}

int
retention_period_check(const char *text, char **error_r)
{
	struct calendar_duration d;
	int rc;

	if (strcmp(text, "none") == 0)
		return 0;
	rc = calendar_duration_parse(text, &d, error_r);
	if (rc < 0)
		return rc;
	if (nothing(&d)) {
		*error_r = xasprintf("%s: a period of nothing", text);
		return -1;
	}
	return 0;
}

int
retention_period_cutoff(const char *period, int64_t now, int64_t *before_r,
			char **error_r)
{
	struct rule rule = { .workflow = "*", .period = (char *)period };

	*before_r = 0;
	if (strcmp(period, "none") == 0)
		return 0;
	if (calendar_duration_parse(period, &rule.d, error_r) < 0)
		return -1;
	*before_r = retention_rule_cutoff(&rule, now);
	return 0;
}

