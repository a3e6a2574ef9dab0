#!/usr/bin/env python3
"""tests/style/layers.py -- includes follow the layer order of src/.

A folder may include headers from its own folder and from folders on a
lower layer, never from a higher one, nor from a different folder on its
own layer (peers stay independent). ARCHITECTURE.md draws the same order:

    cli
    serve
    aot  build  http  router  services
    manifest
    hostapi
    wasi
    runtime
    util

Each include that breaks it prints one line naming the file; the count line
("N passed, M failed", one check per source file) ends the output.
Usage: tests/style/layers.py [-k NAME]... [--list]   (-k: tests/lib/selection.py)
"""
import os
import re
import sys

LAYERS = [
    ["util"],
    ["runtime"],
    ["wasi"],
    ["hostapi"],
    ["manifest"],
    ["aot", "build", "http", "router", "services"],
    ["serve"],
    ["cli"],
]
RANK = {folder: i for i, layer in enumerate(LAYERS) for folder in layer}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(path):
    """'src/services/kv/svc_kv.c' -> 'services'."""
    return path.split("/")[1]


def check(path, root):
    """The one-line complaints about path's includes."""
    mine = folder_of(path)
    bad = []
    text = open(os.path.join(root, path), encoding="utf-8").read()
    for m in INCLUDE.finditer(text):
        name = m.group(1)
        line = text.count("\n", 0, m.start()) + 1
        if "/" not in name:
            here = os.path.join(root, os.path.dirname(path), name)
            if not os.path.exists(here):
                bad.append(f"{path}:{line}: \"{name}\" is not in this folder: "
                           f"name another folder's header with its folder (\"util/{name}\")")
            continue
        theirs = name.split("/")[0]
        if theirs not in RANK:
            bad.append(f"{path}:{line}: \"{name}\": '{theirs}' is no folder of src/ "
                       f"(tests/style/layers.py lists them)")
        elif theirs != mine and RANK[theirs] >= RANK[mine]:
            how = "a peer on the same layer" if RANK[theirs] == RANK[mine] else "a higher layer"
            bad.append(f"{path}:{line}: {mine} includes \"{name}\" from {how} "
                       f"(order in tests/style/layers.py)")
    return bad


def self_test():
    """The check itself: a tree with one include of each wrong kind."""
    import tempfile
    with tempfile.TemporaryDirectory() as root:
        files = {
            "src/util/u.c": '#include "serve/pe_serve.h"\n',       # up the layers
            "src/http/h.c": '#include "services/pe_services.h"\n',  # a peer
            "src/wasi/w.c": '#include "pe_util.h"\n',               # another folder, bare
            "src/serve/s.c": '#include "util/pe_util.h"\n#include "s.h"\n',  # fine
            "src/serve/s.h": "",
        }
        for path, text in files.items():
            os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
            open(os.path.join(root, path), "w").write(text)
        got = {p: check(p, root) for p in files}
    ok = (len(got["src/util/u.c"]) == 1 and "from a higher layer" in got["src/util/u.c"][0]
          and len(got["src/http/h.c"]) == 1 and "a peer" in got["src/http/h.c"][0]
          and len(got["src/wasi/w.c"]) == 1 and "not in this folder" in got["src/wasi/w.c"][0]
          and not got["src/serve/s.c"])
    print(("PASS" if ok else "FAIL") + f" layers_self_test{'' if ok else ': ' + repr(got)}")
    return ok


def main():
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
    sys.path.insert(0, os.path.join(root, "tests", "lib"))
    import selection  # tests/lib: -k as every suite takes it

    args = sys.argv[1:]
    wants = [args[i + 1] for i in range(len(args) - 1) if args[i] == "-k"]
    files = []
    for d, _, names in os.walk(os.path.join(root, "src")):
        for n in names:
            if n.endswith((".c", ".h")):
                files.append(os.path.relpath(os.path.join(d, n), root))
    names = ["layers_self_test"] + sorted(files)
    if "--list" in args:
        print("\n".join(names))
        return 0
    chosen = selection.select(names, wants)
    if not chosen:
        print(selection.no_match_line(wants, len(names)))
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    for path in chosen:
        if path == "layers_self_test":
            ok = self_test()
        elif path.count("/") < 2:
            print(f"FAIL {path}: a source file belongs in a folder of src/")
            ok = False
        elif folder_of(path) not in RANK:
            print(f"FAIL {path}: folder '{folder_of(path)}' has no layer in tests/style/layers.py")
            ok = False
        else:
            bad = check(path, root)
            for b in bad:
                print(f"FAIL {b}")
            ok = not bad
        passed += ok
        failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
