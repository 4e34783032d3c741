/*
 * syslog.c - --syslog: one message per alert on the local syslog socket or
 * to a UDP collector.
 *
 * The message is written here rather than with syslog(3) so that the format
 * and the target can be chosen (tests use their own socket or port) and no
 * process global state (openlog) is involved. Two formats:
 *
 *   RFC 5424 (default): "<PRI>1 TIMESTAMP HOSTNAME tlswatch PID KIND [SD] MSG"
 *   <84>1 2026-12-02T23:34:47.098496Z sensor-1 tlswatch 4242 cleartext-login
 *   [tlswatch@32473 kind="cleartext-login" severity="high" session="1"
 *   flow_id="2995276656117235" community_id="1:95Mtv+rT+ASx3iMlDGXmIM2RiK0="
 *   ts="2026-11-25T08:12:13.469686Z" transport="tcp" client="127.0.0.1:43416"
 *   server="127.0.0.3:587" service="smtp"] cleartext-login from
 *   127.0.0.1:43416 to 127.0.0.3:587 (smtp): smtp PLAIN user=alice
 *
 *   RFC 3164 style, the syslog(3) socket format, for local daemons that do
 *   not parse RFC 5424 on /dev/log (journald; rsyslog's imuxsock unless its
 *   special parser is off): "<PRI>Mmm dd hh:mm:ss tlswatch[PID]: [SD] MSG".
 *
 * The SD-ID is "name@PEN" (RFC 5424 section 7.2.2); 32473 is the enterprise
 * number reserved for documentation (RFC 5612). PARAM-VALUEs escape '"', '\'
 * and ']' (section 6.3.3). MSGID is the alert kind; MSG names the client,
 * the server and the service, then the evidence. No BOM: MSG is ASCII.
 *
 * Targets: a unix socket (datagram, or stream NUL-framed as syslog(3) does
 * when /dev/log is a stream) or udp:HOST:PORT (RFC 5426, one message per
 * datagram).
 * Severity to syslog level: high -> warning, medium -> notice, low -> info.
 * Sends never block (MSG_DONTWAIT): a full socket buffer drops the message and
 * counts it. A broken connection (daemon restarted) is reopened once per
 * alert. Not handled: TCP and TLS transports (RFC 6587, RFC 5425),
 * non-ASCII evidence (already \xHH-escaped upstream).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "alertout.h"
#include "flowid.h"

struct syslog_state {
	int fd;	     /* -1 when not connected */
	bool stream; /* /dev/log is a SOCK_STREAM socket (NUL-framed) */
	int facility;
	enum alertout_syslog_format format;
	char path[300]; /* the target as given: a socket path or udp:HOST:PORT */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char hostname[256]; /* RFC 5424 HOSTNAME: printable ASCII, or "-" */
	struct alertout_counters c;
	bool warned_failed, warned_dropped;
	bool stalled; /* the last wait for room ran out: drop without waiting */
};

/* How long one alert may wait for room in a full socket; after that the
 * daemon counts as stalled and alerts are dropped at once until one gets
 * through. A burst of alerts larger than the socket's queue (often only 10
 * datagrams) then waits for a daemon that is reading, instead of losing
 * alerts, and a daemon that hangs costs the capture this much only once. */
#define SYSLOG_WAIT_MS 50

/* A bounded writer: never overflows, always NUL-terminated; once something
 * did not fit nothing more is written, so a cut message is a prefix of the
 * whole one and never ends in half an escape. */
struct outbuf {
	char *p;
	size_t cap; /* usable bytes, NUL excluded */
	size_t len;
	bool full;
};

static void
out_bytes(struct outbuf *b, const char *s, size_t n)
{
	if (b->full)
		return;
	if (n > b->cap - b->len) {
		n = b->cap - b->len;
		b->full = true;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
out_str(struct outbuf *b, const char *s)
{
	out_bytes(b, s, strlen(s));
}

/* Text as a PARAM-VALUE (sd set: '"', '\' and ']' get a backslash) or as
 * the free-form message; anything outside printable ASCII becomes \xHH so a
 * message is always one line of ASCII. */
static void
out_text(struct outbuf *b, const char *s, bool sd)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		char tmp[5];
		size_t n;

		if (sd && (*c == '"' || *c == '\\' || *c == ']')) {
			tmp[0] = '\\';
			tmp[1] = (char)*c;
			n = 2;
		} else if (*c < 0x20 || *c >= 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", *c);
			n = 4;
		} else {
			tmp[0] = (char)*c;
			n = 1;
		}
		if (b->full || n > b->cap - b->len) {
			b->full = true;
			return;
		}
		out_bytes(b, tmp, n);
	}
}

