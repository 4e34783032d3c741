/*
 * spool.c - JSON Lines kept on disk until they are delivered (spool.h).
 *
 * The spool is a list of files, oldest first, each with its size as far as
 * this process knows it (it is the only writer: the directory is locked).
 * The reader holds the oldest file open at a committed offset; the writer
 * holds the newest open at its end. Both may be the same file, read through
 * pread(2) and written through pwritev(2) at explicit offsets.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "outfile.h"

#define SPOOL_PREFIX "spool-"
#define SPOOL_SUFFIX ".jsonl"
#define SPOOL_DIGITS 20
#define SPOOL_NAME_LEN (sizeof(SPOOL_PREFIX) - 1 + SPOOL_DIGITS + sizeof(SPOOL_SUFFIX) - 1)
/* The read buffer starts here and doubles for longer lines, up to the
 * longest record the Redis queue can hold (64 MiB) and its newline. */
#define SPOOL_BUF_MIN (256u << 10)
#define SPOOL_LINE_MAX ((64u << 20) + 1)

struct spool_file {
	uint64_t seq;
	uint64_t size;
};

struct spool {
	int dirfd;
	uid_t also_ok;
	uint64_t max_bytes, bytes;
	struct spool_file *files; /* oldest first */
	size_t n, cap;
	uint64_t next_seq;
	int wfd;       /* files[n - 1], open for appending; -1: none */
	int rfd;       /* files[0], open for reading; -1: not yet */
	uint64_t roff; /* committed offset in files[0] */
	char *buf;
	size_t bufcap;
	uint64_t rec_end[SPOOL_READ_MAX]; /* offsets after each record of the last read */
	size_t nread;
	uint64_t partial, skipped;
	char skipped_name[SPOOL_NAME_LEN + 1]; /* the last file set aside */
};

static void
spool_name(char *dst, size_t cap, uint64_t seq)
{
	snprintf(dst, cap, SPOOL_PREFIX "%0*" PRIu64 SPOOL_SUFFIX, SPOOL_DIGITS, seq);
}

/* The sequence number of a spool file's name; false for any other name. */
static bool
spool_name_seq(const char *name, uint64_t *seq)
{
	const char *d = name + sizeof(SPOOL_PREFIX) - 1;

	if (strlen(name) != SPOOL_NAME_LEN || strncmp(name, SPOOL_PREFIX, 6) != 0 ||
	    strcmp(d + SPOOL_DIGITS, SPOOL_SUFFIX) != 0)
		return false;
	*seq = 0;
	for (int i = 0; i < SPOOL_DIGITS; i++) {
		if (d[i] < '0' || d[i] > '9' || *seq > (UINT64_MAX - 9) / 10)
			return false;
		*seq = *seq * 10 + (uint64_t)(d[i] - '0');
	}
	return true;
}

/* A file is set aside: counted and named, left in place. */
static void
spool_set_aside(struct spool *s, const char *name)
{
	s->skipped++;
	snprintf(s->skipped_name, sizeof(s->skipped_name), "%s", name);
}

static bool
spool_owner_ok(const struct spool *s, uid_t uid)
{
	return uid == 0 || uid == geteuid() || (s->also_ok != (uid_t)-1 && uid == s->also_ok);
}

static int
spool_add_file(struct spool *s, uint64_t seq, uint64_t size)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct spool_file *f = realloc(s->files, cap * sizeof(*f));

		if (!f)
			return -1;
		s->files = f;
		s->cap = cap;
	}
	s->files[s->n++] = (struct spool_file){seq, size};
	s->bytes += size;
	return 0;
}

