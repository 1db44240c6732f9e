/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cirmctl citizen extract [--files DIR] ADDRESS|NUMBER...: everything
   cirm holds about a citizen, for a register extract (GDPR article 15):
   who they are to cirm, each case they wrote in, what was sent to them
   outside the cases' messages (an SMS opt-out's confirmation, a case
   officer's notices), a STOP of theirs, and
   what of theirs waits in the quarantine. */
#include "config.h"

#include "blob.h"
#include "cfg.h"
#include "ctl.h"
#include "e164.h"
#include "i18n.h"
#include "mailout.h"
#include "mime.h"
#include "settings.h"
#include "store.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

/* Bytes of an attachment's name kept in its copy's file name. */
#define FILE_NAME_MAX 100

/* An outbox row that is no message of a case, as the extract prints
   it. */
struct sent {
	int64_t id, created_at;
	char *channel, *recipient, *status, *subject, *body;
	char *case_number;	/* or NULL */
};

struct extract {
	struct store *store;
	const char *spool;	/* the instance's attachment files */
	const char *files;	/* copies go here, or NULL */
	int64_t contact;
	const char *number;	/* the case being printed */
	struct strlist copied;	/* the copies' names */
	/* their addresses and numbers (as the outbox has them), and the
	   outbox rows that are no message of a case sent to one of them,
	   each once */
	struct strlist recipients;
	struct sent *sent;
	size_t nsent;
	char *err;
	bool failed;
	/* the label "Addresses:" printed, its line waiting for the first */
	bool address_line_open;
};

static int
print_address(const struct store_address *a, void *ctx)
{
	struct extract *x = ctx;
	int out = 0;

	/* in the words case show has for them ("e-post", "telefon"), the
	   first on the line of its label */
	if (x->address_line_open)
		x->address_line_open = false;
	else
		printf("%*s", 14, "");
	printf("%s: ", ctl_address_kind(a->kind));
	ctl_print_cell(stdout, a->address, 0);
	fputc('\n', stdout);
	if (strcmp(a->kind, "phone") == 0) {
		int64_t at;
		char *word = NULL, t[32];

		out = store_sms_optout_get(x->store, a->address, &at, &word,
					   &x->err);
		if (out > 0) {
			printf("%*s", 14, "");
			/* TRANSLATORS: %s: the word the citizen sent (STOPP),
			   then when, as 2026-12-05 10:00 */
			printf(_("(has asked for no SMS: %s, %s)"), word,
			       ctl_time(at, t));
			fputc('\n', stdout);
		}
		free(word);
	}
	if (out < 0)
		x->failed = true;
	return out < 0;
}

/* An outbox row that is no message of a case to one of X's recipients,
   into X->sent once. */
static int
note_sent(const struct store_outbox_unfiled *r, void *ctx)
{
	struct extract *x = ctx;
	struct sent *c;

	for (size_t i = 0; i < x->nsent; i++)
		if (x->sent[i].id == r->id)
			return 0;
	x->sent = xrealloc(x->sent, (x->nsent + 1) * sizeof(*x->sent));
	c = &x->sent[x->nsent++];
	c->id = r->id;
	c->created_at = r->created_at;
	c->channel = xstrdup(r->channel);
	c->recipient = xstrdup(r->recipient);
	c->status = xstrdup(r->status);
	c->subject = r->subject != NULL ? xstrdup(r->subject) : NULL;
	c->body = xstrdup(r->body);
	c->case_number = r->case_number != NULL ? xstrdup(r->case_number) :
		NULL;
	return 0;
}

/* RECIPIENT (an address, a number) into X->recipients, once, with the
   outbox rows that are no message of a case sent to it. 0, or -1 with
   X->err. */
static int
add_recipient(struct extract *x, const char *recipient)
{
	if (recipient == NULL || recipient[0] == '\0' ||
	    strlist_has(&x->recipients, recipient))
		return 0;
	strlist_add(&x->recipients, recipient);
	return store_outbox_unfiled_to(x->store, recipient, note_sent, x,
				       &x->err) < 0 ? -1 : 0;
}

