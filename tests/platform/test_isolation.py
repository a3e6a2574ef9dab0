#!/usr/bin/env python3
"""tests/platform/test_isolation.py -- pyedge's own state and host files are
never visible to a guest, wherever they live and whatever links point at them.

The adversarial pass of 2026-12-07 found that /app was the whole component
directory, hidden entries included, so a component read the default stores
(and their WAL) and an earlier request's stdout under /app/.spin; and that a
symlink inside a `files` source was followed when the tree was copied, so
/etc/passwd became readable (and was hard-linked into the state directory).
Cases:
  - /app is a mirror of the component's own files: no .spin (stores, WAL,
    logs, snapshots), no other hidden entry, no runtime config file and no
    store file it names, no --log-dir inside the app, nothing reached
    through links that point at any of them or out of the app;
  - a `files` source holding a link out of the app (absolute, relative, to
    a directory) stops the build naming the link; a link that stays inside
    the app is copied as the file it names;
  - a link to / inside the app is not walked (the build stays fast) and
    gives the guest nothing;
  - the serving process is locked down once start-up is done: every thread
    has no_new_privs and the seccomp filter (--seccomp off: none), and
    --user drops root for the user named (its files still served).
"""

import json
import os
import shutil
import tempfile
import threading
import time

from edge_harness import Cases, Fleet, check, eq, run_pyedge

import drive

case = Cases()
WORK = tempfile.mkdtemp(prefix="pe-isolation-")
fleet = Fleet()

PROBE_APP = '''\
import json
import os

from spin_sdk import http, key_value, sqlite
from spin_sdk.http import Request, Response


def probe(path):
    try:
        with open(path, "rb") as f:
            return "read %d bytes" % len(f.read())
    except OSError as e:
        return type(e).__name__


def walk(top):
    seen = []
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            seen.append(os.path.relpath(os.path.join(root, n), top))
    return sorted(seen)


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        print("SECRET-STDOUT-OF-A-REQUEST")
        with key_value.open_default() as store:
            store.set("k", b"v")
        with sqlite.open_default() as db:
            db.execute("CREATE TABLE IF NOT EXISTS t (v)", [])
            db.execute("INSERT INTO t VALUES (1)", [])
        paths = json.loads(request.body or b"[]")
        body = {"app": walk("/app"), "probes": {p: probe(p) for p in paths}}
        return Response(200, {"content-type": "application/json"}, json.dumps(body).encode())
'''


def manifest(name, extra="", stores='"default"'):
    return f'''spin_manifest_version = 2

[application]
name = "{name}"

[[trigger.http]]
route = "/..."
component = "{name}"

[component.{name}]
source = "app.wasm"
key_value_stores = [{stores}]
sqlite_databases = ["default"]
{extra}
[component.{name}.build]
command = "componentize-py -w spin-http componentize app -o app.wasm"
'''


RUNTIME_CONFIG = '''\
[key_value_store.data]
type = "spin"
path = "data/kv.db"
'''


def make_app(name, app_py=PROBE_APP, extra="", files=None, links=None, stores='"default"'):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for rel, data in {"spin.toml": manifest(name, extra, stores), "app.py": app_py, **(files or {})}.items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(data)
    for rel, target in (links or {}).items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        os.symlink(target, p)
    return d


pyedge = run_pyedge
serve = fleet.serve
stop = fleet.stop


def ask(s, paths):
    r = drive.request(s.port, "POST", "/", body=json.dumps(paths).encode())
    eq(r.status, 200, f"status ({r.body[:300]!r})")
    return r.json()


