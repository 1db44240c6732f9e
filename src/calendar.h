/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_CALENDAR_H
#define CIRM_CALENDAR_H

#include <stdint.h>

/* Workflow timers: ISO 8601 durations counted either in business days and
   opening hours of a Swedish calendar, or in wall-clock time
   (calendar="none").

   All local-time arithmetic uses the process's local time zone (TZ); the
   calendar's time zone is that of the process, which for cirm is
   Europe/Stockholm. Dates are proleptic Gregorian. */

/* The time zone of Swedish opening hours and holidays, and the rules of
   Swedish time since 1996 for a system without the time zone database. */
#define CALENDAR_ZONE "Europe/Stockholm"
#define CALENDAR_ZONE_RULE "CET-1CEST,M3.5.0,M10.5.0/3"

/* Makes the process's local time Swedish time unless TZ names another
   zone: a server or container left on UTC (the default of many) would
   otherwise count opening hours, holidays and every date it shows one
   or two hours off. Call once at start, before any local time is used
   and before other processes are started. Returns 0 when TZ was set
   and is kept, 1 when CALENDAR_ZONE is now used, 2 when the time zone
   database lacks it and CALENDAR_ZONE_RULE is used. */
int calendar_zone_init(void);

/* Years for which holidays are known, hence business arithmetic works. */
#define CALENDAR_YEAR_MIN 1900
#define CALENDAR_YEAR_MAX 2199
/* Largest number accepted in one component of a duration. */
#define CALENDAR_DURATION_FIELD_MAX 99999
/* Most extra closed days one calendar may have. */
#define CALENDAR_CLOSED_DAYS_MAX 4096

/* PnYnMnWnDTnHnMnS, each component a whole number (no fractions, no
   sign). */
struct calendar_duration {
	uint32_t years, months, weeks, days;
	uint32_t hours, minutes, seconds;
};

enum calendar_kind {
	/* Wall clock: Y/M/W/D are calendar units keeping the local clock
	   time (W = 7 days), H/M/S are elapsed seconds. */
	CALENDAR_NONE,
	/* Swedish public holidays and opening hours, see calendar_add(). */
	CALENDAR_SWEDEN
};

/* The longest duration, in days (a year taken as 366, a month as 31):
   ten years, P10Y. Longer is a slip, and its deadline could fall outside
   the years the holiday calendar knows. */
#define CALENDAR_DURATION_MAX_DAYS 3660

/* Parses an ISO 8601 duration such as P2D, PT4H, P1W, P1DT2H, PT30M, P0D.
   Designators are upper case and in order (Y M W D, then T and H M S);
   at least one component, and one after a T. Returns 0, or -1 with
   *error_r (caller frees); -2, also with *error_r, for a well-formed
   duration longer than CALENDAR_DURATION_MAX_DAYS. */
int calendar_duration_parse(const char *text, struct calendar_duration *d_r,
			    char **error_r);

/* Easter Sunday of YEAR (anonymous Gregorian algorithm). Returns 0, or -1
   when YEAR is outside CALENDAR_YEAR_MIN..CALENDAR_YEAR_MAX. */
int calendar_easter(int year, int *month_r, int *day_r);

/* Whether YEAR-MONTH-DAY is a Swedish holiday. Returns 1 with its Swedish
   name (UTF-8, static) in *name_r (NAME_R may be NULL), 0 if not, -1 if
   the date is invalid or its year out of range.
   Holidays by law (lag 1989:253): nyårsdagen, trettondedag jul,
   långfredagen, påskdagen, annandag påsk, första maj, Kristi himmelsfärds
   dag, pingstdagen, nationaldagen, midsommardagen, alla helgons dag,
   juldagen, annandag jul. Also the de facto non-working midsommarafton,
   julafton and nyårsafton. Plain Sundays are not reported (opening hours
   close them). When two coincide (Kristi himmelsfärds dag on 1 May,
   pingstdagen on 6 June) the fixed-date name is given. Today's rules
   are applied to every year; earlier changes (annandag pingst until
   2004, fixed midsummer before 1953) are not modelled. */
int calendar_is_holiday(int year, int month, int day, const char **name_r);

/* A new calendar of KIND. A Swedish one is open Monday to Friday
   08:00-16:30 until changed. */
struct calendar *calendar_new(enum calendar_kind kind);
void calendar_free(struct calendar **cal);

/* Opening hours on WDAY (0 = Sunday .. 6 = Saturday, as tm_wday) from
   OPEN_MIN to CLOSE_MIN minutes after local midnight; OPEN_MIN ==
   CLOSE_MIN closes the weekday. Returns 0, or -1 with *error_r. */
int calendar_set_hours(struct calendar *cal, int wday, int open_min,
		       int close_min, char **error_r);

/* Parses a time of day "HH:MM" (00:00 to 24:00) into minutes after
   midnight. 0, or -1. */
int calendar_clock_parse(const char *text, int *minute_r);
/* Closes YEAR-MONTH-DAY besides the holidays (e.g. a klämdag). Returns 0,
   or -1 with *error_r for an invalid date or too many closed days. */
int calendar_add_closed_day(struct calendar *cal, int year, int month,
			    int day, char **error_r);

/* Whether YEAR-MONTH-DAY is a business day: its weekday has opening
   hours and it is neither a holiday nor an extra closed day. Returns
   1/0, or -1 for an invalid date or a year out of range. A calendar of
   kind NONE has every day as business day. */
int calendar_is_business_day(const struct calendar *cal, int year,
			     int month, int day);

/* The deadline D after START (seconds since the epoch) in *deadline_r.
   Returns 0, or -1 with *error_r (year out of range, no opening hours,
   time not representable).

   For a Swedish calendar, in this order:
   - A start outside opening hours moves to the next opening; so does
     every intermediate result below. Opening hours are [open, close).
   - Y and M add calendar months to the local date (the day clamped to
     the month's end), keeping the local clock time.
   - W and D count business days (W = as many as the weekdays with
     opening hours: 5 for Monday to Friday, 7 for every day): the same
     local clock time that many business days later; if that day is
     closed at that time, the next opening.
   - H, M and S count open time: PT4H from Monday 14:00 with closing at
     16:30 is Tuesday 09:30. The deadline may be a closing time exactly.
   P0D thus gives the next opening, or START itself when open.
   Across DST changes local clock times stay; a time that does not exist
   locally is normalised by mktime() (glibc: an hour forward). */
int calendar_add(const struct calendar *cal, int64_t start,
		 const struct calendar_duration *d, int64_t *deadline_r,
		 char **error_r);

/* DEADLINE as people are shown it. calendar_add() counts P10D from a
   Monday 08:00 to the Monday 08:00 two weeks on, which is the same
   business moment as that Friday's closing; a deadline at the opening
   of a business day is shown as the closing of the business day before
   it ("by Friday", not "by Monday 08:00"). Any other deadline, and any
   of a calendar of kind NONE, is returned as it is. Timers still fire
   at DEADLINE itself, at the opening. */
int64_t calendar_deadline_shown(const struct calendar *cal, int64_t deadline);

#endif
