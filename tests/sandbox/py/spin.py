"""Never finishes by itself (run under --timeout 1):
loop (while True), sleep (time.sleep(100)), stdin (sys.stdin.read() on a pipe
that stays open), select (select.select on stdin).
"""
import sys
import time

case = sys.argv[1]
if case == "loop":
    while True:
        pass
elif case == "sleep":
    time.sleep(100)
elif case == "stdin":
    sys.stdin.read()
elif case == "select":
    import select
    select.select([sys.stdin], [], [])
print("returned")
