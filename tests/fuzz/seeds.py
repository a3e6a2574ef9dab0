#!/usr/bin/env python3
"""tests/fuzz/seeds.py -- writes the seed corpora tests/fuzz/corpus/<name>/.

Most targets read a small binary format (see the header of each
tests/fuzz/fuzz_<name>.c); the seeds are built here so that they stay
readable and can be made again when a format changes. The snapshot_file
seed is written by the target itself (it needs the compiled test module):
build it first (make fuzz-build). The crypto seeds sign with a key made
once by `openssl genpkey` and kept in corpus/hostcall, so re-running this
changes nothing but what the code below changes.

Usage: tests/fuzz/seeds.py            (from anywhere)
"""
import base64
import os
import shutil
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def piece(b):
    """fz_piece / fz_cstr: a u8 length, or 255 and a u16 one."""
    if isinstance(b, str):
        b = b.encode()
    if len(b) < 255:
        return bytes([len(b)]) + b
    return b"\xff" + struct.pack("<H", len(b)) + b


def blob(b):
    if isinstance(b, str):
        b = b.encode()
    return struct.pack("<I", len(b)) + b


def u64(v):
    return blob(struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF))


# ---- http_request: mode byte, u32 read seed, the stream -----------------------

def http_request():
    def seed(name, stream, mode=0, split=7):
        write("http_request", name, bytes([mode]) + struct.pack("<I", split) + stream)

    seed("get", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    seed("post-length", b"POST /submit?x=1 HTTP/1.1\r\nHost: example.com\r\n"
         b"Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
    seed("post-chunked", b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"5;ext=1\r\nhello\r\n0a\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n")
    seed("pipeline", b"\r\nGET /a HTTP/1.1\r\nHost: a\r\n\r\nHEAD /b HTTP/1.1\r\nHost: a\r\n"
         b"Connection: close\r\n\r\nGET /c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", split=3)
    seed("expect-continue", b"PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
         b"Content-Length: 3\r\n\r\nabc")
    seed("absolute-form", b"GET http://h.example:8080/p/q?a=b#frag HTTP/1.1\r\nHost: h\r\n"
         b"X-Many:  spaced value \t\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n")
    seed("smuggle-cl-te", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    seed("small-limits", b"GET /" + b"a" * 80 + b" HTTP/1.1\r\nHost: a\r\n\r\n", mode=0x04 | 0x08)
    seed("chunked-decoder", b"5\r\nhello\r\n3;a=b;c\r\nxyz\r\n0\r\nT: v\r\n\r\nNEXT", mode=1)
    seed("chunked-big", b"fffffffffffffffff\r\n", mode=1 | 0x10)


# ---- abi_response: bit 0 clear: a response; set: a request to encode ----------

def abi_response():
    def response(status, headers, body):
        out = b"PES1" + struct.pack("<II", status, len(headers))
        for n, v in headers:
            out += blob(n) + blob(v)
        return out + blob(body)

    write("abi_response", "ok", b"\x00" + response(200, [("content-type", "text/plain")], b"hi"))
    write("abi_response", "many-headers", b"\x00" + response(
        302, [("location", "/x"), ("set-cookie", "a=1"), ("set-cookie", "b=2"), ("", "")], b""))
    write("abi_response", "status-999", b"\x00" + response(999, [], b"\x00\xff"))
    write("abi_response", "truncated", b"\x00" + response(200, [("a", "b")], b"body")[:-2])
    req = (b"\x01" + piece("GET") + piece("/a/b?c=d") + struct.pack("<H", 2) + piece("host") +
           piece("example.com") + piece("x-empty") + piece("") + b"the body")
    write("abi_response", "request", req)


# ---- toml, manifest, runtime_config: documents ------------------------------------

RC = """max_instance_memory = 1000000
[key_value_store.default]
type = "redis"
url = "redis://:secret@127.0.0.1:7000/2"
[key_value_store.files]
type = "spin"
path = "data/kv.db"
[key_value_store.mem]
type = "spin"
[sqlite_database.reports]
type = "spin"
path = "../r.db"
[sqlite_database.scratch]
type = "spin"
[variables_provider]
type = "vault"
"""


def documents():
    data = os.path.join(ROOT, "tests", "unit", "data")
    for f in sorted(os.listdir(os.path.join(data, "toml"))):
        shutil.copy(os.path.join(data, "toml", f), os.path.join(CORPUS, "toml", f))
    write("toml", "every-type", 'a = 1\nb = "x\\u00e9\\n"\nc = \'lit\'\n[t]\nd = [1, 2.5, true, -inf]\n'
          'e = { f = 1979-05-27T07:32:00.999999-07:00 }\ng = 07:32:00\nh = 1979-05-27\n'
          '[[arr]]\ni = 0x_ff\n[[arr]]\nj.k.l = """\nml \\\n  x"""\nm = 0o17\nn = 0b101\n')
    write("toml", "runtime-config", RC)
    for f in sorted(os.listdir(os.path.join(data, "manifest"))):
        shutil.copy(os.path.join(data, "manifest", f), os.path.join(CORPUS, "manifest", f))
    for ex in sorted(os.listdir(os.path.join(ROOT, "examples"))):
        p = os.path.join(ROOT, "examples", ex, "spin.toml")
        if os.path.exists(p):
            shutil.copy(p, os.path.join(CORPUS, "manifest", ex + ".toml"))
    write("runtime_config", "stores", b"\x00" + RC.encode())
    write("runtime_config", "absolute", b"\x01[sqlite_database.default]\ntype = \"spin\"\n"
          b"path = \"/var/db/app.db\"\n[key_value_store.r]\ntype = \"redis\"\n"
          b"url = \"redis://user:pw@[::1]:6379/15\"\n")
    write("runtime_config", "bad-type", b"\x02[key_value_store.x]\ntype = \"azure_cosmos\"\n")
    write("runtime_config", "llm", b"\x00[llm_compute]\ntype = \"remote_http\"\n"
          b"url = \"https://[::1]:8443/v1?x\"\nauth_token = \"t0k\"\napi_type = \"open_ai\"\n")
    write("runtime_config", "llm-spin", b"\x01[llm_compute]\ntype = \"spin\"\n")


# ---- outbound_url: count byte, rules, the URL ------------------------------------

def outbound_url():
    def seed(name, rules, url):
        write("outbound_url", name, bytes([len(rules)]) + b"".join(piece(r) for r in rules) +
              url.encode())

    seed("exact", ["https://api.example.com"], "https://API.example.com/v1?q=1#frag")
    seed("wildcards", ["http://*.example.com:8000..8010", "*://*:*"], "http://a.b.example.com:8005/")
    seed("cidr", ["http://10.0.0.0/8:80", "https://[fd00::]/8:*"], "https://[fd00::1]:443/x")
    seed("self", ["http://self", "https://self.alt"], "/api/items?x=1")
    seed("v4-literal", ["http://127.0.0.1:1", "postgres://db.internal"], "http://127.0.0.1:1/")
    seed("refused", ["insecure:allow-all", "http://a/path", "ftp://*"], "http://user@evil.com/")
    seed("mapped-v6", ["http://192.168.0.0/16"], "http://[::ffff:192.168.1.1]/")
    seed("chaining", ["http://*.spin.internal"], "http://users.spin.internal/x")


# ---- pg_conninfo: the connection string ---------------------------------------------

def pg_conninfo():
    seeds = {
        "pairs": "host=db.example port=5433 dbname=app user='a b' password='it\\'s' sslmode=disable",
        "url": "postgres://user:p%40ss@[::1]:6543/app?sslmode=require&application_name=x",
        "url-short": "postgresql://127.0.0.1",
        "socket": "host=/run/postgresql user=postgres",
        "list": "postgres://a,b/db",
        "refused": "host=h passfile=/etc/passwd sslkey=/k service=s",
        "spaces": "  host = h   port= 1  options='-c search_path=x' ",
    }
    for name, text in seeds.items():
        write("pg_conninfo", name, text)


# ---- mysql_url: the address ----------------------------------------------------------

def mysql_url():
    seeds = {
        "full": "mysql://app:p%40ss@127.0.0.1:3307/app%2Fdb",
        "short": "mysql://db.example",
        "v6": "mysql://root@[::1]/x",
        "socket": "mysql://root@/db",
        "list": "mysql://a,b/db",
        "params": "mysql://u@h/db?ssl-ca=/etc/key.pem",
        "tls": "mysql://u@h/db?ssl-mode=REQUIRED&sslmode=disabled",
    }
    for name, text in seeds.items():
        write("mysql_url", name, text)


# ---- router: count byte, (flags, route)*, paths -------------------------------------

def router():
    def seed(name, routes, paths):
        out = bytes([len(routes) - 1])
        for flags, r in routes:
            out += bytes([flags]) + piece(r)
        write("router", name, out + b"".join(piece(p) for p in paths))

    seed("spin-example", [(0, "/cart"), (4, "/users/:id/..."), (1, ""), (2, "/health"),
                          (8, "/..."), (2 | 12, "/")],
         ["/cart/", "/users/42/orders/7", "/health?x", "/", "/other/thing/"])
    seed("params", [(0, "/a/:x/b/:y"), (4, "/a/:x/*"), (8, "a/c/")],
         ["/a/1/b/2", "/a/1/c", "//a/c//", "/a//b/2"])
    seed("reserved", [(0, "/.well-known/spin/..."), (4, "/:p")],
         ["/.well-known/spin/health", "/.well-known/spin/info", "/.well-known/spin/x", "/q"])
    seed("duplicates", [(0, "/u/:id"), (4, "/u/:name"), (8, "/x/..."), (0, "/x/*")],
         ["/u/1", "/x", "/x/y/z"])
    seed("refused", [(0, "/a/:"), (4, "/b/*x")], ["/a"])


# ---- hostcall: mode byte, (selector, [name], payload)* ---------------------------------

SERVICES = ["kv.open", "kv.get", "kv.set", "kv.delete", "kv.exists", "kv.get_keys", "kv.close",
            "sqlite.open", "sqlite.execute", "sqlite.close", "vars.get", "crypto.verify",
            "crypto.sign", "http.send", "kv.nope", "nope.get",
            "redis.open", "redis.get", "redis.set", "redis.incr", "redis.del", "redis.sadd",
            "redis.smembers", "redis.srem", "redis.publish", "redis.execute", "redis.close",
            "llm.infer", "llm.embed", "mqtt.open", "mqtt.publish", "mqtt.close",
            "postgres.open", "postgres.query", "postgres.execute", "postgres.close",
            "mysql.open", "mysql.query", "mysql.execute", "mysql.close"]


def call(svc, *blobs, handle=0):
    """handle k > 0: the k-th handle this input opened replaces the first blob."""
    payload = b"".join(blobs)
    if svc in SERVICES:
        sel = SERVICES.index(svc) | (handle << 6)
        return bytes([sel]) + piece(payload)
    return bytes([63 | (handle << 6)]) + piece(svc) + piece(payload)


H = u64(0)  # placeholder handle, patched by the target


def hostcall():
    def seed(name, *calls, mode=0):
        write("hostcall", name, bytes([mode]) + b"".join(calls))

    seed("kv", call("kv.open", blob("default")), call("kv.set", H, blob("k"), blob("v"), handle=1),
         call("kv.get", H, blob("k"), handle=1), call("kv.exists", H, blob("nope"), handle=1),
         call("kv.get_keys", H, handle=1), call("kv.delete", H, blob("k"), handle=1),
         call("kv.close", H, handle=1), call("kv.get", H, blob("k"), handle=1))
    seed("kv-labels", call("kv.open", blob("mem")), call("kv.open", blob("other")),
         call("kv.open", blob("red")), call("kv.open", blob("nowhere")),
         call("kv.set", H, blob("\x00k\xe9"), blob(b"\x00" * 300), handle=2),
         call("kv.get", H, blob("\x00k\xe9"), handle=2), call("kv.set", H, blob("x"), blob("y"), handle=3))
    seed("kv-bare", call("kv.open", blob("default")), call("kv.get", H, blob("k")), mode=1)
    seed("sqlite", call("sqlite.open", blob("default")),
         call("sqlite.execute", H, blob("CREATE TABLE t (a INTEGER, b TEXT, c BLOB, d REAL)"), handle=1),
         call("sqlite.execute", H, blob("INSERT INTO t VALUES (?, ?, ?, ?)"), blob(b"i" + struct.pack("<q", -5)),
              blob("thello"), blob(b"b\x00\x01"), blob(b"r" + struct.pack("<d", 1.5)), handle=1),
         call("sqlite.execute", H, blob("SELECT *, NULL FROM t WHERE a < ?"), blob(b"i" + struct.pack("<q", 9)),
              handle=1),
         call("sqlite.execute", H, blob("BEGIN"), handle=1),
         call("sqlite.execute", H, blob("PRAGMA table_info(t)"), handle=1),
         call("sqlite.close", H, handle=1))
    seed("sqlite-mem", call("sqlite.open", blob("mem")),
         call("sqlite.execute", H, blob("CREATE VIRTUAL TABLE f USING fts5(x)"), handle=1),
         call("sqlite.execute", H, blob("INSERT INTO f VALUES ('a b c')"), handle=1),
         call("sqlite.execute", H, blob("SELECT snippet(f, 0, '[', ']', '', 3) FROM f WHERE f MATCH 'b'"),
              handle=1),
         call("sqlite.execute", H, blob("CREATE TEMP TABLE x (y)"), handle=1),
         call("sqlite.execute", H, blob("ATTACH 'x.db' AS y"), handle=1),
         call("sqlite.execute", H, blob("SELECT json_each.value FROM json_each('[1,2]')"), blob("n"), handle=1))
    # outbound Redis: [::1]:1 is allowed and closed, the others are refused or denied
    seed("redis", call("redis.open", blob("redis://[::1]:1")), call("redis.open", blob("redis://10.0.0.1:1")),
         call("redis.open", blob("redis://u:p@[::1]:1/3")), call("redis.open", blob("http://x")),
         call("redis.get", H, blob("k")), call("redis.set", H, blob("k"), blob(b"\xff")),
         call("redis.execute", H, blob("SET"), blob(b"bk"), blob(b"i" + struct.pack("<q", -1))),
         call("redis.execute", H, blob("subscribe"), blob(b"bc")), call("redis.del", H, blob("a"), blob("b")),
         call("redis.close", H))
    seed("postgres", call("postgres.open", blob("host=::1 port=1 user=u dbname=d")),
         call("postgres.open", blob("postgres://u@127.0.0.2:5432/d")),
         call("postgres.open", blob("host=/tmp passfile=/etc/passwd")),
         call("postgres.query", H, blob("SELECT $1, $2, $3"), blob(b"n"), blob(b"t\x17\x00\x00\x0042"),
              blob(b"b\x00\xff"), handle=1),
         call("postgres.execute", u64(7), blob("SELECT 1")),
         call("postgres.query", H, blob("SELECT 1"), blob(b"x"), handle=1),
         call("postgres.close", H, handle=1))
    seed("mysql", call("mysql.open", blob("mysql://u:p@[::1]:1/d")),
         call("mysql.open", blob("mysql://u@127.0.0.2/d")),
         call("mysql.open", blob("mysql://u@/d?x=1")),
         call("mysql.query", H, blob("SELECT ?, ?, ?"), blob(b"n"), blob(b"t\x08\x00\x00\x8042"),
              blob(b"b\x00\xff"), handle=1),
         call("mysql.execute", u64(7), blob("SELECT 1")),
         call("mysql.close", H, handle=1))
    seed("vars", call("vars.get", blob("greeting")), call("vars.get", blob("secret")),
         call("vars.get", blob("needed")), call("vars.get", blob("Bad__Name")), call("vars.get", blob("missing")))
    seed("http", call("http.send", blob("GET"), blob("http://127.0.0.1:1/x?y"), u64(100), u64(1),
                      blob("accept"), blob("*/*"), blob("")),
         call("http.send", blob("POST"), blob("https://example.com/"), u64(0), u64(0), blob("body")),
         call("http.send", blob("GET"), blob("/relative"), u64(0), u64(0), blob("")),
         call("http.send", blob("GET"), blob("http://users.spin.internal/"), u64(0), u64(0), blob("")),
         call("http.send", blob("G T"), blob("file:///etc/passwd"), u64(0), u64(0), blob("")),
         call("http.send", blob("GET"), blob("http://[::1]:1/"), u64(0), u64(2),
              blob("x"), blob("a\r\nb"), blob("host"), blob("h"), blob("")))
    answer = (b"PES1" + struct.pack("<II", 201, 2) + blob("Content-Type") + blob("text/plain") +
              blob("x-a") + blob("1") + blob("made"))
    seed("chain", call("http.send", blob("POST"), blob("http://app.spin.internal/x?y"), u64(0), u64(1),
                       blob("spin-full-url"), blob("forged"), blob(b"O" + answer)),
         call("http.send", blob("GET"), blob("http://bare.spin.internal/"), u64(0), u64(0), blob("T")),
         call("http.send", blob("GET"), blob("http://app.spin.internal/"), u64(0), u64(0), blob("F")),
         call("http.send", blob("GET"), blob("http://app.spin.internal/"), u64(0), u64(0), blob("Ojunk")))
    def f64(x):
        return blob(struct.pack("<d", x))

    p = [u64(100), f64(1.1), u64(64), f64(0.8), u64(40), f64(0.9)]
    params = b"".join(p)
    seed("llm", call("llm.infer", blob("m"), blob("tell me \"a\" joke\n\x00"), params),
         call("llm.infer", blob("gpt-4"), blob("p"), params),
         call("llm.infer", blob("m"), blob("p"), u64(1 << 32), *p[1:]),
         call("llm.infer", blob("m"), blob("p"), *p[:3], f64(float("nan")), *p[4:]),
         call("llm.embed", blob("emb"), blob("a"), blob("\u00fc"), blob("")),
         call("llm.embed", blob("emb")), call("llm.embed", blob(b"\xff")))
    seed("llm-bare", call("llm.infer", blob("m"), blob("p"), params), mode=1)
    seed("names", call("kv.nope", b""), call("nope.get", b""), call("no-dot", b""),
         call("kv." + "x" * 200, b""), call("", b""))
    seed("mqtt", call("mqtt.open", blob("mqtt://[::1]:1?client_id=f"), blob("u"), blob("p"), u64(30)),
         call("mqtt.open", blob("mqtt://127.0.0.1:1?client_id=f"), blob(""), blob(""), u64(0)),
         call("mqtt.open", blob("mqtts://[::1]:1?client_id=f"), blob(""), blob(""), u64(5)),
         call("mqtt.publish", u64(12345), blob("t/x"), blob("p"), u64(1)),
         call("mqtt.publish", H, blob("t/+"), blob(""), u64(3), handle=1),
         call("mqtt.close", u64(12345)), call("mqtt.close", b""))
    seed("reader", bytes([3, 0, 1, 2]) + b"".join([blob("a"), blob("text"), u64(7)]), mode=2)
    crypto_seeds(seed)


def crypto_seeds(seed):
    d = os.path.join(CORPUS, "hostcall")
    key_path = os.path.join(d, "..", "..", "rsa-test-key.pem")
    key_path = os.path.normpath(key_path)
    if not os.path.exists(key_path):
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-out", key_path], check=True, capture_output=True)
    pem = open(key_path, "rb").read()
    pub = subprocess.run(["openssl", "pkey", "-pubout", "-in", key_path], check=True,
                         capture_output=True).stdout
    msg = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0"
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_path], input=msg, check=True,
                         capture_output=True).stdout
    seed("crypto-rsa", call("crypto.verify", blob("RS256"), blob("pem"), blob(pub), blob(msg), blob(sig)),
         call("crypto.sign", blob("RS256"), blob("pem"), blob(pem), blob(msg)),
         call("crypto.verify", blob("ES256"), blob("pem"), blob(pub), blob(msg), blob(sig)))
    # a JWK-style EC key: P-256's generator as the point
    gx = bytes.fromhex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296")
    gy = bytes.fromhex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
    jwk = blob("EC") + blob("P-256") + blob(gx) + blob(gy)
    seed("crypto-jwk", call("crypto.verify", blob("ES256"), blob("jwk"), blob(jwk), blob(msg), blob(b"\x01" * 64)),
         call("crypto.verify", blob("EdDSA"), blob("jwk"), blob(blob("OKP") + blob("Ed25519") + blob(b"\x02" * 32)),
              blob(msg), blob(b"\x00" * 64)),
         call("crypto.verify", blob("RS256"), blob("jwk"), blob(blob("RSA") + blob(b"\xc1" * 256) + blob(b"\x01\x00\x01")),
              blob(msg), blob(b"\x00" * 256)))


# ---- wasi_paths: (op, fd, path a, path b, op bytes)* -----------------------------

OPS = ["path_open", "path_create_directory", "path_remove_directory", "path_unlink_file",
       "path_symlink", "path_link", "path_rename", "path_filestat_get",
       "path_filestat_set_times", "path_readlink", "fd_readdir", "fd_write", "fd_read", "fd_close",
       "fd_renumber", "fd_fdstat_set_rights", "fd_filestat_set_size", "fd_filestat_get", "fd_seek",
       "fd_pwrite", "fd_pread", "fd_allocate", "fd_filestat_set_times", "fd_prestat_dir_name"]
PIECES = ["a", "b", "dir", "file.txt", "..", ".", "", "up", "out", "abs", "root", "magic", "chain1",
          "chain2", "chain3", "ok", "back", "nested.txt", "new", "outside", "secret", "sub", "x",
          "data.txt", "esc", "sb", "ro", "proc", "etc", "passwd", "...", "l"]


def path(*names, lead=False, trail=False):
    c = (len(names) - 1) | (4 if lead else 0) | (8 if trail else 0)
    return bytes([c]) + bytes(PIECES.index(n) for n in names)


def raw(p):
    return bytes([0x80 | len(p)]) + p.encode()


SB, RO = 0, 1


def opened(k):  # the k-th descriptor this input opened
    return 2 | (k << 2)


def wasi(op, fd, a, b, *rest):
    return bytes([OPS.index(op), fd]) + a + b + bytes(rest)


ALL = 0  # rights selector: every right


def wasi_paths():
    def seed(name, *calls):
        write("wasi_paths", name, b"".join(calls))

    x = path("x")
    seed("open-read", wasi("path_open", SB, path("dir", "ok"), x, 1, 0, 0, ALL, ALL),
         wasi("fd_read", opened(0), x, x, 0x10, 0), wasi("fd_filestat_get", opened(0), x, x),
         wasi("fd_readdir", SB, x, x, 0x00, 0x10, 0))
    seed("escapes", wasi("path_open", SB, path("out", "secret"), x, 1, 0, 0, ALL, ALL),
         wasi("path_open", SB, path("up", "outside"), x, 1, 2, 0, ALL, ALL),
         wasi("path_open", SB, path("chain1"), x, 1, 0, 0, ALL, ALL),
         wasi("path_filestat_get", SB, path("abs"), x, 1),
         wasi("path_open", RO, path("esc", "secret"), x, 1, 0, 0, ALL, ALL),
         wasi("path_open", SB, raw("/etc/passwd"), x, 0, 0, 0, ALL, ALL),
         wasi("path_readlink", SB, path("dir", "chain3"), x, 0x00, 0x01))
    seed("mutate", wasi("path_create_directory", SB, path("new"), x),
         wasi("path_symlink", SB, path("new", "l"), x, 2),
         wasi("path_rename", SB, path("file.txt"), path("new", "b"), SB),
         wasi("path_link", SB, path("new", "b"), path("a"), 0, SB),
         wasi("path_unlink_file", SB, path("new", "b"), x),
         wasi("path_open", SB, path("a"), x, 0, 0x9, 1, ALL, ALL),
         wasi("fd_pwrite", opened(0), x, x, 0x20, 0, 0x10, 0),
         wasi("fd_filestat_set_size", opened(0), x, x, 0x00, 0x01),
         wasi("path_remove_directory", SB, path("new"), x),
         wasi("path_filestat_set_times", SB, path("up"), x, 0, 1, 0, 2, 0, 0x5))
    seed("read-only", wasi("path_create_directory", RO, path("new"), x),
         wasi("path_open", RO, path("data.txt"), x, 0, 0x8, 0, ALL, ALL),
         wasi("path_unlink_file", RO, path("sub", "x"), x),
         wasi("path_rename", SB, path("file.txt"), path("sub", "new"), RO))
    seed("renumber", wasi("path_open", SB, path("dir"), x, 0, 2, 0, 3, ALL),
         wasi("fd_renumber", opened(0), x, x, RO), wasi("fd_readdir", RO, x, x, 0x00, 0x04, 0),
         wasi("fd_close", SB, x, x), wasi("path_open", RO, path(".."), x, 0, 0, 0, ALL, ALL))


def snapshot_file():
    exe = os.path.join(ROOT, "build", "fuzz", "fuzz_snapshot_file")
    if not os.path.exists(exe):
        print("seeds.py: build/fuzz/fuzz_snapshot_file missing (make fuzz-build); snapshot_file skipped",
              file=sys.stderr)
        return
    d = os.path.join(CORPUS, "snapshot_file")
    os.makedirs(d, exist_ok=True)
    valid = os.path.join(d, "valid")
    # kept once made: the saved instance struct holds the saving process's
    # pointers (which loading ignores), so each run would write new bytes
    if not os.path.exists(valid):
        env = dict(os.environ, FUZZ_SNAPSHOT_SEED=valid)
        subprocess.run([exe, "-runs=0"], env=env, check=True, capture_output=True)
    # edits of the template: a page run past the memory, a changed count, truncations
    write("snapshot_file", "edit-header", b"\x01\x00\x00" + struct.pack("<HB", 8, 2))
    write("snapshot_file", "truncate", b"\x01" + struct.pack("<H", 100))
    write("snapshot_file", "clone", b"\x05")
    write("snapshot_file", "limit-clone", b"\x07")
    write("snapshot_file", "not-a-snapshot", b"\x00PESNAP1\x00\x03\x00\x00\x00")


def guest_request():
    # flags, path, then (name, value) pieces; 0xff repeats the last header 64 times
    def piece(b):
        return bytes([len(b)]) + b
    write("guest_request", "users", b"\x00" + piece(b"/users/7/posts/9?q=1") + piece(b"x-a")
          + piece(b"1") + piece(b"Spin-Full-Url") + piece(b"forged"))
    write("guest_request", "chain", b"\x03" + piece(b"/a/b") + piece(b"host") + piece(b"h")
          + piece(b"spin-path-info") + piece(b"x"))
    write("guest_request", "many", b"\x00" + piece(b"/files/a") + piece(b"x") + piece(b"y")
          + b"\xff" * 5)


# ---- files_tree: (op, op bytes)* -----------------------------------------------
# ops: 0 dir (parent, name), 1 file (parent, name), 2 link (parent, name,
# target kind[, made index]), 3 files entry (k, pattern or made index),
# 4 exclude (glob); names: static a b x index.html .spin data.txt; parent 0
# is the app, k the k-th directory made.

def files_tree():
    static_dir = bytes([0, 0, 0])            # static/
    index = bytes([1, 1, 4])                 # static/index.html
    write("files_tree", "static", static_dir + index + bytes([3, 0, 2]))
    write("files_tree", "loop", static_dir + index + bytes([2, 1, 1, 7, 2, 1, 2, 5, 3, 0, 2]))
    write("files_tree", "escape", bytes([2, 0, 3, 0, 2, 0, 1, 2, 3, 0, 10, 3, 0, 0]))
    write("files_tree", "private", bytes([2, 0, 1, 9, 3, 0, 9, 3, 0, 1]))
    write("files_tree", "placement", static_dir + index + bytes([3, 3, 2, 4, 0]))


# ---- redis_reply: op byte (get, smembers, incr, execute), the server's bytes -----

def redis_reply():
    def seed(name, op, reply):
        write("redis_reply", name, bytes([op]) + reply)

    seed("get", 0, b"$3\r\nabc\r\n")
    seed("get-nil", 0, b"$-1\r\n")
    seed("wrongtype", 0, b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
    seed("smembers", 1, b"*3\r\n$1\r\na\r\n$2\r\n\xff\xfe\r\n$0\r\n\r\n")
    seed("incr", 2, b":-9223372036854775808\r\n")
    seed("nested", 3, b"*4\r\n:1\r\n*2\r\n+OK\r\n$-1\r\n*-1\r\n$1\r\nx\r\n")
    seed("error-inside", 3, b"*2\r\n:1\r\n-ERR inside\r\n")
    seed("deep", 3, b"*1\r\n" * 12 + b":1\r\n")
    seed("huge-array", 3, b"*2000000000\r\n")
    seed("huge-bulk", 3, b"$99999999999\r\nab")
    seed("truncated", 3, b"*2\r\n$5\r\nab")
    seed("resp3-map", 3, b"%1\r\n+a\r\n+b\r\n")
    seed("two-replies", 3, b"+first\r\n+second\r\n")


# ---- mqtt_addr: the address ------------------------------------------------------------

def mqtt_addr():
    def seed(name, addr):
        write("mqtt_addr", name, addr)

    seed("plain", "mqtt://127.0.0.1:1883?client_id=client001")
    seed("name-default-port", "tcp://broker.example.com/?client_id=a%2Fb+c&clean_session=false")
    seed("v6-params", "mqtt://[::1]:8883?keep_alive_secs=30&client_id=%C3%A9&inflight_num=7")
    seed("refused-userinfo", "mqtt://user:pw@host:1883?client_id=x")
    seed("refused-unknown", "mqtt://h?client_id=x&bogus=1#frag")


def response():
    # mode, then (op, piece) calls; op 0 start, 1 write, 2 end, 3 a named op
    def start(status, *headers):
        return bytes([0]) + piece(u64(status) + u64(len(headers)) +
                                  b"".join(blob(n) + blob(v) for n, v in headers))

    def write_(data):
        return bytes([1]) + piece(blob(data))
    end = bytes([2]) + piece(b"")
    write("response", "whole", b"\x00" + start(200, (b"content-type", b"text/plain"))
          + write_(b"hello ") + write_(b"world") + end)
    write("response", "slow-gone", b"\x0c" + start(201) + write_(b"a" * 40) + write_(b"b") + end)
    write("response", "no-stream", b"\x01" + start(200) + write_(b"x") + end)
    write("response", "bad-head", b"\x00" + start(99) + start(200, (b"a b", b"v"))
          + start(200, (b"x", b"a\r\nb")) + write_(b"early") + end + end)
    write("response", "named", b"\x00" + bytes([3]) + piece(b"frob") + piece(b""))


def main():
    for t in ["http_request", "abi_response", "toml", "manifest", "runtime_config", "outbound_url",
              "router", "hostcall", "wasi_paths", "files_tree", "redis_reply", "mqtt_addr",
              "pg_conninfo", "mysql_url"]:
        os.makedirs(os.path.join(CORPUS, t), exist_ok=True)
    http_request()
    abi_response()
    documents()
    outbound_url()
    mqtt_addr()
    pg_conninfo()
    mysql_url()
    router()
    hostcall()
    redis_reply()
    wasi_paths()
    snapshot_file()
    guest_request()
    files_tree()
    response()


if __name__ == "__main__":
    main()
