/*
 * outfile.h - creating output files without being tricked into writing
 * somewhere else.
 *
 * tlswatch often runs as root while the directories it writes to (--evidence,
 * --state, --json) may be reachable by other local users. A planted symlink
 * or hard link must never make it overwrite another file, and what it writes
 * (packets, logins, server lists) is for its owner only. So:
 * - a directory is opened once with O_DIRECTORY|O_NOFOLLOW and refused when
 *   it is owned by a user other than root or the one tlswatch runs as, or
 *   when group or others may write to it;
 * - files in it are created with openat(O_CREAT|O_EXCL|O_NOFOLLOW), mode 0600;
 * - a named output file (--json FILE) is opened with O_NOFOLLOW (a symlink as
 *   the last component is refused; directories above it are followed), created
 *   0600, and an existing regular file is appended to (or truncated) only when
 *   it belongs to the running user (or root) and has no other hard link. Character devices
 *   and FIFOs (/dev/null, a named pipe) are written as they are (a FIFO
 *   waits for its reader, as with tcpdump -w).
 */
#ifndef TLSWATCH_OUTFILE_H
#define TLSWATCH_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Opens directory path for creating files in it, after creating it (mode
 * 0700) when create is set and it does not exist. The owner may be root, the
 * effective user, or also_ok (the -Z user; (uid_t)-1 for none). With a -Z
 * user, files are written there after the drop: the directory must be that
 * user's (one created now is given to it). Returns a descriptor (caller
 * closes) or -1 with a message in err.
 */
int outfile_dir_open(const char *path, bool create, uid_t also_ok, char *err, size_t errsz);

/* Checks the directory holding path (its parent, "." when none) by the same
 * rules, without keeping it open. 0, or -1 with a message in err. */
int outfile_check_parent(const char *path, uid_t also_ok, char *err, size_t errsz);

/* Creates the new file name in dirfd for writing, mode 0600; fails when name
 * exists (even as a symlink). Returns a descriptor or -1 with err. */
int outfile_create_at(int dirfd, const char *name, char *err, size_t errsz);

/* Opens path for writing by the rules above, appending (O_APPEND) or
 * truncating an existing file. Returns a stream (caller closes) or NULL with
 * a message in err. outfile_open truncates. */
FILE *outfile_open_mode(const char *path, bool append, char *err, size_t errsz);
FILE *outfile_open(const char *path, char *err, size_t errsz);

/* For log rotation (SIGHUP): flushes f, then opens path again by the same
 * rules, appending (creating it when it was renamed away), and puts the new
 * file under f's descriptor, so f's holders write there from now on. 0, or
 * -1 with err and f still writing where it did. */
int outfile_reopen(FILE *f, const char *path, char *err, size_t errsz);

#endif
