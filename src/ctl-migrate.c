/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl workflow migrate ID --from V --to W [--map "a=b, c=d"]
   [--dry-run]: running cases of one workflow version onto another. */
#include "config.h"
#include "blob.h"

#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "store.h"
#include "util.h"
#include "workflow.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

struct migration {
	struct store *store;
	const char *id;
	int from_version, to_version;
	const struct workflow *to;
	struct strlist map_from, map_to;
	struct strlist problems;
	int64_t now;
	int moved;
	bool apply;		/* false: check every case first */
	/* per case */
	struct scxml_session *session;
	struct strlist active, kept;
	const struct workflow *from;	/* loaded for the first case */
	struct strlist old_active;	/* the case's states before */
	/* the timers dropped and started, said below the case's line:
	   a deadline counted anew is the administrator's to know */
	struct strlist notes;
	/* the timers re-timed, for the case's history */
	struct strlist retimed;
	int64_t case_id;
	char *error;
};

/* "a=b, c=d" into the two lists. -1 on a malformed pair. */
static int
parse_map(const char *text, struct strlist *from, struct strlist *to)
{
	const char *p = text;

	while (*p != '\0') {
		size_t n;
		const char *eq;
		char *a, *b;

		p += strspn(p, " ,\t");
		n = strcspn(p, " ,\t");
		if (n == 0)
			break;
		eq = memchr(p, '=', n);
		if (eq == NULL || eq == p || eq + 1 == p + n)
			return -1;
		a = xstrndup(p, (size_t)(eq - p));
		b = xstrndup(eq + 1, n - (size_t)(eq - p) - 1);
		strlist_add(from, a);
		strlist_add(to, b);
		free(a);
		free(b);
		p += n;
	}
	return 0;
}

/* Every pair of the map names a state of the old version and one of
   the new, and no old state twice: a mistyped name would otherwise be
   passed over in silence, and cases left where they were. */
static void
check_map(struct migration *m, const struct workflow *from)
{
	for (size_t i = 0; i < m->map_from.n; i++) {
		const char *a = m->map_from.v[i], *b = m->map_to.v[i];

		if (workflow_state(from, a) == NULL)
			strlist_addf(&m->problems, _("--map %s=%s: version %d "
				     "has no state '%s'"), a, b,
				     m->from_version, a);
		if (workflow_state(m->to, b) == NULL)
			strlist_addf(&m->problems, _("--map %s=%s: version %d "
				     "has no state '%s'"), a, b,
				     m->to_version, b);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(m->map_from.v[j], a) == 0) {
				strlist_addf(&m->problems, _("--map %s=%s: "
					     "'%s' is mapped already"), a, b,
					     a);
				break;
			}
		}
	}
}

static const char *
mapped(const struct migration *m, const char *state)
{
	for (size_t i = 0; i < m->map_from.n; i++) {
		if (strcmp(m->map_from.v[i], state) == 0)
			return m->map_to.v[i];
	}
	return state;
}

static void
add_active(void *ctx, const char *id)
{
	strlist_add(ctx, id);
}

static const struct workflow_timer *
timer_of(const struct workflow *wf, const char *state, const char *name)
{
	for (size_t i = 0; i < wf->ntimers; i++) {
		if (strcmp(wf->timers[i].state, state) == 0 &&
		    strcmp(wf->timers[i].id, name) == 0)
			return &wf->timers[i];
	}
	return NULL;
}

/* The deadline of armed timer T in the new version, whose timer of
   that id is WT: counted again from when T was armed when the new
   version counts it otherwise than the old (a duration or calendar
   changed, such as a reminder after P5D instead of P10D), else the one
   it has. 0, or -1. */
static int
new_deadline(struct migration *m, const struct store_timer *t,
	     const struct workflow_timer *wt, int64_t *due_r)
{
	const struct workflow_timer *ot =
		m->from != NULL ? timer_of(m->from, t->state, t->name) : NULL;
	int64_t old_due, due;
	char *err = NULL;

	*due_r = t->fire_at;
	if (ot == NULL)
		return 0;	/* the old rule unknown: nothing to compare */
	if (calendar_add(wt->calendar, t->created_at, &wt->after, &due,
			 &err) < 0) {
		m->error = xasprintf("timer %s (%s): %s", wt->id, wt->state,
				     err);
		free(err);
		return -1;
	}
	if (calendar_add(ot->calendar, t->created_at, &ot->after, &old_due,
			 &err) < 0) {
		free(err);
		old_due = t->fire_at;
	}
	if (due != old_due)
		*due_r = due;
	return 0;
}

