"""`localkube up` runs in the foreground, writes a working kubeconfig, and stops cleanly on signals."""

from __future__ import annotations

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
