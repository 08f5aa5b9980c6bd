"""CRD rules that use Kubernetes' CEL libraries (format, url, ip, cidr, lists, regex, strings,
sets, optional) judge objects as kube-apiserver does, and a rule naming a function kube-apiserver
does not declare for CRD rules fails the CRD's creation with 422."""

from __future__ import annotations

import json
from typing import Any

import kubernetes
import pytest
from kubernetes.client import ApiClient, ApiException

from support.waiting import wait_for

GROUP = "libs.cel.example.com"

# field -> (rule, message); each field's rule uses one library
RULES: dict[str, tuple[str, str]] = {
    "name": ("!format.dns1123Label().validate(self).hasValue()", "name must be a DNS label"),
    "endpoint": ("isURL(self) && url(self).getScheme() == 'https'", "endpoint must be an https URL"),
    "address": (
        "isIP(self) && ip(self).family() == 4 && !ip(self).isLoopback()",
        "address: IPv4, not loopback",
    ),
    "subnet": ("cidr(self).containsIP('10.0.0.1')", "subnet must contain 10.0.0.1"),
    "ports": ("self.isSorted() && self.sum() < 20000", "ports sorted, summing under 20000"),
    "version": ("self.find('^v[0-9]+') != ''", "version starts vN"),
    "tags": (
        "sets.intersects(self, ['prod', 'dev']) && self.all(t, t.lowerAscii() == t)",
        "tags: prod or dev",
    ),
}


def crd(rules: dict[str, tuple[str, str]], name: str = "things") -> dict[str, Any]:
    props: dict[str, Any] = {}
    for field, (rule, message) in rules.items():
        # bounded sizes keep each rule's estimated cost within kube-apiserver's budget
        kind: dict[str, Any] = {"type": "string", "maxLength": 256}
        if field == "ports":
            kind = {"type": "array", "maxItems": 16, "items": {"type": "integer", "maximum": 65535}}
        elif field == "tags":
            kind = {"type": "array", "maxItems": 16, "items": {"type": "string", "maxLength": 64}}
        props[field] = {**kind, "x-kubernetes-validations": [{"rule": rule, "message": message}]}
    schema = {"type": "object", "properties": {"spec": {"type": "object", "properties": props}}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{name}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": name, "kind": name.capitalize()[:-1]},
            "versions": [
                {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}
            ],
        },
    }


GOOD = {
    "name": "my-thing",
    "endpoint": "https://example.com:8443/api?x=1",
    "address": "192.168.1.10",
    "subnet": "10.0.0.0/8",
    "ports": [80, 443, 8080],
    "version": "v12.1",
    "tags": ["prod", "eu"],
}
BAD = {
    "name": "My_Thing",
    "endpoint": "http://example.com",
    "address": "127.0.0.1",
    "subnet": "192.168.0.0/16",
    "ports": [443, 80],
    "version": "12",
    "tags": ["Prod"],
}


@pytest.fixture
def things(k8s: ApiClient) -> kubernetes.client.CustomObjectsApi:
    kubernetes.client.ApiextensionsV1Api(k8s).create_custom_resource_definition(crd(RULES))
    objs = kubernetes.client.CustomObjectsApi(k8s)

    def served() -> bool:
        try:
            objs.list_namespaced_custom_object(GROUP, "v1", "default", "things")
        except ApiException as e:
            assert e.status == 404
            return False
        return True

    wait_for("the Thing CRD to be served", served)
    return objs


