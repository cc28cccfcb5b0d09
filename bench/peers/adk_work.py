"""The benchmark's CPU-bound hosted algorithm, written with the official ADK: apply spends a
fixed amount of pure-Python work (a sum of squares over `n` integers) and returns the sum.

It shows how a pool scales with workers when the algorithm's own work, not the transport,
dominates a call. `adk_loop.py adk_work` calls the same apply in a loop inside one process."""
from adk import ADK


def apply(input):
    n = int(input["n"])
    return {"sum": sum(i * i for i in range(n))}


if __name__ == "__main__":
    ADK(apply).init()
