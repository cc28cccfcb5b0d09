"""The per-core limit of the hosted benchmark: the ADK's own apply path (the algorithm, then the
response formatted as JSON) called in a loop inside one Python process, with no server.
Usage: adk_loop.py SECONDS [MODULE [INPUT_JSON]] (default: adk_identity with the 1 KiB input).
Prints JSON: calls, seconds."""
import importlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adk import ADK  # noqa: E402
from adk.io import format_data  # noqa: E402

seconds = float(sys.argv[1])
module = sys.argv[2] if len(sys.argv) > 2 else "adk_identity"
data = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {"data": "x" * 1000}
algorithm = ADK(importlib.import_module(module).apply)
request = json.dumps({"content_type": "json", "data": data})
calls = 0
started = time.perf_counter()
deadline = started + seconds
while time.perf_counter() < deadline:
    # What the ADK does per request: parse the line, apply, format the response line.
    algorithm.apply(format_data(json.loads(request)))
    calls += 1
print(json.dumps({"calls": calls, "seconds": time.perf_counter() - started}))
