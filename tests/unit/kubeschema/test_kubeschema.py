"""kubeschema: built-in types' schemas, checked against KubeRay's CRD and localkube's validator."""

from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

import pytest
import yaml

import kubeschema
from localkube.apiserver.schema import apply_defaults, check_crd_schema, prune, validate

CRD_PATH = pathlib.Path("/work/shared/kuberay/crds/ray.io_rayclusters.yaml")
PTS = "io.k8s.api.core.v1.PodTemplateSpec"

# Keywords that must agree between controller-gen's output and ours.
COMPARED = (
    "type",
    "format",
    "x-kubernetes-int-or-string",
    "pattern",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "default",
    "required",
    "enum",
)


@pytest.fixture(scope="module")
def kuberay_template() -> dict[str, Any]:
    crd = yaml.safe_load(CRD_PATH.read_text())
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    return spec["properties"]["headGroupSpec"]["properties"]["template"]


def _differences(theirs: dict[str, Any], ours: dict[str, Any] | None, path: str) -> list[str]:
    if ours is None:
        return [f"{path}: missing"]
    out = [
        f"{path}: {key} {theirs.get(key)!r} != {ours.get(key)!r}"
        for key in COMPARED
        if theirs.get(key) != ours.get(key)
    ]
    for name, sub in theirs.get("properties", {}).items():
        out += _differences(sub, ours.get("properties", {}).get(name), f"{path}.{name}")
    if "items" in theirs:
        out += _differences(theirs["items"], ours.get("items"), f"{path}[]")
    if isinstance(theirs.get("additionalProperties"), dict):
        theirs_ap = theirs["additionalProperties"]
        ours_ap = ours.get("additionalProperties")
        out += _differences(theirs_ap, ours_ap if isinstance(ours_ap, dict) else None, f"{path}{{}}")
    return out


def test_pod_template_matches_kuberay_crd(kuberay_template: dict[str, Any]) -> None:
    ours = kubeschema.type_schema(PTS, descriptions=False)
    assert _differences(kuberay_template, ours, "template") == []
    # ...and nothing more than controller-gen emits (KubeRay's CRD is built from the same Go types).
    assert set(ours["properties"]["spec"]["properties"]) == set(
        kuberay_template["properties"]["spec"]["properties"]
    )


@pytest.fixture(scope="module")
def kuberay_spec() -> dict[str, Any]:
    crd = yaml.safe_load(CRD_PATH.read_text())
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]


@pytest.mark.parametrize(
    ("crd_path", "definition"),
    [
        (("headGroupSpec", "headService"), "io.k8s.api.core.v1.Service"),
        (("headGroupSpec", "ingressOptions", "tls", "items"), "io.k8s.api.networking.v1.IngressTLS"),
        (
            ("networkPolicy", "head", "egressRules", "items"),
            "io.k8s.api.networking.v1.NetworkPolicyEgressRule",
        ),
        (
            ("networkPolicy", "head", "ingressRules", "items"),
            "io.k8s.api.networking.v1.NetworkPolicyIngressRule",
        ),
        (("autoscalerOptions", "resources"), "io.k8s.api.core.v1.ResourceRequirements"),
        (("autoscalerOptions", "securityContext"), "io.k8s.api.core.v1.SecurityContext"),
        (("autoscalerOptions", "env", "items"), "io.k8s.api.core.v1.EnvVar"),
        (("autoscalerOptions", "envFrom", "items"), "io.k8s.api.core.v1.EnvFromSource"),
        (("autoscalerOptions", "volumeMounts", "items"), "io.k8s.api.core.v1.VolumeMount"),
    ],
    ids=lambda x: x if isinstance(x, str) else ".".join(x),
)
def test_other_types_match_kuberay_crd(
    crd_path: tuple[str, ...], definition: str, kuberay_spec: dict[str, Any]
) -> None:
    node: dict[str, Any] = {"properties": kuberay_spec}
    for step in crd_path:
        node = node["items"] if step == "items" else node["properties"][step]
    assert _differences(node, kubeschema.type_schema(definition, descriptions=False), definition) == []


def test_condition_carries_kubebuilder_validations() -> None:
    cond = kubeschema.type_schema("io.k8s.apimachinery.pkg.apis.meta.v1.Condition", descriptions=False)
    assert cond["required"] == ["lastTransitionTime", "message", "reason", "status", "type"]
    assert cond["properties"]["status"]["enum"] == ["True", "False", "Unknown"]
    assert cond["properties"]["reason"]["minLength"] == 1


