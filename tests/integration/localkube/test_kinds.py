"""Every kind the issue lists is served: created, read back, listed and deleted through the official
client's dynamic API (the same paths its typed APIs use)."""

from __future__ import annotations

import kubernetes
import pytest
from kubernetes.dynamic import DynamicClient

MANIFESTS = [
    {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "e"},
        "subsets": [{"addresses": [{"ip": "10.244.0.5"}], "ports": [{"port": 80}]}],
    },
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa"}},
    {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "ev"},
        "reason": "R",
        "message": "m",
        "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "r"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "rb"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
        "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "default"}],
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "cr"},
        "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}],
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "crb"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cr"},
        "subjects": [{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}],
    },
    {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "l"},
        "spec": {"holderIdentity": "me", "leaseDurationSeconds": 15},
    },
    {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {
            "template": {
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "python:3.11"}]}
            }
        },
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "ing"},
        "spec": {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"number": 80}}},
                            }
                        ]
                    }
                }
            ]
        },
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "np"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    },
    {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n"},
        "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]},
    },
]


@pytest.mark.parametrize("manifest", MANIFESTS, ids=[m["kind"] for m in MANIFESTS])
def test_kind_round_trip(k8s: kubernetes.client.ApiClient, manifest: dict) -> None:
    dyn = DynamicClient(k8s)
    api = dyn.resources.get(api_version=manifest["apiVersion"], kind=manifest["kind"])
    ns = "default" if api.namespaced else None
    created = api.create(body=manifest, namespace=ns)
    assert created.metadata.uid and created.metadata.resourceVersion
    got = api.get(name=manifest["metadata"]["name"], namespace=ns)
    assert got.metadata.uid == created.metadata.uid
    names = [item.metadata.name for item in api.get(namespace=ns).items]
    assert manifest["metadata"]["name"] in names
    # Background: a Job would otherwise be orphan-deleted, which finishes a moment later
    api.delete(name=manifest["metadata"]["name"], namespace=ns, body={"propagationPolicy": "Background"})
    names = [item.metadata.name for item in api.get(namespace=ns).items]
    assert manifest["metadata"]["name"] not in names


def test_job_is_defaulted_and_orphans_by_default(k8s: kubernetes.client.ApiClient) -> None:
    dyn = DynamicClient(k8s)
    jobs = dyn.resources.get(api_version="batch/v1", kind="Job")
    job = jobs.create(body=MANIFESTS[8], namespace="default")
    assert job.spec.backoffLimit == 6 and job.spec.completions == 1
    uid = job.metadata.uid
    assert job.spec.selector.matchLabels["batch.kubernetes.io/controller-uid"] == uid
    assert job.spec.template.metadata.labels["job-name"] == "j"
