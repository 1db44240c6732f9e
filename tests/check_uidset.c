/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "testutil.h"
#include "uidset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SET as it goes on the command line ("1:3,5"), written as libetpan's
   mailimap_set_send does (not in its public headers): an item of one
   number as the number, a range as FIRST:LAST, 0 as *. */
static char *
wire(const struct mailimap_set *set)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	for (clistiter *c = clist_begin(set->set_list); c != NULL;
	     c = clist_next(c)) {
		const struct mailimap_set_item *it = clist_content(c);

		fputs(c == clist_begin(set->set_list) ? "" : ",", f);
		if (it->set_first == it->set_last)
			fprintf(f, "%u", (unsigned)it->set_first);
		else if (it->set_last == 0)
			fprintf(f, "%u:*", (unsigned)it->set_first);
		else
			fprintf(f, "%u:%u", (unsigned)it->set_first,
				(unsigned)it->set_last);
	}
	fclose(f);
	return out;
}

static const struct {
	const char *name;
	uint32_t uids[12];
	size_t n;
	const char *want;
} cases[] = {
	{ "one", { 7 }, 1, "7" },
	{ "run", { 1, 2, 3 }, 3, "1:3" },
	{ "runs and gaps", { 1, 2, 3, 5, 7, 8, 9, 10, 20 }, 9,
	  "1:3,5,7:10,20" },
	{ "to the last UID", { 4294967294u, 4294967295u }, 2,
	  "4294967294:4294967295" },
	/* the order a server gives is kept: still every UID, once */
	{ "unsorted", { 5, 6, 2, 3, 9 }, 5, "5:6,2:3,9" },
	{ "twice", { 4, 4, 5 }, 3, "4,4:5" },
};

START_TEST(test_uidset_table)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	char *got;

	for (size_t i = 0; i < cases[_i].n; i++)
		uidset_add(set, cases[_i].uids[i]);
	got = wire(set);
	ck_assert_msg(strcmp(got, cases[_i].want) == 0, "%s: %s, not %s",
		      cases[_i].name, got, cases[_i].want);
	free(got);
	mailimap_set_free(set);
}
END_TEST

/* The mailbox of the delete mode, 10,000 messages unmarked up to the
   position with two given up taken out: three ranges on the line of
   the UID SEARCH LARGER, not 9,998 numbers. */
START_TEST(test_uidset_mailbox)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	char *got;

	for (uint32_t uid = 1; uid <= 10000; uid++)
		if (uid != 4000 && uid != 4001 && uid != 9000)
			uidset_add(set, uid);
	got = wire(set);
	ck_assert_str_eq(got, "1:3999,4002:8999,9001:10000");
	ck_assert_int_eq(clist_count(set->set_list), 3);
	free(got);
	mailimap_set_free(set);
}
END_TEST

/* A set that ends with "*" is not grown past it. */
START_TEST(test_uidset_star)
{
	struct mailimap_set *set = mailimap_set_new_interval(5, 0);
	char *got;

	uidset_add(set, 6);
	got = wire(set);
	ck_assert_str_eq(got, "5:*,6");
	free(got);
	mailimap_set_free(set);
}
END_TEST

/* A search result of UIDS (N of them) as libetpan
   gives it: a list of allocated numbers. */
static clist *
result(const uint32_t *uids, size_t n)
{
	clist *l = clist_new();

	for (size_t i = 0; i < n; i++) {
		uint32_t *u = malloc(sizeof(*u));

		*u = uids[i];
		ck_assert_int_eq(clist_append(l, u), 0);
	}
	return l;
}

static char *
joined(clist *l)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	for (clistiter *c = clist_begin(l); c != NULL; c = clist_next(c))
		fprintf(f, "%s%u", c == clist_begin(l) ? "" : ",",
			(unsigned)*(uint32_t *)clist_content(c));
	fclose(f);
	return out;
}

/* The UIDs of one list taken off another: each of them, wherever it
   stands and however often, the rest in their order. */
START_TEST(test_uidlook_remove)
{
	static const uint32_t from[] = { 9, 3, 7, 3, 1, 12, 4294967295u, 5 };
	static const uint32_t off[] = { 3, 4294967295u, 12, 100, 9 };
	clist *l = result(from, sizeof(from) / sizeof(from[0]));
	clist *o = result(off, sizeof(off) / sizeof(off[0]));
	struct uidlook look = { 0 };
	char *got;

	ck_assert(!uidlook_has(&look, 3));
	uidlook_add_list(&look, o);
	uidlook_remove_from(&look, l);
	got = joined(l);
	ck_assert_str_eq(got, "7,1,5");
	free(got);
	ck_assert(uidlook_has(&look, 100));
	ck_assert(!uidlook_has(&look, 7));
	/* added after a look: sorted again before the next */
	uidlook_add(&look, 7);
	ck_assert(uidlook_has(&look, 7));
	ck_assert(uidlook_has(&look, 4294967295u));
	uidlook_free(&look);
	ck_assert(!uidlook_has(&look, 7));
	mailimap_search_result_free(l);
	mailimap_search_result_free(o);
}
END_TEST

/* 20,000 UIDs off a list of 50,000: every second one of the first
   40,000 goes. */
START_TEST(test_uidlook_many)
{
	clist *l = clist_new();
	struct uidlook look = { 0 };
	size_t left = 0;

	for (uint32_t uid = 50000; uid >= 1; uid--) {
		uint32_t *u = malloc(sizeof(*u));

		*u = uid;
		ck_assert_int_eq(clist_append(l, u), 0);
		if (uid <= 40000 && uid % 2 == 0)
			uidlook_add(&look, uid);
	}
	uidlook_remove_from(&look, l);
	for (clistiter *c = clist_begin(l); c != NULL; c = clist_next(c)) {
		uint32_t uid = *(uint32_t *)clist_content(c);

		ck_assert(uid > 40000 || uid % 2 == 1);
		left++;
	}
	ck_assert_uint_eq(left, 30000);
	uidlook_free(&look);
	mailimap_search_result_free(l);
}
END_TEST

static Suite *
uidset_suite(void)
{
	Suite *s = suite_create("uidset");
	TCase *tc = tcase_create("uidset");

	tcase_add_loop_test(tc, test_uidset_table, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_uidset_mailbox);
	tcase_add_test(tc, test_uidset_star);
	tcase_add_test(tc, test_uidlook_remove);
	tcase_add_test(tc, test_uidlook_many);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(uidset_suite());
}
