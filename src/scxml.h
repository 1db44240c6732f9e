/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_SCXML_H
#define CIRM_SCXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

/* A statechart interpreter following SCXML (W3C Recommendation,
   Appendix D) with the null datamodel: <state>, <parallel>, <final>,
   <transition> (event, cond, target, type), <onentry>/<onexit>, and the
   executable content <raise>, <send> (internal, optionally delayed on a
   virtual clock), <cancel>, <log>, <if>/<elseif>/<else>. Conditions are
   In('id'), true, false, combined with !/not, &&/and, ||/or and
   parentheses. History, <initial> elements, <invoke>, <datamodel>,
   <script> and <donedata> are refused at load time. Elements in other
   namespaces are ignored, except in executable content where they go to
   the host's action callback. It knows nothing of cirm's workflows. */

#define SCXML_NAMESPACE "http://www.w3.org/2005/07/scxml"
/* Documents larger than this are refused before parsing. */
#define SCXML_MAX_SIZE (1024 * 1024)
/* Microsteps in one macrostep before the session fails with
   "eventless transitions loop in state X"; also the most external
   events (<send> without delay) one event or step may bring. */
#define SCXML_MAX_MICROSTEPS 1000
/* Pending delayed <send>s in one session. */
#define SCXML_MAX_DELAYED 10000
/* States one target or initial attribute may name: they are checked
   pair by pair, and a list as long as the file allows took hours. */
#define SCXML_MAX_IDS 256

struct scxml;
struct scxml_session;
/* An element of executable content in a foreign namespace, handed to the
   host (valid only during the callback). */
struct scxml_element;

/* Parses and validates the LEN bytes at DATA; NAME (a file name) is used
   in messages. No network, no DTD: a document with a DOCTYPE is refused,
   so entities (billion laughs, XXE) never expand. Returns 0 with *DOC_R
   set, or -1 with *ERROR_R set to all problems found, one
   "NAME:LINE: message" per line (caller frees). */
int scxml_load(const char *name, const char *data, size_t len,
	       struct scxml **doc_r, char **error_r);
/* What a host adds to the language of conditions. */
struct scxml_options {
	/* Names callable in conditions besides In(), NULL-terminated
	   (may be NULL): NAME() or NAME('argument'). */
	const char *const *predicates;
	/* At load time, checks one call; sets *ERROR_R (caller frees) to
	   refuse it (e.g. an unknown channel). May be NULL. */
	void (*check_pred)(void *ctx, const char *name, const char *arg,
			   char **error_r);
	void *ctx;
};

struct _xmlDoc;
/* Parses LEN bytes at DATA as XML, hardened as scxml_load() does (size
   limit MAX, no DOCTYPE, no network). Returns the document, or NULL
   with every problem appended to *ERROR_R as "NAME:LINE: message" lines
   (caller frees). */
struct _xmlDoc *scxml_parse_xml(const char *name, const char *data,
				size_t len, size_t max, char **error_r);
/* Like scxml_load() on the already parsed XML, which it takes over
   (freed with the document, or at once on failure). OPTS (copied; may
   be NULL) extends the conditions. */
int scxml_load_xml(const char *name, struct _xmlDoc *xml,
		   const struct scxml_options *opts, struct scxml **doc_r,
		   char **error_r);
/* For a check that reports every problem at once: like scxml_load_xml(),
   every problem appended to ERRORS, and 0 with *DOC_R also when the
   only problems are in references (a target or initial to nowhere, a
   bad condition or action), which leave a chart whose structure holds
   (such a chart is for checking, never for running); -1 when its
   structure does not (elements, ids). */
int scxml_load_xml_checking(const char *name, struct _xmlDoc *xml,
			    const struct scxml_options *opts,
			    struct scxml **doc_r, struct strlist *errors);

/* Joins ERRORS, each "NAME:LINE: message", one per line in line order
   (stable; no final newline) and clears them. Caller frees. */
char *scxml_join_errors(struct strlist *errors, const char *name);

/* Frees *DOC (may be NULL; sessions must be freed first), sets NULL. */
void scxml_free(struct scxml **doc);

/* Called for <log label expr>; either may be NULL. */
typedef void scxml_log_fn(void *ctx, const char *label, const char *expr);
/* Called for a foreign-namespace element in executable content. Returns
   0, or -1 with *ERROR_R set (caller frees): the rest of the block is
   skipped and the internal event error.execution is raised. */
typedef int scxml_action_fn(void *ctx, const struct scxml_element *elem,
			    char **error_r);

const char *scxml_element_name(const struct scxml_element *elem);
/* The namespace URI of ELEM, or NULL. */
const char *scxml_element_ns(const struct scxml_element *elem);
/* The value of the unqualified attribute NAME (caller frees), or NULL. */
char *scxml_element_attr(const struct scxml_element *elem, const char *name);
int scxml_element_line(const struct scxml_element *elem);

