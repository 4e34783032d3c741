/*
 * test_alertout.c - unit tests for the alert outputs (src/sink/syslog.c,
 * src/sink/exec.c).
 *
 * The syslog message is checked byte for byte (header, STRUCTURED-DATA, the
 * RFC 5424 PARAM-VALUE escapes, cutting at every buffer size), then the sink
 * against a real unix datagram socket made here: one datagram per alert, a
 * full socket drops and counts without blocking, a vanished one is counted.
 * The exec sink runs real /bin/sh commands: the line on stdin is the --json
 * alert record, a full queue drops and counts, overdue commands are killed,
 * failures are counted, and alerts == sent + failed + dropped at the end.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "alertout.h"
#include "sink.h"

/* 2026-11-25 08:12:13 UTC, the time of the captures. */
#define T_NOW ((time_t)1795594333)

static void
alert_fill(struct alert *a, enum alert_kind kind, enum severity sev, const char *evidence)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->severity = sev;
	a->session_id = 7;
	a->ts_us = (uint64_t)T_NOW * 1000000u + 469686u;
	a->family = 4;
	a->server_ip[0] = 127;
	a->server_ip[3] = 3;
	a->server_port = 587;
	a->client_ip[0] = 127;
	a->client_ip[3] = 1;
	a->client_port = 43416;
	a->l4 = 6;
	a->flow_id = 2995276656117235u;
	a->service = "smtp";
	snprintf(a->evidence, sizeof(a->evidence), "%s", evidence);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
