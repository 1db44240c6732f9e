/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_UIDSET_H
#define CIRM_UIDSET_H

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

#endif
