/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Maildir gateway: takes mail an MTA (or anything else) delivered to
   maildir_dir/inbox/new, queues it, and moves it to cur/ (or removes it,
   maildir_processed = delete) only once the inbox row is committed.
   The mailgate gateway does the same with mailgate_dir/new, where
   cirm-mailgate leaves the mail an MTA pipes to it, and removes each
   file once queued. */
#include "config.h"

#include "gateway.h"

#include "blob.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Files taken per scan; and per transaction, at most so many files or
   bytes. A transaction's commit is an fdatasync, in the write lock the
   engine needs for its batches: with a backlog, fewer and larger ones
   leave the engine more of the lock and larger batches, which it works
   through faster. After MAILDIR_TXN files the gateway queues them if
   the lock is free at once; while the engine holds it, it reads on (up
   to the end of the scan), trying again every MAILDIR_TXN_RETRY files.
   One file that arrives alone is queued at once. */
#define MAILDIR_BATCH 1000
#define MAILDIR_TXN 500
#define MAILDIR_TXN_RETRY 100
#define MAILDIR_TXN_BYTES (32 << 20)
/* s: a file in tmp/ older than this was left by a delivery that died
   (the Maildir rule); looked for once an hour */
#define MAILDIR_TMP_AGE (36 * 3600)
#define MAILDIR_TMP_EVERY 3600
/* s an empty file in new/ may be one whose writer has yet to write */
#define MAILDIR_SETTLE 10
/* The mailgate gateway, once a mail has come, waits for the next ones
   while they keep coming (one within MAILGATE_GATHER_MS of the last),
   up to MAILGATE_GATHER_MAX_MS: an MTA delivers a burst one
   cirm-mailgate at a time, and each small transaction (the gateway's,
   the engine's batch, the sink's round) writes the same index pages
   again. In rounds of two or three mails 210 KB went to disk a mail,
   in rounds of 30 or more 85 KB (40 KB in one batch), and the
   mailgates that came next waited for it. A mail alone waits
   MAILGATE_GATHER_MS. */
#define MAILGATE_GATHER_MS 50
#define MAILGATE_GATHER_MAX_MS 500

static int
enabled(const struct cfg *cfg)
{
	return 1; /* the embedded default: always on */
}

/* Reads FD into memory, at most MAX bytes; *over_r is set when the file
   is larger, and then only its header section is kept. */
static char *
read_message(int fd, size_t size, size_t max, size_t *len_r, int *over_r)
{
	*over_r = size > max;
	return read_upto(fd, size > max ? max : size, len_r);
}

/* For a message over the size limit the engine still needs to know who
   sent it: the header section goes in, marked, so that it is quarantined
   with its reason instead of silently dropped. */
static char *
oversize_header(const char *buf, size_t len, size_t size, size_t max_header)
{
	const char *lf = strstr(buf, "\n\n");
	const char *crlf = strstr(buf, "\r\n\r\n");
	size_t hlen = len;

	/* The header section with its last line end, without the blank line. */
	if (crlf != NULL && (lf == NULL || crlf < lf))
		hlen = (size_t)(crlf - buf) + 2;
	else if (lf != NULL)
		hlen = (size_t)(lf - buf) + 1;
	/* At most mail_max_header_bytes of it, in whole lines: a file with
	   no blank line would otherwise bring mail_max_size bytes of its
	   text, and then be too large itself. */
	if (hlen > max_header) {
		hlen = max_header;
		while (hlen > 0 && buf[hlen - 1] != '\n')
			hlen--;
	}
	return xasprintf("X-Cirm-Oversize: %zu%s%.*s", size,
			 crlf != NULL && (lf == NULL || crlf < lf) ? "\r\n" : "\n",
			 (int)hlen, buf);
}

/* A file of new/ read, waiting for its transaction. */
struct pending {
	char *name, *key, *buf;
	size_t len;
	int64_t received_at;
	char sha[BLOB_ID_LEN + 1]; /* hashed as read, outside the lock */
};

/* Names of new/ that are queued but could not be moved to cur/ (cur/
   missing, or not writable) or removed: at each round only that is
   tried again. Queued again instead, the mail would go into the inbox
   anew every few seconds, and a --once run would never end. */
static struct strlist stuck;

/* The gateway's name, for the log and the inbox rows' dedupe keys. */
static const char *who = "maildir";

/* maildir_processed = delete: a file queued is removed, not moved; but
   one over mail_max_size (of which only the header went in) is moved
   all the same, as the only copy of its body */
static int delete_done;
static off_t max_size;

