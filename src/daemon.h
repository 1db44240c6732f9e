/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_DAEMON_H
#define CIRM_DAEMON_H

/* The body of cirmd, in the library so that tests can reach it. */

struct daemon_options {
	const char *config; /* NULL: daemon_default_config() */
	int once;	    /* drain what is due, then return */
	int no_gateways;    /* the engine only: gateways run elsewhere */
	int send;	    /* with ONCE: then run the sending gateways once */
};

/* $CIRM_CONF when set, else SYSCONFDIR/cirm/cirm.conf. */
const char *daemon_default_config(void);

/* Runs the service until SIGTERM or SIGINT (or, with ONCE, until the
   inbox holds nothing due). Returns an exit status: 0, EX_CONFIG for a
   bad configuration or secret file, EX_TEMPFAIL when another cirmd runs
   on the same database, 1 for other failures. */
int daemon_run(const struct daemon_options *o);

#endif
