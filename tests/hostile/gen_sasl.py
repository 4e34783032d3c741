#!/usr/bin/env python3
"""Generates the hostile captures of hardening finding 4: pipelined SASL.

A client may send its SASL responses without waiting for the server's
prompt (334, "+"): the server reads them as responses whenever they
arrived. Malware, broken clients and attackers do; the password is then on
the wire, so the login must carry a secret (redacted in every output, the
--evidence pcap withheld) and get its outcome from the server's later
replies. The packets are built with the helpers of gen.py.

    gen_sasl.py OUTDIR      writes OUTDIR/sasl-<case>.pcap for every case below
"""
import base64
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402  (Pcap, Tcp, the addresses C and S)


def b64(data):
    return base64.b64encode(data)


def smtp_start(cap, cport, ehlo_reply=True):
    t = gen.Tcp(cap, gen.C, gen.S, cport, 587)
    t.handshake()
    t.s2c(b"220 mail.example.test ESMTP\r\n")
    if ehlo_reply:
        t.c2s(b"EHLO client.example.test\r\n")
        t.s2c(b"250-mail.example.test\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n"
              b"250 8BITMIME\r\n")
    return t


def case_smtp_auth_login_before_334(cap):
    """AUTH LOGIN, the user name and the password sent before the first 334,
    in two segments; the server's prompts and its 235 come afterwards."""
    t = smtp_start(cap, 41001)
    t.c2s(b"AUTH LOGIN\r\n" + b64(b"alice") + b"\r\n")
    t.c2s(b64(b"Tr0ub4dor&3") + b"\r\n")
    t.s2c(b"334 VXNlcm5hbWU6\r\n")
    t.s2c(b"334 UGFzc3dvcmQ6\r\n235 2.7.0 Authentication successful\r\n")
    t.c2s(b"QUIT\r\n")
    t.s2c(b"221 2.0.0 Bye\r\n")
    t.close()


def case_smtp_ehlo_auth_plain_before_250(cap):
    """EHLO, AUTH PLAIN and its message in one segment; the EHLO reply never
    has its final "250 " line, the 334 and 235 follow it."""
    t = smtp_start(cap, 41002, ehlo_reply=False)
    t.c2s(b"EHLO client.example.test\r\nAUTH PLAIN\r\n" + b64(b"\0bob\0correct-horse") + b"\r\n")
    t.s2c(b"250-mail.example.test\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n")
    t.s2c(b"334 \r\n")
    t.s2c(b"535 5.7.8 Error: authentication failed\r\n")
    t.c2s(b"QUIT\r\n")
    t.s2c(b"221 2.0.0 Bye\r\n")
    t.close()


def pop3_start(cap, cport):
    t = gen.Tcp(cap, gen.C, gen.S, cport, 110)
    t.handshake()
    t.s2c(b"+OK POP3 server ready <1896.697170952@mail.example.test>\r\n")
    return t


def case_pop3_auth_plain_pipelined(cap):
    """AUTH PLAIN, its message and STAT in one segment (RFC 2449
    PIPELINING), before the "+" continuation."""
    t = pop3_start(cap, 41003)
    t.c2s(b"AUTH PLAIN\r\n" + b64(b"\0carol\0p0p-s3cret") + b"\r\nSTAT\r\n")
    t.s2c(b"+ \r\n+OK Logged in.\r\n+OK 2 320\r\n")
    t.c2s(b"QUIT\r\n")
    t.s2c(b"+OK Bye\r\n")
    t.close()


def case_pop3_user_pass_after_auth_initial_response(cap):
    """AUTH PLAIN with an initial response, then USER and PASS pipelined:
    the exchange is over after the initial response, USER/PASS are commands
    and PASS gets the second answer's outcome."""
    t = pop3_start(cap, 41004)
    t.c2s(b"AUTH PLAIN " + b64(b"\0dave\0wrong") + b"\r\nUSER dave\r\nPASS pa55-w0rd\r\n")
    t.s2c(b"-ERR [AUTH] Authentication failed.\r\n+OK\r\n+OK Logged in.\r\n")
    t.c2s(b"QUIT\r\n")
    t.s2c(b"+OK Bye\r\n")
    t.close()


def imap_start(cap, cport):
    t = gen.Tcp(cap, gen.C, gen.S, cport, 143)
    t.handshake()
    t.s2c(b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] IMAP server ready\r\n")
    return t


def case_imap_authenticate_plain_before_continuation(cap):
    """AUTHENTICATE PLAIN, its message and a SELECT in one segment, before
    the "+" continuation."""
    t = imap_start(cap, 41005)
    t.c2s(b"a1 AUTHENTICATE PLAIN\r\n" + b64(b"\0erin\0imap-s3cret") + b"\r\na2 SELECT INBOX\r\n")
    t.s2c(b"+ \r\na1 OK Logged in\r\n* 2 EXISTS\r\na2 OK [READ-WRITE] Select completed\r\n")
    t.c2s(b"a3 LOGOUT\r\n")
    t.s2c(b"* BYE Logging out\r\na3 OK Logout completed\r\n")
    t.close()


def case_imap_login_after_authenticate_initial_response(cap):
    """AUTHENTICATE PLAIN with an initial response, then LOGIN pipelined after
    it: a command, whose password is recorded and whose tagged reply is its
    outcome."""
    t = imap_start(cap, 41006)
    t.c2s(b"a1 AUTHENTICATE PLAIN " + b64(b"\0frank\0nope") + b"\r\na2 LOGIN frank l0gin-pw\r\n")
    t.s2c(b"a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\na2 OK Logged in\r\n")
    t.c2s(b"a3 LOGOUT\r\n")
    t.s2c(b"* BYE Logging out\r\na3 OK Logout completed\r\n")
    t.close()


CASES = {
    "sasl-smtp-auth-login-before-334": case_smtp_auth_login_before_334,
    "sasl-smtp-ehlo-auth-plain-before-250": case_smtp_ehlo_auth_plain_before_250,
    "sasl-pop3-auth-plain-pipelined": case_pop3_auth_plain_pipelined,
    "sasl-pop3-user-pass-after-auth-initial-response":
        case_pop3_user_pass_after_auth_initial_response,
    "sasl-imap-authenticate-plain-before-continuation":
        case_imap_authenticate_plain_before_continuation,
    "sasl-imap-login-after-authenticate-initial-response":
        case_imap_login_after_authenticate_initial_response,
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, fn in CASES.items():
        cap = gen.Pcap()
        fn(cap)
        cap.write(os.path.join(out, name + ".pcap"))


if __name__ == "__main__":
    main()