setup_utc(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

/* ---- the syslog message ---- */

static void
test_alertout_syslog_message_has_the_socket_header_and_one_sd_element(void **state)
{
	struct alert a;
	char buf[ALERTOUT_SYSLOG_MAX];
	const char *want = "<84>Nov 25 08:12:13 tlswatch[42]: [tlswatch@32473 "
			   "kind=\"cleartext-login\" severity=\"high\" session=\"7\" "
			   "flow_id=\"2995276656117235\" "
			   "community_id=\"1:95Mtv+rT+ASx3iMlDGXmIM2RiK0=\" "
			   "ts=\"2026-11-25T08:12:13.469686Z\" transport=\"tcp\" "
			   "client=\"127.0.0.1:43416\" server=\"127.0.0.3:587\" "
			   "service=\"smtp\"] cleartext-login from 127.0.0.1:43416 to "
			   "127.0.0.3:587 (smtp): smtp PLAIN user=alice";
	size_t n;

	(void)state;
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "smtp PLAIN user=alice");
	n = alertout_syslog_format(buf, sizeof(buf), LOG_AUTHPRIV, &a, T_NOW, 42);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void
test_alertout_syslog_severity_maps_high_medium_low_to_warning_notice_info(void **state)
{
	struct alert a;
	char buf[ALERTOUT_SYSLOG_MAX];

	(void)state;
	assert_int_equal(alertout_syslog_level(SEVERITY_HIGH), LOG_WARNING);
	assert_int_equal(alertout_syslog_level(SEVERITY_MEDIUM), LOG_NOTICE);
	assert_int_equal(alertout_syslog_level(SEVERITY_LOW), LOG_INFO);
	alert_fill(&a, ALERT_PREAUTH_BYPASS, SEVERITY_MEDIUM, "x");
	alertout_syslog_format(buf, sizeof(buf), LOG_LOCAL7, &a, T_NOW, 1);
	assert_memory_equal(buf, "<189>", 5); /* 23 * 8 + 5 */
	alert_fill(&a, ALERT_AUTH_OFFERED_CLEARTEXT, SEVERITY_LOW, "x");
	alertout_syslog_format(buf, sizeof(buf), LOG_MAIL, &a, T_NOW, 1);
	assert_memory_equal(buf, "<22>", 4); /* 2 * 8 + 6 */
}

static void
test_alertout_syslog_param_values_escape_quote_backslash_and_bracket(void **state)
{
	struct alert a;
	char buf[ALERTOUT_SYSLOG_MAX];

	(void)state;
	alert_fill(&a, ALERT_TLS_FALLBACK, SEVERITY_HIGH, "ev]\"\\");
	a.family = 6;
	memset(a.server_ip, 0, sizeof(a.server_ip));
	a.server_ip[15] = 1;
	a.service = "a\"b\\c]d";
	alertout_syslog_format(buf, sizeof(buf), LOG_AUTH, &a, T_NOW, 1);
	assert_non_null(strstr(buf, " server=\"[::1\\]:587\" "));
	assert_non_null(strstr(buf, " service=\"a\\\"b\\\\c\\]d\"]"));
	/* The free-form message after the SD-ELEMENT is not escaped. */
	assert_non_null(strstr(buf, "(a\"b\\c]d): ev]\"\\"));
	assert_int_equal(buf[strlen(buf) - 1], '\\');
}

static void
test_alertout_syslog_message_is_one_line_of_ascii(void **state)
{
	struct alert a;
	char buf[ALERTOUT_SYSLOG_MAX];

	(void)state;
	alert_fill(&a, ALERT_CMD_INJECTION, SEVERITY_HIGH, "a\nb\xff");
	a.service = "s\r";
	alertout_syslog_format(buf, sizeof(buf), LOG_AUTHPRIV, &a, T_NOW, 1);
	assert_non_null(strstr(buf, "service=\"s\\x0d\""));
	assert_non_null(strstr(buf, "(s\\x0d): a\\x0ab\\xff"));
	for (const unsigned char *p = (const unsigned char *)buf; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
}

static void
test_alertout_syslog_message_without_service_or_evidence_ends_with_the_endpoints(void **state)
{
	struct alert a;
	char buf[ALERTOUT_SYSLOG_MAX];

	(void)state;
	alert_fill(&a, ALERT_LOGIN_BRUTEFORCE, SEVERITY_HIGH, "");
	a.service = NULL;
	snprintf(a.pcap, sizeof(a.pcap), "/var/x/7.pcap");
	alertout_syslog_format(buf, sizeof(buf), LOG_AUTHPRIV, &a, T_NOW, 1);
	assert_null(strstr(buf, "service="));
	assert_non_null(strstr(buf, " pcap=\"/var/x/7.pcap\"] "));
	/* The message names the endpoints and stops there. */
	assert_non_null(strstr(buf, "] login-bruteforce from 127.0.0.1:43416 to 127.0.0.3:587"));
	assert_int_equal(buf[strlen(buf) - 1], '7');
}

static void
test_alertout_syslog_message_is_cut_at_every_buffer_size_without_overflow(void **state)
{
	struct alert a;
	char full[ALERTOUT_SYSLOG_MAX];
	size_t n_full;

	(void)state;
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "");
	memset(a.evidence, 'e', sizeof(a.evidence) - 1);
	a.evidence[sizeof(a.evidence) - 1] = '\0';
	a.service = "q\"q";
	n_full = alertout_syslog_format(full, sizeof(full), LOG_AUTHPRIV, &a, T_NOW, 1);
	assert_int_equal(n_full, strlen(full));
	assert_true(n_full < sizeof(full));
	assert_int_equal(alertout_syslog_format(full, 0, LOG_AUTHPRIV, &a, T_NOW, 1), 0);
	for (size_t sz = 1; sz <= n_full + 1; sz++) {
		char *b = malloc(sz); /* exact size: ASan catches one byte too many */
		size_t n;

		assert_non_null(b);
		n = alertout_syslog_format(b, sz, LOG_AUTHPRIV, &a, T_NOW, 1);
		assert_true(n < sz);
		assert_int_equal(strlen(b), n);
		assert_memory_equal(b, full, n);
		/* A cut never splits an escape: no lone backslash at the end. */
		if (n && n < n_full)
			assert_true(b[n - 1] != '\\' || (n >= 2 && b[n - 2] == '\\'));
		free(b);
	}
}

/* ---- RFC 5424 ---- */

static void
test_alertout_syslog_5424_message_has_the_rfc5424_header_and_the_same_sd_element(void **state)
{
	struct alert a;
	char buf[ALERTOUT_SYSLOG_MAX];
	const char *want = "<84>1 2026-11-25T08:12:14.000001Z sensor-1.example.org tlswatch 42 "
			   "cleartext-login [tlswatch@32473 "
			   "kind=\"cleartext-login\" severity=\"high\" session=\"7\" "
			   "flow_id=\"2995276656117235\" "
			   "community_id=\"1:95Mtv+rT+ASx3iMlDGXmIM2RiK0=\" "
			   "ts=\"2026-11-25T08:12:13.469686Z\" transport=\"tcp\" "
			   "client=\"127.0.0.1:43416\" server=\"127.0.0.3:587\" "
			   "service=\"smtp\"] cleartext-login from 127.0.0.1:43416 to "
			   "127.0.0.3:587 (smtp): smtp PLAIN user=alice";
	size_t n;

	(void)state;
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "smtp PLAIN user=alice");
	n = alertout_syslog_format_5424(buf, sizeof(buf), LOG_AUTHPRIV, &a,
					(uint64_t)(T_NOW + 1) * 1000000u + 1u,
					"sensor-1.example.org", 42);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void
test_alertout_syslog_5424_message_without_hostname_uses_the_nilvalue(void **state)
{
	struct alert a;
	char buf[ALERTOUT_SYSLOG_MAX];

	(void)state;
	alert_fill(&a, ALERT_TLS_OBSOLETE_VERSION, SEVERITY_MEDIUM, "TLS 1.0");
	alertout_syslog_format_5424(buf, sizeof(buf), LOG_LOCAL7, &a, (uint64_t)T_NOW * 1000000u,
				    NULL, 9);
	assert_non_null(strstr(buf, "<189>1 2026-11-25T08:12:13.000000Z - tlswatch 9 "
				    "tls-obsolete-version [tlswatch@32473 "));
	alertout_syslog_format_5424(buf, sizeof(buf), LOG_LOCAL7, &a, (uint64_t)T_NOW * 1000000u,
				    "", 9);
	assert_non_null(strstr(buf, "Z - tlswatch 9 "));
}

static void
test_alertout_syslog_5424_param_values_escape_quote_backslash_and_bracket(void **state)
{
	struct alert a;
	char buf[ALERTOUT_SYSLOG_MAX];

	(void)state;
	alert_fill(&a, ALERT_TLS_FALLBACK, SEVERITY_HIGH, "ev]\"\\");
	a.family = 6;
	memset(a.server_ip, 0, sizeof(a.server_ip));
	memset(a.client_ip, 0, sizeof(a.client_ip));
	a.server_ip[15] = 1;
	a.client_ip[15] = 1;
	a.service = "a\"b\\c]d";
	snprintf(a.pcap, sizeof(a.pcap), "/x/\"\\]/1.pcap");
	alertout_syslog_format_5424(buf, sizeof(buf), LOG_AUTH, &a, 0, "h", 1);
	assert_non_null(strstr(buf, " client=\"[::1\\]:43416\" server=\"[::1\\]:587\" "));
	assert_non_null(strstr(buf, " service=\"a\\\"b\\\\c\\]d\" "));
	assert_non_null(strstr(buf, " pcap=\"/x/\\\"\\\\\\]/1.pcap\"] "));
	/* MSG is free-form: not escaped. */
	assert_non_null(
		strstr(buf, "] tls-fallback from [::1]:43416 to [::1]:587 (a\"b\\c]d): ev]\"\\"));
}

static void
test_alertout_syslog_5424_message_is_cut_at_every_buffer_size_without_overflow(void **state)
{
	struct alert a;
	char full[ALERTOUT_SYSLOG_MAX];
	size_t n_full;

	(void)state;
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "");
	memset(a.evidence, 'e', sizeof(a.evidence) - 1);
	a.evidence[sizeof(a.evidence) - 1] = '\0';
	n_full = alertout_syslog_format_5424(full, sizeof(full), LOG_AUTHPRIV, &a, 0, "h", 1);
	assert_int_equal(n_full, strlen(full));
	assert_int_equal(alertout_syslog_format_5424(full, 0, LOG_AUTHPRIV, &a, 0, "h", 1), 0);
	for (size_t sz = 1; sz <= n_full + 1; sz += 7) {
		char *b = malloc(sz);
		size_t n;

		assert_non_null(b);
		n = alertout_syslog_format_5424(b, sz, LOG_AUTHPRIV, &a, 0, "h", 1);
		assert_true(n < sz);
		assert_int_equal(strlen(b), n);
		assert_memory_equal(b, full, n);
		free(b);
	}
}

