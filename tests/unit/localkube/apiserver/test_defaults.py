"""Pod defaulting as kube-apiserver v1.37.2 does it: each expectation here was compared with its
answer to the same pod (tests/differential_api, "a pod leaning on defaults")."""

from __future__ import annotations

from typing import Any

from localkube.apiserver import defaults


def _pod(**spec: Any) -> dict[str, Any]:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}
    defaults.pod(pod)
    defaults.pod_admission(pod)
    return pod["spec"]


def test_requests_default_to_limits_per_resource() -> None:
    spec = _pod(
        containers=[
            {
                "name": "c",
                "image": "i:1",
                "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "100m"}},
            }
        ],
        initContainers=[{"name": "i", "image": "i:1", "resources": {"limits": {"memory": "32Mi"}}}],
    )
    assert spec["containers"][0]["resources"]["requests"] == {"cpu": "100m", "memory": "1Gi"}
    assert spec["initContainers"][0]["resources"]["requests"] == {"memory": "32Mi"}


def test_pod_templates_do_not_default_requests() -> None:
    """SetDefaults_Pod only: a Deployment's template keeps its requests as written."""
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "c", "image": "i:1", "resources": {"limits": {"cpu": "1"}}}]}
            }
        },
    }
    defaults.deployment(deployment)
    assert "requests" not in deployment["spec"]["template"]["spec"]["containers"][0]["resources"]


def test_http_get_of_probes_and_hooks() -> None:
    spec = _pod(
        containers=[
            {
                "name": "c",
                "image": "i:1",
                "readinessProbe": {"httpGet": {"port": 80}},
                "lifecycle": {"preStop": {"httpGet": {"port": 80, "path": "/stop"}}},
            }
        ]
    )
    c = spec["containers"][0]
    assert c["readinessProbe"]["httpGet"] == {"port": 80, "path": "/", "scheme": "HTTP"}
    assert c["lifecycle"]["preStop"]["httpGet"] == {"port": 80, "path": "/stop", "scheme": "HTTP"}


def test_volume_sources() -> None:
    spec = _pod(
        automountServiceAccountToken=False,
        containers=[{"name": "c", "image": "i:1"}],
        volumes=[
            {
                "name": "info",
                "downwardAPI": {"items": [{"path": "n", "fieldRef": {"fieldPath": "metadata.name"}}]},
            },
            {
                "name": "proj",
                "projected": {
                    "sources": [
                        {"serviceAccountToken": {"path": "token"}},
                        {
                            "downwardAPI": {
                                "items": [{"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]
                            }
                        },
                    ]
                },
            },
            {"name": "host", "hostPath": {"path": "/tmp"}},
            {
                "name": "eph",
                "ephemeral": {"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"]}}},
            },
        ],
    )
    info, proj, host, eph = spec["volumes"]
    assert info["downwardAPI"] == {
        "items": [{"path": "n", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}],
        "defaultMode": 420,
    }
    assert proj["projected"] == {
        "sources": [
            {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
            {
                "downwardAPI": {
                    "items": [
                        {"path": "ns", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
                    ]
                }
            },
        ],
        "defaultMode": 420,
    }
    assert host["hostPath"] == {"path": "/tmp", "type": ""}
    assert eph["ephemeral"]["volumeClaimTemplate"] == {
        "metadata": {},
        "spec": {"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem"},
    }
