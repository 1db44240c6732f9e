/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "lockfile.h"

#include "i18n.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Why the lock file PATH did not open (errno E): one of another user
   (left by a cirmd or cirmctl run as root, say) is named as such, since
   it may simply go. */
static char *
open_error(const char *path, int e)
{
	struct stat st;
	char owner[USER_NAME_SIZE], me[USER_NAME_SIZE];

	if (e != EACCES || stat(path, &st) < 0 || st.st_uid == geteuid())
		return xasprintf("%s: %s", path, strerror(e));
	user_name(st.st_uid, owner);
	user_name(geteuid(), me);
	return xasprintf(_("%s: %s: the file belongs to user %s, and this is "
			   "user %s: remove it while no cirm program runs, or "
			   "give it to %s"), path, strerror(e), owner, me, me);
}

int
lockfile_acquire(const char *path, pid_t *holder_r, char **error_r)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char buf[32];
	int fd, len;

	*holder_r = 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		*error_r = open_error(path, errno);
		return -1;
	}
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		if (errno == EACCES || errno == EAGAIN) {
			if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
				*holder_r = fl.l_pid;
			close(fd);
			return -2;
		}
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

pid_t
lockfile_holder(const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	/* F_GETLK asks without taking the lock */
	if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
		fl.l_pid = 0;
	close(fd);
	return fl.l_pid;
}