/* An armed timer stays when its state (mapped) is active in the new
   version with a timer of the same id, re-timed when the new version
   counts it otherwise (see new_deadline()); else it goes. A deadline
   re-timed into the past fires at cirmd's next timer run, once: the
   timer is still armed, not fired. */
static int
move_timer(const struct store_timer *t, void *ctx)
{
	struct migration *m = ctx;
	const char *state = mapped(m, t->state);
	const struct workflow_timer *wt = timer_of(m->to, state, t->name);
	char when[32], was[32], armed[32];

	if (wt != NULL && strlist_has(&m->active, state)) {
		int64_t due;

		strlist_addf(&m->kept, "%s/%s", state, t->name);
		if (new_deadline(m, t, wt, &due) < 0)
			return -1;
		if (due != t->fire_at) {
			ctl_time(due, when);
			ctl_time(t->fire_at, was);
			ctl_time(t->created_at, armed);
			if (due <= m->now)
				strlist_addf(&m->notes, _("  timer %s (%s) "
					     "re-timed to version %d: due %s "
					     "(armed %s), was due %s; past, "
					     "so it fires at cirmd's next "
					     "timer run"), t->name, state,
					     m->to_version, when, armed, was);
			else
				strlist_addf(&m->notes, _("  timer %s (%s) "
					     "re-timed to version %d: due %s "
					     "(armed %s), was due %s"),
					     t->name, state, m->to_version,
					     when, armed, was);
			strlist_addf(&m->retimed, "timer %s re-timed: due %s, "
				     "was %s", t->name, when, was);
		}
		return store_timer_move(m->store, t->case_id, t->name, state,
					wt->event, due, &m->error);
	}
	strlist_addf(&m->notes, _("  timer %s (%s) dropped: it was due %s"),
		     t->name, t->state, ctl_time(t->fire_at, when));
	return store_timer_delete(m->store, t->case_id, t->name, &m->error);
}

/* A timer that fired while its state has been active since (the state
   was not left and entered again, which arms it anew) has done its work
   in this visit: it is not armed again in the new version, where the
   state (mapped) goes on with a timer of the same id. */
static int
keep_fired(const struct store_timer *t, void *ctx)
{
	struct migration *m = ctx;
	const char *state = mapped(m, t->state);
	const struct workflow_timer *wt = timer_of(m->to, state, t->name);

	if (wt == NULL || !strlist_has(&m->old_active, t->state) ||
	    !strlist_has(&m->active, state))
		return 0;
	strlist_addf(&m->kept, "%s/%s", state, t->name);
	/* under the state's new name, for a later migration */
	return store_timer_move(m->store, t->case_id, t->name, state,
				wt->event, t->fire_at, &m->error);
}

/* The case's states in the old version, its atomic STATES and all
   around them, into M->old_active. */
static int
old_states(struct migration *m, const char *states, char **error_r)
{
	struct scxml_session *s = scxml_session_new(m->from->chart);
	struct strlist ids = { 0 };
	const char *p = states;
	int ret = 0;

	while (*p != '\0') {
		size_t n = strcspn(p += strspn(p, " "), " ");

		if (n > 0) {
			char *id = xstrndup(p, n);

			strlist_add(&ids, id);
			free(id);
		}
		p += n;
	}
	if (scxml_restore(s, (const char *const *)ids.v, ids.n,
			  error_r) < 0)
		ret = -1;
	else
		scxml_configuration(s, add_active, &m->old_active);
	scxml_session_free(&s);
	strlist_clear(&ids);
	return ret;
}

/* The timers of the new states that were not kept start now. */
static int
arm_new(struct migration *m)
{
	for (size_t i = 0; i < m->to->ntimers; i++) {
		const struct workflow_timer *t = &m->to->timers[i];
		char *key = xasprintf("%s/%s", t->state, t->id);
		int64_t due;
		bool skip = !strlist_has(&m->active, t->state) ||
			strlist_has(&m->kept, key);

		free(key);
		if (skip)
			continue;
		if (calendar_add(t->calendar, m->now, &t->after, &due,
				 &m->error) < 0 ||
		    store_timer_arm(m->store, m->case_id, t->id, t->state,
				    t->event, due, m->now, true, &m->error) < 0)
			return -1;
		{
			char when[32];

			strlist_addf(&m->notes, _("  timer %s (%s) starts now: "
						  "due %s"), t->id, t->state,
				     ctl_time(due, when));
		}
	}
	return 0;
}