static int
add_contact_address(const struct store_address *a, void *ctx)
{
	struct extract *x = ctx;

	if (add_recipient(x, a->address) < 0)
		x->failed = true;
	return x->failed;
}

/* Prints R, an outbox row that is no message of a case. */
static void
print_sent(const struct sent *r)
{
	char t[32];

	printf("\n  %s  ", ctl_time(r->created_at, t));
	ctl_print_cell(stdout, r->channel, 7);
	/* TRANSLATORS: an outbox row's status in the register extract:
	   one of queued, sending, sent, failed */
	ctl_print_cell(stdout, strcmp(r->status, "sent") == 0 ? _("sent") :
		       strcmp(r->status, "failed") == 0 ? _("failed") :
		       _("not sent yet"), 14);
	ctl_print_cell(stdout, r->recipient, 0);
	if (r->case_number != NULL)
		printf("  %s", r->case_number);
	fputc('\n', stdout);
	if (r->subject != NULL && r->subject[0] != '\0') {
		fputs("    ", stdout);
		ctl_print_cell(stdout, r->subject, 0);
		fputc('\n', stdout);
	}
	ctl_print_lines(r->body, "    | ", 0);
}

/* A number that asked for no SMS and is no contact's: what cirm keeps
   of it. */
struct optout {
	char number[E164_SIZE];
	char *word;
	int64_t at;
};

/* NAME as a file name: no directories, no control characters, no
   leading dot, at most FILE_NAME_MAX bytes and not through a
   character. */
static char *
safe_name(const char *name)
{
	size_t n = strnlen(name, FILE_NAME_MAX);
	char *s;

	while (n > 0 && n < strlen(name) &&
	       ((unsigned char)name[n] & 0xc0) == 0x80)
		n--;
	s = xstrndup(name, n);
	for (char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '/' ||
		    *p == '\\' || (p == s && *p == '.'))
			*p = '_';
	return s;
}

/* Whether the directory DIR has no entry but . and ..: 1, 0, or -1
   with errno when it cannot be read (a file of that name, say). */
static int
dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (d == NULL)
		return -1;
	while (empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 ||
			strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* Copies the spool file SHA256 to PATH, which must not exist. */
static int
copy_file(const char *spool, const char *sha256, const char *path,
	  char **error_r)
{
	char *from = blob_path(spool, sha256), buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, ret = -1;
	ssize_t n = 0;

	if (in >= 0)
		out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n) < 0) {
			n = -1;
			break;
		}
	if (in >= 0 && out < 0 && errno == EEXIST)
		/* an earlier extract's, most often: never overwritten */
		*error_r = xasprintf(_("%s: a file of that name is there "
				       "already (an earlier extract's?): give "
				       "--files a new or empty directory"),
				     path);
	else if (in < 0 || out < 0 || n < 0)
		*error_r = xasprintf("%s: %s", in < 0 ? from : path,
				     strerror(errno));
	else
		ret = 0;
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && ret == 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		ret = -1;
	}
	free(from);
	return ret;
}

static int
copy_attachment(const struct store_attachment *a, void *ctx)
{
	struct extract *x = ctx;
	char *name = safe_name(a->filename != NULL ? a->filename : "file");
	char *file = xasprintf("%s-%.8s-%s", x->number, a->sha256, name);
	char *path = xasprintf("%s/%s", x->files, file);

	/* the same file twice in one case (a reply that quotes it) is
	   copied once */
	if (strlist_has(&x->copied, file))
		;
	else if (copy_file(x->spool, a->sha256, path, &x->err) < 0)
		x->failed = true;
	else
		strlist_add(&x->copied, file);
	free(file);
	free(path);
	free(name);
	return x->failed;
}

static int
message_files(const struct store_message *m, void *ctx)
{
	struct extract *x = ctx;

	if (store_message_attachments(x->store, m->id, copy_attachment, x,
				      &x->err) < 0)
		x->failed = true;
	return x->failed;
}

