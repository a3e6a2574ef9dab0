"""pyedge_http_hook: make http.client work in the sandbox when, and only
when, something imports it.

pyedge_entry imports this module at start-up. It adds a sys.meta_path
finder that wraps the loader of `http.client`: once that module has run,
pyedge_http_client.install() replaces its connection classes with ones
that go through the host (see pyedge_http_client). Doing it on import,
rather than importing http.client and the replacement up front, keeps apps
that never make HTTP requests from paying for them: http.client, email and
the replacement would add about 1 MiB to every snapshot.
"""

import sys

__all__ = ["install_hook"]


class _Loader:
    """Wraps http.client's loader: runs the module, then installs into it."""

    def __init__(self, real):
        self.real = real

    def create_module(self, spec):
        return self.real.create_module(spec)

    def exec_module(self, module):
        self.real.exec_module(module)
        import pyedge_http_client

        pyedge_http_client.install(module)


class _Hook:
    """A sys.meta_path finder that only wraps the loader of http.client."""

    def find_spec(self, name, path, target=None):
        if name != "http.client":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader)
                return spec
        return None


def install_hook():
    """Installs into http.client now if it is loaded, else when it is."""
    if "http.client" in sys.modules:
        import pyedge_http_client

        pyedge_http_client.install(sys.modules["http.client"])
    elif not any(isinstance(f, _Hook) for f in sys.meta_path):
        sys.meta_path.insert(0, _Hook())


if sys.platform == "wasi":
    install_hook()