def test_pod_template_metadata_is_controller_gen_embedded_object_meta(
    kuberay_template: dict[str, Any],
) -> None:
    meta = kubeschema.type_schema(PTS, descriptions=False)["properties"]["metadata"]
    assert meta == kuberay_template["properties"]["metadata"]
    full = kubeschema.type_schema(PTS, embedded_metadata=False)["properties"]["metadata"]
    assert {"ownerReferences", "generateName", "uid"} <= set(full["properties"])


def test_descriptions_come_from_the_models() -> None:
    container = kubeschema.type_schema(PTS)["properties"]["spec"]["properties"]["containers"]["items"]
    assert container["properties"]["image"]["description"].startswith("Container image name.")
    assert "noqa" not in json.dumps(container)
    assert "description" not in json.dumps(kubeschema.type_schema(PTS, descriptions=False))


def _crd_root(template: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {"type": "object", "properties": {"template": template}},
        },
    }


def test_pod_template_is_a_valid_structural_schema() -> None:
    root = _crd_root(kubeschema.type_schema(PTS))
    assert check_crd_schema(root) == []


def test_pod_template_schema_validates_like_the_api_server() -> None:
    root = _crd_root(kubeschema.type_schema(PTS, descriptions=False))
    obj = {
        "apiVersion": "x.io/v1",
        "kind": "X",
        "metadata": {"name": "x"},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": "x"}, "bogus": 1},
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "image": "python",
                            "ports": [{"containerPort": "80"}],
                            "resources": {"limits": {"cpu": "1", "memory": "2Gi"}},
                            "readinessProbe": {"httpGet": {"port": "http"}},
                        }
                    ],
                    "unknownField": True,
                },
            }
        },
    }
    assert prune(obj, root) == ["spec.template.metadata.bogus", "spec.template.spec.unknownField"]
    apply_defaults(obj, root)
    assert obj["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"] == "TCP"
    errors = validate(obj, root)
    assert [e.path for e in errors] == ["spec.template.spec.containers[0].ports[0].containerPort"]
    fixed = copy.deepcopy(obj)
    fixed["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = 80
    assert validate(fixed, root) == []
    del fixed["spec"]["template"]["spec"]["containers"][0]["name"]
    assert [e.message() for e in validate(fixed, root)] == [
        "spec.template.spec.containers[0].name: Required value"
    ]


KINDS = [
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "ServiceAccount"),
    ("v1", "Namespace"),
    ("v1", "Node"),
    ("v1", "Endpoints"),
    ("v1", "Event"),
    ("events.k8s.io/v1", "Event"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("coordination.k8s.io/v1", "Lease"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("batch/v1", "Job"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "ReplicaSet"),
]


@pytest.mark.parametrize(("api_version", "kind"), KINDS)
def test_schema_for_top_level_kinds(api_version: str, kind: str) -> None:
    schema = kubeschema.schema_for(api_version, kind)
    assert schema is not None
    props = schema["properties"]
    assert props["apiVersion"]["type"] == "string" and props["kind"]["type"] == "string"
    assert "ownerReferences" in props["metadata"]["properties"]
    # Structural as a CRD schema would have to be (a CRD's root metadata may not be spelled out).
    as_crd = {**schema, "properties": {**props, "metadata": {"type": "object"}}}
    assert check_crd_schema(as_crd) == []


def test_subresource_kinds_keep_their_own_group() -> None:
    defs = kubeschema.definitions()
    token = defs["io.k8s.api.authentication.v1.TokenRequest"]
    assert token["x-kubernetes-group-version-kind"] == [
        {"group": "authentication.k8s.io", "kind": "TokenRequest", "version": "v1"}
    ]
    assert kubeschema.schema_for("authentication.k8s.io/v1", "TokenRequest") is not None


def test_schema_for_distinguishes_groups() -> None:
    core = kubeschema.schema_for("v1", "Event")
    events = kubeschema.schema_for("events.k8s.io/v1", "Event")
    assert core is not None and events is not None
    assert "involvedObject" in core["properties"] and "regarding" in events["properties"]
    assert kubeschema.schema_for("v1", "Deployment") is None
    assert kubeschema.schema_for("ray.io/v1", "RayCluster") is None


def test_service_and_deployment_facts() -> None:
    svc = kubeschema.schema_for("v1", "Service")
    assert svc is not None
    port = svc["properties"]["spec"]["properties"]["ports"]["items"]
    assert port["properties"]["targetPort"]["x-kubernetes-int-or-string"] is True
    assert port["required"] == ["port"]
    dep = kubeschema.schema_for("apps/v1", "Deployment")
    assert dep is not None
    rolling = dep["properties"]["spec"]["properties"]["strategy"]["properties"]["rollingUpdate"]
    assert rolling["properties"]["maxSurge"]["x-kubernetes-int-or-string"] is True
    assert dep["properties"]["spec"]["required"] == ["selector", "template"]


def test_crd_schema_stops_at_recursion() -> None:
    crd = kubeschema.schema_for("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    assert crd is not None
    version = crd["properties"]["spec"]["properties"]["versions"]["items"]
    props = version["properties"]["schema"]["properties"]["openAPIV3Schema"]["properties"]["properties"]
    assert props["additionalProperties"] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        # (JSONSchemaProps has a *property* named "$ref"; only string values are references)
        out = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        for v in node.values():
            out += _refs(v)
        return out
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_definitions_refer_only_to_defined_names() -> None:
    defs = kubeschema.definitions()
    dangling = {r for r in _refs(defs) if r.removeprefix("#/definitions/") not in defs}
    assert dangling == set()
    pod = defs["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "Pod", "version": "v1"}]
    assert (
        pod["properties"]["metadata"]["$ref"]
        == "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    )
    dep = defs["io.k8s.api.apps.v1.Deployment"]
    assert dep["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}
    ]
    containers = defs["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert "$ref" not in json.dumps(kubeschema.type_schema(PTS))


@pytest.mark.parametrize(
    ("model", "definition"),
    [
        ("V1Pod", "io.k8s.api.core.v1.Pod"),
        ("V1ObjectMeta", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
        ("V1LabelSelector", "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"),
        ("V1PodTemplateSpec", "io.k8s.api.core.v1.PodTemplateSpec"),
        ("V1DeploymentSpec", "io.k8s.api.apps.v1.DeploymentSpec"),
        ("CoreV1Event", "io.k8s.api.core.v1.Event"),
        ("EventsV1Event", "io.k8s.api.events.v1.Event"),
        ("RbacV1Subject", "io.k8s.api.rbac.v1.Subject"),
        ("V1Lease", "io.k8s.api.coordination.v1.Lease"),
        ("V1JobSpec", "io.k8s.api.batch.v1.JobSpec"),
        ("V1IngressRule", "io.k8s.api.networking.v1.IngressRule"),
        ("V1Scale", "io.k8s.api.autoscaling.v1.Scale"),
        ("V1Eviction", "io.k8s.api.policy.v1.Eviction"),
        ("AuthenticationV1TokenRequest", "io.k8s.api.authentication.v1.TokenRequest"),
        ("V1TokenRequestSpec", "io.k8s.api.authentication.v1.TokenRequestSpec"),
        ("V1DeleteOptions", "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"),
        (
            "V1CustomResourceDefinition",
            "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
        ),
    ],
)
def test_definition_names(model: str, definition: str) -> None:
    assert kubeschema.definition_name(model) == definition
    assert kubeschema.type_schema(definition)["type"] == "object"


def test_unknown_definition() -> None:
    with pytest.raises(KeyError):
        kubeschema.type_schema("io.k8s.api.core.v1.NoSuchThing")


def test_type_schema_results_are_fresh_copies() -> None:
    a = kubeschema.type_schema(PTS)
    a["properties"].clear()
    assert kubeschema.type_schema(PTS)["properties"]


def test_schema_for_is_cached_so_the_api_server_compiles_it_once() -> None:
    assert kubeschema.schema_for("v1", "Pod") is kubeschema.schema_for("v1", "Pod")


def test_kinds_carry_a_description_for_kubectl_explain() -> None:
    pod = kubeschema.schema_for("v1", "Pod")
    assert pod is not None and pod["description"].startswith("Pod is a collection of containers")
    defs = kubeschema.definitions()
    assert defs["io.k8s.api.apps.v1.Deployment"]["description"].startswith("Deployment enables")
    # model-typed fields lose their own description in the generated models: the type's stands in
    spec = defs["io.k8s.api.core.v1.Pod"]["properties"]["spec"]
    assert spec["description"] == "PodSpec is a description of a pod."
    assert defs["io.k8s.api.core.v1.PodSpec"]["description"] == "PodSpec is a description of a pod."


def test_definitions_v3_use_components_and_allof() -> None:
    v3 = kubeschema.definitions_v3()
    spec = v3["io.k8s.api.core.v1.Pod"]["properties"]["spec"]
    assert spec["allOf"] == [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}]
    assert spec["description"]
    refs = _refs(v3)
    assert refs and all(r.startswith("#/components/schemas/") for r in refs)
    assert {r.removeprefix("#/components/schemas/") for r in refs} <= set(v3)