static int
spool_file_cmp(const void *a, const void *b)
{
	const struct spool_file *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The files an earlier run left, oldest first. */
static int
spool_scan(struct spool *s, const char *path, char *err, size_t errsz)
{
	int fd = dup(s->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat sb;
		uint64_t seq;

		if (!spool_name_seq(e->d_name, &seq))
			continue;
		/* A name set aside keeps its number too: a new file must
		 * not be created on it (O_EXCL would fail for ever). */
		if (seq >= s->next_seq)
			s->next_seq = seq + 1;
		if (fstatat(s->dirfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode) || !spool_owner_ok(s, sb.st_uid) || sb.st_nlink != 1) {
			spool_set_aside(s, e->d_name);
			continue;
		}
		if (spool_add_file(s, seq, (uint64_t)sb.st_size) < 0) {
			snprintf(err, errsz, "%s: out of memory", path);
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (s->n > 1)
		qsort(s->files, s->n, sizeof(*s->files), spool_file_cmp);
	return 0;
}

struct spool *
spool_open(const char *path, uint64_t max_bytes, uid_t also_ok, char *err, size_t errsz)
{
	struct spool *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errsz, "%s: out of memory", path);
		return NULL;
	}
	s->wfd = s->rfd = -1;
	s->also_ok = also_ok;
	s->max_bytes = max_bytes;
	s->next_seq = 1;
	s->dirfd = outfile_dir_open(path, true, also_ok, err, errsz);
	if (s->dirfd < 0)
		goto fail;
	if (flock(s->dirfd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errsz, "%s: %s", path,
			 errno == EWOULDBLOCK ? "in use by another tlswatch process"
					      : strerror(errno));
		goto fail;
	}
	s->bufcap = SPOOL_BUF_MIN;
	s->buf = malloc(s->bufcap);
	if (!s->buf) {
		snprintf(err, errsz, "%s: out of memory", path);
		goto fail;
	}
	if (spool_scan(s, path, err, errsz) < 0)
		goto fail;
	return s;
fail:
	spool_close(s);
	return NULL;
}

void
spool_close(struct spool *s)
{
	if (!s)
		return;
	if (s->wfd >= 0)
		close(s->wfd);
	if (s->rfd >= 0)
		close(s->rfd);
	if (s->dirfd >= 0)
		close(s->dirfd); /* and the lock with it */
	free(s->files);
	free(s->buf);
	free(s);
}

bool
spool_pending(const struct spool *s)
{
	return s && s->n > 0;
}

/* files[0] is done with: removed from the list and, when remove is set,
 * from the directory. */
static void
spool_drop_oldest(struct spool *s, bool remove)
{
	char name[SPOOL_NAME_LEN + 1];

	if (s->rfd >= 0)
		close(s->rfd);
	s->rfd = -1;
	s->roff = 0;
	s->nread = 0;
	if (s->n == 1 && s->wfd >= 0) {
		close(s->wfd);
		s->wfd = -1;
	}
	if (remove) {
		spool_name(name, sizeof(name), s->files[0].seq);
		unlinkat(s->dirfd, name, 0);
	}
	s->bytes -= s->files[0].size;
	memmove(s->files, s->files + 1, (s->n - 1) * sizeof(*s->files));
	s->n--;
}

int
spool_append(struct spool *s, const char *data, size_t len, char *err, size_t errsz)
{
	struct iovec iov[2] = {{(void *)data, len}, {"\n", 1}};
	struct spool_file *f;
	ssize_t w;

	if (s->max_bytes && s->bytes + len + 1 > s->max_bytes)
		return 1;
	if (s->wfd >= 0 && s->files[s->n - 1].size >= SPOOL_FILE_BYTES) {
		close(s->wfd);
		s->wfd = -1;
	}
	if (s->wfd < 0) {
		char name[SPOOL_NAME_LEN + 1];

		spool_name(name, sizeof(name), s->next_seq);
		s->wfd = outfile_create_at(s->dirfd, name, err, errsz);
		if (s->wfd < 0)
			return -1;
		if (spool_add_file(s, s->next_seq, 0) < 0) {
			snprintf(err, errsz, "out of memory");
			close(s->wfd);
			s->wfd = -1;
			unlinkat(s->dirfd, name, 0);
			return -1;
		}
		s->next_seq++;
	}
	f = &s->files[s->n - 1];
	do
		w = pwritev(s->wfd, iov, 2, (off_t)f->size);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)(len + 1)) {
		int e = w < 0 ? errno : ENOSPC; /* a short write: the disk is full */

		if (w > 0 && ftruncate(s->wfd, (off_t)f->size) < 0) {
			/* The piece stays: a new file, so that it ends no line. */
			close(s->wfd);
			s->wfd = -1;
			f->size += (uint64_t)w;
			s->bytes += (uint64_t)w;
		}
		snprintf(err, errsz, "write: %s", strerror(e));
		return -1;
	}
	f->size += len + 1;
	s->bytes += len + 1;
	return 0;
}

