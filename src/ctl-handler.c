/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl handler add|set|list|disable|enable: the municipality's case
   officers and the groups that workflow roles name. */
#include "config.h"

#include "caseflow.h"
#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "mailout.h"
#include "settings.h"
#include "store.h"
#include "token.h"
#include "util.h"
#include "workflow.h"

#include <getopt.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* A login: a-z first, then a-z, 0-9, '.', '_', '-', at most 32. */
static bool
valid_login(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 32 || s[0] < 'a' || s[0] > 'z')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	}
	return false;
}

/* An address mail can reach: a local part of at most 64 bytes, a
   domain of dot-separated labels with at least one dot ("eva@kommun",
   "eva@kommun.se." and "eva@kommun..se" are typing slips), at most 254
   in all (RFC 5321). */
static bool
valid_email(const char *s)
{
	const char *at = strchr(s, '@'), *dom;

	if (at == NULL || at == s || at[1] == '\0' || at - s > 64 ||
	    strlen(s) > 254 || strchr(at + 1, '@') != NULL ||
	    strpbrk(s, " \t<>\"(),;:") != NULL || has_control(s))
		return false;
	dom = at + 1;
	return strchr(dom, '.') != NULL && dom[0] != '.' &&
		dom[strlen(dom) - 1] != '.' && strstr(dom, "..") == NULL;
}

/* Mail addresses are kept in small letters, as incoming senders are
   compared: Eva@Kommun.example and eva@kommun.example are one. */