static void
test_alertout_syslog_sink_refuses_rfc3164_to_udp_and_a_malformed_target(void **state)
{
	struct alertout_syslog_opts o;
	char err[256] = "";

	(void)state;
	alertout_syslog_defaults(&o);
	assert_int_equal(o.format, ALERTOUT_SYSLOG_RFC5424);
	o.format = ALERTOUT_SYSLOG_RFC3164;
	o.socket_path = "udp:127.0.0.1:514";
	assert_null(sink_syslog_new(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "rfc3164"));
	o.format = ALERTOUT_SYSLOG_RFC5424;
	for (const char *const *t = (const char *const[]){"udp:", "udp:127.0.0.1", "udp::514",
							  "udp:[::1]514", "udp:h:5x", NULL};
	     *t; t++) {
		err[0] = '\0';
		o.socket_path = *t;
		assert_null(sink_syslog_new(&o, err, sizeof(err)));
		assert_non_null(strstr(err, "udp:HOST:PORT"));
	}
}

static void
test_alertout_syslog_sink_sends_rfc5424_datagrams_to_a_udp_address(void **state)
{
	struct alertout_syslog_opts o;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	char err[256] = "", target[64], buf[4096];
	struct alert a;
	struct sink *k;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	(void)state;
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	snprintf(target, sizeof(target), "udp:127.0.0.1:%u", ntohs(sa.sin_port));
	alertout_syslog_defaults(&o);
	o.socket_path = target;
	k = sink_syslog_new(&o, err, sizeof(err));
	assert_non_null(k);
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "x");
	k->alert(k, &a);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_memory_equal(buf, "<84>1 ", 6);
	assert_non_null(strstr(buf, " tlswatch "));
	k->free(k);
	close(fd);
}

