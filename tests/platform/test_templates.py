#!/usr/bin/env python3
"""tests/platform/test_templates.py -- apps made by Spin's own Python
templates run unchanged, -p paths, and component `files`.

Apps (tests/platform/apps/):
  tpl-http-py     Spin's http-py template for spin-sdk 3.x, as `spin new`
                  writes it (componentize-py -w spin-http ...; requirements
                  spin-sdk == 3.4.1, componentize-py == 0.16.0)
  tpl-http-py-v4  the spin-sdk 4.0 layout (class HttpHandler(Handler), async,
                  -w spin:up/http-trigger@4.0.0)
  tpl-pypath      -p . -p vendor -p ../shared, from build workdir web/
  files           files = [glob, file, { source, destination }],
                  exclude_files
Each app is copied to a temporary directory first (so the repository stays
clean and a case may edit it); `pyedge build` and `pyedge up` then run with
--state-dir in another temporary directory. Every response is checked over
real HTTP.
"""

import json
import os
import shutil
import tempfile

from edge_harness import APPS, Cases, Fleet, check, eq, run_pyedge

import drive

case = Cases()
WORK = tempfile.mkdtemp(prefix="pe-templates-")
fleet = Fleet()


def copy_app(name):
    dst = os.path.join(WORK, name)
    if os.path.exists(dst):
        shutil.rmtree(dst)
    shutil.copytree(os.path.join(APPS, name), dst, ignore=shutil.ignore_patterns(".spin", "__pycache__"))
    return dst


def build(app, *args, env=None):
    """Runs `pyedge build`; returns (exit status, stderr text)."""
    return run_pyedge("build", app, *args, env=env, timeout=120)


serve = fleet.serve
stop = fleet.stop


def listing(root):
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out.append((os.path.relpath(p, root), fh.read()))
    return out


def get(s, path):
    return drive.request(s.port, "GET", path)


def template_case(name):
    app = copy_app(name)
    before = listing(app)
    state = os.path.join(WORK, name + "-state")
    rc, out = build(app, "--state-dir", state)
    eq(rc, 0, f"pyedge build exit status ({out[-400:]})")
    check("'spin-sdk == " in out and "skipped: pyedge provides spin_sdk itself" in out,
          f"no note about skipping spin-sdk: {out[-400:]}")
    check("'componentize-py == " in out and "skipped: pyedge builds the component itself" in out,
          f"no note about skipping componentize-py: {out[-400:]}")
    check("installing" not in out, f"pip ran for the template's requirements: {out[-400:]}")
    check("warning" not in out, f"unexpected warning: {out[-400:]}")
    s = serve(app, "--state-dir", state)
    check(any("from its snapshot file" in l for l in s.stderr), f"not started from the build: {s.tail()}")
    r = get(s, "/")
    drive.expect(r, 200, b"Hello from Python!")
    eq(r.header("content-type"), "text/plain", "content-type")
    r = get(s, "/any/path?q=1")
    drive.expect(r, 200, b"Hello from Python!", "another path")
    eq(stop(s), 0, "exit status on SIGTERM")
    # nothing was written into the app: no app.wasm, no .spin, no bytecode
    eq(listing(app), before, "the app directory after build and up")


@case
def template_http_py_v3():
    template_case("tpl-http-py")


@case
def template_http_py_v4_async():
    template_case("tpl-http-py-v4")


@case
def pypath_sibling_and_vendored_packages():
    app = copy_app("tpl-pypath")
    s = serve(app, "--state-dir", os.path.join(WORK, "pypath-state"))
    r = get(s, "/")
    drive.expect(r, 200)
    d = r.json()
    eq(d["greeting"], "Hello, pyedge, from ../shared!", "greeting from ../shared")
    eq(d["greeting_file"], "/usr/local/pypath/0/greeting/__init__.py", "where greeting came from")
    eq(d["vendored"], "vendored 1.0", "vendored package")
    eq(d["vendored_file"], "/app/vendor/vendored/__init__.py", "where vendored came from")
    eq(d["path"][:4], ["/app", "/app/vendor", "/usr/local/pypath/0", "/usr/local/pyedge"],
       "sys.path: the -p paths in order, then the SDK")
    eq(stop(s), 0, "exit status")


