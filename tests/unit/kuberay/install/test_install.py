"""The install has one source of truth (kuberay.install); the Helm chart, as real Helm renders it, and
the kustomize base, as the real kubectl builds it, must produce the same objects."""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import helm_python as helm  # helm-python-sdk: Helm v4 itself, as a library
import pytest
import yaml

from kuberay.api.crd import render_crd
from kuberay.build.autoscaler import AUTOSCALER_RULES
from kuberay.install import (
    InstallOptions,
    add_install_subcommand,
    kustomize_files,
    operator_rules,
    render,
    render_install,
)
from support.paths import DEPLOY

CHART = DEPLOY / "helm" / "kuberay-operator"
KUSTOMIZE = DEPLOY / "kustomize" / "default"
KUBECTL = Path(sys.executable).parent / "kubectl"
HELM_ONLY_LABELS = ("helm.sh/chart", "app.kubernetes.io/managed-by")


def _strip_helm_labels(obj: dict[str, Any]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    for meta in (obj.get("metadata", {}), obj.get("spec", {}).get("template", {}).get("metadata", {})):
        for key in HELM_ONLY_LABELS:
            meta.get("labels", {}).pop(key, None)
    return obj


def _key(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj["metadata"]
    return (obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"])


def normalized(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((_strip_helm_labels(o) for o in objects), key=_key)


def helm_template(
    values: dict[str, Any], release: str = "kuberay-operator", ns: str = "ray-system"
) -> list[dict[str, Any]]:
    with helm.Chart.load(str(CHART)) as chart:
        manifests = chart.render(values, name=release, namespace=ns)
    objects: list[dict[str, Any]] = []
    for text in manifests.values():
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


# --------------------------------------------------------------------------------- render_install


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def test_default_install_is_cluster_wide_in_ray_system() -> None:
    objects = render_install()
    kinds = [o["kind"] for o in objects]
    assert kinds[:2] == ["Namespace", "CustomResourceDefinition"]  # apply-able in one pass
    assert kinds.index("ServiceAccount") < kinds.index("Deployment")
    assert by_kind(objects, "Namespace")[0]["metadata"]["name"] == "ray-system"
    assert by_kind(objects, "CustomResourceDefinition")[0] == render_crd()
    (deploy,) = by_kind(objects, "Deployment")
    assert deploy["metadata"] == {
        "name": "kuberay-operator",
        "namespace": "ray-system",
        "labels": deploy["metadata"]["labels"],
    }
    pod = deploy["spec"]["template"]
    assert deploy["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    (container,) = pod["spec"]["containers"]
    assert container["command"] == ["kuberay", "operator"]
    assert "--leader-elect" in container["args"]
    assert not [a for a in container["args"] if a.startswith("--namespace")]
    assert pod["spec"]["serviceAccountName"] == "kuberay-operator"
    assert by_kind(objects, "Role")[0]["metadata"]["name"] == "kuberay-operator-leader-election"
    (svc,) = by_kind(objects, "Service")
    assert svc["spec"]["ports"][0]["port"] == 8080
    assert svc["spec"]["selector"] == deploy["spec"]["selector"]["matchLabels"]


def test_cluster_wide_install_binds_all_operator_rules_in_a_cluster_role() -> None:
    objects = render_install()
    (cluster_role,) = by_kind(objects, "ClusterRole")
    resources = {r for rule in cluster_role["rules"] for r in rule["resources"]}
    assert {"pods", "services", "rayclusters", "rayclusters/status", "customresourcedefinitions"} <= resources
    (crb,) = by_kind(objects, "ClusterRoleBinding")
    assert crb["subjects"] == [
        {"kind": "ServiceAccount", "name": "kuberay-operator", "namespace": "ray-system"}
    ]
    # only the leader-election Role is namespaced
    assert [r["metadata"]["name"] for r in by_kind(objects, "Role")] == ["kuberay-operator-leader-election"]


def test_watch_namespaces_get_roles_and_the_cluster_role_keeps_only_cluster_reads() -> None:
    objects = render_install(namespace="ops", watch_namespaces=["team-a", "team-b"])
    (cluster_role,) = by_kind(objects, "ClusterRole")
    assert {r for rule in cluster_role["rules"] for r in rule["resources"]} == {
        "customresourcedefinitions",
        "namespaces",
    }
    roles = {(r["metadata"]["namespace"], r["metadata"]["name"]) for r in by_kind(objects, "Role")}
    assert roles == {
        ("team-a", "kuberay-operator"),
        ("team-b", "kuberay-operator"),
        ("ops", "kuberay-operator-leader-election"),
    }
    for binding in by_kind(objects, "RoleBinding"):
        assert binding["subjects"][0]["namespace"] == "ops"
    args = by_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert [a for a in args if a.startswith("--namespace")] == ["--namespace=team-a", "--namespace=team-b"]


def _allows(rules: list[dict[str, Any]], group: str, resource: str, verb: str) -> bool:
    return any(group in r["apiGroups"] and resource in r["resources"] and verb in r["verbs"] for r in rules)


def test_operator_holds_every_permission_it_grants_the_autoscaler() -> None:
    # RBAC refuses to create a Role granting more than its creator holds (escalation check).
    rules = operator_rules()
    for rule in AUTOSCALER_RULES:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    assert _allows(rules, group, resource, verb), (group, resource, verb)


def test_operator_rules_hold_no_wildcards_nor_deletes_of_anything_but_what_it_owns() -> None:
    rules = operator_rules()
    for rule in rules:
        assert "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"]
    deletable = {r for rule in rules if "delete" in rule["verbs"] for r in rule["resources"]}
    # RayCluster pods and services; a RayJob's cluster and submitter Job, and the RayJob itself
    # (deletionStrategy DeleteSelf)
    assert deletable == {"pods", "services", "rayclusters", "jobs", "rayjobs"}
    # Secrets only for the auth token the operator creates: it never changes or deletes one.
    assert _allows(rules, "", "secrets", "create") and not _allows(rules, "", "secrets", "update")
    assert _allows(rules, "networking.k8s.io", "ingresses", "create")


def test_no_leader_election_drops_its_role_and_flag() -> None:
    objects = render(InstallOptions(leader_elect=False))
    assert not by_kind(objects, "Role")
    args = by_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--leader-elect" not in args


def test_install_command_prints_the_objects_as_yaml(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_install_subcommand(parser.add_subparsers())
    args = parser.parse_args(["install", "--namespace", "ops", "--watch-namespace", "a", "--replicas", "2"])
    assert args.func(args) == 0
    printed = [d for d in yaml.safe_load_all(capsys.readouterr().out) if d]
    assert printed == render_install(namespace="ops", watch_namespaces=["a"], replicas=2)


# -------------------------------------------------------------------------------- the CRD files


@pytest.mark.parametrize(
    "path", [CHART / "crds" / "ray.io_rayclusters.yaml", KUSTOMIZE / "ray.io_rayclusters.yaml"]
)
def test_committed_crd_file_is_what_render_crd_makes(path: Path) -> None:
    assert yaml.safe_load(path.read_text()) == render_crd(), "regenerate with: python -m kuberay.install"


# ------------------------------------------------------------------------------------ Helm chart

CHART_CASES: list[tuple[dict[str, Any], InstallOptions]] = [
    ({}, InstallOptions()),
    (
        {"watchNamespace": ["team-a", "team-b"], "replicas": 2, "logLevel": "debug"},
        InstallOptions(watch_namespaces=("team-a", "team-b"), replicas=2, log_level="debug"),
    ),
    (
        {
            "image": {"repository": "registry.example/kuberay", "tag": "dev", "pullPolicy": "Always"},
            "leaderElection": {"enabled": False},
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
            "nodeSelector": {"disk": "ssd"},
            "tolerations": [{"key": "ops", "operator": "Exists", "effect": "NoSchedule"}],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
                        ]
                    }
                }
            },
            "env": [{"name": "RAY_LOG", "value": "1"}],
            "podAnnotations": {"prometheus.io/scrape": "true"},
            "batchScheduler": {"enabled": True, "name": "volcano"},
            "metrics": {
                "serviceMonitor": {"enabled": True, "interval": "10s", "labels": {"release": "prom"}}
            },
        },
        InstallOptions(
            image="registry.example/kuberay:dev",
            image_pull_policy="Always",
            leader_elect=False,
            # Helm merges maps with the defaults: the requests stay
            resources={
                "limits": {"cpu": "1", "memory": "1Gi"},
                "requests": {"cpu": "100m", "memory": "512Mi"},
            },
            node_selector={"disk": "ssd"},
            tolerations=({"key": "ops", "operator": "Exists", "effect": "NoSchedule"},),
            affinity={
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
                        ]
                    }
                }
            },
            env=({"name": "RAY_LOG", "value": "1"},),
            pod_annotations={"prometheus.io/scrape": "true"},
            batch_scheduler="volcano",
            enable_batch_scheduler=True,
            service_monitor=True,
            service_monitor_interval="10s",
            service_monitor_labels={"release": "prom"},
        ),
    ),
]


