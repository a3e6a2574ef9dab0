#!/usr/bin/env python3
"""tests/platform/test_bundle.py -- requirements.txt, the pip bundle, native
code, bundle size limits and --state-dir, with `pyedge build` / `pyedge up`.

Wheels are made here (zip files with a package and a valid *.dist-info:
METADATA, WHEEL, RECORD) into a temporary find-links directory, and pip is
pointed at it alone (PIP_NO_INDEX=1 PIP_FIND_LINKS=<dir>): nothing is
downloaded. Cases:
  - a pure-Python wheel listed in requirements.txt is installed into the
    bundle and imported by the handler, next to the template's spin-sdk and
    componentize-py lines (skipped); a second build reuses the bundle;
  - a wheel holding a .so is refused, naming the package; so is a vendored
    package with native code;
  - requirements.txt with only spin-sdk/componentize-py needs no pip (PATH
    without python3); with a real requirement and no pip, or no index, the
    build fails naming the requirement;
  - --max-bundle-size refuses (installed packages count), and the warning
    threshold (PYEDGE_TEST_BUNDLE_WARN_SIZE, tests only) warns;
  - build --state-dir X then up --state-dir X keep everything in X and start
    from the snapshot there.
"""

import base64
import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile

from edge_harness import Cases, check, eq, start, stop_cleanly

import drive

case = Cases()
WORK = tempfile.mkdtemp(prefix="pe-bundle-")
WHEELS = os.path.join(WORK, "wheels")
EMPTY = os.path.join(WORK, "no-wheels")
servers = []

APP_PY = '''\
import json

import tinypkg
from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        body = {"tiny": tinypkg.VALUE, "file": tinypkg.__file__}
        return Response(200, {"content-type": "application/json"}, json.dumps(body).encode())
'''

PLAIN_APP_PY = '''\
from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        return Response(200, {"content-type": "text/plain"}, b"plain")
'''

TEMPLATE_REQS = "spin-sdk == 3.4.1\ncomponentize-py == 0.16.0\n"


def manifest(name, command="componentize-py -w spin-http componentize app -o app.wasm"):
    return f'''spin_manifest_version = 2

[application]
name = "{name}"
version = "0.1.0"

[[trigger.http]]
route = "/..."
component = "{name}"

[component.{name}]
source = "app.wasm"
[component.{name}.build]
command = "{command}"
'''


def make_wheel(name, version, files):
    """A wheel for `name` holding files {path: bytes}; returns its path."""
    os.makedirs(WHEELS, exist_ok=True)
    dist = f"{name}-{version}.dist-info"
    meta = {
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: pyedge-tests\nRoot-Is-Purelib: true\n"
                         b"Tag: py3-none-any\n",
    }
    entries = {**files, **meta}
    record = []
    for path, data in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    path = os.path.join(WHEELS, f"{name}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for p, data in entries.items():
            z.writestr(p, data)
        z.writestr(f"{dist}/RECORD", "\n".join(record) + "\n")
    return path


def make_app(name, reqs=None, app_py=APP_PY, command=None, extra=None):
    d = os.path.join(WORK, name)
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    with open(os.path.join(d, "spin.toml"), "w") as f:
        f.write(manifest(name, command) if command else manifest(name))
    with open(os.path.join(d, "app.py"), "w") as f:
        f.write(app_py)
    if reqs is not None:
        with open(os.path.join(d, "requirements.txt"), "w") as f:
            f.write(reqs)
    for rel, data in (extra or {}).items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    return d


def pip_env(links=None, **more):
    env = dict(os.environ)
    env["PIP_NO_INDEX"] = "1"
    env["PIP_FIND_LINKS"] = links or WHEELS
    env.pop("PYEDGE_TEST_BUNDLE_WARN_SIZE", None)
    env.update(more)
    return env


def pyedge(cmd, app, *args, env=None):
    p = subprocess.run([drive.PYEDGE, cmd, "-f", app, *args], capture_output=True, text=True,
                       timeout=180, env=env or pip_env())
    return p.returncode, p.stderr + p.stdout


def serve(app, *args, env=None):
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env or pip_env())
    try:
        s = start(app, args, name=os.path.basename(app))
    finally:
        os.environ.clear()
        os.environ.update(old)
    servers.append(s)
    return s


def stop(s):
    servers.remove(s)
    return s.stop()


def setup():
    os.makedirs(EMPTY)
    make_wheel("tinypkg", "1.0", {"tinypkg/__init__.py": b'VALUE = "tiny 1.0"\n'})
    make_wheel("fastnative", "1.0", {
        "fastnative/__init__.py": b"from ._speed import go\n",
        "fastnative/_speed.cpython-313-x86_64-linux-gnu.so": b"\x7fELF not really",
    })
    make_wheel("bigpkg", "1.0", {"bigpkg/__init__.py": b"# " + b"x" * 6000 + b"\nVALUE = 1\n"})


