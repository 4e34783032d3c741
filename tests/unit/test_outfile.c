/*
 * test_outfile.c - output files cannot be redirected by planted links, are
 * private (0600), and directories others may write to are refused.
 * Regression tests for hardening finding 2 (symlink overwrite via --evidence).
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

#include "evidence.h"
#include "outfile.h"

struct fixture {
	char dir[64];
	char path[128];
	char target[128];
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/tlswatch-outfile-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->target, sizeof(fx->target), "%s/victim", fx->dir);
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

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
assert_file_is(const char *path, const char *text)
{
	char buf[64] = {0};
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	assert_true(fread(buf, 1, sizeof(buf) - 1, f) <= strlen(text));
	fclose(f);
	assert_string_equal(buf, text);
}

static void
test_outfile_create_refuses_a_planted_symlink_and_leaves_its_target_alone(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	int dfd, fd;

	write_file(fx->target, "precious");
	snprintf(fx->path, sizeof(fx->path), "%s/session1.pcap", fx->dir);
	assert_int_equal(symlink(fx->target, fx->path), 0);
	dfd = outfile_dir_open(fx->dir, false, (uid_t)-1, err, sizeof(err));
	assert_true(dfd >= 0);
	fd = outfile_create_at(dfd, "session1.pcap", err, sizeof(err));
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err, "session1.pcap"));
	assert_file_is(fx->target, "precious");
	close(dfd);
}

static void
test_outfile_create_refuses_an_existing_name(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	int dfd;

	write_file(fx->target, "old");
	dfd = outfile_dir_open(fx->dir, false, (uid_t)-1, err, sizeof(err));
	assert_true(dfd >= 0);
	assert_int_equal(outfile_create_at(dfd, "victim", err, sizeof(err)), -1);
	assert_file_is(fx->target, "old");
	close(dfd);
}

static void
test_outfile_created_files_are_private(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	struct stat sb;
	int dfd, fd;
	FILE *f;

	dfd = outfile_dir_open(fx->dir, false, (uid_t)-1, err, sizeof(err));
	fd = outfile_create_at(dfd, "new.pcap", err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	close(fd);
	close(dfd);
	snprintf(fx->path, sizeof(fx->path), "%s/out.jsonl", fx->dir);
	f = outfile_open(fx->path, err, sizeof(err));
	assert_non_null(f);
	fclose(f);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void
test_outfile_dir_open_refuses_a_symlink_a_file_and_a_writable_directory(void **state)
{
	struct fixture *fx = *state;
	char err[256], real[128];
	int dfd;

	snprintf(real, sizeof(real), "%s/real", fx->dir);
	assert_int_equal(mkdir(real, 0700), 0);
	snprintf(fx->path, sizeof(fx->path), "%s/link", fx->dir);
	assert_int_equal(symlink(real, fx->path), 0);
	assert_int_equal(outfile_dir_open(fx->path, true, (uid_t)-1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "symlink"));

	write_file(fx->target, "x");
	assert_int_equal(outfile_dir_open(fx->target, true, (uid_t)-1, err, sizeof(err)), -1);

	assert_int_equal(chmod(real, 0777), 0);
	assert_int_equal(outfile_dir_open(real, false, (uid_t)-1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "writable by others"));
	assert_int_equal(chmod(real, 0770), 0);
	assert_int_equal(outfile_dir_open(real, false, (uid_t)-1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "writable by its group"));
	assert_int_equal(chmod(real, 0750), 0);
	dfd = outfile_dir_open(real, false, (uid_t)-1, err, sizeof(err));
	assert_true(dfd >= 0);
	close(dfd);
	assert_int_equal(outfile_check_parent("/tmp/x.state", (uid_t)-1, err, sizeof(err)), -1);
}

static void
test_outfile_dir_open_creates_a_missing_directory_private(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	struct stat sb;
	int dfd;

	snprintf(fx->path, sizeof(fx->path), "%s/evidence", fx->dir);
	dfd = outfile_dir_open(fx->path, true, (uid_t)-1, err, sizeof(err));
	assert_true(dfd >= 0);
	close(dfd);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
}

static void
test_outfile_dir_owned_by_another_user_is_refused_unless_it_is_the_z_user(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	int dfd;

	if (geteuid() != 0)
		skip(); /* chown needs root; CI and make check run as root */
	snprintf(fx->path, sizeof(fx->path), "%s/other", fx->dir);
	assert_int_equal(mkdir(fx->path, 0700), 0);
	assert_int_equal(chown(fx->path, 65534, 65534), 0);
	assert_int_equal(outfile_dir_open(fx->path, false, (uid_t)-1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "owned by another user"));
	dfd = outfile_dir_open(fx->path, false, 65534, err, sizeof(err));
	assert_true(dfd >= 0);
	close(dfd);
}

