"""Watches through kazoo: DataWatch and ChildrenWatch see every change in order (each change is made
after the previous one was seen), a burst of changes is seen with increasing versions ending at the
last one, and one-shot watches fire exactly once."""
import threading

from kz_common import client, close, drain_callbacks, main, wait_until


def scenario():
    watcher, writer = client(), client()
    try:
        # DataWatch: create -> sets -> delete -> create again.
        writer.create("/w", b"v0")
        data_seen = []

        @watcher.DataWatch("/w")
        def on_data(data, stat, event):
            data_seen.append([
                None if data is None else data.decode(),
                None if stat is None else stat.version,
                None if event is None else event.type,
            ])

        wait_until(lambda: len(data_seen) == 1, "the initial DataWatch call")
        for i in range(1, 6):
            writer.set("/w", ("v%d" % i).encode())
            wait_until(lambda: data_seen[-1][1] == i, "version %d" % i)
        writer.delete("/w")
        wait_until(lambda: data_seen[-1][0] is None, "the deletion")
        writer.create("/w", b"reborn")
        wait_until(lambda: data_seen[-1][0] == "reborn", "the re-creation")

        # ChildrenWatch with events.
        writer.create("/c")
        children_seen = []

        @watcher.ChildrenWatch("/c", send_event=True)
        def on_children(children, event):
            children_seen.append([sorted(children), None if event is None else event.type])

        wait_until(lambda: len(children_seen) == 1, "the initial ChildrenWatch call")
        steps = [("create", "/c/a"), ("create", "/c/b"), ("delete", "/c/a"), ("create", "/c/e"), ("delete", "/c/b")]
        for n, (op, path) in enumerate(steps):
            if op == "create":
                writer.create(path, b"", ephemeral=path == "/c/e")
            else:
                writer.delete(path)
            wait_until(lambda: len(children_seen) == n + 2, "children change %d" % (n + 1))

        # A burst: 30 sets without waiting; the watch must end at the last version, never go back.
        writer.create("/burst", b"0")
        burst_seen = []

        @watcher.DataWatch("/burst")
        def on_burst(data, stat):
            if stat is not None:
                burst_seen.append(stat.version)

        wait_until(lambda: len(burst_seen) >= 1, "the initial burst call")
        for i in range(1, 31):
            writer.set("/burst", str(i).encode())
        wait_until(lambda: burst_seen[-1] == 30, "the last burst version")
        increasing = all(a < b for a, b in zip(burst_seen, burst_seen[1:]))

        # One-shot watches: get / exists / get_children each fire once, with the right type/path.
        one_shot = []
        lock = threading.Lock()

        def record(event):
            with lock:
                one_shot.append([event.type, event.path])

        writer.create("/once", b"1")
        watcher.get("/once", watch=record)
        watcher.exists("/not-yet", watch=record)
        watcher.get_children("/once", watch=record)
        writer.set("/once", b"2")
        writer.set("/once", b"3")  # no watch left on /once data: must not fire again
        writer.create("/not-yet", b"")
        writer.create("/once/kid", b"")
        writer.create("/once/kid2", b"")  # child watch already fired
        # The watcher's own read after sync reflects all changes above, so every event for them was
        # sent before this reply (ZooKeeper's ordering guarantee) and is already queued in kazoo.
        watcher.sync("/")
        watcher.get("/once/kid2")
        drain_callbacks(watcher)
        with lock:
            one_shot_events = sorted(one_shot)

        return {
            "data_seen": data_seen,
            "children_seen": children_seen,
            "burst_last": burst_seen[-1],
            "burst_increasing": increasing,
            "one_shot_events": one_shot_events,
            "info": {"burst_calls": len(burst_seen)},
        }
    finally:
        close(watcher, writer)


main(scenario)