@case
def pure_wheel_installed_and_imported():
    app = make_app("tiny", TEMPLATE_REQS + "tinypkg==1.0\n")
    state = os.path.join(WORK, "tiny-state")
    rc, out = pyedge("build", app, "--state-dir", state)
    eq(rc, 0, f"build exit status ({out[-500:]})")
    check("'spin-sdk == 3.4.1' skipped" in out, f"no note for spin-sdk: {out[-400:]}")
    check("'componentize-py == 0.16.0' skipped" in out, f"no note for componentize-py: {out[-400:]}")
    check("installing 1 requirement from requirements.txt with pip" in out, f"no pip note: {out[-400:]}")
    bundles = os.path.join(state, "pyedge", "bundles")
    sites = [os.path.join(bundles, d, "site-packages") for d in os.listdir(bundles)
             if not d.startswith(".") and not d.endswith(".log")]
    eq(len(sites), 1, f"bundles in {bundles}: {os.listdir(bundles)}")
    check(os.path.isfile(os.path.join(sites[0], "tinypkg", "__init__.py")), "tinypkg not in the bundle")
    check(not any(n.endswith(".pyc") for _, _, fs in os.walk(sites[0]) for n in fs), "bytecode compiled")
    s = serve(app, "--state-dir", state)
    check(any("from its snapshot file" in l for l in s.stderr), f"not from the build: {s.tail()}")
    r = drive.request(s.port, "GET", "/")
    drive.expect(r, 200)
    eq(r.json(), {"tiny": "tiny 1.0", "file": "/usr/local/site-packages/tinypkg/__init__.py"},
       "the handler's import")
    eq(stop(s), 0, "exit status")
    # unchanged requirements: the bundle is reused, pip does not run
    rc, out = pyedge("build", app, "--state-dir", state, env=pip_env(PATH="/nonexistent"))
    eq(rc, 0, f"second build ({out[-300:]})")
    check("installing" not in out, f"pip ran again: {out[-300:]}")


@case
def native_wheel_refused_by_name():
    app = make_app("native", TEMPLATE_REQS + "fastnative==1.0\n")
    for cmd in ("build", "up"):
        rc, out = pyedge(cmd, app, "--state-dir", os.path.join(WORK, "native-state"),
                         "--listen", "127.0.0.1:0")
        check(rc != 0, f"pyedge {cmd} accepted a native wheel")
        check("package 'fastnative' (fastnative/_speed.cpython-313-x86_64-linux-gnu.so) has native "
              "code" in out and "only pure-Python packages run in the sandbox" in out,
              f"pyedge {cmd}: {out[-500:]}")


@case
def vendored_native_refused_by_name():
    app = make_app("vendored", None, PLAIN_APP_PY,
                   command="componentize-py -w spin-http componentize app -p . -p deps -o app.wasm",
                   extra={"deps/speedy/__init__.py": b"", "deps/speedy/core/_c.abi3.so": b"ELF"})
    rc, out = pyedge("build", app, "--state-dir", os.path.join(WORK, "vendored-state"))
    check(rc != 0, "a vendored native package was accepted")
    check("package 'speedy' in the component directory has native code (deps/speedy/core/_c.abi3.so)"
          in out and "only pure-Python packages" in out, f"message: {out[-400:]}")


@case
def vendored_pure_package_works():
    app = make_app("vendoredpure", None, APP_PY,
                   command="componentize-py -w spin-http componentize app -p . -p deps -o app.wasm",
                   extra={"deps/tinypkg/__init__.py": b'VALUE = "vendored tiny"\n'})
    s = serve(app, "--state-dir", os.path.join(WORK, "vendoredpure-state"))
    r = drive.request(s.port, "GET", "/")
    eq(r.json(), {"tiny": "vendored tiny", "file": "/app/deps/tinypkg/__init__.py"}, "import")
    eq(stop(s), 0, "exit status")


@case
def template_requirements_need_no_pip():
    app = make_app("nopip", TEMPLATE_REQS, PLAIN_APP_PY)
    # no python3 on PATH at all: pip cannot have run
    env = pip_env(PATH="/nonexistent")
    rc, out = pyedge("build", app, "--state-dir", os.path.join(WORK, "nopip-state"), env=env)
    eq(rc, 0, f"build without pip ({out[-300:]})")
    s = serve(app, "--state-dir", os.path.join(WORK, "nopip-state"), env=env)
    drive.expect(drive.request(s.port, "GET", "/"), 200, b"plain")
    eq(stop(s), 0, "exit status")


@case
def pip_missing_names_the_requirement():
    app = make_app("pipless", TEMPLATE_REQS + "tinypkg==1.0\n")
    rc, out = pyedge("build", app, "--state-dir", os.path.join(WORK, "pipless-state"),
                     env=pip_env(PATH="/nonexistent"))
    check(rc != 0, "build succeeded without python3")
    check("requirements.txt lists 'tinypkg==1.0', but pip is not available" in out,
          f"message: {out[-400:]}")


