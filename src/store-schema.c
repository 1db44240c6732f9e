/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The schema, as the migrations that build it. Never edit a migration
   that has been released: add the next one. tests/data/schema.ref holds
   the resulting schema; tests/check_store compares a fresh database and
   one migrated step by step against it. Times are seconds since the
   epoch (UTC). */
#include "config.h"

#include "store-private.h"

#include "util.h"

static const char migration_1[] =
	"CREATE TABLE contact (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  kind TEXT NOT NULL CHECK (kind IN ('citizen', 'handler')),\n"
	"  name TEXT,\n"
	"  login TEXT UNIQUE,\n"
	"  language TEXT NOT NULL DEFAULT 'sv',\n"
	"  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),\n"
	"  created_at INTEGER NOT NULL,\n"
	"  CHECK (kind = 'handler' OR login IS NULL)\n"
	");\n"
	"CREATE TABLE contact_address (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  contact_id INTEGER NOT NULL REFERENCES contact(id) ON DELETE CASCADE,\n"
	"  kind TEXT NOT NULL CHECK (kind IN ('email', 'phone')),\n"
	"  address TEXT NOT NULL,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  UNIQUE (kind, address)\n"
	");\n"
	"CREATE INDEX contact_address_contact ON contact_address(contact_id);\n"
	"CREATE TABLE handler_group (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  email TEXT,\n"
	"  created_at INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE group_member (\n"
	"  group_id INTEGER NOT NULL REFERENCES handler_group(id) ON DELETE CASCADE,\n"
	"  contact_id INTEGER NOT NULL REFERENCES contact(id) ON DELETE CASCADE,\n"
	"  PRIMARY KEY (group_id, contact_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX group_member_contact ON group_member(contact_id);\n"
	/* The last number given per prefix and year; it is updated in the
	   transaction that creates the case, so numbers have no gaps. */
	"CREATE TABLE case_sequence (\n"
	"  prefix TEXT NOT NULL,\n"
	"  year INTEGER NOT NULL,\n"
	"  last INTEGER NOT NULL,\n"
	"  PRIMARY KEY (prefix, year)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE cases (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  number TEXT NOT NULL UNIQUE,\n"
	"  prefix TEXT NOT NULL,\n"
	"  year INTEGER NOT NULL,\n"
	"  seq INTEGER NOT NULL,\n"
	"  citizen_id INTEGER REFERENCES contact(id),\n"
	"  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),\n"
	"  subject TEXT,\n"
	"  workflow TEXT,\n"
	"  workflow_version INTEGER,\n"
	"  state TEXT NOT NULL,\n"
	"  group_id INTEGER REFERENCES handler_group(id),\n"
	"  assignee_id INTEGER REFERENCES contact(id),\n"
	"  category TEXT,\n"
	"  priority TEXT NOT NULL DEFAULT 'normal'\n"
	"    CHECK (priority IN ('low', 'normal', 'high', 'urgent')),\n"
	"  due_at INTEGER,\n"
	"  received_at INTEGER NOT NULL,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  updated_at INTEGER NOT NULL,\n"
	"  closed_at INTEGER,\n"
	"  UNIQUE (prefix, year, seq)\n"
	");\n"
	"CREATE INDEX cases_state ON cases(state);\n"
	"CREATE INDEX cases_citizen ON cases(citizen_id);\n"
	"CREATE INDEX cases_assignee ON cases(assignee_id);\n"
	"CREATE TABLE case_party (\n"
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  contact_id INTEGER NOT NULL REFERENCES contact(id),\n"
	"  role TEXT NOT NULL CHECK (role IN ('citizen', 'cc', 'handler')),\n"
	"  PRIMARY KEY (case_id, contact_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX case_party_contact ON case_party(contact_id);\n"
	"CREATE TABLE message (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),\n"
	"  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),\n"
	"  visibility TEXT NOT NULL DEFAULT 'public'\n"
	"    CHECK (visibility IN ('public', 'internal')),\n"
	"  contact_id INTEGER REFERENCES contact(id),\n"
	"  rfc_message_id TEXT,\n"
	"  in_reply_to TEXT,\n"
	"  subject TEXT,\n"
	"  body_full TEXT,\n"
	"  body_stripped TEXT,\n"
	"  raw_sha256 TEXT,\n"
	"  at INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX message_case ON message(case_id);\n"
	"CREATE INDEX message_rfc_id ON message(rfc_message_id);\n"
	"CREATE TABLE attachment (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  message_id INTEGER NOT NULL REFERENCES message(id) ON DELETE CASCADE,\n"
	"  sha256 TEXT NOT NULL,\n"
	"  filename TEXT,\n"
	"  content_type TEXT NOT NULL,\n"
	"  size INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX attachment_message ON attachment(message_id);\n"
	"CREATE INDEX attachment_sha256 ON attachment(sha256);\n"
	"CREATE TABLE event (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  at INTEGER NOT NULL,\n"
	"  kind TEXT NOT NULL,\n"
	"  actor_id INTEGER REFERENCES contact(id),\n"
	"  from_state TEXT,\n"
	"  to_state TEXT,\n"
	"  detail TEXT\n"
	");\n"
	"CREATE INDEX event_case ON event(case_id);\n"
	"CREATE TABLE timer (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  name TEXT NOT NULL,\n"
	"  state TEXT NOT NULL,\n"
	"  event TEXT NOT NULL,\n"
	"  fire_at INTEGER NOT NULL,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  fired_at INTEGER\n"
	");\n"
	"CREATE INDEX timer_due ON timer(fire_at) WHERE fired_at IS NULL;\n"
	"CREATE INDEX timer_case ON timer(case_id);\n"
	/* Raw messages as the gateways received them, nothing parsed. */
	"CREATE TABLE inbox (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),\n"
	"  source TEXT NOT NULL,\n"
	"  received_at INTEGER NOT NULL,\n"
	"  dedupe_key TEXT UNIQUE,\n"
	"  raw BLOB NOT NULL,\n"
	"  attempts INTEGER NOT NULL DEFAULT 0,\n"
	"  last_error TEXT,\n"
	"  next_attempt_at INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE INDEX inbox_due ON inbox(next_attempt_at, id);\n"
	"CREATE TABLE outbox (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  case_id INTEGER REFERENCES cases(id),\n"
	"  message_id INTEGER REFERENCES message(id),\n"
	"  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),\n"
	"  recipient TEXT NOT NULL,\n"
	"  rfc_message_id TEXT,\n"
	"  subject TEXT,\n"
	"  headers TEXT,\n"
	"  body BLOB NOT NULL,\n"
	"  status TEXT NOT NULL DEFAULT 'queued'\n"
	"    CHECK (status IN ('queued', 'sending', 'sent', 'failed')),\n"
	"  attempts INTEGER NOT NULL DEFAULT 0,\n"
	"  next_attempt_at INTEGER NOT NULL DEFAULT 0,\n"
	"  last_error TEXT,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  sent_at INTEGER\n"
	");\n"
	"CREATE INDEX outbox_due ON outbox(status, next_attempt_at);\n"
	"CREATE TABLE quarantine (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  channel TEXT NOT NULL,\n"
	"  source TEXT NOT NULL,\n"
	"  received_at INTEGER NOT NULL,\n"
	"  quarantined_at INTEGER NOT NULL,\n"
	"  reason TEXT NOT NULL,\n"
	"  raw BLOB NOT NULL,\n"
	"  released_at INTEGER\n"
	");\n"
	"CREATE TABLE audit (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  at INTEGER NOT NULL,\n"
	"  actor TEXT NOT NULL,\n"
	"  action TEXT NOT NULL,\n"
	"  object TEXT,\n"
	"  detail TEXT,\n"
	"  hash TEXT NOT NULL\n"
	");\n";

