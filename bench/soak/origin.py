"""bench/soak/origin.py -- the soak's loopback HTTP origin (127.0.0.1 only).

A plain threaded socket server (not http.server: a reset must be a real
RST, which needs the raw socket). HTTP/1.1 GETs, keep-alive. By the first
path segment:

  /ok/<rid>      200 "origin ok <rid>" (the connection stays open)
  /stall/<rid>   never answers: waits until the caller closes the
                 connection, at most STALL_MAX seconds, then closes it
  /reset/<rid>   sends a head announcing 100000 bytes and 5000 of them,
                 then closes with SO_LINGER 0 (a TCP RST mid-response)
  anything else  404

counts() says how many requests of each kind arrived.
"""

import collections
import select
import socket
import struct
import threading
import time

STALL_MAX = 30.0
IO_TIMEOUT = 30.0


class Origin:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.closing = False
        self.lock = threading.Lock()
        self._counts = collections.Counter()
        self.thread = threading.Thread(target=self._accept, name="origin", daemon=True)
        self.thread.start()

    def counts(self):
        with self.lock:
            return dict(self._counts)

    def close(self):
        self.closing = True
        try:
            self.sock.close()
        except OSError:
            pass

    def _accept(self):
        while not self.closing:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(IO_TIMEOUT)
        buf = b""
        try:
            while not self.closing:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                parts = line.split(" ")
                target = parts[1] if len(parts) > 1 else "/"
                segs = target.split("?")[0].strip("/").split("/")
                kind, rid = segs[0], (segs[1] if len(segs) > 1 else "-")
                with self.lock:
                    self._counts[kind] += 1
                if kind == "ok":
                    body = f"origin ok {rid}".encode()
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                    continue
                if kind == "stall":
                    end = time.monotonic() + STALL_MAX
                    while not self.closing and time.monotonic() < end:
                        r, _, _ = select.select([conn], [], [], 0.5)
                        if r and not conn.recv(65536):
                            break  # the caller gave up
                    return
                if kind == "reset":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                 b"Content-Length: 100000\r\n\r\n" + b"r" * 5000)
                    time.sleep(0.05)  # let the head and part of the body arrive first
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return  # closed below: RST
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass
