#!/usr/bin/env python3
"""tests/platform/test_geo.py -- `pyedge up --geoip-db FILE --trusted-proxy CIDR`.

MaxMind DB files are written here (mmdb_writer.py, from the format spec):
127.0.0.1 -> GB, 127.0.0.2 -> FR, ::1 -> NL, and records that must never
become a header (a CR LF inside the code, a number, no country, a code too
long). Requests come from different loopback source addresses (all of
127/8 is local), so one server sees many "clients". Checked:
  - the header is set from the peer address, and replaces one the client
    sent; an address not in the database gets none;
  - a client's own x-user-location is dropped unless it comes from a
    --trusted-proxy block (IPv4 and IPv6), which is kept as sent;
  - IPv6 peers, and IPv6 peers against an IPv4-only database;
  - without the options, the header passes through (pyedge is not the edge);
  - a missing, empty, corrupt or truncated database file, or a bad CIDR,
    stops `pyedge up` at once with a message naming it;
  - examples/geo-router greets by the database's answer.
"""

import http.client
import json
import os
import subprocess
import sys
import tempfile
import time

from edge_harness import APPS, ROOT, Cases, check, eq, start, stop_cleanly

import drive  # noqa: E402
import mmdb_writer as mw  # noqa: E402

case = Cases()
TMP = tempfile.mkdtemp(prefix="pyedge-geo-")
DB6 = os.path.join(TMP, "country6.mmdb")
DB4 = os.path.join(TMP, "country4.mmdb")
servers = {}


def make_dbs():
    mw.write(DB6, [
        ("127.0.0.1/32", mw.country("GB")),
        ("127.0.0.2/32", mw.country("FR")),
        ("127.0.0.4/32", mw.country("G\r\nB")),
        ("127.0.0.5/32", {"country": {"iso_code": mw.U32(826)}}),
        ("127.0.0.6/32", {"city": {"names": {"en": "Nowhere"}}}),
        ("127.0.0.7/32", mw.country("GBRGBRGBRGBR")),
        ("127.0.0.8/32", mw.country("")),
        ("127.0.2.0/24", mw.country("SE")),
        ("::1/128", mw.country("NL")),
    ])
    mw.write(DB4, [("127.0.0.1/32", mw.country("DE"))], ip_version=4)


def get(server, src="127.0.0.1", headers=None, host="127.0.0.1", path="/"):
    """(status, JSON body) for GET path from source address src."""
    conn = http.client.HTTPConnection(host, server.port, timeout=20,
                                      source_address=(src, 0))
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", "geo.test")
        for name, value in headers or []:
            conn.putheader(name, value)
        conn.endheaders()
        r = conn.getresponse()
        body = r.read()
    finally:
        conn.close()
    eq(r.status, 200, f"status (body {body[:200]!r})")
    return json.loads(body) if r.getheader("content-type") == "application/json" else body


def location(server, src="127.0.0.1", headers=None, host="127.0.0.1"):
    return get(server, src, headers, host)["location"]


def start_v6(app, args):
    """A server on [::1]; drive.Server only does 127.0.0.1, so pass --listen
    again (the last one wins) and take the port from the ready line."""
    port = drive.free_port()
    s = drive.Server(app, [*args, "--listen", f"[::1]:{port}"], name=os.path.basename(app) + "-v6")
    s.start()
    s.port = s.ready_port
    return s


ECHO = os.path.join(APPS, "geo-echo")


def setup():
    make_dbs()
    servers["db"] = start(ECHO, ["--quiet", "--geoip-db", DB6, "--trusted-proxy", "127.0.0.9/32",
                                 "--trusted-proxy", "127.0.1.0/24",
                                 "--trusted-proxy", "fd00::/8"], name="geo-db")
    servers["none"] = start(ECHO, ["--quiet"], name="geo-none")
    servers["proxy-only"] = start(ECHO, ["--quiet", "--trusted-proxy", "10.0.0.0/8"],
                                  name="geo-proxy-only")
    servers["v6"] = start_v6(ECHO, ["--quiet", "--geoip-db", DB6, "--trusted-proxy", "fd00::/8"])
    servers["v6-v4db"] = start_v6(ECHO, ["--quiet", "--geoip-db", DB4])
    servers["v6-trusted"] = start_v6(ECHO, ["--quiet", "--geoip-db", DB6, "--trusted-proxy",
                                            "::1/128"])


@case
def country_from_the_database():
    s = servers["db"]
    eq(location(s, "127.0.0.1"), "GB", "127.0.0.1")
    eq(location(s, "127.0.0.2"), "FR", "127.0.0.2")
    eq(location(s, "127.0.2.77"), "SE", "127.0.2.77 in 127.0.2.0/24")
    eq(get(s, "127.0.0.2")["client"].split(":")[0], "127.0.0.2", "the app saw that client")


@case
def client_header_replaced_or_dropped():
    s = servers["db"]
    eq(location(s, "127.0.0.1", [("x-user-location", "US")]), "GB", "replaced by the lookup")
    eq(location(s, "127.0.0.3", [("x-user-location", "US")]), None, "not in the db: dropped")
    eq(location(s, "127.0.0.3", [("X-User-Location", "US")]), None, "any case: dropped")
    eq(location(s, "127.0.0.3", [("x-user-location", "US"), ("x-user-location", "CA")]), None,
       "repeated: all dropped")
    eq(location(s, "127.0.0.3"), None, "no header")