/* Full-text search over case messages (handlers' #search). The index
   reads its text from the message table (external content) and triggers
   keep it current; the rebuild indexes messages that existed before. */
static const char migration_2[] =
	"CREATE VIRTUAL TABLE message_fts USING fts5(\n"
	"  subject, body_stripped, content='message', content_rowid='id',\n"
	"  tokenize='unicode61'\n"
	");\n"
	"CREATE TRIGGER message_fts_insert AFTER INSERT ON message BEGIN\n"
	"  INSERT INTO message_fts(rowid, subject, body_stripped)\n"
	"    VALUES (new.id, new.subject, new.body_stripped);\n"
	"END;\n"
	"CREATE TRIGGER message_fts_delete AFTER DELETE ON message BEGIN\n"
	"  INSERT INTO message_fts(message_fts, rowid, subject, body_stripped)\n"
	"    VALUES ('delete', old.id, old.subject, old.body_stripped);\n"
	"END;\n"
	"CREATE TRIGGER message_fts_update AFTER UPDATE OF subject, body_stripped\n"
	"  ON message BEGIN\n"
	"  INSERT INTO message_fts(message_fts, rowid, subject, body_stripped)\n"
	"    VALUES ('delete', old.id, old.subject, old.body_stripped);\n"
	"  INSERT INTO message_fts(rowid, subject, body_stripped)\n"
	"    VALUES (new.id, new.subject, new.body_stripped);\n"
	"END;\n"
	"INSERT INTO message_fts(message_fts) VALUES ('rebuild');\n";

/* Inbound mail: what kind of message it was, the key that makes a second
   delivery of it a duplicate, and the gateways' own positions (such as
   an IMAP mailbox's UIDVALIDITY and last UID), kept in the same
   transaction as the messages they fetched. */
static const char migration_3[] =
	"ALTER TABLE message ADD COLUMN kind TEXT NOT NULL DEFAULT 'mail'\n"
	"  CHECK (kind IN ('mail', 'auto-reply', 'bounce', 'note'));\n"
	"ALTER TABLE message ADD COLUMN dedupe_key TEXT;\n"
	"CREATE INDEX message_dedupe ON message(dedupe_key);\n"
	"CREATE INDEX outbox_rfc_id ON outbox(rfc_message_id);\n"
	"CREATE INDEX cases_citizen_created ON cases(citizen_id, created_at);\n"
	"CREATE TABLE gateway_state (\n"
	"  gateway TEXT NOT NULL,\n"
	"  key TEXT NOT NULL,\n"
	"  value TEXT NOT NULL,\n"
	"  PRIMARY KEY (gateway, key)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE message_recipient (\n"
	"  message_id INTEGER NOT NULL REFERENCES message(id) ON DELETE CASCADE,\n"
	"  kind TEXT NOT NULL CHECK (kind IN ('to', 'cc')),\n"
	"  address TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX message_recipient_message ON message_recipient(message_id);\n";

/* Messages are indexed once per transaction, at commit, instead of by a
   trigger on every insert (which made FTS5 write a segment per message
   and cost more than the rest of the work on a mail). fts_position
   holds the last message indexed; deletes and updates of indexed
   messages still go through triggers. */
