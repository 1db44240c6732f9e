/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "calendar.h"

#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_SECS 86400

struct hours {
	int open, close;	/* seconds after local midnight */
};

struct calendar {
	enum calendar_kind kind;
	struct hours hours[7];	/* by tm_wday */
	long *closed;		/* day numbers, sorted */
	size_t closed_n;
};

/* A local date and time of day, the date as days since 1970-01-01. */
struct local {
	long day;
	int sec;
};

/* --- the time zone --- */

/* Whether local time is Swedish in winter and in summer. */
static bool
swedish_time(void)
{
	/* 2026-01-15 and 2026-07-15, 12:00 UTC */
	static const time_t winter = 1768478400, summer = 1784116800;
	struct tm w, s;

	return localtime_r(&winter, &w) != NULL &&
		localtime_r(&summer, &s) != NULL && w.tm_gmtoff == 3600 &&
		s.tm_gmtoff == 7200;
}

int
calendar_zone_init(void)
{
	const char *tz = getenv("TZ");

	if (tz != NULL && *tz != '\0')
		return 0;
	setenv("TZ", CALENDAR_ZONE, 1);
	tzset();
	if (swedish_time())
		return 1;
	setenv("TZ", CALENDAR_ZONE_RULE, 1);
	tzset();
	return 2;
}

/* --- civil dates (H. Hinnant's algorithms) --- */

static long
days_from_civil(long y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
civil_from_days(long z, long *y_r, int *m_r, int *d_r)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);

	*d_r = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m_r = m;
	*y_r = yoe + era * 400 + (m <= 2);
}