static char *
lower_ascii(char *s)
{
	for (char *p = s; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	return s;
}

/* A group name, as a workflow's role names it: a word. */
static bool
valid_group(const char *s)
{
	return *s != '\0' && !has_control(s) && strchr(s, ' ') == NULL;
}

/* Checks the details given to add or set, each bad one told; true when
   all are good, with *EMAIL_R (caller frees; NULL without EMAIL) the
   address as mail carries it: in small letters, a domain with å, ä or
   ö in its xn-- form (fia@håbo.se is fia@xn--hbo-ula.se), which is
   where cirm sends and what the handler's replies come from. */
static bool
details_ok(const char *name, const char *email, const char *lang,
	   const struct strlist *groups, char **email_r)
{
	bool ok = true;

	*email_r = NULL;

	/* Text from a terminal in Latin-1 would go into notifications as
	   broken UTF-8, and a group so named matches no workflow role. */
	if (name != NULL && utf8_bad_line(name) != 0) {
		ctl_error("%s", _("bad name: it is not UTF-8 text (is the "
				  "terminal set to UTF-8?)"));
		ok = false;
	} else if (name != NULL && has_control(name)) {
		ctl_error("%s", _("bad name: it must be one line without "
				  "control characters"));
		ok = false;
	}
	if (email != NULL && utf8_bad_line(email) != 0) {
		ctl_error("%s", _("bad address: it is not UTF-8 text (is the "
				  "terminal set to UTF-8?)"));
		ok = false;
	} else if (email != NULL && !valid_email(email)) {
		ctl_error(_("bad address '%s': it must be like "
			    "eva@kommun.example"), email);
		ok = false;
	} else if (email != NULL &&
		   (*email_r = mailout_address_ascii(email)) == NULL) {
		/* letters beyond ASCII before the @ need SMTPUTF8 */
		ctl_error(_("bad address '%s': cirm cannot send mail to it "
			    "(å, ä and ö may be in its domain, not before "
			    "the @)"), email);
		ok = false;
	} else if (email != NULL) {
		lower_ascii(*email_r);
	}
	if (lang != NULL && strcmp(lang, "sv") != 0 && strcmp(lang, "en") != 0) {
		ctl_error(_("bad language '%s': it must be sv or en"), lang);
		ok = false;
	}
	for (size_t i = 0; groups != NULL && i < groups->n; i++) {
		if (utf8_bad_line(groups->v[i]) != 0) {
			ctl_error("%s", _("bad group name: it is not UTF-8 "
					  "text (is the terminal set to "
					  "UTF-8?)"));
			ok = false;
		} else if (!valid_group(groups->v[i])) {
			ctl_error(_("bad group name '%s': it must be one word"),
				  groups->v[i]);
			ok = false;
		}
	}
	return ok;
}

/* Whether EMAIL may become the address of handler SELF (0: one being
   added): 0 when no one else has it; 1 when a citizen has it and TAKE,
   after taking it from them (their cases stay, without it); else -1 with
   *error_r saying why and what to do. Staff mostly try cirm from their
   own address before they are handlers, and so become citizens. */
static int
free_address(struct store *store, const char *email, int64_t self, bool take,
	     char **error_r)
{
	int64_t other;
	bool handler, active;
	int r = store_contact_find_full(store, "email", email, &other,
					&handler, &active, error_r);

	if (r <= 0 || other == self)
		return r;
	if (handler) {
		*error_r = xasprintf(_("the address %s is another handler's "
				       "already"), email);
		return -1;
	}
	if (!take) {
		*error_r = xasprintf(_("the address %s is a citizen's who wrote "
				       "in (a try from the handler's own "
				       "address?): give --take-address to "
				       "make it the handler's; the citizen's "
				       "cases stay, without the address"),
				     email);
		return -1;
	}
	return store_contact_address_remove(store, "email", email,
					    error_r) < 0 ? -1 : 1;
}

static int
cmp_group(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The handler groups the workflows of DIR name, sorted, into NAMED. */
static void
workflow_groups(const char *dir, struct strlist *named)
{
	struct strlist paths = { 0 };

	ctl_workflow_files(dir, &paths);
	for (size_t k = 0; k < paths.n; k++) {
		struct workflow *wf = NULL;
		char *err = NULL;

		if (workflow_load_file(paths.v[k], &wf, &err) == 0) {
			for (size_t i = 0; i < wf->groups.n; i++) {
				if (!strlist_has(named, wf->groups.v[i]))
					strlist_add(named, wf->groups.v[i]);
			}
		}
		workflow_free(&wf);
		free(err);
	}
	strlist_clear(&paths);
	qsort(named->v, named->n, sizeof(*named->v), cmp_group);
}

/* Says which of GROUPS no workflow of workflow_dir names: a group is
   made when first given, so "Synpunkter" for the shipped roles'
   "synpunkter" makes a group no case ever reaches, and its member is
   never told of a case. Silent when no workflow loads. */
static void
warn_unnamed_groups(const struct cfg *cfg, const struct strlist *groups)
{
	const char *dir = cfg_str(cfg, CFG_WORKFLOW_DIR);
	struct strlist named = { 0 }, unnamed = { 0 }, text = { 0 };
	char *list;

	if (groups->n == 0)
		return;
	workflow_groups(dir, &named);
	for (size_t i = 0; named.n > 0 && i < groups->n; i++) {
		if (!strlist_has(&named, groups->v[i]))
			strlist_add(&unnamed, groups->v[i]);
	}
	if (unnamed.n > 0) {
		for (size_t i = 0; i < named.n; i++)
			strlist_addf(&text, "%s%s", i > 0 ? ", " : "",
				     named.v[i]);
		list = strlist_join(&text);
		for (size_t i = 0; i < unnamed.n; i++) {
			fputs("cirmctl: ", stderr);
			fprintf(stderr, _("warning: no workflow in %s names "
					  "group %s, so no case reaches it "
					  "(they name %s): is it misspelt?\n"),
				dir, unnamed.v[i], list);
		}
		free(list);
	}
	strlist_clear(&unnamed);
	strlist_clear(&named);
}

static int
add(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "email", required_argument, NULL, 'e' },
		{ "group", required_argument, NULL, 'g' },
		{ "language", required_argument, NULL, 'l' },
		{ "take-address", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *email = NULL, *lang = "sv";
	struct strlist groups = { 0 };
	struct cfg *cfg = NULL;
	struct store *store = NULL;
	char *err = NULL, *email_ascii = NULL;
	int64_t id, gid, now = cirm_now();
	int c, r, bad = 0, ret = 1, active, taken = 0;
	bool take = false;

	while ((c = ctl_getopt(argc, argv, "n:e:g:l:t", opts)) != -1) {
		if (c == 'n')
			/* empty: no name, as handler set has it */
			name = *optarg != '\0' ? optarg : NULL;
		else if (c == 'e')
			email = lower_ascii(optarg);
		else if (c == 'g')
			strlist_add(&groups, optarg);
		else if (c == 'l')
			lang = optarg;
		else if (c == 't')
			take = true;
		else
			bad = 1;
	}
	/* what is missing, said before the usage */
	if (!bad && optind + 1 == argc && email == NULL)
		ctl_error("%s", _("a handler needs a mail address: --email "
				  "ADDRESS"));
	if (bad || ctl_too_many(argc, argv, optind, 1) || optind + 1 != argc ||
	    email == NULL) {
		ctl_error("%s", _("usage: cirmctl handler add LOGIN --email "
				  "ADDRESS [--name NAME] [--group GROUP]... "
				  "[--language sv|en] [--take-address]"));
		strlist_clear(&groups);
		return EX_USAGE;
	}
	if (!valid_login(argv[optind])) {
		ctl_error(_("bad login '%s': a login is a-z, then a-z, 0-9, "
			    "'.', '_' or '-', at most 32 in all"), argv[optind]);
		bad = 1;
	}
	if (!details_ok(name, email, lang, &groups, &email_ascii))
		bad = 1;
	if (bad) {
		free(email_ascii);
		strlist_clear(&groups);
		return EX_DATAERR;
	}
	email = email_ascii;
	if (ctl_load_config(ctl, &cfg) < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	if (ctl_open_store(cfg, &store) < 0)
		goto out;
	if (store_begin(store, &err) < 0)
		goto fail;
	/* Told plainly, instead of as the database's UNIQUE constraint;
	   a disabled handler keeps the login. */
	if ((r = store_handler_find(store, argv[optind], &id, &active,
				    &err)) != 0) {
		if (r > 0)
			err = xasprintf(_("there is a handler %s already"),
					argv[optind]);
		goto fail;
	}
	if ((taken = free_address(store, email, 0, take, &err)) < 0)
		goto fail;
	if (store_contact_add(store, STORE_HANDLER, name, argv[optind], lang,
			      &id, &err) < 0 ||
	    store_contact_address_add(store, id, "email", email, &err) < 0)
		goto fail;
	for (size_t i = 0; i < groups.n; i++) {
		if (store_group_ensure(store, groups.v[i], now, &gid, &err) < 0 ||
		    store_group_member_add(store, gid, id, &err) < 0)
			goto fail;
	}
	if (store_audit_add(store, now, store_audit_actor(), "handler.add",
			    argv[optind], taken ? "address taken from a "
			    "citizen" : NULL, &err) < 0 ||
	    store_commit(store, &err) < 0)
		goto fail;
	printf(_("handler %s added\n"), argv[optind]);
	if (taken)
		printf(_("the address %s was a citizen's: their cases stay, "
			 "without it\n"), email);
	warn_unnamed_groups(cfg, &groups);
	ret = 0;
	goto out;
fail:
	store_rollback(store);
	ctl_error("%s", err);
	free(err);
out:
	free(email_ascii);
	strlist_clear(&groups);
	store_free(&store);
	cfg_free(&cfg);
	return ret;
}

static int
count_case(const struct store_case_line *c, void *ctx)
{
	(void)c;
	(*(int *)ctx)++;
	return 0;
}

struct groups_of {
	const char *login;
	struct strlist groups;
};

static int
take_groups(const struct store_handler *h, void *ctx)
{
	struct groups_of *g = ctx;
	char *copy, *save = NULL;

	if (h->login == NULL || strcmp(h->login, g->login) != 0 ||
	    h->groups == NULL)
		return 0;
	copy = xstrdup(h->groups);
	for (char *w = strtok_r(copy, " ", &save); w != NULL;
	     w = strtok_r(NULL, " ", &save))
		strlist_add(&g->groups, w);
	free(copy);
	return 0;
}

/* Says which of GROUPS that a workflow names have no active member
   left: the workflow roles that name them reach nobody, and their
   cases' notifications go nowhere. */
static void
warn_empty_groups(const struct cfg *cfg, struct store *store,
		  const struct strlist *groups)
{
	struct strlist named = { 0 };

	if (groups->n > 0)
		workflow_groups(cfg_str(cfg, CFG_WORKFLOW_DIR), &named);
	for (size_t i = 0; i < groups->n; i++) {
		int64_t gid, member;
		char *err = NULL;
		int r;

		/* a group no workflow names leaves no role without anyone */
		if (named.n > 0 && !strlist_has(&named, groups->v[i]))
			continue;
		r = store_group_by_name(store, groups->v[i], &gid, &err);

		if (r > 0)
			r = store_group_next_member(store, gid, &member, &err);
		if (r == 0) {
			fputs("cirmctl: ", stderr);
			fprintf(stderr, _("warning: group %s has no active "
					  "member now: the workflow roles that "
					  "name it reach nobody\n"),
				groups->v[i]);
		}
		free(err);
	}
	strlist_clear(&named);
}

/* Case officer LOGIN, disabled or not (store_handler_find): 1 with *ID_R
   and *ACTIVE_R, or -1 with *ERROR_R, which names the login when there
   is no such handler. */
static int
find_handler(struct store *store, const char *login, int64_t *id_r,
	     int *active_r, char **error_r)
{
	int r = store_handler_find(store, login, id_r, active_r, error_r);

	if (r == 0)
		*error_r = xasprintf(_("there is no handler %s"), login);
	return r > 0 ? 1 : -1;
}

/* Prints case officer ID's own cirm address (token_address_handler)
   as it is in STORE: 0, or -1 with *ERROR_R. */
static int
print_own_address(const struct cfg *cfg, struct store *store, int64_t id,
		  char **error_r)
{
	unsigned char key[SECRET_KEY_LEN];
	int64_t generation;
	char *own;

	if (store_handler_address_generation(store, id, &generation,
					     error_r) < 0 ||
	    cfg_load_key(cfg, key, error_r) < 0)
		return -1;
	own = token_address_handler(key, cfg_str(cfg, CFG_MAIL_ADDRESS), id,
				    generation);
	OPENSSL_cleanse(key, sizeof(key));
	printf("%s\n", own);
	free(own);
	return 0;
}

/* cirmctl handler address LOGIN: the case officer's own cirm address,
   where #borta and #tillbaka are taken (cirm-workflow(5)). */
static int
address(const struct ctl *ctl, int argc, char **argv)
{
	struct cfg *cfg = NULL;
	struct store *store = NULL;
	char *err = NULL;
	int64_t id;
	int active, ret = 1;

	if (ctl_no_options(&argc, &argv) < 0 || ctl_too_many(argc, argv, 1, 1) ||
	    argc != 2) {
		ctl_error("%s", _("usage: cirmctl handler address LOGIN"));
		return EX_USAGE;
	}
	if (ctl_load_config(ctl, &cfg) < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	if (ctl_open_store(cfg, &store) < 0)
		goto out;
	if (find_handler(store, argv[1], &id, &active, &err) > 0 &&
	    print_own_address(cfg, store, id, &err) == 0)
		ret = 0;
	else
		ctl_error("%s", err);
	free(err);
out:
	store_free(&store);
	cfg_free(&cfg);
	return ret;
}

/* cirmctl handler set LOGIN [--name NAME] [--email ADDRESS]
   [--language sv|en] [--add-group G]... [--remove-group G]...
   [--new-address]: a handler's details change (a new name or address,
   another unit, an own cirm address that someone else may have). All
   or nothing, audited. */
static int
set(const struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "email", required_argument, NULL, 'e' },
		{ "language", required_argument, NULL, 'l' },
		{ "add-group", required_argument, NULL, 'g' },
		{ "remove-group", required_argument, NULL, 'r' },
		{ "take-address", no_argument, NULL, 't' },
		{ "new-address", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *email = NULL, *lang = NULL;
	struct strlist add_groups = { 0 }, remove_groups = { 0 };
	struct strlist changed = { 0 };
	char *detail = NULL;
	int open = 0;
	struct cfg *cfg = NULL;
	struct store *store = NULL;
	char *err = NULL, *email_ascii = NULL;
	int64_t id, other, gid, generation, now = cirm_now();
	int c, r, bad = 0, ret = 1, active, taken = 0;
	bool take = false, new_address = false;

	while ((c = ctl_getopt(argc, argv, "n:e:l:g:r:tA", opts)) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 'e')
			email = lower_ascii(optarg);
		else if (c == 'l')
			lang = optarg;
		else if (c == 'g' || c == 'r') {
			struct strlist *l = c == 'g' ? &add_groups :
				&remove_groups;

			if (!strlist_has(l, optarg))	/* once if named twice */
				strlist_add(l, optarg);
		} else if (c == 't')
			take = true;
		else if (c == 'A')
			new_address = true;
		else
			bad = 1;
	}
	/* what is missing, said before the usage */
	if (!bad && optind + 1 == argc && name == NULL && email == NULL &&
	    lang == NULL && add_groups.n == 0 && remove_groups.n == 0 &&
	    !new_address)
		ctl_error("%s", _("nothing to change: give at least one of the "
				  "options"));
	else if (!bad && take && email == NULL)
		ctl_error("%s", _("--take-address goes with --email ADDRESS"));
	if (bad || ctl_too_many(argc, argv, optind, 1) || optind + 1 != argc ||
	    (name == NULL && email == NULL && lang == NULL &&
	     add_groups.n == 0 && remove_groups.n == 0 && !new_address) ||
	    (take && email == NULL)) {
		ctl_error("%s", _("usage: cirmctl handler set LOGIN [--name "
				  "NAME] [--email ADDRESS [--take-address]] "
				  "[--language sv|en] [--add-group GROUP]... "
				  "[--remove-group GROUP]... [--new-address]"));
		ret = EX_USAGE;
		goto out;
	}
	if (!details_ok(name, email, lang, &add_groups, &email_ascii)) {
		ret = EX_DATAERR;
		goto out;
	}
	if (email_ascii != NULL)
		email = email_ascii;
	if (ctl_load_config(ctl, &cfg) < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	/* the new own address is signed with the key: read first, not
	   after the old one was given up unseen (a user that may not read
	   the key) */
	if (new_address) {
		unsigned char key[SECRET_KEY_LEN];

		r = cfg_load_key(cfg, key, &err);
		OPENSSL_cleanse(key, sizeof(key));
		if (r < 0) {
			ctl_error("%s", err);
			free(err);
			goto out;
		}
	}
	if (ctl_open_store(cfg, &store) < 0)
		goto out;
	if (store_begin(store, &err) < 0)
		goto fail;
	if (find_handler(store, argv[optind], &id, &active, &err) < 0)
		goto fail;
	if (email != NULL) {
		if ((taken = free_address(store, email, id, take, &err)) < 0)
			goto fail;
		r = store_contact_find(store, "email", email, &other, &err);
		if (r < 0)
			goto fail;
		if (r == 0) {
			if (store_contact_set_email(store, id, email, &err) < 0)
				goto fail;
			strlist_addf(&changed, "%semail", changed.n > 0 ? "," : "");
		}
	}
	if (name != NULL)
		strlist_addf(&changed, "%sname", changed.n > 0 ? "," : "");
	if (lang != NULL)
		strlist_addf(&changed, "%slanguage", changed.n > 0 ? "," : "");
	if (add_groups.n > 0 || remove_groups.n > 0)
		strlist_addf(&changed, "%sgroups", changed.n > 0 ? "," : "");
	if ((name != NULL &&
	     store_contact_set_name(store, id, *name != '\0' ? name : NULL,
				    &err) < 0) ||
	    (lang != NULL &&
	     store_contact_set_language(store, id, lang, &err) < 0))
		goto fail;
	for (size_t i = 0; i < remove_groups.n; i++) {
		r = store_group_member_remove(store, remove_groups.v[i], id,
					      &err);
		if (r < 0)
			goto fail;
		if (r == 0) {
			err = xasprintf(_("%s is not in group %s"),
					argv[optind], remove_groups.v[i]);
			goto fail;
		}
	}
	for (size_t i = 0; i < add_groups.n; i++) {
		if (store_group_ensure(store, add_groups.v[i], now, &gid,
				       &err) < 0 ||
		    (r = store_group_member_add(store, gid, id, &err)) < 0)
			goto fail;
		/* as for a group left that the handler was not in: nothing
		   changes, and the audit log does not say it did */
		if (r == 0) {
			err = xasprintf(_("%s is in group %s already"),
					argv[optind], add_groups.v[i]);
			goto fail;
		}
	}
	/* the old own address is refused from now on (mailin.c) */
	if (new_address) {
		if (store_handler_new_address(store, id, &generation,
					      &err) < 0)
			goto fail;
		strlist_addf(&changed, "%sown-address", changed.n > 0 ?
			     "," : "");
	}
	detail = strlist_join(&changed);
	if (store_audit_add(store, now, store_audit_actor(), "handler.set",
			    argv[optind], detail, &err) < 0 ||
	    store_commit(store, &err) < 0)
		goto fail;
	printf(_("handler %s changed\n"), argv[optind]);
	if (new_address) {
		printf(_("the own cirm address of %s is now this one; mail "
			 "to the old one goes to the quarantine:\n"),
		       argv[optind]);
		if (print_own_address(cfg, store, id, &err) < 0) {
			ctl_error("%s", err);
			free(err);
			ret = 1;
			goto out;
		}
	}
	if (taken)
		printf(_("the address %s was a citizen's: their cases stay, "
			 "without it\n"), email);
	warn_unnamed_groups(cfg, &add_groups);
	warn_empty_groups(cfg, store, &remove_groups);
	if (remove_groups.n > 0 &&
	    store_handler_cases(store, id, count_case, &open, &err) == 0 &&
	    open > 0)
		printf(ngettext("%s still has %d open case, in whose workflow "
				"a role may name a group left: see 'cirmctl "
				"case list --assignee %s --open'\n",
				"%s still has %d open cases, in whose workflows "
				"a role may name a group left: see 'cirmctl "
				"case list --assignee %s --open'\n",
				(unsigned long)open),
		       argv[optind], open, argv[optind]);
	ret = 0;
	goto out;
fail:
	store_rollback(store);
	ctl_error("%s", err);
	free(err);
out:
	free(email_ascii);
	free(detail);
	strlist_clear(&changed);
	strlist_clear(&add_groups);
	strlist_clear(&remove_groups);
	store_free(&store);
	cfg_free(&cfg);
	return ret;
}

/* The widths of handler list's columns: the login, the address and the
   name each as wide as the widest there is, so that none is cut (two
   addresses that differ only in the domain, one of them mistyped,
   would show alike). */
struct handler_widths {
	int login, email, name;
};

static void
widen(int *width, const char *s)
{
	int w = ctl_cell_width(s != NULL ? s : "-") + 1;

	if (w > *width)
		*width = w;
}

static int
measure_handler(const struct store_handler *h, void *ctx)
{
	struct handler_widths *w = ctx;

	widen(&w->login, h->login);
	widen(&w->email, h->email);
	widen(&w->name, h->name);
	return 0;
}

static int
print_handler(const struct store_handler *h, void *ctx)
{
	const struct handler_widths *w = ctx;
	char day[LOCAL_DAY_SIZE], *state = NULL;

	ctl_print_cell(stdout, h->login != NULL ? h->login : "-", w->login);
	ctl_print_cell(stdout, h->email != NULL ? h->email : "-", w->email);
	ctl_print_cell(stdout, h->name != NULL ? h->name : "-", w->name);
	/* "away to 2026-07-31": the last day, as #borta gave it */
	if (h->active && h->away_until != 0)
		state = xasprintf(_("away to %s"),
				  local_day(h->away_until - 1, day));
	ctl_print_cell(stdout, !h->active ? _("disabled") :
		       state != NULL ? state : _("active"), 22);
	free(state);
	ctl_print_cell(stdout, h->groups != NULL ? h->groups : "-", 0);
	fputc('\n', stdout);
	return 0;
}

/* The open cases a handler has, counted, the first ten printed with
   their state as case list shows it (the workflow's label: "löst", not
   the id "lost"). */
struct case_print {
	int n;
	struct caseflow *cf;
	struct store *store;
};

static int
print_case(const struct store_case_line *c, void *ctx)
{
	struct case_print *p = ctx;

	if (++p->n <= 10)
		printf("  %s  %s\n", c->number, c->workflow == NULL ? c->state :
		       caseflow_state_label(p->cf, p->store, c->workflow,
					    c->workflow_version, c->state));
	return 0;
}

/* cirmctl handler disable|enable LOGIN. A disabled handler (who left,
   say) keeps the login and the history, and the cases assigned stay
   assigned, but gets no notifications (those for the cases go to the
   case's group), no new cases, and mail from that address is no longer
   taken as a handler's: it goes to the quarantine. */
static int
set_active(const struct ctl *ctl, int argc, char **argv, int active)
{
	struct cfg *cfg = NULL;
	struct store *store = NULL;
	char *err = NULL;
	int64_t id = 0, now = cirm_now();
	int was = 0, r, ret = 1, open = 0;

	if (ctl_no_options(&argc, &argv) < 0 || ctl_too_many(argc, argv, 1, 1) ||
	    argc != 2) {
		ctl_error(_("usage: cirmctl handler %s LOGIN"), argv[0]);
		return EX_USAGE;
	}
	if (ctl_load_config(ctl, &cfg) < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	if (ctl_open_store(cfg, &store) < 0)
		goto out;
	if (store_begin(store, &err) < 0)
		goto fail;
	if (find_handler(store, argv[1], &id, &was, &err) < 0)
		goto fail;
	if (was == active) {
		store_rollback(store);
		printf(active ? _("handler %s is active already\n") :
		       _("handler %s is disabled already\n"), argv[1]);
		ret = 0;
		goto out;
	}
	if (store_contact_set_active(store, id, active, &err) < 0 ||
	    store_audit_add(store, now, store_audit_actor(),
			    active ? "handler.enable" : "handler.disable",
			    argv[1], NULL, &err) < 0 ||
	    store_commit(store, &err) < 0)
		goto fail;
	ret = 0;
	if (active) {
		printf(_("handler %s enabled\n"), argv[1]);
		goto out;
	}
	printf(_("handler %s disabled: no more notifications or new cases, "
		 "and mail from the handler's address goes to the "
		 "quarantine\n"), argv[1]);
	{
		struct groups_of g = { argv[1], { 0 } };

		if (store_handler_list(store, take_groups, &g, &err) == 0)
			warn_empty_groups(cfg, store, &g.groups);
		strlist_clear(&g.groups);
		free(err);
		err = NULL;
	}
	{
		static const struct caseflow_settings none = { 0 };
		struct case_print p = { 0, caseflow_new(&none), store };

		r = store_handler_cases(store, id, print_case, &p, &err);
		caseflow_free(&p.cf);
		open = p.n;
	}
	if (r < 0) {
		ctl_error("%s", err);
		free(err);
		goto out;
	}
	if (open > 10)
		printf(_("  and %d more\n"), open - 10);
	if (open > 0)
		printf(ngettext("%d open case is still assigned to %s (above); "
				"its notifications go to the case's group until "
				"another handler takes it or is given it "
				"(cirmctl case assign NUMBER LOGIN, in a state "
				"whose workflow takes #assign)\n",
				"%d open cases are still assigned to %s (above); "
				"their notifications go to each case's group "
				"until another handler takes them or is given "
				"them (cirmctl case assign NUMBER LOGIN, in a "
				"state whose workflow takes #assign)\n",
				(unsigned long)open),
		       open, argv[1]);
	goto out;
fail:
	store_rollback(store);
	ctl_error("%s", err);
	free(err);
out:
	store_free(&store);
	cfg_free(&cfg);
	return ret;
}

/* cirmctl handler away LOGIN LAST-DAY | back LOGIN: as #borta and
   #tillbaka by mail, for a case officer who cannot write (ill, say).
   Audited. */
static int
set_away(const struct ctl *ctl, int argc, char **argv, bool away)
{
	struct cfg *cfg = NULL;
	struct store *store = NULL;
	char *err = NULL, last[LOCAL_DAY_SIZE], day[LOCAL_DAY_SIZE] = "";
	int64_t id = 0, back = 0, was = 0, now = cirm_now();
	int active = 0, r, ret = 1;

	if (ctl_no_options(&argc, &argv) < 0 ||
	    ctl_too_many(argc, argv, 1, away ? 2 : 1) ||
	    argc != (away ? 3 : 2)) {
		ctl_error("%s", away ? _("usage: cirmctl handler away LOGIN "
					 "LAST-DAY (YYYY-MM-DD or D/M)") :
			  _("usage: cirmctl handler back LOGIN"));
		return EX_USAGE;
	}
	switch (away ? away_day(argv[2], now, 2, &back, day) : AWAY_OK) {
	case AWAY_OK:
		break;
	case AWAY_NO_DATE:
		ctl_error(_("%s is not a date YYYY-MM-DD (or D/M)"), argv[2]);
		return EX_USAGE;
	case AWAY_NO_SUCH_DAY:
		ctl_error(_("there is no day %s"), argv[2]);
		return EX_DATAERR;
	case AWAY_PAST:
		ctl_error(_("%s is past"), argv[2]);
		return EX_DATAERR;
	case AWAY_TOO_FAR:
		ctl_error(_("%s is more than two years ahead: for a handler "
			    "who leaves, use cirmctl handler disable"),
			  argv[2]);
		return EX_DATAERR;
	}
	if (ctl_load_config(ctl, &cfg) < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	if (ctl_open_store(cfg, &store) < 0)
		goto out;
	if (store_begin(store, &err) < 0)
		goto fail;
	if (find_handler(store, argv[1], &id, &active, &err) < 0)
		goto fail;
	if (away && !active) {
		err = xasprintf(_("handler %s is disabled"), argv[1]);
		goto fail;
	}
	if ((r = store_handler_away(store, id, &was, &err)) < 0)
		goto fail;
	if (!away && r == 0) {
		store_rollback(store);
		printf(_("handler %s is not away\n"), argv[1]);
		ret = 0;
		goto out;
	}
	if (store_handler_set_away(store, id, back, &err) < 0 ||
	    store_audit_add(store, now, store_audit_actor(),
			    away ? "handler.away" : "handler.back", argv[1],
			    away ? day : NULL, &err) < 0 ||
	    store_commit(store, &err) < 0)
		goto fail;
	if (away)
		printf(_("handler %s is away until %s inclusive: nobody can "
			 "give the handler cases until then, and the "
			 "notifications of the handler's cases go to their "
			 "groups (to the handler too where no one else of a "
			 "group is present)\n"), argv[1],
		       local_day(back - 1, last));
	else
		printf(_("handler %s is back\n"), argv[1]);
	ret = 0;
	goto out;
fail:
	store_rollback(store);
	ctl_error("%s", err);
	free(err);
out:
	store_free(&store);
	cfg_free(&cfg);
	return ret;
}

static int
list(const struct ctl *ctl)
{
	struct handler_widths w = { .login = 12, .email = 28, .name = 20 };
	struct cfg *cfg = NULL;
	struct store *store = NULL;
	char *err = NULL;
	int ret = 1;

	if (ctl_load_config(ctl, &cfg) < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	if (ctl_open_store(cfg, &store) < 0)
		goto out;
	if (store_handler_list(store, measure_handler, &w, &err) < 0) {
		ctl_error("%s", err);
		free(err);
		goto out;
	}
	ctl_print_cell(stdout, _("LOGIN"), w.login);
	ctl_print_cell(stdout, _("ADDRESS"), w.email);
	ctl_print_cell(stdout, _("NAME"), w.name);
	ctl_print_cell(stdout, _("STATUS"), 22);
	ctl_print_cell(stdout, _("GROUPS"), 0);
	fputc('\n', stdout);
	if (store_handler_list(store, print_handler, &w, &err) < 0) {
		ctl_error("%s", err);
		free(err);
	} else {
		ret = 0;
	}
out:
	store_free(&store);
	cfg_free(&cfg);
	return ret;
}

int
ctl_handler(const struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return add(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "list") == 0 &&
	    !ctl_too_many(argc, argv, 2, 0))
		return list(ctl);
	if (argc >= 2 && strcmp(argv[1], "set") == 0)
		return set(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "address") == 0)
		return address(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "disable") == 0)
		return set_active(ctl, argc - 1, argv + 1, 0);
	if (argc >= 2 && strcmp(argv[1], "enable") == 0)
		return set_active(ctl, argc - 1, argv + 1, 1);
	if (argc >= 2 && strcmp(argv[1], "away") == 0)
		return set_away(ctl, argc - 1, argv + 1, true);
	if (argc >= 2 && strcmp(argv[1], "back") == 0)
		return set_away(ctl, argc - 1, argv + 1, false);
	if (argc >= 2 && strcmp(argv[1], "list") != 0)
		ctl_error(_("unknown handler command '%s'"), argv[1]);
	ctl_error("%s", _("usage: cirmctl handler add LOGIN --email ADDRESS "
			  "[--name NAME] [--group GROUP]... [--language sv|en]\n"
			  "                    [--take-address]\n"
			  "                cirmctl handler set LOGIN ...\n"
			  "                cirmctl handler list\n"
			  "                cirmctl handler address LOGIN\n"
			  "                cirmctl handler disable|enable LOGIN\n"
			  "                cirmctl handler away LOGIN LAST-DAY\n"
			  "                cirmctl handler back LOGIN"));
	return EX_USAGE;
}
