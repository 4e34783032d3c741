#!/usr/bin/env python3
"""slow-writer.py CAPTURE FIFO RELEASE - writes CAPTURE into FIFO a few bytes
at a time (a slow link), then keeps the FIFO open until the file RELEASE
exists (or 60 s passed) and only then closes it: a reader that waits for
its buffer to fill, or for the end of the input, shows nothing meanwhile.
Prints "written" on stdout once every byte went in; exits 3 when the
reader went away first."""
import os
import sys
import time

capture, fifo, release = sys.argv[1:4]
data = open(capture, "rb").read()
out = open(fifo, "wb", buffering=0)
try:
    for i in range(0, len(data), 64):
        out.write(data[i:i + 64])
        time.sleep(0.002)
except BrokenPipeError:
    sys.exit(3)
print("written", flush=True)
if True:
    deadline = time.monotonic() + 60
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.05)
try:
    out.close()
except BrokenPipeError:
    pass
