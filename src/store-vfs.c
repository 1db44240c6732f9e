/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A thin SQLite VFS over the system's default one that gathers the
   writes to a write-ahead log into one system call.

   At a commit SQLite appends each page to the WAL with two writes (a
   24-byte frame header, then the page), one system call each: a batch
   of the engine writes thousands of pages, and on a virtual machine a
   system call is not cheap (a sixth of the engine's time went there).
   Appends to a WAL file are kept in a buffer and written with one
   pwrite(2) when SQLite needs them to be in the file: before it syncs,
   reads, truncates or closes it, asks its size, or publishes a commit
   in the WAL index (xShmBarrier on the database file, which SQLite
   calls before it makes the new frames visible to other connections:
   each WAL handle is linked to its connection's database handle for
   this), and whenever a write is not the next append or the buffer is
   full. What SQLite sees is the
   same as with the default VFS: nothing it has not synced is promised
   to survive a crash, and no other connection can read frames before
   the commit that publishes them, by which time they are written.
   Every other file, and every other method, goes straight through. */
#include "config.h"

#include "store-private.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define VFS_NAME "cirm"
/* The unix VFS writes at most 128 KiB - 1 in one call (seekAndWrite
   masks the length with 0x1ffff): thirty-one frames of 4 KiB pages. */
#define WAL_BUFFER 0x1ffff

struct wal_file {
	sqlite3_file base;	/* our methods */
	sqlite3_file *real;	/* the default VFS's file, after us */
	const char *name;	/* a main database: SQLite's name pointer */
	struct wal_file *link;	/* database <-> its WAL, or NULL */
	struct wal_file *next;	/* the open main databases */
	int wal;		/* a write-ahead log: writes are gathered */
	int writer;		/* a database: holds the WAL write lock */
	int through;		/* a database: its WAL is written through */
	unsigned char *buf;
	size_t len;
	sqlite3_int64 off;	/* where buf[0] goes in the file */
};

static sqlite3_vfs *real_vfs;
/* The open main database files, to link a WAL to its database: SQLite
   gives a WAL's xOpen a name from which sqlite3_filename_database()
   returns the very pointer its database was opened with. */
static pthread_mutex_t dbs_mu = PTHREAD_MUTEX_INITIALIZER;
static struct wal_file *dbs;

static int
flush(struct wal_file *f)
{
	int rc;

	if (f->len == 0)
		return SQLITE_OK;
	rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->len, f->off);
	f->len = 0;
	return rc;
}