static void
test_alertout_facility_names_parse_and_others_are_refused(void **state)
{
	(void)state;
	assert_int_equal(alertout_facility_parse("authpriv"), LOG_AUTHPRIV);
	assert_int_equal(alertout_facility_parse("auth"), LOG_AUTH);
	assert_int_equal(alertout_facility_parse("daemon"), LOG_DAEMON);
	assert_int_equal(alertout_facility_parse("mail"), LOG_MAIL);
	assert_int_equal(alertout_facility_parse("user"), LOG_USER);
	assert_int_equal(alertout_facility_parse("local0"), LOG_LOCAL0);
	assert_int_equal(alertout_facility_parse("local7"), LOG_LOCAL7);
	assert_int_equal(alertout_facility_parse("local8"), -1);
	assert_int_equal(alertout_facility_parse("kern"), -1);
	assert_int_equal(alertout_facility_parse("AUTH"), -1);
	assert_int_equal(alertout_facility_parse(""), -1);
}

/* ---- the syslog sink on a real socket ---- */

struct listener {
	int fd;
	char path[108];
};

static void
listener_open(struct listener *l, const char *tag)
{
	struct sockaddr_un sa;

	snprintf(l->path, sizeof(l->path), "/tmp/test_alertout.%ld.%s", (long)getpid(), tag);
	unlink(l->path);
	l->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(l->fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, l->path, strlen(l->path) + 1);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static void
listener_close(struct listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	unlink(l->path);
}

static struct sink *
syslog_sink_at(const char *path)
{
	struct alertout_syslog_opts o;
	char err[256] = "";
	struct sink *k;

	alertout_syslog_defaults(&o);
	o.socket_path = path;
	k = sink_syslog_new(&o, err, sizeof(err));
	assert_non_null(k);
	assert_string_equal(err, "");
	return k;
}

static void
test_alertout_syslog_sink_sends_one_datagram_per_alert(void **state)
{
	struct listener l;
	struct sink *k;
	struct alert a;
	struct alertout_counters c;
	char buf[4096];
	ssize_t n;

	(void)state;
	listener_open(&l, "one");
	k = syslog_sink_at(l.path);
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "smtp PLAIN user=alice");
	k->session(k, NULL);
	k->alert(k, &a);
	a.severity = SEVERITY_LOW;
	k->alert(k, &a);
	n = recv(l.fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_memory_equal(buf, "<84>", 4);
	assert_memory_equal(buf + 4, "1 ", 2); /* RFC 5424 by default */
	assert_non_null(strstr(buf, "(smtp): smtp PLAIN user=alice"));
	assert_int_equal(buf[n - 1], 'e'); /* no newline, no NUL on a datagram */
	n = recv(l.fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	assert_memory_equal(buf, "<86>", 4);
	assert_true(recv(l.fd, buf, sizeof(buf), MSG_DONTWAIT) < 0);
	k->finish(k, NULL, NULL);
	sink_syslog_counters(k, &c);
	assert_int_equal(c.alerts, 2);
	assert_int_equal(c.sent, 2);
	assert_int_equal(c.failed + c.dropped, 0);
	k->free(k);
	listener_close(&l);
}

static void
test_alertout_syslog_sink_drops_and_counts_when_the_daemon_is_behind(void **state)
{
	struct listener l;
	struct sink *k;
	struct alert a;
	struct alertout_counters c;
	uint64_t t0 = mono_ms();

	(void)state;
	listener_open(&l, "full");
	k = syslog_sink_at(l.path);
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "never read");
	/* Nobody reads: the socket queue fills up and sends must not block. */
	for (int i = 0; i < 5000; i++)
		k->alert(k, &a);
	sink_syslog_counters(k, &c);
	assert_int_equal(c.alerts, 5000);
	assert_true(c.sent > 0);
	assert_true(c.dropped > 0);
	assert_int_equal(c.failed, 0);
	assert_int_equal(c.sent + c.dropped, 5000);
	assert_true(mono_ms() - t0 < 5000);
	k->finish(k, NULL, NULL);
	k->free(k);
	listener_close(&l);
}

struct slow_reader {
	int fd;
	int want, got;
};

/* A daemon that reads, but slower than alerts come: 1 ms a message. */
static void *
slow_reader_main(void *arg)
{
	struct slow_reader *r = arg;
	char buf[4096];
	uint64_t t0 = mono_ms();

	while (r->got < r->want && mono_ms() - t0 < 10000) {
		struct timespec ts = {0, 1000000};

		nanosleep(&ts, NULL);
		if (recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			r->got++;
	}
	return NULL;
}

static void
test_alertout_syslog_sink_waits_for_a_slow_daemon_instead_of_dropping_a_burst(void **state)
{
	struct listener l;
	struct sink *k;
	struct alert a;
	struct alertout_counters c;
	struct slow_reader r = {.want = 100};
	pthread_t t;

	(void)state;
	listener_open(&l, "slow");
	r.fd = l.fd;
	k = syslog_sink_at(l.path);
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "burst");
	assert_int_equal(pthread_create(&t, NULL, slow_reader_main, &r), 0);
	/* 100 alerts at once: far more than the socket queues. */
	for (int i = 0; i < 100; i++)
		k->alert(k, &a);
	pthread_join(t, NULL);
	sink_syslog_counters(k, &c);
	assert_int_equal(c.alerts, 100);
	assert_int_equal(c.sent, 100);
	assert_int_equal(c.dropped + c.failed, 0);
	assert_int_equal(r.got, 100);
	k->finish(k, NULL, NULL);
	k->free(k);
	listener_close(&l);
}

static void
test_alertout_syslog_sink_counts_sends_to_a_vanished_socket_as_failed(void **state)
{
	struct listener l;
	struct sink *k;
	struct alert a;
	struct alertout_counters c;

	(void)state;
	listener_open(&l, "gone");
	k = syslog_sink_at(l.path);
	listener_close(&l);
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "x");
	k->alert(k, &a);
	k->alert(k, &a);
	sink_syslog_counters(k, &c);
	assert_int_equal(c.failed, 2);
	assert_int_equal(c.sent, 0);
	/* The daemon comes back: the sink reconnects by itself. */
	listener_open(&l, "gone");
	k->alert(k, &a);
	sink_syslog_counters(k, &c);
	assert_int_equal(c.sent, 1);
	k->finish(k, NULL, NULL);
	k->free(k);
	listener_close(&l);
}

