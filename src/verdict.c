/*
 * verdict.c - from a finished session's facts to its verdict, reason and
 * alerts (DESIGN.md: "Vocabulary"). The rules, in order:
 *
 *  1. No payload at all: unknown/no-payload.
 *  2. The first client payload was a TLS handshake: implicit-tls, or
 *     tls-failed when the handshake visibly failed.
 *  3. A service parser read cleartext:
 *     - upgrade accepted: starttls when a TLS handshake followed; downgraded
 *       no-tls-after-accept when the next bytes were not TLS; tls-failed when
 *       the handshake failed or the connection closed before it;
 *     - upgrade refused: downgraded/upgrade-refused;
 *     - capability masked: downgraded/capability-masked;
 *     - on a TLS-only port: downgraded/plaintext-on-tls-port;
 *     - offered, not used: cleartext/not-requested; no offer list seen and
 *       no request: cleartext/offer-unseen; else cleartext/not-offered
 *       (no-tls-protocol for an upgrade seldom deployed that neither side
 *       mentioned: HTTP's).
 *  4. TLS not from the first client byte: after unrecognised cleartext it is
 *     an upgrade by a protocol no parser reads (starttls); picked up midstream
 *     or with only the server side captured, a ClientHello or ServerHello
 *     still shows TLS from the start (implicit-tls); else unknown/midstream.
 *  Before 2: a data connection linked to its control session (FTP's
 *     ftp-data) is implicit-tls when it carries a TLS handshake, else
 *     cleartext (not-requested when TLS was offered or in use on the control
 *     session, else not-offered).
 *  5. Otherwise unknown (midstream, gap, unrecognized), or cleartext when
 *     nDPI recognised an unencrypted protocol: not-offered when the protocol
 *     has an upgrade (none was seen), no-tls-protocol when it has none (or
 *     one seldom deployed).
 *
 * Alerts: each downgrade indicator, injections, PREAUTH, each cleartext
 * login, and an obsolete version or weak cipher on negotiated TLS.
 */
#include "verdict.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void
verdict_alert_init(struct alert *a, const struct session *s, enum alert_kind kind,
		   enum severity sev)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->severity = sev;
	a->session_id = s->id;
	a->flow_id = session_flow_id(s);
	a->ts_us = s->ts_last_us;
	a->family = s->family;
	a->l4 = s->l4;
	memcpy(a->client_ip, s->client_ip, sizeof(a->client_ip));
	memcpy(a->server_ip, s->server_ip, sizeof(a->server_ip));
	a->client_port = s->client_port;
	a->server_port = s->server_port;
	a->service = s->service;
}

struct alert_out {
	struct alert *out;
	size_t max, n;
	struct session *s;
};

/* Raises an alert with raw evidence bytes (escaped here). */
static struct alert *
raise_alert(struct alert_out *ao, enum alert_kind kind, enum severity sev, const uint8_t *ev,
	    size_t ev_len)
{
	struct alert *a;

	ao->s->alerts |= 1u << kind;
	if (ao->n >= ao->max)
		return NULL;
	a = &ao->out[ao->n++];
	verdict_alert_init(a, ao->s, kind, sev);
	if (ev)
		text_escape(a->evidence, sizeof(a->evidence), ev,
			    ev_len > EVIDENCE_MAX ? EVIDENCE_MAX : ev_len);
	return a;
}

static void
raise_alert_text(struct alert_out *ao, enum alert_kind kind, enum severity sev, const char *text)
{
	raise_alert(ao, kind, sev, (const uint8_t *)text, strlen(text));
}

/* An alert the open session may have raised already (verdict_early): then
 * it is only listed, not raised again. */
static void
raise_once(struct alert_out *ao, enum alert_kind kind, enum severity sev, const uint8_t *ev,
	   size_t ev_len)
{
	if (ao->s->alerts_early & (1u << kind)) {
		ao->s->alerts |= 1u << kind;
		return;
	}
	raise_alert(ao, kind, sev, ev, ev_len);
}

