"""Opens /sb/swap/target in a loop while the host swaps the directory
/sb/swap for symlinks that lead out (see guests/toctou.c; run.sh drives the
host side). Never may anything but "inside" be read.

Run as: pyedge python --dir SB::/sb --ro-dir tests/sandbox/py::/t -- /t/toctou.py SECONDS
"""
import errno
import os
import sys
import time

end = time.monotonic() + float(sys.argv[1] if len(sys.argv) > 1 else 1)
inside = failed = notcap = leaked = attempts = 0
while time.monotonic() < end:
    for _ in range(50):
        attempts += 1
        try:
            with open("/sb/swap/target", "rb") as f:
                data = f.read(64)
        except OSError as e:
            failed += 1
            notcap += e.errno == errno.ENOTCAPABLE
            continue
        if data.startswith(b"inside"):
            inside += 1
        else:
            leaked += 1
            if leaked < 5:
                print("LEAK:", data)
        # A listing, and the file through a directory descriptor.
        try:
            names = os.listdir("/sb/swap")
            if names != ["target"]:
                leaked += 1
                print("LEAK listing:", names)
        except OSError:
            failed += 1
        try:
            fd = os.open("/sb/swap", os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            failed += 1
            continue
        try:
            g = os.open("target", os.O_RDONLY, dir_fd=fd)
            data = os.read(g, 64)
            os.close(g)
            if not data.startswith(b"inside"):
                leaked += 1
                print("LEAK via dir fd:", data)
        except OSError:
            failed += 1
        finally:
            os.close(fd)
print(f"attempts {attempts}, inside {inside}, failed {failed}, leaked {leaked}")
print("LEAKED" if leaked else "RACE HELD" if inside and notcap else "RACE NOT EXERCISED")
sys.exit(1 if leaked else 0)
