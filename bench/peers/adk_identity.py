"""The benchmark's hosted algorithm, written with the official ADK: apply returns its input.

Hosted: `python adk_identity.py` (the server feeds it). `adk_loop.py` imports `apply` to call it
in a loop inside one process, the per-core limit."""
from adk import ADK


def apply(input):
    return input


if __name__ == "__main__":
    ADK(apply).init()
