/*
 * screen.c - the dashboard's terminal: opening the screen and giving it
 * back, the crash handler, which thread gets which signal, and the UI
 * thread's loop (keys in, a frame out when something changed).
 *
 * The screen is opened on stdout (keys come from /dev/tty, so `-r -` still
 * works) and given back by wait() or free() of the sink; main calls one of
 * them on every path, SIGINT and SIGTERM included. While the dashboard is
 * up, a stderr that is a terminal is diverted to a temporary file and
 * replayed once the screen is closed, so messages never scribble over it.
 * A crash (SIGSEGV, SIGABRT ...) restores the tty modes, leaves the
 * alternate screen and puts stderr back before the default action runs.
 *
 * Characters: the locale's character type is taken from the environment
 * (LC_ALL, LC_CTYPE, LANG) only when it is UTF-8, for the sparkline's block
 * characters (ncursesw needs the locale to write them); anything else
 * leaves the C locale and the ASCII marks. Numbers keep the C locale
 * (LC_NUMERIC is never set), and LC_CTYPE is put back on close.
 *
 * Colours: encrypted green, cleartext yellow, downgraded / failed / alerts
 * red. NO_COLOR (https://no-color.org) or a terminal without colours gets
 * attributes only (draw.c); every state also has a marker (+ ~ ! x ?) so
 * the screen reads the same in monochrome.
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "dashboard.h"

/* ---- Crash restore ------------------------------------------------------------
 * A signal handler can only reach static data: these hold what it needs to
 * give the terminal back (set up while the screen is open, cleared after). */
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define N_CRASH_SIGNALS (sizeof(crash_signals) / sizeof(crash_signals[0]))
static struct sigaction crash_old[N_CRASH_SIGNALS];
static struct termios crash_termios;
static bool crash_termios_ok;
static char crash_seq[256];
static size_t crash_seq_len;
static volatile sig_atomic_t crash_armed;
static bool crash_installed;
static volatile sig_atomic_t crash_stderr = -1;

static void
crash_handler(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	if (crash_armed) {
		crash_armed = 0;
		if (crash_termios_ok)
			tcsetattr(STDOUT_FILENO, TCSANOW, &crash_termios);
		if (crash_seq_len && write(STDOUT_FILENO, crash_seq, crash_seq_len) < 0) {
			/* nothing more can be done */
		}
		if (crash_stderr >= 0)
			dup2(crash_stderr, STDERR_FILENO);
	}
	for (size_t i = 0; i < N_CRASH_SIGNALS; i++)
		if (crash_signals[i] == sig)
			sigaction(sig, &crash_old[i], NULL);
	/* A fault repeats under the previous action when this returns; a signal
	 * sent by someone must be raised again. */
	if (info && info->si_code <= 0)
		raise(sig);
}

static void
crash_seq_add(const char *capname)
{
	char *s = tigetstr((char *)capname);
	size_t n;

	if (!s || s == (char *)-1)
		return;
	n = strlen(s);
	if (crash_seq_len + n < sizeof(crash_seq)) {
		memcpy(crash_seq + crash_seq_len, s, n);
		crash_seq_len += n;
	}
}

static void
crash_arm(int saved_stderr)
{
	struct sigaction sa;

	crash_seq_len = 0;
	crash_seq_add("sgr0");
	crash_seq_add("cnorm");
	crash_seq_add("rmkx");
	crash_seq_add("rmcup");
	crash_stderr = saved_stderr;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = crash_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_CRASH_SIGNALS; i++)
		sigaction(crash_signals[i], &sa, &crash_old[i]);
	crash_installed = true;
	crash_armed = 1;
}

static void
crash_disarm(void)
{
	crash_armed = 0;
	if (!crash_installed)
		return;
	crash_installed = false;
	for (size_t i = 0; i < N_CRASH_SIGNALS; i++)
		sigaction(crash_signals[i], &crash_old[i], NULL);
	crash_stderr = -1;
}

/* ---- The clock ---------------------------------------------------------------------- */

uint64_t
tui_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- The UI thread ------------------------------------------------------------------ */

static void *
ui_main(void *arg)
{
	struct tui *t = arg;
	uint64_t last_draw = 0;

	tui_draw(t);
	last_draw = tui_now_us();
	while (!atomic_load(&t->stop_ui)) {
		int ch = getch();
		bool keyed = false;
		uint64_t now;

		while (ch != ERR) {
			if (!tui_key(t, ch)) {
				/* q, and t->quit is set. A live capture may be
				 * blocked waiting for packets: the capture thread's
				 * SIGINT handler stops it at once and restores the
				 * screen on the way out. */
				pthread_kill(t->capture_thread, SIGINT);
				break;
			}
			keyed = true;
			/* Take what is already typed without waiting. */
			timeout(0);
			ch = getch();
			timeout(UI_TICK_MS);
		}
		if (atomic_load(&t->quit))
			break;
		now = tui_now_us();
		if (keyed || now - last_draw >= 1000000 ||
		    (now - last_draw >= UI_TICK_MS * 1000u &&
		     atomic_load(&t->gen) != t->drawn_gen) ||
		    (t->status[0] && now >= t->status_until)) {
			if (t->status[0] && now >= t->status_until)
				t->status[0] = '\0';
			tui_draw(t);
			last_draw = now;
		}
	}
	atomic_store(&t->ui_ended, true);
	return NULL;
}

