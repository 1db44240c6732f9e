/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "caseflow.h"

#include "e164.h"
#include "gsm.h"

#include "log.h"
#include "mailout.h"
#include "reply.h"
#include "secret.h"
#include "settings.h"
#include "template.h"
#include "token.h"
#include "workflow-run.h"


#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An action skipped because a handler or group is missing from the
   directory is recorded on every case it skips; the log says so once a
   SKIP_LOG_INTERVAL per action, with how many cases it was not repeated
   for, rather than a line for every case (a group that was never set
   up would otherwise write one for each new case). */
/* The citizen's other open cases a notification lists. */
#define CITIZEN_CASES_MAX 5
#define SKIP_LOG_INTERVAL 60	/* seconds */
#define SKIP_LOG_ACTIONS 16

struct skip_log {
	const struct workflow *wf;
	int line;		/* the action's */
	time_t at;		/* when last logged */
	time_t seen;		/* when last skipped */
	unsigned long quiet;	/* cases skipped since, not logged */
};

#define HELP_MEMO 16

struct caseflow {
	struct caseflow_settings set;
	/* every version loaded so far; current[] marks the newest file */
	struct workflow **v;
	bool *current;
	size_t n;
	/* the ids of the files caseflow_load_dir refused, and whether it
	   refused one whose id could not be read (caseflow_adopt) */
	struct strlist refused;
	bool refused_unknown;
	bool dir_unreadable;	/* workflow_dir: cirm.conf's problem */
	/* what caseflow_adopt found a reload changes (a workflow retired,
	   another version starting new cases): logged by
	   caseflow_log_changes once the reload is taken, not before a
	   later check refuses it */
	struct strlist changes;
	struct skip_log skips[SKIP_LOG_ACTIONS];
	/* SKIPS as the last transaction that committed left them
	   (caseflow_after_batch) */
	struct skip_log committed_skips[SKIP_LOG_ACTIONS];
	/* A trial (caseflow_trial_begin): the warnings of its runs wait in
	   TRIAL_LOG, and SKIPS as it was before it in TRIAL_SKIPS. */
	bool trial;
	struct strlist trial_log;
	struct skip_log trial_skips[SKIP_LOG_ACTIONS];
	/* commands_help's texts of the transaction at HELP_GEN (see
	   commands_help) */
	struct help_memo {
		const struct store *store;	/* whose groups */
		const struct workflow *wf;
		char *states, *lang, *citizen_lang;
		int64_t handler;
		bool closed;
		char *text;
	} help[HELP_MEMO];
	size_t nhelp;
	uint64_t help_gen;
};

/* A notification an action asked for: who gets it, rendered later. */
struct pending_notice {
	char *template_id;
	int64_t contact_id;
	char *address;
	int line;			/* the action's, for the log */
	bool group;			/* to="group:NAME" */
	bool named;			/* to="handler:LOGIN" */
};

/* One case's run: the case, its workflow and what happened. */
/* The values render() reads from the store, each only for a template
   that shows it, and once in a flow: a notification to a group renders
   one template for each member. LOOKED: which were read (LOOKED_*). */
struct lookups {
	char *sender;		/* message.sender */
	char *from;		/* citizen.from */
	char *last_answer;	/* case.last_answer */
	char *citizen_text;	/* case.citizen_text */
	char *citizen_signature;	/* ...its "-- " signature, or NULL */
	char *officer;		/* sender.name */
	char *cont_answer;	/* continues.last_answer */
	char *cont_handler;	/* continues.handler */
	char *merged;		/* case.merged_into */
	bool sms_stopped;	/* citizen.sms_stopped */
	char *number;		/* citizen.number */
	unsigned looked;
};
enum {
	LOOKED_SENDER = 1, LOOKED_FROM = 2, LOOKED_LAST_ANSWER = 4,
	LOOKED_CITIZEN_TEXT = 8, LOOKED_OFFICER = 16, LOOKED_CONT_ANSWER = 32,
	LOOKED_CONT_HANDLER = 64, LOOKED_MERGED = 128, LOOKED_SMS_STOPPED = 256,
	LOOKED_NUMBER = 512,
};

struct flow {
	struct caseflow *cf;
	struct store *store;
	const struct workflow *wf;
	struct store_case_flow c;
	const struct caseflow_input *in;
	struct workflow_facts facts;
	char *sender_names;	/* what flow_sender_names found */
	bool names_asked;
	char *error;		/* a database failure: the whole call fails */
	bool soft;		/* the last action failure was a missing handler
				   or group: recorded, the block goes on */
	/* with soft: why, and the group or login (NULL: the case's
	   officer), for caseflow_input's skipped */
	enum caseflow_skip_why skip_why;
	const char *skip_who;
	struct workflow_run *run;	/* while running */
	const char *commands_help;	/* while rendering a notification */
	const char *lang;	/* of the reader (the notified handler, the
				   citizen), while rendering; NULL: the
				   instance's language */
	const char *citizen_reads;	/* while notifying a handler: the
					   citizen's language, named in the
					   handler's, when not the instance's */
	int64_t reader_id;		/* while notifying a handler: who */
	/* ...who may not work on the case: their group is told of it for
	   its information (a remiss), and their answer is kept as a note
	   (reader.informed) */
	bool reader_informed;
	/* ...as the one the workflow names by login (<notify
	   to="handler:LOGIN">), not as one of a group (reader.named) */
	bool reader_named;
	bool by_sms;		/* while rendering an SMS to the citizen */
	char *history;			/* the case's recent messages */
	bool history_en;		/* ... in English, else Swedish */
	char *citizen_cases;	/* while notifying a handler: the citizen's
				   other open cases the handler may read */
	/* while notifying a handler: the case number the case's
	   case.created names, a closed case of the citizen's that this one
	   continues, or else a case its first mail mentioned */
	char *continues, *mentions;
	int64_t continues_id;	/* the case CONTINUES names, or 0 */
	struct lookups lk;
	char *citizen_lang;	/* the citizen's language, once looked up */
	bool citizen_lang_known;
	/* the run's events, written with its end in one statement */
	struct store_event_new *events;
	size_t nevents;
	/* notifications to handlers, written once the run has ended, so
	   that they show the case as it is then (see flush_notices) */
	struct pending_notice *notices;
	size_t nnotices;
	/* A case's first run (caseflow_start): it has no timers but those
	   the run arms, which armed_states and armed_names remember, so
	   that leaving a state or arming a timer deletes only what can be
	   there. */
	bool fresh;
	struct strlist armed_states, armed_names;
};

/* Notes event KIND (ACTOR_ID, DETAIL) on the case, written when the run
   ends (flow_run; caseflow_reply after its one action): the run is
   all-or-nothing, and nothing in it reads the case's events. Always 0,
   as store_event_add's callers expect. */
static int
flow_event(struct flow *fl, const char *kind, int64_t actor_id,
	   const char *detail)
{
	struct store_event_new *e;

	fl->events = xrealloc(fl->events,
			      (fl->nevents + 1) * sizeof(*fl->events));
	e = &fl->events[fl->nevents++];
	e->kind = xstrdup(kind);
	e->actor_id = actor_id;
	e->from_state = NULL;
	e->to_state = NULL;
	e->detail = detail != NULL ? xstrdup(detail) : NULL;
	return 0;
}

static void flow_events_clear(struct flow *fl);

/* Writes the events noted so far, and forgets them. 0, or -1. */
static int
flow_events_write(struct flow *fl, char **error_r)
{
	int ret = fl->nevents == 0 ? 0 :
		store_events_add(fl->store, fl->c.id, fl->in->now, fl->events,
				 fl->nevents, error_r);

	flow_events_clear(fl);
	return ret;
}

static void
flow_events_clear(struct flow *fl)
{
	for (size_t i = 0; i < fl->nevents; i++) {
		free((char *)fl->events[i].kind);
		free((char *)fl->events[i].from_state);
		free((char *)fl->events[i].to_state);
		free((char *)fl->events[i].detail);
	}
	free(fl->events);
	fl->events = NULL;
	fl->nevents = 0;
}

struct caseflow *
caseflow_new(const struct caseflow_settings *set)
{
	struct caseflow *cf = xcalloc(1, sizeof(*cf));

	cf->set = *set;
	return cf;
}

static void
help_forget(struct caseflow *cf)
{
	for (size_t i = 0; i < cf->nhelp; i++) {
		struct help_memo *m = &cf->help[i];

		free(m->states);
		free(m->lang);
		free(m->citizen_lang);
		free(m->text);
	}
	cf->nhelp = 0;
}

void
caseflow_skips_clear(struct caseflow_skips *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].who);
		free(s->v[i].detail);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void
caseflow_free(struct caseflow **cfp)
{
	struct caseflow *cf = *cfp;

	if (cf == NULL)
		return;
	for (size_t i = 0; i < cf->n; i++)
		workflow_free(&cf->v[i]);
	free(cf->v);
	free(cf->current);
	strlist_clear(&cf->refused);
	strlist_clear(&cf->changes);
	strlist_clear(&cf->trial_log);
	help_forget(cf);
	free(cf);
	*cfp = NULL;
}

void
caseflow_trial_begin(struct caseflow *cf)
{
	strlist_clear(&cf->trial_log);
	memcpy(cf->trial_skips, cf->skips, sizeof(cf->skips));
	cf->trial = true;
}

void
caseflow_trial_end(struct caseflow *cf, bool kept)
{
	for (size_t i = 0; kept && i < cf->trial_log.n; i++)
		log_warnx("%s", cf->trial_log.v[i]);
	if (!kept)
		memcpy(cf->skips, cf->trial_skips, sizeof(cf->skips));
	strlist_clear(&cf->trial_log);
	cf->trial = false;
}

void
caseflow_after_batch(struct caseflow *cf, bool committed)
{
	if (committed)
		memcpy(cf->committed_skips, cf->skips, sizeof(cf->skips));
	else
		memcpy(cf->skips, cf->committed_skips, sizeof(cf->skips));
}

/* A warning of a run: logged, or held during a trial. */
static void CIRM_PRINTF(2, 3)
flow_warn(struct caseflow *cf, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	if (cf->trial)
		strlist_add(&cf->trial_log, line);
	else
		log_warnx("%s", line);
	free(line);
}

static void
keep(struct caseflow *cf, struct workflow *wf, bool current)
{
	for (size_t i = 0; current && i < cf->n; i++) {
		if (strcmp(cf->v[i]->id, wf->id) == 0)
			cf->current[i] = false;
	}
	cf->v = xrealloc(cf->v, (cf->n + 1) * sizeof(*cf->v));
	cf->current = xrealloc(cf->current, (cf->n + 1) * sizeof(bool));
	cf->v[cf->n] = wf;
	cf->current[cf->n++] = current;
}

const struct workflow *
caseflow_current(const struct caseflow *cf, const char *id)
{
	for (size_t i = 0; i < cf->n; i++) {
		if (cf->current[i] && strcmp(cf->v[i]->id, id) == 0)
			return cf->v[i];
	}
	return NULL;
}

int
caseflow_add(struct caseflow *cf, struct store *store, struct workflow *wf,
	     const char *source, size_t len, char **error_r)
{
	const struct workflow *cur = caseflow_current(cf, wf->id);

	if (cur != NULL && cur->version > wf->version) {
		*error_r = xasprintf("%s:%d: version %d is older than the "
				     "version %d in use", wf->name, wf->line,
				     wf->version, cur->version);
		workflow_free(&wf);
		return -1;
	}
	if (store_workflow_def_put(store, wf->id, wf->version, wf->sha256,
				   source, len, cirm_now(), error_r) < 0) {
		char *e = xasprintf("%s:%d: %s", wf->name, wf->line,
				    *error_r);

		free(*error_r);
		*error_r = e;
		workflow_free(&wf);
		return -1;
	}
	keep(cf, wf, true);
	return 0;
}

/* Notes a file refused, of WF's id (NULL: its id is not known). */
static void
note_refused(struct caseflow *cf, const struct workflow *wf)
{
	if (wf == NULL)
		cf->refused_unknown = true;
	else if (!strlist_has(&cf->refused, wf->id))
		strlist_add(&cf->refused, wf->id);
}

/* A file of the workflow directory, loaded and checked. */
struct loaded {
	struct workflow *wf;	/* NULL: bad, or refused */
	char *source;
	size_t len;
};

static void
load_file(struct caseflow *cf, const char *path, struct loaded *l,
	  struct strlist *errors)
{
	struct workflow *wf = NULL;
	struct strlist problems = { 0 };
	char *err = NULL, *source = NULL;
	size_t len = 0;
	FILE *f = workflow_open_file(path, &err);

	if (f != NULL) {
		source = xmalloc(WORKFLOW_MAX_SIZE + 1);
		len = fread(source, 1, WORKFLOW_MAX_SIZE + 1, f);
		fclose(f);
	}
	if (source == NULL) {
		strlist_add(errors, err);
		free(err);
		note_refused(cf, NULL);
		return;
	}
	/* every problem of the file at once, as workflow check has them:
	   a target to nowhere does not hide a missing template */
	if (workflow_load_checking(path, source, len, &wf, &problems) < 0 ||
	    workflow_check(wf, cf->set.template_dir, &problems) > 0 ||
	    problems.n > 0) {
		err = scxml_join_errors(&problems, path);
		strlist_add(errors, err);
		free(err);
		note_refused(cf, wf);
		workflow_free(&wf);
		free(source);
		return;
	}
	l->wf = wf;
	l->source = xrealloc(source, len + 1);	/* not 1 MiB each */
	l->len = len;
}

static int
add_file(struct caseflow *cf, struct store *store, struct loaded *l,
	 struct strlist *errors)
{
	char *err = NULL, *id = xstrdup(l->wf->id);

	if (store_begin(store, &err) < 0) {
		/* caseflow_add owns it only once called */
		workflow_free(&l->wf);
	} else if (caseflow_add(cf, store, l->wf, l->source, l->len,
				&err) < 0 ||
		   store_commit(store, &err) < 0) {
		store_rollback(store);
	} else {
		free(id);
		return 0;
	}
	if (!strlist_has(&cf->refused, id))
		strlist_add(&cf->refused, id);
	free(id);
	strlist_add(errors, err);
	free(err);
	return -1;
}

/* Two files with the same id and version: which one is meant cannot be
   told, so neither is used (the version that ran before, if any, keeps
   running), and each is named in the other's message. */