/* The detail of a case's workflow.migrated event: the versions, and
   the timers re-timed. */
static char *
migrated_detail(const struct migration *m)
{
	char *timers, *detail;

	if (m->retimed.n == 0)
		return xasprintf("version %d to %d", m->from_version,
				 m->to_version);
	timers = strlist_join_sep(&m->retimed, "; ");
	detail = xasprintf("version %d to %d; %s", m->from_version,
			   m->to_version, timers);
	free(timers);
	return detail;
}

static int
migrate_case(const struct store_flow_case *c, void *ctx)
{
	struct migration *m = ctx;
	struct strlist ids = { 0 };
	const char *p = c->state;
	char *err = NULL, *joined = NULL;
	size_t len = 1, before = m->problems.n;
	const char *through, *final, *parent = NULL;
	long line = 0;
	int ret = 0;
	bool unknown = false;

	while (*p != '\0') {
		size_t n = strcspn(p += strspn(p, " "), " ");

		if (n > 0) {
			char *s = xstrndup(p, n);

			strlist_add(&ids, mapped(m, s));
			if (workflow_state(m->to, mapped(m, s)) != NULL)
				;
			else if (mapped(m, s) != s)
				unknown = true;	/* told by check_map() */
			else
				strlist_addf(&m->problems, _("%s: state '%s' "
					     "has no counterpart in version "
					     "%d (add --map %s=STATE)"),
					     c->number, s, m->to_version, s);
			free(s);
		}
		p += n;
	}
	m->session = scxml_session_new(m->to->chart);
	if (m->problems.n == before && !unknown &&
	    scxml_restore(m->session, (const char *const *)ids.v, ids.n,
			  &err) < 0) {
		strlist_addf(&m->problems, "%s: %s", c->number, err);
		free(err);
	} else if (m->problems.n == before && !unknown &&
		   (final = scxml_nested_final(m->session, &parent)) != NULL) {
		/* what follows a final state waits for its done.state
		   event, which only entering the state raises */
		strlist_addf(&m->problems, _("%s: '%s' is a <final> of "
			     "version %d; entering it would raise "
			     "done.state.%s, which a migration does not, so "
			     "the case would wait there for ever: map to "
			     "another state"), c->number, final,
			     m->to_version, parent);
	} else if (m->problems.n == before && !unknown &&
		   (through = scxml_passed_through(m->session, &line)) !=
			   NULL) {
		/* the engine takes such a transition after an event, but a
		   case put there gets none: each command is refused */
		strlist_addf(&m->problems, _("%s: a case only passes through "
			     "'%s' (line %ld: a transition without event or "
			     "condition leaves it at once), so it would wait "
			     "there with every command refused: map to a "
			     "state where cases wait"), c->number, through,
			     line);
	} else if (m->problems.n == before && !unknown &&
		   scxml_in_final(m->session)) {
		/* it would be open in a state that takes no more events:
		   entering a final state closes a case, and a migration
		   enters nothing */
		strlist_addf(&m->problems, _("%s: '%s' is a top-level <final> "
			     "of version %d, and a migration closes no case: "
			     "map to another state"), c->number, ids.v[0],
			     m->to_version);
	}
	for (size_t i = 0; i < ids.n; i++)
		len += strlen(ids.v[i]) + 1;
	joined = xcalloc(1, len);
	for (size_t i = 0; i < ids.n; i++) {
		if (i > 0)
			strcat(joined, " ");
		strcat(joined, ids.v[i]);
	}
	if (m->apply && m->problems.n == 0) {
		/* the history says which rules the case ran under when,
		   and the deadlines the new ones moved */
		char *versions = NULL;

		m->case_id = c->id;
		scxml_configuration(m->session, add_active, &m->active);
		if (old_states(m, c->state, &m->error) < 0 ||
		    store_case_timers(m->store, c->id, move_timer, m,
				      &m->error) < 0 ||
		    store_case_timers_fired(m->store, c->id, keep_fired, m,
					    &m->error) < 0 ||
		    arm_new(m) < 0)
			ret = -1;
		else
			versions = migrated_detail(m);
		if (ret < 0 ||
		    store_case_flow_set(m->store, c->id, m->id, m->to_version,
					joined, 0, m->now, NULL, &m->error) < 0 ||
		    store_event_add(m->store, c->id, m->now, "workflow.migrated",
				    0, c->state, joined, versions,
				    &m->error) < 0) {
			ret = -1;
		} else {
			printf("%s: %s -> %s\n", c->number, c->state, joined);
			for (size_t i = 0; i < m->notes.n; i++)
				printf("%s\n", m->notes.v[i]);
			m->moved++;
		}
		free(versions);
		strlist_clear(&m->notes);
		strlist_clear(&m->retimed);
		strlist_clear(&m->active);
		strlist_clear(&m->kept);
		strlist_clear(&m->old_active);
	}
	scxml_session_free(&m->session);
	strlist_clear(&ids);
	free(joined);
	return ret;
}

