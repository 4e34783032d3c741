/*
 * spool.h - records kept on disk until they can be delivered: the
 * `--json-spool DIR` of the Redis output (redisout.h).
 *
 * A spool is a directory of JSON Lines files, spool-NNNNNNNNNNNNNNNNNNNN.jsonl
 * (a 20-digit sequence number, so that the names sort in the order they
 * were written). Records are appended to the newest file and read back from
 * the oldest, in order; a file is removed once every record in it has been
 * committed (delivered). Files left by an earlier run are found when the
 * spool is opened and come first.
 *
 * A record is one line. The writer appends each record with one write(2)
 * and cuts the file back to its previous size when that fails, so a file
 * it wrote holds only whole lines; an incomplete last line (a crash in the
 * middle of a write) is skipped and counted, never returned.
 *
 * Safety as for the other outputs (outfile.h): the directory is opened with
 * O_DIRECTORY|O_NOFOLLOW and refused when another user owns it or others may
 * write to it; files are created O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600; a
 * file found there is read only when it is a regular file of the running
 * user, root or the -Z user. The directory is locked (flock) so that two
 * processes never share one spool.
 *
 * A file that cannot be read (unsafe, or open or read fails) is set aside:
 * left where it is, never removed, its records not returned, and counted
 * with its name kept (spool_counters), so that the caller can say that
 * records were not delivered.
 *
 * Not thread-safe: after spool_open, one thread (the Redis sender) does all
 * the reading and writing.
 */
#ifndef TLSWATCH_SPOOL_H
#define TLSWATCH_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Records returned by one spool_read at most. */
#define SPOOL_READ_MAX 256
/* A file no longer gets records past this size: a new one is started, so
 * delivered records free their space while the rest is replayed. */
#define SPOOL_FILE_BYTES (4u << 20)

struct spool;

/* One record read back: len bytes at data (no newline), valid until the
 * next call on the spool. */
struct spool_rec {
	const char *data;
	size_t len;
};

struct spool_counters {
	uint64_t bytes;	       /* in the spool's files now */
	uint64_t files;	       /* spool files now */
	uint64_t partial;      /* incomplete last lines skipped */
	uint64_t skipped;      /* files set aside: found but not read (unsafe, or unreadable) */
	char skipped_name[40]; /* the last file set aside ("": none) */
};

/*
 * Opens (creating it, mode 0700, when missing) the spool directory path,
 * locks it and lists the files an earlier run left. max_bytes bounds the
 * files' total size (0: no bound). also_ok is the -Z user ((uid_t)-1:
 * none), as for outfile_dir_open. NULL with a message in err.
 */
struct spool *spool_open(const char *path, uint64_t max_bytes, uid_t also_ok, char *err,
			 size_t errsz);
/* Closes the spool; the files stay for the next run. s may be NULL. */
void spool_close(struct spool *s);

/* Whether records (or files not read yet) wait in the spool. */
bool spool_pending(const struct spool *s);

/*
 * Appends one record (len bytes, no newline in it) to the newest file.
 * 0; 1 when the spool is full (max_bytes); -1 when the write failed, with
 * the reason in err (the file is cut back: no partial line is left).
 */
int spool_append(struct spool *s, const char *data, size_t len, char *err, size_t errsz);

/*
 * Reads up to max (at most SPOOL_READ_MAX) records from the oldest file,
 * from the first one not committed, without consuming them; files read to
 * their end are removed first. Returns how many (0: the spool is empty), or
 * -1 with err when a file cannot be read (it is set aside and the next call
 * goes on with the next file).
 */
int spool_read(struct spool *s, struct spool_rec *recs, size_t max, char *err, size_t errsz);

/* The first n records of the last spool_read are delivered: they are not
 * read again (a file is removed at the next read once it is all done). */
void spool_commit(struct spool *s, size_t n);

void spool_counters(const struct spool *s, struct spool_counters *c);

#endif
