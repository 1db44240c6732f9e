/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl case list | show | assign */
#include "config.h"

#include "caseflow.h"
#include "cfg.h"
#include "ctl.h"
#include "e164.h"
#include "i18n.h"
#include "mailin.h"
#include "store.h"
#include "util.h"
#include "workflow.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* The characters of a subject case list shows. */
#define CTL_SUBJECT_LISTED 80

/* What case list works with: the store, and the workflows (read from
   it as needed) that name the states. */
struct list_ctx {
	struct store *store;
	struct caseflow *cf;
	int rows;
};

/* STATE of WORKFLOW and VERSION as people are shown it: its label
   ("löst" for lost), as case show has it. */
static const char *
state_label(struct list_ctx *l, const char *workflow, int version,
	    const char *state)
{
	return caseflow_state_label(l->cf, l->store, workflow, version, state);
}

static int
print_row(const struct store_case *c, void *ctx)
{
	struct list_ctx *l = ctx;
	char t[32], *subject;

	ctl_print_cell(stdout, c->number, 21);
	ctl_print_cell(stdout, state_label(l, c->workflow, c->workflow_version,
					   c->state), 16);
	ctl_print_cell(stdout, c->channel, 8);
	ctl_print_cell(stdout, ctl_time(c->received_at, t), 18);
	ctl_print_cell(stdout, c->assignee, 12);
	/* a line a case: a subject of pages (a sender's) would bury the
	   other cases; case show has it whole */
	subject = c->subject != NULL ?
		text_excerpt_chars(c->subject, CTL_SUBJECT_LISTED) : NULL;
	ctl_print_cell(stdout, subject, 0);
	free(subject);
	fputc('\n', stdout);
	l->rows++;
	return 0;
}

/* What match_state (for --state) and print_state work with, over the
   states cases are in. */
struct states_ctx {
	struct list_ctx *l;
	const char *want;	/* as given to --state */
	char *fold;		/* ...folded */
	bool id;		/* a state's id is WANT */
	struct strlist ids;	/* the states whose label is WANT */
	int printed;
};

static int
match_state(const char *state, const char *workflow, int version, int64_t n,
	    void *ctx)
{
	struct states_ctx *sc = ctx;
	const char *label;
	char *fold;

	(void)n;
	if (state == NULL)
		return 0;
	if (strcmp(state, sc->want) == 0) {
		sc->id = true;
		return 1;
	}
	label = state_label(sc->l, workflow, version, state);
	fold = workflow_fold(label);
	if (strcmp(fold, sc->fold) == 0 && !strlist_has(&sc->ids, state))
		strlist_add(&sc->ids, state);
	free(fold);
	return 0;
}

static int
print_state(const char *state, const char *workflow, int version, int64_t n,
	    void *ctx)
{
	struct states_ctx *sc = ctx;
	const char *label = state != NULL ?
		state_label(sc->l, workflow, version, state) : NULL;

	printf("%s", sc->printed++ ? ", " : "  ");
	if (state == NULL)
		printf("- (%lld)", (long long)n);
	else if (strcmp(label, state) != 0)
		printf("%s (%s, %lld)", label, state, (long long)n);
	else
		printf("%s (%lld)", state, (long long)n);
	return 0;
}

/* --state matched nothing: says so, and which states cases are in,
   since the name is most often mistyped or in the wrong language
   (the shipped workflows name their states in Swedish). */
static int
no_case_in_state(struct list_ctx *l, const char *state)
{
	struct states_ctx sc = { .l = l };
	char *err = NULL;

	printf(_("(no cases in state '%s')"), state);
	fputc('\n', stdout);
	printf("%s\n", _("Cases are in these states:"));
	if (store_case_states(l->store, print_state, &sc, &err) < 0) {
		ctl_error("%s", err);
		free(err);
		return 1;
	}
	printf("%s\n", sc.printed ? "" : _("  none: there are no cases"));
	return 0;
}

/* WANT, given to --state, as the state id to list in *ID_R (caller
   frees): a state's id, else the label of one (case and Swedish
   letters folded, "Löst" for lost), else WANT as it is. 0, or 1 when
   WANT is the label of states of different ids (said so), or -1. */
