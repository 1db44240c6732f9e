/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inbound mail: writing down what mailin_analyse decided. */
#include "config.h"

#include "mailin-private.h"

#include "blob.h"
#include "lang.h"
#include "reply.h"
#include "template.h"
#include "token.h"
#include "util.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *
mailin_citizen_language(const struct mailin *mi, const char *subject,
			const char *text)
{
	char *both = xasprintf("%s\n%s", subject != NULL ? subject : "",
			       text != NULL ? text : "");
	const char *lang = lang_guess(both);

	free(both);
	return lang != NULL ? lang : mi->language;
}

/* The contact owning the sender's address, created when new. */
static int
sender_contact(struct mailin *mi, struct store *store,
	       const struct mailin_verdict *v, int64_t *id_r, char **error_r)
{
	int r = store_contact_find(store, "email", v->sender, id_r, error_r);

	if (r != 0)
		return r < 0 ? -1 : 0;
	if (store_contact_add(store, STORE_CITIZEN, v->by_form ?
			      v->msg->reply_to.name : v->msg->from.name, NULL,
			      mailin_citizen_language(mi, v->msg->subject,
						      v->stripped),
			      id_r, error_r) < 0)
		return -1;
	return store_contact_address_add(store, *id_r, "email", v->sender,
					 error_r);
}

static const char *
message_kind(enum mailin_kind kind)
{
	return kind == MAILIN_BOUNCE ? "bounce" :
	       kind == MAILIN_AUTO_REPLY ? "auto-reply" : "mail";
}

/* The attachments and enclosed messages of the mail, into the spool. */
/* The attachments' files: written already when the mail was read ahead
   (V's blobs), else here. */
