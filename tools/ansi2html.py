#!/usr/bin/env python3
"""ansi2html.py - a terminal screen captured with its colours (`tmux
capture-pane -e -p`) as a self-contained HTML page, for a screenshot of the
dashboard (tools/dashboard-shot.sh).

Reads the capture on standard input, writes the page on standard output.
Understands the SGR sequences tmux writes: reset, bold, dim, italics,
underline, reverse and their ends; the 8 and 16 colours (30-37, 90-97,
40-47, 100-107), 256 colours (38;5;N, 48;5;N), 24-bit colours (38;2;R;G;B)
and the defaults (39, 49). Other escape sequences are dropped.

    ansi2html.py [--cols N] [--title TEXT] < screen.ansi > screen.html

--cols pads every line to N columns, so that a reverse-video bar spans the
screen. Text is escaped; the page refers to nothing outside itself.
"""
import argparse
import html
import re
import sys

# The palette of a common dark terminal (xterm's, softened).
BASE16 = [
    "#1d1f21", "#cc342b", "#3cb371", "#e5c07b", "#3971ed", "#a36ac7", "#3fb6c6", "#c5c8c6",
    "#6c7075", "#ff5f56", "#5af78e", "#f3f99d", "#57c7ff", "#ff6ac1", "#9aedfe", "#f1f1f0",
]
FG_DEFAULT = "#d8d8d8"
BG_DEFAULT = "#1d1f21"


def color256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def key(self):
        return (self.fg, self.bg, self.bold, self.dim, self.italic, self.underline, self.reverse)

    def apply(self, params):
        p = [int(x) if x.isdigit() else 0 for x in params.split(";")] if params else [0]
        i = 0
        while i < len(p):
            c = p[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 3:
                self.italic = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 23:
                self.italic = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = BASE16[c - 30]
            elif 90 <= c <= 97:
                self.fg = BASE16[c - 90 + 8]
            elif 40 <= c <= 47:
                self.bg = BASE16[c - 40]
            elif 100 <= c <= 107:
                self.bg = BASE16[c - 100 + 8]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(p):
                if p[i + 1] == 5 and i + 2 < len(p):
                    col = color256(p[i + 2])
                    i += 2
                elif p[i + 1] == 2 and i + 4 < len(p):
                    col = "#%02x%02x%02x" % tuple(p[i + 2:i + 5])
                    i += 4
                else:
                    col = None
                if c == 38:
                    self.fg = col
                else:
                    self.bg = col
            i += 1

    def css(self):
        fg, bg = self.fg or FG_DEFAULT, self.bg or BG_DEFAULT
        if self.reverse:
            fg, bg = bg, fg
        out = []
        if fg != FG_DEFAULT:
            out.append("color:" + fg)
        if bg != BG_DEFAULT:
            out.append("background:" + bg)
        if self.bold:
            out.append("font-weight:bold")
        if self.dim:
            out.append("opacity:.6")
        if self.italic:
            out.append("font-style:italic")
        if self.underline:
            out.append("text-decoration:underline")
        return ";".join(out)


SEQ = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b[()][0-9A-Za-z]|\x1b.")


def line_html(line, style, cols):
    out, text, width = [], [], 0
    cur = style.css()

    def flush():
        if text:
            s = html.escape("".join(text), quote=False)
            out.append('<span style="%s">%s</span>' % (cur, s) if cur else s)
            text.clear()

    pos = 0
    for m in SEQ.finditer(line):
        chunk = line[pos:m.start()]
        text.append(chunk)
        width += len(chunk)
        pos = m.end()
        if m.group(2) == "m":
            flush()
            style.apply(m.group(1))
            cur = style.css()
    chunk = line[pos:]
    text.append(chunk)
    width += len(chunk)
    if cols and width < cols:
        text.append(" " * (cols - width))
    flush()
    return "".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cols", type=int, default=0)
    ap.add_argument("--title", default="tlswatch")
    a = ap.parse_args()
    lines = sys.stdin.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    style = Style()
    body = "\n".join(line_html(l, style, a.cols) for l in lines)
    sys.stdout.write(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title><style>\n"
        "html,body{margin:0;background:%s}\n"
        "pre{margin:0;padding:12px 14px;color:%s;background:%s;"
        "font:15px/1.25 'DejaVu Sans Mono','Liberation Mono',monospace;"
        "display:inline-block}\n"
        "</style></head><body><pre>%s</pre></body></html>\n"
        % (html.escape(a.title), BG_DEFAULT, FG_DEFAULT, BG_DEFAULT, body))


if __name__ == "__main__":
    main()
