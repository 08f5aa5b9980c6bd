"""One node per machine at a time: the bridge, its addresses and the name prefixes are global, so a
second node (another test run) waits for the first instead of tearing down its pods.

The lock is re-entrant within a process (a test fixture holds it around the node it starts)."""

from __future__ import annotations

import fcntl
import os
import threading
import time

from localkube.kubelet import names

_held: dict[str, tuple[int, int]] = {}  # path -> (fd, depth)
_guard = threading.Lock()


class NodeLock:
    def __init__(self, path: str = names.NODE_LOCK) -> None:
        self.path = path
        self.acquired = False

    def acquire(self, timeout: float = 900.0) -> None:
        with _guard:
            if self.path in _held:
                fd, depth = _held[self.path]
                _held[self.path] = (fd, depth + 1)
                self.acquired = True
                return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise TimeoutError(f"another localkube node holds {self.path}") from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        with _guard:
            _held[self.path] = (fd, 1)
        self.acquired = True

    def holder(self) -> str:
        """The pid written by whoever holds the lock ("" when unknown)."""
        try:
            with open(self.path) as f:
                return f.read().strip()
        except OSError:
            return ""

    def release(self) -> None:
        if not self.acquired:
            return
        self.acquired = False
        with _guard:
            fd, depth = _held[self.path]
            if depth > 1:
                _held[self.path] = (fd, depth - 1)
                return
            del _held[self.path]
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def release_all_in_process(self) -> None:
        """Drop this process's hold entirely (a child process is about to take the lock)."""
        with _guard:
            held = _held.pop(self.path, None)
        if held is not None:
            fcntl.flock(held[0], fcntl.LOCK_UN)
            os.close(held[0])