static int
save_attachments(struct mailin *mi, struct store *store, int64_t message_id,
		 const struct mailin_verdict *v, char **error_r)
{
	const struct mime_message *m = v->msg;

	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = &m->parts[i];
		char id[BLOB_ID_LEN + 1], *name = NULL;
		int r;

		if (!mime_part_is_file(p))
			continue;
		if (v->blobs != NULL && v->blobs[i][0] != '\0') {
			memcpy(id, v->blobs[i], sizeof(id));
		} else {
			if (blob_put(mi->spool_dir, p->data, p->len, id, 0,
				     error_r) < 0) {
				mi->spool_full = errno == ENOSPC ||
						 errno == EDQUOT;
				return -1;
			}
			mi->dirty = 1;
		}
		if (p->filename == NULL)
			name = xasprintf(p->role == MIME_PART_MESSAGE ?
						 "message-%zu.eml" : "part-%zu",
					 i + 1);
		r = store_attachment_add(store, message_id, id,
					 p->filename != NULL ? p->filename : name,
					 p->content_type,
					 strncmp(p->content_type, "text/", 5) == 0 ?
					 p->charset : NULL, (int64_t)p->len,
					 error_r);
		free(name);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int
save_recipients(struct store *store, int64_t message_id,
		const struct mime_message *m, char **error_r)
{
	for (size_t i = 0; i < m->nto + m->ncc; i++) {
		const struct mime_address *a = i < m->nto ? &m->to[i] :
							    &m->cc[i - m->nto];

		if (a->addr != NULL &&
		    store_message_recipient_add(store, message_id,
						i < m->nto ? "to" : "cc", a->addr,
						error_r) < 0)
			return -1;
	}
	return 0;
}

/* How long before a forward reached cirm the citizen's mail may have
   been sent for that time to be its arrival: older is a wrong clock or
   a misread date line more likely than a mail left lying that long. */
#define FORWARD_SENT_MAX_AGE (30 * 86400)

void
mailin_received(struct mailin_verdict *v, int64_t received_at)
{
	int64_t rt = v->msg == NULL ? 0 :
		mime_received_time(v->msg, received_at - 30 * 86400,
				   received_at);

	v->received_at = received_at;
	v->reached_at = rt != 0 ? rt : received_at;
}

/* mailin_arrival: as reached_at, but a citizen's mail a case officer
   forwarded arrived when it reached the officer, when the citizen sent
   it (förvaltningslagen 22 §), if that was in the 30 days before the
   forward reached cirm. */
int64_t
mailin_arrival(const struct mailin_verdict *v)
{
	int64_t at = v->reached_at, sent = v->forward_sent_at;

	if (v->forwarded_by != 0 && sent != 0 && sent <= at &&
	    sent >= at - FORWARD_SENT_MAX_AGE)
		return sent;
	return at;
}

void
mailin_raw_key(const struct store_inbox_row *row, char id[BLOB_ID_LEN + 1])
{
	if (row->raw_sha256 != NULL && strlen(row->raw_sha256) == BLOB_ID_LEN)
		memcpy(id, row->raw_sha256, BLOB_ID_LEN + 1);
	else
		blob_id(row->raw, row->raw_len, id);
}

/* The inbound message itself, with its raw form kept by SHA-256. */
static int
save_message(struct mailin *mi, struct store *store,
	     const struct store_inbox_row *row, const struct mailin_verdict *v,
	     int64_t contact, int64_t *message_id_r, char **error_r)
{
	char raw_id[BLOB_ID_LEN + 1];
	struct store_message_new m = {
		.direction = "in", .channel = "email",
		/* an answer from outside is for the case officers */
		.visibility = v->kind == MAILIN_OUTSIDE_REPLY ||
			v->forward_id != 0 || v->internal ? "internal" :
			"public",
		.kind = message_kind(v->kind), .contact_id = contact,
		.rfc_message_id = v->msg->message_id,
		.in_reply_to = v->msg->in_reply_to, .subject = v->msg->subject,
		.body_full = v->msg->text,
		.body_stripped = v->interleaved != NULL ? v->interleaved :
				 v->stripped,
		.raw_sha256 = raw_id, .dedupe_key = v->dedupe_key,
		.at = mailin_arrival(v),
	};

	mailin_raw_key(row, raw_id);
	if (store_raw_put(store, raw_id, row->raw, row->raw_len, error_r) < 0)
		return -1;
	if (store_message_add(store, v->case_id, &m, message_id_r, error_r) < 0 ||
	    save_recipients(store, *message_id_r, v->msg, error_r) < 0)
		return -1;
	return save_attachments(mi, store, *message_id_r, v, error_r);
}

int
mailin_save_handler_message(struct mailin *mi, struct store *store,
			    const struct store_inbox_row *row,
			    const struct mailin_verdict *v, const char *text,
			    enum handler_message how, int64_t *message_id_r,
			    char **error_r)
{
	char raw_id[BLOB_ID_LEN + 1];
	bool internal = how != HANDLER_PUBLIC;
	struct store_message_new m = {
		.direction = "in", .channel = "email",
		.visibility = internal ? "internal" : "public",
		.kind = internal ? "note" : "mail", .contact_id = v->handler_id,
		.refused = how == HANDLER_REFUSED,
		.rfc_message_id = v->msg->message_id,
		.in_reply_to = v->msg->in_reply_to, .subject = v->msg->subject,
		.body_full = v->msg->text, .body_stripped = text,
		.raw_sha256 = raw_id, .dedupe_key = v->dedupe_key,
		.at = mailin_arrival(v),
	};

	mailin_raw_key(row, raw_id);
	if (store_raw_put(store, raw_id, row->raw, row->raw_len, error_r) < 0 ||
	    store_message_add(store, v->case_id, &m, message_id_r, error_r) < 0)
		return -1;
	return save_attachments(mi, store, *message_id_r, v, error_r);
}

char *
mailin_thread_headers(const struct mailin_verdict *v)
{
	const struct mime_message *m = v->msg;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (m->message_id == NULL)
		return NULL;
	f = open_memstream(&out, &len);
	fprintf(f, "In-Reply-To: <%s>\nReferences:", m->message_id);
	/* The first and the newest: what threading clients need. */
	for (size_t i = 0; i < m->nreferences; i++) {
		if (i == 0 || i + 19 >= m->nreferences)
			fprintf(f, " <%s>", m->references[i]);
	}
	fprintf(f, " <%s>\n", m->message_id);
	fclose(f);
	return out;
}

/* The workflow of closed case NUMBER, into *ID_R (the caller frees
   it), when it still starts cases here; else *ID_R stays NULL. 0, or
   -1 with *error_r. */
static int
continued_workflow(struct mailin *mi, struct store *store, const char *number,
		   char **id_r, char **error_r)
{
	struct store_case_flow f;
	int64_t id;
	int r = store_case_id(store, number, &id, error_r);

	if (r > 0)
		r = store_case_flow_get(store, id, &f, error_r);
	if (r <= 0)
		return r;
	if (f.workflow != NULL && caseflow_current(mi->flow, f.workflow) != NULL)
		*id_r = xstrdup(f.workflow);
	store_case_flow_clear(&f);
	return 0;
}

/* Hands the mail to the case's workflow: START a new case on the
   workflow its address routes to, or send EVENT to a running one. MSG
   is the citizen's message, whose files go with the notifications, or
   0. */
static int
to_workflow(struct mailin *mi, struct store *store,
	    const struct mailin_verdict *v, const char *event,
	    int64_t contact, int64_t msg, char **error_r)
{
	char *headers = mailin_thread_headers(v);
	struct caseflow_input in = {
		.channel = "email", .text = v->stripped, .sender_id = contact,
		.from_name = v->msg == NULL ? NULL : v->by_form ?
			     v->msg->reply_to.name : v->msg->from.name,
		.now = cirm_now(), .thread_headers = headers,
		.files_of = msg, .shown_text = v->interleaved,
		/* what reply_strip cut under "-- " (a telephone number,
		   an address): the officers see it, as a helpdesk's
		   agents do */
		.citizen_signature = v->signature,
	};
	int ret;

	if (mi->flow == NULL) {
		*error_r = xstrdup("no workflows loaded");
		free(headers);
		return -1;
	}
	if (event == NULL) {
		char *id = NULL;

		/* a reply to a closed case goes on in that case's workflow,
		   not the one of the address it was sent to (the case's
		   signed Reply-To, which no route names) */
		if (v->continues && v->mentioned != NULL &&
		    continued_workflow(mi, store, v->mentioned, &id,
				       error_r) < 0) {
			free(headers);
			return -1;
		}
		if (id == NULL)
			id = mailin_workflow_for(mi, v->msg);
		ret = caseflow_start(mi->flow, store, v->case_id, id, &in,
				     error_r);
		free(id);
	} else {
		ret = caseflow_event(mi->flow, store, v->case_id, event, &in,
				     error_r);
	}
	free(headers);
	return ret;
}

/* The citizen's mail V came forwarded by a case officer: said on the
   case at AT, when the forward reached cirm, with who forwarded it and
   when the citizen sent it (as the forward says: the day the
   municipality had it, for the record), and what the case officer
   wrote above it kept as their internal note. */
static int
forwarded(struct store *store, const struct mailin_verdict *v, int64_t at,
	  char **error_r)
{
	struct store_message_new note = {
		.direction = "in", .channel = "email",
		.visibility = "internal", .kind = "note",
		.contact_id = v->forwarded_by, .subject = v->msg->subject,
		.body_stripped = v->forward_note, .at = at,
	};
	int64_t id;

	if (v->forwarded_by == 0)
		return 0;
	if (store_event_add(store, v->case_id, at, "mail.forwarded",
			    v->forwarded_by, NULL, NULL, v->forward_sent,
			    error_r) < 0)
		return -1;
	return v->forward_note == NULL ? 0 :
		store_message_add(store, v->case_id, &note, &id, error_r);
}

struct old_case {
	const char *prefix;
	const char *core;	/* what the new mail's subject is about */
	char *subject;		/* the old case's */
	bool ours;		/* CORE is a subject we sent the citizen */
};

static int
take_old_subject(const struct store_case *c, void *ctx)
{
	struct old_case *o = ctx;

	o->subject = c->subject != NULL ? xstrdup(c->subject) : NULL;
	return 0;
}

static int
sent_subject(const struct store_message *m, void *ctx)
{
	struct old_case *o = ctx;
	char *core;

	if (strcmp(m->direction, "out") != 0 || m->subject == NULL)
		return 0;
	core = mailin_subject_core(o->prefix, m->subject);
	o->ours = strcmp(core, o->core) == 0;
	free(core);
	return o->ours;
}

/* The subject of the new case a citizen opens by writing to their
   closed case (V->continues): what they wrote, less the reply prefixes
   and case tags ("Sv: Buller [KS-2026-00006]" is about "Buller"); but
   the old case's subject when that is nothing, or the subject of a mail
   we sent them ("Vi har tagit emot ditt ärende", "Ditt ärende är
   klart"), so that the new case, its acknowledgement and answers do not
   carry our own words and two case numbers; none when the old case had
   none and the citizen replied to our mail. Caller frees. */
static char *
continued_subject(struct mailin *mi, struct store *store,
		  const struct mailin_verdict *v, char **error_r)
{
	char *core = mailin_subject_core(mi->prefix, v->msg->subject);
	struct old_case o = { mi->prefix, core, NULL, false };
	int64_t old;
	int r = store_case_id(store, v->mentioned, &old, error_r);

	if (r > 0 && *core != '\0')
		r = store_case_messages(store, old, true, sent_subject, &o,
					error_r);
	if (r >= 0 && (*core == '\0' || o.ours))
		r = store_case_get(store, v->mentioned, take_old_subject, &o,
				   error_r);
	if (r < 0) {
		free(core);
		free(o.subject);
		return NULL;
	}
	/* our own words are no subject of the citizen's, even when the
	   old case had none either (a mail of a photo and nothing else) */
	if ((o.subject != NULL && *o.subject != '\0') || o.ours) {
		free(core);
		return o.subject != NULL ? o.subject : xstrdup("");
	}
	free(o.subject);
	return core;
}

static int
new_case(struct mailin *mi, struct store *store,
	 const struct store_inbox_row *row, struct mailin_verdict *v,
	 int64_t contact, char **error_r)
{
	struct store_case_new c = {
		.prefix = mi->prefix, .received_at = mailin_arrival(v),
		.citizen_id = contact, .channel = "email",
		.subject = v->msg->subject, .state = "new",
		.resend_key = v->resend_key,
	};
	char *subject = NULL;
	int64_t msg;
	int r;

	if (v->continues && v->mentioned != NULL) {
		if ((subject = continued_subject(mi, store, v,
						 error_r)) == NULL)
			return -1;
		c.subject = subject;
	}
	r = store_case_create(store, &c, &v->case_id, v->case_number,
			      error_r);
	free(subject);
	if (r < 0 ||
	    store_event_add(store, v->case_id, c.received_at, "case.created",
			    contact, NULL, "new", v->mentioned != NULL ?
			    v->mentioned : NULL, error_r) < 0 ||
	    save_message(mi, store, row, v, contact, &msg, error_r) < 0 ||
	    forwarded(store, v, v->reached_at, error_r) < 0)
		return -1;
	return to_workflow(mi, store, v, NULL, contact, msg, error_r);
}

/* A bounce V of what went to a case officer, or to someone outside
   (forward FORWARD, or 0): not the citizen's mail, whose workflow hears
   nothing of it. Kept on the case, internal; when the delivery failed
   for good, the outbox row says so and the case has an event, and the
   officer who forwarded is told (a mistyped address). 0, or -1. */
static int
other_bounce(struct mailin *mi, struct store *store,
	     const struct store_inbox_row *row, struct mailin_verdict *v,
	     int64_t forward, char **error_r)
{
	const char *reason = v->ar.status != NULL ? v->ar.status : "bounced";
	/* what the officer who forwarded reads: the server's own words
	   ("552 Mailbox full") beside the status */
	char *said = v->ar.diagnostic == NULL ? xstrdup(reason) :
		xasprintf("%s (%s)", reason, v->ar.diagnostic);
	int64_t msg;
	int rc;

	v->internal = true;
	if (v->case_id != 0 &&
	    save_message(mi, store, row, v, 0, &msg, error_r) < 0)
		rc = -1;
	else if (!v->ar.permanent)
		rc = 0;
	else if (store_outbox_failed(store, v->outbox_id, reason,
				     error_r) < 0 ||
		 store_outbox_failure_handled(store, v->outbox_id,
					      error_r) < 0)
		rc = -1;
	else if (forward != 0)
		rc = mailin_forward_failed(mi, store, forward, said, error_r);
	else
		rc = v->case_id == 0 ? 0 :
			store_event_add(store, v->case_id, cirm_now(),
					"notify.failed", 0, NULL, NULL, reason,
					error_r);
	free(said);
	return rc;
}

int
mailin_apply(struct mailin *mi, struct store *store,
	     const struct store_inbox_row *row, struct mailin_verdict *v,
	     char **error_r)
{
	int64_t contact = 0, msg;
	int64_t now = cirm_now();

	switch (v->kind) {
	case MAILIN_QUARANTINE:
	case MAILIN_DUPLICATE:
		return 0;
	case MAILIN_NEW_CASE:
		if (sender_contact(mi, store, v, &contact, error_r) < 0)
			return -1;
		return new_case(mi, store, row, v, contact, error_r);
	case MAILIN_FOLLOW_UP:
		if (sender_contact(mi, store, v, &contact, error_r) < 0 ||
		    store_case_party_add(store, v->case_id, contact, "cc",
					 error_r) < 0 ||
		    save_message(mi, store, row, v, contact, &msg, error_r) < 0 ||
		    forwarded(store, v, now, error_r) < 0 ||
		    store_case_followed(store, v->case_id, now, v->resend_key,
					mailin_arrival(v), error_r) < 0)
			return -1;
		return to_workflow(mi, store, v, "mail.citizen", contact, msg,
				   error_r);
	case MAILIN_RESENT:
		/* the same mail sent again a moment later: kept, on the
		   case of the first, whose history says it came again;
		   nothing is sent, nobody is told, the workflow hears
		   nothing (it heard the first) */
		if (sender_contact(mi, store, v, &contact, error_r) < 0 ||
		    save_message(mi, store, row, v, contact, &msg,
				 error_r) < 0)
			return -1;
		return store_event_add(store, v->case_id, now, "mail.again",
				       contact, NULL, NULL, NULL, error_r);
	case MAILIN_THANKS:
		/* on the closed case, for its history: no workflow runs on
		   a closed case, and nobody is told */
		if (sender_contact(mi, store, v, &contact, error_r) < 0 ||
		    save_message(mi, store, row, v, contact, &msg,
				 error_r) < 0)
			return -1;
		return store_event_add(store, v->case_id, now,
				       "citizen.thanks", contact, NULL, NULL,
				       NULL, error_r);
	case MAILIN_AUTO_REPLY:
		/* an out-of-office from where a case was forwarded: the
		   officer waiting for an answer is told */
		if (save_message(mi, store, row, v, 0, &msg, error_r) < 0)
			return -1;
		return v->forward_id == 0 ? 0 :
			mailin_outside_answer(mi, store, v, msg, error_r);
	case MAILIN_HANDLER_REPLY:
	case MAILIN_HANDLER_COMMAND:
		return mailin_handler_apply(mi, store, row, v, error_r);
	case MAILIN_GROUP_ANSWER: {
		/* the group, or "handler:olle" when the workflow named
		   them by login */
		char *who = v->answer_named ?
			xasprintf("handler:%s", v->answer_group) :
			xstrdup(v->answer_group);
		int r;

		/* a note, as the group may not write to the citizen; no
		   workflow event, as the group does not work on the case
		   (a mail.handler could move it on) */
		r = mailin_save_handler_message(mi, store, row, v,
						mailin_group_answer_text(v),
						HANDLER_NOTE, &msg,
						error_r) < 0 ||
		    store_event_add(store, v->case_id, now, "group.answered",
				    v->handler_id, NULL, NULL, who,
				    error_r) < 0 ||
		    store_case_touch(store, v->case_id, now, error_r) < 0 ?
			-1 : 0;
		free(who);
		if (r < 0)
			return -1;
		return mailin_group_answer(mi, store, v, msg, error_r);
	}
	case MAILIN_OUTSIDE_REPLY:
		/* a party "outside": their later mail naming the case in
		   its subject comes back as an answer like this one, never
		   as the citizen's words nor as a command */
		if (sender_contact(mi, store, v, &contact, error_r) < 0 ||
		    store_case_party_add(store, v->case_id, contact,
					 "outside", error_r) < 0 ||
		    save_message(mi, store, row, v, contact, &msg,
				 error_r) < 0 ||
		    store_event_add(store, v->case_id, now, "forward.answered",
				    contact, NULL, NULL, NULL, error_r) < 0 ||
		    store_case_touch(store, v->case_id, now, error_r) < 0)
			return -1;
		return mailin_outside_answer(mi, store, v, msg, error_r);
	case MAILIN_BOUNCE:
		if (v->outbox_id != 0) {
			int64_t forward = 0;
			bool public = true;

			if (store_outbox_forward(store, v->outbox_id, &forward,
						 &public, error_r) < 0)
				return -1;
			if (!public)
				return other_bounce(mi, store, row, v, forward,
						    error_r);
		}
		if (v->case_id != 0 &&
		    save_message(mi, store, row, v, 0, &msg, error_r) < 0)
			return -1;
		if (v->outbox_id != 0 && v->ar.permanent &&
		    store_outbox_failed(store, v->outbox_id, v->ar.status != NULL ?
					v->ar.status : "bounced", error_r) < 0)
			return -1;
		if (v->case_id == 0 || !v->ar.permanent)
			return 0;
		if (store_event_add(store, v->case_id, now, "delivery.failed", 0,
				    NULL, NULL, v->ar.status, error_r) < 0 ||
		    (v->outbox_id != 0 &&
		     store_outbox_failure_handled(store, v->outbox_id,
						  error_r) < 0))
			return -1;
		return to_workflow(mi, store, v, "delivery.failed.email", 0, 0,
				   error_r);
	}
	return 0;
}

int
mailin_spool_sync(const struct mailin *mi, int *dirty, char **error_r)
{
	if (!*dirty)
		return 0;
	if (blob_sync(mi->spool_dir, error_r) < 0)
		return -1;
	*dirty = 0;
	return 0;
}

int
mailin_sync(void *ctx, char **error_r)
{
	struct mailin *mi = ctx;

	return mailin_spool_sync(mi, &mi->dirty, error_r);
}
