"""A read-only preopen from Python: reading works, every change is refused.

Run as: pyedge python --ro-dir RO::/ro --dir RW::/rw --ro-dir tests/sandbox/py::/t
-- /t/ro.py, RO holding file.txt ("ro-content"), sub/inner.txt, empty/ and
link -> file.txt. Prints "label: RESULT" per attempt.
"""
import errno
import os
import shutil


def show(label, fn):
    try:
        r = fn()
        out = "SUCCESS" if r is None else f"SUCCESS {r!r}"
    except OSError as e:
        out = f"{type(e).__name__} {errno.errorcode.get(e.errno, e.errno)}"
    print(f"{label}: {out}", flush=True)


def read(p):
    with open(p) as f:
        return f.read().strip()


def write(p, mode, data="X"):
    with open(p, mode) as f:
        f.write(data)


show("read file.txt", lambda: read("/ro/file.txt"))
show("read link", lambda: read("/ro/link"))
show("listdir", lambda: sorted(os.listdir("/ro")))
show("stat sub/inner.txt size", lambda: os.stat("/ro/sub/inner.txt").st_size)
show("readlink link", lambda: os.readlink("/ro/link"))
show("open w", lambda: write("/ro/file.txt", "w"))
show("open a", lambda: write("/ro/file.txt", "a"))
show("open r+ and write", lambda: write("/ro/file.txt", "r+"))
show("open x new", lambda: write("/ro/new.txt", "x"))
show("os.open O_RDWR|O_CREAT new", lambda: os.open("/ro/new2", os.O_RDWR | os.O_CREAT))
show("os.open O_WRONLY|O_TRUNC", lambda: os.open("/ro/file.txt", os.O_WRONLY | os.O_TRUNC))
show("mkdir", lambda: os.mkdir("/ro/d"))
show("makedirs sub/a/b", lambda: os.makedirs("/ro/sub/a/b"))
show("unlink file.txt", lambda: os.unlink("/ro/file.txt"))
show("unlink link", lambda: os.unlink("/ro/link"))
show("rmdir empty", lambda: os.rmdir("/ro/empty"))
show("rmtree sub", lambda: shutil.rmtree("/ro/sub"))
show("rename", lambda: os.rename("/ro/file.txt", "/ro/renamed"))
show("rename to /rw", lambda: os.rename("/ro/file.txt", "/rw/stolen"))
show("rename /rw -> /ro", lambda: (write("/rw/x", "w"), os.rename("/rw/x", "/ro/x"))[1])
show("truncate", lambda: os.truncate("/ro/file.txt", 0))
show("utime", lambda: os.utime("/ro/file.txt", (1, 1)))
show("utime now", lambda: os.utime("/ro/file.txt"))
show("symlink", lambda: os.symlink("file.txt", "/ro/sl"))
show("link in place", lambda: os.link("/ro/file.txt", "/ro/hl"))
show("link into /rw", lambda: os.link("/ro/file.txt", "/rw/hl"))
show("chmod", lambda: os.chmod("/ro/file.txt", 0o777))
show("copy into /rw then read", lambda: (shutil.copy("/ro/file.txt", "/rw/copy"),
                                         read("/rw/copy"))[1])
show("read file.txt again", lambda: read("/ro/file.txt"))
