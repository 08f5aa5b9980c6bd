"""`kuberay demo` as a user runs it: it plays the walkthrough, draws its picture, and leaves nothing
running, whether it ends on its own or is interrupted with Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

KUBERAY = str(Path(sys.executable).parent / "kuberay")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def demo(out: Path, log: Path, *extra: str) -> subprocess.Popen[str]:
    # wide lines so rich does not wrap what the assertions look for
    env = {**os.environ, "COLUMNS": "240", "TERM": "dumb"}
    with log.open("w") as f:
        return subprocess.Popen(
            [KUBERAY, "demo", "--out", str(out), *extra],
            stdout=f,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )


def nothing_left(output: str) -> None:
    """Nothing of the pods the demo ran is left: their network namespaces and processes. (Only the
    demo's own: other runs on this machine may have a node up the moment the demo's is gone.)"""
    checked = re.findall(r"([a-z0-9-]+) \((lk-[0-9a-f]{10})\)", output.split("pods checked:", 1)[1])
    assert any("-head-" in name for name, _ in checked), checked
    netns = {p.name for p in Path("/run/netns").iterdir()} if Path("/run/netns").exists() else set()
    assert not netns & {ns for _, ns in checked}
    pod_names = {name for name, _ in checked}
    assert not [pid for pid, hostname in _hostnames() if hostname in pod_names]


def _hostnames() -> list[tuple[str, str]]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        for entry in env:
            if entry.startswith(b"HOSTNAME="):
                found.append((proc.name, entry[9:].decode(errors="replace")))
    return found


def test_demo_plays_the_walkthrough_and_stops_everything(host_clean_unlocked: Path, tmp_path: Path) -> None:
    log = tmp_path / "demo.log"
    proc = demo(tmp_path, log, "--idle-timeout", "10")
    try:
        code = proc.wait(timeout=1200)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=300)
    output = log.read_text()
    assert code == 0, output[-5000:]
    for step in (
        "python3 detached_actor.py actor1",
        "autoscaler adds a worker pod for actor1 (1/1 Running)",
        "autoscaler adds a second worker pod (1/1 Running)",
        "ray list actors",
        "python3 terminate_detached_actor.py actor2",
        "ray status",
    ):
        assert f"done {step}" in output, step
    assert "idleTimeoutSeconds is 10s here" in output
    assert output.count("ALIVE") >= 2  # `ray list actors` lists actor1 and actor2 alive
    assert "stopped: no pod network namespace (lk-*) and no raylet left." in output
    picture = tmp_path / "kuberay-demo.png"
    assert picture.read_bytes()[:8] == PNG_MAGIC
    assert str(picture) in output.replace("\n", "")
    nothing_left(output)


def test_ctrl_c_stops_the_operator_localkube_and_every_pod(host_clean_unlocked: Path, tmp_path: Path) -> None:
    log = tmp_path / "demo.log"
    proc = demo(tmp_path, log)
    try:
        # Into a file, each step's line is there the moment the step ends: interrupt once Ray
        # runs in the head pod (pods, namespaces and raylets exist by then), minutes before the end.
        deadline = time.monotonic() + 1200  # the node may first wait for another run's node
        while "done head pod Running 2/2" not in log.read_text():
            ended = "the demo ended before it was interrupted:\n"
            assert proc.poll() is None, ended + log.read_text()[-5000:]
            assert time.monotonic() < deadline, "no head pod yet:\n" + log.read_text()[-5000:]
            time.sleep(1)
        mid_run = log.read_text()
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log.read_text()
    assert code == 130, output[-5000:]
    # plain lines as they happened, no live screen drawn into the file
    assert "export HEAD_POD=" in mid_run and "done kuberay operator" in mid_run
    assert "\x1b[" not in output and "kuberay demo: Ray's autoscaler on localkube" not in output
    assert "done ray status" not in output  # interrupted mid-run, not at the end
    assert "stopped: no pod network namespace (lk-*) and no raylet left." in output
    nothing_left(output)