static int
weekday(long z)
{
	return (int)(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

static int
is_leap(long y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int
month_days(long y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int
valid_date(long y, int m, int d)
{
	return m >= 1 && m <= 12 && d >= 1 && d <= month_days(y, m);
}

/* --- durations --- */

static char *
duration_error(const char *text, const char *msg)
{
	return xasprintf("duration \"%.64s\": %s", text, msg);
}

/* The field of D for designator C in the date (TIME == 0) or time part,
   and its rank for the order check; NULL if C is no designator there. */
static uint32_t *
duration_field(struct calendar_duration *d, char c, int time, int *rank_r)
{
	static const char date_units[] = "YMWD", time_units[] = "HMS";
	const char *units = time ? time_units : date_units;
	const char *p = strchr(units, c);

	if (c == '\0' || p == NULL)
		return NULL;
	*rank_r = (int)(p - units);
	if (time)
		return c == 'H' ? &d->hours : c == 'M' ? &d->minutes :
			&d->seconds;
	return c == 'Y' ? &d->years : c == 'M' ? &d->months :
		c == 'W' ? &d->weeks : &d->days;
}

/* Parses one component "<digits><designator>" at *P into D, advancing
   *P; RANK is the last designator's rank in this part. */
static int
duration_component(const char *text, const char **p, int time, int *rank,
		   struct calendar_duration *d, char **error_r)
{
	const char *num = *p, *q = *p;
	unsigned long v = 0;
	uint32_t *field;
	int r;

	if (*q == '-' || *q == '+') {
		*error_r = duration_error(text, "signed values are not "
					  "allowed");
		return -1;
	}
	for (; *q >= '0' && *q <= '9'; q++) {
		v = v * 10 + (unsigned long)(*q - '0');
		if (v > CALENDAR_DURATION_FIELD_MAX) {
			*error_r = xasprintf("duration \"%.64s\": value too "
					     "large (at most %d)", text,
					     CALENDAR_DURATION_FIELD_MAX);
			return -1;
		}
	}
	if (*q == '.' || *q == ',') {
		*error_r = duration_error(text, "fractions are not supported");
		return -1;
	}
	field = duration_field(d, *q, time, &r);
	if (field == NULL) {
		if (*q == '\0')
			*error_r = duration_error(text, "number without a "
						  "unit");
		else if (!time && strchr("HS", *q) != NULL)
			*error_r = xasprintf("duration \"%.64s\": '%c' needs "
					     "a 'T' before it", text, *q);
		else
			*error_r = xasprintf("duration \"%.64s\": unexpected "
					     "'%c'", text, *q);
		return -1;
	}
	if (q == num) {
		*error_r = xasprintf("duration \"%.64s\": '%c' without a "
				     "number", text, *q);
		return -1;
	}
	if (r <= *rank) {
		*error_r = xasprintf("duration \"%.64s\": '%c' repeated or "
				     "out of order", text, *q);
		return -1;
	}
	*rank = r;
	*field = (uint32_t)v;
	*p = q + 1;
	return 0;
}

int
calendar_duration_parse(const char *text, struct calendar_duration *d_r,
			char **error_r)
{
	struct calendar_duration d = { 0 };
	const char *p = text;
	int time = 0, rank = -1, components = 0;

	if (text == NULL || *text == '\0') {
		*error_r = xstrdup("empty duration");
		return -1;
	}
	if (*p++ != 'P') {
		*error_r = duration_error(text, "must start with 'P'");
		return -1;
	}
	while (*p != '\0') {
		if (*p == 'T' && !time) {
			time = 1;
			rank = -1;
			components = 0;
			p++;
			continue;
		}
		if (duration_component(text, &p, time, &rank, &d,
				       error_r) < 0)
			return -1;
		components++;
	}
	if (components == 0) {
		*error_r = duration_error(text, time ? "no time component "
					  "after 'T'" : "no components");
		return -1;
	}
	if ((uint64_t)d.years * 366 + (uint64_t)d.months * 31 +
		    (uint64_t)d.weeks * 7 + d.days +
		    ((uint64_t)d.hours * 3600 + (uint64_t)d.minutes * 60 +
		     d.seconds) / 86400 >
	    CALENDAR_DURATION_MAX_DAYS) {
		*error_r = duration_error(text, "longer than ten years");
		return -2;
	}
	*d_r = d;
	return 0;
}

/* --- holidays --- */

int
calendar_easter(int year, int *month_r, int *day_r)
{
	if (year < CALENDAR_YEAR_MIN || year > CALENDAR_YEAR_MAX)
		return -1;
	int a = year % 19, b = year / 100, c = year % 100;
	int d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int n = h + l - 7 * m + 114;

	*month_r = n / 31;
	*day_r = n % 31 + 1;
	return 0;
}

/* The holiday on day number Z of YEAR, or NULL. */
static const char *
holiday_name(int year, long z)
{
	static const struct {
		int m, d;
		const char *name;
	} fixed[] = {
		{ 1, 1, "nyårsdagen" }, { 1, 6, "trettondedag jul" },
		{ 5, 1, "första maj" }, { 6, 6, "nationaldagen" },
		{ 12, 24, "julafton" }, { 12, 25, "juldagen" },
		{ 12, 26, "annandag jul" }, { 12, 31, "nyårsafton" },
	};
	static const struct {
		int offset;
		const char *name;
	} easter[] = {
		{ -2, "långfredagen" }, { 0, "påskdagen" },
		{ 1, "annandag påsk" }, { 39, "Kristi himmelsfärds dag" },
		{ 49, "pingstdagen" },
	};
	/* The Friday/Saturday in a week starting on the given date. */
	static const struct {
		int m, d, wday;
		const char *name;
	} weekly[] = {
		{ 6, 19, 5, "midsommarafton" }, { 6, 20, 6, "midsommardagen" },
		{ 10, 31, 6, "alla helgons dag" },
	};
	int em, ed;

	for (size_t i = 0; i < N_ELEMENTS(fixed); i++)
		if (z == days_from_civil(year, fixed[i].m, fixed[i].d))
			return fixed[i].name;
	if (calendar_easter(year, &em, &ed) < 0)
		return NULL;
	long ez = days_from_civil(year, em, ed);
	for (size_t i = 0; i < N_ELEMENTS(easter); i++)
		if (z == ez + easter[i].offset)
			return easter[i].name;
	for (size_t i = 0; i < N_ELEMENTS(weekly); i++) {
		long first = days_from_civil(year, weekly[i].m, weekly[i].d);
		long off = (weekly[i].wday - weekday(first) + 7) % 7;

		if (z == first + off)
			return weekly[i].name;
	}
	return NULL;
}

int
calendar_is_holiday(int year, int month, int day, const char **name_r)
{
	if (year < CALENDAR_YEAR_MIN || year > CALENDAR_YEAR_MAX ||
	    !valid_date(year, month, day))
		return -1;
	const char *name = holiday_name(year, days_from_civil(year, month,
							     day));
	if (name_r != NULL)
		*name_r = name;
	return name != NULL;
}

/* --- calendars --- */

struct calendar *
calendar_new(enum calendar_kind kind)
{
	struct calendar *cal = xcalloc(1, sizeof(*cal));

	cal->kind = kind;
	for (int wday = 1; wday <= 5; wday++) {
		cal->hours[wday].open = 8 * 3600;
		cal->hours[wday].close = 16 * 3600 + 30 * 60;
	}
	return cal;
}

void
calendar_free(struct calendar **cal)
{
	if (*cal == NULL)
		return;
	free((*cal)->closed);
	free(*cal);
	*cal = NULL;
}

int
calendar_clock_parse(const char *text, int *minute_r)
{
	int h, m;
	char end;

	if (text == NULL || strlen(text) != 5 || text[2] != ':' ||
	    text[0] < '0' || text[0] > '9' || text[3] < '0' || text[3] > '9' ||
	    sscanf(text, "%2d:%2d%c", &h, &m, &end) != 2 || h > 24 || m > 59 ||
	    (h == 24 && m != 0))
		return -1;
	*minute_r = h * 60 + m;
	return 0;
}

int
calendar_set_hours(struct calendar *cal, int wday, int open_min,
		   int close_min, char **error_r)
{
	if (wday < 0 || wday > 6) {
		*error_r = xasprintf("weekday %d is not 0 (Sunday) to 6", wday);
		return -1;
	}
	if (open_min < 0 || close_min > 24 * 60 || open_min > close_min) {
		*error_r = xasprintf("opening hours %d-%d (minutes) are not "
				     "within one day", open_min, close_min);
		return -1;
	}
	cal->hours[wday].open = open_min * 60;
	cal->hours[wday].close = close_min * 60;
	return 0;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

int
calendar_add_closed_day(struct calendar *cal, int year, int month, int day,
			char **error_r)
{
	if (!valid_date(year, month, day)) {
		*error_r = xasprintf("%04d-%02d-%02d is not a date", year,
				     month, day);
		return -1;
	}
	if (cal->closed_n >= CALENDAR_CLOSED_DAYS_MAX) {
		*error_r = xasprintf("more than %d closed days",
				     CALENDAR_CLOSED_DAYS_MAX);
		return -1;
	}
	/* Kept sorted by inserting in place: sorting the whole list again
	   for each day made a long <closed> list cost quadratic time. */
	{
		long z = days_from_civil(year, month, day);
		size_t lo = 0, hi = cal->closed_n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (cal->closed[mid] <= z)
				lo = mid + 1;
			else
				hi = mid;
		}
		cal->closed = xrealloc(cal->closed, (cal->closed_n + 1) *
				       sizeof(*cal->closed));
		memmove(cal->closed + lo + 1, cal->closed + lo,
			(cal->closed_n - lo) * sizeof(*cal->closed));
		cal->closed[lo] = z;
		cal->closed_n++;
	}
	return 0;
}

/* Whether day number Z is a business day: 1/0, -1 out of range. */
static int
business_day(const struct calendar *cal, long z)
{
	const struct hours *h = &cal->hours[weekday(z)];
	long y;
	int m, d;

	if (cal->kind == CALENDAR_NONE)
		return 1;
	civil_from_days(z, &y, &m, &d);
	if (y < CALENDAR_YEAR_MIN || y > CALENDAR_YEAR_MAX)
		return -1;
	if (h->open == h->close || holiday_name((int)y, z) != NULL)
		return 0;
	return cal->closed_n == 0 ||
		bsearch(&z, cal->closed, cal->closed_n, sizeof(*cal->closed),
			cmp_long) == NULL;
}

int
calendar_is_business_day(const struct calendar *cal, int year, int month,
			 int day)
{
	if (!valid_date(year, month, day))
		return -1;
	return business_day(cal, days_from_civil(year, month, day));
}

static int
out_of_range(long z, char **error_r)
{
	long y;
	int m, d;

	civil_from_days(z, &y, &m, &d);
	*error_r = xasprintf("deadline year %ld is outside %d-%d", y,
			     CALENDAR_YEAR_MIN, CALENDAR_YEAR_MAX);
	return -1;
}

/* Moves T to the next business day, at its opening. */
static int
next_day(const struct calendar *cal, struct local *t, char **error_r)
{
	int ret;

	while ((ret = business_day(cal, ++t->day)) == 0)
		;
	if (ret < 0)
		return out_of_range(t->day, error_r);
	t->sec = cal->hours[weekday(t->day)].open;
	return 0;
}

/* Moves T to the next moment the calendar is open, unless open at T. */
static int
next_open(const struct calendar *cal, struct local *t, char **error_r)
{
	const struct hours *h = &cal->hours[weekday(t->day)];
	int ret = business_day(cal, t->day);

	if (ret < 0)
		return out_of_range(t->day, error_r);
	if (ret > 0 && t->sec < h->close) {
		if (t->sec < h->open)
			t->sec = h->open;
		return 0;
	}
	return next_day(cal, t, error_r);
}

static void
add_months(struct local *t, long months)
{
	long y;
	int m, d;

	civil_from_days(t->day, &y, &m, &d);
	long total = y * 12 + (m - 1) + months;
	y = total / 12;
	m = (int)(total % 12) + 1;
	if (d > month_days(y, m))
		d = month_days(y, m);
	t->day = days_from_civil(y, m, d);
}

/* How many weekdays CAL is open: the business days of its week, five
   for Monday to Friday, seven for a service open every day. */
static int
open_weekdays(const struct calendar *cal)
{
	int n = 0;

	for (int i = 0; i < 7; i++)
		n += cal->hours[i].open < cal->hours[i].close;
	return n;
}

/* Adds the business days and open time of D to T (already open). */
static int
add_business(const struct calendar *cal, struct local *t,
	     const struct calendar_duration *d, char **error_r)
{
	long days = (long)d->weeks * open_weekdays(cal) + d->days;
	int64_t secs = (int64_t)d->hours * 3600 + (int64_t)d->minutes * 60 +
		d->seconds;

	if (days > 0) {
		int sec = t->sec;

		for (long i = 0; i < days; i++)
			if (next_day(cal, t, error_r) < 0)
				return -1;
		t->sec = sec;
		if (next_open(cal, t, error_r) < 0)
			return -1;
	}
	for (;;) {
		int avail = cal->hours[weekday(t->day)].close - t->sec;

		if (secs <= avail) {
			t->sec += (int)secs;
			return 0;
		}
		secs -= avail;
		if (next_day(cal, t, error_r) < 0)
			return -1;
	}
}

static int
local_from_time(int64_t when, struct local *t_r, char **error_r)
{
	time_t tt = (time_t)when;
	struct tm tm;

	if ((int64_t)tt != when || localtime_r(&tt, &tm) == NULL) {
		*error_r = xasprintf("time %lld is out of range",
				     (long long)when);
		return -1;
	}
	t_r->day = days_from_civil(tm.tm_year + 1900L, tm.tm_mon + 1,
				   tm.tm_mday);
	t_r->sec = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return 0;
}

/* The time at local wall-clock TM, when it names exactly one instant
   that the UTC offset of that wall clock read as UTC confirms; else 0
   and mktime(3) decides (a gap or an overlap at a change of summer
   time). mktime() re-reads the time zone file's status at every call
   (POSIX has it act as if tzset() were called), which made it a
   noticeable part of the work on a new case; timegm() and localtime_r()
   do not. */
static int
local_fast(const struct tm *tm, int64_t *when_r)
{
	struct tm u = *tm, l;
	time_t guess = timegm(&u), tt;

	if (guess == (time_t)-1 || localtime_r(&guess, &l) == NULL)
		return 0;
	tt = guess - l.tm_gmtoff;
	if (localtime_r(&tt, &l) == NULL || l.tm_year != tm->tm_year ||
	    l.tm_mon != tm->tm_mon || l.tm_mday != tm->tm_mday ||
	    l.tm_hour != tm->tm_hour || l.tm_min != tm->tm_min ||
	    l.tm_sec != tm->tm_sec)
		return 0;
	/* in an overlap the hour comes twice: leave the choice to mktime */
	{
		time_t other = tt + (l.tm_isdst > 0 ? 3600 : -3600);
		struct tm o;

		if (localtime_r(&other, &o) != NULL && o.tm_hour == l.tm_hour &&
		    o.tm_min == l.tm_min && o.tm_mday == l.tm_mday)
			return 0;
	}
	*when_r = (int64_t)tt;
	return 1;
}

static int
time_from_local(const struct local *t, int64_t *when_r, char **error_r)
{
	struct tm tm = { 0 };
	long y;
	int m, d;
	time_t tt;

	civil_from_days(t->day, &y, &m, &d);
	if (y - 1900 > 1000000000L) {
		*error_r = xasprintf("deadline year %ld is out of range", y);
		return -1;
	}
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = t->sec / 3600;
	tm.tm_min = t->sec / 60 % 60;
	tm.tm_sec = t->sec % 60;
	tm.tm_isdst = -1;
	if (local_fast(&tm, when_r))
		return 0;
	errno = 0;
	tt = mktime(&tm);
	if (tt == (time_t)-1 && errno != 0) {
		*error_r = xasprintf("deadline year %ld is out of range", y);
		return -1;
	}
	*when_r = (int64_t)tt;
	return 0;
}


int64_t
calendar_deadline_shown(const struct calendar *cal, int64_t deadline)
{
	struct local t;
	char *err = NULL;
	int64_t shown;
	int ret;

	if (cal == NULL || cal->kind == CALENDAR_NONE ||
	    local_from_time(deadline, &t, &err) < 0 ||
	    business_day(cal, t.day) != 1 ||
	    t.sec != cal->hours[weekday(t.day)].open) {
		free(err);
		return deadline;
	}
	while ((ret = business_day(cal, --t.day)) == 0)
		;
	if (ret < 0)
		return deadline;
	t.sec = cal->hours[weekday(t.day)].close;
	if (time_from_local(&t, &shown, &err) < 0) {
		free(err);
		return deadline;
	}
	return shown;
}

int
calendar_add(const struct calendar *cal, int64_t start,
	     const struct calendar_duration *d, int64_t *deadline_r,
	     char **error_r)
{
	long months = (long)d->years * 12 + d->months;
	long days = (long)d->weeks * 7 + d->days;
	int64_t secs = (int64_t)d->hours * 3600 + (int64_t)d->minutes * 60 +
		d->seconds;
	struct local t, t0;

	if (cal->kind == CALENDAR_NONE && months == 0 && days == 0) {
		/* Exact: no round trip through an ambiguous local time. */
		if (start > INT64_MAX - secs) {
			*error_r = xstrdup("deadline is out of range");
			return -1;
		}
		*deadline_r = start + secs;
		return 0;
	}
	if (cal->kind != CALENDAR_NONE && open_weekdays(cal) == 0) {
		*error_r = xstrdup("the calendar has no opening hours");
		return -1;
	}
	if (local_from_time(start, &t, error_r) < 0)
		return -1;
	t0 = t;
	if (cal->kind == CALENDAR_NONE) {
		int64_t when;

		add_months(&t, months);
		t.day += days;
		if (time_from_local(&t, &when, error_r) < 0)
			return -1;
		if (when > INT64_MAX - secs) {
			*error_r = xstrdup("deadline is out of range");
			return -1;
		}
		*deadline_r = when + secs;
		return 0;
	}
	if (next_open(cal, &t, error_r) < 0)
		return -1;
	if (months > 0) {
		add_months(&t, months);
		if (next_open(cal, &t, error_r) < 0)
			return -1;
	}
	if (add_business(cal, &t, d, error_r) < 0)
		return -1;
	if (t.day == t0.day && t.sec == t0.sec) {
		*deadline_r = start;
		return 0;
	}
	return time_from_local(&t, deadline_r, error_r);
}
