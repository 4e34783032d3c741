#!/usr/bin/python3
"""tools/lab/clients/xmppclient.py — an XMPP client for the tlswatch capture
lab: slixmpp from Debian (python3-slixmpp 1.8.3: its stream, STARTTLS, SASL,
roster and message handling), so it needs Debian's /usr/bin/python3, where
that package is installed.

  xmppclient.py --addr ADDR [--port N] [--jid JID] [--cafile FILE]
                [--tls starttls|none|implicit] [--mech NAME]
                [--message TEXT] [--expect-fail]
                [--starttls-unoffered] [--inject-after-starttls]
                [--expect-refusal] [--expect-tls-failure]

The password comes from the environment (XMPP_PASSWORD), never the command
line. One connection to ADDR:PORT (no DNS: the address is given, and the
JID's domain only goes into the stream header, SNI and the certificate
check against --cafile), then:

  --tls starttls   slixmpp's own STARTTLS when the server offers it; the
                   default. When the features do not offer it, slixmpp goes
                   on without TLS (its force_starttls is never checked in
                   1.8.3) and logs in with what it allows in the clear:
                   SCRAM (unencrypted_scram, on by default), not PLAIN
                   (unencrypted_plain, off): the opportunistic victim of the
                   downgrade captures.
  --tls none       never STARTTLS, even when offered (slixmpp's
                   disable_starttls, and its feature_mechanisms option
                   unencrypted_plain so that PLAIN is allowed in the clear).
  --tls implicit   TLS from the first byte (XEP-0368 direct TLS, slixmpp's
                   use_ssl).
  --mech NAME      the SASL mechanism (slixmpp's sasl_mech), e.g. PLAIN.
  login            SASL as slixmpp chooses (or --mech); with --expect-fail
                   the server must answer <failure/>: exit 0 then, after
                   closing the stream.
  --expect-refusal     the server (or the proxy) must answer <starttls/>
                       with <failure/>: exit 0 then.
  --expect-tls-failure the TLS handshake after <proceed/> must fail
                       (slixmpp's ssl_invalid_chain event, which it fires
                       for any TLS error there): exit 0 then.
  session          resource binding, presence, the roster (the client says
                   whether the session is in TLS); with --message, a
                   message to the account's own bare JID, and the client
                   waits until it comes back; then </stream:stream> and the
                   server's.

Two things slixmpp does not do, made with its send_raw:
  --starttls-unoffered    when the features lack <starttls/>, send it all the
                          same (a client insisting on TLS): the server must
                          answer <failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>
                          and close the stream (RFC 6120 5.4.2.2): exit 0.
  --inject-after-starttls when <starttls/> is offered, send it and, in the
                          same write, an <iq type='get' id='injected'> ping
                          (CVE-2011-0411's pattern: a command pipelined
                          behind the upgrade request); then wait for the
                          server's <proceed/> and what it does with the
                          injected bytes, without starting TLS (slixmpp's
                          own handler of <proceed/> is removed: it would race
                          the server's reaction). The client says whether
                          the injected ping was answered. It ends when the
                          server closes, or 3 s after <proceed/>.
"""
import argparse
import asyncio
import logging
import os
import ssl
import sys

from slixmpp import ClientXMPP
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatcherId, MatchXPath

TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"
TIMEOUT = 20.0