static const char migration_4[] =
	"DROP TRIGGER message_fts_insert;\n"
	"DROP TRIGGER message_fts_delete;\n"
	"DROP TRIGGER message_fts_update;\n"
	"CREATE TABLE fts_position (\n"
	"  id INTEGER PRIMARY KEY CHECK (id = 1),\n"
	"  last_message INTEGER NOT NULL\n"
	");\n"
	"INSERT INTO fts_position (id, last_message)\n"
	"  SELECT 1, coalesce(max(id), 0) FROM message;\n"
	"CREATE TRIGGER message_fts_delete AFTER DELETE ON message\n"
	"  WHEN old.id <= (SELECT last_message FROM fts_position) BEGIN\n"
	"  INSERT INTO message_fts(message_fts, rowid, subject, body_stripped)\n"
	"    VALUES ('delete', old.id, old.subject, old.body_stripped);\n"
	"END;\n"
	"CREATE TRIGGER message_fts_update AFTER UPDATE OF subject, body_stripped\n"
	"  ON message WHEN old.id <= (SELECT last_message FROM fts_position) BEGIN\n"
	"  INSERT INTO message_fts(message_fts, rowid, subject, body_stripped)\n"
	"    VALUES ('delete', old.id, old.subject, old.body_stripped);\n"
	"  INSERT INTO message_fts(rowid, subject, body_stripped)\n"
	"    VALUES (new.id, new.subject, new.body_stripped);\n"
	"END;\n";

/* Raw inbound messages live in the database, by SHA-256, written in the
   transaction of their message: creating one spool file per mail cost
   more than everything else the engine does with it. Attachments stay
   content-addressed files in the spool. */
static const char migration_5[] =
	"CREATE TABLE raw_message (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  sha256 TEXT NOT NULL UNIQUE,\n"
	"  raw BLOB NOT NULL\n"
	");\n";

/* Workflows: each version a case may run on is kept with its source,
   so that a case keeps the version it started with after the file
   changed. A case's state column holds its active atomic states. */
static const char migration_6[] =
	"CREATE TABLE workflow_def (\n"
	"  workflow TEXT NOT NULL,\n"
	"  version INTEGER NOT NULL,\n"
	"  sha256 TEXT NOT NULL,\n"
	"  source BLOB NOT NULL,\n"
	"  loaded_at INTEGER NOT NULL,\n"
	"  PRIMARY KEY (workflow, version)\n"
	") WITHOUT ROWID;\n"
	"CREATE UNIQUE INDEX timer_armed ON timer(case_id, name)\n"
	"  WHERE fired_at IS NULL;\n"
	"CREATE INDEX cases_open_workflow ON cases(workflow, workflow_version)\n"
	"  WHERE closed_at IS NULL;\n";

/* Outbound mail that failed for good is raised to the engine (an event
   on its case, a notice to the assignee) once: failure_handled marks the
   rows it has taken care of. */
static const char migration_7[] =
	"ALTER TABLE outbox ADD COLUMN failure_handled INTEGER NOT NULL DEFAULT 0\n"
	"  CHECK (failure_handled IN (0, 1));\n"
	"CREATE INDEX outbox_failed ON outbox(id)\n"
	"  WHERE status = 'failed' AND failure_handled = 0;\n";

/* SMS: the parts of concatenated inbound messages, kept until the whole
   message is in the inbox (so that a part the SMSC was told we have is
   never lost); the SMSC's id of each sent message and its delivery
   receipt; and the numbers that asked for no more SMS. */
static const char migration_8[] =
	"CREATE TABLE sms_part (\n"
	"  source TEXT NOT NULL,\n"
	"  sender TEXT NOT NULL,\n"
	"  recipient TEXT NOT NULL,\n"
	"  ref INTEGER NOT NULL,\n"
	"  total INTEGER NOT NULL CHECK (total BETWEEN 1 AND 255),\n"
	"  seq INTEGER NOT NULL,\n"
	"  text TEXT NOT NULL,\n"
	"  received_at INTEGER NOT NULL,\n"
	"  PRIMARY KEY (source, sender, recipient, ref, total, seq),\n"
	"  CHECK (seq BETWEEN 1 AND total)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX sms_part_age ON sms_part(received_at);\n"
	"ALTER TABLE outbox ADD COLUMN remote_id TEXT;\n"
	"ALTER TABLE outbox ADD COLUMN receipt TEXT;\n"
	"ALTER TABLE outbox ADD COLUMN delivered_at INTEGER;\n"
	"CREATE INDEX outbox_remote ON outbox(channel, remote_id)\n"
	"  WHERE remote_id IS NOT NULL;\n"
	"CREATE TABLE sms_optout (\n"
	"  number TEXT PRIMARY KEY,\n"
	"  at INTEGER NOT NULL,\n"
	"  keyword TEXT NOT NULL\n"
	") WITHOUT ROWID;\n";

/* The full-text index holds what people wrote: citizens' messages and
   handlers' (their answers and notes come in as mail). What cirm sends
   is a template around one of those texts, or boilerplate that would
   make every case match words like "ärende"; indexing it cost a page
   write per message and found nothing new. The triggers now skip
   outgoing rows, which the index no longer holds. */