static int
state_wanted(struct list_ctx *l, const char *want, char **id_r)
{
	struct states_ctx sc = { .l = l, .want = want,
				 .fold = workflow_fold(want) };
	char *err = NULL;
	int ret = 0;

	*id_r = NULL;
	if (store_case_states(l->store, match_state, &sc, &err) < 0) {
		ctl_error("%s", err);
		free(err);
		ret = -1;
	} else if (!sc.id && sc.ids.n > 1) {
		char *ids = strlist_join_sep(&sc.ids, ", ");

		ctl_error(_("'%s' is the name of the states %s: give one "
			    "of them to --state"), want, ids);
		free(ids);
		ret = 1;
	} else {
		*id_r = xstrdup(!sc.id && sc.ids.n == 1 ? sc.ids.v[0] : want);
	}
	strlist_clear(&sc.ids);
	free(sc.fold);
	return ret;
}

static int
case_list(struct store *store, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "assignee", required_argument, NULL, 'a' },
		{ "open", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct caseflow_settings none = { 0 };
	struct store_case_filter f = { NULL, 50, NULL, false };
	struct list_ctx l = { store, NULL, 0 };
	char *err = NULL, *state = NULL;
	const char *asked;
	int c, ret = 0;
	long n;

	while ((c = ctl_getopt(argc, argv, "s:n:a:o", opts)) != -1) {
		switch (c) {
		case 's':
			f.state = optarg;
			break;
		case 'a':
			f.assignee = optarg;
			break;
		case 'o':
			f.open_only = true;
			break;
		case 'n':
			if (str_to_long(optarg, 1, 1000000, &n) < 0) {
				ctl_error(_("--limit must be a whole number from "
					    "1 to 1000000, not '%s'"), optarg);
				return EX_USAGE;
			}
			f.limit = (int)n;
			break;
		default:
			ctl_error("%s", _("usage: cirmctl case list [--state "
					  "STATE] [--assignee LOGIN] [--open] "
					  "[--limit N]"));
			return EX_USAGE;
		}
	}
	if (ctl_too_many(argc, argv, optind, 0)) {
		ctl_error("%s", _("usage: cirmctl case list [--state "
				  "STATE] [--assignee LOGIN] [--open] "
				  "[--limit N]"));
		return EX_USAGE;
	}
	if (f.assignee != NULL) {
		int64_t hid;
		int active, r = store_handler_find(store, f.assignee, &hid,
						   &active, &err);

		if (r <= 0) {
			if (r == 0)
				ctl_error(_("there is no handler %s"),
					  f.assignee);
			else
				ctl_error("%s", err);
			free(err);
			return 1;
		}
	}
	l.cf = caseflow_new(&none);
	asked = f.state;
	if (f.state != NULL) {
		int r = state_wanted(&l, f.state, &state);

		if (r != 0) {
			caseflow_free(&l.cf);
			return 1;
		}
		f.state = state;
	}
	ctl_print_cell(stdout, _("NUMBER"), 21);
	ctl_print_cell(stdout, _("STATE"), 16);
	ctl_print_cell(stdout, _("CHANNEL"), 8);
	ctl_print_cell(stdout, _("RECEIVED"), 18);
	ctl_print_cell(stdout, _("ASSIGNEE"), 12);
	ctl_print_cell(stdout, _("SUBJECT"), 0);
	fputc('\n', stdout);
	if (store_case_list(store, &f, print_row, &l, &err) < 0) {
		ctl_error("%s", err);
		free(err);
		ret = 1;
	} else if (l.rows == 0 && (f.state == NULL || f.assignee != NULL ||
				   f.open_only)) {
		printf("%s\n", _("(no cases)"));
	} else if (l.rows == 0) {
		ret = no_case_in_state(&l, asked);
	}
	free(state);
	caseflow_free(&l.cf);
	return ret;
}

/* Phone numbers are personal data that shoulder-surfers and screen
   shares pick up easily: masked unless --numbers asked for them. */
