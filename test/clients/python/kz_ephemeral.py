"""Ephemeral nodes through kazoo: removed when the owner closes its session (another client's
watches fire), and removed when the owner's process dies, only once its session expires."""
import os
import signal
import subprocess
import sys
import threading
import time

from kz_common import client, close, drain_callbacks, hosts, main, wait_until


def child():
    """Owner process for the expiry case: creates an ephemeral node, reports, then hangs."""
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=hosts(), timeout=1.0)  # asks for 1 s; the server clamps it to 2 ticks
    zk.start(timeout=15)
    zk.create("/expire/node", b"", ephemeral=True, makepath=True)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    time.sleep(120)


def scenario():
    owner, observer = client(), client()
    try:
        owner.create("/eph", b"")
        owner.create("/eph/a", b"a", ephemeral=True)
        seq = owner.create("/eph/s-", b"s", ephemeral=True, sequence=True)
        owner.create("/eph/persistent", b"p")
        stat_a = observer.exists("/eph/a")
        owner_id = owner.client_id[0]
        owned_by_owner = stat_a is not None and stat_a.ephemeralOwner == owner_id

        events = []
        lock = threading.Lock()

        def record(event):
            with lock:
                events.append([event.type, event.path])

        observer.exists("/eph/a", watch=record)
        observer.get(seq, watch=record)
        observer.get_children("/eph", watch=record)
        close(owner)  # closeSession: the server deletes the ephemerals at once
        wait_until(lambda: observer.exists("/eph/a") is None, "/eph/a to go")
        children_after_close = sorted(observer.get_children("/eph"))
        drain_callbacks(observer)
        with lock:
            close_events = sorted(events)

        # Expiry: the owner process is killed without closing its session.
        proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), hosts(), "child"], stdout=subprocess.PIPE)
        try:
            line = proc.stdout.readline().decode().strip()
            if line != "ready":
                raise RuntimeError("expiry child did not start: %r" % line)
            node_stat = observer.exists("/expire/node")
            deleted = threading.Event()
            observer.exists("/expire/node", watch=lambda event: deleted.set())
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            killed_at = time.monotonic()
            expired = deleted.wait(30)
            elapsed = time.monotonic() - killed_at
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        return {
            "owned_by_owner": owned_by_owner,
            "sequential_name": seq,
            "children_after_close": children_after_close,
            "close_events": close_events,
            "expiry_node_existed": node_stat is not None and node_stat.ephemeralOwner != 0,
            "expired": expired,
            "gone_after_expiry": observer.exists("/expire/node") is None,
            # The negotiated timeout is 4 s (2 ticks of 2 s): not before ~4 s, and within timeout + a tick or so.
            "expired_not_before_timeout": elapsed >= 3.5,
            "expired_within_limit": elapsed <= 12.0,
            "info": {"expiry_seconds": round(elapsed, 2)},
        }
    finally:
        close(owner, observer)


if len(sys.argv) > 2 and sys.argv[2] == "child":
    child()
else:
    main(scenario)
