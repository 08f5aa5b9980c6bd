"""Label and field selectors select what `kubectl get -l/--field-selector` selects on a real cluster."""

from __future__ import annotations

from typing import Any

import pytest

from localkube.apiserver.selectors import (
    SelectorError,
    label_selector_from_dict,
    matches_selector_map,
    parse_field_selector,
    parse_label_selector,
)

LABELS = {"app": "ray", "tier": "head", "ray.io/cluster": "demo", "count": "3"}


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("", LABELS, True),
        ("app=ray", LABELS, True),
        ("app==ray", LABELS, True),
        ("app=web", LABELS, False),
        ("app!=web", LABELS, True),
        ("app!=ray", LABELS, False),
        ("missing!=x", LABELS, True),  # a missing label satisfies !=
        ("tier in (head,worker)", LABELS, True),
        ("tier in (worker)", LABELS, False),
        ("missing in (x)", LABELS, False),  # `in` needs the label
        ("tier notin (worker)", LABELS, True),
        ("tier notin (head)", LABELS, False),
        ("missing notin (x)", LABELS, True),  # a missing label satisfies notin
        ("app", LABELS, True),
        ("missing", LABELS, False),
        ("!missing", LABELS, True),
        ("!app", LABELS, False),
        ("app=ray,tier=head", LABELS, True),
        ("app=ray,tier=worker", LABELS, False),
        ("  app = ray ,  tier  in ( head , worker ) ", LABELS, True),
        ("ray.io/cluster=demo", LABELS, True),
        ("count>2", LABELS, True),
        ("count<3", LABELS, False),
        ("app=", {"app": ""}, True),
        ("app=", LABELS, False),
        ("app in (ray,)", {"app": ""}, True),
        ("app", {}, False),
        ("!app", {}, True),
    ],
)
def test_label_selector_matches_like_kubernetes(
    selector: str, labels: dict[str, str], expected: bool
) -> None:
    assert parse_label_selector(selector).matches(labels) is expected


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("app=ray,", "expected: identifier after ','"),
        ("app in ray", "expected:'('"),
        ("app in ()", "values set can't be empty"),
        ("app in (a", "expected: ',', ')' or identifier"),
        ("!", "expected: identifier after '!'"),
        ("app ray", "expected: '=', '!=', '==', 'in', notin'"),
        ("=ray", "expected: !, identifier, or 'end of string'"),
        ("-app=x", 'invalid label key "-app"'),
        ("a/b/c=x", 'invalid label key "a/b/c"'),
        ("app=-bad-", 'invalid label value: "-bad-": at key: "app"'),
        ("app=" + "x" * 64, "must be no more than 63 characters"),
        ("count>x", "must be an integer"),
    ],
)
def test_bad_label_selectors_raise_kubernetes_messages(selector: str, message: str) -> None:
    with pytest.raises(SelectorError) as err:
        parse_label_selector(selector)
    assert message in str(err.value)


def test_empty_label_selector_is_empty_and_selects_everything() -> None:
    sel = parse_label_selector("")
    assert sel.empty
    assert sel.matches({}) and sel.matches(LABELS)
    assert not parse_label_selector("a=b").empty


@pytest.mark.parametrize(
    ("sel", "labels", "expected"),
    [
        ({}, LABELS, True),
        ({"matchLabels": {"app": "ray"}}, LABELS, True),
        ({"matchLabels": {"app": "web"}}, LABELS, False),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["head"]}]}, LABELS, True),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["head"]}]}, LABELS, False),
        ({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}, LABELS, False),
        ({"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]}, LABELS, True),
        (
            {
                "matchLabels": {"app": "ray"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["worker"]}],
            },
            LABELS,
            False,
        ),
    ],
)
def test_metav1_label_selector(sel: dict[str, Any], labels: dict[str, str], expected: bool) -> None:
    assert label_selector_from_dict(sel).matches(labels) is expected


def test_nil_metav1_selector_selects_nothing() -> None:
    assert not label_selector_from_dict(None).matches(LABELS)
    assert not label_selector_from_dict(None).empty


@pytest.mark.parametrize(
    ("sel", "message"),
    [
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}, "values set can't be empty"),
        ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}, "must be empty"),
        ({"matchExpressions": [{"key": "a", "operator": "Like"}]}, '"Like" is not a valid label selector'),
        ({"matchLabels": {"bad key": "x"}}, 'invalid label key "bad key"'),
    ],
)
def test_bad_metav1_selector(sel: dict[str, Any], message: str) -> None:
    with pytest.raises(SelectorError) as err:
        label_selector_from_dict(sel)
    assert message in str(err.value)


def test_service_selector_map() -> None:
    assert matches_selector_map({"app": "ray"}, LABELS)
    assert not matches_selector_map({"app": "ray", "tier": "worker"}, LABELS)
    assert not matches_selector_map({"app": "ray"}, None)
    # A Service without a selector has no endpoints chosen for it.
    assert not matches_selector_map({}, LABELS)
    assert not matches_selector_map(None, LABELS)


POD_FIELDS = ("metadata.name", "metadata.namespace", "spec.nodeName", "status.phase", "spec.hostNetwork")
POD: dict[str, Any] = {
    "metadata": {"name": "head-0", "namespace": "ray"},
    "spec": {"nodeName": "node-1", "hostNetwork": False},
    "status": {"phase": "Running"},
}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("", True),
        ("metadata.name=head-0", True),
        ("metadata.name==head-0", True),
        ("metadata.name!=head-0", False),
        ("status.phase=Running,spec.nodeName=node-1", True),
        ("status.phase=Running,spec.nodeName=node-2", False),
        ("status.phase!=Succeeded,status.phase!=Failed", True),
        ("spec.nodeName=", False),
        ("spec.hostNetwork=false", True),
        ("metadata.namespace=ray", True),
        (" metadata.name = head-0 ", True),
    ],
)
def test_field_selector_matches(selector: str, expected: bool) -> None:
    assert parse_field_selector(selector, POD_FIELDS).matches(POD) is expected


def test_unscheduled_pod_has_empty_node_name() -> None:
    pending = {"metadata": {"name": "p"}, "spec": {}, "status": {"phase": "Pending"}}
    assert parse_field_selector("spec.nodeName=", POD_FIELDS).matches(pending)
    assert not parse_field_selector("spec.nodeName!=", POD_FIELDS).matches(pending)


def test_field_selector_escapes_in_values() -> None:
    obj = {"metadata": {"name": "a,b=c"}}
    sel = parse_field_selector(r"metadata.name=a\,b\=c", POD_FIELDS)
    assert sel.matches(obj)
    assert sel.exact("metadata.name") == "a,b=c"


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("spec.restartPolicy=Always", "field label not supported: spec.restartPolicy"),
        ("metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
        (r"metadata.name=a\x", "invalid escape sequence"),
    ],
)
def test_bad_field_selectors(selector: str, message: str) -> None:
    with pytest.raises(SelectorError) as err:
        parse_field_selector(selector, POD_FIELDS)
    assert message in str(err.value)
