#!/usr/bin/python3
"""tools/lab/clients/ircclient.py — an IRC client for the tlswatch capture
lab: the `irc` library from Debian (python3-irc 8.5.3: its connection,
line parser, events and commands), so it needs Debian's /usr/bin/python3,
where that package is installed.

  ircclient.py --addr ADDR [--port N] [--tls none|implicit|starttls]
               [--no-cap] [--servername NAME] [--cafile FILE]
               [--nick N] [--user U] [--realname R] [--join CHAN --say TEXT]
               [--identify ACCOUNT] [--expect-refusal] [--expect-fail]
               [--opportunistic]

Passwords come from the environment, never the command line: IRC_PASSWORD
(the server password, sent as PASS when set) and NICKSERV_PASSWORD (with
--identify). One connection, then in this order:

  --tls implicit   TLS from the first byte (SNI and certificate check:
                   --servername against --cafile).
  CAP LS 302       unless --no-cap; waits for the server's CAP LS list and
                   prints it.
  --tls starttls   STARTTLS; on 670 the library's socket is wrapped in TLS
                   (Python's ssl) and everything after is inside TLS. With
                   --expect-refusal the answer must be 691 (or 421) and the
                   client goes on in cleartext. With --opportunistic, as
                   clients that "use TLS when offered" do: no STARTTLS when
                   CAP LS does not list "tls" ("STARTTLS not offered"), and
                   a refusal is no error: cleartext then ("STARTTLS
                   refused"). Either way PASS follows in the clear.
  PASS, NICK, USER (NICK N, USER U 0 * :R), CAP END (after CAP LS).
  Registration:    waits for 001 and the end of the MOTD; with
                   --expect-fail the server must refuse instead (464, or
                   InspIRCd's ERROR "Access denied by configuration") and
                   close: exit 0 then.
  --identify A     PRIVMSG NickServ :IDENTIFY A <NICKSERV_PASSWORD>, waits
                   for the answer (401 No such nick when there is no
                   NickServ).
  --join C --say T JOIN C, waits for the end of NAMES (366), PRIVMSG C :T.
  QUIT :bye        waits for the server's ERROR and its close, then closes.

python3-irc 8.5.3 has no STARTTLS of its own: this script sends the
command with the library's send_raw, and on 670 replaces the library's
socket with a TLS one (the handshake runs there, blocking); the library
then reads and writes through it. It also keeps the library from sending a
second QUIT when the server has closed the connection.
"""
import argparse
import os
import socket
import ssl
import sys
import time

import irc.client
import irc.connection

TIMEOUT = 20.0


class Failed(Exception):
    pass


class LabConnection(irc.client.ServerConnection):
    """A ServerConnection whose login is sent when the script says so (after
    CAP LS and STARTTLS), and which never sends QUIT on its own."""

    def open(self, addr, port, nick, username, realname, password, factory):
        """What ServerConnection.connect() does, without PASS/NICK/USER."""
        self.buffer = self.buffer_class()
        self.handlers = {}
        self.real_server_name = ""
        self.real_nickname = nick
        self.server = addr
        self.port = port
        self.server_address = (addr, port)
        self.nickname = nick
        self.username = username
        self.ircname = realname
        self.password = password
        self.connect_factory = factory
        self.socket = factory(self.server_address)
        self.connected = True
        self.irclibobj._on_connect(self.socket)
        return self

    def login(self):
        if self.password:
            self.pass_(self.password)
        self.nick(self.nickname)
        self.user(self.username, self.ircname)

    def start_tls(self, context, servername):
        self.socket = context.wrap_socket(self.socket, server_hostname=servername)

    def disconnect(self, message=""):
        # The library's disconnect() sends "QUIT :<message>" first, also when
        # the server has already closed; here only the socket is closed.
        if not self.connected:
            return
        self.connected = False
        try:
            self.socket.shutdown(socket.SHUT_WR)
        except (OSError, ValueError):
            pass
        self.socket.close()
        self.socket = None
        self._handle_event(irc.client.Event("disconnect", self.server, "", [message]))


