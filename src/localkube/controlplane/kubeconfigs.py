"""Kubeconfig files for the real control plane: the admin's (the same shape `localkube up` writes
for its own API server), the node's, and one per component with its client certificate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def kubeconfig(server: str, ca_cert: Path, user: dict[str, str], user_name: str) -> dict[str, Any]:
    """A one-context kubeconfig (pure)."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [
            {"name": "localkube", "cluster": {"server": server, "certificate-authority": str(ca_cert)}}
        ],
        "users": [{"name": user_name, "user": user}],
        "contexts": [
            {
                "name": "localkube",
                "context": {"cluster": "localkube", "user": user_name, "namespace": "default"},
            }
        ],
        "current-context": "localkube",
    }


def write(path: Path, config: dict[str, Any]) -> None:
    """Written whole or not at all, readable by its owner only (it holds credentials)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(config, sort_keys=False))
    tmp.chmod(0o600)
    tmp.replace(path)
