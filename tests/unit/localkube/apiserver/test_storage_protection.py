"""What keeps a deleted claim, volume or VolumeAttributesClass, as kube-controller-manager's
protection controllers decide it."""

from __future__ import annotations

from typing import Any

from localkube.apiserver import storage_protection as sp


def pod(volumes: list[dict[str, Any]], node: str = "n1", **meta: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"volumes": volumes}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": "p", "uid": "pod-uid", **meta}, "spec": spec}


def claim(name: str, owner_uid: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if owner_uid:
        meta["ownerReferences"] = [{"kind": "Pod", "name": "p", "uid": owner_uid, "controller": True}]
    return {"metadata": meta}


NAMED = {"name": "d", "persistentVolumeClaim": {"claimName": "data"}}
EPHEMERAL = {"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}}


def test_admission_appends_the_finalizer_once_and_keeps_others() -> None:
    obj: dict[str, Any] = {"metadata": {"finalizers": ["example.com/mine"]}}
    add = sp.admit(sp.PVC_KEY)
    add(obj)
    add(obj)
    assert obj["metadata"]["finalizers"] == ["example.com/mine", "kubernetes.io/pvc-protection"]


def test_only_a_scheduled_pod_holds_the_claim_it_names() -> None:
    assert sp.pod_uses_claim(pod([NAMED]), claim("data"))
    assert not sp.pod_uses_claim(pod([NAMED], node=""), claim("data"))
    assert not sp.pod_uses_claim(pod([NAMED]), claim("other"))
    # a finished or force-deleted pod still holds a claim it names, until it is gone
    gone = pod([NAMED], deletionTimestamp="2026-12-05T00:00:00Z", deletionGracePeriodSeconds=0)
    assert sp.pod_uses_claim(gone, claim("data"))


def test_an_ephemeral_claim_is_held_by_the_pod_that_owns_it_until_it_shuts_down() -> None:
    assert sp.claims_of_pod(pod([NAMED, EPHEMERAL])) == {"data", "p-scratch"}
    assert sp.pod_uses_claim(pod([EPHEMERAL]), claim("p-scratch", owner_uid="pod-uid"))
    # same name, another owner: not this pod's claim
    assert not sp.pod_uses_claim(pod([EPHEMERAL]), claim("p-scratch", owner_uid="someone-else"))
    shut = pod([EPHEMERAL], deletionTimestamp="2026-12-05T00:00:00Z", deletionGracePeriodSeconds=0)
    assert not sp.pod_uses_claim(shut, claim("p-scratch", owner_uid="pod-uid"))


def test_candidates_and_missing_finalizers() -> None:
    f = "kubernetes.io/pv-protection"
    deleted = {"metadata": {"deletionTimestamp": "t", "finalizers": [f]}}
    assert sp.deletion_candidate(deleted, f) and not sp.needs_finalizer(deleted, f)
    assert sp.needs_finalizer({"metadata": {}}, f)
    assert not sp.deletion_candidate({"metadata": {"deletionTimestamp": "t"}}, f)
    assert sp.volume_bound({"status": {"phase": "Bound"}})
    assert not sp.volume_bound({"status": {"phase": "Available"}})


def test_the_classes_a_claim_refers_to_include_the_current_and_the_target() -> None:
    pvc = {
        "spec": {"volumeAttributesClassName": "gold"},
        "status": {
            "currentVolumeAttributesClassName": "silver",
            "modifyVolumeStatus": {"targetVolumeAttributesClassName": "gold-plus"},
        },
    }
    assert sp.classes_of(sp.PVC_KEY, pvc) == {"gold", "silver", "gold-plus"}
    # a volume's status has no such fields
    assert sp.classes_of(
        sp.PV_KEY, {"spec": {"volumeAttributesClassName": "gold"}, "status": pvc["status"]}
    ) == {"gold"}