class LabClient(ClientXMPP):
    def __init__(self, args):
        plugin_config = {}
        if args.tls == "none":
            plugin_config["feature_mechanisms"] = {"unencrypted_plain": True}
        super().__init__(args.jid, os.environ.get("XMPP_PASSWORD", ""),
                         plugin_config=plugin_config, sasl_mech=args.mech)
        self.args = args
        self.result = None  # "ok", "auth-failed", "refused"; None: not yet
        self.error = None
        self.starttls_sent = False
        self.whitespace_keepalive = False
        if args.cafile:
            self.ca_certs = args.cafile
        self.register_plugin("xep_0199")  # ping (the injected iq's namespace)
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("failed_auth", self.on_failed_auth)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_event_handler("killed", self.on_disconnected)
        self.add_event_handler("ssl_invalid_chain", self.on_tls_error)
        self.add_event_handler("stream_error", lambda e: print("< stream error:", e))
        self.register_handler(Callback("STARTTLS failure", MatchXPath("{%s}failure" % TLS_NS),
                                       self.on_tls_failure, instream=True))
        self.register_handler(Callback("STARTTLS proceed (lab)", MatchXPath("{%s}proceed" % TLS_NS),
                                       self.on_tls_proceed, instream=True))
        self.register_handler(Callback("injected iq answer",
                                       MatcherId("injected"),
                                       self.on_injected_answer))
        self.done = asyncio.get_event_loop().create_future()
        self.message_back = asyncio.get_event_loop().create_future()

    # No DNS: the lab gives the address (slixmpp would otherwise ask for the
    # A/AAAA records of the JID's domain).
    async def get_dns_records(self, domain, port=None):
        return [(domain, self.args.addr, self.args.port)]

    async def _handle_stream_features(self, features):
        offered = "starttls" in features["features"]
        if self.starttls_sent:
            return await super()._handle_stream_features(features)
        if self.args.starttls_unoffered and not offered:
            self.starttls_sent = True
            print("> <starttls/> although the features do not offer it")
            self.send_raw("<starttls xmlns='%s'/>" % TLS_NS)
            return True
        if self.args.inject_after_starttls and offered:
            self.starttls_sent = True
            # The go-ahead is only noted (on_tls_proceed): slixmpp would
            # start TLS on it, racing the server's own reaction to the
            # injected bytes, and the capture would differ between runs.
            self.remove_handler("STARTTLS Proceed")
            print("> <starttls/> and an injected ping in one write")
            self.send_raw("<starttls xmlns='%s'/><iq type='get' id='injected'>"
                          "<ping xmlns='urn:xmpp:ping'/></iq>" % TLS_NS)
            return True
        return await super()._handle_stream_features(features)

    def say_tls(self):
        # slixmpp's own TLS events fire before it swaps in the TLS
        # transport; at the session's start the transport is the one used.
        obj = self.transport.get_extra_info("ssl_object") if self.transport else None
        if obj:
            print("tls:", obj.version(), obj.cipher()[0], "sni", self.boundjid.domain)
        else:
            print("no tls: the session is in cleartext")

    def on_tls_error(self, err):
        # slixmpp names every TLS error of its STARTTLS this way, the
        # certificate's or not; without this handler it only disconnects.
        print("< TLS handshake failed:", err)
        self.result = "tls-failed"
        self.finish("TLS failed")

    def on_tls_failure(self, stanza):
        print("< STARTTLS failure:", stanza)
        self.result = "refused"

    def on_tls_proceed(self, stanza):
        print("< STARTTLS proceed")
        if self.args.inject_after_starttls:
            # What the server makes of the injected bytes decides the rest
            # (Prosody 0.12 reads them as a new stream's first bytes and
            # answers with a stream error in the clear): the run ends when
            # the connection does, or 3 s after the go-ahead.
            self.result = "injected"
            self.loop.call_later(3.0, self.finish, "after the go-ahead")

    def finish(self, reason):
        if not self.done.done():
            if self.transport:
                self.abort()
            self.done.set_result(reason)

    def on_injected_answer(self, iq):
        where = "inside TLS" if self.transport and self.transport.get_extra_info(
            "ssl_object") else "in cleartext"
        print("< the injected ping was answered (%s, type %s)" % (where, iq["type"]))

    def on_failed_auth(self, event):
        print("< SASL failure")
        self.result = "auth-failed"
        self.disconnect()

    async def on_session_start(self, event):
        print("session started as", self.boundjid.full)
        self.say_tls()
        self.send_presence()
        await self.get_roster(timeout=TIMEOUT)
        if self.args.message:
            self.send_message(mto=self.boundjid.bare, mbody=self.args.message, mtype="chat")
            await asyncio.wait_for(self.message_back, TIMEOUT)
            print("< the message came back")
        self.result = "ok"
        self.disconnect()

    def on_message(self, msg):
        if msg["body"] == self.args.message and not self.message_back.done():
            self.message_back.set_result(True)

    def on_disconnected(self, reason):
        if not self.done.done():
            self.done.set_result(reason)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", type=int, default=5222)
    ap.add_argument("--jid", default="alice@tlswatch.test")
    ap.add_argument("--cafile")
    ap.add_argument("--tls", choices=("starttls", "none", "implicit"), default="starttls")
    ap.add_argument("--mech")
    ap.add_argument("--message")
    ap.add_argument("--expect-fail", action="store_true")
    ap.add_argument("--starttls-unoffered", action="store_true")
    ap.add_argument("--inject-after-starttls", action="store_true")
    ap.add_argument("--expect-refusal", action="store_true")
    ap.add_argument("--expect-tls-failure", action="store_true")
    ap.add_argument("--debug", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.ERROR,
                        format="%(levelname)s %(name)s %(message)s")

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    xmpp = LabClient(args)
    if args.tls == "implicit":
        xmpp.connect((args.addr, args.port), use_ssl=True)
    elif args.tls == "none":
        xmpp.connect((args.addr, args.port), force_starttls=False, disable_starttls=True)
    else:
        xmpp.connect((args.addr, args.port), force_starttls=not args.starttls_unoffered)
    # Given an address, slixmpp 1.8.3 leaves its TLS server name empty: no
    # SNI, and the certificate is checked against nothing. The JID's domain
    # is the name to ask for and to check (RFC 7590 section 3.2).
    xmpp.default_domain = xmpp.boundjid.domain
    try:
        loop.run_until_complete(asyncio.wait_for(xmpp.done, TIMEOUT * 2))
    except asyncio.TimeoutError:
        print("xmppclient: timed out (result %s)" % xmpp.result, file=sys.stderr)
        return 1
    finally:
        # slixmpp's own tasks (its output filter) never end by themselves.
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.run_until_complete(asyncio.sleep(0))
    print("disconnected; result:", xmpp.result)
    want = "ok"
    if args.expect_fail:
        want = "auth-failed"
    elif args.starttls_unoffered or args.expect_refusal:
        want = "refused"
    elif args.expect_tls_failure:
        want = "tls-failed"
    elif args.inject_after_starttls:
        want = "injected"
    if xmpp.result != want:
        print("xmppclient: expected %s, got %s" % (want, xmpp.result), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