static void
test_alertout_syslog_sink_refuses_a_socket_nobody_listens_on(void **state)
{
	struct alertout_syslog_opts o;
	char err[256] = "";
	char longpath[200];

	(void)state;
	alertout_syslog_defaults(&o);
	assert_int_equal(o.facility, LOG_AUTHPRIV);
	o.socket_path = "/tmp/test_alertout.does-not-exist";
	assert_null(sink_syslog_new(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "does-not-exist"));
	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	o.socket_path = longpath;
	assert_null(sink_syslog_new(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "too long"));
}

static void
test_alertout_syslog_sink_honours_the_socket_environment_variable(void **state)
{
	struct listener l;
	struct alertout_syslog_opts o;
	char err[256] = "";
	struct sink *k;
	struct alert a;
	char buf[4096];

	(void)state;
	listener_open(&l, "env");
	setenv(ALERTOUT_SYSLOG_ENV, l.path, 1);
	alertout_syslog_defaults(&o);
	k = sink_syslog_new(&o, err, sizeof(err));
	unsetenv(ALERTOUT_SYSLOG_ENV);
	assert_non_null(k);
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "x");
	k->alert(k, &a);
	assert_true(recv(l.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0);
	k->free(k);
	listener_close(&l);
}

/* ---- the exec sink ---- */

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return strdup("");
	n = getdelim(&s, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(s);
		return strdup("");
	}
	return s;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static struct sink *