static const char migration_9[] =
	"DROP TRIGGER message_fts_delete;\n"
	"DROP TRIGGER message_fts_update;\n"
	"CREATE TRIGGER message_fts_delete AFTER DELETE ON message\n"
	"  WHEN old.direction = 'in'\n"
	"  AND old.id <= (SELECT last_message FROM fts_position) BEGIN\n"
	"  INSERT INTO message_fts(message_fts, rowid, subject, body_stripped)\n"
	"    VALUES ('delete', old.id, old.subject, old.body_stripped);\n"
	"END;\n"
	"CREATE TRIGGER message_fts_update AFTER UPDATE OF subject, body_stripped\n"
	"  ON message WHEN old.direction = 'in'\n"
	"  AND old.id <= (SELECT last_message FROM fts_position) BEGIN\n"
	"  INSERT INTO message_fts(message_fts, rowid, subject, body_stripped)\n"
	"    VALUES ('delete', old.id, old.subject, old.body_stripped);\n"
	"  INSERT INTO message_fts(rowid, subject, body_stripped)\n"
	"    VALUES (new.id, new.subject, new.body_stripped);\n"
	"END;\n"
	"INSERT INTO message_fts(message_fts) VALUES ('delete-all');\n"
	"INSERT INTO message_fts(rowid, subject, body_stripped)\n"
	"  SELECT id, subject, body_stripped FROM message\n"
	"  WHERE direction = 'in'\n"
	"  AND id <= (SELECT last_message FROM fts_position) ORDER BY id;\n";

/* cases(state) served no query (the case list filters by state with
   "?1 IS NULL OR state = ?1", which no index serves) and cost two page
   writes at every change of state: on a large database, about one
   page in sixteen that a workflow event writes. The case list is
   ordered by arrival, newest first: an index on (received_at, id) lets
   it read only the rows it shows instead of sorting every case. Its
   entries are added at the end, once per case, and never move. */
static const char migration_10[] =
	"DROP INDEX cases_state;\n"
	"CREATE INDEX cases_received ON cases(received_at, id);\n";

/* A sending gateway takes its channel's due rows oldest first, a batch
   at a time. By (status, next_attempt_at) SQLite had to read every due
   row of every channel, body and all, and sort them for each batch:
   with a few thousand mails queued the sink read megabytes per fifty
   mails, and the SMS gateway as much to find none. By channel and id
   it reads the batch and stops; the time is checked in the index. */
static const char migration_11[] =
	"DROP INDEX outbox_due;\n"
	"CREATE INDEX outbox_queue ON outbox(status, channel, id, next_attempt_at);\n";

/* The raw message is stored once, as it arrives, in raw_message, where
   the message made of it refers to it; the inbox row refers to it
   (raw_id; inbox.raw is then empty) instead of holding bytes that the
   engine copied and deleted, and that every claim of the row read.
   raw_owned: this row put it there (identical bytes share one row).
   inbox_message shows each queued row with its raw, wherever it is. */
static const char migration_12[] =
	"ALTER TABLE inbox ADD COLUMN raw_id INTEGER REFERENCES raw_message(id);\n"
	"ALTER TABLE inbox ADD COLUMN raw_owned INTEGER NOT NULL DEFAULT 0\n"
	"  CHECK (raw_owned IN (0, 1));\n"
	"CREATE INDEX inbox_raw_id ON inbox(raw_id) WHERE raw_id IS NOT NULL;\n"
	"CREATE VIEW inbox_message AS\n"
	"  SELECT i.id, i.channel, i.source, i.received_at, i.dedupe_key,\n"
	"    coalesce(r.raw, i.raw) AS raw, i.attempts, i.last_error,\n"
	"    i.next_attempt_at\n"
	"  FROM inbox i LEFT JOIN raw_message r ON r.id = i.raw_id;\n";

/* The index answers one question, which messages hold all these words
   (#search); it also kept where in each text every word stood, for
   phrase and NEAR queries that no search asks. Without the positions
   (detail=none) and the per-column lengths (columnsize=0), used only to
   rank, a message costs a third of the work to index and the index a
   quarter of the space. A search splits its words with the index's own
   tokenizer (store_search_cases), so "gatu-belysning" still finds the
   messages holding both words. */
static const char migration_13[] =
	"DROP TABLE message_fts;\n"
	"CREATE VIRTUAL TABLE message_fts USING fts5(\n"
	"  subject, body_stripped, content='message', content_rowid='id',\n"
	"  tokenize='unicode61', detail=none, columnsize=0\n"
	");\n"
	"INSERT INTO message_fts(rowid, subject, body_stripped)\n"
	"  SELECT id, subject, body_stripped FROM message\n"
	"  WHERE direction = 'in'\n"
	"  AND id <= (SELECT last_message FROM fts_position) ORDER BY id;\n";

/* A notification to a handler is kept as an internal outgoing message,
   one per handler notified. The conversation of a case is everything
   else: what came in (citizens, handlers' replies and notes) and what
   went to the citizen. A notification's short history and #show list
   the conversation only; this index finds a case's newest of it
   without reading the notifications in between. */
static const char migration_14[] =
	"CREATE INDEX message_conversation ON message(case_id, id)\n"
	"  WHERE direction = 'in' OR visibility = 'public';\n";

/* Every lookup of a citizen's cases, and the foreign key from cases to
   contact, can use cases_citizen_created (citizen_id first); the index
   on citizen_id alone was one more to write for each new case. */
static const char migration_15[] =
	"DROP INDEX cases_citizen;\n";

/* Only inbound messages have a dedupe key; the index of them took a
   NULL entry for every acknowledgement and notification too. A lookup
   by key (dedupe_key = ?) uses the partial index. */
