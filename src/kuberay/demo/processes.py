"""The demo's background programs (`localkube up`, `kuberay operator`) and the check that nothing
of them is left afterwards.

Each runs in its own session, so Ctrl-C in the terminal reaches only the demo, which then stops
them in order: the operator first, then localkube (which stops every pod and removes their network
namespaces)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


class Background:
    """One program in its own session, its output in a log file."""

    def __init__(self, name: str, argv: list[str], log_path: Path) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    async def stop(self, grace: float) -> int | None:
        """SIGTERM, then SIGKILL after `grace` seconds; the exit code (None if never started)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.proc.wait, grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                await asyncio.to_thread(self.proc.wait, 10)
        return self.proc.returncode


def localkube(workdir: Path) -> Background:
    return Background(
        "localkube",
        [str(BIN / "localkube"), "up", "--dir", str(workdir / "localkube"), "--port", "0"],
        workdir / "localkube.log",
    )


def operator_argv(kubeconfig: Path, *extra: str) -> list[str]:
    """`kuberay operator` for this kubeconfig with its metrics and health endpoints on free loopback
    ports (it logs the ports it bound), so that several can run on one machine."""
    return [
        str(BIN / "kuberay"),
        "operator",
        "--kubeconfig",
        str(kubeconfig),
        "--metrics-addr",
        "127.0.0.1:0",
        "--health-addr",
        "127.0.0.1:0",
        *extra,
    ]


def operator(kubeconfig: Path, workdir: Path) -> Background:
    return Background("kuberay operator", operator_argv(kubeconfig), workdir / "operator.log")


# ---- what must not survive the demo ---------------------------------------------------------------

NETNS_PREFIX = "lk-"  # localkube names each pod's network namespace lk-<first 10 hex digits of its uid>
RAY_PROGRAMS = ("raylet", "gcs_server")


def pod_netns_name(uid: str) -> str:
    return NETNS_PREFIX + uid.replace("-", "")[:10]


def existing_netns(netns_dir: Path = Path("/run/netns")) -> set[str]:
    try:
        return {p.name for p in netns_dir.iterdir() if p.name.startswith(NETNS_PREFIX)}
    except OSError:
        return set()


def ray_processes_of(pod_names: set[str], proc: Path = Path("/proc")) -> list[str]:
    """`name[pid]` of each live raylet / GCS server started in one of these pods (its HOSTNAME)."""
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            name = stat[stat.find("(") + 1 : stat.rfind(")")]
            state = stat[stat.rfind(")") + 2 : stat.rfind(")") + 3]
            if name not in RAY_PROGRAMS or state == "Z":
                continue
            env = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        hostnames = {e.split(b"=", 1)[1].decode(errors="replace") for e in env if e.startswith(b"HOSTNAME=")}
        if hostnames & pod_names:
            found.append(f"{name}[{entry.name}]")
    return sorted(found)


def leftovers(pods: dict[str, str]) -> list[str]:
    """What is left of the demo's pods (uid -> name): their network namespaces and Ray processes.
    Only the demo's own pods count: another localkube may start on this machine the moment ours
    has stopped."""
    ours = {pod_netns_name(uid) for uid in pods}
    return sorted(existing_netns() & ours) + ray_processes_of(set(pods.values()))
