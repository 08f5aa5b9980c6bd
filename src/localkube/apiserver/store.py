"""Object storage: one global resourceVersion, per-resource tables, bounded watch history; in memory,
and written through to a StateFile (durable.py) when given one, so it survives a restart.

Stored objects are never mutated after commit: readers share them, and each object is serialized
to JSON once (its bytes serve every GET, LIST and watcher). All methods are synchronous and run on
the server's event loop, so a commit and its fan-out to watchers are atomic.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from localkube.apiserver import codec
from localkube.apiserver.durable import StateFile

Key = tuple[str, str]  # (group, plural)
ObjKey = tuple[Key, str, str]  # (resource, namespace, name)

DEFAULT_HISTORY = 10_000
# A watcher that falls this far behind is closed, as the real API server drops unresponsive watchers.
WATCHER_BACKLOG = 100_000


dumps = codec.dumps


@dataclass(frozen=True)
class Stored:
    obj: dict[str, Any]
    raw: bytes

    @property
    def rv(self) -> int:
        return int(self.obj["metadata"]["resourceVersion"])


@dataclass(frozen=True)
class Event:
    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    obj: dict[str, Any]
    raw: bytes  # the object's JSON
    prev: dict[str, Any] | None
    # No watch line is kept with the event: the history holds 10,000 events, and a second copy of
    # each object's JSON cost ~25 MiB with 10,000 pods; each watcher's concatenation is cheap.

    @property
    def namespace(self) -> str:
        return str(self.obj["metadata"].get("namespace", ""))


def event_line(type_: str, raw_obj: bytes) -> bytes:
    return b'{"type":"' + type_.encode() + b'","object":' + raw_obj + b"}\n"


Matcher = Callable[[dict[str, Any]], bool]


class Watcher:
    """One watch stream's queue; filters events as they are committed."""

    def __init__(self, namespace: str | None, match: Matcher | None, after: int = 0) -> None:
        self.namespace = namespace
        self.match = match
        self.after = after  # events up to this resourceVersion were asked not to be sent
        self.queue: deque[tuple[str, Event]] = deque()
        self.wake = asyncio.Event()
        self.closed = False

    def offer(self, ev: Event) -> None:
        if self.closed or ev.rv <= self.after:
            return
        if self.namespace is not None and ev.namespace != self.namespace:
            return
        type_ = ev.type if self.match is None else self._filtered(ev, self.match)
        if type_ is None:
            return
        if type_ == "DELETED" and ev.type == "MODIFIED" and ev.prev is not None:
            ev = _as_left(ev, ev.prev)
        self.queue.append((type_, ev))
        if len(self.queue) > WATCHER_BACKLOG:
            self.closed = True
        self.wake.set()

    @staticmethod
    def _filtered(ev: Event, match: Matcher) -> str | None:
        # As the watch cache does: an object moving out of the selection is DELETED for this
        # watcher, one moving in is ADDED.
        now = match(ev.obj)
        if ev.type != "MODIFIED" or ev.prev is None:
            return ev.type if now else None
        before = match(ev.prev)
        if now and before:
            return ev.type
        if now:
            return "ADDED"
        if before:
            return "DELETED"
        return None

    def close(self) -> None:
        self.closed = True
        self.wake.set()


def _as_left(ev: Event, prev: dict[str, Any]) -> Event:
    """The DELETED event of an object that stopped matching a watch's selector: as kube-apiserver's
    watch cache sends it, the object as it was when it last matched, at the event's resourceVersion."""
    last = {**prev, "metadata": {**prev["metadata"], "resourceVersion": str(ev.rv)}}
    return Event(ev.rv, "DELETED", last, dumps(last), None)


@dataclass
class Table:
    """Everything stored for one resource (all its served versions)."""

    key: Key
    objects: dict[str, dict[str, Stored]] = field(default_factory=dict)  # namespace -> name -> object
    history: deque[Event] = field(default_factory=deque)
    floor: int = 0  # every event with rv > floor is still in history
    watchers: set[Watcher] = field(default_factory=set)
    count: int = 0


class TooOld(Exception):
    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


Listener = Callable[[Key, Event], None]


