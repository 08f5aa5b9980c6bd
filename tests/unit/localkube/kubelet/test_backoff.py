from localkube.kubelet.backoff import next_delay


def test_first_restart_is_immediate_then_doubles_to_the_cap() -> None:
    state = 0.0
    delays = []
    for _ in range(8):
        delay, state = next_delay(state, ran_for=1, base=10, cap=300)
        delays.append(delay)
    assert delays == [0, 10, 20, 40, 80, 160, 300, 300]


def test_a_long_run_resets_the_back_off() -> None:
    delay, state = next_delay(300, ran_for=601, base=10, cap=300)
    assert (delay, state) == (0, 10)
