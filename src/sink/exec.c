/*
 * exec.c - --alert-exec: runs a shell command per alert, the alert's JSON
 * Lines record (sink_json_alert, the same line --json writes) on its stdin.
 *
 * A slow or hung command must never hold up the capture, so nothing here
 * blocks while the capture runs:
 *   - at most max_running commands at once; further alerts wait in a FIFO of
 *     queue_max lines, and when that is full the alert is dropped and counted;
 *   - the line (< 4 KiB, well under a pipe's capacity) is written to a fresh
 *     pipe with a non-blocking write before the command starts, and the write
 *     end is closed, so the command reads the line and then EOF;
 *   - children are reaped with waitpid(WNOHANG) from the alert callback and
 *     sink_exec_poll; a command running longer than timeout_ms gets SIGTERM
 *     (its whole process group), then SIGKILL a second later.
 * At the end of the run (finish) queued alerts still start as slots free up,
 * for at most timeout_ms in all; then what still runs is terminated and what
 * is still queued is dropped, and one line on stderr says how many ran,
 * failed and were dropped.
 *
 * Each command runs as /bin/sh -c COMMAND in its own process group (a Ctrl-C
 * on the terminal reaches tlswatch, which then waits for the commands as
 * above), with default signal dispositions (tlswatch ignores SIGPIPE), its
 * stdout sent to tlswatch's stderr (stdout may carry the report or --json -)
 * and no other descriptor of tlswatch open.
 *
 * Not handled: a per-command environment (e.g. TLSWATCH_KIND=...), retrying
 * a failed command.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alertout.h"

#define EXEC_KILL_GRACE_MS 1000 /* SIGTERM, then SIGKILL after this */
#define EXEC_POLL_MS 10		/* the end-of-run wait polls this often */

extern char **environ;

struct exec_job {
	pid_t pid;
	uint64_t started_ms;
	uint64_t term_ms; /* when SIGTERM was sent, 0 if not */
};

struct exec_line {
	char *s;
	size_t len;
};

struct exec_state {
	char *command;
	unsigned max_running, queue_max, timeout_ms;
	struct exec_job *jobs; /* max_running slots, n_jobs used */
	size_t n_jobs;
	struct exec_line *queue; /* ring of queue_max */
	size_t q_head, q_len;
	struct alertout_counters c;
	bool warned_failed, warned_dropped;
};

static uint64_t
exec_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Counts a failure; the first one of the run is also told on stderr. */
static void __attribute__((format(printf, 2, 3)))
exec_fail(struct exec_state *st, const char *fmt, ...)
{
	va_list ap;

	st->c.failed++;
	if (st->warned_failed)
		return;
	st->warned_failed = true;
	fputs("tlswatch: --alert-exec: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (further failures are only counted)\n", stderr);
}

static void
exec_drop(struct exec_state *st, uint64_t n, const char *why)
{
	st->c.dropped += n;
	if (st->warned_dropped || n == 0)
		return;
	st->warned_dropped = true;
	fprintf(stderr, "tlswatch: --alert-exec: %s: alerts are dropped and counted\n", why);
}

/* The alert's JSON Lines record in a malloc'd buffer. Returns 0, or -1. */
static int
exec_render(const struct alert *a, struct exec_line *line)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return -1;
	if (sink_json_alert(f, a) < 0 || ferror(f)) {
		fclose(f);
		goto fail;
	}
	if (fclose(f) != 0)
		goto fail;
	line->s = s;
	line->len = len;
	return 0;
fail:
	free(s);
	return -1;
}

/* Starts the command with line on its stdin; counts a failure to start.
 * Does not take ownership of line. */
static void
exec_start(struct exec_state *st, const struct exec_line *line)
{
	char *argv[] = {"sh", "-c", st->command, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	bool fa_ok = false, attr_ok = false;
	int fds[2] = {-1, -1};
	sigset_t sigs;
	ssize_t n;
	pid_t pid;
	int rc;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		exec_fail(st, "cannot make a pipe: %s", strerror(errno));
		goto fail;
	}
	/* Non-blocking on our end only: the command's stdin stays blocking. */
	if (fcntl(fds[1], F_SETFL, O_NONBLOCK) < 0) {
		exec_fail(st, "cannot make the pipe non-blocking: %s", strerror(errno));
		goto fail;
	}
	n = write(fds[1], line->s, line->len);
	if (n < 0 || (size_t)n != line->len) {
		exec_fail(st, "the alert (%zu bytes) could not be written to the pipe", line->len);
		goto fail;
	}
	close(fds[1]);
	fds[1] = -1;

	if (posix_spawn_file_actions_init(&fa) != 0) {
		exec_fail(st, "out of memory");
		goto fail;
	}
	fa_ok = true;
	if (posix_spawnattr_init(&attr) != 0) {
		exec_fail(st, "out of memory");
		goto fail;
	}
	attr_ok = true;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGPIPE);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGQUIT);
	sigaddset(&sigs, SIGCHLD);
	rc = posix_spawnattr_setsigdefault(&attr, &sigs);
	sigemptyset(&sigs);
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(&attr, &sigs);
	if (rc == 0)
		rc = posix_spawnattr_setpgroup(&attr, 0);
	if (rc == 0)
		rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
							     POSIX_SPAWN_SETSIGMASK |
							     POSIX_SPAWN_SETPGROUP);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	if (rc == 0)
		rc = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
