"""bench/serve/poll.py URL T0_NS [TIMEOUT_S] -- poll URL until it answers 200;
print the milliseconds since T0_NS (a time.time_ns() taken just before the
server was launched). Exit 1 if it never answers within TIMEOUT_S."""
import sys
import time
import urllib.request

url, t0 = sys.argv[1], int(sys.argv[2])
limit = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
while (time.time_ns() - t0) / 1e9 < limit:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            if r.status == 200:
                r.read()
                print("%.1f" % ((time.time_ns() - t0) / 1e6))
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.002)
sys.exit(1)
