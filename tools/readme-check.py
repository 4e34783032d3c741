#!/usr/bin/env python3
"""Checks that the example outputs in the README (and other Markdown pages)
are what the program prints today, or rewrites them.

    readme-check.py [--update] BINARY FILE.md...

A fenced block is checked when
  - its first line is "$ COMMAND": the rest of the block is COMMAND's output;
  - or the line before it is "<!-- output: COMMAND -->": the whole block is.
COMMAND runs with bash in the top of the tree, with "build/tlswatch" standing
for BINARY, in UTC and the C locale. Blocks whose command opens the dashboard
(--tui) are not checked: the dashboard is checked by tests/e2e/tui.sh.
Exit status 1 when an output differs (each difference is printed), 0 else.
"""
import difflib
import os
import re
import subprocess
import sys

MARK = re.compile(r"^<!-- output: (.*) -->$")


def run(binary, top, command):
    cmd = re.sub(r"(^|[\s|;(])build/tlswatch(?=\s|$)", lambda m: m.group(1) + binary, command)
    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    p = subprocess.run(["bash", "-c", cmd], cwd=top, env=env,
                       capture_output=True, text=True, timeout=120)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"'{command}' exited {p.returncode}: {p.stderr.strip()}")
    return p.stdout.splitlines()


def blocks(lines):
    """Yields (command, first, last): the block's expected output is
    lines[first:last]."""
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            start = i
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            prev = lines[start - 1] if start > 0 else ""
            m = MARK.match(prev)
            if m:
                yield m.group(1), start + 1, j
            elif start + 1 < j and lines[start + 1].startswith("$ "):
                yield lines[start + 1][2:], start + 2, j
            i = j + 1
        else:
            i += 1


def main(argv):
    update = argv[:1] == ["--update"]
    if update:
        argv = argv[1:]
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = os.path.abspath(argv[0])
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    bad = checked = 0
    for path in argv[1:]:
        with open(path) as f:
            lines = f.read().split("\n")
        out = list(lines)
        shift = 0
        for command, first, last in list(blocks(lines)):
            if "--tui" in command.split():
                continue
            checked += 1
            got = run(binary, top, command)
            want = lines[first:last]
            if got == want:
                continue
            if update:
                out[first + shift:last + shift] = got
                shift += len(got) - len(want)
                continue
            bad += 1
            print(f"{path}:{first + 1}: the output of '{command}' differs:")
            sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(
                want, got, "documented", "printed", lineterm="", n=1))
        if update and out != lines:
            with open(path, "w") as f:
                f.write("\n".join(out))
            print(f"{path}: updated")
    if not update:
        print(f"readme-check: {checked} example outputs checked, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
