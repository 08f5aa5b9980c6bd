"""Storage in-use protection: a PersistentVolumeClaim a scheduled pod mounts, and a
VolumeAttributesClass a claim names, stay Terminating after a delete until nothing uses them; an
unused PersistentVolume goes at once. Run against both control planes (kube-controller-manager's
protection controllers are the referee)."""

from __future__ import annotations

from typing import Any

import kubernetes
from kubernetes.client import CoreV1Api, StorageV1Api

from support.clients import read_or_none
from support.waiting import wait_for

PVC_FINALIZER = "kubernetes.io/pvc-protection"
PV_FINALIZER = "kubernetes.io/pv-protection"
VAC_FINALIZER = "kubernetes.io/vac-protection"
# a class no provisioner serves and no volume has: the claims stay Pending, bound to nothing
NO_CLASS = "protection-test-none"


def claim(name: str, vac: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "1Gi"}},
        "storageClassName": NO_CLASS,
    }
    if vac:
        spec["volumeAttributesClassName"] = vac
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec}


def pod_mounting(name: str, claim_name: str) -> dict[str, Any]:
    # bound to a node by name, as the scheduler would; no kubelet runs it here
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "nodeName": "protection-test-node",
            "containers": [
                {"name": "c", "image": "busybox:1", "volumeMounts": [{"name": "d", "mountPath": "/d"}]}
            ],
            "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": claim_name}}],
        },
    }


def test_a_claim_in_use_stays_terminating_until_its_pod_is_gone(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    created = v1.create_namespaced_persistent_volume_claim("default", claim("data"))
    assert created.metadata.finalizers == [PVC_FINALIZER]
    v1.create_namespaced_pod("default", pod_mounting("user", "data"))
    v1.create_namespaced_persistent_volume_claim("default", claim("spare"))

    v1.delete_namespaced_persistent_volume_claim("data", "default")
    v1.delete_namespaced_persistent_volume_claim("spare", "default")
    # the unused claim goes; the used one is Terminating, still held by its finalizer
    wait_for(
        "the unused claim gone",
        lambda: read_or_none(v1.read_namespaced_persistent_volume_claim, "spare", "default") is None,
    )
    held = v1.read_namespaced_persistent_volume_claim("data", "default")
    assert held.metadata.deletion_timestamp is not None and held.metadata.finalizers == [PVC_FINALIZER]

    v1.delete_namespaced_pod("user", "default", grace_period_seconds=0)
    wait_for(
        "the claim gone once its pod is",
        lambda: read_or_none(v1.read_namespaced_persistent_volume_claim, "data", "default") is None,
    )


def test_a_removed_finalizer_is_put_back_while_the_claim_lives(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    v1.create_namespaced_persistent_volume_claim("default", claim("kept"))
    v1.patch_namespaced_persistent_volume_claim("kept", "default", {"metadata": {"finalizers": None}})
    wait_for(
        "the protection finalizer back",
        lambda: v1.read_namespaced_persistent_volume_claim("kept", "default").metadata.finalizers,
        accept=lambda f: f == [PVC_FINALIZER],
    )


def test_an_unbound_volume_is_deleted_at_once(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    pv = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "protection-test-pv"},
        "spec": {
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "protection-test-pv-class",
            "hostPath": {"path": "/tmp/protection-test-pv"},
        },
    }
    assert v1.create_persistent_volume(pv).metadata.finalizers == [PV_FINALIZER]
    v1.delete_persistent_volume("protection-test-pv")

    wait_for("the volume gone", lambda: read_or_none(v1.read_persistent_volume, "protection-test-pv") is None)


def test_a_volume_attributes_class_a_claim_names_waits_for_the_claim(
    k8s: kubernetes.client.ApiClient,
) -> None:
    v1, storage = CoreV1Api(k8s), StorageV1Api(k8s)
    vac = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "VolumeAttributesClass",
        "metadata": {"name": "protection-test-vac"},
        "driverName": "example.com/csi",
        "parameters": {"iops": "3000"},
    }
    assert storage.create_volume_attributes_class(vac).metadata.finalizers == [VAC_FINALIZER]
    v1.create_namespaced_persistent_volume_claim("default", claim("tuned", vac="protection-test-vac"))
    storage.delete_volume_attributes_class("protection-test-vac")

    held = read_or_none(storage.read_volume_attributes_class, "protection-test-vac")
    assert held is not None and held.metadata.deletion_timestamp is not None

    v1.delete_namespaced_persistent_volume_claim("tuned", "default")
    wait_for(
        "the claim gone",
        lambda: read_or_none(v1.read_namespaced_persistent_volume_claim, "tuned", "default") is None,
    )
    wait_for(
        "the class gone once no claim names it",
        lambda: read_or_none(storage.read_volume_attributes_class, "protection-test-vac") is None,
    )
