/*
 * sink.c - helpers shared by the renderers (see sink.h).
 */
#include "sink.h"

#include <errno.h>

#include <inttypes.h>
#include <string.h>
#include <time.h>

/* Writes v as n decimal digits, zero-padded. */
static char *
put_digits(char *p, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

/* Copies the n bytes at s into buf as a string, cut to fit as snprintf
 * cuts; returns the length copied. */
static size_t
sink_copy(char *buf, size_t bufsz, const char *s, size_t n)
{
	if (bufsz == 0)
		return 0;
	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return n;
}

/*
 * Formatted by hand (days to civil date, proleptic Gregorian): it runs for
 * every record, and gmtime_r + snprintf showed in the profile.
 */
size_t
sink_format_time(uint64_t ts_us, char *buf, size_t bufsz)
{
	int64_t secs = (int64_t)(ts_us / 1000000);
	int64_t days = secs / 86400, sod = secs % 86400;
	int64_t z = days + 719468, era, doe, yoe, y, doy, mp, d, m;
	char tmp[32], *p = tmp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999)
		return sink_copy(buf, bufsz, "?", 1);
	p = put_digits(p, (unsigned)y, 4);
	*p++ = '-';
	p = put_digits(p, (unsigned)m, 2);
	*p++ = '-';
	p = put_digits(p, (unsigned)d, 2);
	*p++ = 'T';
	p = put_digits(p, (unsigned)(sod / 3600), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(sod / 60 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(sod % 60), 2);
	*p++ = '.';
	p = put_digits(p, (unsigned)(ts_us % 1000000), 6);
	*p++ = 'Z';
	return sink_copy(buf, bufsz, tmp, (size_t)(p - tmp));
}

static bool sink_local_time; /* set once, before any record (sink.h) */

void
sink_display_local_time(bool local)
{
	sink_local_time = local;
}

void
sink_format_display_time(uint64_t ts_us, char *buf, size_t bufsz)
{
	time_t t = (time_t)(ts_us / 1000000);
	struct tm tm;
	char date[32], off[8];

	if (!sink_local_time || !localtime_r(&t, &tm)) {
		sink_format_time(ts_us, buf, bufsz);
		return;
	}
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(off, sizeof(off), "%z", &tm); /* "+0100" */
	snprintf(buf, bufsz, "%s.%06u%.3s:%.2s", date, (unsigned)(ts_us % 1000000), off, off + 3);
}

int64_t
sink_display_offset(uint64_t ts_us)
{
	time_t t = (time_t)(ts_us / 1000000);
	struct tm tm;

	if (!sink_local_time || !localtime_r(&t, &tm))
		return 0;
	return (int64_t)tm.tm_gmtoff;
}

void
sink_format_endpoint(uint8_t family, const uint8_t *ip, uint16_t port, char *buf, size_t bufsz)
{
	char a[64];

	char tmp[sizeof(a) + 8], *p = tmp, digits[5];
	int n = 0;

	/* "[addr]:port" for IPv6, "addr:port" otherwise; by hand, as above. */
	session_addr_str(family, ip, a, sizeof(a));
	if (family == 6)
		*p++ = '[';
	for (const char *q = a; *q;)
		*p++ = *q++;
	if (family == 6)
		*p++ = ']';
	*p++ = ':';
	do {
		digits[n++] = (char)('0' + port % 10);
		port /= 10;
	} while (port);
	while (n)
		*p++ = digits[--n];
	sink_copy(buf, bufsz, tmp, (size_t)(p - tmp));
}

const char *
sink_secret(const struct login *l, bool show_secrets, const char *redacted)
{
	if (!l->has_secret)
		return NULL;
	return show_secrets ? l->secret : redacted;
}

const char *
login_outcome_name(enum login_outcome o)
{
	switch (o) {
	case LOGIN_SUCCESS:
		return "success";
	case LOGIN_FAILURE:
		return "failure";
	case LOGIN_UNKNOWN:
		break;
	}
	return "unknown";
}

/* Per tunnel kind: "tunnel_gre_packets", "tunnel_mpls_in_udp_errors" ... */
static void
sink_stats_tunnels(const struct stats *st, void (*fn)(void *ctx, const char *name, uint64_t v),
		   void *ctx)
{
	for (unsigned k = TUNNEL_NONE + 1; k < TUNNEL_KINDS; k++) {
		/* "tunnel_gre_packets", "tunnel_mpls_in_udp_errors" ... */
		char name[48];
		size_t n;

		n = (size_t)snprintf(name, sizeof(name), "tunnel_%s", decode_tunnel_name(k));
		for (size_t i = 0; i < n && i < sizeof(name); i++)
			if (name[i] == '-')
				name[i] = '_';
		snprintf(name + n, sizeof(name) - n, "_packets");
		fn(ctx, name, st->tunnel_packets[k]);
		snprintf(name + n, sizeof(name) - n, "_errors");
		fn(ctx, name, st->tunnel_errors[k]);
	}
}

/* Capture and decoding: packets, fragments, headers, tunnels. */
static void
sink_stats_decode(const struct stats *st, void (*fn)(void *ctx, const char *name, uint64_t v),
		  void *ctx)
{
	fn(ctx, "packets", st->packets);
	fn(ctx, "bytes", st->bytes);
	fn(ctx, "tcp_packets", st->tcp_packets);
	fn(ctx, "udp_packets", st->udp_packets);
	fn(ctx, "sctp_packets", st->sctp_packets);
	fn(ctx, "sctp_chunks_bad", st->sctp_chunks_bad);
	fn(ctx, "sctp_data_dup", st->sctp_data_dup);
	fn(ctx, "sctp_data_gaps", st->sctp_data_gaps);
	fn(ctx, "sctp_idata", st->sctp_idata);
	fn(ctx, "not_ip", st->decode[DECODE_NOT_IP]);
	fn(ctx, "other_l4", st->decode[DECODE_OTHER_L4]);
	fn(ctx, "ip_fragments", st->decode[DECODE_FRAGMENT]);
	fn(ctx, "ip_datagrams_reassembled", st->frag.reassembled);
	fn(ctx, "ip_frag_timeouts", st->frag.timeouts);
	fn(ctx, "ip_frag_evicted", st->frag.evicted);
	fn(ctx, "ip_frag_overlaps_dropped", st->frag.overlaps);
	fn(ctx, "ip_frag_malformed", st->frag.malformed);
	fn(ctx, "ip_frag_uncaptured", st->frag.uncaptured);
	fn(ctx, "truncated_headers", st->decode[DECODE_TRUNCATED]);
	fn(ctx, "malformed_headers", st->decode[DECODE_MALFORMED]);
	fn(ctx, "tunnel_truncated", st->decode[DECODE_TUNNEL_TRUNCATED]);
	fn(ctx, "tunnel_malformed", st->decode[DECODE_TUNNEL_MALFORMED]);
	fn(ctx, "tunnel_unsupported", st->decode[DECODE_TUNNEL_UNSUPPORTED]);
	fn(ctx, "tunnel_too_deep", st->decode[DECODE_TUNNEL_TOO_DEEP]);
	sink_stats_tunnels(st, fn, ctx);
	fn(ctx, "unsupported_link", st->decode[DECODE_UNSUPPORTED_LINK]);
	fn(ctx, "payload_cut_by_snaplen", st->payload_cut);
	fn(ctx, "stray_packets", st->stray_packets);
	fn(ctx, "late_packets", st->late_packets);
}

/* The flow tables, TCP and UDP. */
static void
sink_stats_flows(const struct stats *st, void (*fn)(void *ctx, const char *name, uint64_t v),
		 void *ctx)
{
	fn(ctx, "flows_created", st->flows_created);
	fn(ctx, "flows_evicted_memcap", st->flows_evicted_memcap);
	fn(ctx, "memory_bytes", st->memory_now);
	fn(ctx, "memory_max_bytes", st->memory_max);
	fn(ctx, "flows_closed", st->flows_closed);
	fn(ctx, "flows_idle_timeout", st->flows_idle);
	fn(ctx, "flows_dormant", st->flows_dormant);
	fn(ctx, "flows_resumed", st->flows_resumed);
	fn(ctx, "flows_evicted", st->flows_evicted);
	fn(ctx, "flows_open_at_end", st->flows_at_end);
	fn(ctx, "flows_max_concurrent", st->flows_max_seen);
	fn(ctx, "flows_packed", st->flows_packed);
	fn(ctx, "udp_flows_created", st->udp_flows_created);
	fn(ctx, "udp_flows_idle_timeout", st->udp_flows_idle);
	fn(ctx, "udp_flows_evicted", st->udp_flows_evicted);
	fn(ctx, "udp_flows_max_concurrent", st->udp_flows_max_seen);
}

/* Sessions and alerts, and what judging them kept: correlation, policy, data links, evidence. */
static void
sink_stats_judged(const struct stats *st, void (*fn)(void *ctx, const char *name, uint64_t v),
		  void *ctx)
{
	fn(ctx, "sessions", st->sessions);
	fn(ctx, "sessions_without_payload", st->sessions_empty);
	fn(ctx, "alerts", st->alerts);
	fn(ctx, "alerts_dropped", st->alerts_dropped);
	fn(ctx, "bypassed_bytes", st->bypassed_bytes);
	fn(ctx, "parser_cap_hits", st->parser_cap_hits);
	fn(ctx, "logins_dropped", st->logins_dropped);
	fn(ctx, "alloc_failures", st->alloc_failures);
	fn(ctx, "ndpi_flows", st->ndpi_flows);
	fn(ctx, "ndpi_identified", st->ndpi_identified);
	fn(ctx, "correlation_servers_forgotten", st->servers_forgotten);
	fn(ctx, "correlation_pairs_forgotten", st->pairs_forgotten);
	fn(ctx, "state_servers_loaded", st->state_servers_loaded);
	fn(ctx, "state_certs_loaded", st->state_certs_loaded);
	fn(ctx, "policy_dns_answers", st->policy_answers);
	fn(ctx, "policy_records", st->policy_records);
	fn(ctx, "policy_records_evicted", st->policy_evicted);
	fn(ctx, "policy_records_expired", st->policy_expired_reused);
	fn(ctx, "policy_file_domains", st->policy_file_domains);
	fn(ctx, "policy_sessions", st->policy_sessions);
	fn(ctx, "state_policy_loaded", st->policy_state_loaded);
	fn(ctx, "policy_facts_stored", st->policy_facts_stored);
	fn(ctx, "policy_facts_expired", st->policy_facts_expired);
	fn(ctx, "policy_sts_fetches", st->policy_sts_fetches);
	fn(ctx, "policy_sts_fetches_forgotten", st->policy_sts_fetches_forgotten);
	fn(ctx, "data_links_announced", st->links_announced);
	fn(ctx, "data_links_linked", st->links_linked);
	fn(ctx, "data_links_inferred", st->links_inferred);
	fn(ctx, "data_links_dropped", st->links_dropped);
	fn(ctx, "evidence_files", st->evidence_files);
	fn(ctx, "evidence_files_failed", st->evidence_failed);
	fn(ctx, "evidence_withheld_secrets", st->evidence_withheld);
	fn(ctx, "evidence_packets_dropped", st->evidence_packets_dropped);
}

/* TCP reassembly. */
static void
sink_stats_reasm(const struct stats *st, void (*fn)(void *ctx, const char *name, uint64_t v),
		 void *ctx)
{
	fn(ctx, "segments_in_order", st->reasm.segments_in_order);
	fn(ctx, "segments_out_of_order", st->reasm.segments_ooo);
	fn(ctx, "segments_retransmitted", st->reasm.segments_retrans);
	fn(ctx, "segments_overlapping", st->reasm.segments_overlap);
	fn(ctx, "stream_gaps", st->reasm.gaps);
	fn(ctx, "stream_gap_bytes", st->reasm.gap_bytes);
	fn(ctx, "reasm_stream_cap_hits", st->reasm.cap_stream_hits);
	fn(ctx, "reasm_global_cap_hits", st->reasm.cap_global_hits);
}

/* The shared state (--state redis://) and the capture library, when there are. */
static void
sink_stats_shared(const struct stats *st, void (*fn)(void *ctx, const char *name, uint64_t v),
		  void *ctx)
{
	if (st->shared_on) {
		fn(ctx, "shared_loaded", st->shared_loaded);
		fn(ctx, "shared_received", st->shared_received);
		fn(ctx, "shared_sent", st->shared_sent);
		fn(ctx, "shared_dropped", st->shared_dropped);
		fn(ctx, "shared_forgotten", st->shared_forgotten);
		fn(ctx, "shared_reconnects", st->shared_reconnects);
		fn(ctx, "shared_errors", st->shared_errors);
		fn(ctx, "shared_hits", st->shared_hits);
		fn(ctx, "shared_sessions_counted", st->shared_counted);
		fn(ctx, "shared_feed_sent", st->shared_feed_sent);
		fn(ctx, "shared_feed_dropped", st->shared_feed_dropped);
		fn(ctx, "shared_policy_loaded", st->shared_policy_loaded);
		fn(ctx, "shared_policy_received", st->shared_policy_received);
		fn(ctx, "shared_policy_sent", st->shared_policy_sent);
		fn(ctx, "shared_policy_dropped", st->shared_policy_dropped);
		fn(ctx, "shared_cert_loaded", st->shared_cert_loaded);
		fn(ctx, "shared_cert_received", st->shared_cert_received);
		fn(ctx, "shared_cert_sent", st->shared_cert_sent);
		fn(ctx, "shared_cert_dropped", st->shared_cert_dropped);
		fn(ctx, "shared_cert_unchecked", st->shared_cert_unchecked);
		fn(ctx, "shared_arrivals_lost", st->shared_arrivals_lost);
	}
	if (st->pcap_stats_valid) {
		fn(ctx, "pcap_received", st->pcap_received);
		fn(ctx, "pcap_dropped", st->pcap_dropped);
		fn(ctx, "pcap_ifdropped", st->pcap_ifdropped);
	}
}

void
sink_stats_each(const struct stats *st, void (*fn)(void *ctx, const char *name, uint64_t v),
		void *ctx)
{
	sink_stats_decode(st, fn, ctx);
	sink_stats_flows(st, fn, ctx);
	sink_stats_judged(st, fn, ctx);
	sink_stats_reasm(st, fn, ctx);
	sink_stats_shared(st, fn, ctx);
}

void
sink_flush(struct sink *k)
{
	if (fflush(k->out) != 0 && k->write_errno == 0)
		k->write_errno = errno ? errno : EIO;
}
