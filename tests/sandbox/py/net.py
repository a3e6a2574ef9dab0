"""No network: socket creation and connection fail cleanly (no sockets in
WASI preview1 as pyedge offers it). Prints "label: RESULT" per attempt."""
import errno


def show(label, fn):
    try:
        fn()
        out = "SUCCESS"
    except OSError as e:
        out = f"{type(e).__name__} {errno.errorcode.get(e.errno, e.errno)}"
    except Exception as e:  # noqa: BLE001
        out = type(e).__name__
    print(f"{label}: {out}")


show("import socket", lambda: __import__("socket"))


def mk():
    import socket
    socket.socket()


def connect():
    import socket
    socket.create_connection(("127.0.0.1", 22), timeout=1)


def fromfd():
    import socket
    socket.socket(fileno=0)


def urlopen():
    import urllib.request
    urllib.request.urlopen("http://127.0.0.1:1/", timeout=1)


show("socket.socket()", mk)
show("create_connection", connect)
show("socket(fileno=0)", fromfd)
show("urlopen", urlopen)
