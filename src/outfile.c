/*
 * outfile.c - output files that cannot be redirected by a planted link.
 * The rules and the reasons are in include/outfile.h.
 */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool
outfile_owner_ok(uid_t owner, uid_t also_ok)
{
	return owner == 0 || owner == geteuid() || (also_ok != (uid_t)-1 && owner == also_ok);
}

/* The ownership and mode rules for a directory open at fd. */
static int
outfile_dir_check(int fd, const char *path, uid_t also_ok, char *err, size_t errsz)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!outfile_owner_ok(sb.st_uid, also_ok)) {
		snprintf(err, errsz, "%s: directory is owned by another user (uid %u)", path,
			 (unsigned)sb.st_uid);
		return -1;
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errsz, "%s: directory is writable by %s (chmod go-w)", path,
			 (sb.st_mode & S_IWOTH) ? "others" : "its group");
		return -1;
	}
	return 0;
}

/*
 * Files are written in the directory after -Z, as also_ok: since a directory
 * writable by its group or others is refused, that user must own it. One
 * made just now (made) is given to it.
 */
static int
outfile_dir_writer(int fd, const char *path, bool made, uid_t also_ok, char *err, size_t errsz)
{
	struct stat sb;

	if (also_ok == (uid_t)-1 || also_ok == geteuid())
		return 0;
	if (made && fchown(fd, also_ok, (gid_t)-1) < 0) {
		snprintf(err, errsz, "%s: cannot give it to uid %u: %s", path, (unsigned)also_ok,
			 strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (sb.st_uid != also_ok) {
		snprintf(err, errsz,
			 "%s: owned by uid %u, but written after -Z as uid %u: chown the "
			 "directory to that user",
			 path, (unsigned)sb.st_uid, (unsigned)also_ok);
		return -1;
	}
	return 0;
}

int
outfile_dir_open(const char *path, bool create, uid_t also_ok, char *err, size_t errsz)
{
	bool made = false;
	int fd;

	if (create) {
		if (mkdir(path, 0700) == 0)
			made = true;
		else if (errno != EEXIST) {
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			return -1;
		}
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "%s: %s", path,
			 errno == ELOOP || errno == ENOTDIR ? "not a directory (or a symlink)"
							    : strerror(errno));
		return -1;
	}
	if (outfile_dir_check(fd, path, also_ok, err, errsz) < 0 ||
	    outfile_dir_writer(fd, path, made, also_ok, err, errsz) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
outfile_check_parent(const char *path, uid_t also_ok, char *err, size_t errsz)
{
	char copy[4096];
	const char *dir;
	int fd;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy)) {
		snprintf(err, errsz, "%s: path too long", path);
		return -1;
	}
	dir = dirname(copy);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (outfile_dir_check(fd, dir, also_ok, err, errsz) < 0 ||
	    outfile_dir_writer(fd, dir, false, also_ok, err, errsz) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
outfile_create_at(int dirfd, const char *name, char *err, size_t errsz)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		snprintf(err, errsz, "%s: %s", name, strerror(errno));
	return fd;
}

/* Opens path by the rules of outfile.h; the descriptor, or -1 with err. */
static int
outfile_open_fd(const char *path, bool append, char *err, size_t errsz)
{
	struct stat sb;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (append ? O_APPEND : 0),
		  0600);
	if (fd < 0) {
		snprintf(err, errsz, "%s: %s", path,
			 errno == ELOOP ? "is a symbolic link (refused)" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISREG(sb.st_mode)) {
		if (!outfile_owner_ok(sb.st_uid, (uid_t)-1) || sb.st_nlink > 1) {
			snprintf(err, errsz, "%s: %s (refused)", path,
				 sb.st_nlink > 1 ? "has other hard links"
						 : "belongs to another user");
			goto fail;
		}
		if (!append && ftruncate(fd, 0) < 0) {
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			goto fail;
		}
	} else if (S_ISDIR(sb.st_mode)) {
		snprintf(err, errsz, "%s: is a directory", path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

FILE *
outfile_open_mode(const char *path, bool append, char *err, size_t errsz)
{
	int fd = outfile_open_fd(path, append, err, errsz);
	FILE *f;

	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, append ? "a" : "w"))) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	return f;
}

FILE *
outfile_open(const char *path, char *err, size_t errsz)
{
	return outfile_open_mode(path, false, err, errsz);
}

int
outfile_reopen(FILE *f, const char *path, char *err, size_t errsz)
{
	int fd;

	/* What is buffered belongs to the old file: it goes there first. */
	if (fflush(f) != 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	fd = outfile_open_fd(path, true, err, errsz);
	if (fd < 0)
		return -1;
	/* The stream keeps its descriptor number: whoever holds f (a sink)
	 * writes to the new file from its next record on. */
	if (dup3(fd, fileno(f), O_CLOEXEC) < 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