static int
count_case(const struct store_flow_case *c, void *ctx)
{
	(void)c;
	*(bool *)ctx = true;
	return 0;
}

/* Records the file PATH of WF, checked, as its version. 0, or -1 said. */
static int
record_file(struct store *store, const struct workflow *wf, const char *path)
{
	char *text = NULL, *err = NULL;
	size_t len;
	FILE *f = fopen(path, "rb");
	int ret = 0;

	if (f == NULL) {
		ctl_error("%s: %s", path, strerror(errno));
		return -1;
	}
	text = xmalloc(WORKFLOW_MAX_SIZE + 1);
	len = fread(text, 1, WORKFLOW_MAX_SIZE, f);
	fclose(f);
	if (store_workflow_def_put(store, wf->id, wf->version, wf->sha256,
				   text, len, cirm_now(), &err) < 0) {
		ctl_error("%s", err);
		free(err);
		ret = -1;
	}
	free(text);
	return ret;
}

/* The version in the database is what the cases move to: a file of
   DIR with that id and version but other contents (edited without a
   new version number) is not, and cirmd refuses it; said, so that the
   administrator does not believe the edit is what the cases now run. */
static void
note_other_file(const char *dir, const struct workflow *db)
{
	struct strlist paths = { 0 };

	ctl_workflow_files(dir, &paths);
	for (size_t k = 0; k < paths.n; k++) {
		const char *path = paths.v[k];
		struct workflow *wf = NULL;
		char *err = NULL;

		if (workflow_load_file(path, &wf, &err) < 0)
			free(err);
		else if (strcmp(wf->id, db->id) == 0 &&
			 wf->version == db->version &&
			 strcmp(wf->sha256, db->sha256) != 0)
			ctl_error(_("note: %s:%d: this file of %s version %d "
				    "differs from that version as the database "
				    "has it, which the cases move to; cirmd "
				    "refuses the file: give the changed "
				    "workflow a new version number"), path,
				  wf->line, wf->id, wf->version);
		workflow_free(&wf);
	}
	strlist_clear(&paths);
}

/* Workflow ID VERSION: from the database, else from a file of the
   instance's workflow_dir (checked, then recorded so that cases on it
   can always be run). A file of that version that is not valid is
   said with its problems; one that cannot be read as a workflow at
   all (its id and version unknown) is named. */
static struct workflow *
find_version(struct store *store, const struct cfg *cfg, const char *id,
	     int version, char **file_r)
{
	const char *dir = cfg_str(cfg, CFG_WORKFLOW_DIR);
	struct workflow *wf = NULL;
	struct strlist unread = { 0 };
	char *source = NULL, *err = NULL, *name;
	size_t len;
	int rc = store_workflow_def_get(store, id, version, &source, &len, &err);
	bool bad = false;
	struct strlist paths = { 0 };

	if (rc < 0) {
		ctl_error("%s", err);
		free(err);
		return NULL;
	}
	if (rc > 0) {
		name = xasprintf("%s version %d", id, version);
		if (workflow_load(name, source, len, &wf, &err) < 0) {
			fprintf(stderr, "%s\n", err);
			free(err);
		} else if (file_r != NULL) {
			note_other_file(dir, wf);
		}
		free(name);
		free(source);
		return wf;
	}
	ctl_workflow_files(dir, &paths);
	for (size_t k = 0; k < paths.n && wf == NULL; k++) {
		const char *path = paths.v[k];
		struct strlist problems = { 0 };

		if (workflow_load_file_checking(path, &wf, &problems) < 0) {
			strlist_add(&unread, path);
		} else if (strcmp(wf->id, id) != 0 || wf->version != version) {
			workflow_free(&wf);
		} else if (workflow_check(wf, cfg_str(cfg, CFG_TEMPLATE_DIR),
					  &problems) > 0 || problems.n > 0) {
			/* the version asked for, not valid: why */
			err = scxml_join_errors(&problems, path);
			fprintf(stderr, "%s\n", err);
			free(err);
			err = NULL;
			workflow_free(&wf);
			bad = true;
		} else if (record_file(store, wf, path) < 0) {
			workflow_free(&wf);
		} else if (file_r != NULL) {
			*file_r = xstrdup(path);
		}
		strlist_clear(&problems);
	}
	strlist_clear(&paths);
	if (wf == NULL) {
		struct strlist ids = { 0 };

		ctl_error(_("workflow %s version %d is neither in the database "
			    "nor a valid file of %s"), id, version, dir);
		/* a file whose id and version could not be read may be the
		   one meant */
		for (size_t i = 0; !bad && i < unread.n; i++)
			ctl_error(_("%s is no workflow cirm can read, and may "
				    "be that version: \"cirmctl workflow check "
				    "%s\" says why"), unread.v[i], unread.v[i]);
		/* an id mistyped: the ones there are; a version: those */
		if (store_workflow_ids(store, &ids, &err) < 0) {
			free(err);
		} else if (ids.n > 0 && !strlist_has(&ids, id)) {
			char *all = strlist_join_sep(&ids, ", ");

			ctl_error(_("the workflows cirm knows are: %s"), all);
			free(all);
		} else if (ids.n > 0) {
			struct strlist versions = { 0 };

			if (store_workflow_version_list(store, id, &versions,
							&err) < 0) {
				free(err);
			} else if (versions.n > 0) {
				char *all = strlist_join_sep(&versions, ", ");

				ctl_error(_("the versions of workflow %s the "
					    "database has: %s"), id, all);
				free(all);
			}
			strlist_clear(&versions);
		}
		strlist_clear(&ids);
	}
	strlist_clear(&unread);
	return wf;
}

