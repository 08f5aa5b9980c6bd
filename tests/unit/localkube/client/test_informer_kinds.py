"""localkube's informers give listed items their kind, as client-go's decoder does: kube-apiserver
(and localkube) name the kind once on a built-in kind's list, and controllers build owner
references from it."""

from __future__ import annotations

from localkube.client.informer import with_kind


def test_a_built_in_lists_items_get_the_lists_kind() -> None:
    typed = with_kind({"kind": "DeploymentList", "apiVersion": "apps/v1", "items": []})
    assert typed({"metadata": {"name": "web"}}) == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
    }


def test_items_that_name_their_kind_keep_it() -> None:
    typed = with_kind({"kind": "RayClusterList", "apiVersion": "ray.io/v1", "items": []})
    item = {"apiVersion": "ray.io/v1alpha1", "kind": "RayCluster", "metadata": {"name": "old"}}
    assert typed(item) is item