@case
def pypath_change_is_a_new_snapshot():
    app = copy_app("tpl-pypath")
    state = os.path.join(WORK, "pypath-state2")
    rc, out = build(app, "--state-dir", state)
    eq(rc, 0, f"build ({out[-300:]})")
    with open(os.path.join(app, "shared", "greeting", "__init__.py"), "a") as f:
        f.write("\n\ndef hello(name):\n    return 'changed ' + name\n")
    s = serve(app, "--state-dir", state)
    check(not any("from its snapshot file" in l for l in s.stderr),
          "a stale snapshot was used after ../shared changed")
    eq(get(s, "/").json()["greeting"], "changed pyedge", "greeting after the change")
    eq(stop(s), 0, "exit status")


@case
def pypath_missing_directory_warned():
    # as componentize-py: a -p that does not exist is left out with a
    # warning; this app then fails because it imports from it
    app = copy_app("tpl-pypath")
    shutil.rmtree(os.path.join(app, "shared"))
    rc, out = build(app, "--state-dir", os.path.join(WORK, "pypath-state3"))
    check("warning:" in out and "-p path '../shared'" in out and "not a directory" in out,
          f"message: {out[-300:]}")
    check(rc != 0 and "greeting" in out, f"build without ../shared: rc {rc}, {out[-300:]}")


@case
def pypath_shell_substitution_noted():
    # an old template's `-p $(python3 -c '...site...')`: pyedge runs no
    # shell and installs requirements.txt itself, so the path is left out
    # with a note (nothing for the user to change), not a warning
    app = copy_app("tpl-http-py")
    toml = os.path.join(app, "spin.toml")
    with open(toml) as f:
        text = f.read()
    with open(toml, "w") as f:
        f.write(text.replace(
            "componentize app -o app.wasm",
            "componentize -p . -p $(python3 -c 'import site; print(site.getsitepackages()[0])') "
            "app -o app.wasm"))
    rc, out = build(app, "--state-dir", os.path.join(WORK, "subst-state"))
    eq(rc, 0, f"build ({out[-300:]})")
    check("pyedge: tpl-http-py: -p $(python3 -c 'import site; print(site.getsitepackages()[0])')"
          " is left out" in out, f"message: {out[-400:]}")
    check("warning: tpl-http-py: -p $(" not in out, f"said as a warning: {out[-400:]}")


@case
def build_command_not_componentize_py():
    app = copy_app("tpl-http-py")
    toml = os.path.join(app, "spin.toml")
    with open(toml) as f:
        text = f.read()
    with open(toml, "w") as f:
        f.write(text.replace("componentize-py -w spin-http componentize app -o app.wasm",
                             "cargo build --target wasm32-wasip1 --release"))
    rc, out = build(app, "--state-dir", os.path.join(WORK, "cargo-state"))
    check(rc != 0, "a cargo build was taken for a Python component")
    check("component tpl-http-py: its build command 'cargo build --target wasm32-wasip1 --release' "
          "is not componentize-py" in out, f"message: {out[-400:]}")


@case
def build_command_with_unknown_option_warns():
    app = copy_app("tpl-http-py")
    toml = os.path.join(app, "spin.toml")
    with open(toml) as f:
        text = f.read()
    with open(toml, "w") as f:
        f.write(text.replace("componentize app -o app.wasm",
                             "componentize --frobnicate app -o app.wasm"))
    rc, out = build(app, "--state-dir", os.path.join(WORK, "warn-state"))
    eq(rc, 0, f"build ({out[-300:]})")
    check("warning: tpl-http-py: componentize-py option '--frobnicate' ignored" in out,
          f"message: {out[-400:]}")


# -- files

files_server = None


def files_app():
    global files_server
    if files_server is None or not files_server.alive():
        app = copy_app("files")
        files_server = serve(app, "--state-dir", os.path.join(WORK, "files-state"))
    return files_server