static int
print_address(const struct store_address *a, void *ctx)
{
	const bool *numbers = ctx;
	char masked[E164_MASK_SIZE];

	/* a citizen's address may carry terminal escapes ("\"\e[2J\"@x") */
	printf("%*s%s: ", 14, "", ctl_address_kind(a->kind));
	ctl_print_cell(stdout, strcmp(a->kind, "phone") == 0 && !*numbers ?
		       e164_mask(a->address, masked) : a->address, 0);
	fputc('\n', stdout);
	return 0;
}

static int
print_attachment(const struct store_attachment *a, void *ctx)
{
	/* the sender named the file and its type, escapes and all */
	fputs("    + ", stdout);
	ctl_print_cell(stdout, a->filename, 0);
	fputs("  ", stdout);
	ctl_print_cell(stdout, a->content_type, 0);
	printf("  %lld\n", (long long)a->size);
	return 0;
}

int
ctl_print_message(const struct store_message *m, void *ctx)
{
	struct store *store = ctx;
	char t[32], *err = NULL;

	printf("  %s  ", ctl_time(m->at, t));
	/* TRANSLATORS: a message's direction and visibility in case show,
	   short words in columns of 3 and 8 characters */
	ctl_print_cell(stdout, strcmp(m->direction, "in") == 0 ? _("in") :
			       strcmp(m->direction, "out") == 0 ? _("out") :
			       m->direction, 5);
	ctl_print_cell(stdout, m->channel, 7);
	/* TRANSLATORS: "refused" is a handler's reply cirm did not carry
	   out or send, in the same column of 10 characters */
	ctl_print_cell(stdout, m->refused ? _("refused") :
			       strcmp(m->visibility, "public") == 0 ?
			       _("public") :
			       strcmp(m->visibility, "internal") == 0 ?
			       _("internal") : m->visibility, 10);
	ctl_print_cell(stdout, m->sender, 0);
	fputc('\n', stdout);
	if (m->subject != NULL) {
		fputs("    ", stdout);
		ctl_print_cell(stdout, m->subject, 0);
		fputc('\n', stdout);
	}
	ctl_print_lines(m->body, "    | ", 0);
	if (store_message_attachments(store, m->id, print_attachment, NULL,
				      &err) < 0) {
		ctl_error("%s", err);
		free(err);
	}
	return 0;
}

/* The case whose history is printed: its workflow names the states. */
struct history_ctx {
	struct caseflow *cf;
	struct store *store;
	const char *workflow;
	int version;
};

/* STATE as people are shown it, with its id when the label differs
   ("löst (lost)"), as case show's State line has it. */
static void
print_history_state(FILE *out, const struct history_ctx *h, const char *state)
{
	const char *label = state != NULL && h != NULL && h->cf != NULL ?
		caseflow_state_label(h->cf, h->store, h->workflow, h->version,
				     state) : NULL;

	if (state == NULL)
		fputs("-", out);
	else if (label != NULL && strcmp(label, state) != 0)
		fprintf(out, "%s (%s)", label, state);
	else
		fputs(state, out);
}

static int
print_event(const struct store_event *e, void *ctx)
{
	const struct history_ctx *h = ctx;
	char t[32], *line = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&line, &len);

	if (out == NULL)
		return -1;
	fprintf(out, "  %s  ", ctl_time(e->at, t));
	ctl_print_cell(out, e->kind, 22);
	/* TRANSLATORS: who did what in a case's history, when no person
	   did, or a citizen without a name did */
	ctl_print_cell(out, e->actor == NULL ? _("system") :
		       strcmp(e->actor, "citizen") == 0 ? _("citizen") :
		       e->actor, 12);
	if (e->from_state != NULL || e->to_state != NULL) {
		print_history_state(out, h, e->from_state);
		fputs(" -> ", out);
		print_history_state(out, h, e->to_state);
		fputs("  ", out);
	}
	if (e->detail != NULL)
		ctl_print_cell(out, e->detail, 0);
	if (fclose(out) != 0) {
		free(line);
		return -1;
	}
	/* the columns' padding, not at the end of the line */
	while (len > 0 && line[len - 1] == ' ')
		len--;
	printf("%.*s\n", (int)len, line);
	free(line);
	return 0;
}

