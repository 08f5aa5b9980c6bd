"""Finding and removing what the node leaves on the host: used at start (a crashed run's leftovers),
at stop, and by tests to assert nothing remains."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from localkube.kubelet import cgroup, mounts, network


@dataclass(frozen=True)
class Leftovers:
    netns: list[str]
    links: list[str]
    pids: list[int]
    mounts: list[str]

    def empty(self) -> bool:
        return not (self.netns or self.links or self.pids or self.mounts)


def _live(pids: list[int]) -> list[int]:
    """Pids that are not zombies waiting for their reaper."""
    out = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            out.append(pid)
    return out


def leftovers(data_dir: Path | None = None) -> Leftovers:
    """Blocking (netlink): run in a thread from async code."""
    ms = []
    if data_dir is not None:
        prefix = str(data_dir).rstrip("/")
        ms = [m for m in mounts.mount_points() if m == prefix or m.startswith(prefix + "/")]
    return Leftovers(
        netns=network.our_netns(),
        links=network.our_links(),
        pids=_live(cgroup.pids(cgroup.root())),
        mounts=ms,
    )


def remove_everything(data_dir: Path | None = None) -> None:
    """Kill every pod process, remove every netns/veth/bridge and every mount under data_dir."""
    cgroup.remove_all()
    network.remove_all()
    if data_dir is not None:
        mounts.unmount_under(data_dir)