/* The version the cases move from must be one some case ran: a
   mistyped --from would otherwise "move 0 cases" and look done. 0, or
   -1 having said so. */
static int
from_known(struct migration *m)
{
	struct strlist versions = { 0 };
	char *err = NULL, v[16];
	bool any = false;
	int ret = 0;

	/* cases on it are reason enough (a database from before versions
	   were recorded has some without their text) */
	if (store_cases_on_version(m->store, m->id, m->from_version,
				   count_case, &any, &err) < 0 ||
	    (!any && store_workflow_version_list(m->store, m->id, &versions,
						 &err) < 0)) {
		ctl_error("%s", err);
		free(err);
		return -1;
	}
	snprintf(v, sizeof(v), "%d", m->from_version);
	if (!any && versions.n == 0) {
		/* a mistyped id, or one no case ever ran: no empty list */
		ctl_error(_("workflow %s has no version %d: the database has "
			    "no version of workflow %s"), m->id,
			  m->from_version, m->id);
		ret = -1;
	} else if (!any && !strlist_has(&versions, v)) {
		char *all = strlist_join_sep(&versions, ", ");

		ctl_error(_("workflow %s has no version %d: no case ever ran "
			    "it (the versions the database has: %s)"), m->id,
			  m->from_version, all);
		free(all);
		ret = -1;
	}
	strlist_clear(&versions);
	return ret;
}

