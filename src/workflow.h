/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CIRM_WORKFLOW_H
#define CIRM_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "scxml.h"
#include "util.h"

/* cirm workflows: XML files in namespace WORKFLOW_NAMESPACE, described
   in cirm-workflow(5) and by the RelaxNG schema cirm-workflow.rng. The
   loader validates a file against the schema, reads the parts that are
   cirm's own (calendars, roles, commands, templates, timers, state
   categories) and hands the state machine to the SCXML core, whose
   semantics the workflows follow. Actions (reply, notify, assign, set)
   reach the host through the SCXML action callback. */

#define WORKFLOW_NAMESPACE "urn:x-cirm:workflow:1"
#define WORKFLOW_MAX_SIZE (1024 * 1024)

enum workflow_category {
	WORKFLOW_INITIAL,
	WORKFLOW_ACTIVE,
	WORKFLOW_WAITING,
	WORKFLOW_INACTIVE,
};

enum workflow_text { WORKFLOW_TEXT_NONE, WORKFLOW_TEXT_OPTIONAL,
		     WORKFLOW_TEXT_REQUIRED };
/* HANDLER: a case officer's login; WORD: one word; CASE: the number of
   another case of the same citizen, which this one is merged into (the
   command's transitions must lead to a final state). */
enum workflow_argument { WORKFLOW_ARG_NONE, WORKFLOW_ARG_HANDLER,
			 WORKFLOW_ARG_WORD, WORKFLOW_ARG_CASE };

struct workflow_role {
	char *id, *group;
	int line;
};

/* A command for handlers who read another language than the
   workflow's: its word there (also among the command's aliases) and its
   help, either NULL for the command's own. */
struct workflow_translation {
	char *lang, *word, *help;
	int line;
};

struct workflow_command {
	char *word;		/* as written */
	struct strlist aliases;	/* with the translations' words */
	char *event;
	struct strlist roles;	/* empty: any handler */
	enum workflow_text text;
	enum workflow_argument argument;
	char *help;		/* one line, or NULL */
	/* The template the reply's text goes to the citizen in, or NULL:
	   cirm's own "answer". */
	char *template;
	int line;
	struct workflow_translation *tr;
	size_t ntr;
};

struct workflow_timer {
	char *id, *state, *event;
	char *after_text;
	struct calendar_duration after;
	const struct calendar *calendar;
	bool wall_clock;
	int line;
};

struct workflow_state {
	char *id;
	char *label;	/* what handlers are shown (label=), or NULL: the id */
	enum workflow_category category;
	bool final;
	int line;
};

/* A template named by an action, or declared in <templates>. */
struct workflow_template {
	char *id;
	int line;
	bool to_citizen;	/* named by a <reply> */
};

struct workflow {
	char *name;		/* the file, for messages */
	char *id;
	int version;
	int line;		/* of <workflow>, where id and version are */
	char *title;		/* <title> on one line, or NULL */
	char *lang;
	char sha256[65];	/* of the file's bytes */
	char *calendar_id;
	const struct calendar *calendar;
	/* SMS: how long after a case's last activity a citizen's SMS
	   without a case number still joins it (seconds, wall clock), and
	   the most segments a handler's answer may cost. */
	int64_t sms_window;
	int sms_segments;
	bool sms_links;		/* SMS templates may hold links */
	struct calendar **calendars;	/* owned; [0] Swedish, [1] none */
	char **calendar_ids;
	size_t ncalendars;
	struct workflow_role *roles;
	size_t nroles;
	/* Every handler group it names: its roles' and those of the
	   group:NAME its actions notify or assign to, each time it is
	   named, with the line of the element naming it. */
	struct strlist groups;
	int *group_lines;
	struct workflow_command *commands;
	size_t ncommands;
	struct workflow_template *templates, *used_templates;
	size_t ntemplates, nused_templates;
	struct workflow_timer *timers;
	size_t ntimers;
	struct workflow_state *states;	/* document order */
	size_t nstates;
	struct scxml *chart;
	/* loaded for a check with references that did not resolve (a
	   target to nowhere): never run, and not walked as a graph */
	bool unresolved;
};

