"""The official Python client (PyPI algorithmia 2.0.x) calling util/Echo from THREADS threads for
SECONDS seconds. Usage: python_algo.py URL KEY THREADS SECONDS. Prints JSON: calls, seconds,
p50_ms, p99_ms, errors."""
import json
import sys
import threading
import time

import Algorithmia

url, key, threads, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
payload = {"data": "x" * 1000}
client = Algorithmia.client(key, url)
latencies, errors = [], [0]
lock = threading.Lock()
deadline = time.perf_counter() + seconds


def worker():
    algo = client.algo("util/Echo")
    mine = []
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            algo.pipe(payload)
            mine.append(time.perf_counter() - started)
        except Exception:
            with lock:
                errors[0] += 1
    with lock:
        latencies.extend(mine)


started = time.perf_counter()
pool = [threading.Thread(target=worker) for _ in range(threads)]
for t in pool:
    t.start()
for t in pool:
    t.join()
elapsed = time.perf_counter() - started
latencies.sort()
pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0
print(json.dumps({"calls": len(latencies), "seconds": elapsed, "p50_ms": pick(0.5), "p99_ms": pick(0.99), "errors": errors[0]}))