static void
out_param(struct outbuf *b, const char *name, const char *value)
{
	out_str(b, " ");
	out_str(b, name);
	out_str(b, "=\"");
	out_text(b, value, true);
	out_str(b, "\"");
}

int
alertout_syslog_level(enum severity s)
{
	switch (s) {
	case SEVERITY_CRITICAL:
		return LOG_ERR;
	case SEVERITY_HIGH:
		return LOG_WARNING;
	case SEVERITY_MEDIUM:
		return LOG_NOTICE;
	case SEVERITY_LOW:
		break;
	}
	return LOG_INFO;
}

int
alertout_facility_parse(const char *name)
{
	static const struct {
		const char *name;
		int facility;
	} tab[] = {
		{"auth", LOG_AUTH},	{"authpriv", LOG_AUTHPRIV}, {"daemon", LOG_DAEMON},
		{"mail", LOG_MAIL},	{"user", LOG_USER},	    {"local0", LOG_LOCAL0},
		{"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},	    {"local3", LOG_LOCAL3},
		{"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},	    {"local6", LOG_LOCAL6},
		{"local7", LOG_LOCAL7},
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(name, tab[i].name) == 0)
			return tab[i].facility;
	return -1;
}

/* The SD-ELEMENT shared by both formats, then the free-form message that
 * names the client, the server and the service before the evidence. */
static void
out_alert(struct outbuf *b, const struct alert *a)
{
	char tmp[160], client[64], server[64];

	out_str(b, "[" ALERTOUT_SD_ID);
	out_param(b, "kind", alert_kind_name(a->kind));
	out_param(b, "severity", severity_name(a->severity));
	snprintf(tmp, sizeof(tmp), "%" PRIu64, a->session_id);
	out_param(b, "session", tmp);
	snprintf(tmp, sizeof(tmp), "%" PRIu64, a->flow_id);
	out_param(b, "flow_id", tmp);
	if (community_id(tmp, a->family, a->l4, a->client_ip, a->client_port, a->server_ip,
			 a->server_port))
		out_param(b, "community_id", tmp);
	sink_format_time(a->ts_us, tmp, sizeof(tmp));
	out_param(b, "ts", tmp);
	out_param(b, "transport", transport_name(a->l4));
	sink_format_endpoint(a->family, a->client_ip, a->client_port, client, sizeof(client));
	out_param(b, "client", client);
	sink_format_endpoint(a->family, a->server_ip, a->server_port, server, sizeof(server));
	out_param(b, "server", server);
	if (a->service && a->service[0])
		out_param(b, "service", a->service);
	if (a->pcap[0])
		out_param(b, "pcap", a->pcap);
	out_str(b, "] ");
	out_str(b, alert_kind_name(a->kind));
	out_str(b, " from ");
	out_str(b, client);
	out_str(b, " to ");
	out_str(b, server);
	if (a->service && a->service[0]) {
		out_str(b, " (");
		out_text(b, a->service, false);
		out_str(b, ")");
	}
	if (a->evidence[0]) {
		out_str(b, ": ");
		out_text(b, a->evidence, false);
	}
}

size_t
alertout_syslog_format(char *buf, size_t bufsz, int facility, const struct alert *a, time_t now,
		       pid_t pid)
{
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct outbuf b = {buf, bufsz ? bufsz - 1 : 0, 0, false};
	char tmp[160];
	struct tm tm;

	if (bufsz == 0)
		return 0;
	buf[0] = '\0';
	if (!localtime_r(&now, &tm))
		memset(&tm, 0, sizeof(tm));
	snprintf(tmp, sizeof(tmp), "<%d>%s %2d %02d:%02d:%02d tlswatch[%ld]: ",
		 (facility & LOG_FACMASK) | alertout_syslog_level(a->severity),
		 months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)pid);
	out_str(&b, tmp);
	out_alert(&b, a);
	return b.len;
}

size_t
alertout_syslog_format_5424(char *buf, size_t bufsz, int facility, const struct alert *a,
			    uint64_t now_us, const char *hostname, pid_t pid)
{
	struct outbuf b = {buf, bufsz ? bufsz - 1 : 0, 0, false};
	char tmp[160], ts[40];

	if (bufsz == 0)
		return 0;
	buf[0] = '\0';
	/* TIMESTAMP is when the message is sent (the packet time is ts). */
	sink_format_time(now_us, ts, sizeof(ts));
	snprintf(tmp, sizeof(tmp), "<%d>1 %s ",
		 (facility & LOG_FACMASK) | alertout_syslog_level(a->severity), ts);
	out_str(&b, tmp);
	out_str(&b, hostname && hostname[0] ? hostname : "-");
	/* MSGID is the kind (at most 25 characters of 32), for filters. */
	snprintf(tmp, sizeof(tmp), " tlswatch %ld %s ", (long)pid, alert_kind_name(a->kind));
	out_str(&b, tmp);
	out_alert(&b, a);
	return b.len;
}

static void
syslog_close(struct syslog_state *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
}

/* Connects to the target: a unix socket as a datagram socket or, where
 * /dev/log is a stream socket, as a stream; a UDP address as a connected
 * datagram socket. Returns 0, or -1 with errno set. */
static int
syslog_connect(struct syslog_state *st)
{
	static const int types[] = {SOCK_DGRAM, SOCK_STREAM};
	int err = 0;

	syslog_close(st);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int fd = socket(st->addr.ss_family, types[i] | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&st->addr, st->addrlen) == 0) {
			st->fd = fd;
			st->stream = types[i] == SOCK_STREAM;
			return 0;
		}
		err = errno;
		close(fd);
		if (err != EPROTOTYPE || st->addr.ss_family != AF_UNIX)
			break;
	}
	errno = err;
	return -1;
}

