"""Waiting on a condition, never for a fixed time: the one polling helper of every test package.

A test states what it waits for (a job done, a file written, a port answering) and a
deadline; how fast the machine is only changes how long the wait lasts, never the result.
"""
import time


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.1):
    """Check predicate() until it is truthy and return its value; fail once `timeout` seconds pass.

    The pause between checks starts at 10 ms and doubles up to `interval`, so a condition
    that is met at once costs almost nothing and a long wait does not busy the CPU.
    """
    deadline = time.monotonic() + timeout
    pause = min(0.01, interval)
    while True:
        value = predicate()
        if value:
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(min(pause, left))
        pause = min(pause * 2, interval)
