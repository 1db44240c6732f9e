/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-noop: does nothing, linked as cirm-mailgate is (statically
   unless configure --disable-static-mailgate). bench/run.sh starts it
   once per mail as the mailgate's floor: no mailgate can be started
   faster than a program that does nothing, linked the same way. */
int main(void);

int
main(void)
{
	return 0;
}
