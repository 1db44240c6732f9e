/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Only libc here (explicit_bzero, getrandom): cirm-mailgate checks the
   configuration's secret files once per mail and must not load the
   crypto library for it. */
#include "config.h"

#include "secret.h"

#include "i18n.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

char *
secret_owner_error(const char *path, int e)
{
	struct stat st;
	char owner[USER_NAME_SIZE], *dir, *slash, *why = NULL;

	if (e != EACCES)
		return NULL;
	if (stat(path, &st) == 0) {
		if (st.st_uid == geteuid())
			return NULL;
		user_name(st.st_uid, owner);
		return xasprintf(_("%s: permission denied: the file belongs to "
				   "user %s; run this as that user (for example "
				   "with sudo -u %s)"), path, owner, owner);
	}
	/* a directory on the way this user may not enter (an instance
	   of mode 0750, run by a monitoring user): the deepest one that
	   can be seen */
	dir = xstrdup(path);
	while (why == NULL && (slash = strrchr(dir, '/')) != NULL &&
	       slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) < 0)
			continue;
		if (access(dir, X_OK) == 0 || st.st_uid == geteuid())
			break;
		user_name(st.st_uid, owner);
		why = xasprintf(_("%s: permission denied: the directory %s "
				  "belongs to user %s; run this as that user "
				  "(for example with sudo -u %s)"), path, dir,
				owner, owner);
	}
	free(dir);
	return why;
}

/* Why PATH did not open (errno). */
static char *
open_error(const char *path)
{
	int e = errno;
	char *why = secret_owner_error(path, e);

	return why != NULL ? why : xasprintf("%s: %s", path, strerror(e));
}

static int
check_fd(int fd, const char *path, char **error_r)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = xasprintf(_("%s: secret file is not a regular file"),
				     path);
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		*error_r = xasprintf(_("%s: secret file is accessible to group "
				       "or others (mode %04o); run "
				       "'chmod 600 %s'"),
				     path, (unsigned int)(st.st_mode & 07777),
				     path);
		return -1;
	}
	return 0;
}

int
secret_check(const char *path, char **error_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	int ret;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		*error_r = open_error(path);
		return -1;
	}
	ret = check_fd(fd, path, error_r) < 0 ? -1 : 1;
	close(fd);
	return ret;
}

int
secret_read(const char *path, char **data_r, size_t *len_r, char **error_r)
{
	char *buf;
	size_t len = 0;
	/* not blocked by a FIFO in its place before check_fd refuses it
	   (a regular file's reads ignore O_NONBLOCK) */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		*error_r = open_error(path);
		return -1;
	}
	if (check_fd(fd, path, error_r) < 0) {
		close(fd);
		return -1;
	}
	buf = xmalloc(SECRET_FILE_MAX + 1);
	for (;;) {
		ssize_t n = read(fd, buf + len, SECRET_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*error_r = xasprintf("%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > SECRET_FILE_MAX) {
			*error_r = xasprintf(_("%s: secret file is larger than "
					       "%d bytes"), path, SECRET_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	buf[len] = '\0';
	*data_r = buf;
	*len_r = len;
	return 0;
fail:
	close(fd);
	secret_free(&buf, SECRET_FILE_MAX + 1);
	return -1;
}

void
secret_free(char **data, size_t len)
{
	if (*data == NULL)
		return;
	explicit_bzero(*data, len);
	free(*data);
	*data = NULL;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
secret_key_load(const char *path, unsigned char key_r[SECRET_KEY_LEN],
		char **error_r)
{
	char *data;
	size_t len;
	int ok;

	if (secret_read(path, &data, &len, error_r) < 0)
		return -1;
	ok = len == SECRET_KEY_LEN * 2 ||
	     (len == SECRET_KEY_LEN * 2 + 1 && data[len - 1] == '\n');
	for (size_t i = 0; ok && i < SECRET_KEY_LEN; i++) {
		int hi = hexval(data[2 * i]), lo = hexval(data[2 * i + 1]);

		if (hi < 0 || lo < 0)
			ok = 0;
		else
			key_r[i] = (unsigned char)(hi << 4 | lo);
	}
	secret_free(&data, len);
	if (!ok) {
		explicit_bzero(key_r, SECRET_KEY_LEN);
		*error_r = xasprintf(_("%s: key file must hold %d hexadecimal "
				       "digits"), path, SECRET_KEY_LEN * 2);
		return -1;
	}
	return 0;
}

int
secret_key_create(const char *path, char **error_r)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char key[SECRET_KEY_LEN];
	char text[SECRET_KEY_LEN * 2 + 1];
	int fd, ret = 0;

	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		*error_r = xasprintf(_("%s: no random bytes for the key"), path);
		return -1;
	}
	for (size_t i = 0; i < SECRET_KEY_LEN; i++) {
		text[2 * i] = hex[key[i] >> 4];
		text[2 * i + 1] = hex[key[i] & 15];
	}
	text[SECRET_KEY_LEN * 2] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0 ||
	    write(fd, text, sizeof(text)) != (ssize_t)sizeof(text) ||
	    fsync(fd) < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		ret = -1;
	}
	if (fd >= 0 && close(fd) < 0 && ret == 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		ret = -1;
	}
	explicit_bzero(key, sizeof(key));
	explicit_bzero(text, sizeof(text));
	return ret;
}
