/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "blob.h"

#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

char *
blob_path(const char *dir, const char *id)
{
	if (strlen(id) != BLOB_ID_LEN ||
	    strspn(id, "0123456789abcdef") != BLOB_ID_LEN)
		return NULL;
	return xasprintf("%s/%.2s/%s", dir, id, id + 2);
}

int
blob_get(const char *dir, const char *id, size_t max, void **data_r,
	 size_t *len_r, char **error_r)
{
	char *path = blob_path(dir, id), *buf = NULL, check[BLOB_ID_LEN + 1];
	size_t len = 0;
	struct stat st;
	int fd = -1;

	*data_r = NULL;
	if (path == NULL) {
		*error_r = xstrdup("not a blob id");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || (uintmax_t)st.st_size > max) {
		*error_r = xasprintf("%s: not a file of at most %zu bytes", path,
				     max);
		goto fail;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*error_r = xasprintf("%s: %s", path, n < 0 ?
					     strerror(errno) : "cut short");
			goto fail;
		}
		len += (size_t)n;
	}
	/* A file that no longer has the content its name promises (a disk
	   error, a hand edit) must not go out as if it had. */
	blob_id(buf, len, check);
	if (strcmp(check, id) != 0) {
		*error_r = xasprintf("%s: content does not match its name", path);
		goto fail;
	}
	close(fd);
	free(path);
	*data_r = buf;
	*len_r = len;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(path);
	free(buf);
	return -1;
}