/* Answers a host predicate NAME('ARG') (ARG NULL for NAME()). Sets
   *VALUE_R, or *ERROR_R (caller frees): the condition then counts as
   false and error.execution is raised. */
typedef void scxml_pred_fn(void *ctx, const char *name, const char *arg,
			   bool *value_r, char **error_r);
/* Called as each state is entered (before its onentry) and exited
   (after its onexit), also when a top-level final state ends the
   session (the configuration is kept, but every state is left). */
typedef void scxml_observe_fn(void *ctx, const char *id, bool entered);

/* A new session on DOC (which must outlive it), not yet started, with
   the virtual clock at 0. */
struct scxml_session *scxml_session_new(const struct scxml *doc);
void scxml_session_free(struct scxml_session **session);
void scxml_session_set_log(struct scxml_session *session, scxml_log_fn *fn,
			   void *ctx);
void scxml_session_set_action(struct scxml_session *session,
			      scxml_action_fn *fn, void *ctx);
void scxml_session_set_predicate(struct scxml_session *session,
				 scxml_pred_fn *fn, void *ctx);
void scxml_session_set_observer(struct scxml_session *session,
				scxml_observe_fn *fn, void *ctx);
/* Puts a new session, instead of starting it, into the stable
   configuration whose atomic states are IDS (their ancestors are
   added), as saved from an earlier session: no actions run. Returns 0,
   or -1 with *ERROR_R when an id is unknown or not atomic, or the set
   is not a legal configuration (the message says which states, and
   why). */
int scxml_restore(struct scxml_session *session, const char *const *ids,
		  size_t nids, char **error_r);

/* Enters the initial configuration and runs to a stable configuration.
   The functions below return 0, or -1 with *ERROR_R set (caller frees)
   when the session fails (e.g. an eventless loop); a failed session
   stays failed and keeps its last configuration. */
int scxml_start(struct scxml_session *session, char **error_r);
/* Processes the external event NAME (and whatever it causes) to a
   stable configuration. Ignored once the session is in a final state. */
int scxml_send(struct scxml_session *session, const char *name,
	       char **error_r);
/* Moves the virtual clock MS milliseconds forward, delivering each
   delayed <send> whose time has come, in time order (ties in the order
   they were sent), each processed to a stable configuration. */
int scxml_advance(struct scxml_session *session, uint64_t ms,
		  char **error_r);
/* The virtual clock in milliseconds. */
uint64_t scxml_now(const struct scxml_session *session);

typedef void scxml_state_fn(void *ctx, const char *id);
/* Calls FN for each active state in document order. After the session
   reached a top-level final state, these are the states it stopped in. */
void scxml_configuration(const struct scxml_session *session,
			 scxml_state_fn *fn, void *ctx);
/* Calls FN for each active atomic state in document order: what to save
   for scxml_restore(). */
void scxml_atomic_configuration(const struct scxml_session *session,
				scxml_state_fn *fn, void *ctx);
/* Whether some transition of an active state matches the event NAME,
   its condition not considered: whether NAME can do anything now. */
bool scxml_handles(const struct scxml_session *session, const char *name);
/* True once a top-level <final> has been entered (the session is done). */
bool scxml_in_final(const struct scxml_session *session);
/* An active state of SESSION that a transition without event or
   condition leaves at once, so that a session restored there (a case
   moved there) only waits for an event it may never get; with the
   transition's line in *LINE_R. NULL when there is none. */
const char *scxml_passed_through(const struct scxml_session *session,
				 long *line_r);

/* An active <final> of SESSION inside a state (not a top-level one):
   entering it raises done.state.PARENT, so a session restored there
   (a case moved there) never gets that event; with PARENT's id in
   *PARENT_R. NULL when there is none. */
const char *scxml_nested_final(const struct scxml_session *session,
			       const char **parent_r);

/* Parses a delay "500ms", "5s", "2m", "1h" (a whole number and a unit)
   into milliseconds. 0, or -1 when malformed or too large. */
int scxml_parse_delay(const char *text, uint64_t *ms_r);
/* True when the event NAME matches the space-separated DESCRIPTORS by
   token prefix: "mail" and "mail.*" match "mail" and "mail.citizen" but
   not "mailbox"; "*" matches everything. */
bool scxml_event_match(const char *descriptors, const char *name);

/* Runs DOC from the start through EVENTS, comma-separated: a name is an
   external event, "+DELAY" advances the virtual clock (e.g.
   "a, b, +5s, c"). Prints the final configuration to OUT as
   space-separated ids in document order and a newline. 0, or -1 with
   *ERROR_R set (caller frees). */
int scxml_run_script(const struct scxml *doc, const char *events, FILE *out,
		     char **error_r);

#endif
