"""Host-side mounts of the node (per-pod tmpfs for /dev/shm and Memory emptyDirs) and their removal."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

_libc = ctypes.CDLL(None, use_errno=True)
MNT_DETACH = 2


def _unescape(field: str) -> str:
    # /proc/self/mountinfo octal-escapes space, tab, newline and backslash.
    out = field
    for code, ch in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        out = out.replace(code, ch)
    return out


def mount_points() -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [_unescape(line.split()[4]) for line in f]


def is_mountpoint(path: Path) -> bool:
    return str(path) in mount_points()


def mount_tmpfs(path: Path, options: str = "") -> None:
    ret = _libc.mount(b"tmpfs", str(path).encode(), b"tmpfs", ctypes.c_ulong(6), options.encode() or None)
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount tmpfs on {path}: {os.strerror(err)}")


def unmount_under(base: Path) -> None:
    """Detach every mount at or below base, deepest first."""
    prefix = str(base).rstrip("/")
    targets = [m for m in mount_points() if m == prefix or m.startswith(prefix + "/")]
    for target in sorted(targets, key=len, reverse=True):
        _libc.umount2(target.encode(), MNT_DETACH)