/* 1 when files A and B hold the same bytes. */
static int
same_content(const char *a, const char *b)
{
	FILE *fa = fopen(a, "re"), *fb = fopen(b, "re");
	char ba[8192], bb[8192];
	size_t na, nb;
	int same = fa != NULL && fb != NULL;

	while (same) {
		na = fread(ba, 1, sizeof(ba), fa);
		nb = fread(bb, 1, sizeof(bb), fb);
		same = na == nb && memcmp(ba, bb, na) == 0;
		if (na == 0)
			break;
	}
	if (fa != NULL)
		fclose(fa);
	if (fb != NULL)
		fclose(fb);
	return same;
}

/* The longest KEY kept whole in cur/: a name there has ":2,S" and
   perhaps ".NNN" more than its KEY, and none may pass NAME_MAX. */
#define CUR_KEY_MAX (NAME_MAX - 8)

/* Renames PATH to cur/KEY:2,S, or, where cur/ has another file of that
   name already (another mail delivered under the same name), to
   cur/KEY.N:2,S: that file is kept. A KEY too long for that (a name in
   new/ of near NAME_MAX bytes, which some delivery agents write) is cut
   to CUR_KEY_MAX bytes: else the file stayed in new/ and was queued
   again at every start. Two cut to the same are told apart by .N. */
static int
rename_noreplace(const char *path, const char *dir, const char *key)
{
	int klen = strlen(key) > CUR_KEY_MAX ? CUR_KEY_MAX : (int)strlen(key);
	char *dest = xasprintf("%s/cur/%.*s%s", dir, klen, key, ":2,S");
	int r = renameat2(AT_FDCWD, path, AT_FDCWD, dest, RENAME_NOREPLACE);

	if (r < 0 && errno == EEXIST) {
		if (same_content(path, dest))
			r = rename(path, dest); /* the same mail once more */
		else
			errno = EEXIST;
	}
	for (int n = 2; r < 0 && errno == EEXIST && n < 1000; n++) {
		free(dest);
		dest = xasprintf("%s/cur/%.*s.%d%s", dir, klen, key, n,
				 ":2,S");
		r = renameat2(AT_FDCWD, path, AT_FDCWD, dest, RENAME_NOREPLACE);
	}
	if (r < 0 && errno == EINVAL) /* a file system without it */
		r = rename(path, dest);
	free(dest);
	return r;
}

/* Moves file NAME of new/ (KEY: its name without the flags) to cur/.
   0, or -1 with errno; ENOENT only when the file itself is gone. */
static int
move_to_cur(const char *dir, const char *name, const char *key)
{
	char *path = xasprintf("%s/new/%s", dir, name);
	struct stat st;
	int r = rename_noreplace(path, dir, key), saved = errno;

	if (r < 0 && saved == ENOENT && lstat(path, &st) == 0)
		saved = ENOTDIR; /* cur/ is missing */
	free(path);
	errno = saved;
	return r;
}

/* 1 when file NAME of new/ is to be removed once queued, not moved. */
static int
to_remove(const char *dir, const char *name)
{
	char *path;
	struct stat st;
	int r;

	if (!delete_done)
		return 0;
	path = xasprintf("%s/new/%s", dir, name);
	r = lstat(path, &st) == 0 && st.st_size <= max_size;
	free(path);
	return r;
}

/* Moves file NAME of new/ (KEY: its name without the flags) to cur/,
   or removes it (to_remove). 0, or -1 with errno; ENOENT only when the
   file itself is gone. */
static int
mark_done(const char *dir, const char *name, const char *key)
{
	char *path;
	int r;

	if (!to_remove(dir, name))
		return move_to_cur(dir, name, key);
	path = xasprintf("%s/new/%s", dir, name);
	r = unlink(path);
	free(path);
	return r;
}

/* What mark_done does to NAME, for the log. */
static const char *
done_word(const char *dir, const char *name)
{
	return to_remove(dir, name) ? "removed" : "moved to cur/";
}

/* 1 when NAME is one of the stuck ones, after trying to move it again. */
static int
stuck_retry(const char *dir, const char *name)
{
	for (size_t i = 0; i < stuck.n; i++) {
		const char *word;
		char *key, *colon;
		int r;

		if (strcmp(stuck.v[i], name) != 0)
			continue;
		key = xstrdup(name);
		if ((colon = strchr(key, ':')) != NULL)
			*colon = '\0';
		word = done_word(dir, name);
		r = mark_done(dir, name, key);
		free(key);
		if (r < 0 && errno != ENOENT)
			return 1;
		if (r == 0)
			log_info("%s: %s: %s at last", who, name, word);
		free(stuck.v[i]);
		stuck.v[i] = stuck.v[--stuck.n];
		return 1;
	}
	return 0;
}

