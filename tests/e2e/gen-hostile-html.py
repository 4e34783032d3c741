#!/usr/bin/env python3
"""Generates a capture whose wire strings are HTML: user names and an SNI
holding <script>, an <img> with an event handler, quotes and ampersands.
The HTML report must show them as text, never as markup.

    gen-hostile-html.py OUT.pcap

Built with the packet helpers of tests/hostile/gen.py.
"""
import base64
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hostile"))
import gen  # noqa: E402  (Pcap, Tcp, the addresses C and S, tls_client_hello)

POP3_USER = b'<script>alert("pop3")</script>'
SMTP_USER = b"<img src=x onerror=alert(1)>&amp;'"
SNI = b"<script>alert(2)</script>.example"


def main():
    cap = gen.Pcap()
    t = gen.Tcp(cap, gen.C, gen.S, 42001, 110)
    t.handshake()
    t.s2c(b"+OK POP3 ready\r\n")
    t.c2s(b"USER " + POP3_USER + b"\r\n")
    t.s2c(b"+OK\r\n")
    t.c2s(b"PASS secret-html-1\r\n")
    t.s2c(b"-ERR authentication failed\r\n")
    t.c2s(b"QUIT\r\n")
    t.s2c(b"+OK bye\r\n")
    t.close()

    t = gen.Tcp(cap, gen.C, gen.S, 42002, 587)
    t.handshake()
    t.s2c(b"220 mail.example.test ESMTP\r\n")
    t.c2s(b"EHLO <b>client</b>\r\n")
    t.s2c(b"250-mail.example.test\r\n250 AUTH PLAIN\r\n")
    t.c2s(b"AUTH PLAIN " + base64.b64encode(b"\0" + SMTP_USER + b"\0secret-html-2") + b"\r\n")
    t.s2c(b"235 2.7.0 Authentication successful\r\n")
    t.c2s(b"QUIT\r\n")
    t.s2c(b"221 2.0.0 Bye\r\n")
    t.close()

    t = gen.Tcp(cap, gen.C, gen.S, 42003, 443)
    t.handshake()
    t.c2s(gen.tls_client_hello(SNI))
    t.close()
    cap.write(sys.argv[1])


if __name__ == "__main__":
    main()
