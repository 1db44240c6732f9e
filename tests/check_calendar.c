/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "calendar.h"
#include "testutil.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
setup(void)
{
	setenv("TZ", "Europe/Stockholm", 1);
	tzset();
}

/* Local "YYYY-MM-DD HH:MM[:SS]" in Europe/Stockholm as epoch seconds. */
static int64_t
local(const char *text)
{
	struct tm tm = { 0 };

	tm.tm_sec = 0;
	ck_assert_msg(sscanf(text, "%d-%d-%d %d:%d:%d", &tm.tm_year,
			     &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			     &tm.tm_sec) >= 5, "bad time '%s'", text);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

/* WHEN as local "YYYY-MM-DD HH:MM:SS ZONE" in a static buffer. */
static const char *
show(int64_t when)
{
	static char buf[64];
	time_t t = (time_t)when;
	struct tm tm;

	ck_assert_ptr_nonnull(localtime_r(&t, &tm));
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", &tm);
	return buf;
}

/* --- holidays --- */

static const struct {
	int y, m, d;
	const char *name;
} holidays[] = {
	{ 2024, 1, 1, "nyårsdagen" },
	{ 2024, 1, 6, "trettondedag jul" },
	{ 2024, 3, 29, "långfredagen" },
	{ 2024, 3, 31, "påskdagen" },
	{ 2024, 4, 1, "annandag påsk" },
	{ 2024, 5, 1, "första maj" },
	{ 2024, 5, 9, "Kristi himmelsfärds dag" },
	{ 2024, 5, 19, "pingstdagen" },
	{ 2024, 6, 6, "nationaldagen" },
	{ 2024, 6, 21, "midsommarafton" },
	{ 2024, 6, 22, "midsommardagen" },
	{ 2024, 11, 2, "alla helgons dag" },
	{ 2024, 12, 24, "julafton" },
	{ 2024, 12, 25, "juldagen" },
	{ 2024, 12, 26, "annandag jul" },
	{ 2024, 12, 31, "nyårsafton" },
	{ 2025, 4, 18, "långfredagen" },
	{ 2025, 4, 20, "påskdagen" },
	{ 2025, 4, 21, "annandag påsk" },
	{ 2025, 5, 29, "Kristi himmelsfärds dag" },
	{ 2025, 6, 8, "pingstdagen" },
	{ 2025, 6, 20, "midsommarafton" },
	{ 2025, 6, 21, "midsommardagen" },
	{ 2025, 11, 1, "alla helgons dag" },
	{ 2026, 4, 3, "långfredagen" },
	{ 2026, 4, 5, "påskdagen" },
	{ 2026, 4, 6, "annandag påsk" },
	{ 2026, 5, 14, "Kristi himmelsfärds dag" },
	{ 2026, 5, 24, "pingstdagen" },
	{ 2026, 6, 19, "midsommarafton" },
	{ 2026, 6, 20, "midsommardagen" },
	{ 2026, 10, 31, "alla helgons dag" },
	{ 2027, 3, 26, "långfredagen" },
	{ 2027, 3, 28, "påskdagen" },
	{ 2027, 3, 29, "annandag påsk" },
	{ 2027, 5, 6, "Kristi himmelsfärds dag" },
	{ 2027, 5, 16, "pingstdagen" },
	{ 2027, 6, 25, "midsommarafton" },
	{ 2027, 6, 26, "midsommardagen" },
	{ 2027, 11, 6, "alla helgons dag" },
	{ 2038, 4, 23, "långfredagen" },
	{ 2038, 4, 25, "påskdagen" },
	{ 2038, 4, 26, "annandag påsk" },
	{ 2038, 6, 3, "Kristi himmelsfärds dag" },
	{ 2038, 6, 13, "pingstdagen" },
	{ 2038, 6, 25, "midsommarafton" },
	{ 2038, 6, 26, "midsommardagen" },
	{ 2038, 11, 6, "alla helgons dag" },
	{ 2008, 5, 1, "första maj" },	/* also Kristi himmelsfärds dag */
	{ 1913, 3, 23, "påskdagen" },
	{ 1900, 1, 1, "nyårsdagen" },
	{ 2199, 12, 31, "nyårsafton" },
};

START_TEST(test_holiday)
{
	const char *name = NULL;

	ck_assert_int_eq(calendar_is_holiday(holidays[_i].y, holidays[_i].m,
					     holidays[_i].d, &name), 1);
	ck_assert_str_eq(name, holidays[_i].name);
}
END_TEST

static const struct {
	int y, m, d;
} not_holidays[] = {
	{ 2024, 6, 20 },	/* Thursday before midsummer */
	{ 2024, 6, 23 },	/* Sunday after */
	{ 2024, 11, 1 },	/* All Saints' Eve is no holiday */
	{ 2025, 4, 19 },	/* påskafton: a Saturday, not listed */
	{ 2025, 10, 31 },
	{ 2026, 4, 2 },		/* skärtorsdagen */
	{ 2026, 6, 26 },	/* a week after midsummer */
	{ 2026, 11, 23 },	/* plain Monday */
	{ 2026, 12, 27 },
	{ 2038, 6, 19 },	/* 19 June 2038 is a Saturday, not midsummer */
	{ 2038, 10, 31 },	/* a Sunday, not All Saints' Day */
};

START_TEST(test_not_holiday)
{
	const char *name = "x";

	ck_assert_int_eq(calendar_is_holiday(not_holidays[_i].y,
					     not_holidays[_i].m,
					     not_holidays[_i].d, &name), 0);
	ck_assert_ptr_null(name);
}
END_TEST

START_TEST(test_holiday_range)
{
	int m, d;

	ck_assert_int_eq(calendar_is_holiday(1899, 12, 31, NULL), -1);
	ck_assert_int_eq(calendar_is_holiday(2200, 1, 1, NULL), -1);
	ck_assert_int_eq(calendar_is_holiday(2285, 4, 1, NULL), -1);
	ck_assert_int_eq(calendar_is_holiday(2026, 2, 29, NULL), -1);
	ck_assert_int_eq(calendar_is_holiday(2026, 13, 1, NULL), -1);
	ck_assert_int_eq(calendar_is_holiday(2026, 0, 1, NULL), -1);
	ck_assert_int_eq(calendar_is_holiday(2024, 2, 29, NULL), 0);
	ck_assert_int_eq(calendar_easter(2285, &m, &d), -1);
	ck_assert_int_eq(calendar_easter(1899, &m, &d), -1);
}
END_TEST

/* Easter Sundays, checked against dateutil.easter (EASTER_WESTERN). */
static const struct {
	int y, m, d;
} easters[] = {
	{ 1900, 4, 15 }, { 1913, 3, 23 }, { 2008, 3, 23 }, { 2011, 4, 24 },
	{ 2024, 3, 31 }, { 2025, 4, 20 }, { 2026, 4, 5 }, { 2027, 3, 28 },
	{ 2038, 4, 25 }, { 2160, 3, 23 }, { 2199, 4, 14 },
};

START_TEST(test_easter)
{
	int m = 0, d = 0;

	ck_assert_int_eq(calendar_easter(easters[_i].y, &m, &d), 0);
	ck_assert_int_eq(m, easters[_i].m);
	ck_assert_int_eq(d, easters[_i].d);
}
END_TEST

/* Every year has its listed days, midsummer on Friday/Saturday and All
   Saints' Day on a Saturday. */
START_TEST(test_holiday_every_year)
{
	for (int y = CALENDAR_YEAR_MIN; y <= CALENDAR_YEAR_MAX; y++) {
		int n = 0;

		for (int m = 1; m <= 12; m++)
			for (int d = 1; d <= 31; d++) {
				const char *name;
				int ret = calendar_is_holiday(y, m, d, &name);

				ck_assert_int_ge(ret, d > 28 ? -1 : 0);
				if (ret <= 0)
					continue;
				n++;
				struct tm tm = { .tm_year = y - 1900,
						 .tm_mon = m - 1,
						 .tm_mday = d, .tm_hour = 12,
						 .tm_isdst = -1 };
				ck_assert(mktime(&tm) != (time_t)-1);
				if (strcmp(name, "midsommarafton") == 0)
					ck_assert_int_eq(tm.tm_wday, 5);
				if (strcmp(name, "midsommardagen") == 0 ||
				    strcmp(name, "alla helgons dag") == 0)
					ck_assert_int_eq(tm.tm_wday, 6);
				if (strcmp(name, "pingstdagen") == 0 ||
				    strcmp(name, "påskdagen") == 0)
					ck_assert_int_eq(tm.tm_wday, 0);
			}
		/* 16, or 15 when Kristi himmelsfärds dag is 1 May or
		   pingstdagen 6 June */
		ck_assert_msg(n == 16 || n == 15, "%d: %d holidays", y, n);
	}
}
END_TEST

/* --- durations --- */

static const struct {
	const char *text;
	struct calendar_duration d;
} good_durations[] = {
	{ "P2D", { .days = 2 } },
	{ "PT4H", { .hours = 4 } },
	{ "P1W", { .weeks = 1 } },
	{ "P1DT2H", { .days = 1, .hours = 2 } },
	{ "PT30M", { .minutes = 30 } },
	{ "P0D", { 0 } },
	{ "PT0S", { 0 } },
	{ "P3M", { .months = 3 } },
	{ "P007D", { .days = 7 } },
	{ "P3660D", { .days = 3660 } },	/* ten years, the most */
	{ "P10Y", { .years = 10 } },
	{ "PT87840H", { .hours = 87840 } },
	{ "P1Y2M3W4DT5H6M7S", { 1, 2, 3, 4, 5, 6, 7 } },
	{ "P1MT1M", { .months = 1, .minutes = 1 } },
};

START_TEST(test_duration_good)
{
	struct calendar_duration d;
	char *error = NULL;

	memset(&d, 0xff, sizeof(d));
	ck_assert_msg(calendar_duration_parse(good_durations[_i].text, &d,
					      &error) == 0,
		      "%s: %s", good_durations[_i].text, error);
	ck_assert_mem_eq(&d, &good_durations[_i].d, sizeof(d));
}
END_TEST

static const struct {
	const char *text, *error;
} bad_durations[] = {
	{ "", "empty duration" },
	{ "P", "no components" },
	{ "PT", "no time component after 'T'" },
	{ "P1DT", "no time component after 'T'" },
	{ "2D", "must start with 'P'" },
	{ "p1d", "must start with 'P'" },
	{ "P1d", "unexpected 'd'" },
	{ "P-1D", "signed values are not allowed" },
	{ "P+1D", "signed values are not allowed" },
	{ "-P1D", "must start with 'P'" },
	{ "P1.5D", "fractions are not supported" },
	{ "PT0,5H", "fractions are not supported" },
	{ "P100000D", "value too large (at most 99999)" },
	{ "P99999D", "longer than ten years" },
	{ "P3661D", "longer than ten years" },
	{ "P11Y", "longer than ten years" },
	{ "P200Y", "longer than ten years" },
	{ "P9Y13M", "longer than ten years" },
	{ "PT87865H", "longer than ten years" },
	{ "P99999999999999999999999D", "value too large" },
	{ "P1", "number without a unit" },
	{ "PD", "'D' without a number" },
	{ "PT1D", "unexpected 'D'" },
	{ "P1H", "'H' needs a 'T' before it" },
	{ "P1D1D", "'D' repeated or out of order" },
	{ "P1D2W", "'W' repeated or out of order" },
	{ "PT1M1H", "'H' repeated or out of order" },
	{ "P1DTT1H", "unexpected 'T'" },
	{ "P 1D", "unexpected ' '" },
	{ "P1DX", "unexpected 'X'" },
	{ "P1D ", "unexpected ' '" },
};

START_TEST(test_duration_bad)
{
	struct calendar_duration d = { .days = 42 };
	char *error = NULL;

	/* too long is told apart, for a message that gives the limit */
	ck_assert_int_eq(calendar_duration_parse(bad_durations[_i].text, &d,
						 &error),
			 strcmp(bad_durations[_i].error,
				"longer than ten years") == 0 ? -2 : -1);
	ck_assert_ptr_nonnull(error);
	ck_assert_msg(strstr(error, bad_durations[_i].error) != NULL,
		      "'%s': error '%s' does not mention '%s'",
		      bad_durations[_i].text, error, bad_durations[_i].error);
	ck_assert_uint_eq(d.days, 42);
	free(error);
}
END_TEST

START_TEST(test_duration_null)
{
	struct calendar_duration d;
	char *error = NULL;

	ck_assert_int_eq(calendar_duration_parse(NULL, &d, &error), -1);
	ck_assert_str_eq(error, "empty duration");
	free(error);
}
END_TEST

/* --- calendar_add --- */

enum cal_setup {
	SWEDEN,		/* Monday to Friday 08:00-16:30 */
	SHORT_FRIDAY,	/* and Friday closes at 15:00 */
	KLAMDAG,	/* and Friday 15 May 2026 is closed */
	EVERY_DAY,	/* Monday to Sunday 08:00-16:30 (an on-call service) */
	SIX_DAYS,	/* Monday to Saturday 08:00-16:30 */
	NONE,
};

static struct calendar *
make_calendar(enum cal_setup which)
{
	struct calendar *cal =
		calendar_new(which == NONE ? CALENDAR_NONE : CALENDAR_SWEDEN);
	char *error = NULL;

	if (which == SHORT_FRIDAY)
		ck_assert_int_eq(calendar_set_hours(cal, 5, 8 * 60, 15 * 60,
						    &error), 0);
	if (which == KLAMDAG)
		ck_assert_int_eq(calendar_add_closed_day(cal, 2026, 5, 15,
							 &error), 0);
	for (int wday = which == EVERY_DAY ? 0 : 6;
	     (which == EVERY_DAY || which == SIX_DAYS) && wday <= 6; wday += 6)
		ck_assert_int_eq(calendar_set_hours(cal, wday, 8 * 60,
						    16 * 60 + 30, &error), 0);
	return cal;
}

static const struct {
	enum cal_setup cal;
	const char *start, *duration, *deadline;
} adds[] = {
	/* weekends */
	{ SWEDEN, "2026-11-20 14:00", "P2D", "2026-11-24 14:00:00 CET" },
	{ SWEDEN, "2026-11-21 10:00", "P2D", "2026-11-25 08:00:00 CET" },
	{ SWEDEN, "2026-11-20 14:00", "P1W", "2026-11-27 14:00:00 CET" },
	{ SWEDEN, "2026-11-20 14:00:17", "P1D", "2026-11-23 14:00:17 CET" },
	/* Easter 2026: långfredagen 3 April, annandag påsk 6 April */
	{ SWEDEN, "2026-04-02 14:00", "P1D", "2026-04-07 14:00:00 CEST" },
	{ SWEDEN, "2026-04-02 14:00", "PT3H", "2026-04-07 08:30:00 CEST" },
	/* midsummer 2026: 19 June (Friday) */
	{ SWEDEN, "2026-06-18 10:00", "P1D", "2026-06-22 10:00:00 CEST" },
	{ SWEDEN, "2026-06-19 10:00", "P0D", "2026-06-22 08:00:00 CEST" },
	/* nationaldagen 2025 is a Friday */
	{ SWEDEN, "2025-06-05 09:00", "P1D", "2025-06-09 09:00:00 CEST" },
	/* Christmas and New Year 2026/27; trettondedag jul on Wednesday */
	{ SWEDEN, "2026-12-23 12:00", "P1D", "2026-12-28 12:00:00 CET" },
	{ SWEDEN, "2026-12-23 12:00", "P1W", "2027-01-05 12:00:00 CET" },
	{ SWEDEN, "2026-12-23 12:00", "P6D", "2027-01-07 12:00:00 CET" },
	{ SWEDEN, "2026-12-30 16:00", "PT1H", "2027-01-04 08:30:00 CET" },
	/* hours across days */
	{ SWEDEN, "2026-11-23 14:00", "PT4H", "2026-11-24 09:30:00 CET" },
	{ SWEDEN, "2026-11-20 15:00", "PT10H", "2026-11-23 16:30:00 CET" },
	{ SWEDEN, "2026-11-20 15:00", "PT10H1M", "2026-11-24 08:01:00 CET" },
	{ SWEDEN, "2026-11-23 08:00", "PT17H", "2026-11-24 16:30:00 CET" },
	{ SWEDEN, "2026-11-23 08:00", "PT42H30M", "2026-11-27 16:30:00 CET" },
	{ SWEDEN, "2026-11-20 15:00", "P1DT2H", "2026-11-24 08:30:00 CET" },
	{ SWEDEN, "2026-11-23 10:00", "PT90S", "2026-11-23 10:01:30 CET" },
	/* start outside opening hours */
	{ SWEDEN, "2026-11-23 07:00", "PT1H", "2026-11-23 09:00:00 CET" },
	{ SWEDEN, "2026-11-23 17:00", "PT30M", "2026-11-24 08:30:00 CET" },
	{ SWEDEN, "2026-11-23 16:30", "P0D", "2026-11-24 08:00:00 CET" },
	{ SWEDEN, "2026-11-23 16:29", "P0D", "2026-11-23 16:29:00 CET" },
	{ SWEDEN, "2026-11-22 23:59", "P1D", "2026-11-24 08:00:00 CET" },
	{ SWEDEN, "2026-11-23 05:00", "P1D", "2026-11-24 08:00:00 CET" },
	/* DST: 29 March and 25 October 2026 */
	{ SWEDEN, "2026-03-27 14:00", "P1D", "2026-03-30 14:00:00 CEST" },
	{ SWEDEN, "2026-03-27 14:00", "PT4H", "2026-03-30 09:30:00 CEST" },
	{ SWEDEN, "2026-10-23 14:00", "P1D", "2026-10-26 14:00:00 CET" },
	{ SWEDEN, "2026-10-23 16:00", "PT1H", "2026-10-26 08:30:00 CET" },
	/* calendar months, then the next opening */
	{ SWEDEN, "2026-01-30 10:00", "P1M", "2026-03-02 08:00:00 CET" },
	{ SWEDEN, "2026-01-15 10:00", "P1M", "2026-02-16 08:00:00 CET" },
	{ SWEDEN, "2026-01-14 10:00", "P1Y", "2027-01-14 10:00:00 CET" },
	{ SWEDEN, "2026-01-14 10:00", "P1MT1H", "2026-02-16 09:00:00 CET" },
	/* per-weekday hours and extra closed days */
	{ SHORT_FRIDAY, "2026-11-19 16:00", "P1D", "2026-11-23 08:00:00 CET" },
	{ SHORT_FRIDAY, "2026-11-19 14:00", "P1D", "2026-11-20 14:00:00 CET" },
	{ SHORT_FRIDAY, "2026-11-20 14:00", "PT2H", "2026-11-23 09:00:00 CET" },
	{ KLAMDAG, "2026-05-13 10:00", "P1D", "2026-05-18 10:00:00 CEST" },
	{ SWEDEN, "2026-05-13 10:00", "P1D", "2026-05-15 10:00:00 CEST" },
	/* a week is the calendar's week: as many business days as it has
	   open weekdays (holidays still closed) */
	{ EVERY_DAY, "2026-11-23 10:00", "P1W", "2026-11-30 10:00:00 CET" },
	{ EVERY_DAY, "2026-11-23 10:00", "P2W", "2026-12-07 10:00:00 CET" },
	{ EVERY_DAY, "2026-11-21 10:00", "P1D", "2026-11-22 10:00:00 CET" },
	{ EVERY_DAY, "2026-12-21 10:00", "P1W", "2027-01-02 10:00:00 CET" },
	{ SIX_DAYS, "2026-11-23 10:00", "P1W", "2026-11-30 10:00:00 CET" },
	{ SIX_DAYS, "2026-11-21 10:00", "P1W", "2026-11-28 10:00:00 CET" },
	{ SHORT_FRIDAY, "2026-11-20 14:00", "P1W", "2026-11-27 14:00:00 CET" },
	/* wall clock: days keep the local time, hours are elapsed */
	{ NONE, "2026-11-21 10:00", "P2D", "2026-11-23 10:00:00 CET" },
	{ NONE, "2026-11-23 10:00", "P1W", "2026-11-30 10:00:00 CET" },
	{ NONE, "2026-11-23 10:00", "PT4H", "2026-11-23 14:00:00 CET" },
	{ NONE, "2026-04-02 14:00", "P1D", "2026-04-03 14:00:00 CEST" },
	{ NONE, "2026-01-31 10:00", "P1M", "2026-02-28 10:00:00 CET" },
	{ NONE, "2024-02-29 10:00", "P1Y", "2025-02-28 10:00:00 CET" },
	{ NONE, "2026-03-28 12:00", "P1D", "2026-03-29 12:00:00 CEST" },
	{ NONE, "2026-03-28 12:00", "PT24H", "2026-03-29 13:00:00 CEST" },
	{ NONE, "2026-10-24 12:00", "P1D", "2026-10-25 12:00:00 CET" },
	{ NONE, "2026-10-24 12:00", "PT24H", "2026-10-25 11:00:00 CET" },
	{ NONE, "2026-03-28 02:30", "P1D", "2026-03-29 03:30:00 CEST" },
	{ NONE, "2026-10-24 12:00", "P1DT1H", "2026-10-25 13:00:00 CET" },
	{ NONE, "2026-11-23 10:00", "P0D", "2026-11-23 10:00:00 CET" },
};

START_TEST(test_add)
{
	struct calendar *cal = make_calendar(adds[_i].cal);
	struct calendar_duration d;
	int64_t deadline = 0;
	char *error = NULL;

	ck_assert_int_eq(calendar_duration_parse(adds[_i].duration, &d,
						 &error), 0);
	ck_assert_msg(calendar_add(cal, local(adds[_i].start), &d, &deadline,
				   &error) == 0, "%s", error);
	ck_assert_msg(strcmp(show(deadline), adds[_i].deadline) == 0,
		      "%s + %s: got %s, want %s", adds[_i].start,
		      adds[_i].duration, show(deadline), adds[_i].deadline);
	calendar_free(&cal);
	ck_assert_ptr_null(cal);
}
END_TEST

/* Elapsed time across the DST changes, not just the local reading. */
START_TEST(test_add_dst_elapsed)
{
	struct calendar *cal = calendar_new(CALENDAR_NONE);
	struct calendar_duration d = { .days = 1 };
	int64_t start, deadline;
	char *error = NULL;

	start = local("2026-03-28 12:00");
	ck_assert_int_eq(calendar_add(cal, start, &d, &deadline, &error), 0);
	ck_assert_int_eq(deadline - start, 23 * 3600);
	start = local("2026-10-24 12:00");
	ck_assert_int_eq(calendar_add(cal, start, &d, &deadline, &error), 0);
	ck_assert_int_eq(deadline - start, 25 * 3600);
	/* hours from inside the repeated hour are exact */
	d = (struct calendar_duration){ .hours = 1 };
	start = 1792887600;	/* 2026-10-25 00:20 UTC = 02:20 CEST */
	ck_assert_str_eq(show(start), "2026-10-25 02:20:00 CEST");
	ck_assert_int_eq(calendar_add(cal, start, &d, &deadline, &error), 0);
	ck_assert_int_eq(deadline - start, 3600);
	ck_assert_str_eq(show(deadline), "2026-10-25 02:20:00 CET");
	calendar_free(&cal);

	/* a business P0D inside opening hours is START itself */
	cal = calendar_new(CALENDAR_SWEDEN);
	d = (struct calendar_duration){ 0 };
	start = local("2026-11-23 10:00:05");
	ck_assert_int_eq(calendar_add(cal, start, &d, &deadline, &error), 0);
	ck_assert_int_eq(deadline, start);
	calendar_free(&cal);
}
END_TEST

/* Day arithmetic on the wall clock equals mktime(3)'s reading of the
   same local time, for every quarter hour of the days around both
   changes of summer time (the gap in March, the hour that comes twice
   in October): the fast path must agree where the local time is plain,
   and leave gaps and overlaps to mktime. */
START_TEST(test_add_days_as_mktime)
{
	static const char *const from[] = { "2026-03-27 00:00", "2026-10-23 00:00" };
	struct calendar *cal = calendar_new(CALENDAR_NONE);
	char *error = NULL;

	for (size_t k = 0; k < N_ELEMENTS(from); k++) {
		for (int64_t t = local(from[k]); t < local(from[k]) + 4 * 86400;
		     t += 900) {
			for (int days = 1; days <= 2; days++) {
				struct calendar_duration d = { .days = days };
				time_t tt = (time_t)t;
				struct tm tm;
				int64_t deadline;

				ck_assert_ptr_nonnull(localtime_r(&tt, &tm));
				tm.tm_mday += days;
				tm.tm_isdst = -1;
				ck_assert_int_eq(calendar_add(cal, t, &d, &deadline,
							      &error), 0);
				ck_assert_msg(deadline == (int64_t)mktime(&tm),
					      "%s + P%dD", show(t), days);
			}
		}
	}
	calendar_free(&cal);
}
END_TEST

START_TEST(test_add_errors)
{
	struct calendar *cal = calendar_new(CALENDAR_SWEDEN);
	struct calendar_duration d = { .weeks = 1 };
	int64_t deadline = 7;
	char *error = NULL;

	ck_assert_int_eq(calendar_add(cal, local("2199-12-28 10:00"), &d,
				      &deadline, &error), -1);
	ck_assert_str_eq(error, "deadline year 2200 is outside 1900-2199");
	free(error);
	error = NULL;
	d = (struct calendar_duration){ .years = 99999 };
	ck_assert_int_eq(calendar_add(cal, local("2026-11-23 10:00"), &d,
				      &deadline, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "is outside 1900-2199"));
	free(error);
	error = NULL;
	d = (struct calendar_duration){ .days = 99999 };
	ck_assert_int_eq(calendar_add(cal, local("2026-11-23 10:00"), &d,
				      &deadline, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "is outside 1900-2199"));
	free(error);
	error = NULL;
	ck_assert_int_eq(deadline, 7);

	for (int wday = 0; wday < 7; wday++)
		ck_assert_int_eq(calendar_set_hours(cal, wday, 0, 0, &error),
				 0);
	d = (struct calendar_duration){ .days = 1 };
	ck_assert_int_eq(calendar_add(cal, local("2026-11-23 10:00"), &d,
				      &deadline, &error), -1);
	ck_assert_str_eq(error, "the calendar has no opening hours");
	free(error);
	calendar_free(&cal);
	calendar_free(&cal);
}
END_TEST

START_TEST(test_setup_errors)
{
	struct calendar *cal = calendar_new(CALENDAR_SWEDEN);
	char *error = NULL;

	ck_assert_int_eq(calendar_set_hours(cal, 7, 480, 990, &error), -1);
	ck_assert_str_eq(error, "weekday 7 is not 0 (Sunday) to 6");
	free(error);
	ck_assert_int_eq(calendar_set_hours(cal, 1, 990, 480, &error), -1);
	ck_assert_ptr_nonnull(strstr(error, "not within one day"));
	free(error);
	ck_assert_int_eq(calendar_set_hours(cal, 1, 480, 1441, &error), -1);
	free(error);
	ck_assert_int_eq(calendar_set_hours(cal, 1, -1, 480, &error), -1);
	free(error);
	ck_assert_int_eq(calendar_add_closed_day(cal, 2026, 2, 29, &error),
			 -1);
	ck_assert_str_eq(error, "2026-02-29 is not a date");
	free(error);
	for (int i = 0; i < CALENDAR_CLOSED_DAYS_MAX; i++)
		ck_assert_int_eq(calendar_add_closed_day(cal, 2030, 1, 1,
							 &error), 0);
	ck_assert_int_eq(calendar_add_closed_day(cal, 2030, 1, 2, &error), -1);
	ck_assert_str_eq(error, "more than 4096 closed days");
	free(error);
	calendar_free(&cal);
}
END_TEST

START_TEST(test_business_day)
{
	struct calendar *cal = make_calendar(KLAMDAG);
	struct calendar *none = calendar_new(CALENDAR_NONE);

	ck_assert_int_eq(calendar_is_business_day(cal, 2026, 5, 13), 1);
	ck_assert_int_eq(calendar_is_business_day(cal, 2026, 5, 14), 0);
	ck_assert_int_eq(calendar_is_business_day(cal, 2026, 5, 15), 0);
	ck_assert_int_eq(calendar_is_business_day(cal, 2026, 5, 16), 0);
	ck_assert_int_eq(calendar_is_business_day(cal, 2026, 5, 18), 1);
	ck_assert_int_eq(calendar_is_business_day(cal, 2026, 2, 30), -1);
	ck_assert_int_eq(calendar_is_business_day(cal, 2200, 1, 2), -1);
	ck_assert_int_eq(calendar_is_business_day(none, 2026, 12, 25), 1);
	calendar_free(&cal);
	calendar_free(&none);
}
END_TEST

/* A deadline at a business day's opening is shown at the closing of the
   business day before; every other deadline as it is. */
static const struct {
	enum cal_setup cal;
	const char *deadline, *shown;
} shown[] = {
	/* P10D from a Saturday: the Monday 08:00, by the Friday */
	{ SWEDEN, "2026-12-14 08:00", "2026-12-11 16:30:00 CET" },
	{ SHORT_FRIDAY, "2026-12-14 08:00", "2026-12-11 15:00:00 CET" },
	/* Tuesday after Easter: by the Thursday before långfredagen */
	{ SWEDEN, "2026-04-07 08:00", "2026-04-02 16:30:00 CEST" },
	/* after a klämdag and the weekend: by the Wednesday */
	{ KLAMDAG, "2026-05-18 08:00", "2026-05-13 16:30:00 CEST" },
	/* the last Sunday of March: a day of 23 hours */
	{ SWEDEN, "2026-03-30 08:00", "2026-03-27 16:30:00 CET" },
	{ EVERY_DAY, "2026-12-14 08:00", "2026-12-13 16:30:00 CET" },
	/* not an opening: as it is */
	{ SWEDEN, "2026-12-14 08:01", "2026-12-14 08:01:00 CET" },
	{ SWEDEN, "2026-12-14 16:00", "2026-12-14 16:00:00 CET" },
	{ SWEDEN, "2026-12-12 08:00", "2026-12-12 08:00:00 CET" },
	{ SWEDEN, "2026-12-25 08:00", "2026-12-25 08:00:00 CET" },
	{ NONE, "2026-12-14 08:00", "2026-12-14 08:00:00 CET" },
};

START_TEST(test_deadline_shown)
{
	struct calendar *cal = make_calendar(shown[_i].cal);
	int64_t got = calendar_deadline_shown(cal, local(shown[_i].deadline));

	ck_assert_msg(strcmp(show(got), shown[_i].shown) == 0,
		      "%s: got %s, want %s", shown[_i].deadline, show(got),
		      shown[_i].shown);
	calendar_free(&cal);
}
END_TEST

/* The hour a local time shows for 2026-12-03 09:00 UTC. */
static int
hour_of_winter_morning(void)
{
	time_t t = 1796288400;
	struct tm tm;

	ck_assert_ptr_nonnull(localtime_r(&t, &tm));
	return tm.tm_hour;
}

/* A host left on UTC (TZ unset, /etc/localtime UTC, as here in many
   containers) counted opening hours and showed dates an hour or two
   off: cirm's processes take Swedish time unless TZ names a zone. */
START_TEST(test_zone)
{
	unsetenv("TZ");
	unsetenv("TZDIR");
	ck_assert_int_eq(calendar_zone_init(), 1);
	ck_assert_str_eq(getenv("TZ"), CALENDAR_ZONE);
	ck_assert_int_eq(hour_of_winter_morning(), 10);
	/* an empty TZ is no choice of zone either */
	setenv("TZ", "", 1);
	ck_assert_int_eq(calendar_zone_init(), 1);
	ck_assert_int_eq(hour_of_winter_morning(), 10);
	/* a zone TZ names is kept */
	setenv("TZ", "UTC", 1);
	tzset();
	ck_assert_int_eq(calendar_zone_init(), 0);
	ck_assert_str_eq(getenv("TZ"), "UTC");
	ck_assert_int_eq(hour_of_winter_morning(), 9);
	/* without the time zone database: Swedish rules all the same */
	unsetenv("TZ");
	setenv("TZDIR", "/nonexistent", 1);
	ck_assert_int_eq(calendar_zone_init(), 2);
	ck_assert_int_eq(hour_of_winter_morning(), 10);
	unsetenv("TZDIR");
	setenv("TZ", CALENDAR_ZONE, 1);
	tzset();
}
END_TEST

static Suite *
calendar_suite(void)
{
	Suite *s = suite_create("calendar");
	TCase *tc = tcase_create("calendar");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_holiday, 0, N_ELEMENTS(holidays));
	tcase_add_loop_test(tc, test_not_holiday, 0,
			    N_ELEMENTS(not_holidays));
	tcase_add_test(tc, test_holiday_range);
	tcase_add_loop_test(tc, test_easter, 0, N_ELEMENTS(easters));
	tcase_add_test(tc, test_holiday_every_year);
	tcase_add_loop_test(tc, test_duration_good, 0,
			    N_ELEMENTS(good_durations));
	tcase_add_loop_test(tc, test_duration_bad, 0,
			    N_ELEMENTS(bad_durations));
	tcase_add_test(tc, test_duration_null);
	tcase_add_loop_test(tc, test_add, 0, N_ELEMENTS(adds));
	tcase_add_test(tc, test_add_dst_elapsed);
	tcase_add_test(tc, test_add_days_as_mktime);
	tcase_add_test(tc, test_add_errors);
	tcase_add_test(tc, test_setup_errors);
	tcase_add_test(tc, test_business_day);
	tcase_add_loop_test(tc, test_deadline_shown, 0, N_ELEMENTS(shown));
	tcase_add_test(tc, test_zone);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(calendar_suite());
}