/* 1 when someone holds the file of FD open for writing: a read lease,
   which the kernel grants only while no one does, cannot be had. A
   lease it cannot tell (not the file's owner, a file system without
   leases) counts as no. SIGIO, which a lease break would send, is
   ignored (see run). */
static int
being_written(int fd)
{
	if (fcntl(fd, F_SETLEASE, F_RDLCK) < 0)
		return errno == EAGAIN;
	fcntl(fd, F_SETLEASE, F_UNLCK);
	return 0;
}

/* Reads file NAME of new/ into P. 1, or 0 when it is gone meanwhile,
   not a file (not ours), or still being written. */
static int
read_file(struct gateway_ctx *ctx, const char *dir, const char *name,
	  struct pending *p)
{
	char *path = xasprintf("%s/new/%s", dir, name), *colon;
	struct stat st;
	int fd, over;

	if (stuck_retry(dir, name)) {
		free(path);
		return 0;
	}
	/* O_NONBLOCK: a named pipe put in new/ must not hang the gateway
	   in open(2) (it is then left alone as not a regular file); on a
	   regular file the flag changes nothing. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd < 0 && errno == ELOOP)
			gateway_left_alone(who, path,
					   "a symbolic link, not a mail");
		else if (fd < 0 && errno != ENOENT)
			gateway_left_alone(who, path,
					   strerror(errno));
		else if (fd >= 0)
			gateway_left_alone(who, path,
					   "not a regular file");
		if (fd >= 0)
			close(fd);
		free(path);
		return 0;
	}
	/* Written into new/ in place, against the Maildir protocol (cp,
	   a script): read now, and moved to cur/ while its writer goes
	   on, the mail would lose its end. Its IN_CLOSE_WRITE brings
	   the gateway back. An empty file just made is most likely one
	   whose writer has not written yet, also where the lease cannot
	   tell (a file of another user's, cp as root): the gateway wakes
	   as a file is made in new/. */
	if (being_written(fd) ||
	    (st.st_size == 0 && cirm_now() - st.st_mtime < MAILDIR_SETTLE)) {
		log_debug("%s: %s: still being written; left for later", who,
			  name);
		close(fd);
		free(path);
		return 0;
	}
	free(path);
	p->buf = read_message(fd, (size_t)st.st_size,
			      (size_t)cfg_int(ctx->cfg, CFG_MAIL_MAX_SIZE),
			      &p->len, &over);
	close(fd);
	if (over) {
		char *hdr = oversize_header(p->buf, p->len, (size_t)st.st_size,
					    (size_t)cfg_int(ctx->cfg,
							    CFG_MAIL_MAX_HEADER_BYTES));

		free(p->buf);
		p->buf = hdr;
		p->len = strlen(hdr);
	}
	p->name = xstrdup(name);
	p->key = xstrdup(name);
	if ((colon = strchr(p->key, ':')) != NULL)
		*colon = '\0';
	/* One in the future is a wrong clock, one at the epoch no time at
	   all: the mail is here now. */
	p->received_at = st.st_mtime > 0 && st.st_mtime <= cirm_now() ?
			 (int64_t)st.st_mtime : cirm_now();
	blob_id(p->buf, p->len, p->sha);
	return 1;
}

static void
pending_clear(struct pending *v, int n)
{
	for (int i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].key);
		free(v[i].buf);
	}
}

/* Queues the N files of V in one transaction, then moves each to cur/.
   A crash between the two leaves files in new/ that are queued already:
   the next run queues them again, and the engine drops the second copy
   as a duplicate. Unless WAIT, only if the write lock is free at once.
   Returns N, 0 when the lock was busy (not WAIT), or -1 when the store
   failed (the files stay in new/ for the next round). */