struct show_ctx {
	struct store *store;
	char *err;
	int failed;
	bool numbers;	/* phone numbers in full */
	bool conversation; /* not the notifications to handlers */
	struct caseflow *cf; /* the cases' workflows, from the database */
};

/* An armed workflow timer: when it fires, with which event. */
static int
print_timer(const struct store_timer *t, void *ctx)
{
	char when[32];
	int *n = ctx;

	printf("  %s  %-20s %s (%s)\n", ctl_time(t->fire_at, when), t->name,
	       t->event, t->state);
	(*n)++;
	return 0;
}

/* The language the citizen reads cirm's texts in (#språk changes it). */
static int
citizen_language(struct store *store, int64_t citizen, char **error_r)
{
	char *kind = NULL, *lang = NULL;
	int rc = store_contact_kind(store, citizen, &kind, &lang, error_r);

	if (rc > 0)
		ctl_field(_("Language:"), lang);
	free(kind);
	free(lang);
	return rc < 0 ? -1 : 0;
}

static int
show_case(const struct store_case *c, void *ctx)
{
	struct show_ctx *sc = ctx;
	char t[32], wf[128];
	int64_t citizen;

	ctl_field(_("Case:"), c->number);
	{
		/* as case officers are shown it, with the ids that case
		   list --state and workflow migrate take; a register
		   extract, which goes to the citizen, has the label alone
		   ("löst (lost)" would read as English) */
		const char *label = caseflow_state_label(sc->cf, sc->store,
							 c->workflow,
							 c->workflow_version,
							 c->state);
		char *both = label != NULL && c->state != NULL &&
			strcmp(label, c->state) != 0 ?
			sc->conversation ? xstrdup(label) :
			xasprintf("%s (%s)", label, c->state) : NULL;

		ctl_field(_("State:"), both != NULL ? both : c->state);
		free(both);
	}
	ctl_field(_("Subject:"), c->subject);
	/* the channel in the words the addresses have ("e-post") */
	ctl_field(_("Channel:"), ctl_address_kind(c->channel));
	ctl_field(_("Citizen:"), c->citizen);
	if (store_case_citizen(sc->store, c->id, &citizen, &sc->err) > 0 &&
	    (store_contact_addresses(sc->store, citizen, print_address,
				     &sc->numbers, &sc->err) < 0 ||
	     citizen_language(sc->store, citizen, &sc->err) < 0))
		sc->failed = 1;
	ctl_field(_("Priority:"), c->priority);
	ctl_field(_("Category:"), c->category);
	ctl_field(_("Assignee:"), c->assignee);
	ctl_field(_("Received:"), ctl_time(c->received_at, t));
	/* as the case officers' mail shows it: "by Friday", not Monday
	   08:00 (the stored deadline, where its timers fire) */
	ctl_field(_("Due:"), ctl_time(caseflow_due_shown(sc->cf, sc->store,
							 c->workflow,
							 c->workflow_version,
							 c->due_at), t));
	ctl_field(_("Closed:"), ctl_time(c->closed_at, t));
	if (c->merged_into != NULL)
		ctl_field(_("Merged into:"), c->merged_into);
	if (c->merged_here != NULL)
		ctl_field(_("Merged here:"), c->merged_here);
	if (c->workflow != NULL)
		snprintf(wf, sizeof(wf), "%s v%d", c->workflow, c->workflow_version);
	ctl_field(_("Workflow:"), c->workflow != NULL ? wf : NULL);
	printf("\n%s\n", _("Messages:"));
	if (store_case_messages(sc->store, c->id, sc->conversation,
				ctl_print_message, sc->store, &sc->err) < 0)
		sc->failed = 1;
	printf("\n%s\n", _("History:"));
	if (!sc->failed) {
		struct history_ctx h = {
			.cf = sc->cf, .store = sc->store,
			.workflow = c->workflow, .version = c->workflow_version,
		};

		if (store_case_events(sc->store, c->id, print_event, &h,
				      &sc->err) < 0)
			sc->failed = 1;
	}
	if (!sc->failed && c->closed_at == 0) {
		int timers = 0;

		printf("\n%s\n", _("Timers:"));
		if (store_case_timers(sc->store, c->id, print_timer, &timers,
				      &sc->err) < 0)
			sc->failed = 1;
		else if (timers == 0)
			printf("  %s\n", _("(none armed)"));
	}
	return 0;
}

