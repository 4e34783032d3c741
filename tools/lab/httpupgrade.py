#!/usr/bin/env python3
"""RFC 2817 lab server: HTTP/1.1 that upgrades to TLS on the same connection.

    httpupgrade.py --listen ADDR:PORT --cert CERT --key KEY --mode MODE
                   [--refuse-status 400] [--count 1] [--timeout 30]
                   [--ready FILE]

No server in Debian implements "Upgrade: TLS/1.0" (RFC 2817), so the capture
lab (tools/record-http.sh) uses this one. It is a project lab server, not a
real peer: the captures made with it are labelled so in pcaps/README.md.

MODE:
  upgrade  a request naming TLS in its Upgrade header is answered
           "101 Switching Protocols" (Upgrade: TLS/1.0, HTTP/1.1), then a
           real TLS handshake follows on the same connection (Python's ssl,
           the lab certificate), and the response to that request comes
           inside TLS (RFC 2817 section 3.3). /private/ without TLS is
           answered "426 Upgrade Required" with the same Upgrade header.
  refuse   /private/ without TLS is answered 426 as above (the offer), but a
           request for TLS is answered with --refuse-status (400 or 200)
           without switching, and the connection goes on in cleartext.
  ignore   a server that does not implement RFC 2817: the Upgrade header
           is ignored, no 426, no Upgrade header in any response.

/private/ needs Basic credentials: user alice, the password in the
environment variable HTTP_LAB_PASSWORD (never on a command line); 401
otherwise (in refuse and ignore modes, also in cleartext). The server
handles --count connections, one at a time, then exits; it exits with status
1 after --timeout seconds without finishing them.
"""
import argparse
import base64
import os
import signal
import socket
import ssl
import sys

UPGRADE = b"Upgrade: TLS/1.0, HTTP/1.1\r\n"


def read_message(conn):
    """One request: (request line, {lowercase name: value}), or None at EOF.
    Bytes are read one at a time so that nothing after the header block is
    taken from the socket before a switch to TLS."""
    data = b""
    while not data.endswith(b"\r\n\r\n"):
        b = conn.recv(1)
        if not b:
            return None
        data += b
        if data == b"\r\n":
            data = b""
    lines = data.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.strip()
    length = int(fields.get("content-length", "0"))
    while length > 0:
        chunk = conn.recv(length)
        if not chunk:
            return None
        length -= len(chunk)
    return lines[0], fields


def asks_tls(fields):
    return any(p.strip().split("/")[0].upper() == "TLS"
               for p in fields.get("upgrade", "").split(","))


def response(status, body=b"", extra=b"", close=False):
    head = b"HTTP/1.1 " + status.encode() + b"\r\nServer: tlswatch-lab-rfc2817\r\n" + extra
    head += b"Content-Type: text/plain\r\nContent-Length: " + str(len(body)).encode() + b"\r\n"
    if close:
        head += b"Connection: close\r\n"
    return head + b"\r\n" + body


def authorized(fields, password):
    want = base64.b64encode(b"alice:" + password.encode()).decode()
    return fields.get("authorization", "") == "Basic " + want


def answer(line, fields, tls, args, password):
    """The response to one request that does not switch protocols."""
    method, target = (line.split(" ") + ["", ""])[:2]
    close = fields.get("connection", "").lower() == "close"
    offer = args.mode in ("upgrade", "refuse")
    if method == "OPTIONS":
        return response("200 OK", b"", b"Allow: GET, HEAD, OPTIONS\r\n", close)
    if target.startswith("/private/"):
        if not tls and offer and "authorization" not in fields:
            return response("426 Upgrade Required", b"TLS required\n",
                            UPGRADE + b"Connection: Upgrade\r\n", close)
        if not authorized(fields, password):
            return response("401 Unauthorized", b"unauthorized\n",
                            b'WWW-Authenticate: Basic realm="tlswatch lab"\r\n', close)
        return response("200 OK", b"private page of the tlswatch lab\n", b"", close)
    return response("200 OK", b"public page of the tlswatch lab\n", b"", close)


def serve(conn, ctx, args, password):
    tls = False
    while True:
        msg = read_message(conn)
        if msg is None:
            break
        line, fields = msg
        print("request: %s%s" % (line, " (in TLS)" if tls else ""), flush=True)
        if not tls and asks_tls(fields):
            if args.mode == "upgrade":
                conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\n" + UPGRADE +
                             b"Connection: Upgrade\r\n\r\n")
                conn = ctx.wrap_socket(conn, server_side=True)
                tls = True
                print("TLS: %s %s" % (conn.version(), conn.cipher()[0]), flush=True)
            elif args.mode == "refuse":
                reason = {400: "Bad Request", 200: "OK"}.get(args.refuse_status, "Refused")
                conn.sendall(response("%d %s" % (args.refuse_status, reason), b"no TLS here\n"))
                print("refused the upgrade with %d" % args.refuse_status, flush=True)
                continue
        conn.sendall(answer(line, fields, tls, args, password))
        if fields.get("connection", "").lower() == "close":
            break
    if tls:
        try:
            conn = conn.unwrap()
        except (ssl.SSLError, OSError):
            pass
    conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--mode", choices=("upgrade", "refuse", "ignore"), required=True)
    ap.add_argument("--refuse-status", type=int, choices=(200, 400), default=400)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=30)
    ap.add_argument("--ready")
    args = ap.parse_args()
    password = os.environ.get("HTTP_LAB_PASSWORD", "")
    addr, port = args.listen.rsplit(":", 1)

    def expired(*_):
        print("timeout", file=sys.stderr, flush=True)
        os._exit(1)

    signal.signal(signal.SIGALRM, expired)
    signal.alarm(args.timeout)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, int(port)))
    srv.listen(4)
    if args.ready:
        open(args.ready, "w").close()
    for _ in range(args.count):
        conn, peer = srv.accept()
        print("connection from %s:%d, mode %s" % (peer[0], peer[1], args.mode), flush=True)
        serve(conn, ctx, args, password)
    srv.close()


if __name__ == "__main__":
    main()
