/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The mail sink, the embedded default when smtp_host = none: each mail
   goes into the Maildir maildir_dir/outbound/<recipient>/ (written to
   tmp/, renamed into new/), where mutt or any Maildir reader shows it.
   A file's name comes from its outbox row, so that a mail sent again
   after a crash replaces its own copy in new/ instead of adding one.
   Files are not fsynced: the sink is for trying cirm out and for tests,
   and a power cut at worst loses a copy the database says was written. */
#include "config.h"

#include "gateway.h"

#include "log.h"
#include "util.h"

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

/* Writes M into its Maildir. 0, or -1 with *error_r (errno-based: the
   file system, a temporary failure). */
static int
deliver(const char *root, const struct outbound_msg *m, char **error_r)
{
	char *dir = xasprintf("%s/%s", root, m->recipient), *sub, *tmp, *dst;
	char *data;
	size_t len;
	int fd, r = -1;

	for (const char *s = "tmp\0new\0cur\0"; *s != '\0'; s += 4) {
		sub = xasprintf("%s/%s", dir, s);
		if (mkdir_p(sub, 0750) < 0 && errno != EEXIST) {
			*error_r = xasprintf("cannot create a Maildir: %s",
					     strerror(errno));
			free(sub);
			free(dir);
			return -1;
		}
		free(sub);
	}
	tmp = xasprintf("%s/tmp/%lld.R%lld.cirm", dir, (long long)m->created_at,
			(long long)m->id);
	dst = xasprintf("%s/new/%lld.R%lld.cirm", dir, (long long)m->created_at,
			(long long)m->id);
	data = unix_lines(m->data, m->len, &len);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0640);
	if (fd < 0 || write_all(fd, data, len) < 0 || close(fd) < 0 ||
	    rename(tmp, dst) < 0) {
		*error_r = xasprintf("cannot write to the Maildir: %s",
				     strerror(errno));
		if (fd >= 0)
			unlink(tmp);
	} else
		r = 0;
	free(data);
	free(tmp);
	free(dst);
	free(dir);
	return r;
}

static int
send_batch(struct gateway_ctx *ctx, struct outbound_batch *b, void *arg)
{
	const char *root = arg;
	int written = 0;

	for (size_t i = 0; i < b->n && !gateway_stopping(); i++) {
		struct outbound_msg *m = &b->v[i];
		char *err = NULL;
		int r;

		if (!dir_name_ok(m->recipient)) {
			if (outbound_fail(ctx, m, "the recipient cannot name a "
					  "Maildir") < 0)
				return -1;
			continue;
		}
		r = outbound_claim(ctx, m);
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		if (deliver(root, m, &err) < 0) {
			outbound_retry(ctx, m, err);
			free(err);
			return -1;
		}
		if (outbound_sent(ctx, m) < 0)
			return -1;
		written++;
	}
	if (written > 0)
		log_info("sink: wrote %d message%s", written,
			 written == 1 ? "" : "s");
	return 0;
}

static int
run(struct gateway_ctx *ctx)
{
	char *root = xasprintf("%s/outbound", cfg_str(ctx->cfg, CFG_MAILDIR_DIR));
	char *err = NULL;
	int r;

	if (store_set_synchronous(ctx->store, 0, &err) < 0) {
		log_errorx("sink: %s", err);
		free(err);
		free(root);
		return -1;
	}
	log_info("sink: writing mail into %s/<recipient>", root);
	r = outbound_run(ctx, send_batch, root);
	free(root);
	return r;
}

const struct cirm_gateway gateway_sink = {
	.name = "sink",
	.channel = "email",
	.enabled = enabled,
	.run = run,
};
