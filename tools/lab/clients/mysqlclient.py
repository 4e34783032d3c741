#!/usr/bin/python3
"""tools/lab/clients/mysqlclient.py — a MySQL/MariaDB client for the tlswatch
capture lab: python3-pymysql (Debian's package, pure Python), so it needs
Debian's /usr/bin/python3, where that package is installed.

  mysqlclient.py --host ADDR --user U [--port 3306] [--database DB]
                 [--ssl-ca FILE | --no-ssl] [--expect-fail]

The password comes from the environment (MYSQL_PWD), never the command
line. The address is numeric: pymysql resolves no name for it, and Python's
ssl module sends no SNI for an IP address. One connection (no option file
is read: no ~/.my.cnf, no /etc/mysql), `SELECT 1`, then COM_QUIT and close.

  --ssl-ca FILE  TLS when the server's Handshake has CLIENT_SSL: an
                 SSLRequest, then the TLS handshake, the certificate checked
                 against FILE (its subjectAltName has IP:127.0.0.1). Like
                 pymysql itself, it goes on in cleartext when the server
                 does not offer TLS.
  --no-ssl       never TLS (the default): the HandshakeResponse41 at once.

Authentication plugins are pymysql's: mysql_native_password in the
HandshakeResponse (the server's default plugin), and after an
AuthSwitchRequest mysql_clear_password (the password, NUL-terminated) or
the others pymysql knows. With --expect-fail a refused login (ERR 1045) is
the expected outcome (exit 0); its error is printed.
"""
import argparse
import os
import ssl
import sys

import pymysql


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", required=True, help="numeric address of the server")
    ap.add_argument("--port", type=int, default=3306)
    ap.add_argument("--user", required=True)
    ap.add_argument("--database", default="tlswatch")
    tls = ap.add_mutually_exclusive_group()
    tls.add_argument("--ssl-ca", metavar="FILE")
    tls.add_argument("--no-ssl", action="store_true")
    ap.add_argument("--expect-fail", action="store_true")
    args = ap.parse_args()
    password = os.environ.get("MYSQL_PWD")
    if password is None:
        print("MYSQL_PWD is not set", file=sys.stderr)
        return 2

    params = {
        "host": args.host,
        "port": args.port,
        "user": args.user,
        "password": password,
        "database": args.database,
        "connect_timeout": 10,
        "read_default_file": None,
        "autocommit": True,
        "program_name": "mysqlclient.py",
    }
    if args.ssl_ca:
        ctx = ssl.create_default_context(cafile=args.ssl_ca)
        ctx.check_hostname = True
        params["ssl"] = ctx
    else:
        params["ssl_disabled"] = True
    try:
        conn = pymysql.connect(**params)
    except pymysql.err.OperationalError as e:
        print("login refused:", e.args[0], e.args[1] if len(e.args) > 1 else "")
        return 0 if args.expect_fail else 1
    sock = conn._sock
    print("login: ok; tls:", sock.version() if isinstance(sock, ssl.SSLSocket) else "none",
          "; server", conn.get_server_info())
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
        print("SELECT 1 ->", cur.fetchone()[0])
    conn.close()
    if args.expect_fail:
        print("unexpected login outcome", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