/* Case NUMBER: the whole case when the contact is its citizen; else
   (a copy, a cc) only what the contact wrote in it. */
static int
print_case(int64_t case_id, const char *number, bool citizen, void *ctx)
{
	struct extract *x = ctx;
	int rc = 0;

	x->number = number;
	if (citizen)
		printf("\n== %s\n", number);
	else
		printf("\n== %s %s\n", number,
		       _("(a party to it: only what they wrote)"));
	if (citizen) {
		rc = ctl_case_print(x->store, number, true, true, &x->err);
	} else {
		printf("%s\n", _("Messages:"));
		rc = store_case_messages_from(x->store, case_id, x->contact,
					      ctl_print_message, x->store,
					      &x->err);
	}
	if (rc >= 0 && x->files != NULL)
		rc = citizen ?
			store_case_messages(x->store, case_id, true,
					    message_files, x, &x->err) :
			store_case_messages_from(x->store, case_id, x->contact,
						 message_files, x, &x->err);
	if (rc < 0)
		x->failed = true;
	return x->failed;
}

/* Whom a quarantined message is looked at for: WHO as an address (in
   lower case, and in its xn-- form) or as a phone number in E.164. */
struct qmatch {
	char *addr, *ascii;
	char number[E164_SIZE];
	const char *country;
	bool hit;
};

static void
qmatch_clear(struct qmatch *m)
{
	free(m->addr);
	free(m->ascii);
}

