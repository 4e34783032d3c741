#!/usr/bin/python3
"""tools/lab/clients/nntpclient.py — an NNTP (RFC 3977) reader client for the
tlswatch capture lab. It drives Python's own nntplib (the standard library of
Debian 12's /usr/bin/python3, 3.11: deprecated since 3.11, removed in 3.13,
still present and working here), a real NNTP client with STARTTLS (RFC 4642)
and AUTHINFO USER/PASS (RFC 4643).

  nntpclient.py ADDR PORT --user U --password P [--name NAME] [--cafile FILE]
                [--starttls [--opportunistic] | --tls] [--group G] [--post]
                [--expect-fail]

The session, in order:
  - the greeting, then CAPABILITIES (nntplib asks at once);
  - with --starttls: STARTTLS (an error if CAPABILITIES did not list it),
    382, the TLS handshake, CAPABILITIES again inside TLS;
    with --opportunistic, a STARTTLS the server did not list or refused
    (580) is no error: the session goes on in cleartext, as opportunistic
    clients do (what a man in the middle counts on);
    with --tls: TLS from the first byte (implicit TLS, port 563);
  - AUTHINFO USER, AUTHINFO PASS (nntplib sends both in lower case:
    `authinfo user alice`, `authinfo pass ...`);
  - on 281, CAPABILITIES again (nntplib), then LIST (LIST ACTIVE), GROUP G
    with --group, and with --post a POST of a small fixed article (340, the
    article, "." , 240);
  - QUIT, in every case.
With --expect-fail a refused login (481) is the expected outcome (exit 0);
otherwise a refused login is an error (exit 1).

The client connects to ADDR (an address, never a name) and names the server
NAME (default news.tlswatch.test) only for TLS: SNI and the certificate check
against --cafile. No name is ever resolved.
"""
import argparse
import io
import socket
import ssl
import sys
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import nntplib

ARTICLE = (
    b"From: alice <alice@tlswatch.test>\r\n"
    b"Newsgroups: tlswatch.lab\r\n"
    b"Subject: tlswatch lab\r\n"
    b"Message-ID: <lab@client.tlswatch.test>\r\n"
    b"\r\n"
    b"small test article\r\n"
)


class LabNNTP(nntplib.NNTP):
    """nntplib.NNTP connected to an address; self.host (the name) is used
    for TLS only (STARTTLS: SNI and certificate check)."""

    def __init__(self, address, port, name, **kw):
        self.address = address
        super().__init__(name, port, **kw)

    def _create_socket(self, timeout):
        return socket.create_connection((self.address, self.port), timeout)


class LabNNTPS(nntplib.NNTP_SSL):
    """nntplib.NNTP_SSL (implicit TLS) connected to an address."""

    def __init__(self, address, port, name, **kw):
        self.address = address
        super().__init__(name, port, **kw)

    def _create_socket(self, timeout):
        sock = socket.create_connection((self.address, self.port), timeout)
        try:
            return self.ssl_context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def tls_context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = True
    return ctx


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("address")
    ap.add_argument("port", type=int)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--name", default="news.tlswatch.test")
    ap.add_argument("--cafile")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--starttls", action="store_true")
    mode.add_argument("--tls", action="store_true")
    ap.add_argument("--opportunistic", action="store_true")
    ap.add_argument("--group")
    ap.add_argument("--post", action="store_true")
    ap.add_argument("--expect-fail", action="store_true")
    ap.add_argument("--timeout", type=float, default=20)
    args = ap.parse_args()
    if (args.starttls or args.tls) and not args.cafile:
        ap.error("--starttls and --tls need --cafile")

    if args.tls:
        client = LabNNTPS(args.address, args.port, args.name,
                          ssl_context=tls_context(args.cafile), timeout=args.timeout)
    else:
        client = LabNNTP(args.address, args.port, args.name, timeout=args.timeout)
    client.set_debuglevel(1)
    print("greeting:", client.getwelcome())
    caps = client.getcapabilities()
    print("server offers STARTTLS:", "STARTTLS" in caps)
    print("server offers AUTHINFO:", " ".join(caps.get("AUTHINFO", [])) or "no")

    tls = args.tls
    if args.starttls:
        if "STARTTLS" not in caps:
            print("STARTTLS not offered", file=sys.stderr)
            if not args.opportunistic:
                client.quit()
                return 1
        else:
            try:
                client.starttls(tls_context(args.cafile))
                tls = True
            except nntplib.NNTPError as e:
                print("STARTTLS refused:", e, file=sys.stderr)
                if not args.opportunistic:
                    client.quit()
                    return 1
    if tls:
        print("tls:", client.sock.version(), client.sock.cipher()[0])
    else:
        print("tls: none, cleartext")

    try:
        client.login(args.user, args.password, usenetrc=False)
        ok = True
    except nntplib.NNTPError as e:
        ok = False
        print("login refused:", e)
    if ok:
        print("login: ok")
        resp, groups = client.list()
        print("list:", resp, [g.group for g in groups])
        if args.group:
            print("group:", client.group(args.group)[0])
        if args.post:
            print("post:", client.post(io.BytesIO(ARTICLE)))
    client.quit()
    if ok == args.expect_fail:
        print("unexpected login outcome", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
