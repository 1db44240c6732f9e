/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sets of UIDs for the IMAP gateway: see uidset.h. */
#include "config.h"

#include "uidset.h"
#include "log.h"

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
