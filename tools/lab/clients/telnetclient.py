#!/usr/bin/python3
"""tools/lab/clients/telnetclient.py — drives Debian's telnet-ssl (the real
Telnet client of the tlswatch capture lab) on a pseudo-terminal, as a person
at a terminal would: it waits for what the server shows and types answers
one character at a time (50 ms apart, so each byte goes in its own segment
and the server echoes it, as with a person typing).

  telnetclient.py ADDR PORT [--user U --password P [--expect-fail]]
                  [--ssl | --nossl] [--cafile FILE] [--negotiate]
                  [--telnet PATH]

  --ssl        telnet-ssl -z ssl: TLS from the first byte (implicit TLS, 992)
  --nossl      telnet-ssl -z nossl: the client declines TLS (AUTHENTICATION
               IS NULL instead of IS SSL START)
  (neither)    telnet-ssl's default: TLS through the AUTHENTICATION option
               when the server offers it (SSLtelnet's auth type SSL), else
               cleartext
  --cafile     the lab's certificate: -z cacert=FILE -z verify=1 (the
               server's certificate is checked)
  --negotiate  connect to port "-PORT": telnet-ssl, which negotiates no
               option on a port other than 23, then does as on 23
  no --user    nothing is typed: the client waits until the server closes
               the connection (at most 20 s, then it quits)

The session with --user: the login prompt ("login: "), the user typed, CR
(telnet-ssl sends CR NUL), "Password: ", the password typed, CR; then
either the shell's prompt "$ " (success: "exit" is typed and the server
closes) or "Login incorrect" (with --expect-fail: the next "login: " prompt,
then telnet-ssl's escape character ^] and "quit" at its "telnet-ssl>"
prompt close the connection). Every byte the client's terminal shows is
copied to standard output (the recorder's log). Exit status 0 when the
session went as expected, 1 otherwise (a timeout, an unexpected outcome).
"""
import argparse
import os
import pty
import re
import select
import signal
import sys
import time

TYPE_DELAY = 0.05
TIMEOUT = 30.0


class Terminal:
    """telnet-ssl on a pseudo-terminal: what it shows, what is typed."""

    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execv(argv[0], argv)
        self.buf = b""
        self.eof = False

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 4096)
        except OSError:  # EIO: the other side of the pty closed
            data = b""
        if not data:
            self.eof = True
            return False
        sys.stdout.write(data.decode("latin-1"))
        sys.stdout.flush()
        self.buf += data
        return True

    def expect(self, *patterns, timeout=TIMEOUT):
        """Waits for one of the regexes (bytes); returns its index. What
        the terminal showed up to the match is consumed."""
        end = time.monotonic() + timeout
        while True:
            for i, p in enumerate(patterns):
                m = re.search(p, self.buf)
                if m:
                    self.buf = self.buf[m.end():]
                    return i
            left = end - time.monotonic()
            if self.eof or left <= 0:
                raise SystemExit("telnetclient: %s waiting for %r" %
                                 ("end of session" if self.eof else "timeout", patterns))
            self._read(left)

    def type(self, text):
        for ch in text:
            os.write(self.fd, ch.encode("latin-1"))
            time.sleep(TYPE_DELAY)

    def wait_eof(self, timeout):
        end = time.monotonic() + timeout
        while not self.eof and time.monotonic() < end:
            self._read(end - time.monotonic())
        return self.eof

    def close(self):
        """Reaps telnet-ssl (SIGTERM if it still runs)."""
        pid, _ = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)


def quit_client(term):
    """telnet-ssl's escape character, then quit: the client closes."""
    term.type("\x1d")
    term.expect(rb"telnet-ssl> ")
    term.type("quit\r")
    term.wait_eof(10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--expect-fail", action="store_true")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--ssl", action="store_true")
    mode.add_argument("--nossl", action="store_true")
    ap.add_argument("--cafile")
    ap.add_argument("--negotiate", action="store_true")
    ap.add_argument("--telnet", default="/usr/bin/telnet-ssl")
    a = ap.parse_args()

    argv = [a.telnet]
    if a.ssl:
        argv += ["-z", "ssl"]
    if a.nossl:
        argv += ["-z", "nossl"]
    if a.cafile:
        argv += ["-z", "cacert=" + a.cafile, "-z", "verify=1"]
    argv += ["--", a.addr, ("-%d" if a.negotiate else "%d") % a.port]
    term = Terminal(argv)
    try:
        if not a.user:
            if not term.wait_eof(20):
                quit_client(term)
            return 0
        term.expect(rb"login: ")
        term.type(a.user + "\r")
        term.expect(rb"Password: ")
        term.type(a.password + "\r")
        got = term.expect(rb"\$ ", rb"Login incorrect")
        if got == 0:
            if a.expect_fail:
                print("\ntelnetclient: logged in, a failure was expected")
                return 1
            term.type("exit\r")
            if not term.wait_eof(10):
                raise SystemExit("telnetclient: the server did not close after exit")
            return 0
        if not a.expect_fail:
            print("\ntelnetclient: login failed")
            return 1
        term.expect(rb"login: ")
        quit_client(term)
        return 0
    finally:
        term.close()


if __name__ == "__main__":
    sys.exit(main())