static void
refuse_same_versions(struct caseflow *cf, struct loaded *v, size_t n,
		     struct strlist *errors)
{
	bool *twin = xcalloc(n, sizeof(bool));

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; v[i].wf != NULL && j < n; j++) {
			char *msg;

			if (j == i || v[j].wf == NULL)
				continue;
			msg = workflow_same_version(v[i].wf, v[j].wf);
			if (msg != NULL) {
				strlist_add(errors, msg);
				free(msg);
				twin[i] = true;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (twin[i]) {
			note_refused(cf, v[i].wf);
			workflow_free(&v[i].wf);
			free(v[i].source);
			v[i].source = NULL;
		}
	}
	free(twin);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Older versions first, else by file name: the newest version of each
   workflow becomes current whatever the files are called, and an old
   version's file kept beside the new one is recorded, not an error
   (synpunkt-v2.xml sorted before synpunkt.xml). Bad files last. */
static int
cmp_version(const void *a, const void *b)
{
	const struct loaded *x = a, *y = b;

	if (x->wf == NULL || y->wf == NULL)
		return (x->wf == NULL) - (y->wf == NULL);
	if (x->wf->version != y->wf->version)
		return x->wf->version < y->wf->version ? -1 : 1;
	return strcmp(x->wf->name, y->wf->name);
}

/* A newer version of WF than its file in DIR has run before: the
   instance's workflows were replaced by older ones (restored on a new
   machine with the shipped files, say), and new cases would get the
   older version with nothing to show it. */
static void
note_newer(const struct caseflow *cf, struct store *store,
	   const struct workflow *wf, const char *dir)
{
	char *err = NULL;
	int newest;

	if (store_workflow_newest(store, wf->id, &newest, &err) < 0) {
		log_warnx("workflow %s: %s", wf->id, err);
		free(err);
	} else if (newest > wf->version &&
		   (strlist_has(&cf->refused, wf->id) ||
		    cf->refused_unknown)) {
		/* its file is there, made bad: "put it back" would send
		   the administrator looking for a file that is in place */
		log_warnx("workflow %s: version %d (%s) starts new cases, but "
			  "the database has version %d, newer, and a file of "
			  "%s is refused (see the errors): fix it unless the "
			  "older version is meant", wf->id, wf->version,
			  wf->name, newest, dir);
	} else if (newest > wf->version) {
		/* lost with the old machine, it is still in the database */
		log_warnx("workflow %s: version %d (%s) starts new cases, but "
			  "the database has version %d, newer, which has no "
			  "file in %s: put it back there (cirmctl workflow "
			  "export %s --version %d prints it) unless the older "
			  "version is meant", wf->id, wf->version, wf->name,
			  newest, dir, wf->id, newest);
	}
}

int
caseflow_load_dir(struct caseflow *cf, struct store *store, const char *dir,
		  struct strlist *errors)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct strlist files = { 0 };
	struct loaded *loaded;
	int good = 0;

	if (d == NULL) {
		/* cirmctl's wording for template_dir */
		if (cf->set.where_workflow_dir != NULL)
			strlist_addf(errors, "%s: cannot be read: %s",
				     cf->set.where_workflow_dir,
				     strerror(errno));
		else
			strlist_addf(errors, "%s: workflow directory cannot be "
				     "read: %s", dir, strerror(errno));
		cf->refused_unknown = true;
		cf->dir_unreadable = true;
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if (n > 4 && e->d_name[0] != '.' &&
		    strcmp(e->d_name + n - 4, ".xml") == 0)
			strlist_addf(&files, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(files.v, files.n, sizeof(*files.v), cmp_str);
	loaded = xcalloc(files.n + 1, sizeof(*loaded));
	for (size_t i = 0; i < files.n; i++)
		load_file(cf, files.v[i], &loaded[i], errors);
	refuse_same_versions(cf, loaded, files.n, errors);
	qsort(loaded, files.n, sizeof(*loaded), cmp_version);
	for (size_t i = 0; i < files.n; i++) {
		if (loaded[i].wf != NULL)
			(void)add_file(cf, store, &loaded[i], errors);
		free(loaded[i].source);
	}
	free(loaded);
	strlist_clear(&files);
	for (size_t i = 0; i < cf->n; i++) {
		good += cf->current[i];
		if (cf->current[i])
			note_newer(cf, store, cf->v[i], dir);
	}
	return good;
}

/* Workflow ID VERSION: loaded, or read back from the database. */
static const struct workflow *
get_version(struct caseflow *cf, struct store *store, const char *id,
	    int version, char **error_r)
{
	struct workflow *wf = NULL;
	char *source = NULL, *name;
	size_t len;
	int rc;

	for (size_t i = 0; i < cf->n; i++) {
		if (strcmp(cf->v[i]->id, id) == 0 &&
		    cf->v[i]->version == version)
			return cf->v[i];
	}
	rc = store_workflow_def_get(store, id, version, &source, &len, error_r);
	if (rc <= 0) {
		if (rc == 0)
			*error_r = xasprintf("workflow %s version %d is not "
					     "known", id, version);
		return NULL;
	}
	name = xasprintf("%s (version %d, from the database)", id, version);
	rc = workflow_load(name, source, len, &wf, error_r);
	free(name);
	free(source);
	if (rc < 0)
		return NULL;
	keep(cf, wf, false);
	return wf;
}

const char *
caseflow_refused_mark(bool en)
{
	return en ? "(refused, not sent)" : "(avvisat, inte skickat)";
}

/* DUE as handlers are shown it, by WF's calendar (none: as stored). */
static int64_t
due_shown(const struct workflow *wf, int64_t due)
{
	return due != 0 && wf != NULL ?
		calendar_deadline_shown(wf->calendar, due) : due;
}

int64_t
caseflow_due_shown(struct caseflow *cf, struct store *store,
		   const char *workflow, int version, int64_t due)
{
	const struct workflow *wf;
	char *err = NULL;

	if (due == 0 || workflow == NULL)
		return due;
	wf = get_version(cf, store, workflow, version, &err);
	free(err);
	return due_shown(wf, due);
}

const char *
caseflow_state_label(struct caseflow *cf, struct store *store,
		     const char *workflow, int version, const char *state)
{
	const struct workflow *wf;
	char *err = NULL;

	if (state == NULL || workflow == NULL)
		return state;
	wf = get_version(cf, store, workflow, version, &err);
	free(err);
	return wf != NULL ? workflow_state_label(wf, state) : state;
}

/* The version of workflow ID that is current in CF, or 0. */
static int
current_version(const struct caseflow *cf, const char *id)
{
	for (size_t i = 0; i < cf->n; i++) {
		if (cf->current[i] && strcmp(cf->v[i]->id, id) == 0)
			return cf->v[i]->version;
	}
	return 0;
}

/* Makes the copy of WF's id and VERSION (read back from STORE when CF
   has none) the current one in CF. 0, or -1 with *error_r. */
static int
make_current(struct caseflow *cf, struct store *store, const char *id,
	     int version, char **error_r)
{
	const struct workflow *wf = get_version(cf, store, id, version,
						error_r);

	if (wf == NULL)
		return -1;
	for (size_t j = 0; j < cf->n; j++) {
		if (strcmp(cf->v[j]->id, id) == 0)
			cf->current[j] = cf->v[j] == wf;
	}
	return 0;
}

struct open_count {
	const char *id;
	int64_t cases;
};

static int
open_count(const char *id, int version, int64_t cases, void *ctx)
{
	struct open_count *c = ctx;

	(void)version;
	if (strcmp(id, c->id) == 0)
		c->cases += cases;
	return 0;
}

/* Workflow ID, current in FROM, whose file is gone with none of its id
   refused in its place: retired, as cirmd started now would have it.
   Its open cases keep running on their versions (read back from the
   database), but new cases no longer start on it. 0, or -1. */
static int
retire(struct caseflow *cf, struct store *store, const struct workflow *old,
       char **error_r)
{
	struct open_count c = { old->id, 0 };

	if (store_workflow_versions_open(store, open_count, &c, error_r) < 0)
		return -1;
	/* its open cases: of any version, each keeping the one it is on
	   (a migration may have moved them past OLD's) */
	strlist_addf(&cf->changes, "workflow %s: no file of it is left: new "
		 "cases no longer start on it (version %d was the newest), and "
		 "its %lld open case%s keep%s the version%s %s on",
		 old->id, old->version, (long long)c.cases,
		 c.cases == 1 ? "" : "s", c.cases == 1 ? "s" : "",
		 c.cases == 1 ? "" : "s", c.cases == 1 ? "it is" : "they are");
	return 0;
}

int
caseflow_adopt(struct caseflow *cf, struct store *store,
	       const struct caseflow *from, bool refused,
	       struct strlist *errors, char **error_r)
{
	int n = 0;

	for (size_t i = 0; i < from->n; i++) {
		const struct workflow *old = from->v[i], *now;

		if (!from->current[i])
			continue;
		now = caseflow_current(cf, old->id);
		if (now == NULL && !cf->refused_unknown &&
		    !strlist_has(&cf->refused, old->id)) {
			if (retire(cf, store, old, error_r) < 0)
				return -1;
		} else if (now == NULL) {
			/* the file may be fine and a template it names not:
			   the problems are reported with this */
			if (make_current(cf, store, old->id, old->version,
					 error_r) < 0)
				return -1;
			strlist_addf(errors, "workflow %s: version %d, which "
				     "ran before, keeps running (no file of it "
				     "loaded and passed its checks: see the "
				     "errors); fix the file", old->id,
				     old->version);
			n++;
		} else if (refused && now->version < old->version) {
			/* a file refused (a copy of the newest version
			   beside it, or the newest made bad) must not hand
			   new cases back to an older version */
			strlist_addf(errors, "workflow %s: version %d (%s) "
				     "would start new cases instead of version "
				     "%d while files of the directory are "
				     "refused; version %d keeps running",
				     old->id, now->version, now->name,
				     old->version, old->version);
			if (make_current(cf, store, old->id, old->version,
					 error_r) < 0)
				return -1;
			n++;
		}
	}
	/* what a reload changed, since nothing else shows which version
	   new cases get */
	for (size_t i = 0; i < cf->n; i++) {
		const struct workflow *wf = cf->v[i];
		int before = current_version(from, wf->id);

		if (!cf->current[i] || before == wf->version)
			continue;
		if (before == 0)
			strlist_addf(&cf->changes, "workflow %s: version %d "
				     "(%s) now starts new cases", wf->id,
				     wf->version, wf->name);
		else
			strlist_addf(&cf->changes, "workflow %s: version %d "
				     "(%s) now starts new cases instead of "
				     "version %d; running cases keep theirs",
				     wf->id, wf->version, wf->name, before);
	}
	return n;
}

int
caseflow_keep_newest(struct caseflow *cf, struct store *store, const char *id,
		     struct strlist *errors, char **error_r)
{
	int newest = 0, rc;

	/* a workflow_dir mistyped is cirm.conf's to mend at once */
	if (caseflow_current(cf, id) != NULL || cf->dir_unreadable ||
	    (!cf->refused_unknown && !strlist_has(&cf->refused, id)))
		return 0;
	rc = store_workflow_newest(store, id, &newest, error_r);
	if (rc <= 0)
		return rc;
	if (make_current(cf, store, id, newest, error_r) < 0)
		return -1;
	strlist_addf(errors, "workflow %s: version %d, the newest the "
		     "database has, starts new cases (no file of it loaded "
		     "and passed its checks: see the errors); fix the file, "
		     "then reload", id, newest);
	return 1;
}

void
caseflow_log_changes(struct caseflow *cf)
{
	for (size_t i = 0; i < cf->changes.n; i++)
		log_info("%s", cf->changes.v[i]);
	strlist_clear(&cf->changes);
}

/* A workflow version that cases run (caseflow_check_running). */
struct running {
	char *id;
	int version;
	int64_t cases;		/* open ones */
	bool current;		/* new cases start on it */
};

struct running_list {
	struct running *v;
	size_t n;
};

static struct running *
running_add(struct running_list *l, const char *id, int version)
{
	struct running *r;

	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].id, id) == 0 && l->v[i].version == version)
			return &l->v[i];
	}
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	r = &l->v[l->n++];
	r->id = xstrdup(id);
	r->version = version;
	r->cases = 0;
	r->current = false;
	return r;
}

static int
running_open(const char *id, int version, int64_t cases, void *ctx)
{
	running_add(ctx, id, version)->cases = cases;
	return 0;
}

/* "workflow ID version N (3 open cases)", for R's messages (caller
   frees). */
static char *
running_name(const struct running *r)
{
	return xasprintf("workflow %s version %d (%lld open case%s%s)", r->id,
			 r->version, (long long)r->cases,
			 r->cases == 1 ? "" : "s",
			 r->current ? "; it starts new cases" : "");
}

/* Template ID, which WF (that R runs) declares: in every language cirm
   writes in, as its cases would render it (falling back to "sv"); one
   gone since PREVIOUS read it keeps PREVIOUS's text. What fails, or is
   kept, goes to ERRORS. */
static void
check_running_template(struct caseflow *cf, const struct running *r,
		       const char *id,
		       const struct template_cache *previous,
		       struct strlist *errors)
{
	const char *const *langs = settings[CFG_LANGUAGE].choices;
	struct template_cache *cache = cf->set.templates;
	struct strlist kept = { 0 }, missing = { 0 }, broken = { 0 };
	char *name = running_name(r), *err = NULL;

	for (size_t i = 0; langs[i] != NULL; i++) {
		if (cache == NULL) {
			if (!template_exists(cf->set.template_dir, langs[i],
					     id))
				strlist_add(&missing, langs[i]);
			continue;
		}
		if (template_cache_keep_gone(cache, previous, langs[i], id))
			strlist_add(&kept, langs[i]);
		if (!template_cache_exists(cache, langs[i], id))
			strlist_add(&missing, langs[i]);
		else if (template_cache_renders(cache, langs[i], id,
						&err) < 0) {
			/* a line for each problem of the file */
			for (char *save, *line = strtok_r(err, "\n", &save);
			     line != NULL; line = strtok_r(NULL, "\n", &save))
				if (!strlist_has(&broken, line))
					strlist_add(&broken, line);
			free(err);
			err = NULL;
		}
	}
	if (kept.n > 0) {
		char *l = strlist_join_sep(&kept, ", ");

		strlist_addf(errors, "%s: template '%s' is missing in %s; the "
			     "text read before stays in use until cirmd "
			     "restarts: put the file back (%s/%s/%s)", name, id,
			     l, cf->set.template_dir, kept.v[0], id);
		free(l);
	}
	if (missing.n > 0) {
		char *l = strlist_join_sep(&missing, ", ");

		strlist_addf(errors, "%s: template '%s' is missing in %s: its "
			     "cases fail where they send it; put the file back "
			     "(%s/%s/%s) or move them to another version "
			     "(cirmctl workflow migrate)", name, id, l,
			     cf->set.template_dir, missing.v[0], id);
		free(l);
	}
	for (size_t i = 0; i < broken.n; i++)
		strlist_addf(errors, "%s: template '%s': %s: its cases fail "
			     "where they send it", name, id, broken.v[i]);
	strlist_clear(&kept);
	strlist_clear(&missing);
	strlist_clear(&broken);
	free(name);
}

int
caseflow_check_running(struct caseflow *cf, struct store *store,
		       const struct template_cache *previous,
		       struct strlist *errors, char **error_r)
{
	struct running_list l = { 0 };
	int ret = 0;

	if (store_workflow_versions_open(store, running_open, &l,
					 error_r) < 0)
		ret = -1;
	for (size_t i = 0; ret == 0 && i < cf->n; i++) {
		if (cf->current[i])
			running_add(&l, cf->v[i]->id,
				    cf->v[i]->version)->current = true;
	}
	for (size_t i = 0; ret == 0 && i < l.n; i++) {
		const struct running *r = &l.v[i];
		char *err = NULL;
		const struct workflow *wf = get_version(cf, store, r->id,
							r->version, &err);

		if (wf == NULL) {
			char *name = running_name(r);

			strlist_addf(errors, "%s: %s", name, err);
			free(name);
			free(err);
			continue;
		}
		for (size_t j = 0; j < wf->ntemplates; j++)
			check_running_template(cf, r, wf->templates[j].id,
					       previous, errors);
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].id);
	free(l.v);
	return ret;
}

/* --- the host ------------------------------------------------------------- */

#define WHEN_LONG_SIZE CASEFLOW_WHEN_LONG_SIZE

static void
when(int64_t t, char buf[LOCAL_MINUTE_SIZE])
{
	if (t == 0)
		strcpy(buf, "");
	else
		local_minute(t, buf);
}

/* T written out for running text in LANG, as a letter writes it: "den
   5 december 2026 kl. 06.23", "5 December 2026 at 06:23"; in another
   language as when() writes it. */
void
caseflow_when_long(int64_t t, const char *lang, char buf[WHEN_LONG_SIZE])
{
	static const char *const sv[] = {
		"januari", "februari", "mars", "april", "maj", "juni", "juli",
		"augusti", "september", "oktober", "november", "december",
	};
	static const char *const en[] = {
		"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December",
	};
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || localtime_r(&tt, &tm) == NULL || tm.tm_mon < 0 ||
	    tm.tm_mon > 11)
		when(t, buf);
	else if (strcmp(lang, "sv") == 0)
		snprintf(buf, WHEN_LONG_SIZE, "den %d %s %d kl. %02d.%02d",
			 tm.tm_mday, sv[tm.tm_mon], tm.tm_year + 1900,
			 tm.tm_hour, tm.tm_min);
	else if (strcmp(lang, "en") == 0)
		snprintf(buf, WHEN_LONG_SIZE, "%d %s %d at %02d:%02d",
			 tm.tm_mday, en[tm.tm_mon], tm.tm_year + 1900,
			 tm.tm_hour, tm.tm_min);
	else
		when(t, buf);
}