@case
def no_index_names_the_requirement():
    app = make_app("noindex", TEMPLATE_REQS + "nosuchpkg==1.0\n")
    rc, out = pyedge("build", app, "--state-dir", os.path.join(WORK, "noindex-state"),
                     env=pip_env(EMPTY))
    check(rc != 0, "build succeeded without the package")
    check("cannot install 'nosuchpkg==1.0' from requirements.txt: pip found no matching wheel" in out
          and "PIP_INDEX_URL or PIP_FIND_LINKS" in out, f"message: {out[-500:]}")
    # nothing half-made is left to be used next time
    bundles = os.path.join(WORK, "noindex-state", "pyedge", "bundles")
    eq([d for d in os.listdir(bundles) if not d.endswith(".log")], [], "bundle directories")


@case
def bundle_size_limit_refuses():
    app = make_app("big", TEMPLATE_REQS + "bigpkg==1.0\n", PLAIN_APP_PY)
    for cmd in ("build", "up"):
        rc, out = pyedge(cmd, app, "--state-dir", os.path.join(WORK, "big-state"),
                         "--max-bundle-size", "4K", "--listen", "127.0.0.1:0")
        check(rc != 0, f"pyedge {cmd} accepted a bundle above --max-bundle-size")
        check("component big: its bundle (component files and installed packages" in out
              and "above the maximum of 4.1 kB (--max-bundle-size)" in out,
              f"pyedge {cmd}: {out[-400:]}")
    # the same app fits the default limit
    rc, out = pyedge("build", app, "--state-dir", os.path.join(WORK, "big-state"))
    eq(rc, 0, f"build under the default limit ({out[-300:]})")
    check("warning" not in out, f"warned under 50 MB: {out[-300:]}")


@case
def bundle_size_warning_threshold():
    app = make_app("warned", TEMPLATE_REQS + "bigpkg==1.0\n", PLAIN_APP_PY)
    env = pip_env(PYEDGE_TEST_BUNDLE_WARN_SIZE="2K")
    rc, out = pyedge("build", app, "--state-dir", os.path.join(WORK, "warned-state"), env=env)
    eq(rc, 0, f"build ({out[-300:]})")
    check("warning: warned: its bundle (component files and installed packages) is" in out
          and "above 2.0 kB" in out, f"message: {out[-400:]}")
    env = pip_env(PYEDGE_TEST_BUNDLE_WARN_SIZE="1M")
    rc, out = pyedge("build", app, "--state-dir", os.path.join(WORK, "warned-state"), env=env)
    eq(rc, 0, "build")
    check("warning" not in out, f"warned below the threshold: {out[-300:]}")


@case
def bad_max_bundle_size_is_a_usage_error():
    app = make_app("usage", None, PLAIN_APP_PY)
    rc, out = pyedge("build", app, "--max-bundle-size", "lots")
    eq(rc, 2, "exit status")
    check("--max-bundle-size wants a size" in out, out)


@case
def state_dir_holds_everything():
    app = make_app("stated", TEMPLATE_REQS + "tinypkg==1.0\n")
    state = os.path.join(WORK, "elsewhere", "state")
    rc, out = pyedge("build", app, "--state-dir", state)
    eq(rc, 0, f"build ({out[-300:]})")
    snaps = [f for f in os.listdir(os.path.join(state, "pyedge")) if f.endswith(".snap")]
    eq(len(snaps), 1, f"snapshots in {state}/pyedge")
    check(snaps[0].startswith("stated-"), f"snapshot name {snaps[0]}")
    check(os.path.isdir(os.path.join(state, "pyedge", "bundles")), "no bundles directory")
    s = serve(app, "--state-dir", state)
    check(any(l.startswith("pyedge: stated ready: app.py from its snapshot file") for l in s.stderr),
          f"up did not start from the snapshot in the state dir: {s.tail()}")
    eq(drive.request(s.port, "GET", "/").json()["tiny"], "tiny 1.0", "response")
    eq(stop(s), 0, "exit status")
    for f in ("stated_stdout.txt", "stated_stderr.txt"):
        check(os.path.isfile(os.path.join(state, "logs", f)), f"no {f} in {state}/logs")
    eq(sorted(os.listdir(app)), ["app.py", "requirements.txt", "spin.toml"],
       "the app directory (nothing written there)")
    # without --state-dir: .spin next to spin.toml, and the snapshot in X is not looked for there
    s = serve(app)
    check(any("pre-initialized" in l for l in s.stderr), f"default state dir: {s.tail()}")
    eq(stop(s), 0, "exit status")
    check(os.path.isdir(os.path.join(app, ".spin", "logs")), "no .spin/logs by default")
    check(os.path.isdir(os.path.join(app, ".spin", "pyedge", "bundles")), "no .spin/pyedge/bundles")


def teardown():
    why = stop_cleanly(*servers)
    shutil.rmtree(WORK, ignore_errors=True)
    return why


if __name__ == "__main__":
    raise SystemExit(case.run(setup=setup, teardown=teardown))
