"""bench/serve/rss.py PID SECONDS -- sample the resident memory of PID and all
its descendants every 50 ms for SECONDS (or until PID exits). Prints
"max_sampled_rss_kib hwm_sum_kib": the largest sampled sum of VmRSS over the
process tree, and the sum of VmHWM (per-process peaks) at the last sample."""
import os
import sys
import time


def tree(root):
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/stat" % p) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(p))
            except OSError:
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def status(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


root, secs = int(sys.argv[1]), float(sys.argv[2])
end = time.time() + secs
best = hwm = 0
while time.time() < end and os.path.exists("/proc/%d" % root):
    pids = tree(root)
    best = max(best, sum(status(p, "VmRSS") for p in pids))
    hwm = max(hwm, sum(status(p, "VmHWM") for p in pids))
    time.sleep(0.05)
print(best, hwm)