static bool shows(const struct flow *fl, const char *lang,
		  const char *template_id, const char *var);

struct armed {
	const struct workflow *wf;
	int64_t *fire_at;	/* by the workflow's timer index; 0: not armed */
};

static int
armed_one(const struct store_timer *t, void *ctx)
{
	struct armed *a = ctx;

	for (size_t i = 0; i < a->wf->ntimers; i++)
		if (strcmp(a->wf->timers[i].id, t->name) == 0)
			a->fire_at[i] = t->fire_at;
	return 0;
}

/* VARS (N of them) and then a "timer.ID" for each of the workflow's
   timers: when it fires, written out in LANG (caseflow_when_long), or
   empty when it is not armed. *ALL_R's names after the first N and *BUF_R
   (which holds the values) are the caller's to free. 0, or -1. */
static int
timer_vars(struct flow *fl, const char *lang, const struct template_var *vars,
	   size_t n, struct template_var **all_r, char **buf_r,
	   char **error_r)
{
	const struct workflow *wf = fl->wf;
	struct armed a = { wf, xcalloc(wf->ntimers, sizeof(int64_t)) };
	struct template_var *all;
	char *buf;

	if (store_case_timers(fl->store, fl->c.id, armed_one, &a,
			      error_r) < 0) {
		free(a.fire_at);
		return -1;
	}
	all = xcalloc(n + wf->ntimers, sizeof(*all));
	buf = xcalloc(wf->ntimers, WHEN_LONG_SIZE);
	memcpy(all, vars, n * sizeof(*vars));
	for (size_t i = 0; i < wf->ntimers; i++) {
		char *v = buf + i * WHEN_LONG_SIZE;

		if (a.fire_at[i] != 0)
			caseflow_when_long(a.fire_at[i], lang, v);
		all[n + i].name = xasprintf("timer.%s", wf->timers[i].id);
		all[n + i].value = v;
	}
	free(a.fire_at);
	*all_r = all;
	*buf_r = buf;
	return 0;
}

/* Into *OUT_R, who wrote the event's message when that is a party to
   the case other than its citizen (someone copied in, who replied):
   "Bo Berg <bo@example.se>"; else "". The handler must not read
   another's words as the citizen's. 0, or -1. */
static int
other_sender(const struct flow *fl, char **out_r, char **error_r)
{
	int64_t id = fl->in->sender_id;
	const char *channel = fl->in->channel != NULL ? fl->in->channel :
		"email";
	char *name = NULL, *addr = NULL;
	int rc = 0;

	*out_r = NULL;
	if (id != 0 && fl->c.citizen_id != 0 && id != fl->c.citizen_id)
		rc = store_citizen_first_named(fl->store, id,
					       strcmp(channel, "sms") == 0 ?
					       "phone" : "email", &addr, &name,
					       error_r);
	if (rc < 0)
		return -1;
	*out_r = name != NULL && *name != '\0' && addr != NULL ?
		xasprintf("%s <%s>", name, addr) :
		xstrdup(addr != NULL ? addr : name != NULL ? name : "");
	free(name);
	free(addr);
	return 0;
}

/* Into *OUT_R, who the case's citizen is on its channel, for case
   officers: "Anna Andersson <anna@example.se>" by mail, "Anna
   Andersson, +46 70 *** ** 67" by SMS (masked, as cirm shows numbers
   everywhere: a mail is forwarded and read over a shoulder, and the
   answer goes through cirm all the same), the address alone when they
   gave no name; "" for a case without a citizen. 0, or -1. */
static int
citizen_from(const struct flow *fl, char **out_r, char **error_r)
{
	bool sms = strcmp(fl->c.channel, "sms") == 0;
	char *name = NULL, *addr = NULL;
	int rc = fl->c.citizen_id == 0 ? 0 :
		store_contact_first_named(fl->store, fl->c.citizen_id,
					  sms ? "phone" : "email", &addr,
					  &name, error_r);

	*out_r = NULL;
	if (rc < 0)
		return -1;
	if (rc > 0 && sms) {
		char masked[E164_MASK_SIZE];

		e164_mask(addr, masked);
		free(addr);
		addr = xstrdup(masked);
	}
	if (rc > 0 && name != NULL && *name != '\0')
		*out_r = xasprintf(sms ? "%s, %s" : "%s <%s>", name, addr);
	else
		*out_r = xstrdup(rc > 0 ? addr : "");
	free(name);
	free(addr);
	return 0;
}

/* citizen.number: the telephone number of an SMS case's citizen in
   full (E.164), for a notice that asks the case officer to ring them,
   since no SMS reached them; "" by mail or without a citizen. 0, -1. */
static int
citizen_number(const struct flow *fl, char **out_r, char **error_r)
{
	char *name = NULL, *addr = NULL;
	int rc = fl->c.citizen_id == 0 || strcmp(fl->c.channel, "sms") != 0 ?
		0 : store_contact_first_named(fl->store, fl->c.citizen_id,
					      "phone", &addr, &name, error_r);

	free(name);
	if (rc < 0)
		return -1;
	*out_r = rc > 0 ? addr : xstrdup("");
	if (rc == 0)
		free(addr);
	return 0;
}

static void
lookups_clear(struct lookups *lk)
{
	free(lk->sender);
	free(lk->from);
	free(lk->last_answer);
	free(lk->citizen_text);
	free(lk->citizen_signature);
	free(lk->officer);
	free(lk->cont_answer);
	free(lk->cont_handler);
	free(lk->merged);
	free(lk->number);
}

/* Into *OUT_R the name of the case officer whose reply or command the
   event is (their login when they have none), or "" when a citizen, a
   timer or cirm itself caused it. 0, or -1. */
static int
officer_name(const struct flow *fl, char **out_r, char **error_r)
{
	char *kind = NULL, *language = NULL;
	int rc = fl->in->sender_id == 0 ? 0 :
		store_contact_kind(fl->store, fl->in->sender_id, &kind,
				   &language, error_r);

	*out_r = NULL;
	if (rc > 0 && strcmp(kind, "handler") == 0)
		rc = store_contact_name(fl->store, fl->in->sender_id, out_r,
					error_r);
	free(kind);
	free(language);
	if (rc < 0)
		return -1;
	if (*out_r == NULL)
		*out_r = xstrdup("");
	return 0;
}

/* Whether template TEMPLATE_ID (in LANG) shows VAR and its value, BIT
   of LOOKED_*, is not read yet in the flow; it counts as read then. */
static bool
wants(struct flow *fl, const char *lang, const char *template_id,
      unsigned bit, const char *var)
{
	if ((fl->lk.looked & bit) || !shows(fl, lang, template_id, var))
		return false;
	fl->lk.looked |= bit;
	return true;
}

/* What a case officer wrote the citizen, TEXT (NULL: nothing), without
   its sign-off: a template quoting it closes with the municipality's
   greeting, not under Eva's own "Med vänlig hälsning / Eva Ek". Text
   that is its sign-off alone is kept. */
static void
cut_signoff(char *text)
{
	if (text != NULL)
		text[reply_plain_cut(text)] = '\0';
}

/* Whether the citizen of the SMS case FL has asked for no more SMS
   (STOPP), into *STOPPED_R. 0, or -1. */
static int
sms_stopped(struct flow *fl, bool *stopped_r, char **error_r)
{
	int rc = fl->c.citizen_id == 0 ? 0 :
		store_contact_sms_stopped(fl->store, fl->c.citizen_id, NULL,
					  error_r);

	if (rc < 0)
		return -1;
	*stopped_r = rc > 0;
	return 0;
}

/* Reads into LK what template TEMPLATE_ID (in LANG) shows of the
   store's. 0, or -1 (LK then holds what was read, for lookups_clear). */
static int
look_up(struct flow *fl, const char *lang, const char *template_id,
	char **error_r)
{
	struct lookups *lk = &fl->lk;
	int64_t id = fl->c.id;

	if (wants(fl, lang, template_id, LOOKED_SENDER, "message.sender") &&
	    other_sender(fl, &lk->sender, error_r) < 0)
		return -1;
	if (wants(fl, lang, template_id, LOOKED_FROM, "citizen.from") &&
	    citizen_from(fl, &lk->from, error_r) < 0)
		return -1;
	if (wants(fl, lang, template_id, LOOKED_NUMBER, "citizen.number") &&
	    citizen_number(fl, &lk->number, error_r) < 0)
		return -1;
	if (wants(fl, lang, template_id, LOOKED_LAST_ANSWER,
		  "case.last_answer")) {
		if (store_case_last_text(fl->store, id, "handler",
					 &lk->last_answer, NULL, error_r) < 0)
			return -1;
		cut_signoff(lk->last_answer);
	}
	if (wants(fl, lang, template_id, LOOKED_CITIZEN_TEXT,
		  "case.citizen_text")) {
		char *full = NULL;

		if (store_case_last_text(fl->store, id, "citizen",
					 &lk->citizen_text, &full,
					 error_r) < 0)
			return -1;
		/* its "-- " signature, shown with it (message.signature) */
		lk->citizen_signature = reply_delimited_signature(full);
		free(full);
	}
	if (wants(fl, lang, template_id, LOOKED_OFFICER, "sender.name") &&
	    officer_name(fl, &lk->officer, error_r) < 0)
		return -1;
	/* the closed case the citizen's mail continued: what we last wrote
	   there (a question they answer late) and who had it */
	if (fl->continues_id != 0 &&
	    wants(fl, lang, template_id, LOOKED_CONT_ANSWER,
		  "continues.last_answer")) {
		if (store_case_last_text(fl->store, fl->continues_id,
					 "handler", &lk->cont_answer, NULL,
					 error_r) < 0)
			return -1;
		cut_signoff(lk->cont_answer);
	}
	if (fl->continues_id != 0 &&
	    wants(fl, lang, template_id, LOOKED_CONT_HANDLER,
		  "continues.handler")) {
		struct store_case_flow f = { 0 };

		if (store_case_flow_get(fl->store, fl->continues_id, &f,
					error_r) < 0)
			return -1;
		lk->cont_handler = f.assignee_name != NULL ?
			xstrdup(f.assignee_name) : NULL;
		store_case_flow_clear(&f);
	}
	/* an SMS case whose citizen sent STOPP: no answer reaches them */
	if (strcmp(fl->c.channel, "sms") == 0 &&
	    wants(fl, lang, template_id, LOOKED_SMS_STOPPED,
		  "citizen.sms_stopped") &&
	    sms_stopped(fl, &lk->sms_stopped, error_r) < 0)
		return -1;
	/* the case this one was merged into (#slå-ihop) */
	if (fl->c.merged_into != 0 &&
	    wants(fl, lang, template_id, LOOKED_MERGED, "case.merged_into")) {
		char number[STORE_CASE_NUMBER_MAX];

		if (store_case_get_number(fl->store, fl->c.merged_into, number,
					  error_r) < 0)
			return -1;
		lk->merged = xstrdup(number);
	}
	return 0;
}

static int
render(struct flow *fl, const char *template_id, char **subject_r,
       char **body_r, char **error_r)
{
	char received[32], due[32], received_long[WHEN_LONG_SIZE];
	const char *lang = fl->lang != NULL ? fl->lang : fl->cf->set.language;
	const char *text = fl->in->shown_text != NULL ? fl->in->shown_text :
		fl->in->text != NULL ? fl->in->text : "";
	const struct lookups *lk = &fl->lk;
	char *subject;
	int ret;

	if (look_up(fl, lang, template_id, error_r) < 0)
		return -1;
	subject = text_excerpt(fl->c.subject != NULL ? fl->c.subject : "",
			       CASEFLOW_SUBJECT_SHOWN);

	when(fl->c.received_at, received);
	caseflow_when_long(fl->c.received_at, lang, received_long);
	/* "by Friday", not "by Monday 08:00"; a notice outside a run
	   (a delivery failure) by the case's workflow too */
	when(fl->wf != NULL ? due_shown(fl->wf, fl->c.due_at) :
	     caseflow_due_shown(fl->cf, fl->store, fl->c.workflow,
				fl->c.workflow_version, fl->c.due_at), due);
	/* the assignee's last day away (#borta), or "" */
	char away[LOCAL_DAY_SIZE] = "";

	if (fl->c.assignee_away != 0)
		local_day(fl->c.assignee_away - 1, away);
	/* the officer's closing and signature, and the text above them */
	const char *signoff = NULL;
	size_t above = reply_split_signoff(text, &signoff);
	char *unsigned_text = signoff != NULL ? xstrndup(text, above) : NULL;
	char *signer = signoff != NULL ? reply_signer(signoff) : NULL;
	char *signer_phone = signoff != NULL ? reply_signer_phone(signoff) :
			     NULL;

	/* a mail client's signature ("-- ", Eva Ek, Tel. 08-123 45 67),
	   which the text lost: the name and number the officer signs with
	   all the same */
	if (signer == NULL && fl->in->signature != NULL)
		signer = reply_signer(fl->in->signature);
	if (signer_phone == NULL && fl->in->signature != NULL)
		signer_phone = reply_signer_phone(fl->in->signature);

	/* By SMS the text stops above a plain sign-off: a mail signature's
	   title, office, telephone numbers, links and footer would cost
	   segments and read as spam. The template signs with the name. */
	if (fl->by_sms && unsigned_text != NULL &&
	    reply_plain_cut(text) == above)
		text = unsigned_text;
	/* the citizen's last text with the signature it came with, as
	   message.signature shows it: case.citizen_text is for officers */
	char *citizen_text = lk->citizen_text != NULL &&
		lk->citizen_signature != NULL ?
		xasprintf("%s\n\n%s\n%s", lk->citizen_text,
			  strcmp(lang, "en") == 0 ? "Signature:" : "Signatur:",
			  lk->citizen_signature) : NULL;
	const struct template_var vars[] = {
		{ "case.number", fl->c.number },
		{ "case.subject", subject },
		{ "case.received", received },
		{ "case.received_long", received_long },
		{ "case.closed", fl->c.closed_at != 0 ? "1" : "" },
		{ "message.sender", lk->sender != NULL ? lk->sender : "" },
		{ "case.last_answer", lk->last_answer != NULL ?
		  lk->last_answer : "" },
		{ "case.citizen_text", citizen_text != NULL ? citizen_text :
		  lk->citizen_text != NULL ? lk->citizen_text : "" },
		/* not to the officer who did it: "Eva Ek har gett dig" to
		   Eva after her own #tilldela eva */
		{ "sender.name", lk->officer != NULL &&
		  (fl->reader_id == 0 || fl->reader_id != fl->in->sender_id) ?
		  lk->officer : "" },
		{ "continues.last_answer", lk->cont_answer != NULL ?
		  lk->cont_answer : "" },
		{ "continues.handler", lk->cont_handler != NULL ?
		  lk->cont_handler : "" },
		{ "citizen.from", lk->from != NULL ? lk->from : "" },
		{ "citizen.number", lk->number != NULL ? lk->number : "" },
		{ "case.merged_into", lk->merged != NULL ? lk->merged : "" },
		{ "case.sms", strcmp(fl->c.channel, "sms") == 0 ? "1" : "" },
		{ "citizen.sms_stopped", lk->sms_stopped ? "1" : "" },
		{ "case.state", fl->c.state != NULL ? fl->c.state : "" },
		{ "case.category", fl->facts.category != NULL ?
		  fl->facts.category : "" },
		{ "case.priority", fl->facts.priority != NULL ?
		  fl->facts.priority : "normal" },
		{ "case.due", due },
		{ "municipality.name", fl->cf->set.municipality },
		{ "message.text", text },
		{ "message.signed", signoff != NULL ? "1" : "" },
		/* the text in two, for a template that puts its own words
		   between the officer's answer and their signature */
		{ "message.unsigned", unsigned_text != NULL ? unsigned_text :
		  text },
		{ "message.signoff", signoff != NULL ? signoff : "" },
		{ "message.signer", signer != NULL ? signer : "" },
		{ "message.signer_phone", signer_phone != NULL ?
		  signer_phone : "" },
		{ "handler.name", fl->c.assignee_name != NULL ?
		  fl->c.assignee_name : "" },
		{ "handler.away", away },
		{ "commands.help", fl->commands_help != NULL ?
		  fl->commands_help : "" },
		{ "reader.informed", fl->reader_informed ? "1" : "" },
		{ "reader.named", fl->reader_named ? "1" : "" },
		/* to handlers alone (notify_one sets the reader) */
		{ "message.signature", fl->reader_id != 0 &&
		  fl->in->citizen_signature != NULL ?
		  fl->in->citizen_signature : "" },
		{ "case.history", fl->history != NULL ? fl->history : "" },
		{ "citizen.language", fl->citizen_reads != NULL ?
		  fl->citizen_reads : "" },
		{ "citizen.cases", fl->citizen_cases != NULL ?
		  fl->citizen_cases : "" },
		{ "case.continues", fl->continues != NULL ?
		  fl->continues : "" },
		{ "case.mentions", fl->mentions != NULL ? fl->mentions : "" },
	};

	const struct template_var *all = vars;
	size_t nall = N_ELEMENTS(vars);
	struct template_var *with_timers = NULL;
	char *when_buf = NULL;

	/* timer.ID: when the case's timer ID fires, if armed, for "if we
	   have no answer by ..."; looked up only for a template that
	   shows one */
	if (fl->wf != NULL && fl->wf->ntimers > 0 &&
	    shows(fl, lang, template_id, "timer.")) {
		if (timer_vars(fl, lang, vars, N_ELEMENTS(vars), &with_timers,
			       &when_buf, error_r) < 0) {
			free(subject);
			free(unsigned_text);
			free(citizen_text);
			free(signer);
			free(signer_phone);
			return -1;
		}
		all = with_timers;
		nall = N_ELEMENTS(vars) + fl->wf->ntimers;
	}
	if (fl->cf->set.templates != NULL)
		ret = template_cache_render(fl->cf->set.templates, lang,
					    template_id, all, nall,
					    subject_r, body_r, error_r);
	else
		ret = template_render(fl->cf->set.template_dir, lang,
				      template_id, all, nall,
				      subject_r, body_r, error_r);
	if (with_timers != NULL)
		for (size_t i = N_ELEMENTS(vars); i < nall; i++)
			free((char *)with_timers[i].name);
	free(with_timers);
	free(when_buf);
	free(subject);
	free(unsigned_text);
	free(citizen_text);
	free(signer);
	free(signer_phone);
	return ret;
}

