"""The official Python client's management calls (PyPI `algorithmia` 2.0.x), unchanged, against
algorithmia-local: the ones that need no real build.

Usage: python_management.py BASE_URL API_KEY USER
Prints "python management scenarios passed: N" and exits 0, or fails with the first broken
expectation.
"""
import json
import os
import sys
import tempfile

import Algorithmia
from Algorithmia.errors import AlgorithmException

base, key, user = sys.argv[1:4]
client = Algorithmia.client(key, base)
passed = 0
SECRET = "py-s3cret-value-never-answered"


def check(condition, what):
    global passed
    if not condition:
        raise AssertionError(what)
    passed += 1


def raises(kind, call, what):
    try:
        call()
    except kind as e:
        check(True, what)
        return e
    raise AssertionError(what + ": no " + kind.__name__ + " raised")


# Environments: the language, its environment, the template.
languages = client.get_supported_languages()
check(languages[0]["name"] == "python3", "python3 language: %r" % languages)
environments = client.get_environment("python3")["environments"]
env_id = environments[0]["id"]
check(len(env_id) == 36, "environment id: %r" % env_id)
with tempfile.TemporaryDirectory() as dest:
    client.get_template(environments[0]["environment_specification_id"], dest)
    check(os.path.exists(os.path.join(dest, "src", "hello.py")), "template source")
    with open(os.path.join(dest, "algorithmia.conf")) as f:
        check(json.load(f)["username"] == user, "template owner substituted")

# Create, exists, info, update.
algo = client.algo(user + "/PyManaged")
check(not algo.exists(), "absent before create")
created = algo.create(
    details={"label": "Managed from Python"},
    settings={
        "source_visibility": "closed",
        "license": "apl",
        "network_access": "full",
        "pipeline_enabled": False,
        "algorithm_environment": env_id,
    },
)
check(created["name"] == "PyManaged", "create answer: %r" % created)
check(created["settings"]["algorithm_environment"] == env_id, "environment kept")
check(algo.exists(), "exists after create")
# The client raises a plain Exception for a failed POST.
raises(Exception, lambda: algo.create(details={"label": "again"}, settings={}), "duplicate create")
updated = algo.update(details={"label": "ignored form"}, settings={"license": "mit"})
check(updated["id"] == created["id"], "update answer: %r" % updated)

versions = algo.info()
check(versions["results"] == [] and versions["marker"] is None, "no versions yet: %r" % versions)
versions = algo.versions(limit=2, published=True, callable=False)
check(versions["results"] == [], "filtered versions: %r" % versions)
raises(AlgorithmException, lambda: algo.versions(marker="not-a-marker"), "bad marker")
builds = algo.get_builds()
check(builds["results"] == [] and builds["marker"] is None, "no builds yet: %r" % builds)

# Secrets: set and listed, never with the value.
answer = algo.set_secret("API_TOKEN", "API_TOKEN", SECRET, "a token")
check(answer["short_name"] == "API_TOKEN", "set_secret answer: %r" % answer)
check(SECRET not in json.dumps(answer), "value not echoed by set_secret")
secrets = algo.get_secrets()
check([s["short_name"] for s in secrets["results"]] == ["API_TOKEN"], "get_secrets: %r" % secrets)
check(SECRET not in json.dumps(secrets), "value not in get_secrets")
raises(Exception, lambda: algo.set_secret("BAD-NAME", "BAD", "x"), "bad secret name")

# The errors log.
errors = client.get_algorithm_errors(created["id"])
check(errors == [], "no errors yet: %r" % errors)

check(not client.algo(user + "/NeverMade").exists(), "unknown algorithm does not exist")

print("python management scenarios passed: %d" % passed)
