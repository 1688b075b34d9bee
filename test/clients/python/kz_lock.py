"""kazoo.recipe.lock.Lock with two clients contending: mutual exclusion, FIFO hand-over on release,
hand-over when the holder's session closes, and the lock nodes left behind (none)."""
import threading

from kz_common import client, close, main, wait_until


def suffixes(zk, path):
    return sorted(name.split("__lock__")[1] for name in zk.get_children(path))


def scenario():
    c1, c2 = client(), client()
    try:
        order = []
        lock1 = c1.Lock("/lock", "one")
        lock2 = c2.Lock("/lock", "two")
        first = lock1.acquire(timeout=10)
        order.append("one acquired")

        two_acquired = threading.Event()

        def contend_two():
            if lock2.acquire(timeout=30):
                order.append("two acquired")
                two_acquired.set()

        threading.Thread(target=contend_two, daemon=True).start()
        wait_until(lambda: len(lock1.contenders()) == 2, "two contenders")
        contenders_while_held = lock1.contenders()
        nodes_while_held = suffixes(c1, "/lock")
        # A bounded check of a negative: "two" is queued behind "one" and must not get the lock now.
        two_got_it_early = two_acquired.wait(0.3)

        order.append("one releasing")
        lock1.release()
        handed_over = two_acquired.wait(10)
        contenders_after_release = lock2.contenders()

        # "one" queues again; "two" (the holder) closes its session: its ephemeral lock node goes
        # away and "one" gets the lock.
        one_again = threading.Event()

        def contend_one():
            if lock1.acquire(timeout=30):
                order.append("one acquired again")
                one_again.set()

        threading.Thread(target=contend_one, daemon=True).start()
        wait_until(lambda: len(lock1.contenders()) == 2, "one queued again")
        order.append("two closing its session")
        close(c2)
        after_close = one_again.wait(10)
        nodes_after_close = suffixes(c1, "/lock")
        lock1.release()
        nodes_at_end = c1.get_children("/lock")
        return {
            "first_acquire": first,
            "order": order,
            "contenders_while_held": contenders_while_held,
            "nodes_while_held": nodes_while_held,
            "two_got_it_early": two_got_it_early,
            "handed_over_on_release": handed_over,
            "contenders_after_release": contenders_after_release,
            "handed_over_on_session_close": after_close,
            "nodes_after_close": nodes_after_close,
            "nodes_at_end": nodes_at_end,
        }
    finally:
        close(c1, c2)


main(scenario)