static char *
new_message_id(const struct flow *fl, const char *what)
{
	return mailout_message_id(fl->in->now, fl->c.number, what,
				  fl->cf->set.address);
}

/* Headers of mail to the citizen, as the outbox keeps them (UTF-8
   "Name: value" lines the sending gateway encodes). Mail that answers
   no message of the event (a command's or a timer's) continues the
   thread of the citizen's last mail all the same, with the citizen's
   first mail in References too: the citizen's own mails are in their
   sent folder, not beside ours, and the first one is what our
   acknowledgement answered, so that clients show the answer in the
   acknowledgement's thread. NAME is the citizen's, as they gave it,
   for To (mailout_compose). NULL on a database error (*error_r set). */
static char *
citizen_headers(const struct flow *fl, const char *to, const char *name,
		char **error_r)
{
	const struct caseflow_settings *set = &fl->cf->set;
	char *reply_to = NULL, *out, *last = NULL, *first = NULL;
	char *thread = NULL, *to_line;
	const char *threads = fl->in->thread_headers;

	if (threads == NULL) {
		int rc = store_case_citizen_thread(fl->store, fl->c.id, &first,
						   &last, error_r);

		if (rc < 0)
			return NULL;
		if (rc > 0 && strcmp(first, last) != 0)
			threads = thread = xasprintf("In-Reply-To: <%s>\n"
						     "References: <%s> <%s>\n",
						     last, first, last);
		else if (rc > 0)
			threads = thread = xasprintf("In-Reply-To: <%s>\n"
						     "References: <%s>\n",
						     last, last);
		free(first);
		free(last);
	}

	if (set->key != NULL && set->address != NULL)
		reply_to = token_address(set->key, set->address, fl->c.number,
					 0);
	/* A handler's answer is a person's: help desks and filters set
	   aside mail marked automatic, and it must reach the citizen. */
	/* a line of its own: a name is the citizen's words, and one
	   decoded from "=?utf-8?q?Anna=0AReply-To:...?=" must not add a
	   header field */
	to_line = name != NULL && *name != '\0' ?
		  mailout_row_mailbox("To", name, to) : xstrdup("");
	out = xasprintf("From: %s <%s>\n%s%s%s%s%s%s%s%s",
			set->municipality, set->address != NULL ? set->address :
			"cirm@cirm.invalid", to_line,
			reply_to != NULL ? "Reply-To: " : "",
			reply_to != NULL ? reply_to : "",
			reply_to != NULL ? "\n" : "",
			fl->in->written_by_handler ? "" : "Auto-Submitted: ",
			fl->in->written_by_handler ? "" :
			fl->in->thread_headers != NULL ? "auto-replied" :
			"auto-generated",
			fl->in->written_by_handler ? "" : "\n",
			threads != NULL ? threads : "");
	free(reply_to);
	free(thread);
	free(to_line);
	return out;
}

/* One outgoing message: a message row on the case and its outbox row,
   which takes the text from the message rather than storing it twice. */
static int
send_out(struct flow *fl, const char *channel, const char *recipient,
	 const char *visibility, const char *what, const char *headers,
	 const char *subject, const char *body, int64_t attachments_of,
	 const char *refused, char **error_r)
{
	int64_t msg, row = 0, now = fl->in->now;
	char *mid = strcmp(channel, "email") == 0 ?
		new_message_id(fl, what) : NULL;
	struct store_message_new m = {
		.direction = "out", .channel = channel,
		.visibility = visibility, .rfc_message_id = mid,
		.subject = subject, .body_stripped = body,
		.at = now,
	};
	struct store_outbox_new o = {
		.case_id = fl->c.id, .channel = channel, .recipient = recipient,
		.rfc_message_id = mid, .subject = subject, .headers = headers,
		.body_in_message = true, .at = now,
	};
	int ret = -1;

	if (store_message_add(fl->store, fl->c.id, &m, &msg, error_r) == 0 &&
	    (attachments_of == 0 ||
	     store_attachments_copy(fl->store, attachments_of, msg,
				    fl->in->attachments_withheld,
				    error_r) >= 0)) {
		o.message_id = msg;
		ret = store_outbox_add(fl->store, &o, &row, error_r);
	}
	if (ret == 0 && refused != NULL)
		ret = store_outbox_failed(fl->store, row, refused, error_r);
	free(mid);
	return ret;
}

/* The language the citizen of the case reads (theirs, as cirm guessed
   it from their first message or as set since), or NULL for the
   instance's; looked up once per run (#språk changes it only between
   runs). */
static const char *
citizen_language(struct flow *fl)
{
	char *kind = NULL, *err = NULL;

	if (fl->citizen_lang_known)
		return fl->citizen_lang;
	fl->citizen_lang_known = true;
	if (fl->c.citizen_id != 0 &&
	    store_contact_kind(fl->store, fl->c.citizen_id, &kind,
			       &fl->citizen_lang, &err) < 0)
		free(err);	/* the instance's language will do */
	free(kind);
	return fl->citizen_lang;
}

static int case_refers(struct flow *fl, char **error_r);

/* Whether TEMPLATE_ID has an SMS variant in the citizen's language. */
static bool
sms_variant(struct flow *fl, const char *template_id)
{
	const char *lang = citizen_language(fl);
	const char *reads = lang != NULL ? lang : fl->cf->set.language;
	char *name = xasprintf("%s.sms", template_id);
	bool has = fl->cf->set.templates != NULL ?
		template_cache_exists(fl->cf->set.templates, reads, name) :
		template_exists(fl->cf->set.template_dir, reads, name);

	free(name);
	return has;
}

/* Renders TEMPLATE_ID for the case's channel, in the citizen's
   language: for SMS its .sms variant when the template has one (else
   the mail template's text), with no subject. The citizen is told of
   their own closed case their mail continued (case.continues), never of
   another case it mentions. */
static int
render_for_channel(struct flow *fl, const char *template_id,
		   char **subject_r, char **body_r, char **error_r)
{
	const char *lang = citizen_language(fl);
	const char *reads = lang != NULL ? lang : fl->cf->set.language;
	char *name;
	int ret;

	fl->lang = reads;
	if (strcmp(fl->c.channel, "sms") == 0 && sms_variant(fl, template_id))
		name = xasprintf("%s.sms", template_id);
	else
		name = xstrdup(template_id);
	ret = shows(fl, reads, name, "case.continues") ?
		case_refers(fl, error_r) : 0;
	free(fl->mentions);	/* another's case: not the citizen's to read */
	fl->mentions = NULL;
	fl->by_sms = strcmp(fl->c.channel, "sms") == 0;
	if (ret == 0)
		ret = render(fl, name, subject_r, body_r, error_r);
	fl->by_sms = false;
	free(fl->continues);
	fl->continues = NULL;
	fl->continues_id = 0;
	fl->lang = NULL;
	free(name);
	if (ret == 0 && strcmp(fl->c.channel, "sms") == 0) {
		free(*subject_r);
		*subject_r = NULL;
		/* a no-break space from the officer's mail client, which
		   nobody can see to take out, would make it UCS-2 */
		gsm_plain_spaces(*body_r);
	}
	return ret;
}

/* The SMS segments BODY costs (*UCS2_R: in the dearer alphabet), or
   more than any limit for text no SMS can carry (a NUL, bad UTF-8). */
static int
sms_segments(const char *body, bool *ucs2_r)
{
	struct gsm_msg m;
	char *err = NULL;
	int n;

	*ucs2_r = false;
	if (gsm_encode(body, strlen(body), GSM_AUTO, &m, &err) < 0) {
		free(err);
		return GSM_PARTS_MAX + 1;
	}
	n = gsm_count_parts(&m, GSM_REF8);
	*ucs2_r = m.enc == GSM_UCS2;
	gsm_msg_clear(&m);
	return n < 0 ? GSM_PARTS_MAX + 1 : n;
}

/* The segments a case's SMS may cost: its workflow's sms-segments. */
static int
sms_limit(const struct flow *fl)
{
	return fl->wf != NULL ? fl->wf->sms_segments :
		WORKFLOW_SMS_SEGMENTS_DEFAULT;
}

/* Whether the mail rendered as SUBJECT and BODY from TEMPLATE_ID shows
   the text of the run (message.text) itself, not only a section kept
   because there is one: rendered again with the text changed, it comes
   out different. 1, 0, -1. */
static int
answer_shown(struct flow *fl, const char *template_id, const char *subject,
	     const char *body, char **error_r)
{
	const struct caseflow_input *in = fl->in;
	struct caseflow_input probe = *in;
	const char *text = in->shown_text != NULL ? in->shown_text : in->text;
	char *marked, *s = NULL, *b = NULL;
	int ret;

	if (text == NULL || text[0] == '\0')
		return 0;
	/* in front, which no excerpt cuts off */
	probe.shown_text = marked = xasprintf("#\n%s", text);
	fl->in = &probe;
	ret = render_for_channel(fl, template_id, &s, &b, error_r);
	fl->in = in;
	if (ret == 0)
		ret = strcmp(b, body) != 0 ||
		      (s != NULL && subject != NULL && strcmp(s, subject) != 0);
	free(marked);
	free(s);
	free(b);
	return ret;
}

/* Why the SMS BODY of TEMPLATE_ID, the text of its mail template (it
   has no SMS variant in the citizen's language), is not sent: it costs
   SEGMENTS, over the workflow's sms-segments. Read by the handler (as
   a network's reason is) and by the administrator, who may give the
   template an SMS variant. */
static char *
sms_refusal(struct flow *fl, const char *template_id, const char *body,
	    int segments, bool ucs2)
{
	const char *lang = citizen_language(fl);
	char *sv, *why;

	if (lang == NULL)
		lang = fl->cf->set.language;
	/* a language without it takes sv's (template_path): neither is */
	sv = strcmp(lang, "sv") != 0 ?
		xasprintf(" nor sv/%s.sms", template_id) : xstrdup("");
	why = xasprintf("not sent: too long for SMS, %zu characters costing "
			"%d segments (%s) where the workflow allows %d "
			"(sms-segments): the text of the mail template %s, "
			"as there is no %s/%s.sms%s", utf8_length(body),
			segments, ucs2 ? "UCS-2" : "GSM 7-bit", sms_limit(fl),
			template_id, lang, template_id, sv);
	free(sv);
	return why;
}