static const char migration_16[] =
	"DROP INDEX message_dedupe;\n"
	"CREATE INDEX message_dedupe ON message(dedupe_key)\n"
	"  WHERE dedupe_key IS NOT NULL;\n";

/* A quarantined message an administrator discarded (spam, say): the
   row stays, with when, for the record; its raw bytes are erased. */
static const char migration_17[] =
	"ALTER TABLE quarantine ADD COLUMN discarded_at INTEGER;\n";

/* A message's parts stay a while once it is in the inbox (done_at set),
   so that a part delivered again (the SMSC or smsd not told it arrived)
   is known and dropped, not put in later as a message of its own. */
static const char migration_18[] =
	"ALTER TABLE sms_part ADD COLUMN done_at INTEGER;\n";

/* The dedupe key of a quarantined mail, so that the same mail delivered
   again while it waits there (or after it was discarded) is known and
   not quarantined twice. */
static const char migration_19[] =
	"ALTER TABLE quarantine ADD COLUMN dedupe_key TEXT;\n"
	"CREATE INDEX quarantine_dedupe ON quarantine(dedupe_key)\n"
	"  WHERE dedupe_key IS NOT NULL;\n";

/* Retention (gallring) removes a case's raw mails once no message
   names them: found by their hash, not by reading every message. Only
   mail that came in has one. */
static const char migration_20[] =
	"CREATE INDEX message_raw ON message(raw_sha256)\n"
	"  WHERE raw_sha256 IS NOT NULL;\n";

/* The charset a text attachment came with, so that it goes on (to the
   handlers, a handler's file to the citizen) as what it is: without
   one a text part is US-ASCII (RFC 2046 4.1.2), and clients showed a
   Latin-1 file's "å" as a question mark. */
static const char migration_21[] =
	"ALTER TABLE attachment ADD COLUMN charset TEXT;\n";

/* A handler's reply that was refused (a command not allowed, an answer
   too long for SMS, no text of the handler's own) is kept on the case,
   internal; marked, so that the history in later notifications and the
   case's messages never read as if it had gone to the citizen. */
static const char migration_22[] =
	"ALTER TABLE message ADD COLUMN refused INTEGER NOT NULL DEFAULT 0\n"
	"  CHECK (refused IN (0, 1));\n";

/* Inbox ids are never used again (AUTOINCREMENT): the inbox is a queue,
   empty most of the time, and a plain rowid started again at 1 each
   time it emptied, so that the log said "inbox row 1" of one mail after
   another and an administrator could not tell them apart. The queue is
   rebuilt (a table cannot be altered into AUTOINCREMENT), with its
   indexes and the view over it. The first new id is past any the log
   can have named before: no more than every message that ever came in,
   kept (the highest message id) or quarantined, and past the highest
   still queued. */
static const char migration_23[] =
	"DROP VIEW inbox_message;\n"
	"CREATE TABLE inbox_new (\n"
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),\n"
	"  source TEXT NOT NULL,\n"
	"  received_at INTEGER NOT NULL,\n"
	"  dedupe_key TEXT UNIQUE,\n"
	"  raw BLOB NOT NULL,\n"
	"  attempts INTEGER NOT NULL DEFAULT 0,\n"
	"  last_error TEXT,\n"
	"  next_attempt_at INTEGER NOT NULL DEFAULT 0,\n"
	"  raw_id INTEGER REFERENCES raw_message(id),\n"
	"  raw_owned INTEGER NOT NULL DEFAULT 0 CHECK (raw_owned IN (0, 1))\n"
	");\n"
	"INSERT INTO inbox_new (id, channel, source, received_at, dedupe_key,\n"
	"  raw, attempts, last_error, next_attempt_at, raw_id, raw_owned)\n"
	"  SELECT id, channel, source, received_at, dedupe_key, raw, attempts,\n"
	"    last_error, next_attempt_at, raw_id, raw_owned FROM inbox;\n"
	"DROP TABLE inbox;\n"
	"ALTER TABLE inbox_new RENAME TO inbox;\n"
	"CREATE INDEX inbox_due ON inbox(next_attempt_at, id);\n"
	"CREATE INDEX inbox_raw_id ON inbox(raw_id) WHERE raw_id IS NOT NULL;\n"
	"CREATE VIEW inbox_message AS\n"
	"  SELECT i.id, i.channel, i.source, i.received_at, i.dedupe_key,\n"
	"    coalesce(r.raw, i.raw) AS raw, i.attempts, i.last_error,\n"
	"    i.next_attempt_at\n"
	"  FROM inbox i LEFT JOIN raw_message r ON r.id = i.raw_id;\n"
	"DELETE FROM sqlite_sequence WHERE name = 'inbox';\n"
	"INSERT INTO sqlite_sequence (name, seq) SELECT 'inbox', max(\n"
	"  (SELECT coalesce(max(id), 0) FROM inbox),\n"
	"  (SELECT coalesce(max(id), 0) FROM message) +\n"
	"  (SELECT count(*) FROM quarantine));\n";

/* No table changes: a message may now leave body_full NULL when it is
   the same text as body_stripped, and dedupe_key NULL when it would be
   "mid:" and the message's rfc_message_id (store_message_add). A cirm
   from before reads such rows wrong (a mail delivered again would be
   stored twice), so it must refuse the database as it refuses any newer
   one: the version goes up all the same. */
static const char migration_24[] =
	"SELECT 1;\n";

