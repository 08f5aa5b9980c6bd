"""Deletion: finalizers, deletionTimestamp, ownerReference garbage collection, namespace teardown."""

from __future__ import annotations

import json

import kubernetes
import pytest
from kubernetes.client import ApiException, CoreV1Api

from support.clients import RawClient
from support.waiting import wait_for


def cm(name: str, owner: object | None = None, finalizers: list[str] | None = None) -> dict:
    meta: dict = {"name": name}
    if owner is not None:
        meta["ownerReferences"] = [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "name": owner.metadata.name,  # type: ignore[attr-defined]
                "uid": owner.metadata.uid,
                "blockOwnerDeletion": True,
            }
        ]  # type: ignore[attr-defined]
    if finalizers:
        meta["finalizers"] = finalizers
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}


def exists(v1: CoreV1Api, name: str, ns: str = "default") -> bool:
    try:
        v1.read_namespaced_config_map(name, ns)
        return True
    except ApiException as e:
        if e.status == 404:
            return False
        raise


def test_finalizer_holds_object_until_removed(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    v1.create_namespaced_config_map("default", cm("held", finalizers=["example.com/keep"]))
    v1.delete_namespaced_config_map("held", "default")
    held = v1.read_namespaced_config_map("held", "default")
    assert held.metadata.deletion_timestamp is not None
    with pytest.raises(ApiException) as e:
        v1.patch_namespaced_config_map(
            "held", "default", {"metadata": {"finalizers": ["example.com/keep", "x.io/new"]}}
        )
    assert e.value.status == 422
    v1.patch_namespaced_config_map("held", "default", {"metadata": {"finalizers": None}})
    assert not exists(v1, "held")


def test_background_deletion_collects_dependents(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    owner = v1.create_namespaced_config_map("default", cm("owner"))
    v1.create_namespaced_config_map("default", cm("child", owner))
    grandchild_owner = v1.read_namespaced_config_map("child", "default")
    v1.create_namespaced_config_map("default", cm("grandchild", grandchild_owner))
    v1.delete_namespaced_config_map("owner", "default", propagation_policy="Background")
    assert not exists(v1, "owner")
    wait_for("the dependents collected", lambda: not exists(v1, "child") and not exists(v1, "grandchild"))


def test_orphan_deletion_keeps_dependents_without_owner_reference(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    owner = v1.create_namespaced_config_map("default", cm("owner"))
    v1.create_namespaced_config_map("default", cm("child", owner))
    v1.delete_namespaced_config_map("owner", "default", propagation_policy="Orphan")
    wait_for("the owner gone", lambda: not exists(v1, "owner"))
    child = v1.read_namespaced_config_map("child", "default")
    assert not child.metadata.owner_references


def test_foreground_deletion_waits_for_dependents(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    owner = v1.create_namespaced_config_map("default", cm("owner"))
    v1.create_namespaced_config_map("default", cm("child", owner, finalizers=["example.com/slow"]))
    v1.delete_namespaced_config_map("owner", "default", propagation_policy="Foreground")
    # the owner stays, marked for foreground deletion, while its dependent is held by a finalizer
    wait_for(
        "the dependent marked for deletion",
        lambda: v1.read_namespaced_config_map("child", "default").metadata.deletion_timestamp is not None,
    )
    still = v1.read_namespaced_config_map("owner", "default")
    assert "foregroundDeletion" in still.metadata.finalizers and still.metadata.deletion_timestamp
    v1.patch_namespaced_config_map("child", "default", {"metadata": {"finalizers": None}})
    wait_for("the owner gone", lambda: not exists(v1, "owner"))


def test_dependent_of_missing_owner_is_collected(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    owner = v1.create_namespaced_config_map("default", cm("gone"))
    v1.delete_namespaced_config_map("gone", "default")
    v1.create_namespaced_config_map("default", cm("stray", owner))
    wait_for("the stray collected", lambda: not exists(v1, "stray"))


def test_namespace_deletion_removes_contents(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    v1.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    v1.create_namespaced_config_map("team", cm("a"))
    v1.create_namespaced_config_map("team", cm("b", finalizers=["example.com/hold"]))
    v1.delete_namespace("team")
    ns = v1.read_namespace("team")
    assert ns.status.phase == "Terminating"
    with pytest.raises(ApiException) as e:
        v1.create_namespaced_config_map("team", cm("late"))
    assert e.value.status == 403
    assert "because it is being terminated" in e.value.body
    wait_for("the namespace emptied", lambda: not exists(v1, "a", "team"))
    v1.patch_namespaced_config_map("b", "team", {"metadata": {"finalizers": None}})

    def namespace_gone() -> bool:
        return "team" not in [n.metadata.name for n in v1.list_namespace().items]

    wait_for("the namespace gone", namespace_gone)


def test_system_namespaces_cannot_be_deleted(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    with pytest.raises(ApiException) as e:
        v1.delete_namespace("default")
    assert e.value.status == 403
    assert v1.read_namespace("default").status.phase == "Active"


def test_what_a_delete_answers(k8s: kubernetes.client.ApiClient) -> None:
    v1 = CoreV1Api(k8s)
    raw = RawClient(k8s)
    gone = v1.create_namespaced_config_map("default", cm("gone"))
    # removed at once: a Status naming the resource (most kinds), as the official client expects
    r = raw.send("DELETE", "/api/v1/namespaces/default/configmaps/gone")
    assert r.status == 200
    assert json.loads(r.data) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": "gone", "kind": "configmaps", "uid": gone.metadata.uid},
    }
    # ... or the deleted object, for the kinds whose registry returns it (ServiceAccounts, Pods...)
    v1.create_namespaced_service_account("default", {"metadata": {"name": "robot"}})
    r = raw.send("DELETE", "/api/v1/namespaces/default/serviceaccounts/robot")
    assert r.status == 200
    assert json.loads(r.data)["kind"] == "ServiceAccount"
    # held by a finalizer: the object, 202 only when orphanDependents=false was asked
    v1.create_namespaced_config_map("default", cm("held", finalizers=["example.com/keep"]))
    r = raw.send("DELETE", "/api/v1/namespaces/default/configmaps/held")
    assert r.status == 200 and json.loads(r.data)["metadata"]["deletionTimestamp"]
    v1.create_namespaced_config_map("default", cm("held2", finalizers=["example.com/keep"]))
    r = raw.send("DELETE", "/api/v1/namespaces/default/configmaps/held2?orphanDependents=false")
    assert r.status == 202 and json.loads(r.data)["kind"] == "ConfigMap"
    for name in ("held", "held2"):
        v1.patch_namespaced_config_map(name, "default", {"metadata": {"finalizers": None}})
    # a namespace: the Terminating namespace, 200, no grace period and no empty finalizers
    v1.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "brief"}})
    r = raw.send("DELETE", "/api/v1/namespaces/brief")
    ns = json.loads(r.data)
    assert (r.status, ns["status"]["phase"]) == (200, "Terminating")
    assert "deletionGracePeriodSeconds" not in ns["metadata"] and "finalizers" not in ns["metadata"]