static int
do_reply(struct flow *fl, const struct workflow_action *a, char **error_r)
{
	const char *channel = fl->c.channel;
	bool sms = strcmp(channel, "sms") == 0;
	char *to = NULL, *name = NULL, *subject = NULL, *body = NULL;
	char *headers = NULL, *refused = NULL;
	const struct caseflow_input *in = fl->in;
	struct caseflow_input shown;
	/* a notification of the same event made it: it holds internal
	   notes, and workflow check refuses it in a citizen's template */
	char *history = fl->history;
	int carries = 0;
	/* the name with the address: mail is addressed to them by name */
	int rc = fl->c.citizen_id == 0 ? 0 :
		store_contact_first_named(fl->store, fl->c.citizen_id,
					  sms ? "phone" : "email", &to, &name,
					  error_r);
	int ret = -1;

	if (rc == 0)
		*error_r = xasprintf("reply %s: the citizen has no address on "
				     "channel %s", a->template_id, channel);
	/* A number that asked for no more SMS gets none: the reply is
	   noted on the case instead, for the handler to see. */
	if (rc > 0 && sms) {
		int out = store_sms_optout_has(fl->store, to, error_r);

		if (out != 0) {
			free(to);
			free(name);
			return out < 0 ? -1 :
				flow_event(fl, "reply.withheld", 0,
					   a->template_id);
		}
	}
	/* a note is for colleagues: the citizen's message.text is empty */
	shown = *in;
	if (in->internal) {
		shown.text = NULL;
		shown.shown_text = NULL;
	}
	fl->in = &shown;
	fl->history = NULL;
	if (rc > 0 && render_for_channel(fl, a->template_id, &subject, &body,
					 error_r) < 0)
		rc = -1;
	/* By SMS the handler's answer rides in the message only while the
	   two fit in the workflow's sms-segments together; else the message
	   goes without it, and the answer alone (answer.sms). */
	if (rc > 0 && sms && (shown.text != NULL || shown.shown_text != NULL)) {
		bool ucs2;
		int over = sms_segments(body, &ucs2) > sms_limit(fl) ?
			answer_shown(fl, a->template_id, subject, body,
				     error_r) : 0;

		if (over < 0)
			rc = -1;
		if (over > 0 && in->written_by_handler) {
			/* the officer's answer alone (answer_alone): without
			   its text it would be a signature; kept as failed,
			   so that the officer is told, never sent empty */
			int n = sms_segments(body, &ucs2);

			refused = xasprintf("not sent: too long for SMS, %zu "
					    "characters costing %d segments "
					    "(%s) where the workflow allows %d "
					    "(sms-segments): the case "
					    "officer's answer",
					    utf8_length(body), n,
					    ucs2 ? "UCS-2" : "GSM 7-bit",
					    sms_limit(fl));
		} else if (over > 0) {
			shown.text = NULL;
			shown.shown_text = NULL;
			free(subject);
			free(body);
			subject = body = NULL;
			if (render_for_channel(fl, a->template_id, &subject,
					       &body, error_r) < 0)
				rc = -1;
		}
	}
	/* The mail text of a template with no SMS variant, still over
	   sms-segments without the handler's answer: not a chain of SMS
	   (greeting, paragraphs, signature), but kept on the case as failed
	   at once, so that the workflow hears delivery.failed.sms and the
	   handler reads why. An SMS variant is written for SMS, and goes. */
	if (rc > 0 && sms && refused == NULL &&
	    !sms_variant(fl, a->template_id)) {
		bool ucs2;
		int n = sms_segments(body, &ucs2);

		if (n > sms_limit(fl))
			refused = sms_refusal(fl, a->template_id, body, n,
					      ucs2);
	}
	/* the handler's answer in this message, or in none of the run's */
	if (rc > 0 && refused == NULL && in->answer_sent != NULL) {
		carries = *in->answer_sent ? 0 :
			answer_shown(fl, a->template_id, subject, body, error_r);
		if (carries < 0)
			rc = -1;
		shown.written_by_handler = carries > 0;
		if (carries <= 0)
			shown.attachments_of = 0;
	}
	if (rc > 0 && !sms &&
	    (headers = citizen_headers(fl, to, name, error_r)) == NULL)
		rc = -1;
	if (rc > 0 && refused != NULL && in->delivery_failure) {
		char *why = xasprintf("%s: %s", a->template_id, refused);

		ret = flow_event(fl, "reply.withheld", 0, why);
		free(why);
		rc = 0;
	}
	if (rc > 0 &&
	    send_out(fl, channel, to, "public", a->template_id, headers,
		     subject, body, sms ? 0 : fl->in->attachments_of,
		     refused, error_r) == 0)
		/* a handler's answer names the handler: cirmctl report
		   counts the time to the first answer a person wrote */
		ret = refused != NULL ? 0 :
			flow_event(fl, "reply.sent",
				   fl->in->written_by_handler ?
				   fl->in->sender_id : 0, a->template_id);
	/* said only once it is on its way: a mail that failed (an action
	   that fails does not stop the run) leaves the answer to go alone */
	if (ret == 0 && carries > 0)
		*in->answer_sent = true;
	if (ret == 0 && in->citizen_sent != NULL)
		(*in->citizen_sent)++;
	fl->in = in;
	fl->history = history;
	free(refused);
	free(headers);
	free(to);
	free(name);
	free(subject);
	free(body);
	return ret;
}

/* The action fails for want of someone in the directory (WHY, WHO:
   caseflow_skip): recorded on the case, and the run goes on. */
static void
skip(struct flow *fl, enum caseflow_skip_why why, const char *who)
{
	fl->soft = true;
	fl->skip_why = why;
	fl->skip_who = who;
}

/* The group a role: or group: party names, or NULL (a role the
   workflow lacks, which workflow check refuses). */
static const char *
party_group_name(const struct flow *fl, const char *to)
{
	if (strncmp(to, "group:", 6) == 0)
		return to + 6;
	for (size_t i = 0; i < fl->wf->nroles; i++) {
		if (strcmp(fl->wf->roles[i].id, to + 5) == 0)
			return fl->wf->roles[i].group;
	}
	return NULL;
}

/* The group a role or group: party names. 1 with *id_r, 0, -1. */
static int
party_group(struct flow *fl, const char *to, int64_t *id_r, char **error_r)
{
	const char *name = party_group_name(fl, to);
	int rc;

	rc = name != NULL ? store_group_by_name(fl->store, name, id_r,
						error_r) : 0;
	if (rc == 0) {
		*error_r = xasprintf("%s: no handler group %s in the "
				     "directory", to, name != NULL ? name : "");
		skip(fl, CASEFLOW_NO_GROUP, name != NULL ? name : to);
	}
	return rc;
}

struct notify_ctx {
	struct flow *fl;
	const char *template_id;
	int line;
	bool group;	/* to="group:NAME": a reader may be one informed */
	bool named;	/* to="handler:LOGIN": so may the one it names */
	char *error;
	int sent;
};

int
caseflow_role_ok(struct store *store, const struct workflow *wf,
		 const struct workflow_command *c, int64_t handler,
		 char **error_r)
{
	if (c->roles.n == 0)
		return 1;
	for (size_t i = 0; i < c->roles.n; i++) {
		for (size_t j = 0; j < wf->nroles; j++) {
			int r;

			if (strcmp(wf->roles[j].id, c->roles.v[i]) != 0)
				continue;
			r = store_group_has_member(store, wf->roles[j].group,
						   handler, error_r);
			if (r != 0)
				return r;
		}
	}
	return 0;
}

int
caseflow_has_role(struct store *store, const struct workflow *wf,
		  int64_t handler, char **error_r)
{
	if (wf->nroles == 0)
		return 1;
	for (size_t j = 0; j < wf->nroles; j++) {
		int r = store_group_has_member(store, wf->roles[j].group,
					       handler, error_r);

		if (r != 0)
			return r;
	}
	return 0;
}

int
caseflow_role_workflows(const struct caseflow *cf, struct store *store,
			int64_t handler, struct strlist *ids, char **error_r)
{
	for (size_t i = 0; i < cf->n; i++) {
		const struct workflow *wf = cf->v[i];

		if (!cf->current[i])
			continue;
		for (size_t j = 0; j < wf->nroles; j++) {
			int r = store_group_has_member(store,
						       wf->roles[j].group,
						       handler, error_r);

			if (r < 0)
				return -1;
			if (r > 0) {
				strlist_add(ids, wf->id);
				break;
			}
		}
	}
	return 0;
}

/* The translation of command C into LANG, or NULL. */
static const struct workflow_translation *
command_translation(const struct workflow_command *c, const char *lang)
{
	for (size_t i = 0; i < c->ntr; i++) {
		if (strcmp(c->tr[i].lang, lang) == 0)
			return &c->tr[i];
	}
	return NULL;
}

/* The lines of L (cleared), joined and wrapped as mail composed in
   code is: a row of the list within 78 characters, the 72 of prose
   and six more (text_wrap), so that the list wrapped again in a
   transcript (mail_handler) stays as it is. */
static char *
wrapped(struct strlist *l)
{
	char *text = strlist_join(l), *out = text_wrap(text, 72);

	free(text);
	return out;
}

/* The commands handler HANDLER may use on the case now, one per line
   with its help: what notifications list, in the handler's language
   LANG (the workflow's words and help, or their translation into LANG
   where the workflow has one). A command for roles the handler has none
   of is left out: it would be refused. NULL on a database error
   (*error_r set). */
static char *
commands_help_text(struct flow *fl, int64_t handler, const char *lang,
		   char **error_r)
{
	bool en = strcmp(lang, "en") == 0;
	struct strlist words = { 0 }, helps = { 0 }, l = { 0 };
	size_t column = 0;

	/* a closed case (or one without its workflow) runs no command */
	for (size_t i = 0; fl->wf != NULL && fl->c.closed_at == 0 &&
			   i < fl->wf->ncommands; i++) {
		const struct workflow_command *c = &fl->wf->commands[i];
		const struct workflow_translation *tr;
		const char *word, *help;
		int rc;

		if (fl->run != NULL && !workflow_run_handles(fl->run, c->event))
			continue;
		rc = caseflow_role_ok(fl->store, fl->wf, c, handler, error_r);
		if (rc < 0) {
			strlist_clear(&words);
			strlist_clear(&helps);
			return NULL;
		}
		if (rc == 0)
			continue;
		tr = command_translation(c, lang);
		word = tr != NULL && tr->word != NULL ? tr->word : c->word;
		help = tr != NULL && tr->help != NULL ? tr->help : c->help;
		strlist_addf(&words, "#%s%s", word,
			     c->argument == WORKFLOW_ARG_HANDLER ?
			     (en ? " LOGIN" : " INLOGGNING") :
			     c->argument == WORKFLOW_ARG_WORD ?
			     (en ? " WORD" : " ORD") :
			     c->argument == WORKFLOW_ARG_CASE ?
			     (en ? " CASE" : " ÄRENDE") : "");
		strlist_add(&helps, help != NULL ? help : "");
	}
	strlist_add(&words, en ? "#note" : "#notering");
	strlist_add(&helps, en ? "Internal, not sent to the citizen" :
		    "Internt, går inte till invånaren");
	/* what a closed case still takes besides a note, and a plain
	   answer, which still goes to the citizen */
	if (fl->c.closed_at != 0) {
		strlist_add(&words, en ? "#category WORD" : "#kategori ORD");
		strlist_add(&helps, en ? "The case's category, for the "
			    "statistics" : "Ärendets kategori, för "
			    "statistiken");
		strlist_add(&words, en ? "#language sv|en" : "#språk sv|en");
		strlist_add(&helps, en ? "The language the citizen reads" :
			    "Språket invånaren läser");
		strlist_add(&words, en ? "#name NAME" : "#namn NAMN");
		strlist_add(&helps, en ? "The citizen's name" :
			    "Invånarens namn");
		strlist_add(&words, en ? "(no command)" : "(inget kommando)");
		strlist_add(&helps, en ? "Your text goes to the citizen; the "
			    "case stays closed" : "Din text går till "
			    "invånaren; ärendet förblir avslutat");
	}
	/* to someone outside, while open */
	if (fl->c.closed_at == 0 &&
	    (fl->wf == NULL ||
	     workflow_command(fl->wf, "vidarebefordra") == NULL)) {
		strlist_add(&words, en ? "#forward ADDRESS" :
			    "#vidarebefordra ADRESS");
		strlist_add(&helps, en ? "To someone outside: the text below "
			    "and the citizen's messages; their answer comes "
			    "to you" : "Till någon utanför: texten under och "
			    "invånarens meddelanden; svaret kommer till dig");
	}
	/* the standard answers in the citizen's language, while open
	   (unless the workflow has taken the word for its own command) */
	if (fl->c.closed_at == 0 && fl->cf->set.template_dir != NULL &&
	    (fl->wf == NULL || workflow_command(fl->wf, "mall") == NULL)) {
		const char *cl = citizen_language(fl);
		struct strlist names = { 0 };
		const struct strlist *cached;

		if (cl == NULL)
			cl = fl->cf->set.language != NULL ?
				fl->cf->set.language : "sv";
		/* read with the templates: not a directory listing for
		   every notification */
		cached = fl->cf->set.templates != NULL ?
			template_cache_answers(fl->cf->set.templates, cl) :
			NULL;
		if (cached == NULL)
			template_answers(fl->cf->set.template_dir, cl, &names);
		if (cached == NULL)
			cached = &names;
		if (cached->n > 0) {
			char *list = strlist_join_sep(cached, ", ");

			strlist_add(&words, en ? "#canned NAME" :
				    "#mall NAMN");
			strlist_addf(&helps, en ? "A standard answer into "
				     "the text to the citizen: %s" :
				     "Ett standardsvar i texten till "
				     "invånaren: %s", list);
			free(list);
		}
		strlist_clear(&names);
	}
	/* the helps in one column, as far right as the longest command
	   needs, counted in characters (Swedish letters are two bytes) */
	for (size_t i = 0; i < words.n; i++) {
		size_t w = utf8_length(words.v[i]);

		if (w > column)
			column = w;
	}
	for (size_t i = 0; i < words.n; i++)
		strlist_addf(&l, "  %s%*s%s%s\n", words.v[i],
			     helps.v[i][0] != '\0' ?
			     (int)(column - utf8_length(words.v[i])) : 0, "",
			     helps.v[i][0] != '\0' ? "  \xe2\x80\x94 " : "",
			     helps.v[i]);
	strlist_clear(&words);
	strlist_clear(&helps);
	return wrapped(&l);
}

