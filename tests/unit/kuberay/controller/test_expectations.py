from kuberay.controller.expectations import Expectations


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_created_pod_unseen_blocks_until_the_cache_shows_it() -> None:
    exp = Expectations()
    exp.expect_created("c", "w-1")
    exp.observe("c", live_names=[])
    assert not exp.satisfied("c")
    exp.observe("c", live_names=["w-1"])
    assert exp.satisfied("c")


def test_deleted_pod_counts_as_seen_once_terminating_or_gone() -> None:
    exp = Expectations()
    exp.expect_deleted("c", "w-1")
    exp.expect_deleted("c", "w-2")
    exp.observe("c", live_names=["w-1", "w-2"])
    assert not exp.satisfied("c")
    assert exp.pending_deletes("c") == {"w-1", "w-2"}
    exp.observe("c", live_names=["w-1", "w-2"], terminating=["w-1"])
    assert exp.pending_deletes("c") == {"w-2"}
    exp.observe("c", live_names=["w-1"], terminating=["w-1"])
    assert exp.satisfied("c")


def test_expectations_of_one_cluster_do_not_block_another() -> None:
    exp = Expectations()
    exp.expect_created("a", "x")
    assert not exp.satisfied("a")
    assert exp.satisfied("b")


def test_lost_event_expires_after_ttl() -> None:
    clock = Clock()
    exp = Expectations(ttl=10, clock=clock)
    exp.expect_created("c", "w-1")
    clock.now = 9
    assert not exp.satisfied("c")
    clock.now = 11
    assert exp.satisfied("c")


def test_a_pod_created_and_deleted_before_the_cache_saw_it_does_not_block() -> None:
    exp = Expectations()
    exp.expect_created("c", "head-abcde")
    exp.observe("c", [])
    assert not exp.satisfied("c")
    exp.gone("c", "head-abcde")  # the watch's DELETED event, the only one it saw
    assert exp.satisfied("c")