@case
def state_is_never_under_app():
    app = make_app(
        "stateful", stores='"default", "data"',
        files={"runtime.toml": RUNTIME_CONFIG, "data/readme.txt": "app data\n", ".env": "TOKEN=1\n",
               "pkg/mod.py": "X = 1\n"},
        links={"peek": ".spin", "db": ".spin/sqlite_db.db", "kvlink": "data/kv.db",
               "pkg/logs": "../mylogs", "outside": "/etc", "passwd": "/etc/passwd"})
    args = ("--runtime-config-file", os.path.join(app, "runtime.toml"),
            "--log-dir", os.path.join(app, "mylogs"))
    s = serve(app, *args)
    first = ask(s, [])
    eq(first["app"], ["app.py", "data", "data/readme.txt", "pkg", "pkg/mod.py", "spin.toml"],
       "what the guest sees of the component directory")
    # the state exists now (stores written, WAL, a request's stdout logged) ...
    for rel in (".spin/sqlite_key_value.db", ".spin/sqlite_db.db", "data/kv.db",
                "mylogs/stateful_stdout.txt"):
        check(os.path.exists(os.path.join(app, rel)), f"{rel} was not written")
    wal = [f for f in os.listdir(os.path.join(app, ".spin")) if f.endswith("-wal")]
    check(wal, "no WAL file in .spin")
    # ... and no path to it works from the guest
    probes = ["/app/.spin/sqlite_key_value.db", "/app/.spin/sqlite_db.db",
              "/app/.spin/" + wal[0], "/app/.spin/logs/stateful_stdout.txt",
              "/app/mylogs/stateful_stdout.txt", "/app/data/kv.db", "/app/data/kv.db-wal",
              "/app/runtime.toml", "/app/peek/sqlite_db.db", "/app/db", "/app/kvlink",
              "/app/pkg/logs/stateful_stdout.txt", "/app/outside/passwd", "/app/passwd",
              "/app/.env", "/.spin/sqlite_db.db", "/etc/passwd"]
    second = ask(s, probes)
    for p in probes:
        check(not second["probes"][p].startswith("read"), f"{p}: {second['probes'][p]}")
    eq(second["probes"][probes[0]], "FileNotFoundError",
       "a store file under /app does not exist for the guest")
    eq(second["app"], first["app"], "the listing after the state was written")
    eq(stop(s), 0, "exit status")
    log = open(os.path.join(app, "mylogs", "stateful_stdout.txt")).read()
    check("SECRET-STDOUT-OF-A-REQUEST" in log, "the request's stdout was logged on the host")


@case
def files_links_out_of_the_app_are_refused():
    cases = {
        "abs-file": {"static/passwd_link": "/etc/passwd"},
        "abs-dir": {"static/dirlink": "/etc"},
        "relative": {"static/up": "../../outside.txt"},
    }
    with open(os.path.join(WORK, "outside.txt"), "w") as f:
        f.write("host file\n")
    for name, links in cases.items():
        app = make_app(f"links-{name}", extra='files = ["static"]\n',
                       files={"static/index.html": "<p>hi</p>\n"}, links=links)
        rc, out = pyedge("build", app)
        check(rc != 0, f"{name}: build succeeded: {out[-300:]}")
        link = next(iter(links))
        check(f"'{link}' is a symbolic link to {links[link]}" in out, f"{name}: {out[-400:]}")
        check("outside the application directory" in out, f"{name}: {out[-400:]}")
        state = os.path.join(app, ".spin", "pyedge", "files")
        copied = []
        for root, _, fs in os.walk(state):
            copied += fs
        check("passwd_link" not in copied and "passwd" not in copied, f"{name}: copied {copied}")
    # the same through a glob and through { source, destination }
    app = make_app("links-glob", extra='files = ["static/**/*"]\n',
                   files={"static/a.txt": "a\n"}, links={"static/sub/p": "/etc/passwd"})
    rc, out = pyedge("build", app)
    check(rc != 0 and "'static/sub/p' is a symbolic link to /etc/passwd" in out, out[-400:])
    app = make_app("links-placed", extra='files = [{ source = "assets", destination = "/srv" }]\n',
                   files={"assets/a.txt": "a\n"})
    os.rename(os.path.join(app, "assets"), os.path.join(app, "real-assets"))
    os.symlink("/etc", os.path.join(app, "assets"))
    rc, out = pyedge("build", app)
    check(rc != 0 and "'assets' is a symbolic link to /etc" in out, out[-400:])


@case
def files_links_inside_the_app_are_copied():
    app = make_app("links-inside", extra='files = ["static"]\n',
                   files={"static/index.html": "<p>hi</p>\n", "shared/logo.txt": "logo\n"},
                   links={"static/alias.html": "index.html", "static/shared": "../shared"})
    s = serve(app)
    r = ask(s, ["/static/alias.html", "/static/shared/logo.txt", "/static/index.html"])
    eq(r["probes"]["/static/alias.html"], "read 10 bytes", "a link to a file inside the app")
    eq(r["probes"]["/static/shared/logo.txt"], "read 5 bytes", "a link to a directory inside")
    eq(stop(s), 0, "exit status")
    tree = os.path.join(app, ".spin", "pyedge", "files")
    for root, dirs, fs in os.walk(tree):
        for n in dirs + fs:
            check(not os.path.islink(os.path.join(root, n)), f"a link in the files tree: {n}")