static bool
same_text(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* commands_help_text, remembered for the rest of the transaction: a
   batch notifies the same few handlers of cases in the same few states
   again and again, and making the text (a query for each command's
   roles, and the formatting) took a tenth of an event's time on the
   events benchmark. What it depends on: the workflow, the case's
   states, whether it is closed, the handler and the two languages, and
   the handler's groups, which stay the same while
   store_groups_generation does. Outside a transaction nothing is
   remembered. A copy the caller frees, or NULL (*error_r). */
static char *
commands_help(struct flow *fl, int64_t handler, const char *lang,
	      char **error_r)
{
	struct caseflow *cf = fl->cf;
	uint64_t gen = store_groups_generation(fl->store);
	const char *states = fl->run != NULL ? fl->c.state : NULL;
	const char *cl = citizen_language(fl);
	bool closed = fl->c.closed_at != 0;
	struct help_memo *m;
	char *text;

	if (gen == 0)
		return commands_help_text(fl, handler, lang, error_r);
	if (gen != cf->help_gen) {
		help_forget(cf);
		cf->help_gen = gen;
	}
	for (size_t i = 0; i < cf->nhelp; i++) {
		m = &cf->help[i];
		if (m->store == fl->store && m->wf == fl->wf &&
		    m->handler == handler &&
		    m->closed == closed && same_text(m->states, states) &&
		    same_text(m->lang, lang) && same_text(m->citizen_lang, cl))
			return xstrdup(m->text);
	}
	text = commands_help_text(fl, handler, lang, error_r);
	/* the text made may have run a query that forgot the groups */
	if (text == NULL || cf->nhelp == HELP_MEMO ||
	    store_groups_generation(fl->store) != gen)
		return text;
	m = &cf->help[cf->nhelp++];
	*m = (struct help_memo){
		.store = fl->store, .wf = fl->wf, .handler = handler,
		.closed = closed,
		.states = states != NULL ? xstrdup(states) : NULL,
		.lang = lang != NULL ? xstrdup(lang) : NULL,
		.citizen_lang = cl != NULL ? xstrdup(cl) : NULL,
		.text = xstrdup(text),
	};
	return text;
}

struct history_ctx {
	struct strlist lines;
	bool en;	/* in English, else Swedish */
};

/* The line a message gets in the history: its text on one line (line
   breaks and runs of blanks as one space, so that "Hej!" on a line of
   its own is followed by what the mail is about), "<-" from the
   citizen, "->" to the citizen, and a handler's note under the
   handler's name, so that it never reads as the citizen's words. Mail
   is read at 72 columns: the text is cut, in characters, to what the
   line leaves it, and a name so long that it would leave less than
   HISTORY_TEXT_MIN is cut too. */
#define HISTORY_WIDTH 72
#define HISTORY_TEXT_MIN 16

static int
history_line(const struct store_message *m, void *ctx)
{
	struct history_ctx *h = ctx;
	char when_s[LOCAL_MINUTE_SIZE];
	/* a colleague's note is marked as one: it never went to the
	   citizen */
	bool internal = strcmp(m->visibility, "internal") == 0;
	const char *mark = m->refused ? caseflow_refused_mark(h->en) :
		m->forwarded_to != NULL ?
		(h->en ? "(forwarded)" : "(vidarebefordrat)") :
		m->sender != NULL && internal ?
		(h->en ? "(internal)" : "(intern)") : "";
	/* internal, in, and no officer's: an answer from outside (to a
	   #vidarebefordra), never to be read as the citizen's words */
	const char *sender = m->sender != NULL ? m->sender :
		internal && strcmp(m->direction, "in") == 0 ?
		(h->en ? "From outside" : "Utifrån") : NULL;
	char *lead, *text;
	size_t used;

	when(m->at, when_s);
	if (sender != NULL) {
		/* "  WHEN NAME MARK: ": the characters all but NAME take */
		size_t rest = utf8_length(when_s) + utf8_length(mark) +
			(*mark != '\0' ? 6 : 5);
		char *name = text_excerpt_chars(
			sender, rest + HISTORY_TEXT_MIN < HISTORY_WIDTH ?
			HISTORY_WIDTH - HISTORY_TEXT_MIN - rest : 1);

		lead = xasprintf("  %s %s%s%s: ", when_s, name,
				 *mark != '\0' ? " " : "", mark);
		free(name);
	} else {
		lead = xasprintf("  %s %s ", when_s,
				 strcmp(m->direction, "in") == 0 ? "<-" : "->");
	}
	used = utf8_length(lead);
	/* a photo with no text: said so, not a line that ends in "<-" */
	if (m->body == NULL || m->body[strspn(m->body, " \t\r\n")] == '\0')
		text = xstrdup(m->files ? (h->en ? "(files, no text)" :
					   "(filer, ingen text)") :
			       (h->en ? "(no text)" : "(ingen text)"));
	else
		text = text_excerpt_chars(m->body, used < HISTORY_WIDTH ?
					  HISTORY_WIDTH - used : 0);
	strlist_addf(&h->lines, "%s%s\n", lead, text);
	free(lead);
	free(text);
	return 0;
}

/* The newest messages of the case, one line each; EN: in English. */
static char *
case_history(struct flow *fl, bool en)
{
	struct history_ctx h = { { 0 }, en };
	char *err = NULL, *out;

	if (store_case_recent_messages(fl->store, fl->c.id, 5, history_line,
				       &h, &err) < 0) {
		free(err);
		strlist_clear(&h.lines);
		return xstrdup("");
	}
	out = strlist_join(&h.lines);
	return out;
}

static int
case_line(const struct store_case_line *c, void *ctx)
{
	strlist_addf(ctx, "  %s  %s\n", c->number,
		     c->subject != NULL ? c->subject : "");
	return 0;
}

/* Whether TEMPLATE_ID in LANG shows VAR (yes when read from files). */
static bool
shows(const struct flow *fl, const char *lang, const char *template_id,
      const char *var)
{
	return fl->cf->set.templates == NULL ||
	       template_cache_uses(fl->cf->set.templates, lang, template_id,
				   var);
}

static int
created_detail(const struct store_event *e, void *ctx)
{
	char **detail = ctx;

	if (strcmp(e->kind, "case.created") != 0)
		return 0;
	*detail = e->detail != NULL ? xstrdup(e->detail) : NULL;
	return 1;
}

/* The case number the case's case.created event names (mailin: the
   citizen's closed case the mail was a reply to, or a number in the
   subject of someone not party to it) into FL->continues when the
   citizen is a party to that case, else into FL->mentions. 0, or -1. */
static int
case_refers(struct flow *fl, char **error_r)
{
	char *detail = NULL;
	int64_t id;
	int found, party = 0;

	if (store_case_events(fl->store, fl->c.id, created_detail, &detail,
			      error_r) < 0)
		return -1;
	if (detail == NULL)
		return 0;
	/* a number no case has is mentioned all the same: the citizen
	   wrote it */
	if ((found = store_case_id(fl->store, detail, &id, error_r)) < 0 ||
	    (found > 0 && fl->c.citizen_id != 0 &&
	     (party = store_case_has_contact(fl->store, id, fl->c.citizen_id,
					     error_r)) < 0)) {
		free(detail);
		return -1;
	}
	if (party > 0) {
		fl->continues = detail;
		fl->continues_id = id;
	} else {
		fl->mentions = detail;
	}
	return 0;
}

/* The citizen's other open cases, newest first, a line each, of those
   handler CONTACT_ID may read (case_access), or NULL when there are
   none: a citizen who wrote again instead of answering has two cases,
   and the handler sees it at once. */
static char *
citizen_cases(struct flow *fl, int64_t contact_id, char **error_r)
{
	struct strlist roles = { 0 }, lines = { 0 };
	bool all = fl->cf->set.case_access_all;
	char *out = NULL;

	if (fl->c.citizen_id == 0)
		return xstrdup("");
	if ((all || caseflow_role_workflows(fl->cf, fl->store, contact_id,
					    &roles, error_r) == 0) &&
	    store_citizen_open_cases(fl->store, fl->c.citizen_id, fl->c.id,
				     CITIZEN_CASES_MAX, all ? 0 : contact_id,
				     &roles, case_line, &lines,
				     error_r) == 0) {
		size_t n;

		out = strlist_join(&lines);
		/* the template ends the last line */
		n = strlen(out);
		if (n > 0)
			out[n - 1] = '\0';
	}
	strlist_clear(&lines);
	strlist_clear(&roles);
	return out;
}

/* Whether handler CONTACT_ID, notified of the case as a member of a
   group (<notify to="group:NAME">) or by login (<notify
   to="handler:LOGIN">), may not work on it (case_access:
   neither assigned it, nor in its group, nor in a group its workflow
   gives a role): one told of it for its information, whose answer
   mailin keeps as a note (MAILIN_GROUP_ANSWER, which finds this
   notification in the history). Into *INFORMED_R. 0, or -1. */
static int
reader_informed(struct flow *fl, int64_t contact_id, bool *informed_r,
		char **error_r)
{
	struct strlist roles = { 0 };
	int r = 1;

	if (!fl->cf->set.case_access_all &&
	    (r = caseflow_role_workflows(fl->cf, fl->store, contact_id,
					 &roles, error_r)) == 0)
		r = store_case_readable(fl->store, fl->c.id, contact_id,
					&roles, error_r);
	strlist_clear(&roles);
	*informed_r = r == 0;
	return r < 0 ? -1 : 0;
}

/* Headers of a mail to handler CONTACT_ID about the case: from the
   municipality, with a Reply-To signed for that handler on the case
   (when there is a key). All of a case's notifications name one
   Message-ID of the case in References, one that no mail has, so that
   mail clients show them in one thread (as the notifications of issue
   trackers do), whatever their subjects. Caller frees. */
static char *
handler_headers(const struct flow *fl, int64_t contact_id)
{
	const struct caseflow_settings *set = &fl->cf->set;
	const char *at = set->address != NULL ? strrchr(set->address, '@') :
		NULL;
	char *reply_to = NULL, *headers;

	if (set->key != NULL && set->address != NULL)
		reply_to = token_address(set->key, set->address, fl->c.number,
					 contact_id);
	headers = xasprintf("From: %s <%s>\n%s%s%sAuto-Submitted: "
			    "auto-generated\nReferences: <%s.case%s>\n",
			    set->municipality,
			    set->address != NULL ? set->address :
			    "cirm@cirm.invalid",
			    reply_to != NULL ? "Reply-To: " : "",
			    reply_to != NULL ? reply_to : "",
			    reply_to != NULL ? "\n" : "", fl->c.number,
			    at != NULL ? at : "@cirm.invalid");
	free(reply_to);
	return headers;
}

/* The name of language CODE in English (EN) or Swedish: what a
   notification tells the handler the citizen reads. */
static const char *
language_name(const char *code, bool en)
{
	if (strcmp(code, "en") == 0)
		return en ? "English" : "engelska";
	if (strcmp(code, "sv") == 0)
		return en ? "Swedish" : "svenska";
	return code;
}

/* One notification to handler CONTACT_ID at ADDRESS, whose Reply-To is
   signed for that handler on this case, in the handler's language. */
static int
notify_one(int64_t contact_id, const char *address, void *ctx)
{
	struct notify_ctx *n = ctx;
	struct flow *fl = n->fl;
	char *subject = NULL, *body = NULL, *headers, *kind = NULL;
	char *lang = NULL, *help;
	const char *reads;
	bool en;
	int ret;

	if (store_contact_kind(fl->store, contact_id, &kind, &lang,
			       &n->error) < 0)
		return -1;
	free(kind);
	en = strcmp(lang != NULL ? lang : fl->cf->set.language, "en") == 0;
	if (fl->history == NULL || fl->history_en != en) {
		free(fl->history);
		fl->history = case_history(fl, en);
		fl->history_en = en;
	}
	/* a role's members may read its workflow's cases, an assignee
	   theirs: only a group: or handler: notification asks */
	fl->reader_informed = false;
	if ((n->group || n->named) &&
	    reader_informed(fl, contact_id, &fl->reader_informed,
			    &n->error) < 0) {
		free(lang);
		return -1;
	}
	fl->reader_named = n->named && fl->reader_informed;
	/* none of the commands are theirs: a reply with one is set aside */
	help = fl->reader_informed ? xstrdup("") :
		commands_help(fl, contact_id, lang != NULL ? lang :
			      fl->cf->set.language, &n->error);
	if (help == NULL) {
		free(lang);
		return -1;
	}
	reads = citizen_language(fl);
	if (shows(fl, lang != NULL ? lang : fl->cf->set.language,
		  n->template_id, "citizen.cases") &&
	    (fl->citizen_cases = citizen_cases(fl, contact_id,
					       &n->error)) == NULL) {
		free(help);
		free(lang);
		return -1;
	}
	if ((shows(fl, lang != NULL ? lang : fl->cf->set.language,
		   n->template_id, "case.continues") ||
	     shows(fl, lang != NULL ? lang : fl->cf->set.language,
		   n->template_id, "case.mentions") ||
	     shows(fl, lang != NULL ? lang : fl->cf->set.language,
		   n->template_id, "continues.")) &&
	    case_refers(fl, &n->error) < 0) {
		free(fl->citizen_cases);
		fl->citizen_cases = NULL;
		free(help);
		free(lang);
		return -1;
	}
	fl->commands_help = help;
	fl->lang = lang;
	fl->reader_id = contact_id;
	if (reads != NULL && strcmp(reads, fl->cf->set.language) != 0)
		fl->citizen_reads = language_name(reads, en);
	ret = render(fl, n->template_id, &subject, &body, &n->error);
	fl->commands_help = NULL;
	fl->lang = NULL;
	fl->reader_id = 0;
	fl->reader_informed = false;
	fl->reader_named = false;
	fl->citizen_reads = NULL;
	free(fl->citizen_cases);
	fl->citizen_cases = NULL;
	free(fl->continues);
	free(fl->mentions);
	fl->continues = fl->mentions = NULL;
	fl->continues_id = 0;
	free(help);
	free(lang);
	if (ret < 0)
		return -1;
	headers = handler_headers(fl, contact_id);
	ret = send_out(fl, "email", address, "internal", "notify", headers,
		       subject, body, fl->in->files_of, NULL, &n->error);
	free(headers);
	free(subject);
	free(body);
	return ret;
}

/* An action of the workflow's line LINE failed for a reason of the
   workflow or the directory (ERR): the log and the case's history say
   so. */
static void
action_failed(struct flow *fl, int line, const char *err)
{
	flow_warn(fl->cf, "case %s: %s:%d: %s", fl->c.number,
		  fl->wf != NULL ? fl->wf->name : "-", line, err);
	flow_event(fl, "action.failed", 0, err);
}

/* Notes a notification to CONTACT_ID at ADDRESS for flush_notices. */
static int
queue_notice(int64_t contact_id, const char *address, void *ctx)
{
	struct notify_ctx *n = ctx;
	struct flow *fl = n->fl;

	fl->notices = xrealloc(fl->notices, (fl->nnotices + 1) *
			       sizeof(*fl->notices));
	fl->notices[fl->nnotices++] = (struct pending_notice){
		.template_id = xstrdup(n->template_id), .contact_id = contact_id,
		.address = xstrdup(address), .line = n->line,
		.group = n->group, .named = n->named,
	};
	n->sent++;
	return 0;
}

static void
notices_clear(struct flow *fl)
{
	for (size_t i = 0; i < fl->nnotices; i++) {
		free(fl->notices[i].template_id);
		free(fl->notices[i].address);
	}
	free(fl->notices);
	fl->notices = NULL;
	fl->nnotices = 0;
}

/* Writes the notifications the run's actions asked for, now that it has
   ended: a notification lists the commands of the state the case is in
   now, its deadline and state as they are now, not as they were halfway
   through a transition (the reopened case's notice offered #notering
   alone). A template that does not render is recorded on the case
   (action.failed) and logged; the others go. 0, or -1 when the database
   fails (*error_r). */
static int
flush_notices(struct flow *fl, char **error_r)
{
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < fl->nnotices; i++) {
		const struct pending_notice *p = &fl->notices[i];
		struct notify_ctx n = { .fl = fl, .template_id = p->template_id,
					.group = p->group,
					.named = p->named };

		if (notify_one(p->contact_id, p->address, &n) == 0)
			continue;
		if (store_busy(fl->store)) {
			*error_r = n.error;
			ret = -1;
		} else {
			action_failed(fl, p->line, n.error);
			free(n.error);
		}
	}
	notices_clear(fl);
	return ret;
}

static int
do_notify(struct flow *fl, const struct workflow_action *a, char **error_r)
{
	struct notify_ctx n = { .fl = fl, .template_id = a->template_id,
				.line = a->line,
				.group = strncmp(a->to, "group:", 6) == 0,
				.named = strncmp(a->to, "handler:", 8) == 0 };
	char *addr = NULL;
	int64_t id = 0;
	int rc = 1, ret = -1;

	if (strcmp(a->to, "assignee") == 0) {
		/* a disabled assignee (who left): the group, as if none */
		id = fl->c.assignee_active ? fl->c.assignee_id : 0;
		if (id == 0 && fl->c.group_id != 0)
			rc = store_group_emails(fl->store, fl->c.group_id,
						queue_notice, &n, &n.error);
	} else if (strncmp(a->to, "handler:", 8) == 0) {
		rc = store_handler_by_login(fl->store, a->to + 8, &id, error_r);
		if (rc == 0) {
			*error_r = xasprintf("%s: no such handler", a->to);
			skip(fl, CASEFLOW_NO_HANDLER, a->to + 8);
			rc = -1;
		}
	} else if ((rc = party_group(fl, a->to, &id, error_r)) > 0) {
		rc = store_group_emails(fl->store, id, queue_notice, &n,
					&n.error);
		id = 0;
	} else {
		rc = -1;
	}
	if (rc >= 0 && id != 0 &&
	    (rc = store_contact_first(fl->store, id, "email", &addr,
				      error_r)) > 0)
		rc = queue_notice(id, addr, &n);
	if (n.error != NULL) {
		free(*error_r);
		*error_r = n.error;
		rc = -1;
	}
	/* A group nobody is in (yet), or a case with neither an officer
	   nor a group: the notification reaches nobody, and the case
	   waits unseen. Skipped as for a group the directory lacks: the
	   history and cirmctl status say so, not "notify". */
	if (rc >= 0 && n.sent == 0) {
		bool handler = strncmp(a->to, "handler:", 8) == 0;
		bool assignee = strcmp(a->to, "assignee") == 0;
		/* an officer found (ID) but not reached: no address */
		enum caseflow_skip_why why = handler || id != 0 ?
			CASEFLOW_NO_ADDRESS : assignee && fl->c.group_id == 0 ?
			CASEFLOW_NO_OFFICER : CASEFLOW_NOBODY;

		*error_r = xasprintf("%s: reached nobody: %s", a->to,
				     why == CASEFLOW_NO_ADDRESS ?
				     "the case officer has no mail address" :
				     why == CASEFLOW_NO_OFFICER ?
				     "the case has neither a case officer "
				     "nor a group" : "no active case officer "
				     "with an address in the group");
		skip(fl, why, handler ? a->to + 8 : assignee ? NULL :
		     party_group_name(fl, a->to));
		rc = -1;
	}
	/* the history says where it went: not to an assignee away */
	if (rc >= 0)
		ret = flow_event(fl, "notify", 0, strcmp(a->to, "assignee") ==
				 0 && fl->c.assignee_id != 0 &&
				 !fl->c.assignee_active ?
				 "assignee's group (the assignee is away or "
				 "has left)" : a->to);
	free(addr);
	return ret;
}

/* A notice on the case to officer ID at ADDR, its BODY wrapped as the
   templates' notifications are written, with a Reply-To signed for
   them. 0, or -1. */