static int
queue_files(struct gateway_ctx *ctx, const char *dir, struct pending *v,
	    int n, int wait)
{
	char *err = NULL;
	int queued = 0, begun;

	if (wait)
		begun = store_begin(ctx->store, &err) == 0;
	else
		begun = store_begin_try(ctx->store, &err);
	if (begun == 0 && err == NULL)
		return 0; /* busy */
	if (begun <= 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		/* The name alone would take a second mail delivered under
		   the same name, while the first waits, for a copy. */
		char *dkey = xasprintf("%s:%s:%s", who, v[i].key,
					 v[i].sha);
		int r = store_inbox_put_keyed(ctx->store, ctx->channel,
					      ctx->name, v[i].received_at, dkey,
					      v[i].buf, v[i].len, v[i].sha, NULL,
					      &err);

		free(dkey);
		if (r < 0) {
			store_rollback(ctx->store);
			goto fail;
		}
		queued += r;
	}
	if (store_commit(ctx->store, &err) < 0) {
		store_rollback(ctx->store);
		goto fail;
	}
	if (queued > 0)
		gateway_notify();
	for (int i = 0; i < n; i++) {
		const char *word = done_word(dir, v[i].name);

		if (mark_done(dir, v[i].name, v[i].key) == 0)
			continue;
		if (errno != ENOENT) {
			log_warnx("%s: %s: queued but not %s: %s; tried "
				  "again at each look into new/", who,
				  v[i].name, word, errno == ENOTDIR ? "cur/ is missing or "
				  "not a directory" : strerror(errno));
			strlist_add(&stuck, v[i].name);
		} else
			log_warnx("%s: %s: queued but not %s: gone from "
				  "new/", who, v[i].name, word);
	}
	return n;
fail:
	log_warnx("%s: %d message%s not queued: %s", who, n, n == 1 ? "" : "s",
		  err);
	free(err);
	return -1;
}

/* Takes what new/ holds, oldest name first, MAILDIR_TXN files to a
   transaction. Returns the number queued, or -1 when the store failed
   (the files stay for the next round). */
static int
scan(struct gateway_ctx *ctx, const char *dir)
{
	static int unreadable; /* said once, not at every look */
	char *newdir = xasprintf("%s/new", dir);
	struct dirent **names = NULL;
	struct pending *v = xcalloc(MAILDIR_BATCH, sizeof(*v));
	int n = scandir(newdir, &names, NULL, alphasort), done = 0, failed = 0;
	int nv = 0;
	size_t bytes = 0;

	if (n < 0) {
		int e = errno;

		if (!unreadable)
			log_warnx("%s: cannot read %s: %s; no mail is taken "
				  "until it is back", who, newdir, strerror(e));
		/* the gateway runs, and takes nothing: for cirmctl
		   status (at each look, until it is recorded) */
		gateway_problem(ctx, "cannot read %s: %s; no mail is taken",
				newdir, strerror(e));
	} else if (unreadable) {
		log_info("%s: %s can be read again", who, newdir);
	}
	if (n >= 0)
		gateway_problem_clear(ctx);
	unreadable = n < 0;
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && !failed &&
		    done + nv < MAILDIR_BATCH && !gateway_stopping() &&
		    read_file(ctx, dir, names[i]->d_name, &v[nv]))
			bytes += v[nv++].len;
		if (nv > 0 && (i == n - 1 || bytes >= MAILDIR_TXN_BYTES ||
			       done + nv == MAILDIR_BATCH ||
			       (nv >= MAILDIR_TXN &&
				(nv - MAILDIR_TXN) % MAILDIR_TXN_RETRY == 0))) {
			int wait = i == n - 1 || bytes >= MAILDIR_TXN_BYTES ||
				   done + nv == MAILDIR_BATCH;
			int r = queue_files(ctx, dir, v, nv, wait);

			/* not queued because the lock is busy: read on */
			if (r != 0 || wait) {
				pending_clear(v, nv);
				nv = 0;
				bytes = 0;
				if (r < 0)
					failed = 1;
				else
					done += r;
			}
		}
		free(names[i]);
	}
	free(v);
	free(names);
	free(newdir);
	if (done > 0)
		log_info("%s: queued %d message%s", who, done,
			 done == 1 ? "" : "s");
	return failed || n < 0 ? -1 : done;
}

/* Removes what deliveries that died left in tmp/, as a Maildir reader
   should: nothing else does, and tmp/ would grow for ever. */
static void
clean_tmp(const char *dir)
{
	static int64_t last;
	int64_t now = cirm_now();
	char *tmpdir;
	struct dirent *e;
	DIR *d;

	if (last != 0 && now - last < MAILDIR_TMP_EVERY)
		return;
	last = now;
	tmpdir = xasprintf("%s/tmp", dir);
	d = opendir(tmpdir);
	free(tmpdir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (e->d_name[0] == '.' ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || now - st.st_mtime <= MAILDIR_TMP_AGE)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			log_warnx("%s: tmp/%s: left by a delivery that did "
				  "not finish, %lld h ago; removed", who,
				  e->d_name,
				  (long long)(now - st.st_mtime) / 3600);
	}
	closedir(d);
}