/* Case numbers are written in capitals, but read off a letter or typed
   in a hurry they may not be, and copied from a mail or a spreadsheet
   they come with blanks around them. S in capitals, without those. */
static char *
case_number_arg(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
			 s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	for (char *p = s; *p != '\0'; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	}
	return s;
}

int
ctl_case_print(struct store *store, const char *number, bool numbers,
	       bool conversation, char **error_r)
{
	static const struct caseflow_settings none = { 0 };
	struct show_ctx sc = { store, NULL, 0, numbers, conversation,
			       caseflow_new(&none) };
	int found = store_case_get(store, number, show_case, &sc, &sc.err);

	caseflow_free(&sc.cf);
	if (found >= 0 && !sc.failed)
		return found;
	*error_r = sc.err;
	return -1;
}

static int
removed_at(const struct store_audit_entry *e, void *ctx)
{
	*(int64_t *)ctx = e->at;
	return 1;
}

/* Whether TEXT has the shape of a case number, PREFIX-YYYY-NNNNN. */
static bool
number_shaped(const char *text)
{
	const char *d = strchr(text, '-');
	size_t n;

	if (d == NULL || d == text || strspn(d + 1, "0123456789") != 4 ||
	    d[5] != '-')
		return false;
	n = strspn(d + 6, "0123456789");
	return n >= 5 && d[6 + n] == '\0';
}

/* "no case NUMBER", and when retention removed it, when: the number
   in an old mail or a register is otherwise a mystery; what a number
   looks like, when it does not look like one. */
static void
no_case(struct store *store, const char *number)
{
	int64_t at = 0, n = 0;
	char *err = NULL, t[32];

	if (!number_shaped(number))
		ctl_error(_("no case %s: a case number is PREFIX-YEAR-NUMBER, "
			    "as in KS-2026-00042"), number);
	else if (store_audit_list(store, "case.removed", number, 1,
				  removed_at, &at, &n, &err) == 0 && n > 0)
		ctl_error(_("no case %s: retention removed it on %s (cirmctl "
			    "audit list --object %s)"), number,
			  ctl_time(at, t), number);
	else
		ctl_error(_("no case %s"), number);
	free(err);
}

static int
case_show(struct store *store, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "numbers", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	int numbers = 0, bad = 0, c;
	char *err = NULL;
	int found;

	/* --numbers before or after the number, as any command's options */
	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		if (c == 'N')
			numbers++;
		else
			bad = 1;
	}
	/* "case show --numbers" alone, --numbers twice, or a misspelt
	   option: a usage error */
	if (bad || numbers > 1 || ctl_too_many(argc, argv, optind, 1) ||
	    optind != argc - 1) {
		ctl_error("%s", _("usage: cirmctl case show [--numbers] NUMBER"));
		return EX_USAGE;
	}
	argv += optind - 1;
	argv[1] = case_number_arg(argv[1]);
	/* reading a case is logged (a read log), before it is shown */
	{
		int64_t id;

		found = store_case_id(store, argv[1], &id, &err);
		if (found > 0 &&
		    ctl_audit_add(store, "case.read", argv[1], numbers ?
				  "case show --numbers" : "case show",
				  &err) < 0)
			found = -1;
	}
	if (found > 0)
		found = ctl_case_print(store, argv[1], numbers, false, &err);
	if (found < 0) {
		ctl_error("%s", err);
		free(err);
		return 1;
	}
	if (found == 0) {
		no_case(store, argv[1]);
		return 1;
	}
	return 0;
}

static int
take_case(const struct store_case *c, void *ctx)
{
	struct store_case *to = ctx;

	to->id = c->id;
	to->number = xstrdup(c->number);
	to->state = xstrdup(c->state);
	to->assignee = c->assignee != NULL ? xstrdup(c->assignee) : NULL;
	to->closed_at = c->closed_at;
	return 0;
}

