/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "blob.h"
#include "lockfile.h"
#include "log.h"
#include "testutil.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *dir;

static void
setup(void)
{
	dir = tu_tmpdir();
}

static void
teardown(void)
{
	tu_rmrf(dir);
	free(dir);
}

/* random_bytes hands out each byte of its buffer once, across refills,
   and a forked child never gets the bytes its parent gets next (the
   buffer is the parent's copy until it is refilled). */
START_TEST(test_random_bytes)
{
	unsigned char a[64], b[64], mine[16], childs[16];
	int fd[2], status;
	pid_t pid;

	random_bytes(a, sizeof(a));
	for (int i = 0; i < 40; i++) {	/* 2,560 bytes: five refills */
		random_bytes(b, sizeof(b));
		ck_assert(memcmp(a, b, sizeof(a)) != 0);
		memcpy(a, b, sizeof(a));
	}
	random_bytes(mine, 1);	/* the buffer holds bytes now */
	ck_assert_int_eq(pipe(fd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		random_bytes(childs, sizeof(childs));
		_exit(write(fd[1], childs, sizeof(childs)) ==
		      (ssize_t)sizeof(childs) ? 0 : 1);
	}
	random_bytes(mine, sizeof(mine));
	ck_assert_int_eq(read(fd[0], childs, sizeof(childs)),
			 (ssize_t)sizeof(childs));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert(memcmp(mine, childs, sizeof(mine)) != 0);
	close(fd[0]);
	close(fd[1]);
}
END_TEST

/* current_pid is getpid, in a forked child too */
START_TEST(test_current_pid)
{
	int status;
	pid_t pid;

	ck_assert_int_eq(current_pid(), getpid());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(current_pid() == getpid() && current_pid() != 0 ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(current_pid(), getpid());
}
END_TEST

/* Reads what stderr (a file) got since OFFSET. */
static char *
stderr_since(const char *path, size_t offset)
{
	size_t len;
	char *all = tu_slurp(path, &len);
	char *out;

	ck_assert_ptr_nonnull(all);
	ck_assert_uint_ge(len, offset);
	out = xstrdup(all + offset);
	free(all);
	return out;
}

/* Held info lines come out at log_release(1) in order, or never after
   log_release(0); a warning is not held and brings out what was held
   before it; more than the buffer holds is written, not lost. */
START_TEST(test_log_hold)
{
	char *path = xasprintf("%s/stderr", dir), *got, *p, line[1100];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int saved = dup(2);
	size_t len;
	char *all;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fd, 2), 0);
	close(fd);
	log_init("t", "stderr", "info", NULL);

	log_hold(0);
	log_info("one");
	log_info("two");
	got = stderr_since(path, 0);
	ck_assert_str_eq(got, "");	/* held */
	free(got);
	log_warnx("three");
	log_info("four");
	log_debug("not at level info");
	log_release(0);
	log_info("five");
	got = stderr_since(path, 0);
	p = xasprintf("t[%ld]: info: one\nt[%ld]: info: two\n"
		      "t[%ld]: warning: three\nt[%ld]: info: five\n",
		      (long)getpid(), (long)getpid(), (long)getpid(),
		      (long)getpid());
	ck_assert_str_eq(got, p);	/* four dropped, five not held */
	free(p);
	free(got);

	all = tu_slurp(path, &len);
	free(all);
	log_hold(0);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	for (int i = 0; i < 100; i++)	/* 110 KB, more than is held */
		log_info("%03d %s", i, line);
	log_release(1);
	got = stderr_since(path, len);
	p = got;
	for (int i = 0; i < 100; i++) {
		char *want = xasprintf("t[%ld]: info: %03d %s\n",
				       (long)getpid(), i, line);

		ck_assert_int_eq(strncmp(p, want, strlen(want)), 0);
		p += strlen(want);
		free(want);
	}
	ck_assert_str_eq(p, "");
	free(got);
	free(path);
	/* as the other tests (CK_FORK=no) had it */
	ck_assert_int_ge(dup2(saved, 2), 0);
	close(saved);
	log_init("cirm", "stderr", "info", NULL);
}
END_TEST

/* Holding warnings too (the engine's first pass over a batch, which
   may be undone), nothing goes out before log_release: no warning, and
   no line of more than the usual buffer; log_release(1) writes them
   all in order, log_release(0) none. */
