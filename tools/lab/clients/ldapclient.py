#!/usr/bin/python3
"""tools/lab/clients/ldapclient.py — an LDAP client for the tlswatch capture
lab that drives python3-ldap3 (Debian's package, a real LDAP client library,
pure Python: its own BER encoder, not libldap); it needs Debian's
/usr/bin/python3, where that package is installed.

  ldapclient.py HOST PORT --user DN --password P --base DN
                [--root-dse] [--starttls --cafile FILE] [--expect-fail]

The session, one message at a time (ldap3's SYNC strategy): with
--root-dse first an anonymous read of the root DSE's supportedExtension
(a base search of "" before any bind, as clients do to learn whether the
server offers StartTLS; the answer is printed), then with
--starttls the StartTLS extended request (1.3.6.1.4.1.1466.20037) first and
the TLS handshake (TLS 1.2 or later, the server's certificate checked
against --cafile, no SNI: the host is an address), then a simple bind, on
success a subtree search of --base for (objectClass=*), and an unbind at the
end. No schema read (get_info=NONE), so nothing else is sent;
the address is used as given (no DNS look-up). With --expect-fail a refused
bind (invalidCredentials) is the expected outcome (exit 0).
"""
import argparse
import ssl
import sys

from ldap3 import BASE, NONE, SIMPLE, SUBTREE, SYNC, Connection, Server, Tls

STARTTLS_OID = "1.3.6.1.4.1.1466.20037"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--starttls", action="store_true")
    ap.add_argument("--root-dse", action="store_true")
    ap.add_argument("--cafile")
    ap.add_argument("--expect-fail", action="store_true")
    args = ap.parse_args()
    if args.starttls and not args.cafile:
        ap.error("--starttls needs --cafile")

    tls = None
    if args.starttls:
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=args.cafile,
                  version=ssl.PROTOCOL_TLS_CLIENT)
    server = Server(args.host, port=args.port, use_ssl=False, tls=tls, get_info=NONE,
                    connect_timeout=10)
    conn = Connection(server, user=args.user, password=args.password,
                      authentication=SIMPLE, client_strategy=SYNC, auto_bind=False,
                      receive_timeout=10, raise_exceptions=False)
    conn.open()
    if args.root_dse:
        if not conn.search("", "(objectClass=*)", search_scope=BASE,
                           attributes=["supportedExtension"]):
            print("root DSE read failed:", conn.result, file=sys.stderr)
            conn.unbind()
            return 1
        exts = conn.response[0]["attributes"].get("supportedExtension", [])
        print("root DSE supportedExtension:", " ".join(exts))
        print("server offers StartTLS:", STARTTLS_OID in exts)
    if args.starttls:
        if not conn.start_tls():
            print("StartTLS failed:", conn.result, file=sys.stderr)
            conn.unbind()
            return 1
        print("StartTLS:", conn.result["description"], conn.socket.version(),
              conn.socket.cipher()[0])
    ok = conn.bind()
    print("bind:", conn.result["result"], conn.result["description"])
    if ok:
        conn.search(args.base, "(objectClass=*)", search_scope=SUBTREE, attributes=["*"])
        print("search:", conn.result["description"], "entries:",
              [e.entry_dn for e in conn.entries])
    conn.unbind()
    if ok == args.expect_fail:
        print("unexpected bind outcome", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