/* An outgoing message's text was stored twice: in its message row
   (body_stripped, which the case's history shows) and in its outbox
   row, which is a third of what a workflow event writes. With
   body_in_message the outbox row's body is empty and the text is the
   message's. outbox_mail is the outbox with each row's text, for the
   gateways and for an administrator's queries. A cirm from before would
   send such rows empty: the version goes up, and it refuses the
   database. */
static const char migration_25[] =
	"ALTER TABLE outbox ADD COLUMN body_in_message INTEGER NOT NULL\n"
	"  DEFAULT 0 CHECK (body_in_message IN (0, 1));\n"
	"CREATE VIEW outbox_mail AS\n"
	"  SELECT o.id, o.case_id, o.message_id, o.channel, o.recipient,\n"
	"    o.rfc_message_id, o.subject, o.headers,\n"
	"    CASE WHEN o.body_in_message THEN coalesce(m.body_stripped, '')\n"
	"      ELSE o.body END AS body,\n"
	"    o.status, o.attempts, o.next_attempt_at, o.last_error,\n"
	"    o.created_at, o.sent_at, o.failure_handled, o.remote_id,\n"
	"    o.receipt, o.delivered_at\n"
	"  FROM outbox o LEFT JOIN message m\n"
	"    ON o.body_in_message AND m.id = o.message_id;\n";

/* A message id must not be given twice while the index counts it as
   indexed (fts_position): SQLite gives the next message max(id) + 1, so
   when retention removed the newest messages, the next ones got their
   ids again, were taken as indexed and left out (#sok missed them),
   and removing them later deleted from the index what it did not hold:
   SQLITE_CORRUPT, at which retention stopped for good. Deleting a
   message now brings the position down to the newest message left
   when it stood above it; the index is rebuilt, for a database where
   that happened already. */
static const char migration_26[] =
	"DROP TRIGGER message_fts_delete;\n"
	"CREATE TRIGGER message_fts_delete AFTER DELETE ON message\n"
	"  WHEN old.id <= (SELECT last_message FROM fts_position) BEGIN\n"
	"  INSERT INTO message_fts(message_fts, rowid, subject, body_stripped)\n"
	"    SELECT 'delete', old.id, old.subject, old.body_stripped\n"
	"    WHERE old.direction = 'in';\n"
	"  UPDATE fts_position SET last_message =\n"
	"    min(last_message, (SELECT coalesce(max(id), 0) FROM message));\n"
	"END;\n"
	"UPDATE fts_position SET last_message =\n"
	"  min(last_message, (SELECT coalesce(max(id), 0) FROM message));\n"
	"INSERT INTO message_fts(message_fts) VALUES ('delete-all');\n"
	"INSERT INTO message_fts(rowid, subject, body_stripped)\n"
	"  SELECT id, subject, body_stripped FROM message\n"
	"  WHERE direction = 'in'\n"
	"  AND id <= (SELECT last_message FROM fts_position) ORDER BY id;\n";

/* A case merged into another (#slå-ihop): the duplicate is closed and
   points at the case that was kept, and mail on the duplicate joins
   that one. Merging a case others were merged into points them at the
   kept case too, so one step always reaches an unmerged case. */
static const char migration_27[] =
	"ALTER TABLE cases ADD COLUMN merged_into INTEGER\n"
	"  REFERENCES cases(id) ON DELETE SET NULL;\n"
	"CREATE INDEX cases_merged_into ON cases(merged_into)\n"
	"  WHERE merged_into IS NOT NULL;\n";

/* A case officer away (#borta, cirmctl handler away): the
   moment they are back, or NULL. Until then they are not notified, nor
   given cases; their cases' notifications go to the groups. */
static const char migration_28[] =
	"ALTER TABLE contact ADD COLUMN away_until INTEGER;\n";

/* What was sent without a case (an SMS opt-out's confirmation, a
   handler's digest or answer to #lista) to one address, for a citizen's
   register extract: a search among these rows, a small part of the
   outbox, rather than a scan of all of it. */
static const char migration_29[] =
	"CREATE INDEX outbox_caseless ON outbox(lower(recipient))\n"
	"  WHERE case_id IS NULL;\n";

/* A case sent to someone outside (#vidarebefordra): the message that
   went, to whom, by which case officer, and the officer's reply it came
   of (which the case's messages then show as forwarded). Their answer
   comes back to an address signed for the row, or names the message's
   Message-ID. */
static const char migration_30[] =
	"CREATE TABLE case_forward (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  message_id INTEGER NOT NULL REFERENCES message(id)\n"
	"    ON DELETE CASCADE,\n"
	"  handler_id INTEGER REFERENCES contact(id),\n"
	"  note_id INTEGER REFERENCES message(id) ON DELETE SET NULL,\n"
	"  address TEXT NOT NULL,\n"
	"  at INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX case_forward_case ON case_forward(case_id);\n"
	"CREATE INDEX case_forward_message ON case_forward(message_id);\n"
	"CREATE INDEX case_forward_note ON case_forward(note_id);\n"
	/* who answered from outside is a party of the case ("outside"):
	   the case's register extract for them shows what they wrote,
	   and retention forgets them with their last case; never one to
	   whom the case number in a subject opens the case */
	"CREATE TABLE case_party_new (\n"
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  contact_id INTEGER NOT NULL REFERENCES contact(id),\n"
	"  role TEXT NOT NULL\n"
	"    CHECK (role IN ('citizen', 'cc', 'handler', 'outside')),\n"
	"  PRIMARY KEY (case_id, contact_id)\n"
	") WITHOUT ROWID;\n"
	"INSERT INTO case_party_new (case_id, contact_id, role)\n"
	"  SELECT case_id, contact_id, role FROM case_party;\n"
	"DROP TABLE case_party;\n"
	"ALTER TABLE case_party_new RENAME TO case_party;\n"
	"CREATE INDEX case_party_contact ON case_party(contact_id);\n";