int
ctl_workflow_migrate(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "map", required_argument, NULL, 'm' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct migration m = { 0 };
	struct cfg *cfg = NULL;
	struct workflow *to = NULL, *from_wf = NULL;
	long from = 0, tov = 0;
	bool dry = false, any = false;
	int c, bad = 0, ret = 1;
	char *err = NULL, *detail, *to_file = NULL;

	while ((c = ctl_getopt(argc, argv, "f:t:m:n", opts)) != -1) {
		if (c == 'f' || c == 't') {
			if (str_to_long(optarg, 1, 1000000,
					c == 'f' ? &from : &tov) < 0) {
				ctl_error(_("--%s must be a version, a whole "
					    "number from 1 to 1000000, not "
					    "'%s'"), c == 'f' ? "from" : "to",
					  optarg);
				bad = 1;
			}
		} else if (c == 'm') {
			if (parse_map(optarg, &m.map_from, &m.map_to) < 0) {
				ctl_error(_("--map takes OLD=NEW pairs, with no "
					    "blank around '=', separated by "
					    "commas or blanks (such as "
					    "\"registrerad=inkommen, "
					    "klar=avslutad\"), not '%s'"),
					  optarg);
				bad = 1;
			}
		} else if (c == 'n') {
			dry = true;
		} else {
			bad = 1;
		}
	}
	if (bad || ctl_too_many(argc, argv, optind, 1) || optind + 1 != argc ||
	    from == 0 || tov == 0) {
		ctl_error("%s", _("usage: cirmctl workflow migrate ID --from "
				  "VERSION --to VERSION [--map \"OLD=NEW, ...\"] "
				  "[--dry-run]"));
		strlist_clear(&m.map_from);
		strlist_clear(&m.map_to);
		return EX_USAGE;
	}
	if (from == tov) {
		ctl_error(_("--from and --to are both %ld: a migration moves "
			    "cases to another version"), from);
		strlist_clear(&m.map_from);
		strlist_clear(&m.map_to);
		return EX_USAGE;
	}
	m.id = argv[optind];
	m.from_version = (int)from;
	m.to_version = (int)tov;
	m.now = cirm_now();
	if (ctl_load_config(ctl, &cfg) < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	if (ctl_open_store(cfg, &m.store) < 0)
		goto out;
	if (store_begin(m.store, &err) < 0)
		goto fail;
	to = find_version(m.store, cfg, m.id, m.to_version, &to_file);
	if (to == NULL) {
		store_rollback(m.store);
		goto out;
	}
	m.to = to;
	if (from_known(&m) < 0) {
		store_rollback(m.store);
		goto out;
	}
	/* the old version, for the map and the cases' timers */
	if (m.map_from.n == 0 &&
	    store_cases_on_version(m.store, m.id, m.from_version, count_case,
				   &any, &err) < 0)
		goto fail;
	if (m.map_from.n > 0 || any) {
		from_wf = find_version(m.store, cfg, m.id, m.from_version,
				       NULL);
		if (from_wf == NULL) {
			store_rollback(m.store);
			goto out;
		}
		m.from = from_wf;
		check_map(&m, from_wf);
	}
	/* every case is checked before any is moved: all or nothing */
	if (store_cases_on_version(m.store, m.id, m.from_version, migrate_case,
				   &m, &err) < 0)
		goto fail;
	if (m.problems.n > 0) {
		for (size_t i = 0; i < m.problems.n; i++)
			fprintf(stderr, "%s\n", m.problems.v[i]);
		ctl_error(ngettext("no case migrated: %zu problem",
				   "no case migrated: %zu problems",
				   (unsigned long)m.problems.n), m.problems.n);
		store_rollback(m.store);
		goto out;
	}
	m.apply = true;
	if (store_cases_on_version(m.store, m.id, m.from_version, migrate_case,
				   &m, &err) < 0) {
		if (err == NULL)
			err = m.error;
		goto fail;
	}
	/* the audit says how the states were mapped, as given */
	{
		struct strlist l = { 0 };
		char *map;

		for (size_t i = 0; i < m.map_from.n; i++)
			strlist_addf(&l, "%s=%s", m.map_from.v[i],
				     m.map_to.v[i]);
		map = l.n > 0 ? strlist_join_sep(&l, ", ") : NULL;
		detail = xasprintf("%s %d -> %d: %d cases%s%s", m.id,
				   m.from_version, m.to_version, m.moved,
				   map != NULL ? "; map " : "",
				   map != NULL ? map : "");
		free(map);
		strlist_clear(&l);
	}
	if (m.moved == 0) {
		/* run twice, or every case closed meanwhile: nothing to do
		   is not "0 cases moved", which reads as a failure */
		store_rollback(m.store);
		printf(_("no open case runs %s version %d: nothing to move\n"),
		       m.id, m.from_version);
		ret = 0;
	} else if (dry) {
		store_rollback(m.store);
		printf(ngettext("dry run: %d case would move; nothing "
				"changed\n", "dry run: %d cases would move; "
				"nothing changed\n", (unsigned long)m.moved),
		       m.moved);
		ret = 0;
	} else if (store_audit_add(m.store, m.now, store_audit_actor(),
				   "workflow.migrate", NULL, detail, &err) < 0 ||
		   store_commit(m.store, &err) < 0) {
		free(detail);
		goto fail;
	} else {
		printf(ngettext("%d case moved from %s version %d to version "
				"%d\n", "%d cases moved from %s version %d to "
				"version %d\n", (unsigned long)m.moved),
		       m.moved, m.id, m.from_version, m.to_version);
		/* cirmd has not loaded it: the templates it sends are read
		   at cirmd's start and reload, and one new since fails as
		   the cases move on (error.execution) */
		if (to_file != NULL && m.moved > 0)
			ctl_error(_("note: version %d was read from %s, which "
				    "cirmd has not loaded: if cirmd runs, "
				    "reload it now (systemctl reload cirmd, or "
				    "SIGHUP) so that it reads the templates "
				    "the version sends"), m.to_version,
				  to_file);
		ret = 0;
	}
	free(detail);
	goto out;
fail:
	store_rollback(m.store);
	ctl_error("%s", err != NULL ? err : "failed");
	free(err);
out:
	free(to_file);
	workflow_free(&to);
	workflow_free(&from_wf);
	store_free(&m.store);
	cfg_free(&cfg);
	strlist_clear(&m.map_from);
	strlist_clear(&m.map_to);
	strlist_clear(&m.problems);
	return ret;
}

/* Lists, after an error, the workflows the database has (ID unknown)
   or ID's versions. */
static void
say_known(struct store *store, const char *id)
{
	struct strlist ids = { 0 }, versions = { 0 };
	char *err = NULL, *all;

	if (store_workflow_ids(store, &ids, &err) < 0) {
		free(err);
	} else if (ids.n == 0) {
		/* a new instance: no empty list to name */
	} else if (!strlist_has(&ids, id)) {
		all = strlist_join_sep(&ids, ", ");
		ctl_error(_("the workflows cirm knows are: %s"), all);
		free(all);
	} else if (store_workflow_version_list(store, id, &versions,
					       &err) < 0) {
		free(err);
	} else {
		all = strlist_join_sep(&versions, ", ");
		ctl_error(_("the versions of workflow %s the database has: %s"),
			  id, all);
		free(all);
	}
	strlist_clear(&ids);
	strlist_clear(&versions);
}

int
ctl_workflow_export(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "version", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct cfg *cfg = NULL;
	struct store *store = NULL;
	const char *id;
	char *source = NULL, *err = NULL;
	size_t len = 0;
	long version = 0;
	int c, bad = 0, ret = 1, rc;

	while ((c = ctl_getopt(argc, argv, "v:", opts)) != -1) {
		if (c == 'v' && str_to_long(optarg, 1, 1000000,
					     &version) < 0) {
			ctl_error(_("--%s must be a version, a whole number "
				    "from 1 to 1000000, not '%s'"), "version",
				  optarg);
			bad = 1;
		} else if (c != 'v') {
			bad = 1;
		}
	}
	if (bad || ctl_too_many(argc, argv, optind, 1) ||
	    optind + 1 != argc) {
		ctl_error("%s", _("usage: cirmctl workflow export ID "
				  "[--version VERSION]"));
		return EX_USAGE;
	}
	id = argv[optind];
	if (ctl_load_config(ctl, &cfg) < 0)
		return EX_CONFIG;
	if (ctl_open_store(cfg, &store) < 0)
		goto out;
	if (version == 0) {
		int newest = 0;

		rc = store_workflow_newest(store, id, &newest, &err);
		version = newest;
	} else {
		rc = 1;
	}
	if (rc > 0)
		rc = store_workflow_def_get(store, id, (int)version, &source,
					    &len, &err);
	if (rc < 0) {
		ctl_error("%s", err);
		free(err);
	} else if (source == NULL) {
		if (version == 0)
			ctl_error(_("the database has no version of workflow "
				    "%s"), id);
		else
			ctl_error(_("the database has no version %ld of "
				    "workflow %s"), version, id);
		say_known(store, id);
	} else if (fwrite(source, 1, len, stdout) != len ||
		   fflush(stdout) != 0) {
		ctl_error("%s", strerror(errno));
	} else {
		ret = 0;
	}
out:
	free(source);
	store_free(&store);
	cfg_free(&cfg);
	return ret;
}

/* workflow list: a version, from the database or a file. */
struct listed {
	char *id;
	int version;
	int64_t open;		/* -1: not in the database */
	char sha256[BLOB_ID_LEN + 1];	/* the database's, or "" */
	char *file;		/* of workflow_dir, or NULL */
	bool differs;		/* the file's contents are not the database's */
};

struct listing {
	struct listed *v;
	size_t n;
};

static struct listed *
listed_get(struct listing *l, const char *id, int version)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0 && l->v[i].version == version)
			return &l->v[i];
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	memset(&l->v[l->n], 0, sizeof(*l->v));
	l->v[l->n].id = xstrdup(id);
	l->v[l->n].version = version;
	l->v[l->n].open = -1;
	return &l->v[l->n++];
}