#define WORKFLOW_SMS_WINDOW_DEFAULT (7 * 86400)
#define WORKFLOW_SMS_SEGMENTS_DEFAULT 3
#define WORKFLOW_SMS_SEGMENTS_MAX 10

/* Names the conditions of workflows may call besides In(). */
extern const char *const workflow_predicates[];

/* The condition pattern(REGEX): whether TEXT matches REGEX, a POSIX
   extended regular expression, regardless of case. Both are read as
   UTF-8 whatever the process's locale: in "C", where cirmd often runs,
   "[aä]" and "." would see bytes and "Å" would not fold to "å". TEXT
   NULL checks REGEX alone (no match). 1 or 0, or -1 with *ERROR_R
   (caller frees) for a bad REGEX. */
int workflow_pattern(const char *regex, const char *text, char **error_r);

/* Loads the workflow in the LEN bytes at DATA, NAME being the file for
   messages: hardened parse, schema, the cirm parts and the statechart.
   Returns 0 with *WF_R, or -1 with *ERROR_R holding every problem found
   as "NAME:LINE: message" lines (caller frees). */
int workflow_load(const char *name, const char *data, size_t len,
		  struct workflow **wf_r, char **error_r);
/* Opens PATH for reading, when it is a regular file: a named pipe
   must not block the reader (cirmd at a reload) in open(2). NULL with
   *ERROR_R set to "PATH: reason" (caller frees). */
FILE *workflow_open_file(const char *path, char **error_r);
/* Reads and loads the file PATH (same results). */
int workflow_load_file(const char *path, struct workflow **wf_r,
		       char **error_r);
/* For workflow check, which reports every problem at once: like
   workflow_load() and workflow_load_file(), each problem appended to ERRORS, and 0 with
   *WF_R also when the only problems are in the chart's references (a
   target or initial to nowhere, a bad condition or action): then
   wf->unresolved is set, and workflow_check() adds the rest. Such a
   workflow is for the check alone, never for cases. -1 when there is
   no workflow to check. */
int workflow_load_checking(const char *name, const char *data, size_t len,
			   struct workflow **wf_r, struct strlist *errors);
int workflow_load_file_checking(const char *path, struct workflow **wf_r,
				struct strlist *errors);
void workflow_free(struct workflow **wf);

/* One file holds one version of one workflow: when WF and OTHER, loaded
   from two files, have the same id and version, "NAME:LINE: message"
   saying so for WF's file and naming OTHER's (caller frees); else NULL.
   Which of the two was meant cannot be told: both are refused. */
char *workflow_same_version(const struct workflow *wf,
			    const struct workflow *other);

/* The semantic checks of cirm-workflow(5) on a loaded workflow:
   reachability, dead ends, events nothing raises, timers nobody
   handles, unknown roles, duplicate command words, and templates
   missing in any language directory of TEMPLATE_DIR (skipped when
   NULL). Appends "NAME:LINE: message" to ERRORS; returns how many. */
size_t workflow_check(const struct workflow *wf, const char *template_dir,
		      struct strlist *errors);

/* The templates WF sends the citizen (<reply>, a command's template)
   that have a mail template but no SMS variant in a language directory
   of TEMPLATE_DIR, nor an sv one to fall back on (none when NULL): by
   SMS their mail text would go.
   Appends "NAME:LINE: warning: message" to WARNINGS; returns how many. */
size_t workflow_check_sms_variants(const struct workflow *wf,
				   const char *template_dir,
				   struct strlist *warnings);
/* One warning for each language cirm writes in (the setting
   language's choices) but WF's: the commands with no <translation>
   into it, at the first one's line; their handlers would read the
   commands in WF's language. "NAME:LINE: warning: message" appended to
   WARNINGS; returns how many. */
