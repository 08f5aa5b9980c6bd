"""`kuberay demo` into a pipe or a file: plain lines, each printed the moment its step ends."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from rich.console import Console

from kuberay.demo.walkthrough import Demo, Options


def demo_into(out: io.StringIO, tmp_path: Path) -> Demo:
    options = Options(tmp_path / "sample.yaml", 10, tmp_path, False, tmp_path)
    return Demo(options, Console(file=out, width=240))


def test_steps_are_plain_lines_as_they_end(tmp_path: Path) -> None:
    out = io.StringIO()
    demo = demo_into(out, tmp_path)
    assert demo.plain
    demo.introduce()
    assert "idleTimeoutSeconds is 10s here" in out.getvalue()

    async def play() -> None:
        await demo.step("ray list actors", lambda: asyncio.sleep(0))
        assert "s done ray list actors (" in out.getvalue().splitlines()[-1]
        demo.show("kubectl exec $HEAD_POD -- ray list actors", "Total: 2")
        with pytest.raises(RuntimeError):
            await demo.step("ray status", _fails)

    asyncio.run(play())
    lines = out.getvalue().splitlines()
    assert lines[-3:-1] == ["$ kubectl exec $HEAD_POD -- ray list actors", "Total: 2"]
    assert "s failed ray status (" in lines[-1]
    assert "\x1b[" not in out.getvalue() and "╭" not in out.getvalue()


async def _fails() -> None:
    raise RuntimeError("no")