/* A case's timers kept with the case: one row per case and timer name
   (the one armed, or the last that fired), in a table ordered by case,
   so that arming and dropping a case's timers writes one page of it,
   not a row somewhere at the table's end and three indexes by case.
   Of the rows before, each name's newest is what store_case_timers
   and store_case_timers_fired read, and all that is kept. */
static const char migration_31[] =
	"CREATE TABLE timer_new (\n"
	"  case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,\n"
	"  name TEXT NOT NULL,\n"
	"  state TEXT NOT NULL,\n"
	"  event TEXT NOT NULL,\n"
	"  fire_at INTEGER NOT NULL,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  fired_at INTEGER,\n"
	"  PRIMARY KEY (case_id, name)\n"
	") WITHOUT ROWID;\n"
	"INSERT INTO timer_new (case_id, name, state, event, fire_at,\n"
	"    created_at, fired_at)\n"
	"  SELECT case_id, name, state, event, fire_at, created_at, fired_at\n"
	"  FROM timer t WHERE id = (SELECT max(id) FROM timer u\n"
	"    WHERE u.case_id = t.case_id AND u.name = t.name);\n"
	"DROP TABLE timer;\n"
	"ALTER TABLE timer_new RENAME TO timer;\n"
	"CREATE INDEX timer_due ON timer(fire_at) WHERE fired_at IS NULL;\n";

/* A citizen's mail that a case officer forwarded kept the officer's
   whole mail as its full text: the officer's internal note above the
   forward, and the forward's header block. A handler's answer may quote
   back what the citizen wrote, judged by that text (citizen_wrote in
   mailin-handler.c), so the note could reach the citizen. Since this
   version such a message keeps the citizen's part alone; a message
   that came so before is left its stripped text, which is the
   citizen's (the raw mail keeps the rest). */
static const char migration_32[] =
	"UPDATE message SET body_full = NULL\n"
	"  WHERE body_full IS NOT NULL AND direction = 'in'\n"
	"    AND kind = 'mail'\n"
	"    AND case_id IN (SELECT case_id FROM event\n"
	"      WHERE kind = 'mail.forwarded')\n"
	"    AND contact_id IN (SELECT id FROM contact\n"
	"      WHERE kind = 'citizen');\n";

/* A citizen's name as their mail's From gave it was kept with the line
   breaks and control characters an encoded word may hold, and wrote
   lines of the sender's into every notification to the case officers;
   since 6763b87 a name is read as one line, every control character a
   blank, and so are the names kept from before (eight characters a
   statement: SQLite's parser takes no deeper nesting). */
static const char migration_33[] =
	"UPDATE contact SET name = replace(replace(replace(replace(\n"
	"  replace(replace(replace(replace(name"
	", char(1), ' '), char(2), ' '), char(3), ' ')"
	", char(4), ' '), char(5), ' '), char(6), ' ')"
	", char(7), ' '), char(8), ' ')\n"
	"  WHERE name GLOB '*[' || char(1) || '-' || char(31) ||\n"
	"    char(127) || ']*';\n"
	"UPDATE contact SET name = replace(replace(replace(replace(\n"
	"  replace(replace(replace(replace(name"
	", char(9), ' '), char(10), ' '), char(11), ' ')"
	", char(12), ' '), char(13), ' '), char(14), ' ')"
	", char(15), ' '), char(16), ' ')\n"
	"  WHERE name GLOB '*[' || char(1) || '-' || char(31) ||\n"
	"    char(127) || ']*';\n"
	"UPDATE contact SET name = replace(replace(replace(replace(\n"
	"  replace(replace(replace(replace(name"
	", char(17), ' '), char(18), ' '), char(19), ' ')"
	", char(20), ' '), char(21), ' '), char(22), ' ')"
	", char(23), ' '), char(24), ' ')\n"
	"  WHERE name GLOB '*[' || char(1) || '-' || char(31) ||\n"
	"    char(127) || ']*';\n"
	"UPDATE contact SET name = replace(replace(replace(replace(\n"
	"  replace(replace(replace(replace(name"
	", char(25), ' '), char(26), ' '), char(27), ' ')"
	", char(28), ' '), char(29), ' '), char(30), ' ')"
	", char(31), ' '), char(127), ' ')\n"
	"  WHERE name GLOB '*[' || char(1) || '-' || char(31) ||\n"
	"    char(127) || ']*';\n";

/* What was sent to a person that is no message of a case: besides what
   went in no case (migration 29), a case officer's notices about one
   (a refused reply, its transcript), which hold what the officer wrote
   and belong in their register extract too. */
static const char migration_34[] =
	"DROP INDEX outbox_caseless;\n"
	"CREATE INDEX outbox_unfiled ON outbox(lower(recipient))\n"
	"  WHERE message_id IS NULL;\n";

/* A case officer's own cirm address (token_address_handler) can be
   replaced, as a leaked password is: the number of replacements, signed
   into the address, so that the old ones are refused. */
static const char migration_35[] =
	"ALTER TABLE contact ADD COLUMN address_generation INTEGER NOT NULL\n"
	"  DEFAULT 0 CHECK (address_generation >= 0);\n";

