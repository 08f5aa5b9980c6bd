"""The comparison itself (no operator needed): a difference docs/differences.md does not list is
reported, a listed one is not, and normalising hides only what the API server or chance decides."""

from __future__ import annotations

from support.differential import children, differences, explained, load_known, unexplained


def _pod(namespace: str, suffix: str, env: str) -> dict[str, object]:
    return {
        "kind": "Pod",
        "metadata": {
            "name": f"c-head-{suffix}",
            "generateName": "c-head-",
            "namespace": namespace,
            "uid": suffix,
            "labels": {"ray.io/cluster": "c", "pod-template-hash": suffix},
        },
        "spec": {
            "containers": [
                {
                    "name": "ray-head",
                    "env": [{"name": "RAY_ADDRESS", "value": f"c-head-svc.{namespace}.svc:6379"}],
                },
                {"name": "sidecar", "env": [{"name": "X", "value": env}]},
            ]
        },
    }


def test_names_uids_hashes_and_namespaces_do_not_count() -> None:
    a = children([_pod("ns-a", "abcde", "1")], "ns-a")
    b = children([_pod("ns-b", "xyz12", "1")], "ns-b")
    assert differences(a, b) == []


def test_a_changed_field_is_a_difference_until_listed() -> None:
    a = children([_pod("ns-a", "abcde", "1")], "ns-a")
    b = children([_pod("ns-b", "xyz12", "2")], "ns-b")
    found = differences(a, b)
    assert [d.path for d in found] == ["Pod/c-head-*.spec.containers[sidecar].env[X].value"]
    assert unexplained(found, {}) == found
    assert unexplained(found, {"Pod/c-head-*.spec.containers[sidecar].env[X].*": "why"}) == []


def test_every_listed_difference_has_a_reason() -> None:
    known = load_known()
    assert known, "docs/differences.md lists no differences: has its section been renamed?"
    for pattern, why in known.items():
        assert len(why.split()) >= 4, f"{pattern}: say why we differ"
    assert explained("nothing.like.this", known) is None