class Session:
    def __init__(self, args):
        self.args = args
        self.reactor = irc.client.IRC()
        self.conn = LabConnection(self.reactor)
        self.reactor.connections.append(self.conn)
        self.seen = {}
        self.conn.add_global_handler("all_events", self.on_event, -10)

    def on_event(self, conn, event):
        args = [a for a in event.arguments if isinstance(a, str)]
        self.seen.setdefault(event.type, []).append((event.target, args))
        if event.type in ("cap", "error", "670", "691", "unknowncommand", "passwdmismatch",
                          "welcome", "nosuchnick", "endofnames", "endofmotd", "nomotd"):
            print("<", event.type, event.target or "", " ".join(args))

    def wait(self, *types):
        """Runs the library's loop until one event of these types came (or
        the connection closed); returns that type."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for t in types:
                if self.seen.get(t):
                    return t
            if not self.conn.connected:
                return "disconnect"
            if time.monotonic() > deadline:
                raise Failed("timed out waiting for " + " or ".join(types))
            sock = self.conn.socket
            # Bytes OpenSSL has already decrypted do not wake select().
            if isinstance(sock, ssl.SSLSocket) and sock.pending():
                self.conn.process_data()
            else:
                self.reactor.process_once(0.2)

    def tls_context(self):
        ctx = ssl.create_default_context(cafile=self.args.cafile)
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx

    def tls_info(self):
        s = self.conn.socket
        print("tls:", s.version(), s.cipher()[0], "sni", self.args.servername,
              "peer", dict(x[0] for x in s.getpeercert()["subject"]).get("commonName"))

    def run(self):
        a = self.args
        factory = irc.connection.Factory()
        if a.tls == "implicit":
            ctx = self.tls_context()
            factory = irc.connection.Factory(
                wrapper=lambda s: ctx.wrap_socket(s, server_hostname=a.servername))
        self.conn.open(a.addr, a.port, a.nick, a.user, a.realname,
                       os.environ.get("IRC_PASSWORD"), factory)
        print("connected to %s:%d (%s)" % (a.addr, a.port, a.tls))
        if a.tls == "implicit":
            self.tls_info()

        caps = []
        if not a.no_cap:
            self.conn.cap("LS", "302")
            if self.wait("cap") != "cap":
                raise Failed("no CAP LS answer")
            caps = " ".join(self.seen["cap"][0][1][1:]).split()
            print("server capabilities:", " ".join(caps))

        offered = a.no_cap or "tls" in [c.split("=", 1)[0] for c in caps]
        if a.tls == "starttls" and a.opportunistic and not offered:
            print("STARTTLS not offered: going on in cleartext")
        elif a.tls == "starttls":
            self.conn.send_raw("STARTTLS")
            got = self.wait("670", "691", "unknowncommand")
            if got == "670":
                if a.expect_refusal:
                    raise Failed("STARTTLS was accepted; a refusal was expected")
                self.conn.start_tls(self.tls_context(), a.servername)
                self.tls_info()
            elif got in ("691", "unknowncommand"):
                if not (a.expect_refusal or a.opportunistic):
                    raise Failed("STARTTLS refused (%s)" % got)
                print("STARTTLS refused (%s): going on in cleartext" % got)
            else:
                raise Failed("connection closed after STARTTLS")

        self.conn.login()
        if not a.no_cap:
            self.conn.cap("END")
        got = self.wait("welcome", "passwdmismatch", "error")
        if a.expect_fail:
            if got == "welcome":
                raise Failed("registered although a refusal was expected")
            self.wait("disconnect")
            print("login refused (%s); the server closed the connection" % got)
            return 0
        if got != "welcome":
            raise Failed("registration failed (%s)" % got)
        self.wait("endofmotd", "nomotd")

        if a.identify:
            self.conn.privmsg("NickServ", "IDENTIFY %s %s" % (
                a.identify, os.environ["NICKSERV_PASSWORD"]))
            self.wait("nosuchnick", "privnotice")
        if a.join:
            self.conn.join(a.join)
            self.wait("endofnames")
            self.conn.privmsg(a.join, a.say)

        self.conn.quit("bye")
        self.wait("error")
        self.wait("disconnect")
        print("quit; the server closed the connection")
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", type=int, default=6667)
    ap.add_argument("--tls", choices=("none", "implicit", "starttls"), default="none")
    ap.add_argument("--no-cap", action="store_true")
    ap.add_argument("--servername", default="irc.tlswatch.test")
    ap.add_argument("--cafile")
    ap.add_argument("--nick", default="alice")
    ap.add_argument("--user", default="alice")
    ap.add_argument("--realname", default="Alice")
    ap.add_argument("--join")
    ap.add_argument("--say", default="hello from the tlswatch lab")
    ap.add_argument("--identify", metavar="ACCOUNT")
    ap.add_argument("--expect-refusal", action="store_true")
    ap.add_argument("--expect-fail", action="store_true")
    ap.add_argument("--opportunistic", action="store_true",
                    help="with --tls starttls: cleartext when tls is not offered or refused")
    args = ap.parse_args()
    if args.identify and "NICKSERV_PASSWORD" not in os.environ:
        print("NICKSERV_PASSWORD is not set", file=sys.stderr)
        return 2
    try:
        return Session(args).run()
    except (Failed, OSError, ssl.SSLError) as e:
        print("ircclient: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