void
blob_id(const void *data, size_t len, char id_r[BLOB_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		abort();
	for (unsigned int i = 0; i < 32; i++) {
		id_r[2 * i] = hex[md[i] >> 4];
		id_r[2 * i + 1] = hex[md[i] & 15];
	}
	id_r[BLOB_ID_LEN] = '\0';
}

int
blob_put(const char *dir, const void *data, size_t len,
	 char id_r[BLOB_ID_LEN + 1], int durable, char **error_r)
{
	char *sub, *path;
	struct stat st;
	int ret = 0;

	blob_id(data, len, id_r);
	path = blob_path(dir, id_r);
	/* Stored again: a fresh time keeps blob_prune off the file until
	   the row naming it has committed. The file must still be the one
	   that got it: blob_prune may have renamed it away meanwhile (to
	   remove it), and then it is written anew. */
	if (stat(path, &st) == 0 && (size_t)st.st_size == len &&
	    utimensat(AT_FDCWD, path, NULL, 0) == 0) {
		struct stat again;

		if (stat(path, &again) == 0 && again.st_ino == st.st_ino &&
		    again.st_dev == st.st_dev) {
			free(path);
			return 0;
		}
	}
	/* The 256 subdirectories soon all exist: make one (and the spool)
	   only when the file cannot be created for want of it, instead of
	   walking the whole path with mkdir for every file. */
	if (write_file_atomic(path, data, len, 0640, durable) < 0) {
		sub = xasprintf("%s/%.2s", dir, id_r);
		if (errno != ENOENT || mkdir_p(sub, 0750) < 0 ||
		    write_file_atomic(path, data, len, 0640, durable) < 0) {
			int e = errno;

			*error_r = xasprintf("%s: %s", path, strerror(e));
			errno = e;
			ret = -1;
		}
		free(sub);
	}
	{
		int e = errno;

		free(path);
		errno = e;
	}
	return ret;
}

int
blob_sync(const char *dir, char **error_r)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || syncfs(fd) < 0) {
		*error_r = xasprintf("%s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
is_hex(const char *s, size_t n)
{
	return strspn(s, "0123456789abcdef") >= n;
}

/* What a name in a spool subdirectory is: a blob (the id's last 62
   digits), the temporary file of a write or a prune (the digits and a
   '.'), or not cirm's. */
enum spool_name { SPOOL_BLOB, SPOOL_TEMPORARY, SPOOL_OTHER };

static enum spool_name
spool_name(const char *name)
{
	size_t n = BLOB_ID_LEN - 2;

	if (!is_hex(name, n))
		return SPOOL_OTHER;
	if (name[n] == '\0')
		return SPOOL_BLOB;
	if (strncmp(name + n, ".tmp.", 5) == 0 ||
	    strncmp(name + n, ".prune.", 7) == 0)
		return SPOOL_TEMPORARY;
	return SPOOL_OTHER;
}

struct prune {
	const char *dir;
	time_t cutoff;
	int dry_run;
	int (*named)(const char *id, void *ctx, char **error_r);
	void (*report)(const char *path, unsigned long long size, void *ctx);
	void *ctx;
	struct blob_prune_stats *stats;
	char **error_r;
};

/* Reports errno's error on PATH: -1. */
static int
prune_error(struct prune *p, const char *path)
{
	*p->error_r = xasprintf("%s: %s", path, strerror(errno));
	return -1;
}

/* Removes PATH (blob ID), whose state was ST, unless it was stored again
   meanwhile: it is first renamed away, so that blob_put, which sets the
   time of a file it finds, either did so before (the time differs from
   ST's, and the file is put back) or finds the file gone, or another
   one under its name, and writes it anew. (While it is away, the file
   is missing for a moment: nothing that names it has committed, since
   prune looked.) 1 removed, 0 kept, -1 on errors. */
static int
take_away(struct prune *p, const char *path, const struct stat *st)
{
	char *trash = xasprintf("%s.prune.%ld", path, (long)getpid());
	struct stat now;
	int ret = 1, r;

	if (rename(path, trash) < 0) {
		ret = errno == ENOENT ? 0 : prune_error(p, path);
		free(trash);
		return ret;
	}
	r = lstat(trash, &now);
	if (r < 0 && errno == ENOENT) {
		/* another prune running at the same time took it for what
		   a prune that died left, and removed it: as old and as
		   unnamed as this one found it (stored again, it would have
		   a fresh time, which that prune leaves alone) */
	} else if (r < 0 ||
		   now.st_mtim.tv_sec != st->st_mtim.tv_sec ||
		   now.st_mtim.tv_nsec != st->st_mtim.tv_nsec) {
		/* stored again: back, unless already written anew */
		if (link(trash, path) < 0 && errno != EEXIST) {
			ret = prune_error(p, path);
		} else {
			(void)fsync_parent(path);
			ret = 0;
		}
	}
	if (ret >= 0 && unlink(trash) < 0 && errno != ENOENT)
		ret = prune_error(p, trash);
	if (ret == 1)
		p->stats->removed_bytes += (unsigned long long)st->st_size;
	free(trash);
	return ret;
}

/* A temporary file (of blob ID) as old as the cutoff: a write or a
   prune that died. A prune's holds the blob: put back when a row names
   it and it is not there again. */
static int
clear_temporary(struct prune *p, const char *id, const char *name,
		const char *path)
{
	char *blob;
	int r = 0;

	if (strstr(name, ".prune.") != NULL &&
	    (r = p->named(id, p->ctx, p->error_r)) < 0)
		return -1;
	if (p->dry_run) {
		p->stats->temporary++;
		return 0;
	}
	if (r == 1) {
		blob = blob_path(p->dir, id);
		r = link(path, blob) < 0 && errno != EEXIST ? -1 : 0;
		if (r == 0)
			(void)fsync_parent(blob);
		free(blob);
		if (r < 0)
			return prune_error(p, path);
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return prune_error(p, path);
	p->stats->temporary++;
	return 0;
}

static int
prune_one(struct prune *p, const char *sub, const char *name,
	  const char *path)
{
	enum spool_name kind = spool_name(name);
	char id[BLOB_ID_LEN + 1];
	struct stat st;
	int r;

	if (kind == SPOOL_OTHER) {
		p->stats->other++;
		return 0;
	}
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : prune_error(p, path);
	if (!S_ISREG(st.st_mode)) {
		p->stats->other++;
		return 0;
	}
	if (st.st_mtime > p->cutoff) {
		p->stats->kept += kind == SPOOL_BLOB;
		return 0;
	}
	snprintf(id, sizeof(id), "%.2s%.*s", sub, BLOB_ID_LEN - 2, name);
	if (kind == SPOOL_TEMPORARY)
		return clear_temporary(p, id, name, path);
	r = p->named(id, p->ctx, p->error_r);
	if (r != 0) {
		p->stats->kept += r > 0;
		return r < 0 ? -1 : 0;
	}
	if (p->dry_run) {
		if (p->report != NULL)
			p->report(path, (unsigned long long)st.st_size, p->ctx);
		p->stats->removed++;
		p->stats->removed_bytes += (unsigned long long)st.st_size;
		return 0;
	}
	r = take_away(p, path, &st);
	if (r < 0)
		return -1;
	if (r > 0)
		p->stats->removed++;
	else
		p->stats->kept++;
	return 0;
}

static int
prune_dir(struct prune *p, const char *sub)
{
	char *subdir = xasprintf("%s/%s", p->dir, sub);
	DIR *d = opendir(subdir);
	struct dirent *e;
	int ret = 0;

	if (d == NULL) {
		ret = prune_error(p, subdir);
		free(subdir);
		return ret;
	}
	while (ret == 0 && (errno = 0, e = readdir(d)) != NULL) {
		char *path;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", subdir, e->d_name);
		ret = prune_one(p, sub, e->d_name, path);
		free(path);
	}
	if (ret == 0 && errno != 0)
		ret = prune_error(p, subdir);
	closedir(d);
	free(subdir);
	return ret;
}

int
blob_prune(const char *dir, long min_age, int dry_run,
	   int (*named)(const char *id, void *ctx, char **error_r),
	   void *ctx,
	   void (*report)(const char *path, unsigned long long size,
			  void *ctx),
	   struct blob_prune_stats *stats, char **error_r)
{
	struct prune p = { dir, time(NULL) - (min_age > 0 ? min_age : 0),
			   dry_run, named, report, ctx, stats, error_r };
	DIR *d = opendir(dir);
	struct dirent *e;
	int ret = 0;

	memset(stats, 0, sizeof(*stats));
	if (d == NULL) {
		if (errno == ENOENT)
			return 0; /* nothing was ever stored */
		*error_r = xasprintf("%s: %s", dir, strerror(errno));
		return -1;
	}
	/* held to the end (closedir), excluding backups (blob_hold); a
	   file system without such locks (some NFS, FUSE) prunes as it
	   did before them, as a backup there copies without one */
	if (!dry_run && flock(dirfd(d), LOCK_EX | LOCK_NB) < 0 &&
	    errno == EWOULDBLOCK) {
		stats->held = 1;
		closedir(d);
		return 0;
	}
	while (ret == 0 && (errno = 0, e = readdir(d)) != NULL) {
		struct stat st;
		char *sub;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s/%s", dir, e->d_name);
		if (strlen(e->d_name) != 2 || !is_hex(e->d_name, 2) ||
		    lstat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
			stats->other++;
		else
			ret = prune_dir(&p, e->d_name);
		free(sub);
	}
	if (ret == 0 && errno != 0) {
		*error_r = xasprintf("%s: %s", dir, strerror(errno));
		ret = -1;
	}
	closedir(d);
	return ret;
}

int
blob_hold(const char *dir, int *fd_r, char **error_r)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*fd_r = -1;
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		*error_r = xasprintf("%s: %s", dir, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_SH) < 0) {
		if (errno != EINTR) {
			*error_r = xasprintf("%s: %s", dir, strerror(errno));
			close(fd);
			return -1;
		}
	}
	*fd_r = fd;
	return 0;
}

void
blob_release(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