static void
case_clear(struct store_case *c)
{
	free((char *)c->number);
	free((char *)c->state);
	free((char *)c->assignee);
	memset(c, 0, sizeof(*c));
}

/* The case's assign command: the one with the word or alias "assign",
   else "tilldela" (a workflow written in Swedish only). */
static const struct workflow_command *
assign_command(const struct workflow *wf)
{
	const struct workflow_command *cmd = workflow_command(wf, "assign");

	return cmd != NULL ? cmd : workflow_command(wf, "tilldela");
}

/* The groups WF's roles are, "a, b" (caller frees). */
static char *
role_groups(const struct workflow *wf)
{
	struct strlist l = { 0 };
	char *out;

	for (size_t i = 0; i < wf->nroles; i++)
		if (wf->roles[i].group != NULL &&
		    !strlist_has(&l, wf->roles[i].group))
			strlist_add(&l, wf->roles[i].group);
	out = strlist_join_sep(&l, ", ");
	strlist_clear(&l);
	return out;
}

/* cirmctl case assign NUMBER LOGIN: what a handler's #assign LOGIN in a
   reply does, for an administrator (the cases of a handler who left,
   say): the case's workflow takes its assign command's event, with
   LOGIN as the argument, so the state moves and the new assignee is
   notified as the workflow says. Checked, carried out and audited in
   one transaction; when the workflow did not make LOGIN the assignee
   (a condition, a state that ignores it), nothing is kept. */