class Reads(Protocol):
    """The read side of storage, the one interface list, watch, admission, RBAC and the in-server
    controllers read through (Core hands it out as `Core.reads`); every write goes through Core.
    `Store` is the in-memory implementation (its state file makes it durable); a store of another
    kind must answer these and nothing else may be reached into."""

    rv: int

    def get(self, key: Key, namespace: str, name: str) -> Stored | None: ...
    def items(self, key: Key, namespace: str | None) -> list[Stored]: ...
    def items_at(self, key: Key, namespace: str | None, rv: int) -> list[dict[str, Any]]: ...
    def events_since(self, key: Key, rv: int) -> list[Event]: ...
    def lookup_uid(self, uid: str) -> Stored | None: ...
    def where_uid(self, uid: str) -> ObjKey | None: ...
    def dependents_of(self, uid: str) -> Iterator[ObjKey]: ...
    def has_dependents(self, uid: str) -> bool: ...
    def holds(self, key: Key, namespace: str) -> bool: ...
    def count(self, key: Key) -> int: ...
    def watch(self, key: Key, watcher: Watcher) -> None: ...
    def unwatch(self, key: Key, watcher: Watcher) -> None: ...
    def listen(self, listener: Listener) -> None: ...


class Store:
    def __init__(self, history: int = DEFAULT_HISTORY, state: StateFile | None = None) -> None:
        self.state = state
        self.rv = 0
        self.history_size = history
        self.tables: dict[Key, Table] = {}
        self.by_uid: dict[str, ObjKey] = {}
        self.dependents: dict[str, set[ObjKey]] = {}  # owner uid -> objects naming it
        self.listeners: list[Listener] = []

    def table(self, key: Key) -> Table:
        t = self.tables.get(key)
        if t is None:
            t = self.tables[key] = Table(key, floor=self.rv)
        return t

    def load(self) -> int:
        """Read the state file's objects (once, before serving), and tell the listeners about each
        as ADDED, as informers see a fresh list. resourceVersion continues from the last one
        handed out; no watch can resume from before it (410 Gone, as after etcd compaction)."""
        if self.state is None:
            return 0
        loaded: list[tuple[Key, Stored]] = []
        for row in self.state.rows():
            obj = codec.loads(row.raw)
            meta = obj["metadata"]
            t = self.tables.get(row.key) or self.tables.setdefault(row.key, Table(row.key))
            stored = Stored(obj, row.raw)
            t.objects.setdefault(meta.get("namespace", ""), {})[meta["name"]] = stored
            t.count += 1
            self._index(obj, (row.key, meta.get("namespace", ""), meta["name"]))
            loaded.append((row.key, stored))
        self.rv = self.state.last_rv()
        for t in self.tables.values():
            t.floor = self.rv
        for key, stored in loaded:
            ev = Event(stored.rv, "ADDED", stored.obj, stored.raw, None)
            for listener in self.listeners:
                listener(key, ev)
        return len(loaded)

    def close(self) -> None:
        if self.state is not None:
            self.state.close()

    def drop_table(self, key: Key) -> None:
        if self.state is not None:
            self.state.drop(key)
        t = self.tables.pop(key, None)
        if t is not None:
            for w in list(t.watchers):
                w.close()

    # ---- reads

    def get(self, key: Key, namespace: str, name: str) -> Stored | None:
        t = self.tables.get(key)
        if t is None:
            return None
        return t.objects.get(namespace, {}).get(name)

    def items(self, key: Key, namespace: str | None) -> list[Stored]:
        """Objects in key order (namespace, name), as etcd lists them."""
        t = self.tables.get(key)
        if t is None:
            return []
        if namespace is not None:
            names = t.objects.get(namespace, {})
            return [names[n] for n in sorted(names)]
        out: list[Stored] = []
        for ns in sorted(t.objects):
            names = t.objects[ns]
            out.extend(names[n] for n in sorted(names))
        return out

    def items_at(self, key: Key, namespace: str | None, rv: int) -> list[dict[str, Any]]:
        """Objects as they were right after `rv`, rebuilt by undoing newer history; TooOld if gone."""
        t = self.table(key)
        if rv < t.floor:
            raise TooOld(rv, t.floor + 1)
        state: dict[tuple[str, str], dict[str, Any]] = {
            (s.obj["metadata"].get("namespace", ""), s.obj["metadata"]["name"]): s.obj
            for s in self.items(key, namespace)
        }
        for ev in reversed(t.history):
            if ev.rv <= rv:
                break
            if namespace is not None and ev.namespace != namespace:
                continue
            k = (ev.namespace, ev.obj["metadata"]["name"])
            if ev.type == "ADDED":
                state.pop(k, None)
            elif ev.prev is not None:
                state[k] = ev.prev
        return [state[k] for k in sorted(state)]

    def events_since(self, key: Key, rv: int) -> list[Event]:
        t = self.table(key)
        if rv < t.floor:
            raise TooOld(rv, t.floor + 1)
        out = []
        for ev in reversed(t.history):
            if ev.rv <= rv:
                break
            out.append(ev)
        out.reverse()
        return out

    def where_uid(self, uid: str) -> ObjKey | None:
        return self.by_uid.get(uid)

    def has_dependents(self, uid: str) -> bool:
        """Whether any stored object names `uid` in its ownerReferences."""
        return uid in self.dependents

    def holds(self, key: Key, namespace: str) -> bool:
        """Whether anything of `key` is stored in `namespace`."""
        t = self.tables.get(key)
        return t is not None and bool(t.objects.get(namespace))

    def lookup_uid(self, uid: str) -> Stored | None:
        where = self.by_uid.get(uid)
        if where is None:
            return None
        return self.get(*where)

    def namespaces_in_use(self, key: Key) -> Iterable[str]:
        t = self.tables.get(key)
        return [] if t is None else [ns for ns, names in t.objects.items() if names]

    def count(self, key: Key) -> int:
        t = self.tables.get(key)
        return 0 if t is None else t.count

    # ---- writes

    def _stamp(self, obj: dict[str, Any]) -> tuple[int, dict[str, Any], bytes]:
        self.rv += 1
        stamped = {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(self.rv)}}
        return self.rv, stamped, dumps(stamped)

    def put(self, key: Key, obj: dict[str, Any]) -> Stored:
        """Create or replace an object; the caller has checked preconditions."""
        t = self.table(key)
        meta = obj["metadata"]
        ns, name = meta.get("namespace", ""), meta["name"]
        names = t.objects.setdefault(ns, {})
        old = names.get(name)
        rv, stamped, raw = self._stamp(obj)
        if self.state is not None:  # on disk before anyone is told
            self.state.put(key, ns, name, rv, raw)
        stored = Stored(stamped, raw)
        names[name] = stored
        if old is None:
            t.count += 1
        else:
            self._unindex(old.obj, (key, ns, name))
        self._index(stamped, (key, ns, name))
        kind = "ADDED" if old is None else "MODIFIED"
        self._emit(t, Event(rv, kind, stamped, raw, None if old is None else old.obj))
        return stored

    def remove(self, key: Key, namespace: str, name: str) -> Stored | None:
        t = self.tables.get(key)
        if t is None:
            return None
        names = t.objects.get(namespace, {})
        old = names.get(name)
        if old is None:
            return None
        rv, stamped, raw = self._stamp(old.obj)
        if self.state is not None:
            self.state.delete(key, namespace, name, rv)
        del names[name]
        if not names:
            t.objects.pop(namespace, None)
        t.count -= 1
        self._unindex(old.obj, (key, namespace, name))
        self._emit(t, Event(rv, "DELETED", stamped, raw, old.obj))
        return Stored(stamped, raw)

    def _index(self, obj: dict[str, Any], where: ObjKey) -> None:
        meta = obj["metadata"]
        self.by_uid[meta["uid"]] = where
        for ref in meta.get("ownerReferences") or ():
            self.dependents.setdefault(ref.get("uid", ""), set()).add(where)

    def _unindex(self, obj: dict[str, Any], where: ObjKey) -> None:
        meta = obj["metadata"]
        if self.by_uid.get(meta["uid"]) == where:
            del self.by_uid[meta["uid"]]
        for ref in meta.get("ownerReferences") or ():
            deps = self.dependents.get(ref.get("uid", ""))
            if deps is not None:
                deps.discard(where)
                if not deps:
                    del self.dependents[ref.get("uid", "")]

    def _emit(self, t: Table, ev: Event) -> None:
        t.history.append(ev)
        while len(t.history) > self.history_size:
            t.floor = t.history.popleft().rv
        for w in list(t.watchers):
            w.offer(ev)
            if w.closed:
                t.watchers.discard(w)
        for listener in self.listeners:
            listener(t.key, ev)

    def listen(self, listener: Listener) -> None:
        """Call `listener` with every change, synchronously, after it is stored."""
        self.listeners.append(listener)

    def close_watchers(self) -> None:
        for t in self.tables.values():
            for w in list(t.watchers):
                w.close()

    def watch(self, key: Key, watcher: Watcher) -> None:
        self.table(key).watchers.add(watcher)

    def unwatch(self, key: Key, watcher: Watcher) -> None:
        t = self.tables.get(key)
        if t is not None:
            t.watchers.discard(watcher)

    def dependents_of(self, uid: str) -> Iterator[ObjKey]:
        return iter(list(self.dependents.get(uid, ())))
