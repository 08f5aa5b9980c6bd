"""kubectl exec -it: a pty in the container, input and exit code through it; a session whose
kubectl goes away is hung up and does not linger."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path
from typing import Any

from support.pods import create, wait_for, wait_ready


def _spawn(argv: list[str]) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child becomes kubectl
        os.execv(argv[0], argv)
    return pid, fd


def _read_until(fd: int, needle: bytes, timeout: float = 30) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while needle not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def _box(core: Any) -> None:
    create(
        core,
        """
kind: Pod
apiVersion: v1
metadata: {name: box}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: busybox, command: [sleep, "300"]}
""",
    )
    wait_ready(core, "box")


def _kubectl_argv(cluster: Any, *args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "kubectl"), "--kubeconfig", str(cluster.kubeconfig), *args]


def test_exec_with_a_terminal(core: Any, cluster: Any) -> None:
    _box(core)
    argv = _kubectl_argv(cluster, "exec", "-it", "box", "--", "sh", "-c", "tty; read x; echo got-$x; exit 5")
    pid, fd = _spawn(argv)
    try:
        first = _read_until(fd, b"/dev/pts/")
        assert b"/dev/pts/" in first  # the command's stdin is a terminal
        os.write(fd, b"hello\r")
        rest = _read_until(fd, b"got-hello")
        assert b"got-hello" in rest
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 5
    finally:
        os.close(fd)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def _marked_processes(mark: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if mark in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_session_whose_client_goes_away_is_hung_up(core: Any, cluster: Any) -> None:
    _box(core)
    mark = "4242.5"  # a sleep length nothing else uses
    pid, fd = _spawn(_kubectl_argv(cluster, "exec", "-it", "box", "--", "sh", "-c", f"echo up; sleep {mark}"))
    try:
        assert b"up" in _read_until(fd, b"up")
        assert wait_for("session running", lambda: _marked_processes(mark))
        os.kill(pid, signal.SIGKILL)  # the terminal is gone without a word
        os.waitpid(pid, 0)
        assert wait_for("session ended", lambda: not _marked_processes(mark), timeout=30)
    finally:
        os.close(fd)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