static int
x_close(sqlite3_file *file)
{
	struct wal_file *f = (struct wal_file *)file;
	int rc = flush(f), rc2 = f->real->pMethods->xClose(f->real);

	pthread_mutex_lock(&dbs_mu);
	if (f->link != NULL)
		f->link->link = NULL;
	f->link = NULL;
	if (f->name != NULL) {
		for (struct wal_file **p = &dbs; *p != NULL; p = &(*p)->next) {
			if (*p == f) {
				*p = f->next;
				break;
			}
		}
	}
	pthread_mutex_unlock(&dbs_mu);
	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
x_read(sqlite3_file *file, void *data, int n, sqlite3_int64 off)
{
	struct wal_file *f = (struct wal_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, data, n, off);
}

static int
x_write(sqlite3_file *file, const void *data, int n, sqlite3_int64 off)
{
	struct wal_file *f = (struct wal_file *)file;
	int rc;

	if (!f->wal || n <= 0 || n > WAL_BUFFER)
		goto through;
	if (f->len > 0 && (off != f->off + (sqlite3_int64)f->len ||
			   f->len + (size_t)n > WAL_BUFFER)) {
		rc = flush(f);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (f->buf == NULL && (f->buf = malloc(WAL_BUFFER)) == NULL)
		goto through;
	if (f->len == 0)
		f->off = off;
	memcpy(f->buf + f->len, data, (size_t)n);
	f->len += (size_t)n;
	return SQLITE_OK;
through:
	rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, data, n, off);
}

static int
x_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct wal_file *f = (struct wal_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int
x_sync(sqlite3_file *file, int flags)
{
	struct wal_file *f = (struct wal_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int
x_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct wal_file *f = (struct wal_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int
x_lock(sqlite3_file *file, int level)
{
	struct wal_file *f = (struct wal_file *)file;

	return f->real->pMethods->xLock(f->real, level);
}

static int
x_unlock(sqlite3_file *file, int level)
{
	struct wal_file *f = (struct wal_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xUnlock(f->real, level);
}

static int
x_check_reserved_lock(sqlite3_file *file, int *out)
{
	struct wal_file *f = (struct wal_file *)file;

	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int
x_file_control(sqlite3_file *file, int op, void *arg)
{
	struct wal_file *f = (struct wal_file *)file;
	int rc = flush(f);

	if (rc != SQLITE_OK)
		return rc;
	if (op == STORE_FCNTL_WAL_THROUGH) {
		if (f->name == NULL)
			return SQLITE_NOTFOUND;
		f->through = *(int *)arg != 0;
		if (f->link != NULL) {
			rc = flush(f->link);
			f->link->wal = !f->through;
		}
		return rc;
	}
	if (op == SQLITE_FCNTL_VFSNAME) {
		/* say that we are here, above the real VFS */
		int r = f->real->pMethods->xFileControl(f->real, op, arg);

		if (r == SQLITE_OK) {
			char *below = *(char **)arg;

			*(char **)arg = sqlite3_mprintf(VFS_NAME "/%z", below);
		}
		return r;
	}
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int
x_sector_size(sqlite3_file *file)
{
	struct wal_file *f = (struct wal_file *)file;

	return f->real->pMethods->xSectorSize(f->real);
}

static int
x_device_characteristics(sqlite3_file *file)
{
	struct wal_file *f = (struct wal_file *)file;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int
x_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **p)
{
	struct wal_file *f = (struct wal_file *)file;

	return f->real->pMethods->xShmMap(f->real, page, size, extend, p);
}

/* Offset 0 is SQLite's WAL write lock. Frames still in the buffer when
   it is given up were never committed (a transaction that spilled
   pages into the WAL and then rolled back, or a commit that failed):
   committed ones were written when they were synced or published. They
   are dropped: written later, they would land on frames that another
   connection has committed at the same place meanwhile. */
static int
x_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct wal_file *f = (struct wal_file *)file;
	int rc = f->real->pMethods->xShmLock(f->real, offset, n, flags);

	if (offset == 0 && n >= 1 && (flags & SQLITE_SHM_EXCLUSIVE)) {
		if (flags & SQLITE_SHM_UNLOCK) {
			f->writer = 0;
			if (f->link != NULL)
				f->link->len = 0;
		} else if (rc == SQLITE_OK)
			f->writer = 1;
	}
	return rc;
}

/* On the database file, which holds the WAL index: SQLite calls it
   before a new WAL index header makes a commit's frames visible. With
   synchronous = FULL they are already written (SQLite synced the WAL
   first, and a failure there failed the commit); at NORMAL the WAL is
   written through (store_set_synchronous). Frames still here mean a
   connection set to NORMAL some other way: they are written now, and
   that WAL is written through from then on, since a failure here could
   not be reported: the process stops instead, before the header is
   complete, and SQLite's recovery then drops the commit, as after any
   crash. Without the write lock nothing here was committed (see
   x_shm_lock). Both handles are the connection's, used by one thread
   at a time. */
static void
x_shm_barrier(sqlite3_file *file)
{
	struct wal_file *f = (struct wal_file *)file;

	if (f->link != NULL && f->link->len > 0) {
		if (!f->writer)
			f->link->len = 0;
		else {
			f->link->wal = 0;
			if (flush(f->link) != SQLITE_OK)
				abort();
		}
	}
	f->real->pMethods->xShmBarrier(f->real);
}

static int
x_shm_unmap(sqlite3_file *file, int delete_flag)
{
	struct wal_file *f = (struct wal_file *)file;

	return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

static int
x_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **p)
{
	struct wal_file *f = (struct wal_file *)file;

	if (f->real->pMethods->iVersion < 3) {
		*p = NULL;
		return SQLITE_OK;
	}
	return f->real->pMethods->xFetch(f->real, off, n, p);
}

static int
x_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	struct wal_file *f = (struct wal_file *)file;

	if (f->real->pMethods->iVersion < 3)
		return SQLITE_OK;
	return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods methods = {
	.iVersion = 3,
	.xClose = x_close,
	.xRead = x_read,
	.xWrite = x_write,
	.xTruncate = x_truncate,
	.xSync = x_sync,
	.xFileSize = x_file_size,
	.xLock = x_lock,
	.xUnlock = x_unlock,
	.xCheckReservedLock = x_check_reserved_lock,
	.xFileControl = x_file_control,
	.xSectorSize = x_sector_size,
	.xDeviceCharacteristics = x_device_characteristics,
	.xShmMap = x_shm_map,
	.xShmLock = x_shm_lock,
	.xShmBarrier = x_shm_barrier,
	.xShmUnmap = x_shm_unmap,
	.xFetch = x_fetch,
	.xUnfetch = x_unfetch,
};

static int
x_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
       int *out_flags)
{
	struct wal_file *f = (struct wal_file *)file;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
	if (f->real->pMethods == NULL)
		return rc; /* nothing to close: SQLite will not call xClose */
	f->base.pMethods = &methods;
	if (rc != SQLITE_OK || name == NULL)
		return rc;
	pthread_mutex_lock(&dbs_mu);
	if (flags & SQLITE_OPEN_MAIN_DB) {
		f->name = name;
		f->next = dbs;
		dbs = f;
	} else if (flags & SQLITE_OPEN_WAL) {
		const char *db = sqlite3_filename_database(name);

		/* unlinked, the WAL is written through, as by default */
		for (struct wal_file *d = dbs; d != NULL; d = d->next) {
			if (d->name == db && d->link == NULL) {
				d->link = f;
				f->link = d;
				f->wal = !d->through;
				break;
			}
		}
	}
	pthread_mutex_unlock(&dbs_mu);
	return rc;
}

static sqlite3_vfs vfs;

int
store_vfs_register(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	/* the WAL index needs the shared-memory methods (version 2) */
	if (real_vfs == NULL || real_vfs->iVersion < 2 ||
	    strcmp(real_vfs->zName, "unix") != 0) {
		real_vfs = NULL;
		return -1;
	}
	vfs = *real_vfs;
	vfs.szOsFile = (int)sizeof(struct wal_file) + real_vfs->szOsFile;
	vfs.zName = VFS_NAME;
	vfs.pNext = NULL;
	vfs.xOpen = x_open;
	return sqlite3_vfs_register(&vfs, 0) == SQLITE_OK ? 0 : -1;
}

const char *
store_vfs_name(void)
{
	return real_vfs != NULL && sqlite3_vfs_find(VFS_NAME) == &vfs ?
		       VFS_NAME : NULL;
}
