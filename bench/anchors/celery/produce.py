"""Closed-loop Celery load: keeps WINDOW tasks outstanding for DURATION seconds, then waits
for the rest; prints one JSON line with what bench/anchors/celery-anchor.ts reads."""
import collections
import json
import sys
import time

from tasks import noop

duration, window = float(sys.argv[1]), int(sys.argv[2])

# Waits for the worker to come up and warms both sides.
for result in [noop.delay(-1) for _ in range(20)]:
    result.get(timeout=120)

pending = collections.deque()
sent = completed = 0
start = time.perf_counter()
stop_at = start + duration
while time.perf_counter() < stop_at:
    while len(pending) < window:
        pending.append(noop.delay(sent))
        sent += 1
    pending.popleft().get(timeout=120)
    completed += 1
load_s = time.perf_counter() - start
while pending:
    pending.popleft().get(timeout=120)
    completed += 1
total_s = time.perf_counter() - start
print(json.dumps({"sent": sent, "completed": completed, "loadS": load_s, "totalS": total_s}))