/* st->addr from the target: "udp:HOST:PORT" (HOST a name, an IPv4 address
 * or an IPv6 one in brackets) or a unix socket path. 0, or -1 with err. */
static int
syslog_resolve(struct syslog_state *st, char *err, size_t errsz)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *spec = st->path, *port;
	size_t hlen;
	int rc;

	if (strncmp(spec, "udp:", 4) != 0) {
		struct sockaddr_un *sa = (struct sockaddr_un *)&st->addr;

		if (strlen(spec) >= sizeof(sa->sun_path)) {
			snprintf(err, errsz, "--syslog: socket path too long: %s", spec);
			return -1;
		}
		memset(sa, 0, sizeof(*sa));
		sa->sun_family = AF_UNIX;
		memcpy(sa->sun_path, spec, strlen(spec) + 1);
		st->addrlen = sizeof(*sa);
		return 0;
	}
	spec += 4;
	if (spec[0] == '[') {
		const char *close_br = strchr(spec, ']');

		if (!close_br || close_br[1] != ':')
			goto bad;
		hlen = (size_t)(close_br - spec - 1);
		spec++;
		port = close_br + 2;
	} else {
		port = strrchr(spec, ':');
		if (!port)
			goto bad;
		hlen = (size_t)(port - spec);
		port++;
	}
	if (hlen == 0 || hlen >= sizeof(host) || !*port ||
	    strspn(port, "0123456789") != strlen(port))
		goto bad;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errsz, "--syslog-to %s: %s", st->path, gai_strerror(rc));
		return -1;
	}
	memcpy(&st->addr, res->ai_addr, res->ai_addrlen);
	st->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	snprintf(err, errsz, "--syslog-to %s: expected a socket path or udp:HOST:PORT", st->path);
	return -1;
}

