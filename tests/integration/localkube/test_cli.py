"""`localkube up` runs in the foreground, writes a working kubeconfig, and stops cleanly on signals."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

LOCALKUBE = Path(sys.executable).parent / "localkube"
KUBECTL = Path(sys.executable).parent / "kubectl"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_up_serves_and_stops_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    state = tmp_path / "state"
    proc = subprocess.Popen(
        [str(LOCALKUBE), "up", "--dir", str(state), "--port", "0", "--no-kubelet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        kubeconfig = state / "kubeconfig"
        deadline = time.monotonic() + 30
        while not kubeconfig.exists():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "no kubeconfig written"
            time.sleep(0.05)
        env = {**os.environ, "HOME": str(tmp_path)}
        got = subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(kubeconfig), "get", "namespaces", "-o", "name"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert got.returncode == 0, got.stderr
        assert "namespace/kube-system" in got.stdout.split()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert str(kubeconfig) in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _processes_naming(path: Path) -> dict[int, str]:
    """Running processes whose command line mentions `path` (the control plane's data dir)."""
    found = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                argv = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(path) in argv:
                found[int(proc.name)] = argv
    return found


def _ignore_sigint() -> None:
    # what a shell does to a job started with `&`: the job inherits SIGINT ignored
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("when", ["serving", "starting"])
def test_backgrounded_up_on_the_real_control_plane_stops_on_sigint(
    tmp_path: Path, kubernetes_binaries: Path, when: str
) -> None:
    """Ctrl-C (SIGINT) of `localkube up --control-plane kubernetes &` stops etcd, kube-apiserver,
    the controller-manager and the scheduler, also while they are still starting."""
    state = tmp_path / "state"
    command = [str(LOCALKUBE), "up", "--dir", str(state), "--port", "0", "--no-kubelet"]
    command += ["--control-plane", "kubernetes", "--kubernetes-binaries", str(kubernetes_binaries)]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_ignore_sigint
    )
    try:
        ready = state / ("kubeconfig" if when == "serving" else "logs/kube-apiserver.pid")
        deadline = time.monotonic() + 180
        while not ready.exists():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, f"no {ready.name} written"
            time.sleep(0.1)
        assert _processes_naming(state), "the control plane's processes should run"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "stopped" in out
        assert _processes_naming(state) == {}
        if when == "starting":  # it stopped there: the cluster never came up
            assert not (state / "kubeconfig").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in _processes_naming(state):  # never leave a control plane behind
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
