#!/usr/bin/env python3
"""tests/platform/test_variables.py -- Spin variables in `pyedge up`.

tests/platform/apps/vars declares app variables (a default, a required
secret) and component variables that are templates over them, read by a
spin-sdk 3.x component (variables.get) and a 4.0 one (await
variables.get). Cases: defaults, templates, the provider order
(--variable over SPIN_VARIABLE_<NAME> over the default), a missing
required variable stopping start-up with its name, error variants for
undefined and invalid names, hostile vars.get payloads, a secret that
never shows in the server's output or logs, and examples/variables.
"""

import json
import os
import subprocess
import tempfile
import time

from edge_harness import APPS, ROOT, Cases, check, eq, start, stop_cleanly

import drive  # noqa: E402

case = Cases()
APP = os.path.join(APPS, "vars")
EXAMPLE = os.path.join(ROOT, "examples", "variables")
SECRET = "sk-9f8e7d6c5b4a-secret"
TMP = tempfile.mkdtemp(prefix="pyedge-vars-test-")
S = {}


def start_env(app, args, env, name):
    """drive.Server started with extra environment variables."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return start(app, args, name=name)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def setup():
    for k in [k for k in os.environ if k.startswith("SPIN_VARIABLE_")]:
        del os.environ[k]
    S["env"] = start_env(APP, ["--log-dir", os.path.join(TMP, "logs")],
                         {"SPIN_VARIABLE_API_KEY": SECRET, "SPIN_VARIABLE_GREETING": "env-hi"},
                         "vars-env")
    S["cli"] = start_env(APP, ["--variable", "greeting=cli-hi", "--variable", f"api_key={SECRET}",
                               "--variable", "region=ap-south", "--log-dir", ""],
                         {"SPIN_VARIABLE_GREETING": "env-hi"}, "vars-cli")
    S["default"] = start(APP, ["--variable", "api_key=k", "--log-dir", ""], name="vars-default")


def teardown():
    return stop_cleanly(*S.values())


def get(server, name, component="sync"):
    r = drive.request(S[server].port, "GET", f"/{component}/get?name={name}")
    eq(r.status, 200, f"status for {name} (body {r.body[:300]!r})")
    return r.json()


@case
def defaults_and_templates():
    eq(get("default", "message"), {"value": "hello, world", "type": "str"}, "template + default")
    eq(get("default", "where")["value"], "region=eu-west", "template without spaces")
    eq(get("default", "plain")["value"], "static value", "a plain component variable")
    eq(get("default", "key")["value"], "k", "the required one, from --variable")


@case
def environment_overrides_the_default():
    eq(get("env", "message")["value"], "env-hi, world", "SPIN_VARIABLE_GREETING")
    eq(get("env", "key")["value"], SECRET, "SPIN_VARIABLE_API_KEY (upper-cased name)")
    eq(get("env", "where")["value"], "region=eu-west", "untouched default")


@case
def command_line_overrides_the_environment():
    eq(get("cli", "message")["value"], "cli-hi, world", "--variable beats SPIN_VARIABLE_")
    eq(get("cli", "where")["value"], "region=ap-south", "--variable beats the default")


@case
def async_component_awaits():
    eq(get("default", "message", "async"), {"value": "hello from v4", "exact_str": True},
       "await variables.get")


@case
def undefined_and_invalid_names():
    d = get("default", "nope")
    eq(d.get("error"), "Error_Undefined", f"undefined: {d}")
    check("nope" in d["message"] and "[component.sync.variables]" in d["message"], d["message"])
    d = get("default", "greeting")  # an app variable this component does not declare
    eq(d.get("error"), "Error_Undefined", f"app-only variable: {d}")
    for bad in ("Bad", "1x", "a-b", "a__b", "x_", "", "%C3%A9"):
        d = get("default", bad)
        eq(d.get("error"), "Error_InvalidName", f"{bad!r}: {d}")


@case
def hostile_payloads():
    for what, payload, status in (
            ("garbage", b"garbage", 3), ("empty", b"", 3), ("huge length", b"\xff\xff\xff\xff", 3),
            ("two blobs", b"\x01\x00\x00\x00a\x01\x00\x00\x00b", 3),
            ("NUL in the name", b"\x03\x00\x00\x00a\x00b", 3),
            ("a good one", b"\x07\x00\x00\x00message", 0)):
        r = drive.request(S["default"].port, "GET", f"/sync/raw?hex={payload.hex()}")
        eq(r.status, 200, what)
        eq(r.json()["status"], status, f"{what}: {r.json()}")


@case
def required_variable_missing_stops_up():
    port = drive.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPIN_VARIABLE_")}
    t0 = time.monotonic()
    p = subprocess.run([drive.PYEDGE, "up", "-f", APP, "--listen", f"127.0.0.1:{port}",
                        "--variable", "greeting=x"], capture_output=True, text=True, timeout=60,
                       env=env)
    eq(p.returncode, 1, f"exit status (stderr {p.stderr[-500:]!r})")
    check("variable 'api_key' is required" in p.stderr, f"stderr: {p.stderr!r}")
    check("--variable api_key=VALUE" in p.stderr and "SPIN_VARIABLE_API_KEY" in p.stderr,
          f"how to set it: {p.stderr!r}")
    check("ready" not in p.stderr and "serving" not in p.stderr,
          f"stopped before pre-initializing: {p.stderr!r}")
    check(time.monotonic() - t0 < 10, "took too long to fail")
    # pyedge build does not need the values
    b = subprocess.run([drive.PYEDGE, "build", "-f", APP], capture_output=True, text=True,
                       timeout=120, env=env)
    check(b.returncode == 0,
          f"pyedge build failed without variables: {b.stderr[-400:]!r}")


@case
def secret_never_in_output_or_logs():
    eq(get("env", "key")["value"], SECRET, "the app can read the secret")
    get("env", "nope")
    get("env", "Bad")
    time.sleep(0.2)
    with S["env"].lock:
        out = "\n".join(S["env"].stdout + S["env"].stderr)
    check(SECRET not in out, "the secret appeared in the server's output")
    for name in os.listdir(os.path.join(TMP, "logs")):
        with open(os.path.join(TMP, "logs", name), errors="replace") as f:
            check(SECRET not in f.read(), f"the secret appeared in {name}")
    with S["cli"].lock:
        out = "\n".join(S["cli"].stdout + S["cli"].stderr)
    check(SECRET not in out, "the secret given with --variable appeared in the output")


@case
def example_variables_app():
    s = start_env(EXAMPLE, ["--variable", "api_token=s3cret", "--log-dir", ""],
                  {"SPIN_VARIABLE_AUDIENCE": "pyedge"}, "example-variables")
    S["example"] = s
    r = drive.request(s.port, "GET", "/")
    eq(r.status, 200, "status")
    eq(r.json(), {"message": "Hello, pyedge!", "api_version": "v2", "token_length": 6}, "body")


if __name__ == "__main__":
    raise SystemExit(case.run(setup, teardown))
