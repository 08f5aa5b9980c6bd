"""exec through the official Python client's `stream`: str stdin goes out as websocket text frames,
bytes as binary frames, and on v5.channel.k8s.io closing stdin ends the command's input."""

from __future__ import annotations

from typing import Any

from kubernetes.stream import stream

from support.pods import SHELL, create, wait_ready


def _session(core: Any, command: list[str]) -> Any:
    return stream(
        core.connect_get_namespaced_pod_exec, "shell", "default", command=command,
        stdin=True, stdout=True, stderr=True, tty=False, _preload_content=False,
    )  # fmt: skip


def test_exec_with_stdin_from_the_python_client(core: Any) -> None:
    create(core, SHELL)
    wait_ready(core, "shell")
    resp = _session(core, ["/bin/sh"])
    try:
        resp.write_stdin("echo test string 1\n")  # a text frame
        assert resp.readline_stdout(timeout=30) == "test string 1"
        resp.write_stdin(b"echo test string 2 >&2\n")  # a binary frame
        assert resp.readline_stderr(timeout=30) == "test string 2"
        resp.write_stdin("exit 3\n")
        resp.run_forever(timeout=30)
        assert resp.returncode == 3
    finally:
        resp.close()


def test_closing_stdin_ends_the_commands_input(core: Any) -> None:
    create(core, SHELL)
    wait_ready(core, "shell")
    resp = _session(core, ["sh", "-c", "wc -l; echo done"])
    try:
        assert resp.subprotocol == "v5.channel.k8s.io"
        resp.write_stdin("one\ntwo\n")
        resp.close_channel(0)
        resp.run_forever(timeout=30)
        assert resp.read_stdout().split() == ["2", "done"]
        assert resp.returncode == 0
    finally:
        resp.close()