static void
raise_once_text(struct alert_out *ao, enum alert_kind kind, enum severity sev, const char *text)
{
	raise_once(ao, kind, sev, (const uint8_t *)text, strlen(text));
}

/* How many of the non-TLS bytes of one direction are kept as evidence:
 * first_bytes_len counts the bytes that were not TLS, which may be more
 * than first_bytes holds. */
static size_t
not_tls_evidence_len(const struct tls_facts *t, enum dir d)
{
	return t->first_bytes_len[d] < sizeof(t->first_bytes[d]) ? (size_t)t->first_bytes_len[d]
								 : sizeof(t->first_bytes[d]);
}

/* The handshake visibly failed: a fatal alert in the clear, or the
 * connection ended (not the capture) before the handshake completed
 * (REASON_GAP instead when bytes of the session were missing). */
static enum reason
tls_failure(const struct session *s)
{
	const struct tls_facts *t = &s->tf;

	if (t->alert && t->alert_level == 2 && !t->established)
		return REASON_ALERT;
	/* DTLS: UDP has no close; a ClientHello that got nothing back before
	 * the flow went silent (or the capture ended) had no answer. */
	if (s->l4 == 17 && t->client_hello && !t->established && s->bytes[DIR_S2C] == 0 &&
	    (s->end == END_IDLE || s->end == END_CAPTURE))
		return s->gap ? REASON_GAP : REASON_NO_ANSWER;
	/* A client that sent encrypted records got through its part of the
	 * handshake (the server side may simply not be in the capture). */
	if (!t->established && !t->encrypted[DIR_C2S] && s->bytes[DIR_C2S] > 0 &&
	    (s->end == END_FIN || s->end == END_RST))
		/* Bytes missing (a capture loss, a short snaplen) may have held
		 * the rest of the handshake: that is not a failure. */
		return s->gap ? REASON_GAP : REASON_CLOSED;
	return REASON_NONE;
}

/* The verdict of a TLS handshake that did not complete for reason r. */
static enum verdict
tls_failed_verdict(enum reason r)
{
	return r == REASON_GAP ? VERDICT_UNKNOWN : VERDICT_TLS_FAILED;
}

/* YYYY-MM-DD of t (UTC). */
static void
cert_day(int64_t t, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(out, outsz, "%Y-%m-%d", &tm) == 0)
		snprintf(out, outsz, "?");
}

/*
 * What the server's certificate says by itself (TLS and DTLS <= 1.2):
 * outside its validity at the session's time; a name other than the SNI
 * the client asked for. SMTP to port 25 is left to the mail policy (policy_judge): it
 * checks the MX host name, and only where a policy asks for it.
 */
static void
judge_cert(struct alert_out *ao)
{
	const struct session *s = ao->s;
	const struct tls_cert *c = &s->tf.cert;
	int64_t now = (int64_t)(s->ts_first_us / 1000000u);
	char ev[256], from[16], to[16];

	if (c->state != TLS_CERT_READ)
		return;
	if (c->times_known && (now > c->not_after || now < c->not_before)) {
		cert_day(c->not_before, from, sizeof(from));
		cert_day(c->not_after, to, sizeof(to));
		snprintf(ev, sizeof(ev),
			 "certificate %s%s valid %s to %s (sha256 %02x%02x%02x%02x...)",
			 c->subject[0] ? "CN=" : "", c->subject, from, to, c->h[0].cert256[0],
			 c->h[0].cert256[1], c->h[0].cert256[2], c->h[0].cert256[3]);
		raise_alert_text(ao, ALERT_CERT_EXPIRED, SEVERITY_MEDIUM, ev);
	}
	/* A list cut short may hold the name among those not kept. */
	if (s->tf.sni[0] && !(s->l4 == 6 && s->server_port == 25) && !c->names_cut &&
	    !tls_cert_names_match(c, s->tf.sni)) {
		snprintf(ev, sizeof(ev), "SNI %.80s not among the certificate's names %.100s%s",
			 s->tf.sni, c->names[0] ? c->names : "(none)", c->names_cut ? ",..." : "");
		raise_alert_text(ao, ALERT_CERT_NAME_MISMATCH, SEVERITY_LOW, ev);
	}
}