@case
def hostile_database_records_are_not_headers():
    s = servers["db"]
    for src, what in (("127.0.0.4", "CR LF in the code"), ("127.0.0.5", "a number"),
                      ("127.0.0.6", "no country"), ("127.0.0.7", "a 12-letter code"),
                      ("127.0.0.8", "an empty code")):
        eq(location(s, src, [("x-user-location", "US")]), None, what)


@case
def trusted_proxy_keeps_its_header():
    s = servers["db"]
    eq(location(s, "127.0.0.9", [("x-user-location", "DE")]), "DE", "127.0.0.9/32")
    eq(location(s, "127.0.1.200", [("x-user-location", "JP")]), "JP", "127.0.1.0/24")
    eq(location(s, "127.0.0.9"), None, "a trusted proxy without the header: no lookup")
    eq(location(s, "127.0.2.9", [("x-user-location", "JP")]), "SE", "outside the blocks")


@case
def ipv6_peers():
    eq(location(servers["v6"], "::1", host="::1"), "NL", "::1 in the db")
    eq(location(servers["v6"], "::1", [("x-user-location", "US")], host="::1"), "NL",
       "::1, client header replaced")
    eq(location(servers["v6-v4db"], "::1", [("x-user-location", "US")], host="::1"), None,
       "an IPv6 peer and an IPv4-only db")
    eq(location(servers["v6-trusted"], "::1", [("x-user-location", "BR")], host="::1"), "BR",
       "::1/128 trusted")


@case
def no_options_header_passes_through():
    s = servers["none"]
    eq(location(s, "127.0.0.1"), None, "no db, no header")
    eq(location(s, "127.0.0.1", [("x-user-location", "FR")]), "FR", "the client's, untouched")


@case
def proxies_without_database():
    s = servers["proxy-only"]
    eq(location(s, "127.0.0.1", [("x-user-location", "FR")]), None, "untrusted: dropped")
    eq(location(s, "127.0.0.1"), None, "nothing set")


def up_fails(args, want, what):
    """`pyedge up` with args exits non-zero, quickly, saying want."""
    cmd = [drive.PYEDGE, "up", "-f", ECHO, "--listen", f"127.0.0.1:{drive.free_port()}", *args]
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    took = time.monotonic() - t0
    err = p.stderr.decode("utf-8", "replace")
    check(p.returncode != 0, f"{what}: pyedge up exited 0: {err[-300:]}")
    check(want in err, f"{what}: stderr lacks {want!r}: {err[-400:]!r}")
    check("ready" not in err and "serving" not in err, f"{what}: it started first: {err[-300:]}")
    check(took < 10, f"{what}: took {took:.1f} s")


@case
def bad_database_files_stop_up():
    missing = os.path.join(TMP, "missing.mmdb")
    up_fails(["--geoip-db", missing], f"--geoip-db {missing}: No such file or directory",
             "missing")
    empty = os.path.join(TMP, "empty.mmdb")
    open(empty, "wb").close()
    up_fails(["--geoip-db", empty], "not a usable MaxMind DB file", "empty")
    junk = os.path.join(TMP, "junk.mmdb")
    with open(junk, "wb") as f:
        f.write(os.urandom(8192))
    up_fails(["--geoip-db", junk], "not a usable MaxMind DB file", "random bytes")
    good = open(DB6, "rb").read()
    cut = os.path.join(TMP, "cut.mmdb")
    with open(cut, "wb") as f:
        f.write(good[:good.index(b"\xab\xcd\xefMaxMind.com") + 20])
    up_fails(["--geoip-db", cut], "not a usable MaxMind DB file", "truncated metadata")
    up_fails(["--geoip-db", TMP], "not a regular file", "a directory")


@case
def bad_trusted_proxy_stops_up():
    for bad in ("10.0.0.0/33", "abc", "10.0.0/8", "::/129", "10.0.0.0/", "example.com",
                "10.0.0.1/8/8", ""):
        up_fails(["--trusted-proxy", "127.0.0.1/32", "--trusted-proxy", bad],
                 f"--trusted-proxy '{bad}' is not an IP address or CIDR block", repr(bad))


@case
def geo_router_example():
    db = os.path.join(TMP, "router.mmdb")
    mw.write(db, [("127.0.0.1/32", mw.country("GB")), ("127.0.0.2/32", mw.country("FR"))])
    s = start(os.path.join(ROOT, "examples", "geo-router"), ["--quiet", "--geoip-db", db],
              name="geo-router")
    try:
        want = {"GB": "Hello from London! Fancy a cuppa?\n",
                "FR": "Bonjour de Paris ! Ça va ?\n",
                "US": "Hello from New York! Have a nice day.\n"}
        for src, headers, region in (("127.0.0.1", [], "GB"), ("127.0.0.2", [], "FR"),
                                     ("127.0.0.3", [], "US"),
                                     ("127.0.0.1", [("x-user-location", "FR")], "GB"),
                                     ("127.0.0.3", [("x-user-location", "FR")], "US")):
            body = get(s, src, headers)
            eq(body.decode("utf-8"), want[region], f"from {src} with {headers}")
    finally:
        why = stop_cleanly(s)
    check(why is None, why or "")


def teardown():
    why = stop_cleanly(*servers.values())
    for name in os.listdir(TMP):
        p = os.path.join(TMP, name)
        if os.path.isfile(p):
            os.unlink(p)
    os.rmdir(TMP)
    return why


if __name__ == "__main__":
    sys.exit(case.run(setup, teardown))