static int
count_open(const char *id, int version, int64_t cases, void *ctx)
{
	struct listed *e = listed_get(ctx, id, version);

	e->open = cases;
	return 0;
}

static int
listed_cmp(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c != 0 ? c : (x->version > y->version) -
			    (x->version < y->version);
}

/* The versions the database has, with their open cases, and the
   valid files of DIR beside them. 0, or -1 said. */
static int
list_versions(struct store *store, const char *dir, struct listing *l)
{
	struct strlist ids = { 0 }, paths = { 0 };
	char *err = NULL;

	if (store_workflow_ids(store, &ids, &err) < 0)
		goto fail;
	for (size_t i = 0; i < ids.n; i++) {
		struct strlist versions = { 0 };

		if (store_workflow_version_list(store, ids.v[i], &versions,
						&err) < 0) {
			strlist_clear(&versions);
			goto fail;
		}
		for (size_t j = 0; j < versions.n; j++) {
			struct listed *x = listed_get(l, ids.v[i],
						      atoi(versions.v[j]));
			char *source = NULL;
			size_t len = 0;

			x->open = 0;
			if (store_workflow_def_get(store, x->id, x->version,
						   &source, &len, &err) < 0) {
				strlist_clear(&versions);
				goto fail;
			}
			if (source != NULL)
				blob_id(source, len, x->sha256);
			free(source);
		}
		strlist_clear(&versions);
	}
	if (store_workflow_versions_open(store, count_open, l, &err) < 0)
		goto fail;
	ctl_workflow_files(dir, &paths);
	for (size_t k = 0; k < paths.n; k++) {
		const char *path = paths.v[k];
		struct workflow *wf = NULL;
		struct listed *x;

		if (workflow_load_file(path, &wf, &err) < 0) {
			free(err);
			err = NULL;
		} else {
			x = listed_get(l, wf->id, wf->version);
			if (x->file == NULL) {
				x->file = xstrdup(strrchr(path, '/') + 1);
				x->differs = x->sha256[0] != '\0' &&
					     strcmp(x->sha256,
						    wf->sha256) != 0;
			}
		}
		workflow_free(&wf);
	}
	strlist_clear(&paths);
	strlist_clear(&ids);
	qsort(l->v, l->n, sizeof(*l->v), listed_cmp);
	return 0;
fail:
	ctl_error("%s", err);
	free(err);
	strlist_clear(&ids);
	return -1;
}