static void
judge_tls_params(struct alert_out *ao)
{
	const struct tls_facts *t = &ao->s->tf;
	char buf[8], ev[96];

	if (!t->server_hello)
		return;
	if (tls_version_is_obsolete(t->version)) {
		snprintf(ev, sizeof(ev), "negotiated %s", tls_version_name(t->version, buf));
		raise_alert_text(ao, ALERT_TLS_OBSOLETE_VERSION, SEVERITY_MEDIUM, ev);
	}
	if (tls_cipher_is_weak(t->cipher)) {
		snprintf(ev, sizeof(ev), "negotiated %s", tls_cipher_name(t->cipher, buf));
		raise_alert_text(ao, ALERT_TLS_WEAK_CIPHER, SEVERITY_MEDIUM, ev);
	}
	judge_cert(ao);
}

/* The cleartext-login alert of login i. */
static void
judge_login(struct alert_out *ao, size_t i)
{
	const struct login *l = &ao->s->pf.logins[i];
	char ev[160];

	snprintf(ev, sizeof(ev), "%s %s user=%s", ao->s->service, l->mechanism,
		 l->username[0] ? l->username : "?");
	raise_alert_text(ao, ALERT_CLEARTEXT_LOGIN, l->has_secret ? SEVERITY_HIGH : SEVERITY_LOW,
			 ev);
}

static void
judge_logins(struct alert_out *ao)
{
	const struct proto_facts *pf = &ao->s->pf;

	for (size_t i = 0; i < pf->n_logins; i++) {
		const struct login *l = &pf->logins[i];

		if (l->anonymous)
			continue; /* nobody's credentials: listed, not alerted */
		if (ao->s->logins_early & (1u << i)) {
			ao->s->alerts |= 1u << ALERT_CLEARTEXT_LOGIN; /* raised while open */
			continue;
		}
		judge_login(ao, i);
	}
}

/* The alerts a parser's indicator decides by itself, whatever follows. */
static void
judge_indicated(struct alert_out *ao)
{
	const struct proto_facts *pf = &ao->s->pf;

	if (pf->indicators & IND_PREAUTH)
		raise_once(ao, ALERT_PREAUTH_BYPASS, SEVERITY_MEDIUM, pf->evidence,
			   pf->evidence_len);
	if (pf->indicators & IND_CMD_INJECTION)
		raise_once(ao, ALERT_CMD_INJECTION, SEVERITY_HIGH, pf->evidence, pf->evidence_len);
	if (pf->indicators & IND_RESP_INJECTION)
		raise_once(ao, ALERT_RESP_INJECTION, SEVERITY_HIGH, pf->evidence, pf->evidence_len);
}

/* Plaintext on a port where only TLS belongs: the alert's evidence. */
static void
tls_port_evidence(const struct session *s, char *ev, size_t evsz)
{
	snprintf(ev, evsz, "%s in cleartext on TLS port %u/%s", s->service, s->server_port,
		 transport_name(s->l4));
}

