"""kazoo.recipe.queue.Queue (priorities, FIFO within a priority) and LockingQueue (items held by one
consumer are invisible to others until consumed or released; put_all and consume use multi)."""
import threading

from kz_common import client, close, main


def decode(value):
    return None if value is None else value.decode()


def scenario():
    producer, consumer = client(), client()
    try:
        q_in = producer.Queue("/queue")
        q_out = consumer.Queue("/queue")
        for item, priority in [(b"first", 100), (b"second", 100), (b"urgent", 1), (b"third", 100)]:
            q_in.put(item, priority=priority)
        queue_length = len(q_out)
        taken = [decode(q_out.get()) for _ in range(4)]
        empty = q_out.get()
        queue_length_after = len(q_out)

        lq_in = producer.LockingQueue("/lqueue")
        lq_out = consumer.LockingQueue("/lqueue")
        lq_in.put(b"a")
        lq_in.put_all([b"b", b"c"])
        lq_in.put(b"z", priority=5)
        locking_length = len(lq_out)
        held = decode(lq_out.get(timeout=5))
        holds = lq_out.holds_lock()
        other = decode(lq_in.get(timeout=5))
        consumed = lq_out.consume()
        released = lq_in.release()
        left = len(lq_out)
        drained = []
        for _ in range(left):
            drained.append(decode(lq_out.get(timeout=5)))
            lq_out.consume()
        locking_length_drained = len(lq_out)
        # A consumer blocked on an empty queue wakes up for the next put.
        late = {}
        waiter = threading.Thread(target=lambda: late.setdefault("item", decode(lq_out.get(timeout=10))), daemon=True)
        waiter.start()
        lq_in.put(b"late")
        waiter.join(15)
        late_consumed = lq_out.consume()
        return {
            "queue_length": queue_length,
            "queue_order": taken,
            "queue_empty_get": empty,
            "queue_length_after": queue_length_after,
            "locking_length": locking_length,
            "locking_first": held,
            "locking_holds_lock": holds,
            "locking_other_consumer_gets": other,
            "locking_consumed": consumed,
            "locking_released": released,
            "locking_left_after_release": left,
            "locking_drained": drained,
            "locking_length_drained": locking_length_drained,
            "locking_late": late.get("item"),
            "locking_late_consumed": late_consumed,
            "entries_left": sorted(consumer.get_children("/lqueue/entries")),
            "taken_left": sorted(consumer.get_children("/lqueue/taken")),
        }
    finally:
        close(producer, consumer)


main(scenario)