exec_sink(const char *cmd, unsigned running, unsigned queue, unsigned timeout_ms)
{
	struct alertout_exec_opts o;
	char err[256] = "";
	struct sink *k;

	alertout_exec_defaults(&o);
	o.command = cmd;
	o.max_running = running;
	o.queue_max = queue;
	o.timeout_ms = timeout_ms;
	k = sink_exec_new(&o, err, sizeof(err));
	assert_non_null(k);
	return k;
}

static void
assert_counters_add_up(const struct sink *k)
{
	struct alertout_counters c;

	sink_exec_counters(k, &c);
	assert_int_equal(c.alerts, c.sent + c.failed + c.dropped);
}

static void
test_alertout_exec_stdin_is_exactly_the_json_lines_alert_record(void **state)
{
	char path[64], cmd[128];
	char *json = NULL, *got;
	size_t jlen = 0;
	FILE *mf = open_memstream(&json, &jlen);
	struct sink *jk, *k;
	struct alert a;
	struct alertout_counters c;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_alertout.%ld.json", (long)getpid());
	unlink(path);
	snprintf(cmd, sizeof(cmd), "cat > '%s'", path);
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "smtp PLAIN user=\"al\\\\ice\"");
	assert_non_null(mf);
	jk = sink_json_new(mf, false, false, false);
	assert_non_null(jk);
	jk->alert(jk, &a);
	jk->free(jk);
	fclose(mf);

	k = exec_sink(cmd, 1, 4, 5000);
	k->session(k, NULL);
	k->alert(k, &a);
	k->finish(k, NULL, NULL);
	sink_exec_counters(k, &c);
	assert_int_equal(c.ran, 1);
	assert_int_equal(c.sent, 1);
	got = read_file(path);
	assert_string_equal(got, json);
	assert_int_equal(count_lines(got), 1);
	assert_memory_equal(got, "{\"type\":\"alert\",\"kind\":\"cleartext-login\"", 40);
	free(got);
	free(json);
	k->free(k);
	unlink(path);
}

static void
test_alertout_exec_runs_one_command_per_alert(void **state)
{
	char path[64], cmd[128];
	struct sink *k;
	struct alert a;
	struct alertout_counters c;
	char *got;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_alertout.%ld.many", (long)getpid());
	unlink(path);
	snprintf(cmd, sizeof(cmd), "cat >> '%s'", path);
	k = exec_sink(cmd, 4, 256, 5000);
	for (int i = 0; i < 20; i++) {
		alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "x");
		a.session_id = (uint64_t)i + 1;
		k->alert(k, &a);
	}
	k->finish(k, NULL, NULL);
	sink_exec_counters(k, &c);
	assert_int_equal(c.alerts, 20);
	assert_int_equal(c.ran, 20);
	assert_int_equal(c.sent, 20);
	assert_int_equal(c.dropped + c.failed, 0);
	got = read_file(path);
	assert_int_equal(count_lines(got), 20);
	assert_non_null(strstr(got, "\"session\":20,"));
	free(got);
	k->free(k);
	unlink(path);
}

