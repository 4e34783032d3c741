#!/usr/bin/env python3
"""tools/lab/clients/ftpclient.py - a small, deterministic FTP/FTPS client
for the tlswatch capture lab (Python's ftplib.FTP_TLS, standard library only).

  ftpclient.py HOST PORT [--tls none|auth|implicit] [--feat] [--prot P|C]
               [--user U --password P] [--transfer MODE:CMD ...] [--file NAME]
               [--opportunistic] [--expect-fail] [--sni NAME]

The session, in this order:
  1. connect; --tls implicit (RFC 4217 section 4, port 990): the TLS
     handshake comes before the greeting;
  2. --feat: FEAT (RFC 2389), the multi-line 211 reply is printed;
  3. --tls auth: AUTH TLS, 234, TLS handshake on the control connection;
  4. with TLS (auth or implicit): PBSZ 0 and PROT P (or PROT C with
     --prot C: the data connections stay in cleartext);
  5. --user/--password: USER, PASS (an anonymous login is --user anonymous
     --password an e-mail address);
  6. each --transfer MODE:CMD in order: MODE pasv (PASV), epsv (EPSV, RFC
     2428), port (PORT) or eprt (EPRT, RFC 2428); CMD list (LIST, after TYPE
     A) or retr (RETR --file, after TYPE I); with PROT P the data connection
     is TLS too, resuming the control connection's TLS session (vsftpd's
     require_ssl_reuse wants that);
  7. QUIT.

--opportunistic makes --tls auth behave like an opportunistic client: it
sends AUTH TLS only when the FEAT reply lists AUTH TLS, and when the server
refuses it (4xx or 5xx) it goes on in cleartext: the login then crosses the
wire in the clear. Without it a missing or refused upgrade is an error.
--expect-fail: the login must be refused (530); the client then QUITs and
exits 0 (exit 1 when the login succeeded).

TLS sends SNI --sni (default ftp.tlswatch.test) and does not verify the lab's
self-signed certificate. Active mode (PORT/EPRT) listens on the control
connection's local address only. Loopback only.
"""
import argparse
import ftplib
import socket
import ssl
import sys


def log(msg):
    print("ftpclient: %s" % msg, file=sys.stderr, flush=True)


def loopback(addr):
    return addr.startswith("127.") or addr == "::1" or addr == "localhost"


class LabFTP(ftplib.FTP_TLS):
    """FTP_TLS with implicit TLS, SNI, TLS session reuse on data connections
    and a chosen data connection mode."""

    def __init__(self, ctx, sni, implicit):
        super().__init__(context=ctx, timeout=20)
        self.sni = sni
        self.implicit = implicit
        self.data_mode = "pasv"

    def connect(self, host="", port=0, timeout=-999, source_address=None):
        if not self.implicit:
            resp = super().connect(host, port)
            # ftplib uses self.host as the TLS server name (control and data).
            self.host = self.sni
            return resp
        # Implicit TLS: what ftplib.FTP.connect does, with the handshake first.
        self.host, self.port = host, port
        raw = socket.create_connection((host, port), self.timeout)
        self.af = raw.family
        self.sock = self.context.wrap_socket(raw, server_hostname=self.sni)
        self.host = self.sni
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome

    def makepasv(self):
        if self.data_mode == "epsv" or self.af == socket.AF_INET6:
            peer = self.sock.getpeername()
            return ftplib.parse229(self.sendcmd("EPSV"), peer)
        return super().makepasv()

    def makeport(self):
        local = self.sock.getsockname()[0]
        sock = socket.socket(self.af, socket.SOCK_STREAM)
        sock.bind((local, 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        if self.data_mode == "eprt" or self.af == socket.AF_INET6:
            self.sendeprt(local, port)
        else:
            self.sendport(local, port)
        if self.timeout is not None:
            sock.settimeout(self.timeout)
        return sock

    def ntransfercmd(self, cmd, rest=None):
        self.set_pasv(self.data_mode in ("pasv", "epsv"))
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                            session=self.sock.session)
            log("data TLS %s %s, session reused: %s" % (conn.version(), conn.cipher()[0],
                                                         conn.session_reused))
        return conn, size


def make_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def transfer(ftp, spec, name):
    mode, _, cmd = spec.partition(":")
    ftp.data_mode = mode
    if cmd == "list":
        lines = []
        ftp.retrlines("LIST", lines.append)
        for line in lines:
            log("LIST: %s" % line)
    elif cmd == "retr":
        data = bytearray()
        ftp.retrbinary("RETR " + name, data.extend)
        log("RETR %s: %d bytes %r" % (name, len(data), bytes(data[:64])))
    else:
        raise ValueError(cmd)


def upgrade(ftp, args, features):
    """AUTH TLS; False when an opportunistic client goes on in cleartext."""
    if args.opportunistic and features is not None and " AUTH TLS" not in features.upper():
        log("the server does not offer AUTH TLS; going on in cleartext")
        return False
    try:
        log("<- %s" % ftp.auth())
    except (ftplib.error_perm, ftplib.error_temp) as err:
        if not args.opportunistic:
            raise
        log("AUTH TLS refused (%s); going on in cleartext" % err)
        return False
    log("TLS up: %s %s" % (ftp.sock.version(), ftp.sock.cipher()[0]))
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--tls", choices=["none", "auth", "implicit"], default="none")
    parser.add_argument("--feat", action="store_true")
    parser.add_argument("--prot", choices=["P", "C"], default="P")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--transfer", action="append", default=[],
                        help="MODE:CMD, MODE pasv|epsv|port|eprt, CMD list|retr")
    parser.add_argument("--file", default="readme.txt")
    parser.add_argument("--opportunistic", action="store_true")
    parser.add_argument("--expect-fail", action="store_true")
    parser.add_argument("--sni", default="ftp.tlswatch.test")
    args = parser.parse_args()
    if not loopback(args.host):
        parser.error("loopback only: %s" % args.host)
    for spec in args.transfer:
        mode, _, cmd = spec.partition(":")
        if mode not in ("pasv", "epsv", "port", "eprt") or cmd not in ("list", "retr"):
            parser.error("bad --transfer %s" % spec)
    if (args.user is None) != (args.password is None):
        parser.error("--user and --password go together")

    ftp = LabFTP(make_context(), args.sni, args.tls == "implicit")
    log("<- %s" % ftp.connect(args.host, args.port))
    features = None
    if args.feat:
        features = ftp.sendcmd("FEAT")
        for line in features.splitlines():
            log("<- %s" % line)
    secure = args.tls == "implicit"
    if args.tls == "auth":
        secure = upgrade(ftp, args, features)
    if secure:
        ftp.sendcmd("PBSZ 0")
        if args.prot == "P":
            log("<- %s" % ftp.prot_p())
        else:
            log("<- %s" % ftp.prot_c())
    if args.user is not None:
        try:
            log("<- %s" % ftp.login(args.user, args.password, secure=False))
        except ftplib.error_perm as err:
            if not args.expect_fail or not str(err).startswith("530"):
                raise
            log("login refused as expected: %s" % err)
            log("<- %s" % ftp.quit())
            return 0
        if args.expect_fail:
            log("the login succeeded; a failure was expected")
            ftp.quit()
            return 1
    for spec in args.transfer:
        transfer(ftp, spec, args.file)
    log("<- %s" % ftp.quit())
    ftp.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ftplib.Error, OSError, EOFError, ssl.SSLError) as err:
        log("error: %r" % err)
        sys.exit(1)