/* Waits for something to arrive in new/ (inotify), at most SECONDS. */
static void
wait_new(int ifd, int seconds)
{
	struct pollfd pfd = { .fd = ifd, .events = POLLIN };
	char buf[4096];

	if (ifd < 0) {
		gateway_sleep(seconds);
		return;
	}
	for (int i = 0; i < seconds * 10 && !gateway_stopping(); i++) {
		if (poll(&pfd, 1, 100) > 0) {
			while (read(ifd, buf, sizeof(buf)) > 0)
				;
			return;
		}
	}
}

/* After a file came: waits STEP_MS at a time while more come, up to
   MAX_MS in all. */
static void
gather(int ifd, int step_ms, int max_ms)
{
	struct pollfd pfd = { .fd = ifd, .events = POLLIN };
	struct timespec t0, t;
	char buf[4096];

	if (ifd < 0) {
		usleep(1000 * step_ms); /* polling: once */
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!gateway_stopping() && poll(&pfd, 1, step_ms) > 0) {
		while (read(ifd, buf, sizeof(buf)) > 0)
			;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 >= max_ms)
			break;
	}
}

/* Takes the mail of Maildir DIR into the inbox until told to stop (or,
   once, until new/ is empty); DELETE: files queued are removed. Woken
   by a file, it waits for others to follow when GATHER (gather()). */
static int
watch(struct gateway_ctx *ctx, const char *dir, int delete, int gather_on)
{
	char *newdir = xasprintf("%s/new", dir);
	int ifd = -1, ret = 0;

	who = ctx->name;
	delete_done = delete;
	max_size = (off_t)cfg_int(ctx->cfg, CFG_MAIL_MAX_SIZE);
	/* A writer that opens a file while being_written holds its lease
	   would send SIGIO, which ends a process by default. */
	signal(SIGIO, SIG_IGN);
	if (!ctx->once) {
		/* A file comes into new/ renamed from tmp/, linked from
		   there (IN_CREATE: the Maildir protocol as written, and
		   Postfix's local and virtual), or, against the protocol,
		   written in place (IN_CLOSE_WRITE). */
		ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (ifd >= 0 && inotify_add_watch(ifd, newdir, IN_MOVED_TO |
						  IN_CREATE |
						  IN_CLOSE_WRITE) < 0) {
			log_warnx("%s: cannot watch %s: %s; polling", who,
				  newdir, strerror(errno));
			close(ifd);
			ifd = -1;
		}
	}
	log_info("%s: watching %s", who, newdir);
	while (!gateway_stopping()) {
		int n;

		clean_tmp(dir);
		n = scan(ctx, dir);

		if (ctx->once && n <= 0) {
			ret = n < 0 ? -1 : 0;
			break;
		}
		if (!ctx->once && n < MAILDIR_BATCH) {
			wait_new(ifd, (int)cfg_int(ctx->cfg, CFG_MAILDIR_POLL_INTERVAL));
			if (gather_on)
				gather(ifd, MAILGATE_GATHER_MS,
				       MAILGATE_GATHER_MAX_MS);
		}
	}
	if (ifd >= 0)
		close(ifd);
	free(newdir);
	return ret;
}

static int
run(struct gateway_ctx *ctx)
{
	char *dir = xasprintf("%s/inbox", cfg_str(ctx->cfg, CFG_MAILDIR_DIR));
	int ret = watch(ctx, dir, strcmp(cfg_str(ctx->cfg,
						 CFG_MAILDIR_PROCESSED),
					 "delete") == 0, 0);

	free(dir);
	return ret;
}

/* cirm-mailgate's Maildir. An instance made before it existed gets it
   here: the mailgate itself never makes it (a file system not mounted
   yet must make the MTA wait, not fill the directory below). */
static int
run_mailgate(struct gateway_ctx *ctx)
{
	const char *dir = cfg_str(ctx->cfg, CFG_MAILGATE_DIR);
	static const char *const subdirs[] = { "tmp", "new", "cur" };

	for (size_t i = 0; i < N_ELEMENTS(subdirs); i++) {
		char *p = xasprintf("%s/%s", dir, subdirs[i]);

		if (mkdir_p(p, 0750) < 0)
			log_warnx("mailgate: cannot make %s: %s", p,
				  strerror(errno));
		free(p);
	}
	return watch(ctx, dir, 1, 1);
}

const struct cirm_gateway gateway_maildir = {
	.name = "maildir",
	.channel = "email",
	.enabled = enabled,
	.run = run,
};

const struct cirm_gateway gateway_mailgate = {
	.name = "mailgate",
	.channel = "email",
	.enabled = enabled,
	.run = run_mailgate,
};