static void
test_alertout_exec_full_queue_drops_and_counts_without_waiting(void **state)
{
	struct sink *k;
	struct alert a;
	struct alertout_counters c;
	uint64_t t0 = mono_ms();

	(void)state;
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "x");
	k = exec_sink("sleep 0.3", 1, 2, 5000);
	for (int i = 0; i < 6; i++)
		k->alert(k, &a);
	/* One running, two queued, three dropped, and no waiting so far. */
	assert_true(mono_ms() - t0 < 250);
	sink_exec_counters(k, &c);
	assert_int_equal(c.ran, 1);
	assert_int_equal(c.dropped, 3);
	k->finish(k, NULL, NULL);
	sink_exec_counters(k, &c);
	assert_int_equal(c.ran, 3);
	assert_int_equal(c.sent, 3);
	assert_int_equal(c.dropped, 3);
	assert_counters_add_up(k);
	k->free(k);
}

static void
test_alertout_exec_without_a_queue_drops_while_every_slot_is_busy(void **state)
{
	struct sink *k;
	struct alert a;
	struct alertout_counters c;

	(void)state;
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "x");
	k = exec_sink("sleep 0.2", 2, 0, 5000);
	for (int i = 0; i < 5; i++)
		k->alert(k, &a);
	k->finish(k, NULL, NULL);
	sink_exec_counters(k, &c);
	assert_int_equal(c.ran, 2);
	assert_int_equal(c.sent, 2);
	assert_int_equal(c.dropped, 3);
	k->free(k);
}

static void
test_alertout_exec_poll_starts_queued_commands_between_alerts(void **state)
{
	struct sink *k;
	struct alert a;
	struct alertout_counters c;
	uint64_t t0 = mono_ms();

	(void)state;
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "x");
	k = exec_sink("cat > /dev/null", 1, 8, 5000);
	for (int i = 0; i < 4; i++)
		k->alert(k, &a);
	do {
		struct timespec ts = {0, 5000000};

		nanosleep(&ts, NULL);
		sink_exec_poll(k);
		sink_exec_counters(k, &c);
	} while (c.sent < 4 && mono_ms() - t0 < 5000);
	assert_int_equal(c.ran, 4);
	assert_int_equal(c.sent, 4);
	k->finish(k, NULL, NULL);
	k->free(k);
}

static void
test_alertout_exec_failing_commands_are_counted(void **state)
{
	struct sink *k;
	struct alert a;
	struct alertout_counters c;

	(void)state;
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "x");
	k = exec_sink("exit 3", 4, 4, 5000);
	k->alert(k, &a);
	k->alert(k, &a);
	k->finish(k, NULL, NULL);
	sink_exec_counters(k, &c);
	assert_int_equal(c.ran, 2);
	assert_int_equal(c.failed, 2);
	assert_int_equal(c.sent, 0);
	k->free(k);
}

static void
test_alertout_exec_overdue_commands_are_terminated_and_queued_ones_dropped(void **state)
{
	struct sink *k;
	struct alert a;
	struct alertout_counters c;
	uint64_t t0 = mono_ms();

	(void)state;
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "x");
	k = exec_sink("sleep 20", 2, 4, 300);
	for (int i = 0; i < 5; i++)
		k->alert(k, &a);
	k->finish(k, NULL, NULL);
	assert_true(mono_ms() - t0 < 3000);
	sink_exec_counters(k, &c);
	assert_true(c.ran >= 2);
	assert_int_equal(c.sent, 0);
	assert_int_equal(c.failed, c.ran);
	assert_int_equal(c.ran + c.dropped, 5);
	assert_counters_add_up(k);
	k->free(k);
}

static void
test_alertout_exec_free_without_finish_stops_the_commands(void **state)
{
	struct sink *k;
	struct alert a;
	uint64_t t0 = mono_ms();

	(void)state;
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "x");
	k = exec_sink("sleep 20", 1, 4, 5000);
	k->alert(k, &a);
	k->alert(k, &a);
	k->free(k);
	assert_true(mono_ms() - t0 < 3000);
}

static void
test_alertout_exec_refuses_an_empty_command(void **state)
{
	struct alertout_exec_opts o;
	char err[256] = "";

	(void)state;
	alertout_exec_defaults(&o);
	assert_int_equal(o.max_running, 4);
	assert_int_equal(o.queue_max, 256);
	assert_int_equal(o.timeout_ms, 5000);
	assert_null(sink_exec_new(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "empty"));
	o.command = "";
	assert_null(sink_exec_new(&o, err, sizeof(err)));
}

