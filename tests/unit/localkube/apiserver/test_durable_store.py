"""The store written through to its SQLite state file: a new store on the same file has every
object, resourceVersion carries on, and old watch positions are refused as too old."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from localkube.apiserver.durable import StateFile
from localkube.apiserver.store import Event, Key, Store, TooOld

CM: Key = ("", "configmaps")
WIDGETS: Key = ("example.com", "widgets")


def obj(name: str, ns: str = "default", **data: str) -> dict[str, Any]:
    return {
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}"},
        "data": data,
    }


def reopen(path: Path) -> tuple[Store, list[tuple[Key, str, str]]]:
    store = Store(state=StateFile(path))
    seen: list[tuple[Key, str, str]] = []

    def listener(key: Key, ev: Event) -> None:
        seen.append((key, ev.type, ev.obj["metadata"]["name"]))

    store.listeners.append(listener)
    store.load()
    return store, seen


def test_objects_and_resource_version_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = Store(state=StateFile(path))
    first.put(CM, obj("a", x="1"))
    first.put(CM, obj("a", x="2"))
    first.put(CM, obj("b"))
    first.put(WIDGETS, obj("w"))
    first.remove(CM, "default", "b")  # the deletion takes resourceVersion 5
    first.close()

    second, seen = reopen(path)
    a = second.get(CM, "default", "a")
    assert a is not None and a.obj["data"] == {"x": "2"} and a.rv == 2
    assert second.get(CM, "default", "b") is None
    assert second.count(CM) == 1
    assert second.lookup_uid("uid-w") is not None
    # listeners (CRD registry, RBAC cache, garbage collector) hear of every object once
    assert sorted(seen) == [(CM, "ADDED", "a"), (WIDGETS, "ADDED", "w")]
    assert second.rv == 5
    assert second.put(CM, obj("c")).rv == 6


def test_a_watch_from_before_the_restart_is_too_old_and_one_from_now_resumes(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = Store(state=StateFile(path))
    for i in range(3):
        first.put(CM, obj(f"cm{i}"))
    first.close()
    second, _ = reopen(path)
    with pytest.raises(TooOld):
        second.events_since(CM, 1)
    assert second.events_since(CM, 3) == []
    second.put(CM, obj("later"))
    assert [e.obj["metadata"]["name"] for e in second.events_since(CM, 3)] == ["later"]


def test_a_dropped_resource_stays_dropped(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = Store(state=StateFile(path))
    first.put(WIDGETS, obj("w"))
    first.put(CM, obj("keep"))
    first.drop_table(WIDGETS)  # its CRD was deleted
    first.close()
    second, _ = reopen(path)
    assert second.items(WIDGETS, None) == []
    assert [s.obj["metadata"]["name"] for s in second.items(CM, None)] == ["keep"]


def test_the_state_files_are_private(tmp_path: Path) -> None:
    store = Store(state=StateFile(tmp_path / "state.db"))
    store.put(CM, obj("secret-ish"))
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["state.db", "state.db-shm", "state.db-wal"]
    assert all((tmp_path / f).stat().st_mode & 0o077 == 0 for f in files)
    store.close()
