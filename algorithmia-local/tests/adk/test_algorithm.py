"""An algorithm written with the official ADK (PyPI algorithmia-adk), used to test hosting."""
import os
import time

from adk import ADK


class AlgorithmInputError(Exception):
    error_type = "InputError"


def load():
    print("loading the test algorithm")
    return {"greeting": "hi"}


def apply(input, state):
    if isinstance(input, dict):
        action = input.get("action")
        if action == "raise":
            raise AlgorithmInputError(input.get("message", "bad input"))
        if action == "crash":
            os._exit(3)
        if action == "sleep":
            time.sleep(input["seconds"])
            return {"slept": input["seconds"], "pid": os.getpid()}
        if action == "env":
            return {"value": os.environ.get(input["name"])}
        if action == "spawn":
            import subprocess
            child = subprocess.Popen(["sleep", "60"])
            return {"pid": os.getpid(), "child": child.pid}
        if action == "print":
            print(input["text"])
            return {"printed": True}
        return {"echo": input, "greeting": state["greeting"], "pid": os.getpid()}
    if isinstance(input, bytes):
        return input[::-1]
    return "%s %s" % (state["greeting"], input)


algorithm = ADK(apply, load)
algorithm.init()
