/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The mail sink, the embedded default when smtp_host = none: each mail
   goes into the Maildir maildir_dir/outbound/<recipient>/ (written to
   tmp/, renamed into new/), where mutt or any Maildir reader shows it.
   A file's name comes from its outbox row, so that a mail sent again
   after a crash replaces its own copy in new/ instead of adding one;
   that lets the sink write a whole batch and then record it in one
   transaction, where the SMTP gateway takes one message at a time.
   A copy an earlier run wrote and a mail client has moved to cur/
   since is not written again. Files are not fsynced: the sink is for
   trying cirm out and for tests, and a power cut at worst loses a copy
   the database says was written. */
#include "config.h"

#include "gateway.h"

#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
enabled(const struct cfg *cfg)
{
	const char *host = cfg_str(cfg, CFG_SMTP_HOST);

	return *host == '\0' || strcmp(host, "none") == 0;
}

/* Whether an address can name a directory of its own. */
static int
dir_name_ok(const char *addr)
{
	return addr[0] != '.' && strchr(addr, '/') == NULL;
}

/* The mail with LF line ends, as Maildir readers expect. */
static char *
unix_lines(const char *data, size_t len, size_t *len_r)
{
	char *out = xmalloc(len + 1);
	size_t j = 0;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			continue;
		out[j++] = data[i];
	}
	out[j] = '\0';
	*len_r = j;
	return out;
}

/* The sink's state: where it writes, and since when; the names in the
   cur/ of Maildir CUR_OF (without their ":2,FLAGS"), sorted, read once
   a batch. */
struct sink {
	char *root;
	int64_t started;
	char *cur_of;
	struct strlist cur;
};

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether DIR/cur holds NAME already (as NAME or NAME:2,FLAGS): a mail
   client has read, and moved, a copy that an earlier run wrote before
   it could record it. Asked only of rows made before this run began,
   which no run but an earlier one can have written; a recipient's
   rows come together, so cur/ is read once for them. */