static void
stat_collect(void *ctx, const char *name, uint64_t v)
{
	char *s = ctx;
	size_t n = strlen(s);

	snprintf(s + n, 1024 - n, "%s=%llu ", name, (unsigned long long)v);
}

static void
test_alertout_stats_name_the_counters_of_the_outputs_in_use(void **state)
{
	struct sink *k;
	struct alert a;
	char s[1024] = "";

	(void)state;
	alert_fill(&a, ALERT_CLEARTEXT_LOGIN, SEVERITY_HIGH, "x");
	k = exec_sink("sleep 1; exit 1", 1, 0, 5000); /* still running at the second alert */
	k->alert(k, &a);
	k->alert(k, &a);
	k->finish(k, NULL, NULL);
	alertout_stats_each(NULL, k, stat_collect, s);
	assert_string_equal(s, "alert_exec_ran=1 alert_exec_succeeded=0 alert_exec_failed=1 "
			       "alert_exec_dropped=1 ");
	s[0] = '\0';
	alertout_stats_each(NULL, NULL, stat_collect, s);
	assert_string_equal(s, "");
	k->free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_alertout_syslog_message_has_the_socket_header_and_one_sd_element),
		cmocka_unit_test(
			test_alertout_syslog_severity_maps_high_medium_low_to_warning_notice_info),
		cmocka_unit_test(
			test_alertout_syslog_param_values_escape_quote_backslash_and_bracket),
		cmocka_unit_test(test_alertout_syslog_message_is_one_line_of_ascii),
		cmocka_unit_test(
			test_alertout_syslog_message_without_service_or_evidence_ends_with_the_endpoints),
		cmocka_unit_test(
			test_alertout_syslog_message_is_cut_at_every_buffer_size_without_overflow),
		cmocka_unit_test(test_alertout_facility_names_parse_and_others_are_refused),
		cmocka_unit_test(
			test_alertout_syslog_5424_message_has_the_rfc5424_header_and_the_same_sd_element),
		cmocka_unit_test(
			test_alertout_syslog_5424_message_without_hostname_uses_the_nilvalue),
		cmocka_unit_test(
			test_alertout_syslog_5424_param_values_escape_quote_backslash_and_bracket),
		cmocka_unit_test(
			test_alertout_syslog_5424_message_is_cut_at_every_buffer_size_without_overflow),
		cmocka_unit_test(
			test_alertout_syslog_sink_refuses_rfc3164_to_udp_and_a_malformed_target),
		cmocka_unit_test(
			test_alertout_syslog_sink_sends_rfc5424_datagrams_to_a_udp_address),
		cmocka_unit_test(test_alertout_syslog_sink_sends_one_datagram_per_alert),
		cmocka_unit_test(
			test_alertout_syslog_sink_drops_and_counts_when_the_daemon_is_behind),
		cmocka_unit_test(
			test_alertout_syslog_sink_waits_for_a_slow_daemon_instead_of_dropping_a_burst),
		cmocka_unit_test(
			test_alertout_syslog_sink_counts_sends_to_a_vanished_socket_as_failed),
		cmocka_unit_test(test_alertout_syslog_sink_refuses_a_socket_nobody_listens_on),
		cmocka_unit_test(test_alertout_syslog_sink_honours_the_socket_environment_variable),
		cmocka_unit_test(test_alertout_exec_stdin_is_exactly_the_json_lines_alert_record),
		cmocka_unit_test(test_alertout_exec_runs_one_command_per_alert),
		cmocka_unit_test(test_alertout_exec_full_queue_drops_and_counts_without_waiting),
		cmocka_unit_test(test_alertout_exec_without_a_queue_drops_while_every_slot_is_busy),
		cmocka_unit_test(test_alertout_exec_poll_starts_queued_commands_between_alerts),
		cmocka_unit_test(test_alertout_exec_failing_commands_are_counted),
		cmocka_unit_test(
			test_alertout_exec_overdue_commands_are_terminated_and_queued_ones_dropped),
		cmocka_unit_test(test_alertout_exec_free_without_finish_stops_the_commands),
		cmocka_unit_test(test_alertout_exec_refuses_an_empty_command),
		cmocka_unit_test(test_alertout_stats_name_the_counters_of_the_outputs_in_use),
	};

	return cmocka_run_group_tests(tests, setup_utc, NULL);
}
