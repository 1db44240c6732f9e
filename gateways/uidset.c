/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sets of UIDs for the IMAP gateway: see uidset.h. */
#include "config.h"

#include "uidset.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>

void
uidset_add(struct mailimap_set *set, uint32_t uid)
{
	clistiter *c = clist_end(set->set_list);
	struct mailimap_set_item *last = c != NULL ? clist_content(c) : NULL;

	/* set_last 0 is "*", the end of the mailbox: nothing follows it */
	if (last != NULL && last->set_last != 0 && last->set_last != UINT32_MAX &&
	    last->set_last + 1 == uid && last->set_first <= last->set_last) {
		last->set_last = uid;
		return;
	}
	if (mailimap_set_add_single(set, uid) != MAILIMAP_NO_ERROR)
		fatalx("out of memory");
}

void
uidlook_add(struct uidlook *l, uint32_t uid)
{
	if (l->n == l->size) {
		l->size = l->size == 0 ? 64 : l->size * 2;
		l->v = xrealloc(l->v, l->size * sizeof(*l->v));
	}
	/* still sorted when it comes after the last, as a search's do */
	l->sorted = l->sorted && (l->n == 0 || l->v[l->n - 1] <= uid);
	l->v[l->n++] = uid;
}

void
uidlook_add_list(struct uidlook *l, clist *list)
{
	for (clistiter *c = clist_begin(list); c != NULL; c = clist_next(c))
		uidlook_add(l, *(uint32_t *)clist_content(c));
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

bool
uidlook_has(struct uidlook *l, uint32_t uid)
{
	if (!l->sorted) {
		if (l->n > 1)
			qsort(l->v, l->n, sizeof(*l->v), uid_cmp);
		l->sorted = true;
	}
	return l->n > 0 &&
	       bsearch(&uid, l->v, l->n, sizeof(*l->v), uid_cmp) != NULL;
}

void
uidlook_remove_from(struct uidlook *l, clist *list)
{
	for (clistiter *c = clist_begin(list); c != NULL;) {
		if (uidlook_has(l, *(uint32_t *)clist_content(c))) {
			free(clist_content(c));
			c = clist_delete(list, c);
		} else {
			c = clist_next(c);
		}
	}
}

void
uidlook_free(struct uidlook *l)
{
	free(l->v);
	*l = (struct uidlook){ 0 };
}