static void
judge_plain(struct alert_out *ao, bool tls_port)
{
	struct session *s = ao->s;
	const struct proto_facts *pf = &s->pf;
	const struct tls_facts *t = &s->tf;
	enum reason fail;

	judge_indicated(ao);
	judge_logins(ao);

	if (pf->switch_to_tls) {
		bool text_c = t->not_tls[DIR_C2S] || s->pre_tls_text[DIR_C2S];
		bool text_s = t->not_tls[DIR_S2C] || s->pre_tls_text[DIR_S2C];

		/* After the go-ahead, a side that never started TLS: the upgrade
		 * did not happen, whatever was said. */
		if ((text_c && !t->client_hello) || (text_s && !t->server_hello)) {
			enum dir d = text_c && !t->client_hello ? DIR_C2S : DIR_S2C;

			s->verdict = VERDICT_DOWNGRADED;
			s->reason = REASON_NO_TLS_AFTER_ACCEPT;
			raise_alert(ao, ALERT_NO_TLS_AFTER_ACCEPT, SEVERITY_HIGH, t->first_bytes[d],
				    not_tls_evidence_len(t, d));
			/* A plaintext answer to the ClientHello is the server not
			 * doing TLS; text sent before any ClientHello was also
			 * slipped in behind the go-ahead. */
			if (s->resp_unprompted)
				raise_alert(ao, ALERT_RESP_INJECTION, SEVERITY_HIGH,
					    t->first_bytes[DIR_S2C],
					    not_tls_evidence_len(t, DIR_S2C));
			return;
		}
		/* Text slipped in before a handshake that then went on. */
		if (text_s)
			raise_alert(ao, ALERT_RESP_INJECTION, SEVERITY_HIGH,
				    t->first_bytes[DIR_S2C], not_tls_evidence_len(t, DIR_S2C));
		if (text_c && !(pf->indicators & IND_CMD_INJECTION))
			raise_alert(ao, ALERT_CMD_INJECTION, SEVERITY_HIGH, t->first_bytes[DIR_C2S],
				    not_tls_evidence_len(t, DIR_C2S));
		fail = tls_failure(s);
		if (fail != REASON_NONE) {
			s->verdict = tls_failed_verdict(fail);
			s->reason = fail;
		} else {
			s->verdict = VERDICT_STARTTLS;
		}
		judge_tls_params(ao);
		return;
	}
	if (pf->upgrade_refused) {
		s->verdict = VERDICT_DOWNGRADED;
		s->reason = REASON_UPGRADE_REFUSED;
		raise_once(ao, ALERT_UPGRADE_REFUSED, SEVERITY_HIGH, pf->evidence,
			   pf->evidence_len);
		return;
	}
	if (pf->indicators & (IND_CAPA_MASKED | IND_CMD_MASKED)) {
		s->verdict = VERDICT_DOWNGRADED;
		s->reason = REASON_CAPABILITY_MASKED;
		raise_once(ao, ALERT_CAPABILITY_MASKED, SEVERITY_HIGH, pf->evidence,
			   pf->evidence_len);
		return;
	}
	if (tls_port) {
		char ev[64];

		tls_port_evidence(s, ev, sizeof(ev));
		s->verdict = VERDICT_DOWNGRADED;
		s->reason = REASON_PLAINTEXT_ON_TLS_PORT;
		raise_once_text(ao, ALERT_PLAINTEXT_ON_TLS_PORT, SEVERITY_HIGH, ev);
		return;
	}
	if (s->gap_undecided) {
		/* Bytes are missing (lost by the capture, cut by the snap length,
		 * a fragment that never completed): they may have held the upgrade
		 * request or a login, so "cleartext" would be a guess. */
		s->verdict = VERDICT_UNKNOWN;
		s->reason = REASON_GAP;
		return;
	}
	s->verdict = VERDICT_CLEARTEXT;
	if (pf->tls_offered)
		s->reason = REASON_NOT_REQUESTED;
	else if (!pf->upgrade_requested && s->proto &&
		 (s->proto->upgrade.seldom || !s->proto->upgrade.request))
		/* Nobody mentioned it, or the protocol has none (DNS: its TLS
		 * is a port of its own). */
		s->reason = REASON_NO_TLS_PROTOCOL;
	else if (!pf->capa_seen && !pf->upgrade_requested)
		/* Neither the server's list (EHLO, CAPA, FEAT ...) nor an answer
		 * to a request for TLS: whether the server offers it is not on the
		 * wire (correlation turns it into not-requested when another
		 * session showed the offer). */
		s->reason = REASON_OFFER_UNSEEN;
	else
		s->reason = REASON_NOT_OFFERED;
}

