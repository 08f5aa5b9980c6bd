"""One node per machine at a time: the bridge, its addresses and the name prefixes are global, so a
second node (another test run) waits for the first instead of tearing down its pods."""

from __future__ import annotations

import fcntl
import os
import time

from localkube.kubelet import names


class NodeLock:
    def __init__(self, path: str = names.NODE_LOCK) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self, timeout: float = 600.0) -> None:
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
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
