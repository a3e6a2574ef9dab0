#!/usr/bin/env python3
"""tests/platform/test_logs.py -- a component's output is bounded on disk.

`pyedge up` appends what a handler prints to <log dir>/<id>_stdout.txt and
_stderr.txt. A handler that prints a lot in every request must not fill the
disk: with --max-log-size each file is renamed to .1 before it would grow
past the limit, so a stream never has more than twice the limit on disk; a
request keeps at most 1 MiB of each stream, and a line says how many bytes
were dropped beyond it. The app (tests/platform/apps/chatty) prints as many
100-byte lines as it is asked to.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from edge_harness import APPS, Cases, check, eq, start, stop_cleanly

import drive  # noqa: E402

case = Cases()
APP = os.path.join(APPS, "chatty")
TMP = tempfile.mkdtemp(prefix="pyedge-logs-test-")
LOGS = os.path.join(TMP, "logs")
LIMIT = 2 << 20  # --max-log-size 2M
CAPTURE = 1 << 20  # what a request keeps of each stream (serve_component.c)
server = None


def path(stream, old=False):
    return os.path.join(LOGS, f"chatty_{stream}.txt" + (".1" if old else ""))


def size(p):
    return os.path.getsize(p) if os.path.exists(p) else 0


def read(p):
    if not os.path.exists(p):
        return ""
    with open(p, encoding="utf-8", errors="replace") as f:
        return f.read()


def get(query):
    r = drive.request(server.port, "GET", "/print?" + query, timeout=60)
    eq((r.status, r.body), (200, b"printed"), f"GET /print?{query}")


def wait_for(stream, text, what, timeout=5.0):
    """The current log file of stream, once it contains text."""
    end = time.monotonic() + timeout
    while True:
        got = read(path(stream))
        if text in got:
            return got
        check(time.monotonic() < end, f"{what}: {text!r} not in {path(stream)} "
              f"({size(path(stream))} bytes, ends {got[-200:]!r})")
        time.sleep(0.05)


LINE = re.compile(r"^(r\d+):(out|err):(\d{8}):x*$")


@case
def files_rotate_at_the_limit():
    n, per = 14, 300000  # 4.2 MB a stream in all, twice the limit and more
    for i in range(n):
        get(f"out={per}&err={per}&tag=r{i}")
    for stream in ("stdout", "stderr"):
        short = stream[3:]
        last = f"r{n - 1}:{short}:{per // 100 - 1:08d}:"
        wait_for(stream, last, f"{stream}: the last request's last line")
        cur, old = size(path(stream)), size(path(stream, True))
        check(0 < cur <= LIMIT, f"{stream}: {cur} bytes, the limit is {LIMIT}")
        check(0 < old <= LIMIT, f"{stream}.1: {old} bytes, the limit is {LIMIT}")
        check(not os.path.exists(path(stream) + ".2"), f"{stream}: a .2 file")
        # every line whole, and each request's output in one piece in one file
        for p in (path(stream, True), path(stream)):
            counts = {}
            for line in read(p).splitlines():
                m = LINE.match(line)
                check(m and m.group(2) == short and len(line) == 99,
                      f"{os.path.basename(p)}: a broken line {line[:120]!r}")
                counts[m.group(1)] = counts.get(m.group(1), 0) + 1
            check(counts and all(c == per // 100 for c in counts.values()),
                  f"{os.path.basename(p)}: requests split across files: {counts}")
    names = sorted(os.listdir(LOGS))
    eq(names, ["chatty_stderr.txt", "chatty_stderr.txt.1", "chatty_stdout.txt",
               "chatty_stdout.txt.1"], "the log directory")
    total = sum(size(os.path.join(LOGS, f)) for f in names)
    check(total <= 4 * LIMIT, f"{total} bytes of logs on disk")


@case
def dropped_output_is_counted():
    big = 3000000  # a request keeps 1 MiB of it
    get(f"out={big}&err={big}&tag=big")
    dropped = big - CAPTURE
    for stream in ("stdout", "stderr"):
        note = f"[pyedge: {dropped} more bytes of {stream} dropped: output is captured up to " \
               "1024 KiB a stream]"
        text = wait_for(stream, note, f"{stream}: the line about the dropped bytes")
        check("\n" + note + "\n" in text, f"{stream}: the note is not a line of its own")
        first = f"big:{stream[3:]}:00000000:"
        check(first in text and text.index(first) < text.index(note),
              f"{stream}: the kept megabyte is not before the note")
        check(text.endswith(note + "\n"), f"{stream}: the note does not end the output")
        check(size(path(stream)) <= LIMIT and size(path(stream, True)) <= LIMIT,
              f"{stream}: over the limit after a large request")
    end = time.monotonic() + 5
    want = f"[chatty] [pyedge: {dropped} more bytes of stdout dropped"
    while not any(line.startswith(want) for line in server.stdout_lines()[-50:]):
        check(time.monotonic() < end, "the note is not on the server's standard output")
        time.sleep(0.05)


@case
def max_log_size_option():
    out = subprocess.run([drive.PYEDGE, "up", "--help"], capture_output=True, text=True)
    eq(out.returncode, 0, "pyedge up --help")
    check("--max-log-size SIZE" in out.stdout and "default 16M" in out.stdout,
          "--max-log-size is not in pyedge up --help")
    for bad in ("1K", "63K", "lots", "-1M", ""):
        r = subprocess.run([drive.PYEDGE, "up", "-f", APP, "--max-log-size", bad],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode != 0 and "--max-log-size" in r.stderr,
              f"--max-log-size {bad!r}: status {r.returncode}, {r.stderr.strip()[:200]!r}")


def setup():
    global server
    server = start(APP, ["--log-dir", LOGS, "--state-dir", os.path.join(TMP, "state"),
                         "--max-log-size", "2M", "--quiet"], name="chatty")


def teardown():
    why = stop_cleanly(server)
    shutil.rmtree(TMP, ignore_errors=True)
    return why


if __name__ == "__main__":
    sys.exit(case.run(setup, teardown))