/* ---- The character set ------------------------------------------------------------------ */

/* Takes LC_CTYPE from the environment when it names UTF-8; true then. */
static bool
locale_utf8_on(struct tui *t)
{
	const char *cur = setlocale(LC_CTYPE, NULL);
	const char *cs;

	snprintf(t->saved_ctype, sizeof(t->saved_ctype), "%s", cur ? cur : "C");
	if (!setlocale(LC_CTYPE, ""))
		return false;
	cs = nl_langinfo(CODESET);
	if (cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0)) {
		t->locale_set = true;
		return true;
	}
	setlocale(LC_CTYPE, t->saved_ctype);
	return false;
}

static void
locale_restore(struct tui *t)
{
	if (t->locale_set)
		setlocale(LC_CTYPE, t->saved_ctype);
	t->locale_set = false;
}

/* ---- Opening and closing the screen --------------------------------------------------- */

void
tui_screen_close(struct tui *t)
{
	if (t->closed)
		return;
	t->closed = true;
	if (t->running) {
		atomic_store(&t->stop_ui, true);
		pthread_join(t->thread, NULL);
		t->running = false;
	}
	if (t->scr) {
		endwin();
		delscreen(t->scr);
		t->scr = NULL;
		fflush(stdout);
	}
	crash_disarm();
	locale_restore(t);
	if (t->tty_in) {
		fclose(t->tty_in);
		t->tty_in = NULL;
	}
	pthread_sigmask(SIG_SETMASK, &t->saved_mask, NULL);
	/* Messages written while the screen was up, now that it is gone. */
	if (t->err_file) {
		char buf[4096];
		size_t n;

		fflush(stderr);
		dup2(t->saved_stderr, STDERR_FILENO);
		close(t->saved_stderr);
		rewind(t->err_file);
		while ((n = fread(buf, 1, sizeof(buf), t->err_file)) > 0)
			fwrite(buf, 1, n, stderr);
		fclose(t->err_file);
		t->err_file = NULL;
		fflush(stderr);
	}
}

int
tui_screen_open(struct tui *t, char *err, size_t errsz)
{
	sigset_t block;
	const char *no_color = getenv("NO_COLOR");
	int rc;

	t->tty_in = fopen("/dev/tty", "r");
	if (!t->tty_in) {
		snprintf(err, errsz, "no terminal to read keys from (/dev/tty: %s)",
			 strerror(errno));
		return -1;
	}
	crash_termios_ok = tcgetattr(STDOUT_FILENO, &crash_termios) == 0;
	fflush(stdout);
	t->utf8 = locale_utf8_on(t);
	t->scr = newterm(NULL, stdout, t->tty_in);
	if (!t->scr) {
		locale_restore(t);
		const char *term = getenv("TERM");

		snprintf(err, errsz, "cannot drive the terminal (TERM=%s)", term ? term : "unset");
		fclose(t->tty_in);
		t->tty_in = NULL;
		return -1;
	}
	set_term(t->scr);
	cbreak(); /* Ctrl-C still raises SIGINT: main stops and restores the screen */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	timeout(UI_TICK_MS);
	curs_set(0);
	t->color = has_colors() && !(no_color && no_color[0]);
	if (t->color) {
		start_color();
		use_default_colors();
		init_pair(PAIR_GOOD, COLOR_GREEN, -1);
		init_pair(PAIR_WARN, COLOR_YELLOW, -1);
		init_pair(PAIR_BAD, COLOR_RED, -1);
		init_pair(PAIR_DIM, COLORS >= 16 ? 8 : COLOR_WHITE, -1);
		init_pair(PAIR_HEADING, COLOR_CYAN, -1);
		init_pair(PAIR_BAR, COLOR_WHITE, COLOR_BLUE);
	}

	t->saved_stderr = -1;
	if (isatty(STDERR_FILENO)) {
		FILE *f = tmpfile();
		int saved = f ? dup(STDERR_FILENO) : -1;

		if (f && saved >= 0 && dup2(fileno(f), STDERR_FILENO) >= 0) {
			t->err_file = f;
			t->saved_stderr = saved;
		} else {
			if (saved >= 0)
				close(saved);
			if (f)
				fclose(f);
		}
	}
	crash_arm(t->saved_stderr);

	/* SIGINT and SIGTERM go to the capture thread (main's handler stops the
	 * capture); window changes and job control go to the UI thread. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &t->saved_mask);
	rc = pthread_create(&t->thread, NULL, ui_main, t);
	pthread_sigmask(SIG_SETMASK, &t->saved_mask, NULL);
	if (rc != 0) {
		snprintf(err, errsz, "cannot start the dashboard thread: %s", strerror(rc));
		tui_screen_close(t);
		return -1;
	}
	t->running = true;
	sigemptyset(&block);
	sigaddset(&block, SIGWINCH);
	sigaddset(&block, SIGTSTP);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	return 0;
}