static void
test_outfile_open_refuses_a_symlink_and_a_hard_link_but_writes_devices(void **state)
{
	struct fixture *fx = *state;
	char err[256], hard[128];
	FILE *f;

	write_file(fx->target, "precious");
	snprintf(fx->path, sizeof(fx->path), "%s/out.jsonl", fx->dir);
	assert_int_equal(symlink(fx->target, fx->path), 0);
	assert_null(outfile_open(fx->path, err, sizeof(err)));
	assert_non_null(strstr(err, "symbolic link"));
	snprintf(hard, sizeof(hard), "%s/hard.jsonl", fx->dir);
	assert_int_equal(link(fx->target, hard), 0);
	assert_null(outfile_open(hard, err, sizeof(err)));
	assert_non_null(strstr(err, "hard links"));
	assert_file_is(fx->target, "precious");
	f = outfile_open("/dev/null", err, sizeof(err));
	assert_non_null(f);
	fclose(f);
}

static void
test_outfile_open_truncates_the_users_own_file(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	FILE *f;

	write_file(fx->target, "a much longer old content");
	f = outfile_open(fx->target, err, sizeof(err));
	assert_non_null(f);
	fputs("new", f);
	fclose(f);
	assert_file_is(fx->target, "new");
}

static void
test_evidence_write_never_follows_a_symlink_with_the_predictable_name(void **state)
{
	struct fixture *fx = *state;
	struct evidence_stats st = {0};
	struct evidence_buf b;
	static const uint8_t frame[20] = {0x45};
	char err[256];
	int dfd;

	write_file(fx->target, "precious");
	snprintf(fx->path, sizeof(fx->path), "%s/20260101T000000Z-session1-smtp-25.pcap", fx->dir);
	assert_int_equal(symlink(fx->target, fx->path), 0);
	evidence_init(&b);
	evidence_keep(&b, &st, 12 /* DLT_RAW */, 1, frame, sizeof(frame));
	dfd = outfile_dir_open(fx->dir, false, (uid_t)-1, err, sizeof(err));
	assert_int_equal(
		evidence_write(&b, dfd, "20260101T000000Z-session1-smtp-25.pcap", err, sizeof(err)),
		-1);
	assert_file_is(fx->target, "precious");
	assert_int_equal(evidence_write(&b, dfd, "fresh.pcap", err, sizeof(err)), 0);
	evidence_free(&b, &st);
	close(dfd);
}

static void
test_outfile_open_mode_appends_to_the_users_own_file(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	FILE *f;

	snprintf(fx->path, sizeof(fx->path), "%s/out.jsonl", fx->dir);
	write_file(fx->path, "old\n");
	f = outfile_open_mode(fx->path, true, err, sizeof(err));
	assert_non_null(f);
	fputs("new\n", f);
	fclose(f);
	assert_file_is(fx->path, "old\nnew\n");
	f = outfile_open_mode(fx->path, false, err, sizeof(err));
	assert_non_null(f);
	fputs("only\n", f);
	fclose(f);
	assert_file_is(fx->path, "only\n");
}

static void
test_outfile_reopen_moves_the_stream_to_a_new_file_after_a_rename(void **state)
{
	struct fixture *fx = *state;
	char err[256], rotated[160];
	FILE *f;
	int fd;

	snprintf(fx->path, sizeof(fx->path), "%s/out.jsonl", fx->dir);
	snprintf(rotated, sizeof(rotated), "%s.1", fx->path);
	f = outfile_open_mode(fx->path, true, err, sizeof(err));
	assert_non_null(f);
	fd = fileno(f);
	fputs("a\n", f); /* still buffered: it belongs to the old file */
	assert_int_equal(rename(fx->path, rotated), 0);
	assert_int_equal(outfile_reopen(f, fx->path, err, sizeof(err)), 0);
	assert_int_equal(fileno(f), fd);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	fputs("b\n", f);
	fclose(f);
	assert_file_is(rotated, "a\n");
	assert_file_is(fx->path, "b\n");
	/* A symlink planted in the rotated file's place is refused, and the
	 * stream stays on the file it had. */
	f = outfile_open_mode(fx->path, true, err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(rename(fx->path, rotated), 0);
	assert_int_equal(symlink(fx->target, fx->path), 0);
	assert_int_equal(outfile_reopen(f, fx->path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "symbolic link"));
	fputs("c\n", f);
	fclose(f);
	assert_file_is(rotated, "b\nc\n");
	assert_int_equal(access(fx->target, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_outfile_create_refuses_a_planted_symlink_and_leaves_its_target_alone),
		T(test_outfile_create_refuses_an_existing_name),
		T(test_outfile_created_files_are_private),
		T(test_outfile_dir_open_refuses_a_symlink_a_file_and_a_writable_directory),
		T(test_outfile_dir_open_creates_a_missing_directory_private),
		T(test_outfile_dir_owned_by_another_user_is_refused_unless_it_is_the_z_user),
		T(test_outfile_open_refuses_a_symlink_and_a_hard_link_but_writes_devices),
		T(test_outfile_open_truncates_the_users_own_file),
		T(test_outfile_open_mode_appends_to_the_users_own_file),
		T(test_outfile_reopen_moves_the_stream_to_a_new_file_after_a_rename),
		T(test_evidence_write_never_follows_a_symlink_with_the_predictable_name),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
