#!/usr/bin/env python3
"""Compares the numbers of the HTML report, as headless Chromium rendered it
(its --dump-dom), with those of the text report of the same run.

    html-compare.py DOM.html REPORT.txt

Reads the tables of both (per port, per server, per client, per user) into
rows of strings and prints every difference; exit status 1 when there is
one, or when a table is missing or empty where the other has rows.
"""
import re
import sys
from html.parser import HTMLParser


class Tables(HTMLParser):
    """Collects every <table id=...>'s body rows as lists of cell texts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self.current, self.row, self.cell = {}, None, None, None
        self.in_body = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id"):
            self.current = a["id"]
            self.tables[self.current] = []
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.current and self.in_body:
            self.row = []
        elif tag == "td" and self.row is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.row.append(" ".join(self.cell.split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.current].append(self.row)
            self.row = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def sections(text):
    """The text report's tables: heading -> the lines under it."""
    out, name = {}, None
    for line in text.split("\n"):
        if re.match(r"^Per (port|server|client|user)", line):
            name = line.split()[1].rstrip(":")
            out[name] = []
        elif not line.strip():
            name = None
        elif name:
            out[name].append(line)
    return out


def indent(line):
    return len(line) - len(line.lstrip(" "))


def text_rows(sec, kind):
    """Rows of one text table as lists of strings, in the HTML's columns."""
    rows, pending = [], None
    lines = []
    for line in sec:
        if line.lstrip().startswith(("UPG:", "(others):")):
            break  # the notes under the table
        lines.append(line)
    header, lines = lines[0], lines[1:]
    assert header.split()[0] in ("PORT", "SERVER", "CLIENT", "USER", "none"), header
    if header.strip() == "none":
        return []
    for line in lines:
        t = line.split()
        if kind in ("port", "server"):
            if len(t) == 1:
                pending = t[0]
                continue
            if indent(line) > 2:
                t = [pending] + t
            rows.append(t)
        elif kind == "client":
            if indent(line) > 2:
                rows[-1][-1] += " " + " ".join(t)  # the logins by service, wrapped
                continue
            rows.append(t[:6] + [" ".join(t[6:])])
        else:  # user: USER SERVICE LOGIN OK FAIL SERVER (a name may hold spaces)
            nums = len(t) >= 4 and all(x.isdigit() for x in t[-3:]) or \
                len(t) >= 5 and ":" in t[-1] and all(x.isdigit() for x in t[-4:-1])
            if not nums and indent(line) == 2:
                pending = " ".join(t)  # a long name, on a line of its own
                continue
            if not nums:
                rows[-1].append(t[0])  # the server, wrapped
                continue
            tail = 5 if ":" in t[-1] or t[-1] == "-" else 4
            name = pending if indent(line) > 2 else " ".join(t[:-tail])
            rows.append([name] + t[-tail:])
    return rows


def main():
    dom, report = sys.argv[1], sys.argv[2]
    p = Tables()
    p.feed(open(dom, encoding="utf-8").read())
    secs = sections(open(report, encoding="ascii", errors="replace").read())
    fails = 0
    compared = 0
    for kind, table in (("port", "ports"), ("server", "servers"), ("client", "clients"),
                        ("user", "users")):
        want = text_rows(secs.get(kind, ["none"]), kind)
        got = p.tables.get(table, [])
        if len(want) != len(got):
            print(f"html: {table}: {len(got)} rows on the page, {len(want)} in the text report")
            fails += 1
            continue
        for w, g in zip(want, got):
            if w != g:
                print(f"html: {table}: page row {g} differs from text row {w}")
                fails += 1
            compared += 1
    if not p.tables.get("ports"):
        print("html: no per-port rows on the page")
        fails += 1
    print(f"html: {compared} rows compared, {fails} differences")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
