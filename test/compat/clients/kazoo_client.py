"""Golden-capture client: kazoo connect, ephemeral+sequential create, get_children with a watch,
a change that triggers the watch, close. Usage: python3 kazoo_client.py HOST:PORT"""
import sys
import threading

from kazoo.client import KazooClient

hosts = sys.argv[1]
fired = threading.Event()
events = []

zk = KazooClient(hosts=hosts, timeout=10.0)
zk.start(timeout=15)
zk.create("/kz", b"parent")
path = zk.create("/kz/e-", b"eph", ephemeral=True, sequence=True)
print("created", path)


def watcher(event):
    events.append(event)
    fired.set()


print("children", zk.get_children("/kz", watch=watcher))
zk.create("/kz/trigger", b"")
if not fired.wait(10):
    print("watch did not fire", file=sys.stderr)
    sys.exit(1)
print("event", events[0].type, events[0].path)
zk.stop()
zk.close()
