#!/usr/bin/env python3
"""tools/lab/clients/mailclient.py — a small, deterministic IMAP/POP3 client for
the tlswatch capture lab (Python's imaplib and poplib, standard library only).

  mailclient.py imap HOST PORT --tls none|starttls|implicit [--user U --password P] [--expect-fail]
  mailclient.py pop3 HOST PORT --tls none|stls|implicit [--user U --password P] [--expect-fail]

Both first ask for the capabilities (imaplib: CAPABILITY; POP3: CAPA, which
poplib's stls() sends by itself), then upgrade when asked (STARTTLS / STLS,
then the capabilities again). Without --user the session then only reads the
capabilities and logs out (IMAP: CAPABILITY, NOOP, LOGOUT; POP3: CAPA,
QUIT); IMAP --idle S goes IDLE for S seconds after the login (SELECT INBOX,
IDLE, DONE); POP3 --no-capa leaves CAPA out, as old clients and scripts do. With
--user it logs in (IMAP LOGIN, always sending the password as a
quoted string; POP3 USER/PASS), then IMAP SELECT INBOX / POP3 STAT, then
LOGOUT / QUIT. With --expect-fail a
refused login is the expected outcome (exit 0) and the client logs out
cleanly. TLS sends SNI --sni (default mail.tlswatch.test) and does not verify
the lab's self-signed certificate.
"""
import argparse
import imaplib
import poplib
import ssl
import sys
import time


def make_context(minimum=None):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if minimum is not None:
        ctx.minimum_version = minimum
    return ctx


class LabIMAP4(imaplib.IMAP4):
    def __init__(self, host, port, sni):
        self.sni = sni
        super().__init__(host, port)

    def lab_starttls(self, ctx):
        # imaplib uses self.host as the TLS server name; present the lab name.
        ip = self.host
        self.host = self.sni
        try:
            return self.starttls(ssl_context=ctx)
        finally:
            self.host = ip


class LabIMAP4SSL(imaplib.IMAP4_SSL):
    def __init__(self, host, port, sni, ctx):
        self.sni = sni
        super().__init__(host, port, ssl_context=ctx)

    def _create_socket(self, timeout):
        sock = imaplib.IMAP4._create_socket(self, timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.sni)


class LabPOP3(poplib.POP3):
    def __init__(self, host, port, sni):
        self.sni = sni
        super().__init__(host, port)

    def lab_stls(self, ctx):
        ip = self.host
        self.host = self.sni
        try:
            return self.stls(context=ctx)
        finally:
            self.host = ip


class LabPOP3SSL(poplib.POP3_SSL):
    def __init__(self, host, port, sni, ctx):
        self.sni = sni
        super().__init__(host, port, context=ctx)

    def _create_socket(self, timeout):
        sock = poplib.POP3._create_socket(self, timeout)
        return self.context.wrap_socket(sock, server_hostname=self.sni)


def lab_idle(conn, seconds):
    """IMAP IDLE (RFC 2177) after SELECT INBOX: the client says nothing for
    `seconds`, then DONE. imaplib has no IDLE of its own."""
    conn.select("INBOX")
    tag = conn._new_tag()
    conn.send(tag + b" IDLE\r\n")
    if not conn.readline().startswith(b"+"):
        raise SystemExit("imap IDLE refused")
    time.sleep(seconds)
    conn.send(b"DONE\r\n")
    while not conn.readline().startswith(tag + b" "):
        pass


def run_imap(args, ctx):
    if args.tls == "implicit":
        conn = LabIMAP4SSL(args.host, args.port, args.sni, ctx)
    else:
        conn = LabIMAP4(args.host, args.port, args.sni)
        if args.tls == "starttls":
            conn.lab_starttls(ctx)
    if args.user is None:
        conn.capability()
        conn.noop()
        conn.logout()
        return 0
    try:
        conn.login(args.user, args.password)
    except imaplib.IMAP4.error as err:
        conn.logout()
        if args.expect_fail:
            return 0
        print("imap login failed: %s" % err, file=sys.stderr)
        return 1
    if args.idle:
        lab_idle(conn, args.idle)
    conn.select("INBOX")
    conn.logout()
    if args.expect_fail:
        print("imap login succeeded but a failure was expected", file=sys.stderr)
        return 1
    return 0


def run_pop3(args, ctx):
    if args.tls == "implicit":
        conn = LabPOP3SSL(args.host, args.port, args.sni, ctx)
    else:
        conn = LabPOP3(args.host, args.port, args.sni)
    # Like mail clients do, ask for the capabilities first (poplib's stls()
    # sends CAPA itself, to check that STLS is offered) and again after STLS.
    if args.tls == "stls":
        conn.lab_stls(ctx)
    if not args.no_capa:
        conn.capa()
    if args.user is None:
        conn.quit()
        return 0
    try:
        conn.user(args.user)
        conn.pass_(args.password)
    except poplib.error_proto as err:
        conn.quit()
        if args.expect_fail:
            return 0
        print("pop3 login failed: %s" % err, file=sys.stderr)
        return 1
    conn.stat()
    conn.quit()
    if args.expect_fail:
        print("pop3 login succeeded but a failure was expected", file=sys.stderr)
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("protocol", choices=["imap", "pop3"])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--tls", default="none", choices=["none", "starttls", "stls", "implicit"])
    parser.add_argument("--sni", default="mail.tlswatch.test")
    parser.add_argument("--user")
    parser.add_argument("--password", default="")
    parser.add_argument("--expect-fail", action="store_true")
    parser.add_argument("--tls13", action="store_true", help="require TLS 1.3")
    parser.add_argument("--idle", type=float, default=0,
                        help="imap with --user: IDLE this many seconds after the login")
    parser.add_argument("--no-capa", action="store_true",
                        help="pop3 without STLS: never send CAPA (old clients, scripts)")
    args = parser.parse_args()
    ctx = make_context(ssl.TLSVersion.TLSv1_3 if args.tls13 else None)
    if args.protocol == "imap":
        if args.tls == "stls":
            parser.error("imap uses --tls starttls")
        return run_imap(args, ctx)
    if args.tls == "starttls":
        parser.error("pop3 uses --tls stls")
    return run_pop3(args, ctx)


if __name__ == "__main__":
    sys.exit(main())
