"""kazoo.recipe.election.Election with three contenders: the first leads, a waiting contender that
cancels drops out, and leadership passes to the next one when the leader steps down."""
import threading

from kz_common import client, close, main, wait_until


def scenario():
    clients = [client() for _ in range(3)]
    try:
        elections = [zk.Election("/election", "id-%d" % (i + 1)) for i, zk in enumerate(clients)]
        leaders = []
        leading = [threading.Event() for _ in range(3)]
        step_down = [threading.Event() for _ in range(3)]

        def lead(i):
            leaders.append("id-%d" % (i + 1))
            leading[i].set()
            step_down[i].wait(30)

        threads = [threading.Thread(target=elections[i].run, args=(lead, i), daemon=True) for i in range(3)]
        threads[0].start()
        if not leading[0].wait(10):
            raise TimeoutError("id-1 did not become leader")
        threads[1].start()
        wait_until(lambda: len(elections[0].contenders()) == 2, "two contenders")
        threads[2].start()
        wait_until(lambda: len(elections[0].contenders()) == 3, "three contenders")
        contenders_initial = elections[0].contenders()

        elections[1].cancel()
        threads[1].join(10)
        wait_until(lambda: elections[0].contenders() == ["id-1", "id-3"], "id-2 to leave")
        contenders_after_cancel = elections[0].contenders()
        second_leading_early = leading[2].is_set()

        step_down[0].set()
        third_led = leading[2].wait(10)
        contenders_after_step_down = elections[2].contenders()
        step_down[2].set()
        threads[0].join(10)
        threads[2].join(10)
        wait_until(lambda: elections[0].contenders() == [], "no contenders")
        return {
            "leaders": leaders,
            "contenders_initial": contenders_initial,
            "contenders_after_cancel": contenders_after_cancel,
            "id3_leading_before_step_down": second_leading_early,
            "id3_led_after_step_down": third_led,
            "id2_thread_ended": not threads[1].is_alive(),
            "contenders_after_step_down": contenders_after_step_down,
            "contenders_at_end": elections[0].contenders(),
        }
    finally:
        close(*clients)


main(scenario)
