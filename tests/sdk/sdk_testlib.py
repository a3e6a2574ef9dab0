"""Helpers for the SDK tests (not a test module itself).

load_entry(app) imports pyedge_entry afresh with PYEDGE_APP=app, exactly as
pyedge_init("pyedge_entry") does in the host; call() sends one request
through pyedge_call and decodes the response; captured_stderr() collects
what the SDK prints.
"""
import contextlib
import importlib
import io
import os
import sys

IN_SANDBOX = sys.platform == "wasi"


def _forget(prefixes):
    for name in list(sys.modules):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            del sys.modules[name]


def load_entry(app=None):
    """A fresh pyedge_entry module for app (None: PYEDGE_APP unset); the app
    modules are re-imported too, so their globals start over."""
    if app is None:
        os.environ.pop("PYEDGE_APP", None)
    else:
        os.environ["PYEDGE_APP"] = app
    _forget(["pyedge_entry", "apps", "app"])
    return importlib.import_module("pyedge_entry")


_codec = None


def entry():
    """A pyedge_entry module for the buffer functions (loaded once)."""
    global _codec
    if _codec is None:
        _codec = load_entry("apps.func_sync")
    return _codec


@contextlib.contextmanager
def captured_stderr():
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        yield buf


def request(method="GET", uri="/", headers=(), body=b""):
    return entry().encode_request(method, uri, list(headers), body)


def call(mod, method="GET", uri="/", headers=(), body=b"", raw=None):
    """(status, headers dict, body, stderr text) from mod.pyedge_call.
    Checks the response buffer is well formed, with one content-length."""
    data = raw if raw is not None else mod.encode_request(method, uri, list(headers), body)
    with captured_stderr() as err:
        out = mod.pyedge_call(data)
    assert isinstance(out, bytes), type(out)
    status, pairs, rbody = mod.decode_response(out)
    names = [n for n, _ in pairs]
    assert names.count("content-length") == 1, pairs
    return status, dict(pairs), rbody, err.getvalue()
