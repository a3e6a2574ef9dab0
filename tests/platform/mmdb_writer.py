"""mmdb_writer: the smallest MaxMind DB (format 2.0) writer the geo tests
need, written from the public format specification.

A database file is:
  search tree    node_count nodes; each node is two records (the 0 and the 1
                 branch for the next address bit) of record_size bits, here
                 24 (3 bytes each, big-endian). A record < node_count is the
                 next node, == node_count means "no data", > node_count points
                 into the data section at (record - node_count - 16).
  16 zero bytes  the data section separator
  data section   values in the format's self-describing encoding
  metadata       b"\\xab\\xcd\\xefMaxMind.com", then one map (node_count,
                 record_size, ip_version, database_type, languages,
                 binary_format_major/minor_version, build_epoch, description)

Encoding of one value: a control byte (type in the top 3 bits, size in the
low 5; type 0 means "extended": the next byte is the type minus 7), then
size bytes when the size is over 28 (29: one more byte + 29, 30: two bytes
+ 285, 31: three bytes + 65821), then the payload. Types used here: 2 UTF-8
string, 4 bytes, 5 uint16, 6 uint32, 7 map (size = pairs), 9 uint64,
11 array, 14 boolean (the size is the value).

write(path, networks, ip_version=6) takes [(cidr_text, value)] where value
is a dict (or any encodable value); IPv4 networks in an IPv6 tree go under
::/96, where readers look IPv4 addresses up. A network inside one already
inserted splits it (the rest keeps the old value).
"""

import ipaddress
import time


class U16(int):
    pass


class U32(int):
    pass


class U64(int):
    pass


def _control(type_, size):
    if size < 29:
        first, extra = size, b""
    elif size < 29 + 256:
        first, extra = 29, bytes([size - 29])
    elif size < 285 + 65536:
        first, extra = 30, (size - 285).to_bytes(2, "big")
    else:
        first, extra = 31, (size - 65821).to_bytes(3, "big")
    if type_ <= 7:
        return bytes([(type_ << 5) | first]) + extra
    return bytes([first, type_ - 7]) + extra


def _uint(type_, n, width):
    if n < 0 or n >= 1 << (8 * width):
        raise ValueError(f"{n} does not fit in {width} bytes")
    payload = n.to_bytes(width, "big").lstrip(b"\x00")
    return _control(type_, len(payload)) + payload


def encode(v):
    """One value in the data-section encoding."""
    if isinstance(v, bool):
        return _control(14, int(v))
    if isinstance(v, U16):
        return _uint(5, v, 2)
    if isinstance(v, U64):
        return _uint(9, v, 8)
    if isinstance(v, int):
        return _uint(6, v, 4)
    if isinstance(v, str):
        b = v.encode("utf-8")
        return _control(2, len(b)) + b
    if isinstance(v, bytes):
        return _control(4, len(v)) + v
    if isinstance(v, dict):
        return _control(7, len(v)) + b"".join(encode(k) + encode(x) for k, x in v.items())
    if isinstance(v, list):
        return _control(11, len(v)) + b"".join(encode(x) for x in v)
    raise TypeError(f"cannot encode {type(v).__name__}")


class _Node:
    __slots__ = ("rec", "index")

    def __init__(self, left=None, right=None):
        self.rec = [left, right]  # each: _Node, None (no data), or ("data", value_id)


def _bits(net, ip_version):
    if net.version == 4 and ip_version == 6:
        addr, plen = int(net.network_address), net.prefixlen + 96
        total = 128
    else:
        if net.version == 6 and ip_version == 4:
            raise ValueError(f"{net}: an IPv6 network in an IPv4 database")
        addr, plen, total = int(net.network_address), net.prefixlen, net.max_prefixlen
    return [(addr >> (total - 1 - i)) & 1 for i in range(plen)]


def write(path, networks, ip_version=6, database_type="pyedge-test-Country"):
    values, value_ids = [], {}
    root = _Node()
    for cidr, value in networks:
        key = repr(value)
        if key not in value_ids:
            value_ids[key] = len(values)
            values.append(value)
        leaf = ("data", value_ids[key])
        bits = _bits(ipaddress.ip_network(cidr, strict=False), ip_version)
        if not bits:
            raise ValueError("a /0 network is not supported")
        node = root
        for i, b in enumerate(bits):
            if i == len(bits) - 1:
                node.rec[b] = leaf
                break
            nxt = node.rec[b]
            if not isinstance(nxt, _Node):  # empty, or data to split
                nxt = _Node(nxt, nxt)
                node.rec[b] = nxt
            node = nxt
    # number the nodes breadth-first, root 0
    order, queue = [], [root]
    while queue:
        n = queue.pop(0)
        n.index = len(order)
        order.append(n)
        queue += [r for r in n.rec if isinstance(r, _Node)]
    node_count = len(order)
    data, offsets = bytearray(), []
    for v in values:
        offsets.append(len(data))
        data += encode(v)

    def record(r):
        if r is None:
            return node_count
        if isinstance(r, _Node):
            return r.index
        return node_count + 16 + offsets[r[1]]

    tree = bytearray()
    for n in order:
        for r in n.rec:
            v = record(r)
            if v >= 1 << 24:
                raise ValueError("database too large for 24-bit records")
            tree += v.to_bytes(3, "big")
    metadata = {
        "binary_format_major_version": U16(2),
        "binary_format_minor_version": U16(0),
        "build_epoch": U64(int(time.time())),
        "database_type": database_type,
        "description": {"en": "pyedge test database"},
        "ip_version": U16(ip_version),
        "languages": ["en"],
        "node_count": U32(node_count),
        "record_size": U16(24),
    }
    blob = bytes(tree) + b"\x00" * 16 + bytes(data) + b"\xab\xcd\xefMaxMind.com" + encode(metadata)
    with open(path, "wb") as f:
        f.write(blob)
    return blob


def country(code):
    """The record shape GeoIP2/GeoLite2 Country databases use."""
    return {"country": {"iso_code": code, "names": {"en": f"country {code}"}}}

