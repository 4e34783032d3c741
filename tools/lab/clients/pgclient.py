#!/usr/bin/python3
"""tools/lab/clients/pgclient.py — a PostgreSQL client for the tlswatch
capture lab: python3-psycopg2 (Debian's package, on libpq), so it needs
Debian's /usr/bin/python3, where that package is installed.

  pgclient.py --hostaddr ADDR --user U --sslmode MODE [--host NAME]
              [--sslrootcert FILE] [--dbname DB] [--expect-fail]

The password comes from the environment (PGPASSWORD), never the command
line. One connection (gssencmode=disable: libpq never sends a
GSSENCRequest; hostaddr: libpq resolves no name, --host only gives the name
for SNI and certificate checks), autocommit on (no BEGIN), `SELECT 1`, then
close (Terminate). With --expect-fail a refused login is the expected
outcome (exit 0); its error message is printed.
"""
import argparse
import os
import sys

import psycopg2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hostaddr", required=True)
    ap.add_argument("--host")
    ap.add_argument("--port", type=int, default=5432)
    ap.add_argument("--user", required=True)
    ap.add_argument("--dbname", default="tlswatch")
    ap.add_argument("--sslmode", required=True)
    ap.add_argument("--sslrootcert")
    ap.add_argument("--expect-fail", action="store_true")
    args = ap.parse_args()
    if "PGPASSWORD" not in os.environ:
        print("PGPASSWORD is not set", file=sys.stderr)
        return 2

    params = {
        "hostaddr": args.hostaddr,
        "port": args.port,
        "user": args.user,
        "dbname": args.dbname,
        "sslmode": args.sslmode,
        "gssencmode": "disable",
        "connect_timeout": 10,
    }
    if args.host:
        params["host"] = args.host
    if args.sslrootcert:
        params["sslrootcert"] = args.sslrootcert
    try:
        conn = psycopg2.connect(**params)
    except psycopg2.OperationalError as e:
        print("login refused:", str(e).strip())
        return 0 if args.expect_fail else 1
    conn.autocommit = True
    print("login: ok; ssl in use:", bool(conn.info.ssl_in_use))
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
