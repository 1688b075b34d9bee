"""Transactions (multi) through kazoo: a successful one with per-op results, failing ones with the
per-op errors ZooKeeper reports and nothing applied."""
from kazoo.exceptions import NoNodeError
from kazoo.protocol.states import ZnodeStat

from kz_common import client, close, main


def describe(results):
    out = []
    for r in results:
        if isinstance(r, ZnodeStat):
            out.append({"stat_version": r.version, "data_length": r.dataLength})
        elif isinstance(r, Exception):
            out.append(type(r).__name__)
        else:
            out.append(r)
    return out


def exists(zk, path):
    return zk.exists(path) is not None


def scenario():
    zk = client()
    try:
        zk.create("/tx", b"")
        t = zk.transaction()
        t.create("/tx/a", b"1")
        t.create("/tx/b", b"2")
        t.set_data("/tx/a", b"1b")
        t.check("/tx/b", 0)
        t.create("/tx/s-", b"", sequence=True)
        t.create("/tx/e", b"", ephemeral=True)
        t.delete("/tx/b")
        committed = describe(t.commit())
        data_a, stat_a = zk.get("/tx/a")

        t = zk.transaction()
        t.create("/tx/c", b"")
        t.check("/tx/a", 5)
        t.create("/tx/d", b"")
        bad_version = describe(t.commit())

        t = zk.transaction()
        t.set_data("/tx/a", b"x")
        t.delete("/tx/missing")
        t.create("/tx/f", b"")
        no_node = describe(t.commit())

        t = zk.transaction()
        t.create("/tx/g", b"")
        t.delete("/tx")
        not_empty = describe(t.commit())

        t = zk.transaction()
        t.create("/tx/e/child", b"")
        ephemeral_parent = describe(t.commit())

        t = zk.transaction()
        t.create("/tx/a", b"")
        exists_error = describe(t.commit())

        data_after, stat_after = zk.get("/tx/a")
        return {
            "committed": committed,
            "a_after_ok": [data_a.decode(), stat_a.version],
            "bad_version": bad_version,
            "no_node": no_node,
            "not_empty": not_empty,
            "ephemeral_parent": ephemeral_parent,
            "node_exists": exists_error,
            "nothing_applied": [exists(zk, p) for p in ["/tx/c", "/tx/d", "/tx/f", "/tx/g"]],
            "a_after_failures": [data_after.decode(), stat_after.version],
            "children": sorted(zk.get_children("/tx")),
        }
    finally:
        close(zk)


main(scenario)
