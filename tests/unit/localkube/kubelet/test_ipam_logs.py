import datetime as dt

from localkube.kubelet import ipam, logs


def test_gateway_is_first_host() -> None:
    assert ipam.gateway("10.244.0.0/16") == "10.244.0.1"


def test_allocate_skips_gateway_and_used() -> None:
    assert ipam.allocate("10.244.0.0/16", set()) == "10.244.0.2"
    assert ipam.allocate("10.244.0.0/16", {"10.244.0.2", "10.244.0.3"}) == "10.244.0.4"


def test_allocate_moves_on_instead_of_reusing_a_just_released_ip() -> None:
    assert ipam.allocate("10.244.0.0/16", set(), after="10.244.0.2") == "10.244.0.3"
    # wraps around at the end of the range, still skipping the gateway
    assert ipam.allocate("10.0.0.0/29", {"10.0.0.3"}, after="10.0.0.6") == "10.0.0.2"


def test_allocate_full_cidr_raises() -> None:
    try:
        ipam.allocate("10.0.0.0/30", {"10.0.0.2"})
    except RuntimeError as e:
        assert "no free address" in str(e)
    else:
        raise AssertionError("expected RuntimeError")


def _lines(*texts: str) -> list[logs.LogLine]:
    out = []
    for i, t in enumerate(texts):
        raw = logs.format_line("stdout", t.encode(), f"2026-01-01T00:00:0{i}.000000001Z")
        parsed = logs.parse_line(raw)
        assert parsed is not None
        out.append(parsed)
    return out


def test_cri_round_trip_full_and_partial() -> None:
    lines = _lines("hello\n", "par", "tial\n")
    assert [ln.partial for ln in lines] == [False, True, False]
    assert b"".join(logs.render(ln, False) for ln in lines) == b"hello\npartial\n"
    assert logs.render(lines[0], True) == b"2026-01-01T00:00:00.000000001Z hello\n"


def test_tail_lines_counts_whole_lines() -> None:
    lines = _lines("a\n", "b\n", "par", "tial\n")
    picked = logs.select(lines, tail_lines=2)
    assert b"".join(logs.render(ln, False) for ln in picked) == b"b\npartial\n"
    assert logs.select(lines, tail_lines=0) == []


def test_since_drops_older_lines() -> None:
    lines = _lines("a\n", "b\n", "c\n")
    since = dt.datetime(2026, 1, 1, 0, 0, 1, tzinfo=dt.UTC)
    assert [ln.text for ln in logs.select(lines, since=since)] == [b"b", b"c"]