static int
send_notice(struct flow *fl, int64_t id, const char *addr,
	    const char *subject, const char *body, char **error_r)
{
	char *wrapped = text_wrap(body, 72), *headers = handler_headers(fl, id);
	int rc = send_out(fl, "email", addr, "internal", "notify", headers,
			  subject, wrapped, 0, NULL, error_r);

	free(wrapped);
	free(headers);
	return rc;
}

/* Tells FORMER, who had the case until someone else gave it to NOW_ID
   (0: nobody, back to the queue), in FORMER's language; the Reply-To is
   signed for FORMER, so that #ta in a reply takes it back. */
static int
tell_former_assignee(struct flow *fl, int64_t former, int64_t now_id,
		     char **error_r)
{
	char *addr = NULL, *name = NULL, *subject = NULL, *body = NULL;
	const char *subj = fl->c.subject != NULL ? fl->c.subject : "";
	bool en;
	int rc = store_officer_mail(fl->store, former, &addr, &en, error_r);

	if (rc > 0 && now_id != 0)
		rc = store_contact_name(fl->store, now_id, &name, error_r);
	if (rc <= 0)
		goto out;
	if (now_id != 0) {
		subject = xasprintf(en ? "The case has a new case officer "
				    "[%s] %s" : "Ärendet har fått en ny "
				    "handläggare [%s] %s", fl->c.number, subj);
		body = xasprintf(en ? "The case %s (%s) is now handled by %s, no "
				 "longer by you; you get no more notifications "
				 "of it as its case officer.\n\nTo take it back, "
				 "reply to this mail with #take.\n" :
				 "Ärendet %s (%s) handläggs nu av %s, inte längre "
				 "av dig; du får inga fler aviseringar om det som "
				 "dess handläggare.\n\nVill du ta tillbaka det: "
				 "svara på det här mejlet med #ta.\n",
				 fl->c.number, subj, name);
	} else {
		subject = xasprintf(en ? "The case went back to the queue "
				    "[%s] %s" : "Ärendet har gått tillbaka till "
				    "kön [%s] %s", fl->c.number, subj);
		body = xasprintf(en ? "The case %s (%s) no longer has a case "
				 "officer and waits for its group again; you get "
				 "no more notifications of it as its case "
				 "officer.\n\nTo take it back, reply to this mail "
				 "with #take.\n" :
				 "Ärendet %s (%s) har inte längre någon "
				 "handläggare och väntar på sin grupp igen; du får "
				 "inga fler aviseringar om det som dess "
				 "handläggare.\n\nVill du ta tillbaka det: svara "
				 "på det här mejlet med #ta.\n",
				 fl->c.number, subj);
	}
	rc = send_notice(fl, former, addr, subject, body, error_r);
out:
	free(addr);
	free(name);
	free(subject);
	free(body);
	return rc < 0 ? -1 : 0;
}

/* Tells the case officer who took the case (#ta, or #tilldela of
   themselves) that FORMER, an active colleague, had it: a notification
   answered may have said "ingen ännu", and two would then work on one
   case. How to give it back is said too. 0, or -1. */
static int
tell_taker(struct flow *fl, int64_t taker, int64_t former, char **error_r)
{
	char *addr = NULL, *name = NULL, *login = NULL, *subject = NULL;
	char *body = NULL;
	const char *subj = fl->c.subject != NULL ? fl->c.subject : "";
	bool en;
	int rc = store_officer_mail(fl->store, taker, &addr, &en, error_r);

	if (rc > 0)
		rc = store_contact_name(fl->store, former, &name, error_r);
	if (rc > 0)
		rc = store_contact_login(fl->store, former, &login, error_r);
	if (rc <= 0)
		goto out;
	subject = xasprintf(en ? "You took over the case [%s] %s" :
			    "Du har tagit över ärendet [%s] %s", fl->c.number,
			    subj);
	body = xasprintf(en ? "%s had the case %s (%s). It is yours now, and "
			 "%s has been told.\n\nIf that was a mistake, reply "
			 "to this mail with #assign %s to give it back.\n" :
			 "%s hade ärendet %s (%s). Nu är det ditt, och %s har "
			 "fått veta det.\n\nVar det ett misstag: svara på det "
			 "här mejlet med #tilldela %s så går det tillbaka.\n",
			 name, fl->c.number, subj, name, login);
	rc = send_notice(fl, taker, addr, subject, body, error_r);
out:
	free(addr);
	free(name);
	free(login);
	free(subject);
	free(body);
	return rc < 0 ? -1 : 0;
}

static int
do_assign(struct flow *fl, const struct workflow_action *a, char **error_r)
{
	int64_t id = 0, group = 0;
	int rc = 1;

	if (strcmp(a->to, "none") == 0)
		id = 0;
	else if (strcmp(a->to, "sender") == 0)
		id = fl->in->sender_id;
	else if (strncmp(a->to, "handler:", 8) == 0)
		rc = store_handler_by_login(fl->store, a->to + 8, &id, error_r);
	else if (strcmp(a->to, "argument") == 0)
		rc = fl->in->argument == NULL ? 0 :
			store_handler_by_login(fl->store, fl->in->argument, &id,
					       error_r);
	else if ((rc = party_group(fl, a->to, &group, error_r)) > 0)
		rc = store_group_next_member(fl->store, group, &id, error_r);
	if (rc == 0 && *error_r == NULL) {
		/* the directory has nobody for it: noted on the case (a
		   group missing is, by party_group) */
		*error_r = xasprintf("assign %s: nobody to assign", a->to);
		if (group != 0)
			skip(fl, CASEFLOW_NOBODY, party_group_name(fl, a->to));
		else
			skip(fl, CASEFLOW_NO_HANDLER,
			     strcmp(a->to, "argument") == 0 ?
			     fl->in->argument : a->to + 8);
	}
	if (rc <= 0)
		return -1;
	/* the assignee at once (round robin counts each member's open
	   cases by it), the group with the state when the run ends */
	if (store_case_set_int(fl->store, fl->c.id, "assignee_id", id,
			       error_r) < 0)
		return -1;
	/* an active assignee who did not give the case away is told */
	if (fl->c.assignee_id != 0 && fl->c.assignee_id != id &&
	    fl->c.assignee_active && fl->c.assignee_id != fl->in->sender_id &&
	    tell_former_assignee(fl, fl->c.assignee_id, id, error_r) < 0)
		return -1;
	/* ...and one who took it from them knows whose it was */
	if (fl->c.assignee_id != 0 && fl->c.assignee_id != id &&
	    fl->c.assignee_active && id != 0 && id == fl->in->sender_id &&
	    tell_taker(fl, id, fl->c.assignee_id, error_r) < 0)
		return -1;
	fl->c.assignee_id = id;
	fl->c.assignee_active = id != 0; /* found among active handlers */
	fl->c.assignee_away = 0;	 /* ...who are present */
	fl->facts.assigned = id != 0;
	/* what the notifications of this run say: the new assignee */
	free(fl->c.assignee_name);
	fl->c.assignee_name = NULL;
	if (id != 0 && store_contact_name(fl->store, id, &fl->c.assignee_name,
					  error_r) < 0)
		return -1;
	if (group != 0)
		fl->c.group_id = group;
	return flow_event(fl, "assigned", id, a->to);
}

/* Sets a field of the case as the run sees it (fl->c); flow_run writes
   the fields with the state when the run ends. */
static int
do_set(struct flow *fl, const struct workflow_action *a, char **error_r)
{
	int rc = 0;

	if (strcmp(a->field, "priority") == 0) {
		free(fl->c.priority);
		fl->c.priority = xstrdup(a->value);
		fl->facts.priority = fl->c.priority;
	} else if (strcmp(a->field, "category") == 0) {
		const char *v = strcmp(a->value, "argument") == 0 ?
			fl->in->argument : a->value;

		free(fl->c.category);
		fl->c.category = v != NULL ? xstrdup(v) : NULL;
		fl->facts.category = fl->c.category;
	} else if (strcmp(a->field, "group") == 0) {
		int64_t g = 0;

		rc = party_group(fl, a->value, &g, error_r) > 0 ? 0 : -1;
		if (rc == 0)
			fl->c.group_id = g;
	} else {
		struct calendar_duration d;
		int64_t due = 0, from = fl->in->now;

		/* A case's first run counts its due date from when the
		   citizen's message reached the municipality (förvaltningslagen
		   22 §), which for a forward or a backlog after an outage is
		   before cirm took it; timers count from now, as a state is
		   entered now. */
		if (fl->fresh && fl->c.received_at > 0 &&
		    fl->c.received_at < from)
			from = fl->c.received_at;
		if (a->after != NULL && a->after[0] != '\0' &&
		    (calendar_duration_parse(a->after, &d, error_r) < 0 ||
		     calendar_add(fl->wf->calendar, from, &d, &due,
				  error_r) < 0))
			rc = -1;
		if (rc == 0)
			fl->c.due_at = due;
	}
	if (rc < 0)
		return -1;
	return flow_event(fl, "set", 0, a->field);
}

/* Logs a skipped action (see struct skip_log). With more actions than
   it keeps, the one skipped longest ago goes, saying first how many
   cases it was skipped for unlogged. */
static void
log_skipped(struct flow *fl, int line, const char *err)
{
	struct caseflow *cf = fl->cf;
	struct skip_log *s = NULL, *oldest = &cf->skips[0];
	time_t now = time(NULL);

	for (size_t i = 0; i < SKIP_LOG_ACTIONS && s == NULL; i++) {
		if (cf->skips[i].wf == fl->wf && cf->skips[i].line == line)
			s = &cf->skips[i];
		else if (cf->skips[i].seen < oldest->seen)
			oldest = &cf->skips[i];
	}
	if (s != NULL) {
		s->seen = now;
		if (now >= s->at && now - s->at < SKIP_LOG_INTERVAL) {
			s->quiet++;
			return;
		}
	} else {
		s = oldest;
		if (s->wf != NULL && s->quiet > 0)
			flow_warn(cf, "%s:%d: skipped for %lu more cases",
				  s->wf->name, s->line, s->quiet);
		s->wf = fl->wf;
		s->line = line;
		s->seen = now;
		s->quiet = 0;
	}
	if (s->quiet > 0)
		flow_warn(cf, "case %s: %s:%d: %s (also skipped for %lu other "
			  "cases since the last such line)", fl->c.number,
			  fl->wf->name, line, err, s->quiet);
	else
		flow_warn(cf, "case %s: %s:%d: %s", fl->c.number,
			  fl->wf->name, line, err);
	s->at = now;
	s->quiet = 0;
}

static int
host_action(void *ctx, const struct workflow_action *a, char **error_r)
{
	struct flow *fl = ctx;
	char *err = NULL;
	int ret = 0;

	if (fl->error != NULL)
		return 0;
	switch (a->kind) {
	case WORKFLOW_REPLY:
		ret = do_reply(fl, a, &err);
		break;
	case WORKFLOW_NOTIFY:
		ret = do_notify(fl, a, &err);
		break;
	case WORKFLOW_ASSIGN:
		ret = do_assign(fl, a, &err);
		break;
	case WORKFLOW_SET:
		ret = do_set(fl, a, &err);
		break;
	case WORKFLOW_LOG:
		ret = flow_event(fl, "log", 0, a->value);
		break;
	}
	if (ret < 0 && fl->soft) {
		/* a handler or group missing from the directory: the case
		   history and the log say so, the workflow goes on */
		fl->soft = false;
		log_skipped(fl, a->line, err);
		flow_event(fl, "action.skipped", 0, err);
		if (fl->in->skipped != NULL) {
			struct caseflow_skips *k = fl->in->skipped;

			k->v = xrealloc(k->v, (k->n + 1) * sizeof(*k->v));
			k->v[k->n++] = (struct caseflow_skip){
				.what = a->kind == WORKFLOW_ASSIGN ?
					CASEFLOW_SKIP_ASSIGN :
					a->kind == WORKFLOW_SET ?
					CASEFLOW_SKIP_SET_GROUP :
					CASEFLOW_SKIP_NOTIFY,
				.why = fl->skip_why,
				.who = fl->skip_who != NULL ?
				       xstrdup(fl->skip_who) : NULL,
				.detail = err,
			};
			err = NULL;
		}
		free(err);
		return 0;
	}
	if (ret < 0 && store_busy(fl->store)) {
		/* the database failed: the whole call fails, nothing of it
		   is committed */
		fl->error = err;
		return 0;
	}
	if (ret < 0) {
		/* a problem of the workflow or the directory of handlers:
		   recorded on the case, error.execution raised */
		action_failed(fl, a->line, err);
		*error_r = err;
		return -1;
	}
	return 0;
}

static void
arm_timer(void *ctx, const struct workflow_timer *t)
{
	struct flow *fl = ctx;
	int64_t due;
	char *err = NULL;

	if (fl->error != NULL)
		return;
	if (calendar_add(t->calendar, fl->in->now, &t->after, &due, &err) < 0 ||
	    store_timer_arm(fl->store, fl->c.id, t->id, t->state, t->event, due,
			    fl->in->now, !fl->fresh ||
			    strlist_has(&fl->armed_names, t->id), &err) < 0) {
		fl->error = err;
		return;
	}
	if (fl->fresh) {
		strlist_add(&fl->armed_names, t->id);
		strlist_add(&fl->armed_states, t->state);
	}
}

static void
host_state(void *ctx, const char *id, bool entered)
{
	struct flow *fl = ctx;
	char *err = NULL;

	if (fl->error != NULL)
		return;
	/* Only entering a state with timers of its own arms any (here, or
	   cirmctl workflow migrate for the version the case moves to), so
	   leaving a state without has none to drop: no query. */
	if (entered)
		workflow_state_timers(fl->wf, id, arm_timer, fl);
	else if (workflow_state_has_timers(fl->wf, id) &&
		 (!fl->fresh || strlist_has(&fl->armed_states, id)) &&
		 store_timer_drop(fl->store, fl->c.id, id, &err) < 0)
		fl->error = err;
}

/* Frees what a flow opened with flow_open holds. */
static void
flow_clear(struct flow *fl)
{
	free(fl->sender_names);
	free(fl->history);
	free(fl->citizen_lang);
	lookups_clear(&fl->lk);
	store_case_flow_clear(&fl->c);
}

/* The last messages of the sender on the case whose sign-offs name
   them (caseflow_known_names) */
#define KNOWN_NAMES_TEXTS 5

int
caseflow_known_names(struct store *store, int64_t contact, int64_t case_id,
		     const char *from_name, char **names_r, char **error_r)
{
	struct store_contact c;
	struct strlist texts = { 0 }, names = { 0 };

	*names_r = NULL;
	memset(&c, 0, sizeof(c));
	if (contact != 0 &&
	    (store_contact_get(store, contact, &c, error_r) < 0 ||
	     (case_id != 0 &&
	      store_case_texts_by(store, case_id, contact, KNOWN_NAMES_TEXTS,
				  &texts, error_r) < 0))) {
		store_contact_clear(&c);
		strlist_clear(&texts);
		return -1;
	}
	if (c.name != NULL && *c.name != '\0')
		strlist_add(&names, c.name);
	if (from_name != NULL && *from_name != '\0')
		strlist_add(&names, from_name);
	for (size_t i = 0; i < texts.n; i++) {
		const char *signoff = NULL;
		char *signer;

		(void)reply_split_signoff(texts.v[i], &signoff);
		if (signoff != NULL && (signer = reply_signer(signoff)) != NULL) {
			strlist_add(&names, signer);
			free(signer);
		}
	}
	if (names.n > 0)
		*names_r = strlist_join_sep(&names, " ");
	store_contact_clear(&c);
	strlist_clear(&texts);
	strlist_clear(&names);
	return 0;
}

/* The names the sender of the event's text is known by, for thanks()
   (caseflow_known_names): asked only when a text is no thank-you
   without them, once. NULL when none is known, or after a database
   failure, which fails the call. */
