#!/usr/bin/python3
"""tools/lab/clients/sieveclient.py — a ManageSieve (RFC 5804) client that logs
in WITHOUT STARTTLS (or, with --opportunistic, with STARTTLS when it is
offered and accepted), for the tlswatch capture lab. It drives python3-sievelib
(Debian's package, a real ManageSieve client library); it needs Debian's
/usr/bin/python3, where that package is installed.

  sieveclient.py HOST PORT --user U --password P [--opportunistic]
                 [--expect-fail]

sieve-connect, the lab's command-line client, always sends STARTTLS when the
server offers it and has no option to stay in cleartext; sievelib does
STARTTLS only when asked (connect(starttls=False) here). The session: the
server's capability greeting (STARTTLS listed or not), then
`AUTHENTICATE "PLAIN" "<base64 of \\0user\\0password>"` (the initial response
as a quoted string), then on `OK` a LISTSCRIPTS; always LOGOUT at the end.
With --expect-fail a refused login (`NO`) is the expected outcome (exit 0).

--opportunistic: as an opportunistic client (what a man in the middle
counts on), STARTTLS when the greeting lists it, and on `NO` or a missing
STARTTLS the login in cleartext on the same connection. sievelib's connect()
either insists on STARTTLS or never sends it, so its steps (read the
capabilities, STARTTLS, AUTHENTICATE) are called one by one. Its STARTTLS
does not check the server's certificate.
"""
import argparse
import socket
import sys

from sievelib.managesieve import Client, Error


def opportunistic(client, args):
    """connect(), with STARTTLS only when offered and accepted."""
    client.sock = socket.create_connection((args.host, args.port))
    client.sock.settimeout(Client.read_timeout)
    if not client._Client__get_capabilities():
        raise Error("Failed to read capabilities from server")
    if not client.has_tls_support():
        print("STARTTLS not offered", file=sys.stderr)
    elif client._Client__starttls():
        print("tls:", client.sock.version())
    else:
        print("STARTTLS refused:", client.errmsg, file=sys.stderr)
    return client._Client__authenticate(args.user, args.password, b"", "PLAIN")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--expect-fail", action="store_true")
    ap.add_argument("--opportunistic", action="store_true")
    args = ap.parse_args()

    client = Client(args.host, args.port, debug=True)
    if args.opportunistic:
        ok = opportunistic(client, args)
    else:
        ok = client.connect(args.user, args.password, starttls=False, authmech="PLAIN")
    print("server offers STARTTLS:", client.has_tls_support())
    print("login:", "ok" if ok else "refused: %r" % getattr(client, "errmsg", b""))
    if ok:
        active, others = client.listscripts()
        print("scripts: active=%r others=%r" % (active, others))
    client.logout()
    if ok == args.expect_fail:
        print("unexpected login outcome", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
