/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The semantic checks of a loaded workflow, and lookups in it. */
#include "config.h"

#include "workflow-private.h"

#include "template.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Events cirm itself sends to every case's workflow. */
static const char *const builtin_events[] = {
	"mail.citizen", "sms.citizen", "mail.handler", "delivery.failed.email",
	"delivery.failed.sms", "error.execution", NULL
};

struct checker {
	const struct workflow *wf;
	const struct scxml *chart;
	struct strlist *errors;
	size_t count;
	struct strlist raisable;	/* event names that can occur */
	struct strlist roles_used;	/* "LINE role" */
};

static void CIRM_PRINTF(3, 4)
cerror(struct checker *c, long line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_addf(c->errors, "%s:%ld: %s", c->wf->name, line, msg);
	free(msg);
	c->count++;
}

char *
workflow_fold(const char *word)
{
	char *s = xstrdup(word);

	for (unsigned char *p = (unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (unsigned char)(*p + 32);
		/* U+00C0..U+00DE except U+00D7: the Latin-1 capitals, Å Ä Ö
		   among them, are C3 80..C3 9E; lower case is 0x20 on */
		else if (*p == 0xc3 && p[1] >= 0x80 && p[1] <= 0x9e &&
			 p[1] != 0x97)
			p[1] = (unsigned char)(p[1] + 0x20), p++;
		else if (*p == 0xc3 && p[1] != '\0')
			p++;
	}
	return s;
}

/* --- states as a graph --------------------------------------------------- */

static bool
is_atomic(const struct scxml_state *st)
{
	return st->nchildren == 0 && st->kind != SCXML_KIND_ROOT;
}

/* Adds to SET what entering ST enters below it by default. */
static void
add_default_entry(const struct scxml_state *st, bool *set)
{
	set[st->index] = true;
	if (st->kind == SCXML_KIND_PARALLEL) {
		for (size_t i = 0; i < st->nchildren; i++)
			add_default_entry(st->children[i], set);
	} else if (scxml_is_compound(st)) {
		for (size_t i = 0; i < st->ninitial; i++) {
			const struct scxml_state *s = st->initial[i];

			/* an initial deep inside enters its ancestors */
			for (const struct scxml_state *a = s->parent;
			     a != NULL && a != st; a = a->parent)
				set[a->index] = true;
			add_default_entry(s, set);
		}
	}
}

/* What taking T enters (approximated: all of the targets' ancestors). */
static void
add_targets(const struct scxml_transition *t, bool *set)
{
	for (size_t i = 0; i < t->ntargets; i++) {
		for (const struct scxml_state *a = t->targets[i]->parent;
		     a != NULL; a = a->parent)
			set[a->index] = true;
		add_default_entry(t->targets[i], set);
	}
}

static void
check_reachable(struct checker *c, bool *reach)
{
	const struct scxml *ch = c->chart;
	bool changed = true;

	add_default_entry(ch->states[0], reach);
	while (changed) {
		changed = false;
		for (size_t i = 0; i < ch->nstates; i++) {
			const struct scxml_state *st = ch->states[i];

			if (!reach[i])
				continue;
			for (size_t j = 0; j < st->ntransitions; j++) {
				bool *add = xcalloc(ch->nstates, sizeof(bool));

				add_targets(st->transitions[j], add);
				for (size_t k = 0; k < ch->nstates; k++) {
					if (add[k] && !reach[k])
						reach[k] = changed = true;
				}
				free(add);
			}
			/* a parallel's regions and a compound's children
			   are entered with it */
			if (st->kind == SCXML_KIND_PARALLEL)
				for (size_t k = 0; k < st->nchildren; k++) {
					size_t x = st->children[k]->index;

					if (!reach[x])
						reach[x] = changed = true;
				}
		}
	}
	for (size_t i = 1; i < ch->nstates; i++) {
		if (!reach[i])
			cerror(c, ch->states[i]->line, "state '%s' can never "
			       "be entered", ch->states[i]->id);
	}
}

/* Whether some transition from atomic A (its own or an ancestor's)
   enters an atomic state in DONE. */
static bool
leads_to(const struct scxml *ch, const struct scxml_state *a,
	 const bool *done)
{
	bool *set = xcalloc(ch->nstates, sizeof(bool));
	bool found = false;

	for (const struct scxml_state *s = a; s != NULL && !found;
	     s = s->parent) {
		for (size_t j = 0; j < s->ntransitions && !found; j++) {
			memset(set, 0, ch->nstates * sizeof(bool));
			add_targets(s->transitions[j], set);
			for (size_t k = 0; k < ch->nstates && !found; k++)
				found = set[k] && done[k] &&
					is_atomic(ch->states[k]);
		}
	}
	free(set);
	return found;
}

static void
check_dead_ends(struct checker *c, const bool *reach)
{
	const struct scxml *ch = c->chart;
	bool *done = xcalloc(ch->nstates, sizeof(bool));
	bool changed = true, any_final = false;

	for (size_t i = 1; i < ch->nstates; i++) {
		const struct scxml_state *st = ch->states[i];

		if (st->kind == SCXML_KIND_FINAL && st->parent == ch->states[0])
			done[i] = any_final = true;
	}
	if (!any_final) {
		cerror(c, ch->states[0]->line, "no top-level <final> state: "
		       "cases could never be closed");
		free(done);
		return;
	}
	while (changed) {
		changed = false;
		for (size_t i = 1; i < ch->nstates; i++) {
			if (!done[i] && is_atomic(ch->states[i]) &&
			    leads_to(ch, ch->states[i], done))
				done[i] = changed = true;
		}
	}
	for (size_t i = 1; i < ch->nstates; i++) {
		const struct scxml_state *st = ch->states[i];

		if (reach[i] && is_atomic(st) && !done[i])
			cerror(c, st->line, "state '%s': no final state can be "
			       "reached from it", st->id);
	}
	free(done);
}

/* --- events -------------------------------------------------------------- */

/* Collects what actions raise and the roles they name. */
static void
walk_actions(struct checker *c, const xmlNode *node)
{
	for (const xmlNode *n = node->children; n != NULL; n = n->next) {
		char *v = NULL, *field = NULL;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (scxml_node_is(n, "raise") &&
		    (v = workflow_attr(n, "event")) != NULL)
			strlist_add(&c->raisable, v);
		else if (workflow_node_is(n, "notify") ||
			 workflow_node_is(n, "assign"))
			v = workflow_attr(n, "to");
		else if (workflow_node_is(n, "set") &&
			 (field = workflow_attr(n, "field")) != NULL &&
			 strcmp(field, "group") == 0)
			v = workflow_attr(n, "value");
		if (v != NULL && strncmp(v, "role:", 5) == 0 &&
		    !scxml_node_is(n, "raise"))
			strlist_addf(&c->roles_used, "%ld %s", xmlGetLineNo(n),
				     v + 5);
		free(v);
		free(field);
		walk_actions(c, n);
	}
}

static bool
can_occur(const struct checker *c, const char *descriptor)
{
	for (size_t i = 0; i < c->raisable.n; i++) {
		if (scxml_event_match(descriptor, c->raisable.v[i]))
			return true;
	}
	return false;
}

/* Each descriptor of each transition must match an event that can
   occur. */
static void
check_events(struct checker *c)
{
	const struct scxml *ch = c->chart;

	for (size_t i = 0; i < ch->nstates; i++) {
		const struct scxml_state *st = ch->states[i];

		for (size_t j = 0; j < st->ntransitions; j++) {
			const struct scxml_transition *t = st->transitions[j];
			struct strlist events = { 0 };

			workflow_split_words(t->event, &events);
			for (size_t k = 0; k < events.n; k++) {
				if (!can_occur(c, events.v[k]))
					cerror(c, xmlGetLineNo(t->node),
					       "event '%s': nothing raises it "
					       "(no command, timer, raise or "
					       "built-in event)", events.v[k]);
			}
			strlist_clear(&events);
			if (t->event == NULL && t->cond == NULL &&
			    (t->ntargets == 0 ||
			     (t->ntargets == 1 && t->targets[0] == st)))
				cerror(c, xmlGetLineNo(t->node), "eventless "
				       "transition without cond %s: it would "
				       "loop forever", t->ntargets == 0 ?
				       "or target" : "back to its own state");
		}
	}
}

/* Whether a transition of ST, an ancestor or a descendant handles EV. */
static bool
handled(const struct scxml *ch, const struct scxml_state *st, const char *ev)
{
	for (size_t i = 1; i < ch->nstates; i++) {
		const struct scxml_state *s = ch->states[i];

		if (s != st && !scxml_is_descendant(s, st) &&
		    !scxml_is_descendant(st, s))
			continue;
		for (size_t j = 0; j < s->ntransitions; j++) {
			const char *e = s->transitions[j]->event;

			if (e != NULL && scxml_event_match(e, ev))
				return true;
		}
	}
	return false;
}

static bool
handled_anywhere(const struct scxml *ch, const char *ev)
{
	return handled(ch, ch->states[0], ev);
}

static void
check_timers(struct checker *c)
{
	for (size_t i = 0; i < c->wf->ntimers; i++) {
		const struct workflow_timer *t = &c->wf->timers[i];
		const struct scxml_state *st = scxml_find(c->chart, t->state);

		if (st == NULL) {
			cerror(c, t->line, "timer '%s' is not inside a state",
			       t->id);
			continue;
		}
		if (!handled(c->chart, st, t->event))
			cerror(c, t->line, "timer '%s': no transition in state "
			       "'%s' or around it handles its event '%s'",
			       t->id, t->state, t->event);
	}
}

/* --- roles, commands, templates ------------------------------------------ */

static bool
known_role(const struct workflow *wf, const char *id)
{
	for (size_t i = 0; i < wf->nroles; i++) {
		if (strcmp(wf->roles[i].id, id) == 0)
			return true;
	}
	return false;
}

static void
check_roles(struct checker *c)
{
	const struct workflow *wf = c->wf;

	for (size_t i = 0; i < c->roles_used.n; i++) {
		char *role;
		long line = strtol(c->roles_used.v[i], &role, 10);

		role++;
		if (!known_role(wf, role))
			cerror(c, line, "unknown role '%s' (not in <roles>)",
			       role);
	}
	for (size_t i = 0; i < wf->ncommands; i++) {
		for (size_t j = 0; j < wf->commands[i].roles.n; j++) {
			if (!known_role(wf, wf->commands[i].roles.v[j]))
				cerror(c, wf->commands[i].line, "command '%s': "
				       "unknown role '%s'", wf->commands[i].word,
				       wf->commands[i].roles.v[j]);
		}
	}
}

static void
check_commands(struct checker *c)
{
	const struct workflow *wf = c->wf;
	struct strlist seen = { 0 };	/* folded words */
	size_t *lines = NULL, nlines = 0;

	for (size_t i = 0; i < wf->ncommands; i++) {
		const struct workflow_command *cmd = &wf->commands[i];

		for (size_t j = 0; j <= cmd->aliases.n; j++) {
			const char *w = j == 0 ? cmd->word : cmd->aliases.v[j - 1];
			char *f = workflow_fold(w);
			size_t k;

			for (k = 0; k < seen.n; k++) {
				if (strcmp(seen.v[k], f) == 0)
					break;
			}
			if (k < seen.n)
				cerror(c, cmd->line, "command word '%s' is "
				       "already used (line %zu)", w, lines[k]);
			strlist_add(&seen, f);
			SCXML_PUSH(lines, nlines, (size_t)cmd->line);
			free(f);
		}
		if (!handled_anywhere(c->chart, cmd->event))
			cerror(c, cmd->line, "command '%s': no transition "
			       "handles its event '%s'", cmd->word, cmd->event);
	}
	strlist_clear(&seen);
	free(lines);
}

static bool
declared(const struct workflow *wf, const char *id)
{
	for (size_t i = 0; i < wf->ntemplates; i++) {
		if (strcmp(wf->templates[i].id, id) == 0)
			return true;
	}
	return false;
}

/* Renders template T of language LANG with every variable cirm gives:
   an unknown variable or a broken section is found here, not in a
   citizen's mail. */
static void
try_template(struct checker *c, const char *dir, const char *lang,
	     const struct workflow_template *t, const char *name)
{
	struct template_var vars[32];
	size_t n = 0;
	char *subject = NULL, *body = NULL, *err = NULL;

	for (; template_variables[n] != NULL && n < N_ELEMENTS(vars); n++) {
		vars[n].name = template_variables[n];
		vars[n].value = "x";
	}
	if (template_render(dir, lang, name, vars, n, &subject, &body,
			    &err) < 0) {
		cerror(c, t->line, "template '%s': %s", name, err);
		free(err);
	} else if (name != t->id && !c->wf->sms_links &&
		   (strcasestr(body, "http://") != NULL ||
		    strcasestr(body, "https://") != NULL ||
		    strcasestr(body, "www.") != NULL)) {
		/* Links in SMS cost segments and look like phishing. */
		cerror(c, t->line, "template '%s' (%s) has a link; SMS carry "
		       "none unless the workflow says sms-links=\"yes\"", name,
		       lang);
	}
	free(subject);
	free(body);
}

static void
check_templates(struct checker *c, const char *dir)
{
	const struct workflow *wf = c->wf;
	struct strlist langs = { 0 };
	DIR *d;
	struct dirent *e;

	for (size_t i = 0; i < wf->nused_templates; i++) {
		if (!declared(wf, wf->used_templates[i].id))
			cerror(c, wf->used_templates[i].line, "template '%s' is "
			       "not declared in <templates>",
			       wf->used_templates[i].id);
	}
	if (dir == NULL)
		return;
	d = opendir(dir);
	if (d == NULL) {
		cerror(c, 1, "template directory %s cannot be read", dir);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		DIR *sub;
		char *path;

		if (e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		sub = opendir(path);
		if (sub != NULL) {
			strlist_add(&langs, e->d_name);
			closedir(sub);
		}
		free(path);
	}
	closedir(d);
	for (size_t i = 0; i < wf->ntemplates; i++) {
		for (size_t j = 0; j < langs.n; j++) {
			char *path = xasprintf("%s/%s/%s", dir, langs.v[j],
					       wf->templates[i].id);

			if (access(path, R_OK) != 0)
				cerror(c, wf->templates[i].line, "template '%s' "
				       "is missing for language '%s' (%s)",
				       wf->templates[i].id, langs.v[j], path);
			else
				try_template(c, dir, langs.v[j],
					     &wf->templates[i],
					     wf->templates[i].id);
			free(path);
			/* The SMS variant, where there is one. */
			path = xasprintf("%s/%s/%s.sms", dir, langs.v[j],
					 wf->templates[i].id);
			if (access(path, R_OK) == 0) {
				char *name = xasprintf("%s.sms",
						       wf->templates[i].id);

				try_template(c, dir, langs.v[j],
					     &wf->templates[i], name);
				free(name);
			}
			free(path);
		}
	}
	if (langs.n == 0)
		cerror(c, 1, "template directory %s has no language "
		       "directories", dir);
	strlist_clear(&langs);
}

size_t
workflow_check(const struct workflow *wf, const char *template_dir,
	       struct strlist *errors)
{
	struct checker c = { .wf = wf, .chart = wf->chart, .errors = errors };
	bool *reach = xcalloc(wf->chart->nstates, sizeof(bool));

	for (size_t i = 0; builtin_events[i] != NULL; i++)
		strlist_add(&c.raisable, builtin_events[i]);
	for (size_t i = 0; i < wf->ncommands; i++)
		strlist_add(&c.raisable, wf->commands[i].event);
	for (size_t i = 0; i < wf->ntimers; i++)
		strlist_add(&c.raisable, wf->timers[i].event);
	for (size_t i = 1; i < wf->chart->nstates; i++) {
		const struct scxml_state *st = wf->chart->states[i];

		if (scxml_is_compound(st) || st->kind == SCXML_KIND_PARALLEL)
			strlist_addf(&c.raisable, "done.state.%s", st->id);
	}
	walk_actions(&c, xmlDocGetRootElement(wf->chart->xml));
	check_reachable(&c, reach);
	check_dead_ends(&c, reach);
	check_events(&c);
	check_timers(&c);
	check_roles(&c);
	check_commands(&c);
	check_templates(&c, template_dir);
	free(reach);
	strlist_clear(&c.raisable);
	strlist_clear(&c.roles_used);
	return c.count;
}

/* --- lookups -------------------------------------------------------------- */

const struct workflow_state *
workflow_state(const struct workflow *wf, const char *id)
{
	for (size_t i = 0; i < wf->nstates; i++) {
		if (strcmp(wf->states[i].id, id) == 0)
			return &wf->states[i];
	}
	return NULL;
}

void
workflow_state_timers(const struct workflow *wf, const char *id,
		      void (*fn)(void *ctx, const struct workflow_timer *t),
		      void *ctx)
{
	for (size_t i = 0; i < wf->ntimers; i++) {
		if (strcmp(wf->timers[i].state, id) == 0)
			fn(ctx, &wf->timers[i]);
	}
}

const struct workflow_command *
workflow_command(const struct workflow *wf, const char *word)
{
	char *f = workflow_fold(word);
	const struct workflow_command *found = NULL;

	for (size_t i = 0; i < wf->ncommands && found == NULL; i++) {
		const struct workflow_command *c = &wf->commands[i];

		for (size_t j = 0; j <= c->aliases.n && found == NULL; j++) {
			char *g = workflow_fold(j == 0 ? c->word :
						c->aliases.v[j - 1]);

			if (strcmp(f, g) == 0)
				found = c;
			free(g);
		}
	}
	free(f);
	return found;
}

const char *
workflow_category_name(enum workflow_category c)
{
	static const char *const names[] = { "initial", "active", "waiting",
					     "inactive" };

	return names[c];
}