START_TEST(test_log_hold_warnings)
{
	char *path = xasprintf("%s/stderr", dir), *got, *p, line[1100];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int saved = dup(2);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fd, 2), 0);
	close(fd);
	log_init("t", "stderr", "info", NULL);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';

	log_hold(1);
	log_info("one");
	log_warnx("two");
	for (int i = 0; i < 100; i++)	/* 110 KB */
		log_info("%03d %s", i, line);
	got = stderr_since(path, 0);
	ck_assert_msg(got[0] == '\0', "%zu bytes written", strlen(got));
	free(got);
	log_release(0);
	got = stderr_since(path, 0);
	ck_assert_msg(got[0] == '\0', "%zu bytes written", strlen(got));
	free(got);

	log_hold(1);
	log_warnx("three");
	for (int i = 0; i < 100; i++)
		log_info("%03d %s", i, line);
	got = stderr_since(path, 0);
	ck_assert_msg(got[0] == '\0', "%zu bytes written", strlen(got));
	free(got);
	log_release(1);
	got = stderr_since(path, 0);
	p = xasprintf("t[%ld]: warning: three\n", (long)getpid());
	ck_assert_int_eq(strncmp(got, p, strlen(p)), 0);
	free(p);
	p = xasprintf("t[%ld]: info: 099 %s\n", (long)getpid(), line);
	ck_assert_str_eq(got + strlen(got) - strlen(p), p);
	free(p);
	free(got);
	free(path);
	ck_assert_int_ge(dup2(saved, 2), 0);
	close(saved);
	log_init("cirm", "stderr", "info", NULL);
}
END_TEST

/* Held lines go out in writes of whole lines of at most PIPE_BUF bytes
   (a longer line alone), which a pipe keeps whole beside the lines
   other processes write to it. stderr is a SOCK_SEQPACKET socket here,
   whose reads return one write each. */