int
ctl_workflow_list(const struct ctl *ctl, int argc, char **argv)
{
	struct cfg *cfg = NULL;
	struct store *store = NULL;
	struct listing l = { 0 };
	int ret = 1, idw = 22;

	if (ctl_no_options(&argc, &argv) < 0 ||
	    ctl_too_many(argc, argv, 1, 0) || argc != 1) {
		ctl_error("%s", _("usage: cirmctl workflow list"));
		return EX_USAGE;
	}
	if (ctl_load_config(ctl, &cfg) < 0)
		return EX_CONFIG;
	if (ctl_open_store(cfg, &store) < 0)
		goto out;
	if (list_versions(store, cfg_str(cfg, CFG_WORKFLOW_DIR), &l) < 0)
		goto out;
	/* ids are ASCII; the heads may be wider in Swedish */
	for (size_t i = 0; i < l.n; i++)
		if ((int)strlen(l.v[i].id) + 2 > idw)
			idw = (int)strlen(l.v[i].id) + 2;
	/* TRANSLATORS: column heads of workflow list; OPEN counts the
	   open cases that run the version */
	ctl_print_cell(stdout, _("WORKFLOW"), idw);
	ctl_print_right(stdout, _("VERSION"), 8);
	ctl_print_right(stdout, _("OPEN"), 8);
	printf("  %s\n", _("FILE"));
	for (size_t i = 0; i < l.n; i++) {
		const struct listed *x = &l.v[i];
		char num[24];

		ctl_print_cell(stdout, x->id, idw);
		snprintf(num, sizeof(num), "%d", x->version);
		ctl_print_right(stdout, num, 8);
		if (x->open < 0)
			snprintf(num, sizeof(num), "-");
		else
			snprintf(num, sizeof(num), "%lld", (long long)x->open);
		ctl_print_right(stdout, num, 8);
		fputs("  ", stdout);
		if (x->file == NULL)
			/* TRANSLATORS: no file of workflow_dir holds the
			   version: it is in the database alone */
			puts(_("- (in the database only)"));
		else if (x->differs)
			printf(_("%s (other contents than the database's: "
				 "refused)\n"), x->file);
		else if (x->open < 0)
			printf(_("%s (not loaded yet)\n"), x->file);
		else
			puts(x->file);
	}
	ret = 0;
out:
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].id);
		free(l.v[i].file);
	}
	free(l.v);
	store_free(&store);
	cfg_free(&cfg);
	return ret;
}