#endif
	if (rc != 0) {
		exec_fail(st, "cannot prepare the command: %s", strerror(rc));
		goto fail;
	}
	rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
	if (rc != 0) {
		exec_fail(st, "cannot start /bin/sh: %s", strerror(rc));
		goto fail;
	}
	st->jobs[st->n_jobs].pid = pid;
	st->jobs[st->n_jobs].started_ms = exec_now_ms();
	st->jobs[st->n_jobs].term_ms = 0;
	st->n_jobs++;
	st->c.ran++;
	/* Started: the cleanup below is the same on success. */
fail:
	if (attr_ok)
		posix_spawnattr_destroy(&attr);
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
}

/* Counts how a finished command ended. */
static void
exec_account(struct exec_state *st, const struct exec_job *j, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		st->c.sent++;
	else if (WIFEXITED(status))
		exec_fail(st, "the command exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && j->term_ms)
		exec_fail(st, "the command was terminated after %.1f s",
			  (double)(j->term_ms - j->started_ms) / 1000.0);
	else if (WIFSIGNALED(status))
		exec_fail(st, "the command was killed by signal %d", WTERMSIG(status));
	else
		exec_fail(st, "the command ended with wait status %d", status);
}

/* Collects finished commands and signals overdue ones; never blocks. */
static void
exec_reap(struct exec_state *st)
{
	uint64_t now = exec_now_ms();
	size_t i = 0;

	while (i < st->n_jobs) {
		struct exec_job *j = &st->jobs[i];
		int status = 0;
		pid_t r = waitpid(j->pid, &status, WNOHANG);

		if (r == j->pid || (r < 0 && errno == ECHILD)) {
			if (r == j->pid)
				exec_account(st, j, status);
			else
				exec_fail(st, "the exit status of pid %ld was lost", (long)j->pid);
			st->jobs[i] = st->jobs[--st->n_jobs];
			continue;
		}
		if (j->term_ms == 0 && now - j->started_ms >= st->timeout_ms) {
			kill(-j->pid, SIGTERM);
			j->term_ms = now ? now : 1;
		} else if (j->term_ms && now - j->term_ms >= EXEC_KILL_GRACE_MS) {
			kill(-j->pid, SIGKILL);
		}
		i++;
	}
}

/* Reaps, then starts queued alerts while there are free slots. */
static void
exec_pump(struct exec_state *st)
{
	exec_reap(st);
	while (st->q_len && st->n_jobs < st->max_running) {
		struct exec_line *l = &st->queue[st->q_head];

		exec_start(st, l);
		free(l->s);
		l->s = NULL;
		st->q_head = (st->q_head + 1) % st->queue_max;
		st->q_len--;
	}
}

static void
exec_alert(struct sink *k, const struct alert *a)
{
	struct exec_state *st = k->priv;
	struct exec_line line;

	st->c.alerts++;
	exec_pump(st);
	if (exec_render(a, &line) < 0) {
		exec_fail(st, "out of memory rendering an alert");
		return;
	}
	if (st->n_jobs < st->max_running) {
		exec_start(st, &line);
	} else if (st->q_len < st->queue_max) {
		st->queue[(st->q_head + st->q_len) % st->queue_max] = line;
		st->q_len++;
		return; /* the queue owns the line now */
	} else {
		exec_drop(st, 1, "every command slot is busy and the queue is full");
	}
	free(line.s);
}

static void
exec_sleep_ms(unsigned ms)
{
	struct timespec ts = {0, (long)ms * 1000000L};

	nanosleep(&ts, NULL);
}

/* Runs what is queued for at most wait_ms, then drops what is still queued
 * and terminates (SIGTERM, SIGKILL) what still runs. Blocks at most
 * wait_ms + EXEC_KILL_GRACE_MS, plus whatever a SIGKILLed process takes. */
static void
exec_shutdown(struct exec_state *st, unsigned wait_ms)
{
	uint64_t deadline = exec_now_ms() + wait_ms;

	for (;;) {
		exec_pump(st);
		if ((st->n_jobs == 0 && st->q_len == 0) || exec_now_ms() >= deadline)
			break;
		exec_sleep_ms(EXEC_POLL_MS);
	}
	if (st->q_len) {
		exec_drop(st, st->q_len, "the end-of-run wait ran out with alerts still queued");
		while (st->q_len) {
			free(st->queue[st->q_head].s);
			st->queue[st->q_head].s = NULL;
			st->q_head = (st->q_head + 1) % st->queue_max;
			st->q_len--;
		}
	}
	if (st->n_jobs == 0)
		return;
	for (size_t i = 0; i < st->n_jobs; i++) {
		kill(-st->jobs[i].pid, SIGTERM);
		st->jobs[i].term_ms = exec_now_ms();
	}
	deadline = exec_now_ms() + EXEC_KILL_GRACE_MS;
	while (st->n_jobs && exec_now_ms() < deadline) {
		exec_sleep_ms(EXEC_POLL_MS);
		exec_reap(st);
	}
	for (size_t i = 0; i < st->n_jobs; i++) {
		int status = 0;

		kill(-st->jobs[i].pid, SIGKILL);
		if (waitpid(st->jobs[i].pid, &status, 0) == st->jobs[i].pid)
			exec_account(st, &st->jobs[i], status);
		else
			exec_fail(st, "the exit status of pid %ld was lost", (long)st->jobs[i].pid);
	}
	st->n_jobs = 0;
}

static void
exec_session(struct sink *k, const struct session *s)
{
	(void)k;
	(void)s;
}

static void
exec_finish(struct sink *k, struct summary *sum, const struct stats *stats)
{
	struct exec_state *st = k->priv;

	(void)sum;
	(void)stats;
	exec_shutdown(st, st->timeout_ms);
	if (st->c.alerts)
		fprintf(stderr,
			"tlswatch: --alert-exec: %" PRIu64 " alerts: %" PRIu64
			" commands ran, %" PRIu64 " succeeded, %" PRIu64 " failed, %" PRIu64
			" dropped\n",
			st->c.alerts, st->c.ran, st->c.sent, st->c.failed, st->c.dropped);
}

static void
exec_state_free(struct exec_state *st)
{
	if (!st)
		return;
	if (st->jobs && st->queue && (st->n_jobs || st->q_len))
		exec_shutdown(st, 0);
	free(st->jobs);
	free(st->queue);
	free(st->command);
	free(st);
}

static void
exec_free(struct sink *k)
{
	if (!k)
		return;
	exec_state_free(k->priv);
	free(k);
}

void
alertout_exec_defaults(struct alertout_exec_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_running = ALERTOUT_EXEC_RUNNING;
	o->queue_max = ALERTOUT_EXEC_QUEUE;
	o->timeout_ms = ALERTOUT_EXEC_TIMEOUT_MS;
}

struct sink *
sink_exec_new(const struct alertout_exec_opts *o, char *err, size_t errsz)
{
	struct sink *k = NULL;
	struct exec_state *st = NULL;

	if (!o->command || !*o->command) {
		snprintf(err, errsz, "--alert-exec: empty command");
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	st = calloc(1, sizeof(*st));
	if (!k || !st)
		goto fail;
	st->max_running = o->max_running ? o->max_running : ALERTOUT_EXEC_RUNNING;
	st->queue_max = o->queue_max;
	st->timeout_ms = o->timeout_ms ? o->timeout_ms : ALERTOUT_EXEC_TIMEOUT_MS;
	st->command = strdup(o->command);
	st->jobs = calloc(st->max_running, sizeof(*st->jobs));
	/* One slot even without a queue keeps the ring arithmetic simple. */
	st->queue = calloc(st->queue_max ? st->queue_max : 1, sizeof(*st->queue));
	if (!st->command || !st->jobs || !st->queue)
		goto fail;
	k->session = exec_session;
	k->alert = exec_alert;
	k->finish = exec_finish;
	k->free = exec_free;
	k->priv = st;
	return k;
fail:
	snprintf(err, errsz, "--alert-exec: out of memory");
	exec_state_free(st);
	free(k);
	return NULL;
}

void
sink_exec_poll(struct sink *k)
{
	exec_pump(k->priv);
}

void
sink_exec_counters(const struct sink *k, struct alertout_counters *c)
{
	const struct exec_state *st = k->priv;

	*c = st->c;
}
