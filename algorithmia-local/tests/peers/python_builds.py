"""The official Python client's build calls (PyPI `algorithmia` 2.0.x), unchanged, against
algorithmia-local with a real build: compile the template, poll get_build, read
get_build_logs, publish, call the published version.

Usage: python_builds.py BASE_URL API_KEY USER
Prints "python build scenarios passed: N" and exits 0, or fails with the first broken
expectation.
"""
import sys
import time

import Algorithmia

base, key, user = sys.argv[1:4]
client = Algorithmia.client(key, base)
passed = 0


def check(condition, what):
    global passed
    if not condition:
        raise AssertionError(what)
    passed += 1


algo = client.algo(user + "/PyBuilt")
algo.create(details={"label": "Built from Python"}, settings={"language": "python3"})
builds = algo.get_builds()
check(builds["results"] == [], "create starts no build: %r" % builds)

compiled = algo.compile()
build_id = compiled["build"]["build_id"]
commit = compiled["version_info"]["git_hash"]
check(len(commit) == 40, "compile names the commit: %r" % compiled)
check(compiled["build"]["status"] == "in-progress", "compile answers at once: %r" % compiled)

deadline = time.time() + 600
build = algo.get_build(build_id)
while build["status"] == "in-progress" and time.time() < deadline:
    time.sleep(0.25)
    build = algo.get_build(build_id)
check(build["status"] == "succeeded", "the build succeeded: %r" % build)
check(build["commit_sha"] == commit, "the build's commit: %r" % build)
logs = algo.get_build_logs(build_id)["logs"]
check("pip install" in logs and "Build succeeded" in logs, "build logs: %r" % logs)
check(algo.get_builds()["results"][0]["build_id"] == build_id, "get_builds lists it")

published = algo.publish(
    version_info={"version_type": "minor", "release_notes": "first"},
    settings={"algorithm_callability": "private"},
)
check(published["version_info"]["semantic_version"] == "0.1.0", "publish: %r" % published)
answer = client.algo(user + "/PyBuilt/0.1.0").pipe("world")
check(answer.result == "hello world", "the published version runs: %r" % answer.result)
answer = client.algo(user + "/PyBuilt/" + commit).pipe("hash")
check(answer.result == "hello hash", "the build runs by hash: %r" % answer.result)

print("python build scenarios passed: %d" % passed)
