import asyncio

from kuberay.controller.workqueue import WorkQueue


async def test_burst_of_adds_coalesces_into_one_item() -> None:
    q: WorkQueue[str] = WorkQueue()
    for _ in range(50):
        q.add("ns/a")
    q.add("ns/b")
    assert len(q) == 2
    assert await q.get() == "ns/a"
    assert await q.get() == "ns/b"
    assert len(q) == 0


async def test_key_added_while_active_runs_again_after_done_not_concurrently() -> None:
    q: WorkQueue[str] = WorkQueue()
    q.add("k")
    key = await q.get()
    assert not q.has_newer_events("k")
    q.add("k")  # an event arrives while the worker is busy with k
    assert q.has_newer_events("k")
    assert len(q) == 0, "a second worker must not get k while the first holds it"
    q.done(key)
    assert len(q) == 1
    assert await q.get() == "k"


async def test_retry_backs_off_exponentially_and_forget_resets() -> None:
    q: WorkQueue[str] = WorkQueue(base_delay=0.01, max_delay=0.04)
    delays = []
    for _ in range(4):
        delays.append(q.retry("k"))
    assert delays == [0.01, 0.02, 0.04, 0.04]
    q.forget("k")
    assert q.retry("k") == 0.01
    assert await asyncio.wait_for(q.get(), 1) == "k"


async def test_add_after_keeps_the_earlier_deadline() -> None:
    q: WorkQueue[str] = WorkQueue()
    q.add_after("k", 0.01)
    q.add_after("k", 30)
    assert await asyncio.wait_for(q.get(), 1) == "k"


async def test_shutdown_drops_timers_and_new_adds() -> None:
    q: WorkQueue[str] = WorkQueue()
    q.add_after("k", 0.01)
    q.shutdown()
    q.add("j")
    await asyncio.sleep(0.05)
    assert len(q) == 0