static const char *
flow_sender_names(void *ctx)
{
	struct flow *fl = ctx;
	char *err = NULL;

	if (fl->names_asked)
		return fl->sender_names;
	fl->names_asked = true;
	if (caseflow_known_names(fl->store, fl->in->sender_id, fl->c.id,
				 fl->in->from_name, &fl->sender_names,
				 &err) < 0) {
		if (fl->error == NULL)
			fl->error = err;
		else
			free(err);
	}
	return fl->sender_names;
}

/* Loads the case into FL. 1, 0 when there is no such case, -1. */
static int
flow_open(struct flow *fl, struct caseflow *cf, struct store *store,
	  int64_t case_id, const struct caseflow_input *in, char **error_r)
{
	int rc;

	memset(fl, 0, sizeof(*fl));
	fl->cf = cf;
	fl->store = store;
	fl->in = in;
	rc = store_case_flow_get(store, case_id, &fl->c, error_r);
	if (rc <= 0)
		return rc;
	fl->facts.channel = in->channel != NULL ? in->channel : fl->c.channel;
	fl->facts.text = in->text;
	fl->facts.category = fl->c.category;
	fl->facts.priority = fl->c.priority;
	fl->facts.assigned = fl->c.assignee_id != 0;
	fl->facts.sender_names = flow_sender_names;
	fl->facts.names_ctx = fl;
	return 1;
}

/* Runs FN on the case's run and saves where it ended. */
static int
flow_run(struct flow *fl, const char *event, char **error_r)
{
	struct workflow_host host = { host_action, host_state, fl };
	struct workflow_run *run = workflow_run_new(fl->wf, &fl->facts, &host);
	char *before = fl->c.state != NULL ? xstrdup(fl->c.state) : NULL;
	char *states = NULL;
	int ret;

	fl->run = run;
	if (event == NULL)
		ret = workflow_run_start(run, error_r);
	else
		ret = workflow_run_restore(run, fl->c.state, error_r) < 0 ||
			workflow_run_send(run, event, error_r) < 0 ? -1 : 0;
	if (ret == 0 && fl->error != NULL) {
		*error_r = fl->error;
		fl->error = NULL;
		ret = -1;
	}
	if (ret == 0) {
		char *was = fl->c.state;

		states = workflow_run_states(run);
		fl->c.state = states;	/* case.state in the notifications */
		ret = flush_notices(fl, error_r);
		fl->c.state = was;
	}
	if (ret == 0) {
		struct store_case_fields fields = {
			fl->c.priority, fl->c.category, fl->c.group_id,
			fl->c.due_at,
		};

		/* an event leaves an open case on its workflow version (the
		   one it was read with): only the state can change */
		ret = event == NULL ?
			store_case_flow_set(fl->store, fl->c.id, fl->wf->id,
					    fl->wf->version, states,
					    workflow_run_done(run), fl->in->now,
					    &fields, error_r) :
			store_case_state_set(fl->store, fl->c.id, before,
					     states, workflow_run_done(run),
					     fl->in->now, &fields, error_r);
	}
	if (ret == 0) {
		struct store_event_new *e;

		flow_event(fl, event != NULL ? event : "workflow.start",
			   fl->in->sender_id, NULL);
		/* first in the history, then what its actions did: "cmd.take
		   registrerad -> tilldelad" above the reply it sent */
		e = &fl->events[fl->nevents - 1];
		{
			struct store_event_new main = *e;

			memmove(fl->events + 1, fl->events,
				(fl->nevents - 1) * sizeof(*fl->events));
			fl->events[0] = main;
			e = &fl->events[0];
		}
		e->from_state = before;
		e->to_state = states;
		before = states = NULL;
		ret = flow_events_write(fl, error_r);
	}
	flow_events_clear(fl);
	notices_clear(fl);
	free(fl->error);
	free(fl->history);
	fl->history = NULL;
	free(before);
	free(states);
	fl->run = NULL;
	workflow_run_free(&run);
	return ret;
}

int
caseflow_start(struct caseflow *cf, struct store *store, int64_t case_id,
	       const char *id, const struct caseflow_input *in, char **error_r)
{
	struct flow fl;
	int rc = flow_open(&fl, cf, store, case_id, in, error_r);

	if (rc == 0)
		*error_r = xasprintf("no case %lld", (long long)case_id);
	if (rc <= 0)
		return -1;
	fl.wf = caseflow_current(cf, id);
	if (fl.c.workflow != NULL) {
		*error_r = xasprintf("case %s already runs workflow %s",
				     fl.c.number, fl.c.workflow);
		rc = -1;
	} else if (fl.wf == NULL) {
		*error_r = xasprintf("no usable workflow %s", id);
		rc = -1;
	} else {
		fl.fresh = true;
		rc = flow_run(&fl, NULL, error_r);
	}
	strlist_clear(&fl.armed_states);
	strlist_clear(&fl.armed_names);
	flow_clear(&fl);
	return rc;
}

int
caseflow_event(struct caseflow *cf, struct store *store, int64_t case_id,
	       const char *event, const struct caseflow_input *in,
	       char **error_r)
{
	struct flow fl;
	int rc = flow_open(&fl, cf, store, case_id, in, error_r);

	if (rc == 0)
		*error_r = xasprintf("no case %lld", (long long)case_id);
	if (rc <= 0)
		return -1;
	if (fl.c.workflow == NULL || fl.c.closed_at != 0) {
		/* nothing runs the case any more; the history still says
		   what came */
		rc = store_event_add(store, case_id, in->now, event,
				     in->sender_id, fl.c.state, fl.c.state,
				     fl.c.workflow == NULL ? "no workflow" :
				     "case closed", error_r);
		flow_clear(&fl);
		return rc;
	}
	fl.wf = get_version(cf, store, fl.c.workflow, fl.c.workflow_version,
			    error_r);
	rc = fl.wf != NULL ? flow_run(&fl, event, error_r) : -1;
	flow_clear(&fl);
	return rc;
}

struct fire_ctx {
	struct caseflow *cf;
	struct store *store;
	int64_t now;
	int fired;
	char *error;
};

static int
fire_one(const struct store_timer *t, void *ctx)
{
	struct fire_ctx *f = ctx;
	struct caseflow_input in = { .now = f->now };
	char *err = NULL;
	int rc = store_timer_fired(f->store, t, f->now, &f->error);

	if (rc <= 0)
		return rc;
	f->fired++;
	if (store_savepoint(f->store, &f->error) < 0)
		return -1;
	if (caseflow_event(f->cf, f->store, t->case_id, t->event, &in,
			   &err) == 0)
		return store_savepoint_release(f->store, &f->error);
	store_savepoint_rollback(f->store);
	if (store_busy(f->store)) {
		f->error = err;
		return -1;
	}
	/* a case the workflow cannot take the event on: fired all the
	   same (never again, never a loop), and said on the case */
	log_warnx("timer %s of case %lld: %s", t->name,
		  (long long)t->case_id, err);
	rc = store_event_add(f->store, t->case_id, f->now, "timer.failed", 0,
			     NULL, NULL, err, &f->error);
	free(err);
	return rc;
}

int
caseflow_fire_timers(struct caseflow *cf, struct store *store, int64_t now,
		     int limit, int *fired_r, char **error_r)
{
	struct fire_ctx f = { .cf = cf, .store = store, .now = now };
	int ret = store_timers_due(store, now, limit, fire_one, &f, error_r);

	if (ret < 0 && f.error != NULL) {
		free(*error_r);
		*error_r = f.error;
	} else {
		free(f.error);
	}
	*fired_r = f.fired;
	return ret;
}

/* The workflow (version) case CASE_ID started with, into *WF_R; a
   closed case's too when CLOSED. 1, 0 (none), -1. */
static int
workflow_of(struct caseflow *cf, struct store *store, int64_t case_id,
	    bool closed, const struct workflow **wf_r, char **error_r)
{
	struct store_case_flow c;
	int rc = store_case_flow_get(store, case_id, &c, error_r);

	*wf_r = NULL;
	if (rc > 0 && (c.workflow == NULL || (c.closed_at != 0 && !closed)))
		rc = 0;
	if (rc > 0) {
		*wf_r = get_version(cf, store, c.workflow, c.workflow_version,
				    error_r);
		if (*wf_r == NULL)
			rc = -1;
	}
	store_case_flow_clear(&c);
	return rc;
}

int
caseflow_workflow_of(struct caseflow *cf, struct store *store, int64_t case_id,
		     const struct workflow **wf_r, char **error_r)
{
	return workflow_of(cf, store, case_id, false, wf_r, error_r);
}

int
caseflow_workflow_ran(struct caseflow *cf, struct store *store,
		      int64_t case_id, const struct workflow **wf_r,
		      char **error_r)
{
	return workflow_of(cf, store, case_id, true, wf_r, error_r);
}

int
caseflow_handles(struct caseflow *cf, struct store *store, int64_t case_id,
		 const char *event, char **error_r)
{
	struct caseflow_input in = { .now = 0 };
	struct workflow_host host = { 0 };
	struct flow fl;
	struct workflow_run *run;
	int rc = flow_open(&fl, cf, store, case_id, &in, error_r);

	if (rc > 0 && (fl.c.workflow == NULL || fl.c.closed_at != 0))
		rc = 0;
	if (rc > 0) {
		fl.wf = get_version(cf, store, fl.c.workflow,
				    fl.c.workflow_version, error_r);
		rc = fl.wf == NULL ? -1 : 1;
	}
	if (rc > 0) {
		run = workflow_run_new(fl.wf, &fl.facts, &host);
		if (workflow_run_restore(run, fl.c.state, error_r) < 0)
			rc = -1;
		else
			rc = workflow_run_handles(run, event) ? 1 : 0;
		workflow_run_free(&run);
	}
	flow_clear(&fl);
	return rc;
}

int
caseflow_commands_now(struct caseflow *cf, struct store *store,
		      int64_t case_id, int64_t handler, bool en, char **help_r,
		      char **error_r)
{
	struct caseflow_input in = { .now = 0 };
	struct workflow_host host = { 0 };
	struct flow fl;
	int rc = flow_open(&fl, cf, store, case_id, &in, error_r);

	*help_r = NULL;
	if (rc > 0 && fl.c.workflow != NULL && fl.c.closed_at == 0) {
		fl.wf = get_version(cf, store, fl.c.workflow,
				    fl.c.workflow_version, error_r);
		rc = fl.wf == NULL ? -1 : 1;
	}
	if (rc > 0 && fl.wf != NULL) {
		fl.run = workflow_run_new(fl.wf, &fl.facts, &host);
		if (workflow_run_restore(fl.run, fl.c.state, error_r) < 0)
			rc = -1;
	}
	if (rc > 0 &&
	    (*help_r = commands_help(&fl, handler, en ? "en" : "sv",
				     error_r)) == NULL)
		rc = -1;
	workflow_run_free(&fl.run);
	flow_clear(&fl);
	return rc < 0 ? -1 : 0;
}

/* Action A (a reply or a notice) on case CASE_ID outside a workflow
   run, with its events. */
static int
one_action(struct caseflow *cf, struct store *store, int64_t case_id,
	   const struct workflow_action *a, const struct caseflow_input *in,
	   char **error_r)
{
	struct flow fl;
	int rc = flow_open(&fl, cf, store, case_id, in, error_r);

	if (rc == 0)
		*error_r = xasprintf("no case %lld", (long long)case_id);
	/* its workflow, for the timer.ID a template may show (a command's
	   template: when the state the command led to gives up waiting) */
	if (rc > 0 && fl.c.workflow != NULL &&
	    (fl.wf = get_version(cf, store, fl.c.workflow,
				 fl.c.workflow_version, error_r)) == NULL)
		rc = -1;
	if (rc > 0)
		rc = (a->kind == WORKFLOW_REPLY ? do_reply(&fl, a, error_r) :
		      do_notify(&fl, a, error_r)) < 0 ||
			flush_notices(&fl, error_r) < 0 ? -1 :
			flow_events_write(&fl, error_r);
	else
		rc = -1;
	flow_events_clear(&fl);
	notices_clear(&fl);
	flow_clear(&fl);
	return rc;
}

int
caseflow_notify(struct caseflow *cf, struct store *store, int64_t case_id,
		const char *template_id, const struct caseflow_input *in,
		char **error_r)
{
	struct workflow_action a = { .kind = WORKFLOW_NOTIFY,
				     .template_id = template_id,
				     .to = "assignee" };

	return one_action(cf, store, case_id, &a, in, error_r);
}

/* Whether CP shows nothing a reader could tell apart (a space or a
   format character): named only by its code. */
static bool
invisible(uint32_t cp)
{
	return cp < 0x20 || cp == 0x00a0 || cp == 0x00ad ||
	       (cp >= 0x2000 && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202f) ||
	       (cp >= 0x205f && cp <= 0x206f) || cp == 0x3000 ||
	       cp == 0xfeff;
}

/* The first characters of the UTF-8 TEXT (valid) that are not in the
   GSM alphabet, each once, into OUT (room for SIZE). */
static void
sms_outside(const char *text, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)text;
	uint32_t seen[CASEFLOW_SMS_OUTSIDE_MAX];
	size_t nseen = 0, o = 0;

	out[0] = '\0';
	while (*p != '\0' && nseen < CASEFLOW_SMS_OUTSIDE_MAX) {
		const unsigned char *c = p;
		size_t n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		uint32_t cp = n == 1 ? *p : *p & (0xff >> (n + 1));
		bool dup = false;
		int w;

		for (size_t k = 1; k < n; k++)
			cp = cp << 6 | (p[k] & 0x3f);
		p += n;
		if (gsm7_cost(cp) != 0)
			continue;
		for (size_t k = 0; k < nseen; k++)
			dup |= seen[k] == cp;
		if (dup)
			continue;
		seen[nseen++] = cp;
		w = invisible(cp) ?
			snprintf(out + o, size - o, "%sU+%04X",
				 o > 0 ? ", " : "", (unsigned)cp) :
			snprintf(out + o, size - o, "%s%.*s (U+%04X)",
				 o > 0 ? ", " : "", (int)n, (const char *)c,
				 (unsigned)cp);
		if (w < 0 || (size_t)w >= size - o) {
			out[o] = '\0';
			return;
		}
		o += (size_t)w;
	}
}

int
caseflow_sms_cost(struct caseflow *cf, struct store *store, int64_t case_id,
		  const char *template_id, const struct caseflow_input *in,
		  struct caseflow_sms_cost *cost_r, char **error_r)
{
	struct flow fl;
	char *subject = NULL, *body = NULL;
	int rc = flow_open(&fl, cf, store, case_id, in, error_r);

	memset(cost_r, 0, sizeof(*cost_r));
	if (rc > 0 && strcmp(fl.c.channel, "sms") != 0)
		rc = 0;
	if (rc > 0 && fl.c.workflow != NULL) {
		fl.wf = get_version(cf, store, fl.c.workflow,
				    fl.c.workflow_version, error_r);
		if (fl.wf == NULL)
			rc = -1;
	}
	if (rc > 0 && render_for_channel(&fl, template_id, &subject, &body,
					 error_r) < 0)
		rc = -1;
	if (rc > 0) {
		bool ucs2;

		cost_r->limit = sms_limit(&fl);
		cost_r->characters = (int)utf8_length(body);
		cost_r->segments = sms_segments(body, &ucs2);
		cost_r->ucs2 = ucs2;
		if (cost_r->ucs2)
			sms_outside(body, cost_r->outside,
				    sizeof(cost_r->outside));
	}
	free(subject);
	free(body);
	flow_clear(&fl);
	return rc;
}

int
caseflow_reply(struct caseflow *cf, struct store *store, int64_t case_id,
	       const char *template_id, const struct caseflow_input *in,
	       char **error_r)
{
	struct workflow_action a = { .kind = WORKFLOW_REPLY,
				     .template_id = template_id };

	return one_action(cf, store, case_id, &a, in, error_r);
}
