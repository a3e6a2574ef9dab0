"""Tries to leave the preopened directory from Python (open, os.*).

Run as: pyedge python --dir SB::/sb --ro-dir tests/sandbox/py::/t -- /t/escape.py, with the tree run.sh makes
for the C escape guests (SB holds file.txt, sub/, and host-planted symlinks
h_* leading out to ../outside/secret, /etc, /). Prints "label: RESULT" per
attempt: the exception's class and errno name, or OPENED and what was read.
"""
import errno
import os
import sys


def result(fn):
    try:
        r = fn()
    except OSError as e:
        name = errno.errorcode.get(e.errno, str(e.errno))
        return f"{type(e).__name__} {name}"
    except Exception as e:  # noqa: BLE001 -- the class is what we report
        return type(e).__name__
    if isinstance(r, bytes):
        r = r.decode("latin-1")
    if isinstance(r, str):
        return "OPENED read=" + repr(r.replace("\n", "|")[:80])
    return "SUCCESS" if r is None else f"SUCCESS {r!r}"


def read(path, **kw):
    with open(path, "rb", **kw) as f:
        return f.read(200)


def show(label, fn):
    print(f"{label}: {result(fn)}", flush=True)


def listdir(path):
    names = os.listdir(path)
    return "LISTS THE HOST" if {"etc", "outside", "proc"} & set(names) else None


show("open /sb/file.txt", lambda: read("/sb/file.txt"))
for p in ["/etc/passwd", "/sb/../outside/secret", "/sb/sub/../../outside/secret",
          "/sb/h_abs_secret", "/sb/h_rel_secret", "/sb/h_abs_dir/secret", "/sb/h_rel_dir/secret",
          "/sb/h_etc/passwd", "/sb/h_root/etc/passwd", "/sb/h_proc/environ", "/sb/h_chain1",
          "/proc/self/environ", "/proc/self/mem", "/dev/mem", "/usr/local/lib/../../../etc/passwd",
          "../outside/secret", "//etc/passwd"]:
    show(f"open {p}", lambda p=p: read(p))
show("os.open ../outside/secret dir_fd=4",
     lambda: os.read(os.open("../outside/secret", os.O_RDONLY, dir_fd=4), 100))
show("os.open .. dir_fd=4", lambda: os.open("..", os.O_RDONLY, dir_fd=4))
for p in ["/", "/sb/..", "/sb/h_abs_dir", "/sb/h_root", "/usr/local/lib/.."]:
    show(f"listdir {p}", lambda p=p: listdir(p))
for p in ["/sb/..", "/sb/h_abs_secret", "/etc/passwd"]:
    show(f"stat {p}", lambda p=p: os.stat(p) and None)
show("symlink /etc -> /sb/p_abs", lambda: os.symlink("/etc", "/sb/p_abs"))
show("symlink ../.. -> /sb/p_up", lambda: os.symlink("../..", "/sb/p_up"))
show("open /sb/p_up/etc/passwd", lambda: read("/sb/p_up/etc/passwd"))
show("listdir /sb/p_up", lambda: listdir("/sb/p_up"))
show("link /sb/h_abs_secret -> /sb/p_hard", lambda: os.link("/sb/h_abs_secret", "/sb/p_hard"))
show("open /sb/p_hard", lambda: read("/sb/p_hard"))
show("link /sb/h_abs_secret -> /sb/p_hard2 follow",
     lambda: os.link("/sb/h_abs_secret", "/sb/p_hard2", follow_symlinks=True))
show("open /sb/p_hard2", lambda: read("/sb/p_hard2"))
show("link /sb/../outside/secret -> /sb/p_hard3",
     lambda: os.link("/sb/../outside/secret", "/sb/p_hard3"))
show("rename /sb/file.txt -> /sb/../stolen", lambda: os.rename("/sb/file.txt", "/sb/../stolen"))
show("rename /sb/h_abs_dir/secret -> /sb/got",
     lambda: os.rename("/sb/h_abs_dir/secret", "/sb/got"))
show("replace /sb/sub -> /sb/h_abs_dir/sub", lambda: os.replace("/sb/sub", "/sb/h_abs_dir/sub"))
show("remove /sb/h_abs_dir/secret", lambda: os.remove("/sb/h_abs_dir/secret"))
show("mkdir /sb/../made", lambda: os.mkdir("/sb/../made"))
show("open w /sb/h_rel_dir/new", lambda: open("/sb/h_rel_dir/new", "w").close())
show("open w /sb/h_abs_secret", lambda: open("/sb/h_abs_secret", "w").close())
show("truncate /sb/h_abs_secret", lambda: os.truncate("/sb/h_abs_secret", 0))
show("utime /sb/h_abs_secret", lambda: os.utime("/sb/h_abs_secret", (1, 1)))
show("chdir /sb/sub", lambda: os.chdir("/sb/sub"))
show("open ../../outside/secret", lambda: read("../../outside/secret"))
show("open ../file.txt", lambda: read("../file.txt"))
show("chdir /sb/h_abs_dir", lambda: os.chdir("/sb/h_abs_dir"))
show("write into the stdlib", lambda: open("/usr/local/lib/evil.py", "w").close())

# Descriptors never given to us: the stdlib is fd 3, /sb fd 4, this script's
# directory fd 5.
bad = []
for fd in range(6, 1100):
    for call in (lambda: os.read(fd, 10), lambda: os.fstat(fd), lambda: os.write(fd, b"x")):
        try:
            call()
            bad.append(fd)
        except OSError as e:
            if e.errno != errno.EBADF:
                bad.append((fd, e.errno))
print(f"fds 6..1099 all EBADF: {'yes' if not bad else 'NO: ' + repr(bad[:20])}")
show("os.read(10)", lambda: os.read(10, 100))
show("os.fdopen(9).read()", lambda: os.fdopen(9).read())
print("done", file=sys.stderr)
