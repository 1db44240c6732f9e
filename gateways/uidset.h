/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_UIDSET_H
#define CIRM_UIDSET_H

#include <stdbool.h>
#include <stdint.h>

#include <libetpan/libetpan.h>

/* IMAP sets of UIDs as the IMAP gateway sends them. A set built one UID
   at a time with mailimap_set_add_single goes out as one number for
   each, "1,2,3,...": the whole mailbox, in delete mode, on one line of
   a UID SEARCH, which a server refuses past a length (Dovecot's
   imap_max_line_length, 64 kB unless set: some 10,000 UIDs of five
   digits). Consecutive UIDs make one range, "1:3". */

/* Adds UID (not 0) to SET: onto its last range or number when UID
   follows it, else as a number of its own. UIDs added in ascending
   order give the fewest items; any order gives the same set. Aborts
   when out of memory. */
void uidset_add(struct mailimap_set *set, uint32_t uid);

/* UIDs to look up, as the gateway takes the UIDs of one list off
   another (the big messages off those to fetch, the given-up off a
   search): sorted once, each looked up by halves, not a list walked
   for every UID of the other. */
struct uidlook {
	uint32_t *v;
	size_t n, size;
	bool sorted;
};

/* Adds UID to L. Aborts when out of memory. */
void uidlook_add(struct uidlook *l, uint32_t uid);
/* Adds the UIDs of LIST (uint32_t contents, as a UID SEARCH gives). */
void uidlook_add_list(struct uidlook *l, clist *list);
/* Whether UID is in L. Sorts L first when UIDs were added since. */
bool uidlook_has(struct uidlook *l, uint32_t uid);
/* Deletes every UID of L from LIST (a search result: its contents are
   freed); the others keep their order. */
void uidlook_remove_from(struct uidlook *l, clist *list);
void uidlook_free(struct uidlook *l);

#endif
