"""Paths inside a container root: symlinks resolve within the root, never to the host's."""

import os
from pathlib import Path

from localkube.kubelet.launch import _resolve_in_root


def test_absolute_symlinks_stay_inside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "run").mkdir(parents=True)
    (root / "var").mkdir()
    os.symlink("/run", root / "var" / "run")  # as on Debian: /var/run -> /run
    got = _resolve_in_root(str(root), "/var/run/secrets/kubernetes.io")
    assert got == str(root / "run" / "secrets" / "kubernetes.io")


def test_relative_symlinks_and_dotdot_cannot_escape(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    os.symlink("../../..", root / "a" / "b" / "up")
    assert _resolve_in_root(str(root), "/a/b/up/etc") == str(root / "etc")
    assert _resolve_in_root(str(root), "/../../x") == str(root / "x")