@pytest.mark.parametrize(("values", "options"), CHART_CASES, ids=["defaults", "namespaced", "every-value"])
def test_helm_chart_renders_the_same_objects_as_render_install(
    values: dict[str, Any], options: InstallOptions
) -> None:
    # Helm installs the CRD from crds/ and the namespace with --create-namespace.
    expected = render(InstallOptions(**{**options.__dict__, "with_namespace": False, "with_crd": False}))
    assert normalized(helm_template(values)) == normalized(expected)


def test_helm_release_name_and_namespace_name_the_objects() -> None:
    objects = helm_template({}, release="ray", ns="ml")
    (deploy,) = by_kind(objects, "Deployment")
    assert (deploy["metadata"]["name"], deploy["metadata"]["namespace"]) == ("ray-kuberay-operator", "ml")
    expected = render(
        InstallOptions(namespace="ml", name="ray-kuberay-operator", with_namespace=False, with_crd=False)
    )
    assert normalized(objects) == normalized(expected)


def test_chart_default_image_tag_is_this_package_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert f"{chart['name']}" == "kuberay-operator"
    deploy = by_kind(render_install(), "Deployment")[0]
    image = deploy["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.endswith(":" + str(chart["appVersion"]))


def _leaf_paths(values: Any, prefix: str = "") -> list[str]:
    if isinstance(values, dict) and values:
        out: list[str] = []
        for k, v in values.items():
            out.extend(_leaf_paths(v, f"{prefix}.{k}" if prefix else k))
        return out
    return [prefix]


def test_chart_readme_describes_every_value() -> None:
    readme = (CHART / "README.md").read_text()
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    missing = [p for p in _leaf_paths(values) if f"`{p}`" not in readme]
    assert not missing, f"README.md lacks: {missing}"


# ---------------------------------------------------------------------------------------- kustomize


def test_kustomize_base_builds_what_render_install_makes_for_ray_system() -> None:
    built = subprocess.run(
        [str(KUBECTL), "kustomize", str(KUSTOMIZE)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    objects = [d for d in yaml.safe_load_all(built) if d]
    # the names the seed walkthrough shows: `kubectl get deployments -n ray-system` -> ray-operator
    assert normalized(objects) == normalized(render_install(namespace="ray-system", name="ray-operator"))


def test_kustomize_files_are_exactly_what_install_generates() -> None:
    expected = kustomize_files()
    committed = {p.name: p.read_text() for p in KUSTOMIZE.iterdir() if p.is_file()}
    assert committed == expected, "regenerate with: python -m kuberay.install"


def test_helm_lint_finds_no_errors() -> None:
    result = helm.lint(str(CHART))
    assert result["errors"] == []
    # severity 1 is INFO (Helm's "icon is recommended"); nothing at warning level or above
    assert [m for m in result["messages"] if m["severity"] > 1] == []


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"replica": 2}, "additional properties 'replica' not allowed"),
        ({"replicas": "two"}, "got string, want integer"),
        ({"logLevel": "loud"}, "value must be one of"),
        ({"image": {"pullPolicy": "Sometimes"}}, "value must be one of"),
        ({"metrics": {"serviceMonitor": {"enable": True}}}, "additional properties 'enable' not allowed"),
    ],
)
def test_helm_rejects_mistyped_values_before_rendering(values: dict[str, Any], complaint: str) -> None:
    with helm.Chart.load(str(CHART)) as chart:
        chart.validate_schema({})  # the defaults are valid
        with pytest.raises(helm.HelmValuesError, match=complaint):
            chart.validate_schema(values)
