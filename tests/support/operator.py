"""`kuberay operator` as a user starts it, in its own process that the test always stops."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from kuberay.demo.processes import operator_argv
from support.waiting import wait_for

# The operator logs the addresses its metrics and health endpoints bound (port 0 picks free ones).
_ENDPOINTS = re.compile(r"endpoints on \[\('127\.0\.0\.1', (\d+)\), \('127\.0\.0\.1', (\d+)\)\]")


class OperatorProcess:
    """One operator process; its output is appended to `log_path`, so a restart keeps the history."""

    def __init__(
        self,
        kubeconfig: Path,
        log_path: Path,
        extra: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.log_path = log_path
        self.extra = list(extra)
        self.env = dict(env or {})  # KubeRay's operator settings, on top of this process's environment
        self.proc: subprocess.Popen[bytes] | None = None
        self.metrics_url = ""
        self.health_url = ""

    def start(self, timeout: float = 60) -> None:
        """Start and wait until it serves its endpoints (it has its informers and caches by then)."""
        offset = len(self.log())
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                operator_argv(self.kubeconfig, *self.extra),
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
            )

        def ports() -> tuple[str, str] | None:
            found = _ENDPOINTS.findall(self.log()[offset:])
            return found[-1] if found else None

        metrics_port, health_port = wait_for("the operator to serve its endpoints", ports, timeout=timeout)
        self.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        self.health_url = f"http://127.0.0.1:{health_port}"

    def probe(self, path: str) -> int:
        """The status code of /healthz or /readyz, as the kubelet's probe sees it."""
        try:
            with urllib.request.urlopen(self.health_url + path, timeout=5) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as err:
            return int(err.code)

    def writes(self) -> float:
        """Writes to the cluster's objects so far, from the operator's own metrics (its Lease
        renewals, the price of leader election, are not counted)."""
        body = urllib.request.urlopen(self.metrics_url, timeout=5).read().decode()
        total = 0.0
        for line in body.splitlines():
            if not line.startswith("kuberay_operator_api_requests_total{"):
                continue
            labels = line[line.index("{") + 1 : line.index("}")]
            if 'verb="GET"' in labels or 'resource="Lease"' in labels:
                continue
            total += float(line.rsplit(" ", 1)[1])
        return total

    def reconciles(self, result: str) -> float:
        """RayCluster reconcile passes so far that ended with `result` (success, requeue_after, error)."""
        body = urllib.request.urlopen(self.metrics_url, timeout=5).read().decode()
        wanted = f'controller_runtime_reconcile_total{{controller="raycluster",result="{result}"}}'
        return sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines() if line.startswith(wanted))

    def kill(self) -> None:
        """Die without cleaning up, as on a node failure."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        stop_process(self.proc)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @contextlib.contextmanager
    def running(self, log_tail: int = 0) -> Iterator[OperatorProcess]:
        """Started, and stopped on the way out whatever happened; with `log_tail`, the end of its
        log is printed then (pytest shows it for a failed test)."""
        try:
            self.start()
            yield self
        finally:
            self.stop()
            if log_tail:
                print(self.log()[-log_tail:])


def stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, and SIGKILL if it has not exited within 30 s."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