@case
def a_link_to_root_is_not_walked():
    app = make_app("rootlink", links={"root": "/", "up": ".."})
    t0 = time.monotonic()
    rc, out = pyedge("build", app)
    took = time.monotonic() - t0
    eq(rc, 0, f"build ({out[-300:]})")
    check(took < 20, f"build took {took:.1f} s (walked the host file system?)")
    s = serve(app)
    r = ask(s, ["/app/root/etc/passwd", "/app/up/rootlink/app.py"])
    for p, v in r["probes"].items():
        check(not v.startswith("read"), f"{p}: {v}")
    eq(r["app"], ["app.py", "spin.toml"], "what the guest sees of the component directory")
    eq(stop(s), 0, "exit status")


def proc_status(pid):
    """{field: value} of /proc/PID/task/*/status, one dict per thread."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            out.append(dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l))
    return out


@case
def serving_process_is_locked_down():
    app = make_app("locked", files={"data/readme.txt": "app data\n"})
    s = serve(app)
    r = ask(s, ["/app/data/readme.txt"])
    eq(r["probes"]["/app/data/readme.txt"], "read 9 bytes", "the app's own file")
    threads = proc_status(s.proc.pid)
    check(len(threads) >= 3, f"threads: {len(threads)}")
    for t in threads:
        eq((t["NoNewPrivs"], t["Seccomp"], t["Seccomp_filters"]), ("1", "2", "1"),
           f"thread {t['Name']}: no_new_privs, seccomp mode, filters")
    eq(stop(s), 0, "exit status")
    s = serve(app, "--seccomp", "off")
    ask(s, [])
    for t in proc_status(s.proc.pid):
        eq((t["NoNewPrivs"], t["Seccomp"]), ("0", "0"), f"--seccomp off, thread {t['Name']}")
    eq(stop(s), 0, "exit status")
    rc, out = pyedge("up", app, "--seccomp", "maybe")
    check(rc == 2 and "--seccomp wants on, off or log" in out, out[-300:])
    rc, out = pyedge("up", app, "--user", "no-such-user-pyedge")
    check(rc == 2 and "no user named 'no-such-user-pyedge'" in out, out[-300:])


@case
def user_option_drops_root():
    if os.geteuid() != 0:
        print("SKIP user_option_drops_root: needs root")
        return
    import pwd
    nobody = pwd.getpwnam("nobody")
    app = make_app("dropped", files={"data/readme.txt": "app data\n"})
    os.chmod(WORK, 0o755)
    # start-up runs as root and creates the stores and logs; the server,
    # as nobody, goes on writing them (several connections at once)
    s = serve(app, "--user", "nobody", "--workers", "4")
    results = []

    def one():
        results.append(ask(s, ["/app/data/readme.txt"]))

    workers = [threading.Thread(target=one) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    eq(len(results), 8, "answers")
    for r in results:
        eq(r["probes"]["/app/data/readme.txt"], "read 9 bytes", "the app's own file as nobody")
    for rel in (".spin/sqlite_key_value.db", ".spin/sqlite_db.db", ".spin/logs/dropped_stdout.txt"):
        eq(os.stat(os.path.join(app, rel)).st_uid, nobody.pw_uid, f"owner of {rel}")
    for t in proc_status(s.proc.pid):
        eq(t["Uid"].split()[:3], [str(nobody.pw_uid)] * 3, f"thread {t['Name']}: uids")
        eq(t["Gid"].split()[:3], [str(nobody.pw_gid)] * 3, f"thread {t['Name']}: gids")
        eq(t["Groups"].strip(), "", "supplementary groups")
    eq(stop(s), 0, "exit status")


def teardown():
    why = fleet.stop_all()
    shutil.rmtree(WORK, ignore_errors=True)
    return why


if __name__ == "__main__":
    raise SystemExit(case.run(teardown=teardown))