/* Case officers' notifications that failed for good (a mailbox gone, a
   mistyped address), for cirmctl status --check: a small index of
   those events alone. */
static const char migration_36[] =
	"CREATE INDEX event_notify_failed ON event(at)\n"
	"  WHERE kind = 'notify.failed';\n";

/* A contact id is never given twice. SQLite gives the next contact
   max(id) + 1: after a restore of a backup older than the newest case
   officers, a new officer got the id of one added since the backup, and
   with it the signed addresses that one was given (h17 in the own
   address and in each notification's Reply-To, cirm-reply:17: in their
   signatures): mail to those addresses counted as mail to the new
   officer (set aside, and the new officer told of it). contact_sequence
   holds the highest id ever given, raised by every new contact and kept
   by cirmctl restore; store_contact_add gives the next one above it. */
static const char migration_37[] =
	"CREATE TABLE contact_sequence (\n"
	"  last INTEGER NOT NULL\n"
	");\n"
	"INSERT INTO contact_sequence (last)\n"
	"  SELECT coalesce(max(id), 0) FROM contact;\n"
	"CREATE TRIGGER contact_sequence_raise AFTER INSERT ON contact BEGIN\n"
	"  UPDATE contact_sequence SET last = max(last, new.id);\n"
	"END;\n";

/* A workflow action skipped for a handler or group the directory lacks
   (a role's group misspelt, say): cirmctl status --check warns of the
   last day's, as of officers' notifications that failed. */
static const char migration_38[] =
	"CREATE INDEX event_action_skipped ON event(at)\n"
	"  WHERE kind = 'action.skipped';\n";

/* A case's outbox rows found by the case: retention removes them in the
   transaction that removes the case, by this index, rather than in a
   sweep over the whole outbox afterwards, which left them behind in a
   backup taken meanwhile and after a crash (and, ids of removed cases
   being given again, named a later case). The rows an earlier cirm left
   so go here. */
static const char migration_39[] =
	"CREATE INDEX outbox_case ON outbox(case_id)\n"
	"  WHERE case_id IS NOT NULL;\n"
	"DELETE FROM outbox WHERE case_id IS NOT NULL AND NOT EXISTS\n"
	"  (SELECT 1 FROM cases c WHERE c.id = outbox.case_id);\n";

/* A citizen's mail sent twice (a double click, a web form sent again)
   comes under two Message-IDs: the second copy is found by the digest
   of what the two have in common (mailin's resend key), within minutes
   of the first (mail_resend_window). A case keeps the key of the last
   citizen's mail that opened or followed it up, and when that mail
   came: a copy is looked for on its case, or on the cases its sender
   opened in those minutes (store_case_resent), in the small rows of
   cases, not by an index of random keys that every mail would write. */
static const char migration_40[] =
	"ALTER TABLE cases ADD COLUMN resend_key TEXT;\n"
	"ALTER TABLE cases ADD COLUMN resend_at INTEGER;\n";

const struct store_migration store_migrations[] = {
	{ "initial schema", migration_1 },
	{ "full-text search over messages", migration_2 },
	{ "inbound mail: kinds, duplicates, gateway state", migration_3 },
	{ "full-text index written once per transaction", migration_4 },
	{ "raw messages in the database", migration_5 },
	{ "workflow versions and armed timers", migration_6 },
	{ "outbound delivery failures handled by the engine", migration_7 },
	{ "SMS parts, receipts and opt-outs", migration_8 },
	{ "full-text index of what people wrote only", migration_9 },
	{ "case indexes for the case list, not by state", migration_10 },
	{ "outbox queues by channel, oldest first", migration_11 },
	{ "raw messages stored once, as they arrive", migration_12 },
	{ "full-text index without word positions", migration_13 },
	{ "a case's conversation without its notifications", migration_14 },
	{ "one index of a citizen's cases, not two", migration_15 },
	{ "duplicates indexed by the keys there are", migration_16 },
	{ "quarantined messages discarded by an administrator", migration_17 },
	{ "SMS parts remembered after their message", migration_18 },
	{ "quarantined mail known by its dedupe key", migration_19 },
	{ "raw mails found by the messages that name them", migration_20 },
	{ "text attachments keep their charset", migration_21 },
	{ "a handler's refused reply marked as not sent", migration_22 },
	{ "inbox ids never used again", migration_23 },
	{ "texts and dedupe keys not stored twice", migration_24 },
	{ "outgoing texts not stored twice", migration_25 },
	{ "message ids the full-text index counts never given again",
	  migration_26 },
	{ "cases merged into another", migration_27 },
	{ "case officers away", migration_28 },
	{ "what was sent without a case found by its recipient",
	  migration_29 },
	{ "cases sent to someone outside", migration_30 },
	{ "a case's timers kept with the case", migration_31 },
	{ "forwarded mails without the officer's note", migration_32 },
	{ "citizens' names on one line", migration_33 },
	{ "what was sent outside the cases' messages found by its "
	  "recipient", migration_34 },
	{ "case officers' own addresses replaced", migration_35 },
	{ "officers' notifications that failed found", migration_36 },
	{ "contact ids never given twice", migration_37 },
	{ "workflow actions skipped found", migration_38 },
	{ "a case's outbox rows removed with it", migration_39 },
	{ "a citizen's mail sent twice found by its content", migration_40 },
};
const size_t store_migration_count = N_ELEMENTS(store_migrations);