def read(s, path):
    return get(s, "/read?path=" + path)


@case
def files_glob_keeps_relative_path():
    s = files_app()
    drive.expect(read(s, "/static/index.html"), 200, b"<h1>static index</h1>\n")
    drive.expect(read(s, "/static/css/site.css"), 200, b"body { color: teal; }\n")
    # relative to the working directory, /
    drive.expect(read(s, "static/css/site.css"), 200, b"body { color: teal; }\n")
    drive.expect(read(s, "/config.json"), 200, b'{"greeting": "hello from config.json"}\n')


@case
def files_source_destination():
    s = files_app()
    drive.expect(read(s, "/srv/assets/logo.txt"), 200, b"LOGO\n")
    drive.expect(read(s, "/srv/assets/deep/x.txt"), 200, b"deep asset\n")
    eq(read(s, "/assets/logo.txt").status, 404, "the source path itself")
    r = get(s, "/list?path=/srv/assets")
    drive.expect(r, 200)
    eq(r.json(), ["deep", "logo.txt"], "listing of /srv/assets")


@case
def files_exclude_and_unlisted():
    s = files_app()
    r = read(s, "/static/old.bak")
    eq((r.status, r.body[:6]), (404, b"ENOENT"), "an excluded file")
    r = read(s, "/secret.txt")
    eq((r.status, r.body[:6]), (404, b"ENOENT"), "a file not listed in files")
    r = get(s, "/list?path=/")
    eq(r.json(), ["config.json", "srv", "static"], "what / holds")


@case
def files_are_read_only():
    s = files_app()
    for path in ["/static/new.txt", "/static/index.html", "/config.json", "/srv/assets/logo.txt",
                 "/new.txt"]:
        r = get(s, "/write?path=" + path)
        eq(r.status, 403, f"writing {path}: {r.body!r}")
        check(r.body.startswith(b"ENOTCAPABLE") or r.body.startswith(b"EROFS")
              or r.body.startswith(b"EACCES"), f"writing {path}: {r.body!r}")
    drive.expect(read(s, "/static/index.html"), 200, b"<h1>static index</h1>\n")


@case
def files_the_component_dir_stays_at_app():
    s = files_app()
    drive.expect(read(s, "/app/secret.txt"), 200, b"not listed in files\n")
    eq(get(s, "/config").json(), {"greeting": "hello from config.json"}, "config read at import")


@case
def files_are_part_of_the_snapshot_key():
    app = copy_app("files")
    state = os.path.join(WORK, "files-key-state")
    rc, out = build(app, "--state-dir", state)
    eq(rc, 0, f"build ({out[-300:]})")
    s = serve(app, "--state-dir", state)
    check(any("from its snapshot file" in l for l in s.stderr), "unchanged files: not from the build")
    eq(stop(s), 0, "exit status")
    # config.json is read at import time: a change must mean a new start-up
    with open(os.path.join(app, "config.json"), "w") as f:
        f.write('{"greeting": "changed"}\n')
    s = serve(app, "--state-dir", state)
    check(not any("from its snapshot file" in l for l in s.stderr),
          "a stale snapshot was used after config.json changed")
    eq(get(s, "/config").json(), {"greeting": "changed"}, "config after the change")
    drive.expect(read(s, "/config.json"), 200, b'{"greeting": "changed"}\n')
    eq(stop(s), 0, "exit status")


@case
def files_errors_name_the_entry():
    app = copy_app("files")
    toml = os.path.join(app, "spin.toml")
    with open(toml) as f:
        text = f.read()
    with open(toml, "w") as f:
        f.write(text.replace('"config.json",', '"config.json", "../outside.txt", '))
    rc, out = build(app, "--state-dir", os.path.join(WORK, "files-bad-state"))
    check(rc != 0, "a file outside the app was accepted")
    check("files: '../outside.txt' is outside the application directory" in out,
          f"message: {out[-300:]}")


def teardown():
    why = fleet.stop_all()
    shutil.rmtree(WORK, ignore_errors=True)
    return why


if __name__ == "__main__":
    raise SystemExit(case.run(teardown=teardown))