static int
case_assign(const struct cfg *cfg, struct store *store, int argc, char **argv)
{
	struct store_case c = { 0 }, after = { 0 };
	struct caseflow_input in = { .now = cirm_now() };
	struct caseflow_skips skipped = { NULL, 0 };
	const struct workflow *wf = NULL;
	const struct workflow_command *cmd;
	struct strlist errors = { 0 };
	struct mailin *mi = NULL;
	struct caseflow *cf;
	char *err = NULL;
	int64_t handler;
	int r, role = 1, ret = 1;

	if (ctl_no_options(&argc, &argv) < 0 || ctl_too_many(argc, argv, 1, 2) ||
	    argc != 3) {
		ctl_error("%s", _("usage: cirmctl case assign NUMBER LOGIN"));
		return EX_USAGE;
	}
	argv[1] = case_number_arg(argv[1]);
	if ((mi = mailin_new(cfg, &err)) == NULL)
		goto fail;
	/* Only the case's own workflow matters here; a file that does not
	   load leaves the version the database has, which is what cirmd
	   runs too. */
	(void)mailin_load_workflows(mi, store, NULL, &errors);
	cf = mailin_caseflow(mi);
	if (store_begin(store, &err) < 0)
		goto fail;
	if ((r = store_case_get(store, argv[1], take_case, &c, &err)) <= 0) {
		if (r == 0)
			err = number_shaped(argv[1]) ?
				xasprintf(_("no case %s"), argv[1]) :
				xasprintf(_("no case %s: a case number is "
					    "PREFIX-YEAR-NUMBER, as in "
					    "KS-2026-00042"), argv[1]);
		goto rollback;
	}
	if ((r = store_handler_by_login(store, argv[2], &handler, &err)) <= 0) {
		int64_t id = 0, back = 0;
		int active = 0;
		char last[LOCAL_DAY_SIZE];

		/* away (#borta): say until when, not "no such handler" */
		if (r == 0 &&
		    store_handler_find(store, argv[2], &id, &active,
				       &err) > 0 && active &&
		    store_handler_away(store, id, &back, &err) > 0)
			err = xasprintf(_("handler %s is away up to and "
					  "including %s"), argv[2],
					local_day(back - 1, last));
		else if (r == 0 && err == NULL)
			err = xasprintf(_("there is no active handler %s "
					  "(cirmctl handler list)"), argv[2]);
		goto rollback;
	}
	/* a closed case first: it was its assignee's, and is no more
	   anyone's to be given */
	if ((r = caseflow_workflow_of(cf, store, c.id, &wf, &err)) <= 0) {
		if (r == 0)
			err = xasprintf(_("case %s is closed, or runs on no "
					  "workflow"), c.number);
		goto rollback;
	}
	if (c.assignee != NULL && strcmp(c.assignee, argv[2]) == 0) {
		store_rollback(store);
		printf(_("%s is assigned to %s already\n"), c.number, argv[2]);
		ret = 0;
		goto out;
	}
	if ((role = caseflow_has_role(store, wf, handler, &err)) < 0)
		goto rollback;
	if ((cmd = assign_command(wf)) == NULL) {
		err = xasprintf(_("workflow %s has no assign command"), wf->id);
		goto rollback;
	}
	if ((r = caseflow_handles(cf, store, c.id, cmd->event, &err)) <= 0) {
		if (r == 0)
			err = xasprintf(_("workflow %s does not take #%s in "
					  "state %s"), wf->id, cmd->word,
					workflow_state_label(wf, c.state));
		goto rollback;
	}
	in.argument = argv[2];
	in.skipped = &skipped;
	if (caseflow_event(cf, store, c.id, cmd->event, &in, &err) < 0 ||
	    store_case_get(store, c.number, take_case, &after, &err) < 0)
		goto rollback;
	if (after.assignee == NULL || strcmp(after.assignee, argv[2]) != 0) {
		err = xasprintf(_("workflow %s did not assign %s to %s in state "
				  "%s (a condition of its #%s): nothing "
				  "changed"), wf->id, c.number, argv[2],
				workflow_state_label(wf, c.state), cmd->word);
		goto rollback;
	}
	if (store_audit_add(store, in.now, store_audit_actor(), "case.assign",
			    c.number, argv[2], &err) < 0 ||
	    store_commit(store, &err) < 0)
		goto rollback;
	printf(_("%s: assigned to %s, who is notified as the workflow says "
		 "(cirmd sends it)\n"), c.number, argv[2]);
	/* a notification that reaches nobody (the new officer has no mail
	   address): not "notified" after all */
	for (size_t i = 0; i < skipped.n; i++)
		ctl_error(_("warning: the workflow skipped an action, as "
			    "nobody is there for it: %s"),
			  skipped.v[i].detail);
	/* allowed (the commands no role is named for are anyone's), but
	   rarely meant: #klar and the like will be refused them */
	if (role == 0) {
		char *groups = role_groups(wf);

		ctl_error(_("warning: %s has no role in workflow %s, so of "
			    "its commands %s may use only those open to "
			    "every case officer; its roles are the groups "
			    "%s (cirmctl handler set %s --add-group GROUP)"),
			  argv[2], wf->id, argv[2], groups, argv[2]);
		free(groups);
	}
	ret = 0;
	goto out;
rollback:
	store_rollback(store);
fail:
	ctl_error("%s", err);
	free(err);
out:
	case_clear(&c);
	case_clear(&after);
	strlist_clear(&errors);
	caseflow_skips_clear(&skipped);
	mailin_free(&mi);
	return ret;
}

static int
case_command(const struct cfg *cfg, struct store *store, int argc,
	     char **argv)
{
	if (strcmp(argv[1], "list") == 0)
		return case_list(store, argc - 1, argv + 1);
	if (strcmp(argv[1], "assign") == 0)
		return case_assign(cfg, store, argc - 1, argv + 1);
	if (strcmp(argv[1], "prune") == 0)
		return ctl_case_prune(cfg, store, argc - 1, argv + 1);
	return case_show(store, argc - 1, argv + 1);
}

int
ctl_case(const struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "list") != 0 &&
			 strcmp(argv[1], "show") != 0 &&
			 strcmp(argv[1], "assign") != 0 &&
			 strcmp(argv[1], "prune") != 0)) {
		if (argc >= 2)
			ctl_error(_("unknown case command '%s'"), argv[1]);
		ctl_error("%s", _("usage: cirmctl case list|show|assign|prune "
				  "..."));
		return EX_USAGE;
	}
	return ctl_with_store(ctl, case_command, argc, argv);
}
