"""Storage object in-use protection, as Kubernetes has it: the StorageObjectInUseProtection
admission plugin gives every new PersistentVolume, PersistentVolumeClaim and
VolumeAttributesClass a finalizer, and kube-controller-manager's pv-, pvc- and vac-protection
controllers remove it once nothing uses the object, so a claim a running pod mounts survives
`kubectl delete pvc` (Terminating) until that pod is gone.

Pure functions: what holds an object, and which objects an event may release. The loop that acts on
them is in controllers.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from localkube.apiserver.shapes import as_dict, as_list
from localkube.apiserver.store import Key

Obj = dict[str, Any]

PV_KEY: Key = ("", "persistentvolumes")
PVC_KEY: Key = ("", "persistentvolumeclaims")
VAC_KEY: Key = ("storage.k8s.io", "volumeattributesclasses")

# k8s.io/kubernetes pkg/volume/util/finalizer.go
FINALIZERS: dict[Key, str] = {
    PV_KEY: "kubernetes.io/pv-protection",
    PVC_KEY: "kubernetes.io/pvc-protection",
    VAC_KEY: "kubernetes.io/vac-protection",
}


def _meta(obj: Obj) -> Obj:
    return as_dict(obj.get("metadata"))


def _finalizers(obj: Obj) -> list[Any]:
    return as_list(_meta(obj).get("finalizers"))


def admit(key: Key) -> Callable[[Obj], None]:
    """The admission plugin for one kind: on create, its finalizer is appended unless present."""
    finalizer = FINALIZERS[key]

    def add(obj: Obj) -> None:
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            return
        finalizers = meta.get("finalizers")
        if not isinstance(finalizers, list):
            finalizers = meta["finalizers"] = []
        if finalizer not in finalizers:
            finalizers.append(finalizer)

    return add


def deletion_candidate(obj: Obj, finalizer: str) -> bool:
    """Deleted and still held by `finalizer` (protectionutil.IsDeletionCandidate)."""
    return bool(_meta(obj).get("deletionTimestamp")) and finalizer in _finalizers(obj)


def needs_finalizer(obj: Obj, finalizer: str) -> bool:
    """Not deleted and missing `finalizer`: the controller puts it back (NeedToAddFinalizer)."""
    return not _meta(obj).get("deletionTimestamp") and finalizer not in _finalizers(obj)


def _volumes(pod: Obj) -> Iterator[Obj]:
    for volume in as_dict(pod.get("spec")).get("volumes") or ():
        if isinstance(volume, dict):
            yield volume


def claims_of_pod(pod: Obj) -> set[str]:
    """Names of the claims in the pod's namespace that it may use: those it names, and those its
    generic ephemeral volumes get (`<pod>-<volume>`)."""
    names = set()
    pod_name = _meta(pod).get("name", "")
    for volume in _volumes(pod):
        claim = as_dict(volume.get("persistentVolumeClaim")).get("claimName")
        if isinstance(claim, str):
            names.add(claim)
        if isinstance(volume.get("ephemeral"), dict):
            names.add(f"{pod_name}-{volume.get('name', '')}")
    return names


def _shut_down(pod: Obj) -> bool:
    """Deleted with no grace left (its kubelet is done with it, or it was force-deleted)."""
    meta = _meta(pod)
    return bool(meta.get("deletionTimestamp")) and meta.get("deletionGracePeriodSeconds") == 0


def _controlled_by(claim: Obj, pod: Obj) -> bool:
    uid = _meta(pod).get("uid")
    return any(
        isinstance(ref, dict) and ref.get("controller") is True and ref.get("uid") == uid
        for ref in _meta(claim).get("ownerReferences") or ()
    )


def pod_uses_claim(pod: Obj, claim: Obj) -> bool:
    """Whether the pod keeps the claim from going (podUsesPVCForDeletion): only a scheduled pod
    counts, since a kubelet never starts a pod on a claim that is being deleted; an ephemeral
    volume's claim only while the pod has not shut down and owns it."""
    if not as_dict(pod.get("spec")).get("nodeName"):
        return False
    name = _meta(claim).get("name")
    pod_name = _meta(pod).get("name", "")
    for volume in _volumes(pod):
        if as_dict(volume.get("persistentVolumeClaim")).get("claimName") == name:
            return True
        if (
            isinstance(volume.get("ephemeral"), dict)
            and not _shut_down(pod)
            and f"{pod_name}-{volume.get('name', '')}" == name
            and _controlled_by(claim, pod)
        ):
            return True
    return False


def volume_bound(pv: Obj) -> bool:
    """A PersistentVolume is in use while it is Bound to a claim."""
    return as_dict(pv.get("status")).get("phase") == "Bound"


def classes_of(key: Key, obj: Obj) -> set[str]:
    """The VolumeAttributesClasses a PersistentVolume or claim refers to."""
    spec, status = as_dict(obj.get("spec")), as_dict(obj.get("status"))
    names = {spec.get("volumeAttributesClassName")}
    if key == PVC_KEY:
        names.add(status.get("currentVolumeAttributesClassName"))
        names.add(as_dict(status.get("modifyVolumeStatus")).get("targetVolumeAttributesClassName"))
    return {n for n in names if isinstance(n, str) and n}
