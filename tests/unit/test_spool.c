/*
 * test_spool.c - the --json-spool directory (spool.h): records come back in
 * the order they were written, across files and runs; an incomplete last
 * line is skipped and counted, never returned; delivered files go; the size
 * bound holds; the directory's rules are those of the other outputs; a
 * file that cannot be read is set aside, left in place, counted and named.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool.h"

struct fixture {
	char dir[64];
	char path[160];
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/tlswatch-spool-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

/* Writes a spool file as an earlier run (or a crash) left it. */
static void
write_spool_file(struct fixture *fx, unsigned seq, const char *text, size_t len)
{
	FILE *f;

	snprintf(fx->path, sizeof(fx->path), "%s/spool-%020u.jsonl", fx->dir, seq);
	f = fopen(fx->path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static int
count_files(const struct fixture *fx)
{
	char cmd[160];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls '%s' | wc -l", fx->dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

/* Reads and commits every record, joined with newlines, into out. */
static void
drain(struct spool *s, char *out, size_t cap)
{
	struct spool_rec recs[SPOOL_READ_MAX];
	char err[256];
	size_t used = 0;
	int n;

	out[0] = '\0';
	while ((n = spool_read(s, recs, SPOOL_READ_MAX, err, sizeof(err))) > 0) {
		for (int i = 0; i < n; i++) {
			assert_true(used + recs[i].len + 2 < cap);
			memcpy(out + used, recs[i].data, recs[i].len);
			used += recs[i].len;
			out[used++] = '\n';
			out[used] = '\0';
		}
		spool_commit(s, (size_t)n);
	}
	assert_int_equal(n, 0);
}

static void
test_spool_records_come_back_in_order_and_the_file_goes_when_delivered(void **state)
{
	struct fixture *fx = *state;
	char err[256], out[256];
	struct spool *s = spool_open(fx->dir, 0, (uid_t)-1, err, sizeof(err));
	struct spool_counters c;
	struct stat sb;

	assert_non_null(s);
	assert_false(spool_pending(s));
	assert_int_equal(spool_append(s, "{\"a\":1}", 7, err, sizeof(err)), 0);
	assert_int_equal(spool_append(s, "{\"b\":2}", 7, err, sizeof(err)), 0);
	assert_true(spool_pending(s));
	snprintf(fx->path, sizeof(fx->path), "%s/spool-%020u.jsonl", fx->dir, 1u);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	spool_counters(s, &c);
	assert_int_equal(c.bytes, 16);
	drain(s, out, sizeof(out));
	assert_string_equal(out, "{\"a\":1}\n{\"b\":2}\n");
	assert_false(spool_pending(s));
	assert_int_equal(count_files(fx), 0);
	spool_counters(s, &c);
	assert_int_equal(c.bytes, 0);
	spool_close(s);
}

static void
test_spool_an_uncommitted_record_is_read_again(void **state)
{
	struct fixture *fx = *state;
	struct spool_rec recs[4];
	char err[256], out[256];
	struct spool *s = spool_open(fx->dir, 0, (uid_t)-1, err, sizeof(err));

	assert_non_null(s);
	assert_int_equal(spool_append(s, "one", 3, err, sizeof(err)), 0);
	assert_int_equal(spool_append(s, "two", 3, err, sizeof(err)), 0);
	assert_int_equal(spool_read(s, recs, 4, err, sizeof(err)), 2);
	spool_commit(s, 1); /* "two" was not acknowledged */
	assert_int_equal(spool_append(s, "three", 5, err, sizeof(err)), 0);
	drain(s, out, sizeof(out));
	assert_string_equal(out, "two\nthree\n");
	spool_close(s);
}

static void
test_spool_files_of_an_earlier_run_come_first_in_their_order(void **state)
{
	struct fixture *fx = *state;
	char err[256], out[256];
	struct spool *s;

	write_spool_file(fx, 12, "second\n", 7);
	write_spool_file(fx, 3, "first\n", 6);
	snprintf(fx->path, sizeof(fx->path), "%s/notes.txt", fx->dir);
	fclose(fopen(fx->path, "w")); /* not a spool file: left alone */
	s = spool_open(fx->dir, 0, (uid_t)-1, err, sizeof(err));
	assert_non_null(s);
	assert_true(spool_pending(s));
	assert_int_equal(spool_append(s, "new", 3, err, sizeof(err)), 0);
	/* The new file is numbered after the old ones. */
	snprintf(fx->path, sizeof(fx->path), "%s/spool-%020u.jsonl", fx->dir, 13u);
	assert_int_equal(access(fx->path, F_OK), 0);
	drain(s, out, sizeof(out));
	assert_string_equal(out, "first\nsecond\nnew\n");
	assert_int_equal(count_files(fx), 1);
	spool_close(s);
}

static void
test_spool_an_incomplete_last_line_is_skipped_and_counted(void **state)
{
	struct fixture *fx = *state;
	const char crash[] = "{\"a\":1}\n{\"b\":2}\n{\"c\":";
	char err[256], out[256];
	struct spool_counters c;
	struct spool *s;

	write_spool_file(fx, 1, crash, sizeof(crash) - 1);
	write_spool_file(fx, 2, "{\"d\":4}\n", 8);
	s = spool_open(fx->dir, 0, (uid_t)-1, err, sizeof(err));
	assert_non_null(s);
	drain(s, out, sizeof(out));
	assert_string_equal(out, "{\"a\":1}\n{\"b\":2}\n{\"d\":4}\n");
	spool_counters(s, &c);
	assert_int_equal(c.partial, 1);
	assert_int_equal(c.files, 0);
	assert_int_equal(count_files(fx), 0);
	spool_close(s);
}

static void
test_spool_empty_files_and_empty_lines_give_nothing(void **state)
{
	struct fixture *fx = *state;
	char err[256], out[256];
	struct spool_counters c;
	struct spool *s;

	write_spool_file(fx, 1, "", 0);
	write_spool_file(fx, 2, "\n\n", 2);
	write_spool_file(fx, 3, "\nx\n\n", 4);
	s = spool_open(fx->dir, 0, (uid_t)-1, err, sizeof(err));
	assert_non_null(s);
	assert_true(spool_pending(s));
	drain(s, out, sizeof(out));
	assert_string_equal(out, "x\n");
	spool_counters(s, &c);
	assert_int_equal(c.partial, 0);
	assert_false(spool_pending(s));
	assert_int_equal(count_files(fx), 0);
	spool_close(s);
}

static void
test_spool_a_line_longer_than_the_read_buffer_comes_back_whole(void **state)
{
	struct fixture *fx = *state;
	struct spool_rec recs[2];
	size_t big = 700u << 10;
	char err[256], *line = malloc(big);
	struct spool *s = spool_open(fx->dir, 0, (uid_t)-1, err, sizeof(err));

	assert_non_null(line);
	memset(line, 'x', big);
	assert_int_equal(spool_append(s, line, big, err, sizeof(err)), 0);
	assert_int_equal(spool_append(s, "y", 1, err, sizeof(err)), 0);
	assert_int_equal(spool_read(s, recs, 2, err, sizeof(err)), 2);
	assert_int_equal(recs[0].len, big);
	assert_memory_equal(recs[0].data, line, big);
	assert_int_equal(recs[1].len, 1);
	spool_commit(s, 2);
	assert_false(spool_pending(s));
	free(line);
	spool_close(s);
}

/* Past SPOOL_FILE_BYTES a new file is started, so that the first one goes
 * as soon as its records are delivered, while the rest still waits. */
static void
test_spool_a_full_file_gives_way_to_a_new_one_removed_apart(void **state)
{
	struct fixture *fx = *state;
	struct spool_rec recs[SPOOL_READ_MAX];
	size_t len = 64u << 10, per_file = SPOOL_FILE_BYTES / (len + 1) + 1, total = per_file + 6;
	size_t committed = 0;
	char err[256], *rec = malloc(len);
	struct spool *s = spool_open(fx->dir, 0, (uid_t)-1, err, sizeof(err));
	int n;

	assert_non_null(rec);
	assert_non_null(s);
	for (size_t i = 0; i < total; i++) {
		memset(rec, 'a' + (int)(i % 26), len);
		assert_int_equal(spool_append(s, rec, len, err, sizeof(err)), 0);
	}
	assert_int_equal(count_files(fx), 2);
	while ((n = spool_read(s, recs, SPOOL_READ_MAX, err, sizeof(err))) > 0) {
		for (int i = 0; i < n; i++) {
			assert_int_equal(recs[i].len, len);
			assert_int_equal(recs[i].data[0],
					 'a' + (int)((committed + (size_t)i) % 26));
		}
		spool_commit(s, (size_t)n);
		committed += (size_t)n;
		assert_int_equal(count_files(fx), committed < per_file ? 2
						  : committed < total  ? 1
								       : 0);
	}
	assert_int_equal(committed, total);
	free(rec);
	spool_close(s);
}

static void
test_spool_past_its_size_bound_records_are_refused(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	struct spool *s = spool_open(fx->dir, 20, (uid_t)-1, err, sizeof(err));

	assert_non_null(s);
	assert_int_equal(spool_append(s, "123456789", 9, err, sizeof(err)), 0);
	assert_int_equal(spool_append(s, "123456789", 9, err, sizeof(err)), 0);
	assert_int_equal(spool_append(s, "1", 1, err, sizeof(err)), 1);
	spool_close(s);
	/* The files of the earlier run count towards the bound. */
	s = spool_open(fx->dir, 21, (uid_t)-1, err, sizeof(err));
	assert_int_equal(spool_append(s, "1", 1, err, sizeof(err)), 1);
	spool_close(s);
}

static void
test_spool_refuses_a_writable_directory_a_symlink_and_a_second_process(void **state)
{
	struct fixture *fx = *state;
	char err[256], sub[128];
	struct spool *s, *t;

	assert_int_equal(chmod(fx->dir, 0777), 0);
	assert_null(spool_open(fx->dir, 0, (uid_t)-1, err, sizeof(err)));
	assert_non_null(strstr(err, "writable"));
	assert_int_equal(chmod(fx->dir, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/real", fx->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(fx->path, sizeof(fx->path), "%s/link", fx->dir);
	assert_int_equal(symlink(sub, fx->path), 0);
	assert_null(spool_open(fx->path, 0, (uid_t)-1, err, sizeof(err)));
	assert_non_null(strstr(err, "symlink"));
	s = spool_open(sub, 0, (uid_t)-1, err, sizeof(err));
	assert_non_null(s);
	t = spool_open(sub, 0, (uid_t)-1, err, sizeof(err));
	assert_null(t);
	assert_non_null(strstr(err, "in use"));
	spool_close(s);
}

static void
test_spool_a_planted_symlink_with_a_spool_name_is_not_read(void **state)
{
	struct fixture *fx = *state;
	char err[256], out[64], target[128];
	struct spool_counters c;
	struct spool *s;

	snprintf(target, sizeof(target), "%s/secret", fx->dir);
	write_spool_file(fx, 1, "ok\n", 3);
	{
		FILE *f = fopen(target, "w");

		assert_non_null(f);
		fputs("secret\n", f);
		fclose(f);
	}
	snprintf(fx->path, sizeof(fx->path), "%s/spool-%020u.jsonl", fx->dir, 2u);
	assert_int_equal(symlink(target, fx->path), 0);
	s = spool_open(fx->dir, 0, (uid_t)-1, err, sizeof(err));
	assert_non_null(s);
	drain(s, out, sizeof(out));
	assert_string_equal(out, "ok\n");
	spool_counters(s, &c);
	assert_int_equal(c.skipped, 1);
	spool_close(s);
	assert_int_equal(access(target, F_OK), 0);
}

/* A name that was set aside (here a symlink, the newest name) still holds
 * its number: the next file written gets a later one, so that appending
 * does not fail on O_EXCL for ever. */
static void
test_spool_a_set_aside_name_does_not_block_new_files(void **state)
{
	struct fixture *fx = *state;
	char err[256], out[64], target[128];
	struct spool *s;

	snprintf(target, sizeof(target), "%s/elsewhere", fx->dir);
	snprintf(fx->path, sizeof(fx->path), "%s/spool-%020u.jsonl", fx->dir, 1u);
	assert_int_equal(symlink(target, fx->path), 0);
	s = spool_open(fx->dir, 0, (uid_t)-1, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(spool_append(s, "one", 3, err, sizeof(err)), 0);
	drain(s, out, sizeof(out));
	assert_string_equal(out, "one\n");
	spool_close(s);
	assert_int_equal(access(target, F_OK), -1); /* nothing written through it */
}

/* A file that turns out unreadable at replay (here a directory put in its
 * place after the spool was opened) is set aside: left where it is, counted
 * and named, so that the caller can say its records were not delivered;
 * the next file is read. */
static void
test_spool_a_file_unreadable_at_replay_is_left_in_place_counted_and_named(void **state)
{
	struct fixture *fx = *state;
	char err[256], out[64], first[160];
	struct spool_rec recs[SPOOL_READ_MAX];
	struct spool_counters c;
	struct spool *s;
	struct stat sb;

	write_spool_file(fx, 1, "lost\n", 5);
	snprintf(first, sizeof(first), "%s", fx->path);
	write_spool_file(fx, 2, "kept\n", 5);
	s = spool_open(fx->dir, 0, (uid_t)-1, err, sizeof(err));
	assert_non_null(s);
	spool_counters(s, &c);
	assert_int_equal(c.files, 2);
	assert_int_equal(c.skipped, 0);
	assert_string_equal(c.skipped_name, "");
	assert_int_equal(unlink(first), 0);
	assert_int_equal(mkdir(first, 0700), 0);
	assert_int_equal(spool_read(s, recs, SPOOL_READ_MAX, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "spool-00000000000000000001.jsonl"));
	assert_non_null(strstr(err, "set aside"));
	drain(s, out, sizeof(out));
	assert_string_equal(out, "kept\n");
	spool_counters(s, &c);
	assert_int_equal(c.skipped, 1);
	assert_string_equal(c.skipped_name, "spool-00000000000000000001.jsonl");
	assert_int_equal(c.files, 0);
	assert_false(spool_pending(s));
	spool_close(s);
	assert_int_equal(stat(first, &sb), 0); /* never removed */
	assert_true(S_ISDIR(sb.st_mode));
}

/* A file set aside when the spool is opened (a symlink) is named too. */
static void
test_spool_a_file_set_aside_at_open_is_named(void **state)
{
	struct fixture *fx = *state;
	char err[256], target[128];
	struct spool_counters c;
	struct spool *s;

	snprintf(target, sizeof(target), "%s/elsewhere", fx->dir);
	snprintf(fx->path, sizeof(fx->path), "%s/spool-%020u.jsonl", fx->dir, 7u);
	assert_int_equal(symlink(target, fx->path), 0);
	s = spool_open(fx->dir, 0, (uid_t)-1, err, sizeof(err));
	assert_non_null(s);
	spool_counters(s, &c);
	assert_int_equal(c.skipped, 1);
	assert_string_equal(c.skipped_name, "spool-00000000000000000007.jsonl");
	spool_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_spool_records_come_back_in_order_and_the_file_goes_when_delivered),
		T(test_spool_an_uncommitted_record_is_read_again),
		T(test_spool_files_of_an_earlier_run_come_first_in_their_order),
		T(test_spool_an_incomplete_last_line_is_skipped_and_counted),
		T(test_spool_empty_files_and_empty_lines_give_nothing),
		T(test_spool_a_line_longer_than_the_read_buffer_comes_back_whole),
		T(test_spool_a_full_file_gives_way_to_a_new_one_removed_apart),
		T(test_spool_past_its_size_bound_records_are_refused),
		T(test_spool_refuses_a_writable_directory_a_symlink_and_a_second_process),
		T(test_spool_a_planted_symlink_with_a_spool_name_is_not_read),
		T(test_spool_a_set_aside_name_does_not_block_new_files),
		T(test_spool_a_file_unreadable_at_replay_is_left_in_place_counted_and_named),
		T(test_spool_a_file_set_aside_at_open_is_named),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
