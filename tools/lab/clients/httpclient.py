#!/usr/bin/env python3
"""RFC 2817 lab client: asks an HTTP/1.1 server to upgrade to TLS.

    httpclient.py --addr ADDR --port PORT --host NAME --cafile CERT
                  --expect switch|refuse|ignore [--probe]

No client in Debian sends "Upgrade: TLS/1.0" (RFC 2817), so the capture lab
(tools/record-http.sh) uses this one, with its lab server
tools/lab/httpupgrade.py: a project lab client, not a real peer.

One connection, requests in order:
  --probe  GET /private/ without credentials (the server demands TLS: 426)
  OPTIONS * with "Upgrade: TLS/1.0" and "Connection: Upgrade" (RFC 2817's
           mandatory upgrade, section 3.2)
           101: a TLS handshake on the same socket (SNI NAME, the lab
           certificate as the only trust anchor), then the OPTIONS response
           inside TLS
           anything else: read, and the client goes on in cleartext
  GET /private/ with Basic credentials, "Connection: close"
--expect says which answer the upgrade must get (switch: 101; refuse: 400
or 200 after a 426; ignore: 200 and no 426); the last response must be 200.
The password (user alice) comes from the environment variable
HTTP_PASSWORD, never from the command line. Exit status 1 when the server
did not answer as expected.
"""
import argparse
import base64
import os
import socket
import ssl
import sys


def read_response(conn):
    """(status, headers text, body); bytes one at a time up to the end of
    the header block, so that nothing of a TLS handshake is read as HTTP."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        b = conn.recv(1)
        if not b:
            sys.exit("connection closed in a response header")
        head += b
    text = head.decode("latin-1")
    status = int(text.split(" ", 2)[1])
    length = 0
    for line in text.split("\r\n")[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    body = b""
    while len(body) < length:
        chunk = conn.recv(length - len(body))
        if not chunk:
            sys.exit("connection closed in a response body")
        body += chunk
    print("response: %s" % text.split("\r\n")[0], flush=True)
    return status, text, body


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--host", required=True)
    ap.add_argument("--cafile", required=True)
    ap.add_argument("--expect", choices=("switch", "refuse", "ignore"), required=True)
    ap.add_argument("--probe", action="store_true")
    args = ap.parse_args()
    password = os.environ["HTTP_PASSWORD"]
    host = args.host.encode()

    conn = socket.create_connection((args.addr, args.port), timeout=20)
    if args.probe:
        conn.sendall(b"GET /private/ HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
        status, text, _ = read_response(conn)
        if status != 426 or "TLS/1.0" not in text:
            sys.exit("probe: expected 426 with Upgrade: TLS/1.0, got %d" % status)
    conn.sendall(b"OPTIONS * HTTP/1.1\r\nHost: " + host + b"\r\nUpgrade: TLS/1.0\r\n"
                 b"Connection: Upgrade\r\n\r\n")
    status, _, _ = read_response(conn)
    if status == 101:
        if args.expect != "switch":
            sys.exit("the server switched to TLS, expected %s" % args.expect)
        ctx = ssl.create_default_context(cafile=args.cafile)
        conn = ctx.wrap_socket(conn, server_hostname=args.host)
        print("TLS: %s %s" % (conn.version(), conn.cipher()[0]), flush=True)
        status, _, _ = read_response(conn)  # the OPTIONS response, inside TLS
        if status != 200:
            sys.exit("OPTIONS inside TLS: %d" % status)
    elif args.expect == "switch":
        sys.exit("expected 101, got %d" % status)
    elif args.expect == "refuse" and status not in (400, 200):
        sys.exit("expected the refusal (400 or 200), got %d" % status)
    elif args.expect == "ignore" and status != 200:
        sys.exit("expected 200, got %d" % status)
    cred = base64.b64encode(b"alice:" + password.encode())
    conn.sendall(b"GET /private/ HTTP/1.1\r\nHost: " + host + b"\r\nAuthorization: Basic " +
                 cred + b"\r\nConnection: close\r\n\r\n")
    status, _, body = read_response(conn)
    if status != 200:
        sys.exit("GET /private/: %d" % status)
    print(body.decode().strip(), flush=True)
    if isinstance(conn, ssl.SSLSocket):
        try:
            conn = conn.unwrap()
        except (ssl.SSLError, OSError):
            pass
    conn.close()


if __name__ == "__main__":
    main()
