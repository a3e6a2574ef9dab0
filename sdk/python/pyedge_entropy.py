"""pyedge_entropy: every request gets its own random numbers.

Each request runs in a copy of the snapshot taken after start-up, so
whatever start-up seeded from the system's entropy would otherwise repeat in
every request: random's global generator (one handler answered the same
random.random() to every request), a random.Random() the app made at
import, tempfile's name sequence. So:

  - during start-up, an import hook (watch_start_up) notes every
    random.Random that is seeded from entropy (seed None: random's global
    instance, Random() with no argument); one seeded with a value the app
    chose, Random(42), is left alone, because a fresh process would repeat
    its sequence too;
  - end_of_start_up removes the hook and returns the work to do per
    request, or None when start-up made nothing to reseed (an app that
    never imported random pays nothing, and one that imports it inside a
    request gets it seeded then, from the host);
  - per request, before the handler, each noted generator is seeded from
    os.urandom (the host's CSPRNG) and tempfile forgets its name sequence.
    About 5 us per generator (init_by_array of Mersenne Twister).

What is NOT reseeded, and why that is safe:
  - hash randomization (PYTHONHASHSEED): every dict and set built at
    start-up, module namespaces included, holds hashes made with the secret,
    so it cannot change under them. It is drawn once per build, from the
    host, and only string and bytes hashes depend on it: a client can learn
    bucket order at most, and collision attacks need the secret itself.
  - secrets, uuid.uuid4, os.urandom and random.SystemRandom read the host's
    CSPRNG on every call: they were never frozen.
  - a generator the app seeded with its own value: deterministic by request.
"""

import os
import sys
import weakref

_watched = []  # weakrefs to the generators seeded from entropy at start-up
_hook = None


class _RandomImportHook:
    """Finds nothing itself: when `random` is imported, it lets the normal
    finders load it and wraps Random.seed right after."""

    def find_spec(self, name, path=None, target=None):
        if name != "random":
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        real_exec = loader.exec_module

        def exec_module(module):
            real_exec(module)
            _wrap_seed(module)

        spec.loader = _Loader(loader, exec_module)
        return spec


class _Loader:
    def __init__(self, loader, exec_module):
        self._loader = loader
        self.exec_module = exec_module

    def __getattr__(self, name):
        return getattr(self._loader, name)


def _note(gen, a):
    ref = weakref.ref(gen)
    known = any(r() is gen for r in _watched)
    if a is None and not known:
        _watched.append(ref)
    elif a is not None and known:
        _watched[:] = [r for r in _watched if r() is not gen]


def _wrap_seed(random):
    original = random.Random.seed

    def seed(self, a=None, version=2):
        _note(self, a)
        return original(self, a, version)

    seed.__wrapped__ = original
    random.Random.seed = seed
    # the global instance was seeded from entropy when random was imported;
    # random.seed(42) at import is the app choosing its sequence
    inst = random._inst
    bound = inst.seed

    def module_seed(a=None, version=2):
        _note(inst, a)
        return bound(a, version)

    module_seed.__wrapped__ = bound
    random.seed = module_seed
    _note(inst, None)


def _unwrap_seed():
    random = sys.modules.get("random")
    if random is None:
        return
    seed = random.Random.__dict__.get("seed")
    original = getattr(seed, "__wrapped__", None)
    if original is not None:
        random.Random.seed = original
    bound = getattr(random.seed, "__wrapped__", None)
    if bound is not None:
        random.seed = bound


def watch_start_up():
    """Call before the app is imported."""
    global _hook
    if "random" in sys.modules:
        _wrap_seed(sys.modules["random"])
    else:
        _hook = _RandomImportHook()
        sys.meta_path.insert(0, _hook)


def end_of_start_up():
    """Call when start-up is over; returns the per-request reseed, or None."""
    global _hook
    if _hook is not None:
        try:
            sys.meta_path.remove(_hook)
        except ValueError:
            pass
        _hook = None
    _unwrap_seed()
    generators = [r for r in _watched if r() is not None]
    tempfile = sys.modules.get("tempfile")
    names = tempfile is not None and getattr(tempfile, "_name_sequence", None) is not None
    if not generators and not names:
        return None
    urandom = os.urandom
    from_bytes = int.from_bytes

    def reseed():
        for r in generators:
            g = r()
            if g is not None:
                g.seed(from_bytes(urandom(32)))
        if names:
            tempfile._name_sequence = None

    return reseed
