"""securityContext as the launcher applies it: the pod's settings under the container's."""

from __future__ import annotations

import pytest

from localkube.kubelet import security


def _pod(psc: dict[str, object] | None = None) -> dict[str, object]:
    return {"metadata": {"name": "p"}, "spec": {"securityContext": psc or {}}}


def test_defaults_are_root_with_kubernetes_default_capabilities() -> None:
    sec = security.container_security(_pod(), {"name": "c"})
    assert (sec.uid, sec.gid, sec.no_new_privs, sec.readonly_root) == (0, 0, False, False)
    assert "SYS_ADMIN" not in sec.caps and "NET_BIND_SERVICE" in sec.caps and "SYS_PTRACE" not in sec.caps


def test_container_settings_override_the_pods() -> None:
    pod = _pod({"runAsUser": 1000, "runAsGroup": 2000, "fsGroup": 3000, "supplementalGroups": [4000]})
    c = {"name": "c", "securityContext": {"runAsUser": 1001, "allowPrivilegeEscalation": False,
                                          "readOnlyRootFilesystem": True}}  # fmt: skip
    sec = security.container_security(pod, c)
    assert (sec.uid, sec.gid, sec.groups) == (1001, 2000, (4000, 3000))
    assert sec.no_new_privs and sec.readonly_root


def test_capabilities_add_and_drop_including_all() -> None:
    drop_all = {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}
    assert security.capabilities(drop_all) == {"NET_BIND_SERVICE"}
    assert "SYS_ADMIN" in security.capabilities({"capabilities": {"add": ["CAP_SYS_ADMIN"]}})
    assert "KILL" not in security.capabilities({"capabilities": {"drop": ["KILL"]}})
    assert security.capabilities({"privileged": True}) == frozenset(security.CAPS)
    with pytest.raises(security.SecurityError, match="NOPE"):
        security.capabilities({"capabilities": {"add": ["NOPE"]}})


def test_run_as_non_root_without_a_user_refuses_to_start() -> None:
    with pytest.raises(security.SecurityError, match="runAsNonRoot and image will run as root"):
        security.container_security(_pod({"runAsNonRoot": True}), {"name": "c"})
    assert security.container_security(_pod({"runAsNonRoot": True, "runAsUser": 5}), {"name": "c"}).uid == 5
