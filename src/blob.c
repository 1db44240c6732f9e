/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "blob.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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
	if (stat(path, &st) == 0 && (size_t)st.st_size == len) {
		free(path);
		return 0;
	}
	/* The 256 subdirectories soon all exist: make one (and the spool)
	   only when the file cannot be created for want of it, instead of
	   walking the whole path with mkdir for every file. */
	if (write_file_atomic(path, data, len, 0640, durable) < 0) {
		sub = xasprintf("%s/%.2s", dir, id_r);
		if (errno != ENOENT || mkdir_p(sub, 0750) < 0 ||
		    write_file_atomic(path, data, len, 0640, durable) < 0) {
			*error_r = xasprintf("%s: %s", path, strerror(errno));
			ret = -1;
		}
		free(sub);
	}
	free(path);
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