static bool
read_already(struct sink *sk, const char *dir, const char *name)
{
	if (sk->cur_of == NULL || strcmp(sk->cur_of, dir) != 0) {
		char *cur = xasprintf("%s/cur", dir);
		DIR *d = opendir(cur);
		struct dirent *e;

		free(cur);
		free(sk->cur_of);
		sk->cur_of = xstrdup(dir);
		strlist_clear(&sk->cur);
		while (d != NULL && (e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				strlist_add(&sk->cur, e->d_name);
		if (d != NULL)
			closedir(d);
		for (size_t i = 0; i < sk->cur.n; i++)
			sk->cur.v[i][strcspn(sk->cur.v[i], ":")] = '\0';
		if (sk->cur.n > 1)
			qsort(sk->cur.v, sk->cur.n, sizeof(*sk->cur.v),
			      cmp_name);
	}
	return sk->cur.n > 0 &&
	       bsearch(&name, sk->cur.v, sk->cur.n, sizeof(*sk->cur.v),
		       cmp_name) != NULL;
}

/* Makes DIR, a recipient's Maildir (and the root above it when it is
   missing). Called when writing into it failed for want of it, so that
   an existing Maildir costs no system call: most recipients are
   citizens written to once. 0, or -1 with errno. */
static int
make_maildir(const struct sink *sk, const char *dir)
{
	if (mkdir(dir, 0750) < 0 && errno == ENOENT &&
	    mkdir_p(sk->root, 0750) == 0)
		(void)mkdir(dir, 0750);
	/* tmp/ last: a sink killed halfway finds no tmp/ and goes on */
	for (const char *s = "cur\0new\0tmp\0"; *s != '\0'; s += 4) {
		char *sub = xasprintf("%s/%s", dir, s);
		int r = mkdir(sub, 0750);

		free(sub);
		if (r < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

static int
open_tmp(const char *tmp)
{
	return open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		    0640);
}

/* Writes M into its Maildir. 0, or -1 with *error_r (errno-based: the
   file system, a temporary failure). */
static int
deliver(struct sink *sk, const struct outbound_msg *m, char **error_r)
{
	char *dir = xasprintf("%s/%s", sk->root, m->recipient), *tmp, *dst;
	char *name = xasprintf("%lld.R%lld.cirm", (long long)m->created_at,
			       (long long)m->id);
	char *data;
	size_t len;
	int fd, r = -1;

	/* written by a run that died before it recorded the batch, and
	   read since: a second copy would show twice */
	if (m->created_at <= sk->started && read_already(sk, dir, name)) {
		free(name);
		free(dir);
		return 0;
	}
	tmp = xasprintf("%s/tmp/%s", dir, name);
	dst = xasprintf("%s/new/%s", dir, name);
	free(name);
	data = unix_lines(m->data, m->len, &len);
	fd = open_tmp(tmp);
	if (fd < 0 && errno == ENOENT) {
		if (make_maildir(sk, dir) < 0) {
			int e = errno;

			*error_r = xasprintf("cannot create a Maildir: %s",
					     strerror(e));
			errno = e;
			goto out;
		}
		fd = open_tmp(tmp);
	}
	if (fd < 0)
		goto fail;
	if (write_all(fd, data, len) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		goto fail;
	}
	/* new/ gone meanwhile: made again */
	if (close(fd) < 0 ||
	    (rename(tmp, dst) < 0 &&
	     (errno != ENOENT || make_maildir(sk, dir) < 0 ||
	      rename(tmp, dst) < 0)))
		goto fail;
	r = 0;
	goto out;
fail:
	{
		int e = errno;

		*error_r = xasprintf("cannot write to the Maildir: %s",
				     strerror(e));
		if (fd >= 0)
			unlink(tmp);
		errno = e;
	}
out:
	free(data);
	free(tmp);
	free(dst);
	free(dir);
	return r;
}

/* The batch is written, then recorded as sent in one transaction. It
   is not claimed first: a file's name is its row's, so a crash in
   between only means that the next run writes the same files again
   (replacing, not adding). One write lock a batch instead of two, and
   not even that while the engine holds it for a batch of its own: then
   the next batch is written first (outbound_sent_all). A gateway
   waiting for the lock fell behind the engine in a burst. */
static int
send_batch(struct gateway_ctx *ctx, struct outbound_batch *b, void *arg)
{
	struct sink *sk = arg;
	int written = 0, ret = 0;

	free(sk->cur_of);	/* read again: a reader may have moved some */
	sk->cur_of = NULL;
	for (size_t i = 0; i < b->n; i++) {
		struct outbound_msg *m = &b->v[i];

		if (!dir_name_ok(m->recipient)) {
			if (outbound_fail(ctx, m, "the recipient cannot name a "
					  "Maildir") < 0)
				return -1;
			m->done = 1;
		}
	}
	if (outbound_keep_message_ids(ctx, b) < 0)
		return -1;
	for (size_t i = 0; i < b->n; i++)
		b->v[i].claimed = !b->v[i].done;
	b->claim_at_sent = 1;
	for (size_t i = 0; i < b->n && !gateway_stopping(); i++) {
		struct outbound_msg *m = &b->v[i];
		char *err = NULL;

		if (m->done || !m->claimed)
			continue;
		if (deliver(sk, m, &err) < 0) {
			/* the rest wait for the next batch too; a full disk
			   is no fault of the message: it counts no attempt */
			if (errno == ENOSPC || errno == EDQUOT)
				outbound_wait(ctx, m, err, cfg_int(ctx->cfg,
						CFG_SMTP_RETRY_DELAY));
			else
				outbound_retry(ctx, m, err);
			free(err);
			ret = -1;
			break;
		}
		m->sent = 1;
		written++;
	}
	/* Not recorded, these would be written once more by the next run,
	   as after a crash: the same files again. */
	if (outbound_sent_all(ctx, b) < 0)
		return -1;
	if (written > 0)
		log_info("sink: wrote %d message%s", written,
			 written == 1 ? "" : "s");
	return ret;
}

static int
run(struct gateway_ctx *ctx)
{
	struct sink sk = {
		.root = xasprintf("%s/outbound",
				  cfg_str(ctx->cfg, CFG_MAILDIR_DIR)),
		.started = cirm_now(),
	};
	char *err = NULL;
	int r;

	if (store_set_synchronous(ctx->store, 0, &err) < 0) {
		log_errorx("sink: %s", err);
		free(err);
		free(sk.root);
		return -1;
	}
	log_info("sink: writing mail into %s/<recipient>", sk.root);
	r = outbound_run(ctx, send_batch, &sk);
	free(sk.root);
	free(sk.cur_of);
	strlist_clear(&sk.cur);
	return r;
}

const struct cirm_gateway gateway_sink = {
	.name = "sink",
	.channel = "email",
	.enabled = enabled,
	.run = run,
};