size_t workflow_check_translations(const struct workflow *wf,
				   struct strlist *warnings);
/* Commands of WF that may take a text (which goes to the citizen, in
   cirm's own answer) and whose event's transitions <notify> a group:
   one only told of the case, such as a referral's, whose question would
   reach the citizen. "NAME:LINE: warning: message" appended to
   WARNINGS; returns how many. */
size_t workflow_check_group_text(const struct workflow *wf,
				 struct strlist *warnings);
/* The states of valid WF a case can rest in (atomic, not final, with no
   transition without event around them; not inside a <parallel>,
   where another region may handle it) where no transition takes a
   citizen's mail.citizen or sms.citizen: it would be kept on the case
   with nobody told. sms.citizen only in a workflow that takes it
   somewhere (else it is for mail alone), mail.citizen in one that takes
   it somewhere or takes neither. Appends "NAME:LINE: warning: message"
   to WARNINGS; returns how many. */
size_t workflow_check_citizen_mail(const struct workflow *wf,
				   struct strlist *warnings);

/* What handlers are shown for the configuration STATES (state ids
   separated by blanks, as cases keep it): the label of its state, the
   innermost, or that state's id when it has none; of several (the
   regions of a <parallel>), the label of the state around them all;
   STATES itself when WF does not know it. Valid while WF and STATES
   are. */
const char *workflow_state_label(const struct workflow *wf,
				 const char *states);
const struct workflow_state *workflow_state(const struct workflow *wf,
					    const char *id);
/* The timers of state ID (pointers into WF), through FN. */
void workflow_state_timers(const struct workflow *wf, const char *id,
			   void (*fn)(void *ctx,
				      const struct workflow_timer *t),
			   void *ctx);
/* Whether state ID has timers of its own in WF. */
bool workflow_state_has_timers(const struct workflow *wf, const char *id);
/* Whether WORD (case-folded) is C's word, an alias or a translation's. */
bool workflow_command_is(const struct workflow_command *c, const char *word);
/* The command whose word or alias is WORD (case-folded, Swedish letters
   included), or NULL. */
const struct workflow_command *workflow_command(const struct workflow *wf,
						const char *word);
const char *workflow_category_name(enum workflow_category c);

/* Folds WORD for comparing command words: ASCII and the Swedish (and
   other Latin-1) capitals to lower case. Caller frees. */
char *workflow_fold(const char *word);
/* WORD folded for "did you mean": as workflow_fold, and the Swedish
   letters as the ones they carry marks over (å and ä as a, ö as o, é
   as e), and a colon or full stop typed after it cut. Caller frees. */
char *workflow_fold_near(const char *word);
/* Whether the character starting at P (of a text up to END) is part of
   a word: an ASCII letter or digit, or a non-ASCII letter of any
   script; not a mark, space, symbol or emoji. A malformed sequence
   counts as one. keyword() and reply_thanks_only read words so. */
bool workflow_word_char(const unsigned char *p, const unsigned char *end);

/* The command words cirm handles itself on any case (folded,
   NULL-terminated): the English word first, the Swedish second, then
   other spellings, an order a handler's "did you mean" relies on. A
   workflow may declare the priority, category and due words to take
   them over, but not the note words nor the help words. */
extern const char *const workflow_note_words[];
/* #hjälp: the commands a case takes now, by mail to the case officer */
extern const char *const workflow_help_words[];
extern const char *const workflow_priority_words[];
extern const char *const workflow_category_words[];
extern const char *const workflow_due_words[];
extern const char *const workflow_language_words[];
/* #namn NAME: the name of the case's citizen (an SMS citizen has only a
   number) */
extern const char *const workflow_name_words[];
/* #mall NAME: a standard answer (templates/LANG/answers/NAME) goes into
   the text to the citizen */
extern const char *const workflow_canned_words[];
/* #vidarebefordra ADDRESS: the text below, with the citizen's messages,
   to someone outside; their answer comes back to the case officer */
extern const char *const workflow_forward_words[];

#endif