static char *
lower_dup(const char *s)
{
	char *out = s != NULL ? xstrdup(s) : NULL;

	for (char *p = out; p != NULL && *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

/* WHO into M: an e-mail address (any case, as copied from a mail with
   blanks or "<...>" around it), or a phone number as people write it.
   0, or -1 with *error_r (neither address nor number). */
static int
qmatch_init(const struct cfg *cfg, const char *who, struct qmatch *m,
	    char **error_r)
{
	const char *reason = NULL;

	memset(m, 0, sizeof(*m));
	m->country = cfg_str(cfg, CFG_SMS_COUNTRY_CODE);
	if (strchr(who, '@') != NULL) {
		size_t n;
		char *addr;

		who += strspn(who, " \t\r\n<");
		n = strlen(who);
		while (n > 0 && strchr(" \t\r\n>", who[n - 1]) != NULL)
			n--;
		addr = xstrndup(who, n);
		/* as cirm keeps an address: a domain with å, ä or ö in its
		   xn-- form; else as typed, as a citizen's mail with such a
		   domain in UTF-8 was kept before cirm kept one form */
		m->addr = lower_dup(addr);
		{
			char *ascii = mailout_address_ascii(addr);

			m->ascii = lower_dup(ascii);
			free(ascii);
		}
		free(addr);
		return 0;
	}
	if (e164_normalise(who, m->country, m->number, &reason) < 0) {
		*error_r = xasprintf(_("'%s' is neither an e-mail address nor a "
				       "phone number (%s)"), who, _(reason));
		return -1;
	}
	return 0;
}

static bool
same_address(const struct qmatch *m, const char *addr)
{
	char *a = lower_dup(addr);
	bool same = a != NULL &&
		(strcmp(a, m->addr) == 0 ||
		 (m->ascii != NULL && strcmp(a, m->ascii) == 0));

	free(a);
	return same;
}

/* Whether quarantined message Q came from M's person: the From,
   Sender or Reply-To of a mail, the sender of an SMS (given without
   its '+', as networks do, or in national form). */
static int
quarantined_from(const struct store_quarantined *q, const void *raw,
		 void *ctx)
{
	struct qmatch *m = ctx;

	m->hit = false;
	if (q->discarded_at != 0 || q->raw_len == 0)
		return 0;
	if (strcmp(q->channel, "email") == 0 && m->addr != NULL) {
		struct mime_message *msg = NULL;
		char *err = NULL;

		/* its header only: the quarantine holds mail that
		   mime_parse refuses whole (too many parts, too deep, an
		   attachment too large), and it is the sender's too */
		if (mime_parse_header(raw, q->raw_len, &msg, &err) < 0) {
			free(err);
			return 0;
		}
		m->hit = same_address(m, msg->from.addr) ||
			 same_address(m, msg->sender.addr) ||
			 same_address(m, msg->reply_to.addr);
		mime_free(&msg);
	} else if (strcmp(q->channel, "sms") == 0 && m->number[0] != '\0') {
		char *head = xstrndup(raw, q->raw_len), *line, *save = NULL;

		for (line = strtok_r(head, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			char number[E164_SIZE], *from, *plus = NULL;
			const char *why = NULL;

			if (strncmp(line, "From:", 5) != 0)
				continue;
			from = line + 5 + strspn(line + 5, " ");
			if (from[0] >= '1' && from[0] <= '9' &&
			    strspn(from, "0123456789") == strlen(from))
				plus = xasprintf("+%s", from);
			m->hit = e164_normalise(plus != NULL ? plus : from,
						m->country, number, &why) == 0 &&
				 strcmp(number, m->number) == 0;
			free(plus);
			break;
		}
		free(head);
	}
	return 0;
}

struct waiting {
	int64_t *v;
	size_t n;
};

static int
add_waiting(const struct store_quarantined *q, void *ctx)
{
	struct waiting *w = ctx;

	w->v = xrealloc(w->v, (w->n + 1) * sizeof(*w->v));
	w->v[w->n++] = q->id;
	return 0;
}

/* The ids of the quarantined messages still waiting that came from
   WHO, oldest first, into *IDS (appended, each once). 0, or -1. */
static int
quarantined_of(struct store *store, struct qmatch *m, struct waiting *ids,
	       char **error_r)
{
	struct waiting all = { 0 };
	int ret = 0;

	if (store_quarantine_list(store, 0, add_waiting, &all, error_r) < 0)
		ret = -1;
	/* the list is newest first */
	for (size_t i = all.n; ret == 0 && i-- > 0;) {
		bool seen = false;

		if (store_quarantine_get(store, all.v[i], quarantined_from, m,
					 error_r) < 0) {
			ret = -1;
			break;
		}
		for (size_t k = 0; k < ids->n; k++)
			seen |= ids->v[k] == all.v[i];
		if (m->hit && !seen) {
			ids->v = xrealloc(ids->v, (ids->n + 1) *
					  sizeof(*ids->v));
			ids->v[ids->n++] = all.v[i];
		}
	}
	free(all.v);
	return ret;
}

/* M's person as the contact cirm has: 1 with *id_r, 0 when cirm has no
   such contact, -1 with *error_r. */
static int
find_contact(struct store *store, const struct qmatch *m, int64_t *id_r,
	     char **error_r)
{
	int rc = 0;

	if (m->addr == NULL)
		return store_contact_find(store, "phone", m->number, id_r,
					  error_r);
	if (m->ascii != NULL)
		rc = store_contact_find(store, "email", m->ascii, id_r,
					error_r);
	if (rc == 0 && (m->ascii == NULL || strcmp(m->ascii, m->addr) != 0))
		rc = store_contact_find(store, "email", m->addr, id_r,
					error_r);
	return rc;
}

static int
print_contact(struct extract *x, int64_t id)
{
	struct store_contact c;
	char t[32];
	int rc = store_contact_get(x->store, id, &c, &x->err);

	if (rc <= 0)
		return -1;
	x->contact = id;
	printf("\n");
	ctl_field(_("Name:"), c.name != NULL ? c.name : "-");
	ctl_print_cell(stdout, _("Addresses:"), 14);
	x->address_line_open = true;
	if (store_contact_addresses(x->store, id, print_address, x,
				    &x->err) < 0)
		x->failed = true;
	if (x->address_line_open) {
		/* none (all taken by a case officer, say) */
		fputs("-\n", stdout);
		x->address_line_open = false;
	}
	ctl_field(_("Language:"), c.language);
	ctl_field(_("Since:"), ctl_time(c.created_at, t));
	store_contact_clear(&c);
	if (!x->failed &&
	    store_contact_cases(x->store, id, print_case, x, &x->err) < 0)
		x->failed = true;
	return x->failed ? -1 : 0;
}

static int
extract(const struct cfg *cfg, struct store *store, const char *files,
	char **who, int n)
{
	struct extract x = { .store = store, .files = files,
			     .spool = cfg_str(cfg, CFG_SPOOL_DIR) };
	int64_t *ids = xcalloc((size_t)n, sizeof(*ids));
	int nids = 0, ret = 1, empty = 1;
	struct strlist objects = { 0 };
	struct waiting held = { 0 };
	struct optout *outs = NULL;
	size_t nouts = 0;
	struct strlist named = { 0 };	/* each address or number once */
	char t[32], *object = NULL;

	for (int i = 0; i < n; i++) {
		int64_t id;
		size_t before = held.n, sent_before = x.nsent;
		struct qmatch m;
		struct optout o = { .word = NULL };
		bool seen = false;
		int rc, out = 0;

		if (qmatch_init(cfg, who[i], &m, &x.err) < 0)
			goto out;
		/* the same person written twice (070-..., +4670...) is
		   looked up once: the second time all is seen already */
		if (strlist_has(&named, m.addr != NULL ? m.addr : m.number)) {
			qmatch_clear(&m);
			continue;
		}
		strlist_add(&named, m.addr != NULL ? m.addr : m.number);
		rc = find_contact(store, &m, &id, &x.err);
		/* mail set aside before any case: theirs too */
		if (rc >= 0 && quarantined_of(store, &m, &held, &x.err) < 0)
			rc = -1;
		/* what was sent to them that is no message of a case (an
		   opt-out's confirmation, a case officer's notices), to
		   this address or number and, for a contact, to each of
		   theirs */
		if (rc >= 0 && (add_recipient(&x, m.addr) < 0 ||
				add_recipient(&x, m.ascii) < 0 ||
				add_recipient(&x, m.number) < 0))
			rc = -1;
		if (rc > 0 && (store_contact_addresses(store, id,
						       add_contact_address, &x,
						       &x.err) < 0 || x.failed))
			rc = -1;
		/* a number that said STOP is kept even when it is no
		   contact's; a contact's shows with its addresses */
		if (rc == 0 && m.number[0] != '\0' &&
		    (out = store_sms_optout_get(store, m.number, &o.at,
						&o.word, &x.err)) < 0)
			rc = -1;
		if (out > 0) {
			memcpy(o.number, m.number, sizeof(o.number));
			outs = xrealloc(outs, (nouts + 1) * sizeof(*outs));
			outs[nouts++] = o;
			strlist_addf(&objects, "%ssms_optout",
				     objects.n > 0 ? ", " : "");
		} else {
			free(o.word);
		}
		qmatch_clear(&m);
		if (rc < 0)
			goto out;
		for (size_t k = before; k < held.n; k++)
			strlist_addf(&objects, "%squarantine %lld",
				     objects.n > 0 ? ", " : "",
				     (long long)held.v[k]);
		for (size_t k = sent_before; k < x.nsent; k++)
			strlist_addf(&objects, "%soutbox %lld",
				     objects.n > 0 ? ", " : "",
				     (long long)x.sent[k].id);
		if (rc == 0 && held.n == before && x.nsent == sent_before &&
		    out == 0) {
			x.err = xasprintf(_("cirm holds nothing about '%s'"),
					  who[i]);
			goto out;
		}
		if (rc == 0)
			continue;
		for (int k = 0; k < nids; k++)
			seen |= ids[k] == id;
		if (!seen) {
			strlist_addf(&objects, "%scontact %lld",
				     objects.n > 0 ? ", " : "", (long long)id);
			ids[nids++] = id;
		}
	}
	if (files != NULL && mkdir(files, 0700) < 0 && errno != EEXIST) {
		x.err = xasprintf("%s: %s", files, strerror(errno));
		goto out;
	}
	/* found before anything is printed or audited, not after the
	   whole extract when the first file would clash */
	if (files != NULL && (empty = dir_empty(files)) < 0) {
		x.err = xasprintf("%s: %s", files, strerror(errno));
		goto out;
	}
	if (files != NULL && empty == 0) {
		x.err = xasprintf(_("%s is not empty (an earlier extract's?): "
				    "give --files a new or empty directory"),
				  files);
		goto out;
	}
	/* reading personal data is audited, before it is shown */
	object = strlist_join(&objects);
	if (ctl_audit_add(store, "citizen.extract", object,
			  files != NULL ? "with files" : NULL, &x.err) < 0)
		goto out;
	printf(_("Register extract from %s, made %s.\n"),
	       cfg_str(cfg, CFG_MAIL_NAME), ctl_time(time(NULL), t));
	printf("%s\n", _("Read it through before it is handed out: internal "
			 "notes and what others wrote may be covered by "
			 "secrecy."));
	for (int i = 0; i < nids; i++)
		if (print_contact(&x, ids[i]) < 0)
			goto out;
	if (nouts > 0)
		printf("\n%s\n", _("Numbers that asked for no SMS (STOP):"));
	for (size_t k = 0; k < nouts; k++)
		printf("  %s  %s  %s\n", outs[k].number, outs[k].word,
		       ctl_time(outs[k].at, t));
	if (x.nsent > 0)
		printf("\n%s\n", _("Sent to them outside the cases' messages "
				     "(such as the confirmation of an SMS "
				     "opt-out, or a case officer's notices):"));
	for (size_t k = 0; k < x.nsent; k++)
		print_sent(&x.sent[k]);
	if (held.n > 0) {
		printf("\n%s\n", _("Mail and SMS set aside in the quarantine "
				     "(in no case):"));
		for (size_t k = 0; k < held.n; k++) {
			printf("\n");
			if (ctl_quarantine_print(store, held.v[k],
						 &x.err) < 0)
				goto out;
		}
	}
	if (files != NULL) {
		printf("\n");
		printf(ngettext("%zu attachment copied into %s:\n",
				"%zu attachments copied into %s:\n",
				x.copied.n), x.copied.n, files);
		for (size_t i = 0; i < x.copied.n; i++) {
			fputs("  ", stdout);
			ctl_print_cell(stdout, x.copied.v[i], 0);
			fputc('\n', stdout);
		}
	}
	ret = 0;
out:
	if (ret != 0)
		ctl_error("%s", x.err != NULL ? x.err : _("extract failed"));
	free(x.err);
	free(object);
	free(ids);
	free(held.v);
	for (size_t k = 0; k < nouts; k++)
		free(outs[k].word);
	free(outs);
	for (size_t k = 0; k < x.nsent; k++) {
		free(x.sent[k].channel);
		free(x.sent[k].recipient);
		free(x.sent[k].status);
		free(x.sent[k].subject);
		free(x.sent[k].body);
		free(x.sent[k].case_number);
	}
	free(x.sent);
	strlist_clear(&objects);
	strlist_clear(&x.copied);
	strlist_clear(&x.recipients);
	strlist_clear(&named);
	return ret;
}

static int
citizen_extract(const struct cfg *cfg, struct store *store, int argc,
		char **argv)
{
	static const struct option opts[] = {
		{ "files", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *files = NULL;
	int c;

	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		if (c != 'f')
			goto usage;
		files = optarg;
	}
	if (optind >= argc)
		goto usage;
	return extract(cfg, store, files, argv + optind, argc - optind);
usage:
	ctl_error("%s", _("usage: cirmctl citizen extract [--files DIR] "
			  "ADDRESS|NUMBER..."));
	return EX_USAGE;
}

int
ctl_citizen(const struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "extract") != 0) {
		if (argc >= 2)
			ctl_error(_("unknown citizen command '%s'"), argv[1]);
		ctl_error("%s", _("usage: cirmctl citizen extract [--files DIR] "
				  "ADDRESS|NUMBER..."));
		return EX_USAGE;
	}
	return ctl_with_store(ctl, citizen_extract, argc - 1, argv + 1);
}