/* Plaintext: at least 4 bytes, all printable ASCII or TAB, CR, LF. */
static bool
verdict_is_text(const uint8_t *p, size_t n)
{
	if (n < 4)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((p[i] < 0x20 || p[i] > 0x7e) && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

/*
 * A data connection (FTP's) has no upgrade of its own: it carries TLS from
 * its first byte (either side's: in active mode the TLS client is the TCP
 * server) or it carries cleartext, which its control session could have
 * protected (not-requested) or not (not-offered).
 */
static void
judge_data_channel(struct alert_out *ao)
{
	struct session *s = ao->s;
	enum reason fail;

	if (s->tf.client_hello || s->tf.server_hello) {
		fail = tls_failure(s);
		s->verdict = fail != REASON_NONE ? tls_failed_verdict(fail) : VERDICT_IMPLICIT_TLS;
		s->reason = fail;
		judge_tls_params(ao);
		return;
	}
	if (s->tf.records[0] + s->tf.records[1] > 0) {
		s->reason = REASON_MIDSTREAM; /* TLS records, no handshake seen */
		return;
	}
	s->verdict = VERDICT_CLEARTEXT;
	s->reason = s->link_tls ? REASON_NOT_REQUESTED : REASON_NOT_OFFERED;
}

static size_t
judge_session(struct session *s, const struct verdict_input *in, struct alert *out, size_t max)
{
	struct alert_out ao = {out, max, 0, s};
	bool tls_port;
	enum reason fail;

	s->verdict = VERDICT_UNKNOWN;
	s->reason = REASON_NONE;
	s->alerts = 0;
	proto_by_port(s->server_port, s->l4, &tls_port);

	if (s->bytes[DIR_C2S] == 0 && s->bytes[DIR_S2C] == 0) {
		s->reason = s->midstream ? REASON_MIDSTREAM : REASON_NO_PAYLOAD;
		return 0;
	}
	if (s->proto && s->proto->data_channel) {
		judge_data_channel(&ao);
		return ao.n;
	}
	if (s->implicit_tls) {
		fail = tls_failure(s);
		s->verdict = fail != REASON_NONE ? tls_failed_verdict(fail) : VERDICT_IMPLICIT_TLS;
		s->reason = fail;
		judge_tls_params(&ao);
		return ao.n;
	}
	if (s->plain_seen) {
		judge_plain(&ao, tls_port);
		return ao.n;
	}
	if (s->tf.client_hello || s->tf.server_hello) {
		fail = tls_failure(s);
		if (fail != REASON_NONE)
			s->verdict = tls_failed_verdict(fail);
		else
			s->verdict =
				s->tls_after_cleartext ? VERDICT_STARTTLS : VERDICT_IMPLICIT_TLS;
		s->reason = fail;
		judge_tls_params(&ao);
		return ao.n;
	}
	if (s->tf.records[0] + s->tf.records[1] > 0) {
		s->reason = REASON_MIDSTREAM;
		return 0;
	}
	if (s->midstream) {
		s->reason = REASON_MIDSTREAM;
	} else if (tls_port && verdict_is_text(s->unrecognized, s->unrecognized_len)) {
		/* Text no parser knows where only TLS belongs (993, 465 ...):
		 * whatever it is, it was not protected. (Binary bytes may be
		 * another encryption, e.g. obfuscated VPNs: they stay unknown.) */
		s->verdict = VERDICT_DOWNGRADED;
		s->reason = REASON_PLAINTEXT_ON_TLS_PORT;
		raise_alert(&ao, ALERT_PLAINTEXT_ON_TLS_PORT, SEVERITY_HIGH, s->unrecognized,
			    s->unrecognized_len);
	} else if (s->gap_undecided)
		s->reason = REASON_GAP;
	else if (in && in->ndpi_cleartext) {
		/* Recognised by nDPI only: no parser saw an offer. A protocol that
		 * has an upgrade did not show one; the others have none. */
		const struct proto_desc *sp = proto_by_name(s->service);

		s->verdict = VERDICT_CLEARTEXT;
		s->reason = sp && sp->upgrade.request && !sp->upgrade.seldom
				    ? REASON_NOT_OFFERED
				    : REASON_NO_TLS_PROTOCOL;
	} else
		s->reason = REASON_UNRECOGNIZED;
	return ao.n;
}

size_t
verdict_judge(struct session *s, const struct verdict_input *in, struct alert *out, size_t max)
{
	size_t n = judge_session(s, in, out, max);

	/* Raised while the session was open: listed even when the end changed
	 * the picture (an upgrade refused, then accepted on a second try). */
	s->alerts |= s->alerts_early;
	return n;
}

/* Is login i's exchange over (so its alert says all it will say: the
 * user name, whether a secret crossed the wire)? The server answered it,
 * or a later login began. */
static bool
login_complete(const struct proto_facts *pf, size_t i)
{
	return pf->logins[i].outcome != LOGIN_UNKNOWN || i + 1 < pf->n_logins;
}

/* An alert raised while the session is open: remembered on the session. */
static void
raise_early(struct alert_out *ao, enum alert_kind kind, enum severity sev, const uint8_t *ev,
	    size_t ev_len)
{
	if (ao->s->alerts_early & (1u << kind))
		return;
	ao->s->alerts_early |= 1u << kind;
	raise_alert(ao, kind, sev, ev, ev_len);
}

size_t
verdict_early(struct session *s, struct alert *out, size_t max)
{
	struct alert_out ao = {out, max, 0, s};
	const struct proto_facts *pf = &s->pf;
	bool tls_port;
	char ev[64];

	/* Only what judge_plain decides from the parser's facts alone. */
	if (!s->plain_seen || s->implicit_tls || (s->proto && s->proto->data_channel))
		return 0;
	if (pf->indicators & IND_PREAUTH)
		raise_early(&ao, ALERT_PREAUTH_BYPASS, SEVERITY_MEDIUM, pf->evidence,
			    pf->evidence_len);
	if (pf->indicators & IND_CMD_INJECTION)
		raise_early(&ao, ALERT_CMD_INJECTION, SEVERITY_HIGH, pf->evidence,
			    pf->evidence_len);
	if (pf->indicators & IND_RESP_INJECTION)
		raise_early(&ao, ALERT_RESP_INJECTION, SEVERITY_HIGH, pf->evidence,
			    pf->evidence_len);
	for (size_t i = 0; i < pf->n_logins && i < 8; i++) {
		if ((s->logins_early & (1u << i)) || !login_complete(pf, i) ||
		    pf->logins[i].anonymous)
			continue;
		s->logins_early |= (uint8_t)(1u << i);
		s->alerts_early |= 1u << ALERT_CLEARTEXT_LOGIN;
		judge_login(&ao, i);
	}
	/* After an accepted upgrade, what follows decides (TLS, or text where
	 * TLS belongs): the end's judgement. */
	if (pf->switch_to_tls)
		return ao.n;
	if (pf->upgrade_refused) {
		raise_early(&ao, ALERT_UPGRADE_REFUSED, SEVERITY_HIGH, pf->evidence,
			    pf->evidence_len);
		return ao.n;
	}
	if (pf->indicators & (IND_CAPA_MASKED | IND_CMD_MASKED)) {
		raise_early(&ao, ALERT_CAPABILITY_MASKED, SEVERITY_HIGH, pf->evidence,
			    pf->evidence_len);
		return ao.n;
	}
	proto_by_port(s->server_port, s->l4, &tls_port);
	if (tls_port) {
		tls_port_evidence(s, ev, sizeof(ev));
		raise_early(&ao, ALERT_PLAINTEXT_ON_TLS_PORT, SEVERITY_HIGH, (const uint8_t *)ev,
			    strlen(ev));
	}
	return ao.n;
}

bool
verdict_may_alert(const struct session *s)
{
	return s->pf.indicators || s->pf.n_logins || s->tf.not_tls[0] || s->tf.not_tls[1] ||
	       (s->tf.server_hello &&
		(tls_version_is_obsolete(s->tf.version) || tls_cipher_is_weak(s->tf.cipher)));
}

void
verdict_apply_correlation(struct session *s, const struct correlate_facts *cf)
{
	s->verdict = cf->verdict;
	s->reason = cf->reason;
	s->alerts |= cf->alerts;
}