def thing(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/v1", "kind": "Thing", "metadata": {"name": name}, "spec": spec}


def test_an_object_every_library_rule_accepts_is_stored(things: kubernetes.client.CustomObjectsApi) -> None:
    things.create_namespaced_custom_object(GROUP, "v1", "default", "things", thing("good", GOOD))


@pytest.mark.parametrize("field", sorted(BAD))
def test_each_library_rule_refuses_what_it_should(
    things: kubernetes.client.CustomObjectsApi, field: str
) -> None:
    with pytest.raises(ApiException) as e:
        things.create_namespaced_custom_object(
            GROUP, "v1", "default", "things", thing("bad", {**GOOD, field: BAD[field]})
        )
    assert e.value.status == 422
    assert f"spec.{field}" in e.value.body and RULES[field][1] in e.value.body


def test_a_library_function_that_refuses_its_argument_fails_the_object(
    things: kubernetes.client.CustomObjectsApi,
) -> None:
    # cidr() of something that is not a CIDR is an evaluation error: the object is refused
    with pytest.raises(ApiException) as e:
        things.create_namespaced_custom_object(
            GROUP, "v1", "default", "things", thing("bad", {**GOOD, "subnet": "10.0.0.0"})
        )
    assert e.value.status == 422 and "spec.subnet" in e.value.body


@pytest.mark.parametrize(
    "rule",
    [
        "self.isDns1123Label()",
        "fmt.dns1123Label().validate(self).hasValue()",
        "ipaddr(self).family() == 4",
        # libraries kube-apiserver v1.37 does not enable for CRD rules (compatibility version 1.36)
        "math.greatest(size(self), 1) > 0",
        "cel.bind(x, self, x != '')",
        "base64.encode(bytes(self)) != ''",
    ],
)
def test_a_rule_naming_an_undeclared_function_fails_the_crd(k8s: ApiClient, rule: str) -> None:
    with pytest.raises(ApiException) as e:
        kubernetes.client.ApiextensionsV1Api(k8s).create_custom_resource_definition(
            crd({"name": (rule, "m")}, name="typos")
        )
    assert e.value.status == 422
    assert "undeclared reference to" in e.value.body and "x-kubernetes-validations[0].rule" in e.value.body


def test_a_rule_naming_a_field_the_schema_lacks_fails_the_crd(k8s: ApiClient) -> None:
    """Rules are type-checked against their node's schema, as kube-apiserver compiles them: a
    misspelt field fails the CRD instead of every object."""
    body = crd({})
    spec = body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["properties"] = {"replicas": {"type": "integer"}}
    spec["x-kubernetes-validations"] = [{"rule": "self.replcas > 0"}]
    with pytest.raises(ApiException) as e:
        kubernetes.client.ApiextensionsV1Api(k8s).create_custom_resource_definition(body)
    assert e.value.status == 422
    [cause] = json.loads(e.value.body)["details"]["causes"]
    assert cause["field"].endswith("properties[spec].x-kubernetes-validations[0].rule")
    assert "compilation failed: ERROR: <input>:1:5: undefined field 'replcas'" in cause["message"]
    spec["x-kubernetes-validations"] = [{"rule": "self.replicas > 0"}]
    kubernetes.client.ApiextensionsV1Api(k8s).create_custom_resource_definition(body)


def _invalid(rule_as_go_prints_it: str) -> str:
    return (
        f'Invalid value: {{"Rule":"{rule_as_go_prints_it}","Message":"","MessageExpression":"",'
        '"Reason":null,"FieldPath":"","OptionalOldSelf":null}: '
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "self.replicas + 1u > 0",
            _invalid(r"self.replicas + 1u \u003e 0")
            + "compilation failed: ERROR: <input>:1:15: found no matching overload for '_+_' applied to "
            "'(int, uint)'\n | self.replicas + 1u > 0\n | ..............^",
        ),
        (
            "self.replicas == 1 && self.name",
            _invalid(r"self.replicas == 1 \u0026\u0026 self.name")
            + "compilation failed: ERROR: <input>:1:27: expected type 'bool' but found 'string'\n"
            " | self.replicas == 1 && self.name\n | ..........................^",
        ),
        ("self.replicas + 1", _invalid("self.replicas + 1") + "cel expression must evaluate to a bool"),
        (
            "self.name.reverse() == 'a'",  # reverse() of lists only: strings v3 is not enabled
            _invalid("self.name.reverse() == 'a'")
            + "compilation failed: ERROR: <input>:1:18: found no matching overload for 'reverse' applied to "
            "'string.()'\n | self.name.reverse() == 'a'\n | .................^",
        ),
    ],
)
def test_a_rule_that_does_not_type_check_fails_the_crd(k8s: ApiClient, rule: str, message: str) -> None:
    """kube-apiserver type-checks each rule against its node's schema: operands without an
    overload, a non-bool operand of && and a rule that is not a bool fail the CRD; the message
    says where, in kube-apiserver's words, with the rule as it prints it (its Go struct)."""
    body = crd({})
    spec = body["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["properties"] = {"replicas": {"type": "integer"}, "name": {"type": "string"}}
    spec["x-kubernetes-validations"] = [{"rule": rule}]
    with pytest.raises(ApiException) as e:
        kubernetes.client.ApiextensionsV1Api(k8s).create_custom_resource_definition(body)
    assert e.value.status == 422
    [cause] = json.loads(e.value.body)["details"]["causes"]
    assert cause["message"] == message