/* Opens files[0] for reading; -1 (the file set aside) when it cannot be. */
static int
spool_open_oldest(struct spool *s, char *err, size_t errsz)
{
	char name[SPOOL_NAME_LEN + 1];
	struct stat sb;

	spool_name(name, sizeof(name), s->files[0].seq);
	/* O_NONBLOCK: a FIFO planted under the name must not hold the open. */
	s->rfd = openat(s->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (s->rfd < 0 || fstat(s->rfd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    !spool_owner_ok(s, sb.st_uid)) {
		snprintf(err, errsz, "%s: %s (set aside)", name,
			 s->rfd < 0 ? strerror(errno) : "not a regular file of ours");
		spool_set_aside(s, name);
		spool_drop_oldest(s, false);
		return -1;
	}
	s->roff = 0;
	return 0;
}

int
spool_read(struct spool *s, struct spool_rec *recs, size_t max, char *err, size_t errsz)
{
	if (max > SPOOL_READ_MAX)
		max = SPOOL_READ_MAX;
	s->nread = 0;
	while (s->n > 0) {
		size_t have = 0, pos = 0, k = 0;

		if (s->rfd < 0 && spool_open_oldest(s, err, errsz) < 0)
			return -1;
		while (have < s->bufcap) {
			ssize_t got = pread(s->rfd, s->buf + have, s->bufcap - have,
					    (off_t)(s->roff + have));

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				char name[SPOOL_NAME_LEN + 1];

				spool_name(name, sizeof(name), s->files[0].seq);
				snprintf(err, errsz, "%s: read: %s (set aside)", name,
					 strerror(errno));
				spool_set_aside(s, name);
				spool_drop_oldest(s, false);
				return -1;
			}
			if (got == 0)
				break;
			have += (size_t)got;
		}
		while (k < max) {
			char *nl = memchr(s->buf + pos, '\n', have - pos);
			size_t len;

			if (!nl)
				break;
			len = (size_t)(nl - (s->buf + pos));
			if (len > 0) {
				recs[k] = (struct spool_rec){s->buf + pos, len};
				s->rec_end[k] = s->roff + (uint64_t)(nl - s->buf) + 1;
				k++;
			}
			pos = (size_t)(nl - s->buf) + 1;
		}
		if (k > 0) {
			s->nread = k;
			return (int)k;
		}
		if (pos > 0) { /* empty lines only */
			s->roff += pos;
			continue;
		}
		if (have == s->bufcap && s->bufcap < SPOOL_LINE_MAX) {
			/* A line longer than the buffer. */
			size_t cap =
				s->bufcap * 2 < SPOOL_LINE_MAX ? s->bufcap * 2 : SPOOL_LINE_MAX;
			char *b = realloc(s->buf, cap);

			if (b) {
				s->buf = b;
				s->bufcap = cap;
				continue;
			}
		}
		/* The end of the file: nothing more, or an incomplete line
		 * (a crash in the middle of a write), or a line too long. */
		if (have > 0)
			s->partial++;
		spool_drop_oldest(s, true);
	}
	return 0;
}

void
spool_commit(struct spool *s, size_t n)
{
	if (n == 0 || n > s->nread || s->n == 0)
		return;
	s->roff = s->rec_end[n - 1];
	s->nread = 0;
	if (s->roff >= s->files[0].size)
		spool_drop_oldest(s, true); /* delivered to its end */
}

void
spool_counters(const struct spool *s, struct spool_counters *c)
{
	memset(c, 0, sizeof(*c));
	if (!s)
		return;
	c->bytes = s->bytes;
	c->files = s->n;
	c->partial = s->partial;
	c->skipped = s->skipped;
	snprintf(c->skipped_name, sizeof(c->skipped_name), "%s", s->skipped_name);
}
