"""Helpers shared by the kazoo scenario scripts.

Every script takes HOST:PORT as its first argument, runs one scenario with the real kazoo client
and prints exactly one JSON object on the last line of stdout: {"ok": true, ...results} or
{"ok": false, "error": "..."}. Values that differ between servers or runs (timings) go under
"info", which the tests do not compare with Java's.
"""
import json
import os
import sys
import time
import traceback

import threading

from kazoo.client import KazooClient
from kazoo.protocol.states import Callback


def hosts():
    return sys.argv[1]


def client(timeout=10.0):
    zk = KazooClient(hosts=hosts(), timeout=timeout)
    zk.start(timeout=15)
    return zk


def close(*clients):
    for zk in clients:
        try:
            zk.stop()
            zk.close()
        except Exception:  # already closed
            pass


def wait_until(predicate, what, timeout=10.0):
    """Polls predicate until it returns true; raises TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for " + what)
        time.sleep(0.01)


def drain_callbacks(zk, timeout=10.0):
    """Waits until every watch callback kazoo had queued so far has run. kazoo queues a watch event
    when it reads it off the socket and runs the callbacks one by one on a single thread, so a
    marker queued now runs after all of them."""
    done = threading.Event()
    zk.handler.dispatch_callback(Callback("watch", done.set, ()))
    if not done.wait(timeout):
        raise TimeoutError("kazoo callback queue did not drain")


def main(scenario):
    """Runs scenario() -> dict and prints the JSON result; always exits (kazoo threads are not awaited)."""
    code = 0
    try:
        result = dict(scenario())
        result["ok"] = True
    except BaseException as err:  # report anything, including timeouts, as a result
        traceback.print_exc(file=sys.stderr)
        result = {"ok": False, "error": type(err).__name__ + ": " + str(err)}
        code = 1
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
