"""When a watch sends bookmarks: kube-apiserver's watch cache schedule."""

from __future__ import annotations

from localkube.apiserver.watchstream import next_bookmark


def test_a_long_watch_gets_a_bookmark_a_minute() -> None:
    assert next_bookmark(100.0, 100.0 + 1800) == 160.0


def test_the_last_bookmark_comes_two_seconds_before_the_timeout() -> None:
    assert next_bookmark(100.0, 130.0) == 128.0
    # sent at that moment, it is the last one
    assert next_bookmark(128.5, 130.0) is None


def test_a_watch_shorter_than_two_seconds_gets_none() -> None:
    assert next_bookmark(100.0, 101.0) is None