START_TEST(test_log_hold_pipe_writes)
{
	int sv[2], saved = dup(2), lines = 0, writes = 0;
	char line[700], buf[65536];
	ssize_t n;

	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	ck_assert_int_ge(dup2(sv[1], 2), 0);
	close(sv[1]);
	log_init("t", "stderr", "info", NULL);
	memset(line, 'y', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	log_hold(0);
	for (int i = 0; i < 40; i++)	/* 28 KB */
		log_info("%02d %s", i, line);
	log_release(1);
	ck_assert_int_ge(dup2(saved, 2), 0);	/* closes our end */
	close(saved);
	log_init("cirm", "stderr", "info", NULL);
	while ((n = read(sv[0], buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		writes++;
		ck_assert_int_le(n, PIPE_BUF);
		ck_assert_int_eq(buf[n - 1], '\n');
		ck_assert(strncmp(buf, "t[", 2) == 0);
		for (char *q = buf; (q = strchr(q, '\n')) != NULL; q++)
			lines++;
	}
	close(sv[0]);
	ck_assert_int_eq(lines, 40);
	ck_assert_int_ge(writes, 40 * 720 / PIPE_BUF);
	ck_assert_int_le(writes, 40 / (PIPE_BUF / 730) + 1);
}
END_TEST

START_TEST(test_str_to_long)
{
	long v;

	ck_assert_int_eq(str_to_long("42", 0, 100, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(str_to_long("-5", -10, 10, &v), 0);
	ck_assert_int_eq(v, -5);
	ck_assert_int_eq(str_to_long("", 0, 100, &v), -1);
	ck_assert_int_eq(str_to_long("4x", 0, 100, &v), -1);
	ck_assert_int_eq(str_to_long("101", 0, 100, &v), -1);
	ck_assert_int_eq(str_to_long("99999999999999999999999", 0, 100, &v), -1);
}
END_TEST

START_TEST(test_mkdir_p)
{
	char *deep = xasprintf("%s/a/b/c", dir);
	char *file = tu_write(dir, "f", "x", 0600);
	char *under = xasprintf("%s/f/g", dir);
	struct stat st;

	ck_assert_int_eq(mkdir_p(deep, 0750), 0);
	ck_assert_int_eq(stat(deep, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(mkdir_p(deep, 0750), 0);
	ck_assert_int_eq(mkdir_p(file, 0750), -1);
	ck_assert_int_eq(mkdir_p(under, 0750), -1);
	/* an empty name (cirmctl init "") is no directory, and is not read
	   past its end */
	errno = 0;
	ck_assert_int_eq(mkdir_p("", 0750), -1);
	ck_assert_int_eq(errno, ENOENT);
	free(deep);
	free(file);
	free(under);
}
END_TEST

START_TEST(test_blob)
{
	static const char data[] = "Hej kommunen!\n";
	char id[BLOB_ID_LEN + 1], id2[BLOB_ID_LEN + 1], *err = NULL, buf[64];
	char *path;
	FILE *f;

	ck_assert_int_eq(blob_put(dir, data, strlen(data), id, 1, &err), 0);
	ck_assert_uint_eq(strlen(id), 64);
	ck_assert_int_eq(blob_put(dir, data, strlen(data), id2, 0, &err), 0);
	ck_assert_str_eq(id, id2);
	path = blob_path(dir, id);
	ck_assert_ptr_nonnull(path);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	ck_assert_str_eq(buf, data);
	fclose(f);
	free(path);
	/* SHA-256 of the empty string. */
	ck_assert_int_eq(blob_put(dir, "", 0, id, 0, &err), 0);
	ck_assert_str_eq(id, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_int_eq(blob_sync(dir, &err), 0);
	ck_assert_ptr_null(blob_path(dir, "../../etc/passwd"));
	ck_assert_ptr_null(blob_path(dir, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
}
END_TEST

/* Sets PATH's modification time to two days ago. */
static void
age(const char *path)
{
	struct timespec t[2] = { { time(NULL) - 2 * 86400, 0 },
				 { time(NULL) - 2 * 86400, 0 } };

	ck_assert_int_eq(utimensat(AT_FDCWD, path, t, 0), 0);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* blob_prune's idea of which blobs are named: the ids in the test's
   list. NAMED_TOUCHES: a blob_put of that content while blob_prune is
   looking at it, between its checks. */
struct names {
	const char *ids[4];
	const char *touch; /* a blob id, or NULL */
	char spool[256];
};

static int
is_named(const char *id, void *ctx, char **error_r)
{
	struct names *n = ctx;

	(void)error_r;
	if (n->touch != NULL && strcmp(id, n->touch) == 0) {
		char *p = blob_path(n->spool, id);

		ck_assert_int_eq(utimensat(AT_FDCWD, p, NULL, 0), 0);
		free(p);
	}
	for (int i = 0; i < 4 && n->ids[i] != NULL; i++) {
		if (strcmp(n->ids[i], id) == 0)
			return 1;
	}
	return 0;
}

/* A blob stored again gets a fresh time (which keeps blob_prune off it
   until the row naming it commits); one that vanished meanwhile is
   written anew. */
START_TEST(test_blob_put_again)
{
	char id[BLOB_ID_LEN + 1], *err = NULL, *path;
	struct stat st;

	ck_assert_int_eq(blob_put(dir, "bilaga", 6, id, 0, &err), 0);
	path = blob_path(dir, id);
	age(path);
	ck_assert_int_eq(blob_put(dir, "bilaga", 6, id, 0, &err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_ge(st.st_mtime, time(NULL) - 60);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(blob_put(dir, "bilaga", 6, id, 0, &err), 0);
	ck_assert(exists(path));
	free(path);
}
END_TEST

/* blob_prune removes old files nothing names and the old temporary
   files of writes that died; it keeps what is named, what is recent,
   and a file stored again while it looked at it; it puts back a blob a
   prune that died had renamed, when a row names it; it leaves alone
   what is not cirm's; --dry-run removes nothing. */
START_TEST(test_blob_prune)
{
	char named_id[BLOB_ID_LEN + 1], orphan[BLOB_ID_LEN + 1],
		recent[BLOB_ID_LEN + 1], touched[BLOB_ID_LEN + 1],
		held[BLOB_ID_LEN + 1], *err = NULL;
	char *p_named, *p_orphan, *p_recent, *p_touched, *p_held, *tmp,
		*prune_left, *foreign, *foreign_dir;
	struct names n = { { named_id, held, NULL }, touched, "" };
	struct blob_prune_stats st;

	snprintf(n.spool, sizeof(n.spool), "%s/spool", dir);
	ck_assert_int_eq(blob_put(n.spool, "named", 5, named_id, 0, &err), 0);
	ck_assert_int_eq(blob_put(n.spool, "orphan", 6, orphan, 0, &err), 0);
	ck_assert_int_eq(blob_put(n.spool, "recent", 6, recent, 0, &err), 0);
	ck_assert_int_eq(blob_put(n.spool, "touched", 7, touched, 0, &err), 0);
	ck_assert_int_eq(blob_put(n.spool, "held", 4, held, 0, &err), 0);
	p_named = blob_path(n.spool, named_id);
	p_orphan = blob_path(n.spool, orphan);
	p_recent = blob_path(n.spool, recent);
	p_touched = blob_path(n.spool, touched);
	p_held = blob_path(n.spool, held);
	/* a prune that died after renaming "held", which a row names */
	prune_left = xasprintf("%s.prune.1", p_held);
	ck_assert_int_eq(rename(p_held, prune_left), 0);
	tmp = xasprintf("%s.tmp.1.1", p_orphan);
	free(tu_write(n.spool, tmp + strlen(n.spool) + 1, "half a file", 0640));
	foreign = tu_write(n.spool, "README", "not a blob", 0640);
	foreign_dir = xasprintf("%s/lost+found", n.spool);
	ck_assert_int_eq(mkdir(foreign_dir, 0700), 0);
	age(p_named);
	age(p_orphan);
	age(p_touched);
	age(prune_left);
	age(tmp);
	age(foreign);

	ck_assert_int_eq(blob_prune(n.spool, 86400, 1, is_named, &n, NULL, &st,
				    &err), 0);
	ck_assert_int_eq(st.removed, 2); /* orphan and touched, not looked at twice */
	ck_assert_int_eq(st.temporary, 2);
	ck_assert(exists(p_orphan) && exists(tmp) && exists(prune_left));

	age(p_touched); /* touched by the dry run's look */
	ck_assert_int_eq(blob_prune(n.spool, 86400, 0, is_named, &n, NULL, &st,
				    &err), 0);
	ck_assert_int_eq(st.removed, 1);
	ck_assert_uint_eq(st.removed_bytes, 6);
	ck_assert_int_eq(st.temporary, 2);
	/* named, recent, touched; and held, when the walk sees the name it
	   got back */
	ck_assert_int_ge(st.kept, 3);
	ck_assert_int_le(st.kept, 4);
	ck_assert_int_eq(st.other, 2);
	ck_assert(!exists(p_orphan));
	ck_assert(exists(p_named) && exists(p_recent) && exists(p_touched));
	ck_assert(exists(p_held) && !exists(prune_left));
	ck_assert(!exists(tmp));
	ck_assert(exists(foreign) && exists(foreign_dir));
	/* with no minimum age, what nothing names goes */
	n.touch = NULL;
	ck_assert_int_eq(blob_prune(n.spool, 0, 0, is_named, &n, NULL, &st,
				    &err), 0);
	ck_assert_int_eq(st.removed, 2);
	ck_assert(!exists(p_recent) && !exists(p_touched));
	ck_assert(exists(p_named) && exists(p_held));
	/* no spool yet: nothing to do */
	free(foreign_dir);
	foreign_dir = xasprintf("%s/none", dir);
	ck_assert_int_eq(blob_prune(foreign_dir, 0, 0, is_named, &n, NULL, &st,
				    &err), 0);
	ck_assert_int_eq(st.kept + st.removed + st.other, 0);
	free(p_named);
	free(p_orphan);
	free(p_recent);
	free(p_touched);
	free(p_held);
	free(prune_left);
	free(tmp);
	free(foreign);
	free(foreign_dir);
}
END_TEST

/* Prunes that run at once (cirmd's housekeeping and cirmctl spool
   prune) each succeed: one has the spool, the others find it taken and
   leave it. (Where the file system has no flock, they all run, and one
   may remove the file another has just renamed away to remove, taking
   it for what a prune that died left.) */
START_TEST(test_blob_prune_concurrent)
{
	struct names n = { { NULL }, NULL, "" };
	pid_t pids[4];
	char *err = NULL;

	snprintf(n.spool, sizeof(n.spool), "%s/spool", dir);
	for (int round = 0; round < 3; round++) {
		struct blob_prune_stats left;

		for (int i = 0; i < 300; i++) {
			char data[32], id[BLOB_ID_LEN + 1], *p;
			int len = snprintf(data, sizeof(data), "blob %d.%d",
					   round, i);

			ck_assert_int_eq(blob_put(n.spool, data, (size_t)len,
						  id, 0, &err), 0);
			p = blob_path(n.spool, id);
			age(p);
			free(p);
		}
		for (int i = 0; i < 4; i++) {
			pids[i] = fork();
			ck_assert_int_ge(pids[i], 0);
			if (pids[i] == 0) {
				struct blob_prune_stats st;

				_exit(blob_prune(n.spool, 3600, 0, is_named,
						 &n, NULL, &st, &err) == 0 ?
				      0 : 1);
			}
		}
		for (int i = 0; i < 4; i++) {
			int status;

			ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
			ck_assert_msg(WIFEXITED(status) &&
				      WEXITSTATUS(status) == 0,
				      "round %d: prune %d failed", round, i);
		}
		/* one of them had the spool to itself and removed all */
		ck_assert_int_eq(blob_prune(n.spool, 0, 1, is_named, &n, NULL,
					    &left, &err), 0);
		ck_assert_int_eq(left.removed + left.kept + left.temporary, 0);
	}
}
END_TEST

/* A temporary file left by a process that had this one's numbers (its
   pid and thread id) and died does not stop the write. */
START_TEST(test_write_atomic_stale_tmp)
{
	char *path = xasprintf("%s/fil", dir);
	char *tmp = xasprintf("%s.tmp.%ld.%ld", path, (long)getpid(),
			      (long)gettid());
	char got[8] = "";
	FILE *f = fopen(tmp, "w");

	ck_assert_ptr_nonnull(f);
	fputs("half", f);
	fclose(f);
	ck_assert_int_eq(write_file_atomic(path, "hel\n", 4, 0640, 1), 0);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(got, sizeof(got), f));
	fclose(f);
	ck_assert_str_eq(got, "hel\n");
	ck_assert_int_eq(access(tmp, F_OK), -1);
	free(tmp);
	free(path);
}
END_TEST

START_TEST(test_lockfile)
{
	char *path = xasprintf("%s/lock", dir), *err = NULL;
	pid_t holder, child;
	int fd, status;

	fd = lockfile_acquire(path, &holder, &err);
	ck_assert_int_ge(fd, 0);
	child = fork();
	if (child == 0) {
		int r = lockfile_acquire(path, &holder, &err);

		_exit(r == -2 && holder == getppid() ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
	/* Released with the descriptor: another process takes it. */
	child = fork();
	if (child == 0)
		_exit(lockfile_acquire(path, &holder, &err) >= 0 ? 0 : 1);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(path);
}
END_TEST

/* Long lines of mail composed in code break at spaces, indented as
   their line, or under the help of an aligned command list. */
START_TEST(test_text_wrap)
{
	static const struct { size_t width; const char *in, *out; } t[] = {
		{ 8, "kort rad\n", "kort rad\n" },
		{ 8, "utan", "utan" },
		{ 8, "", "" },
		{ 8, "\n\n", "\n\n" },
		{ 8, "ett två tre fyra", "ett två\ntre fyra" },
		/* characters, not bytes: "åäö åäö" is 7 wide */
		{ 8, "åäö åäö åäö\nx", "åäö åäö\nåäö\nx" },
		{ 8, "    ett två tre\n", "    ett\n    två\n    tre\n" },
		/* a word longer than the line stays whole */
		{ 8, "a https://exempel.se/lang b",
		  "a\nhttps://exempel.se/lang\nb" },
		{ 8, "https://exempel.se/lang", "https://exempel.se/lang" },
		/* spacing inside a line is kept, spaces at a break go */
		{ 8, "a  b    c d e", "a  b\nc d e" },
		/* a command's continuation, deeper than the command */
		{ 12, "  #notering en två tre", "  #notering\n    en två\n    tre" },
		/* a row of a command list: under its help, six further */
		{ 18, "  #ta  \xe2\x80\x94 ta det nu och sen",
		  "  #ta  \xe2\x80\x94 ta det nu och\n         sen" },
		/* unless the help starts too far right: a command */
		{ 12, "  #ta  \xe2\x80\x94 ta det nu",
		  "  #ta  \xe2\x80\x94 ta\n    det nu" },
		/* so is the list's "(inget kommando)" row */
		{ 28, "  (inget)  \xe2\x80\x94 ta det nu och sen en g\xc3\xa5ng till",
		  "  (inget)  \xe2\x80\x94 ta det nu och sen en\n"
		  "             g\xc3\xa5ng till" },
		/* but other text in brackets is text */
		{ 8, "(ett två tre)", "(ett två\ntre)" },
		/* a dash in other text is text */
		{ 12, "Lampan \xe2\x80\x94 den vid torget",
		  "Lampan \xe2\x80\x94 den\nvid torget" },
		/* a quoted line stays whole */
		{ 8, "> ett tv\xc3\xa5 tre fyra\nfem sex", "> ett tv\xc3\xa5 tre fyra\nfem sex" },
		/* wrapped again, a wrapped list stays as it is */
		{ 18, "  #ta  \xe2\x80\x94 ta det nu och\n         sen",
		  "  #ta  \xe2\x80\x94 ta det nu och\n         sen" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *got = text_wrap(t[i].in, t[i].width);

		ck_assert_msg(strcmp(got, t[i].out) == 0, "%zu: [%s]", i, got);
		free(got);
	}
}
END_TEST

/* A history line or a subject: blanks as one space, cut in bytes at a
   character, at a word's end near the limit, "\u2026" only when
   something more than blanks was left out. */
START_TEST(test_text_excerpt)
{
	static const struct { size_t max; const char *in, *out; } t[] = {
		{ 4, "abcd\n", "abcd" },
		{ 4, "abcd   ", "abcd" },
		{ 4, "abcde", "abcd\xe2\x80\xa6" },
		{ 5, "ab \xe2\x82\xac x", "ab\xe2\x80\xa6" },
		{ 4, "a\n\n  b", "a b" },
		{ 4, "", "" },
		/* at a word's end in the last third, not in the middle */
		{ 12, "Gatlampan vid torget", "Gatlampan\xe2\x80\xa6" },
		{ 13, "Gatlampan vid torget", "Gatlampan vid\xe2\x80\xa6" },
		{ 12, "Lampa vid torget", "Lampa vid\xe2\x80\xa6" },
		/* a word that ends too early is not where it is cut */
		{ 12, "Ja tackarbetetsomgick", "Ja tackarbet\xe2\x80\xa6" },
		/* "d" and its diaeresis (decomposed) stay together */
		{ 5, "abcd\xcc\x88" "ef", "abc\xe2\x80\xa6" },
		{ 4, "abcd\xcc\x88" "ef", "abc\xe2\x80\xa6" },
		{ 0, "ab", "\xe2\x80\xa6" },
	};
	const char *sv = "Gatlampan på Storgatan 12 har varit släckt i tre "
		"veckor och det är mörkt när barnen går till skolan på "
		"morgonen, https://reklam.example/erbjudande";

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *got = text_excerpt(t[i].in, t[i].max);

		ck_assert_msg(strcmp(got, t[i].out) == 0, "%zu: [%s]", i, got);
		free(got);
	}
	/* within MAX bytes and the ellipsis, whole characters, and at a
	   word's end whenever one ends in the last third */
	for (size_t max = 1; max <= strlen(sv); max++) {
		char *got = text_excerpt(sv, max);
		size_t n = strlen(got);

		ck_assert_msg(n <= max + 3, "%zu: [%s]", max, got);
		ck_assert_msg(utf8_bad_line(got) == 0, "%zu: [%s]", max, got);
		if (max < strlen(sv)) {
			bool near = false;

			for (size_t i = (2 * max + 2) / 3; i <= max; i++)
				near |= sv[i] == ' ';
			ck_assert_msg(strcmp(got + n - 3, "\xe2\x80\xa6") == 0,
				      "%zu: [%s]", max, got);
			ck_assert_msg(strncmp(got, sv, n - 3) == 0,
				      "%zu: [%s]", max, got);
			if (near)
				ck_assert_msg(sv[n - 3] == ' ',
					      "%zu: [%s]", max, got);
		}
		free(got);
	}
}
END_TEST

/* A history line at 72 columns: cut in characters, never through one
   nor between a letter and its accent, at a word's end near the limit,
   with an ellipsis that counts as one of them. */
START_TEST(test_text_excerpt_chars)
{
	static const struct { size_t max; const char *in, *out; } t[] = {
		{ 4, "abcd", "abcd" },
		{ 4, "abcd   \n", "abcd" },
		{ 4, "abcde", "abc\xe2\x80\xa6" },
		{ 5, "abcd efgh", "abcd\xe2\x80\xa6" },
		{ 5, "abcd      efgh", "abcd\xe2\x80\xa6" },
		/* a blank where the cut falls: "hi" ends there, and stays */
		{ 11, "abcdefg hi jklmn", "abcdefg hi\xe2\x80\xa6" },
		{ 10, "abcdefg hi jklmn", "abcdefg\xe2\x80\xa6" },
		{ 3, "åäö", "åäö" },
		{ 3, "åäöå", "åä\xe2\x80\xa6" },
		{ 1, "ab", "\xe2\x80\xa6" },
		{ 0, "ab", "" },
		{ 0, "", "" },
		{ 4, "a\n\n  b", "a b" },
		{ 20, "Hej Anna, vi tittar på det.",
		  "Hej Anna, vi tittar\xe2\x80\xa6" },
		{ 12, "Hej Anna, vi tittar på det.",
		  "Hej Anna,\xe2\x80\xa6" },
		/* "d" and its diaeresis (decomposed) stay together */
		{ 5, "abcd\xcc\x88" "ef", "abc\xe2\x80\xa6" },
	};
	const char *sv = "Och nu en gång till.\n\nDet dånar från morgon till "
		"kväll, varje dag åtta timmar, även på söndagar. Hälsningar "
		"Åsa Öberg";

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *got = text_excerpt_chars(t[i].in, t[i].max);

		ck_assert_msg(strcmp(got, t[i].out) == 0, "%zu: [%s]", i, got);
		free(got);
	}
	for (size_t max = 0; max <= 120; max++) {
		char *got = text_excerpt_chars(sv, max);
		size_t n = strlen(got);

		ck_assert_msg(utf8_length(got) <= max, "%zu: [%s]", max, got);
		ck_assert_msg(utf8_bad_line(got) == 0, "%zu: [%s]", max, got);
		/* whole when it fits, else as much as fits but for a word's
		   end: two thirds at the least */
		if (max >= 116)
			ck_assert_msg(utf8_length(got) == 116 &&
				      strchr(got, '\n') == NULL,
				      "%zu: [%s]", max, got);
		else if (max >= 2)
			ck_assert_msg(n > 3 && strcmp(got + n - 3,
						      "\xe2\x80\xa6") == 0 &&
				      3 * (utf8_length(got) - 1) >=
				      2 * (max - 1), "%zu: [%s]", max, got);
		free(got);
	}
}
END_TEST

START_TEST(test_scrub)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "550 5.1.1 <anna@example.se>: Recipient address rejected",
		  "550 5.1.1 <<address>>: Recipient address rejected" },
		{ "/srv/cirm/maildir/outbound/anna@example.se/tmp: No space",
		  "<address> No space" },
		{ "to +46701234567 failed", "to <number> failed" },
		{ "tel:070-123 45 67.", "tel:<number>." },
		{ "stat:UNDELIV err:001 +CMS ERROR: 500",
		  "stat:UNDELIV err:001 +CMS ERROR: 500" },
		{ "451 4.3.0 try again in 3600 s", "451 4.3.0 try again in 3600 s" },
		{ "", "" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *o = scrub_personal(v[i].in);

		ck_assert_str_eq(o, v[i].out);
		free(o);
	}
}
END_TEST

START_TEST(test_strlist)
{
	struct strlist l = { 0 };

	for (int i = 0; i < 20; i++)
		strlist_addf(&l, "e%d", i);
	ck_assert_uint_eq(l.n, 20);
	ck_assert_str_eq(l.v[19], "e19");
	strlist_clear(&l);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.v);
}
END_TEST

/* Days as case officers write them (#borta, #senast), read the same in
   any time zone's noon. */
START_TEST(test_day_parse)
{
	static const struct {
		const char *now, *in, *out;
		int r;
		int hour;	/* of NOW: 12 when 0 */
	} t[] = {
		{ "2026-12-05", "2027-07-31", "2027-07-31", 1, 0 },
		{ "2026-12-05", "2026-12-9", "2026-12-09", 1, 0 },
		{ "2026-12-05", "2027-1-1", "2027-01-01", 1, 0 },
		/* D/M: ahead this year, or next year's */
		{ "2026-12-05", "31/7", "2027-07-31", 1, 0 },
		{ "2026-12-05", "24/12", "2026-12-24", 1, 0 },
		{ "2026-12-05", "6/1", "2027-01-06", 1, 0 },
		/* a month back at most: that day, past (a slip) */
		{ "2026-12-05", "1/12", "2026-12-01", 1, 0 },
		{ "2026-12-05", "5/11", "2026-11-05", 1, 0 },
		{ "2026-12-05", "4/11", "2027-11-04", 1, 0 },
		/* by the calendar, whatever the time of day */
		{ "2026-12-05", "5/11", "2026-11-05", 1, 23 },
		{ "2026-12-05", "5/11", "2026-11-05", 1, 1 },
		{ "2026-12-05", "4/11", "2027-11-04", 1, 1 },
		{ "2026-04-25", "26/3", "2026-03-26", 1, 15 },
		/* across new year */
		{ "2027-01-03", "30/12", "2026-12-30", 1, 0 },
		{ "2026-12-31", "1/1", "2027-01-01", 1, 0 },
		{ "2026-12-31", "31/12", "2026-12-31", 1, 0 },
		{ "2026-01-02", "1/12", "2026-12-01", 1, 0 },
		{ "2027-12-05", "29/2", "2028-02-29", 1, 0 },
		{ "2028-01-10", "29/2", "2028-02-29", 1, 0 },
		{ "2028-03-05", "29/2", "2028-02-29", 1, 0 },
		/* blanks around */
		{ "2026-12-05", " 31/7 ", "2027-07-31", 1, 0 },
		{ "2026-12-05", " 2027-07-31", "2027-07-31", 1, 0 },
		/* shapes of days the calendar lacks */
		{ "2026-12-05", "2026-02-30", NULL, -1, 0 },
		{ "2026-12-05", "2026-13-01", NULL, -1, 0 },
		{ "2026-12-05", "31/4", NULL, -1, 0 },
		{ "2026-12-05", "0/7", NULL, -1, 0 },
		/* 29/2 with no leap year within a year */
		{ "2026-03-01", "29/2", NULL, -1, 0 },
		{ "2026-12-05", "29/2", NULL, -1, 0 },
		/* no date */
		{ "2026-12-05", "", NULL, 0, 0 },
		{ "2026-12-05", "+202-01-01", NULL, 0, 0 },
		{ "2026-12-05", "26-12-31", NULL, 0, 0 },
		{ "2026-12-05", "2026-12-31x", NULL, 0, 0 },
		{ "2026-12-05", "2026-012-31", NULL, 0, 0 },
		{ "2026-12-05", "31/7/2027", NULL, 0, 0 },
		{ "2026-12-05", "31.7", NULL, 0, 0 },
		{ "2026-12-05", "/7", NULL, 0, 0 },
		{ "2026-12-05", "imorgon", NULL, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char out[LOCAL_DAY_SIZE] = "";
		int64_t now;
		int r;

		ck_assert(local_day_at(t[i].now, 0,
				       t[i].hour != 0 ? t[i].hour : 12, &now));
		r = day_parse(t[i].in, now, out);
		ck_assert_msg(r == t[i].r, "%s on %s: %d", t[i].in, t[i].now,
			      r);
		if (r > 0)
			ck_assert_str_eq(out, t[i].out);
	}
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_random_bytes);
	tcase_add_test(tc, test_current_pid);
	tcase_add_test(tc, test_log_hold);
	tcase_add_test(tc, test_log_hold_warnings);
	tcase_add_test(tc, test_log_hold_pipe_writes);
	tcase_add_test(tc, test_str_to_long);
	tcase_add_test(tc, test_mkdir_p);
	tcase_add_test(tc, test_blob);
	tcase_add_test(tc, test_blob_put_again);
	tcase_add_test(tc, test_blob_prune);
	tcase_add_test(tc, test_blob_prune_concurrent);
	tcase_add_test(tc, test_write_atomic_stale_tmp);
	tcase_add_test(tc, test_lockfile);
	tcase_add_test(tc, test_strlist);
	tcase_add_test(tc, test_scrub);
	tcase_add_test(tc, test_text_wrap);
	tcase_add_test(tc, test_text_excerpt);
	tcase_add_test(tc, test_text_excerpt_chars);
	tcase_add_test(tc, test_day_parse);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(util_suite());
}
