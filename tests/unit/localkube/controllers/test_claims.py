"""Which objects a controller adopts and releases (the ref managers' rules)."""

from __future__ import annotations

from typing import Any

from localkube.controllers.podutil import adoption_patch, claims, release_patch

OWNER = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-abc", "uid": "rs-1"}}
SELECTOR = {"matchLabels": {"app": "web"}}


def obj(
    name: str, labels: dict[str, str], controller: str | None = None, terminating: bool = False
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "uid": f"uid-{name}", "labels": labels}
    if controller:
        meta["ownerReferences"] = [{"kind": "ReplicaSet", "name": "x", "uid": controller, "controller": True}]
    if terminating:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta}


def names(objs: list[dict[str, Any]]) -> list[str]:
    return [o["metadata"]["name"] for o in objs]


def test_matching_orphans_are_adopted_and_nothing_else() -> None:
    candidates = [
        obj("orphan", {"app": "web"}),
        obj("other-app", {"app": "db"}),
        obj("someone-elses", {"app": "web"}, controller="rs-2"),
        obj("mine", {"app": "web"}, controller="rs-1"),
        obj("leaving", {"app": "web"}, terminating=True),
    ]
    adopt, release = claims(OWNER, candidates, SELECTOR)
    assert names(adopt) == ["orphan"] and release == []


def test_owned_objects_that_no_longer_match_are_released() -> None:
    adopt, release = claims(OWNER, [obj("relabelled", {"app": "debug"}, controller="rs-1")], SELECTOR)
    assert adopt == [] and names(release) == ["relabelled"]


def test_an_owner_being_deleted_adopts_nothing() -> None:
    deleting = {**OWNER, "metadata": {**OWNER["metadata"], "deletionTimestamp": "2026-01-01T00:00:00Z"}}
    assert claims(deleting, [obj("orphan", {"app": "web"})], SELECTOR) == ([], [])


def test_without_a_selector_nothing_is_claimed_or_released() -> None:
    candidates = [obj("orphan", {"app": "web"}), obj("mine", {"app": "web"}, controller="rs-1")]
    assert claims(OWNER, candidates, None) == ([], [])
    assert claims(OWNER, candidates, {}) == ([], [])


def test_patches_set_and_remove_the_controller_reference_pinned_to_the_uid() -> None:
    orphan = obj("orphan", {"app": "web"})
    patch = adoption_patch(OWNER, orphan)
    assert patch["metadata"]["uid"] == "uid-orphan"
    (ref,) = patch["metadata"]["ownerReferences"]
    assert (ref["uid"], ref["controller"], ref["blockOwnerDeletion"]) == ("rs-1", True, True)
    owned = obj("mine", {"app": "x"}, controller="rs-1")
    assert release_patch(OWNER, owned)["metadata"]["ownerReferences"] is None
