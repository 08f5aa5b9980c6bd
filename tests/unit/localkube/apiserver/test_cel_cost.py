"""The static cost budget of CRD validation rules (schema/cel_cost.py), as kube-apiserver v1.37.2
enforces it. Every figure here was read off the real kube-apiserver: each rule sat on the items of
a list with maxItems K, so that kube's factor (six decimals below 1.5x) gave cost x K exactly; the
differential API test sends the whole-CRD cases to both planes."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from localkube.apiserver import crds
from localkube.apiserver.schema import cel_cost
from support.paths import SHARED

S64 = {"type": "string", "maxLength": 64}
NODE = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": S64,
        "free": {"type": "string"},
        "port": {"type": "integer"},
        "ratio": {"type": "number"},
        "tags": {"type": "array", "maxItems": 16, "items": S64},
        "anyTags": {"type": "array", "items": {"type": "string"}},
        "labels": {"type": "object", "maxProperties": 8, "additionalProperties": S64},
        "nested": {
            "type": "object",
            "properties": {
                "items": {
                    "type": "array",
                    "maxItems": 4,
                    "items": {"type": "object", "properties": {"v": S64}},
                }
            },
        },
    },
}


@pytest.mark.parametrize(
    ("rule", "cost"),
    [
        ("self.name == 'x'", 3),
        ("self.free == self.name", 30),  # equality costs by the shorter side (64 x 4 bytes)
        ("has(self.port) || self.ratio < 1.5", 4),  # a presence test costs its operand only
        ("self.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')", 210),
        ("matches(self.free, '^a$')", 314575),  # a string without maxLength: 3 MiB
        ("self.tags.all(t, t.matches('^[a-z]+$'))", 899),
        ("self.anyTags.exists(t, t == self.name)", 34602978),  # a list without maxItems
        ("self.labels.all(k, k.matches('^[a-z]+$') && self.labels[k].size() < 10)", 99),
        ("self.tags.all(i, t, t.size() > i)", 115),
        ("self.tags.all(t, self.tags.exists_one(u, u == t))", 7795),
        ("self.tags.join(',').size() < 30", 416),
        ("self.name.split(',').size() < 3 && self.free.replace('a', 'b') != self.name", 629232),
        ("self.nested.items.filter(i, has(i.v)).map(i, i.v).all(v, v.size() > 0)", 162),
        ("[1, 2, 3].exists(x, x == self.port)", 32),
        ("{'a': 1}['a'] == self.port", 33),
    ],
)
def test_a_rules_estimate_is_kube_apiservers(rule: str, cost: int) -> None:
    assert cel_cost.estimate(rule, NODE) == cost


@pytest.mark.parametrize(
    "rule",
    [
        "url(self.free).getHost() == 'x'",  # kube: 314577 (getHost's size unknown, taken as 0 here)
        "int(self.ratio) == 1 && string(self.port) == '1'",  # kube: 8
        "sets.contains(self.tags, ['a'])",  # kube: 3.1x on K = 1076923
    ],
)
def test_what_the_estimator_does_not_know_is_estimated_low(rule: str) -> None:
    known = {
        "url(self.free).getHost() == 'x'": 314577,
        "int(self.ratio) == 1 && string(self.port) == '1'": 8,
        "sets.contains(self.tags, ['a'])": 31,
    }
    assert cel_cost.estimate(rule, NODE) <= known[rule]


def _crd(properties: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "properties": {"spec": {"type": "object", "properties": properties}}}
    return {
        "metadata": {"name": "costlies.apidiff.example.com"},
        "spec": {
            "group": "apidiff.example.com",
            "names": {"plural": "costlies", "kind": "Costly"},
            "scope": "Namespaced",
            "versions": [
                {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}
            ],
        },
    }


def _rules(*rules: dict[str, str]) -> dict[str, Any]:
    return {"x-kubernetes-validations": list(rules)}


ALL_LOWER = {"rule": "self.all(x, x.matches('^[a-z]+$'))"}
AT = "spec.validation.openAPIV3Schema.properties[spec]"
HINT = (
    " (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and"
    " strings are declared)"
)
CONTRIBUTED = (
    "Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema"
)
TOTAL = (
    "Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget"
)


def _messages(crd: dict[str, Any]) -> set[str]:
    return {e.message() for e in crds.validate(crd)}


def test_a_list_rule_without_max_items_is_refused_with_the_schemas_total() -> None:
    crd = _crd({"items": {"type": "array", "items": {"type": "string"}, **_rules(ALL_LOWER)}})
    rule = f"{AT}.properties[items].x-kubernetes-validations[0].rule"
    assert _messages(crd) == {
        f"spec.validation.openAPIV3Schema: {TOTAL} by factor of more than 100x{HINT}",
        f"{rule}: Forbidden: estimated rule cost exceeds budget by factor of more than 100x{HINT}",
        f"{rule}: {CONTRIBUTED}",
    }


def test_maxitems_and_maxlength_bring_the_rule_within_budget() -> None:
    bounded = {"type": "array", "maxItems": 100, "items": {"type": "string", "maxLength": 63}}
    assert _messages(_crd({"items": {**bounded, **_rules(ALL_LOWER)}})) == set()
    unbounded_strings = {"type": "array", "maxItems": 20, "items": {"type": "string"}}
    assert _messages(_crd({"items": {**unbounded_strings, **_rules(ALL_LOWER)}})) == {
        f"{AT}.properties[items].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds "
        f"budget by factor of 1.258300x{HINT}"
    }


def test_a_string_rule_is_multiplied_by_its_enclosing_lists() -> None:
    rule = {"rule": "self.startsWith('a') && self.contains('bc') && size(self) < 5"}
    names = {"type": "array", "maxItems": 100, "items": {"type": "string", **_rules(rule)}}
    assert _messages(_crd({"names": names})) == {
        f"{AT}.properties[names].items.x-kubernetes-validations[0].rule: Forbidden: estimated rule cost "
        f"exceeds budget by factor of 3.1x{HINT}"
    }
    nested = {
        "type": "array",
        "maxItems": 10,
        "items": {"type": "array", "maxItems": 10, "items": {**S64, **_rules(ALL_LOWER)}},
    }
    assert _messages(_crd({"groups": nested})) == set()


def test_a_message_expression_is_held_to_the_budget_once() -> None:
    text = "'name ' + self + ' is too long: ' + self.lowerAscii() + self.upperAscii()" + " + self" * 29
    name = {"type": "string", **_rules({"rule": "self.size() < 10", "messageExpression": text})}
    where = f"{AT}.properties[name].x-kubernetes-validations[0].messageExpression"
    assert _messages(_crd({"name": name})) == {
        f"spec.validation.openAPIV3Schema: {TOTAL} by factor of 1.7x{HINT}",
        f"{where}: Forbidden: estimated messageExpression cost exceeds budget by factor of 16.7x{HINT}",
        f"{where}: {CONTRIBUTED}",
    }


def test_rules_within_budget_that_add_up_past_the_schemas_name_the_four_dearest() -> None:
    slugs = _rules({"rule": "self.all(x, x.matches('^[a-z]+[0-9]*$'))"})
    props = {
        p: {"type": "array", "maxItems": n, "items": {"type": "string"}, **slugs}
        for p, n in zip("abcd", (7, 6, 5, 4), strict=True)
    }
    props |= {
        f"e{i:02}": {"type": "array", "maxItems": 3, "items": {"type": "string"}, **slugs} for i in range(20)
    }
    assert _messages(_crd(props)) == {
        f"spec.validation.openAPIV3Schema: {TOTAL} by factor of 1.031803x{HINT}",
        *(f"{AT}.properties[{p}].x-kubernetes-validations[0].rule: {CONTRIBUTED}" for p in "abcd"),
    }


def test_versions_with_different_schemas_are_reported_each_at_its_own_path() -> None:
    crd = _crd({"items": {"type": "array", "maxItems": 20, "items": {"type": "string"}, **_rules(ALL_LOWER)}})
    other = {
        **crd["spec"]["versions"][0],
        "name": "v2",
        "storage": False,
        "schema": {"openAPIV3Schema": {"type": "object"}},
    }
    crd["spec"]["versions"].append(other)
    assert [e.path for e in crds.validate(crd)] == [
        "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[items].x-kubernetes-validations[0].rule"
    ]


@pytest.mark.parametrize(
    "name", ["ray.io_rayclusters.yaml", "ray.io_rayjobs.yaml", "ray.io_rayservices.yaml"]
)
def test_kuberays_crds_are_within_budget(name: str) -> None:
    assert crds.validate(yaml.safe_load((SHARED / "kuberay" / "crds" / name).read_text())) == []