/* One send attempt: 1 sent, 0 would block (dropped), -1 error (errno set). */
static int
syslog_send(struct syslog_state *st, const char *msg, size_t len)
{
	ssize_t n;

	if (st->fd < 0 && syslog_connect(st) < 0)
		return -1;
	/* On a stream the NUL ends the message, as syslog(3) frames it. */
	n = send(st->fd, msg, st->stream ? len + 1 : len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n >= 0 && (size_t)n == (st->stream ? len + 1 : len))
		return 1;
	if (n >= 0) {
		/* A partial message on a stream: the framing is lost, start over. */
		syslog_close(st);
		errno = EMSGSIZE;
		return -1;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
		return 0;
	return -1;
}

static void
syslog_alert(struct sink *k, const struct alert *a)
{
	struct syslog_state *st = k->priv;
	char msg[ALERTOUT_SYSLOG_MAX];
	struct timespec now;
	size_t len;
	int r;

	clock_gettime(CLOCK_REALTIME, &now);
	if (st->format == ALERTOUT_SYSLOG_RFC3164)
		len = alertout_syslog_format(msg, sizeof(msg), st->facility, a, now.tv_sec,
					     getpid());
	else
		len = alertout_syslog_format_5424(msg, sizeof(msg), st->facility, a,
						  (uint64_t)now.tv_sec * 1000000u +
							  (uint64_t)now.tv_nsec / 1000u,
						  st->hostname, getpid());

	st->c.alerts++;
	r = syslog_send(st, msg, len);
	if (r < 0 && errno != EMSGSIZE) {
		/* The daemon may have restarted: reconnect once and retry. */
		syslog_close(st);
		r = syslog_send(st, msg, len);
	}
	if (r == 0 && !st->stalled) {
		struct pollfd pfd = {st->fd, POLLOUT, 0};

		if (poll(&pfd, 1, SYSLOG_WAIT_MS) > 0)
			r = syslog_send(st, msg, len);
		st->stalled = r == 0;
	}
	if (r > 0) {
		st->stalled = false;
		st->c.sent++;
	} else if (r == 0) {
		st->c.dropped++;
		if (!st->warned_dropped)
			fprintf(stderr,
				"tlswatch: --syslog: %s is full (the daemon is behind); alerts "
				"are dropped and counted\n",
				st->path);
		st->warned_dropped = true;
	} else {
		st->c.failed++;
		if (!st->warned_failed)
			fprintf(stderr,
				"tlswatch: --syslog: cannot send to %s: %s (further failures "
				"are only counted)\n",
				st->path, strerror(errno));
		st->warned_failed = true;
	}
}

static void
syslog_session(struct sink *k, const struct session *s)
{
	(void)k;
	(void)s;
}

static void
syslog_finish(struct sink *k, struct summary *sum, const struct stats *stats)
{
	struct syslog_state *st = k->priv;

	(void)sum;
	(void)stats;
	if (st->c.failed || st->c.dropped)
		fprintf(stderr,
			"tlswatch: --syslog: %" PRIu64 " alerts: %" PRIu64 " sent, %" PRIu64
			" failed, %" PRIu64 " dropped\n",
			st->c.alerts, st->c.sent, st->c.failed, st->c.dropped);
}

static void
syslog_free(struct sink *k)
{
	struct syslog_state *st;

	if (!k)
		return;
	st = k->priv;
	if (st) {
		syslog_close(st);
		free(st);
	}
	free(k);
}

void
alertout_syslog_defaults(struct alertout_syslog_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->facility = LOG_AUTHPRIV;
	o->format = ALERTOUT_SYSLOG_RFC5424;
}

/* The host name as RFC 5424 HOSTNAME wants it: printable ASCII without
 * spaces, at most 255 characters; "-" when unknown. */
static void
syslog_hostname(char *out, size_t outsz)
{
	char name[256] = "";

	if (gethostname(name, sizeof(name) - 1) < 0)
		name[0] = '\0';
	name[sizeof(name) - 1] = '\0';
	for (char *c = name; *c; c++)
		if (*c <= 0x20 || *c >= 0x7f)
			*c = '_';
	snprintf(out, outsz, "%s", name[0] ? name : "-");
}

struct sink *
sink_syslog_new(const struct alertout_syslog_opts *o, char *err, size_t errsz)
{
	struct sink *k = calloc(1, sizeof(*k));
	struct syslog_state *st = calloc(1, sizeof(*st));
	const char *path = o->socket_path;

	if (!k || !st) {
		snprintf(err, errsz, "--syslog: out of memory");
		goto fail;
	}
	st->fd = -1;
	if (!path)
		path = getenv(ALERTOUT_SYSLOG_ENV);
	if (!path || !*path)
		path = ALERTOUT_SYSLOG_SOCKET;
	if (strlen(path) >= sizeof(st->path)) {
		snprintf(err, errsz, "--syslog: socket path too long: %s", path);
		goto fail;
	}
	memcpy(st->path, path, strlen(path) + 1);
	st->facility = o->facility & LOG_FACMASK;
	st->format = o->format;
	syslog_hostname(st->hostname, sizeof(st->hostname));
	if (syslog_resolve(st, err, errsz) < 0)
		goto fail;
	if (st->format == ALERTOUT_SYSLOG_RFC3164 && st->addr.ss_family != AF_UNIX) {
		snprintf(err, errsz,
			 "--syslog-format rfc3164 is the local socket format; use rfc5424 "
			 "with --syslog-to %s",
			 st->path);
		goto fail;
	}
	if (syslog_connect(st) < 0) {
		snprintf(err, errsz, "--syslog: cannot connect to %s: %s", st->path,
			 strerror(errno));
		goto fail;
	}
	k->session = syslog_session;
	k->alert = syslog_alert;
	k->finish = syslog_finish;
	k->free = syslog_free;
	k->priv = st;
	return k;
fail:
	free(st);
	free(k);
	return NULL;
}

void
sink_syslog_counters(const struct sink *k, struct alertout_counters *c)
{
	const struct syslog_state *st = k->priv;

	*c = st->c;
}

void
alertout_stats_each(const struct sink *syslog_k, const struct sink *exec_k,
		    void (*fn)(void *ctx, const char *name, uint64_t v), void *ctx)
{
	struct alertout_counters c;

	if (syslog_k) {
		sink_syslog_counters(syslog_k, &c);
		fn(ctx, "syslog_sent", c.sent);
		fn(ctx, "syslog_failed", c.failed);
		fn(ctx, "syslog_dropped", c.dropped);
	}
	if (exec_k) {
		sink_exec_counters(exec_k, &c);
		fn(ctx, "alert_exec_ran", c.ran);
		fn(ctx, "alert_exec_succeeded", c.sent);
		fn(ctx, "alert_exec_failed", c.failed);
		fn(ctx, "alert_exec_dropped", c.dropped);
	}
}
