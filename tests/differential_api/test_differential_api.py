"""One recorded set of requests (requests.yaml) sent to localkube and to the real kube-apiserver
v1.37.2 in the same run; their answers, normalised (uids, timestamps, resourceVersions), must be
equal, except where docs/api-differences.yaml lists the request with the reason we differ."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from localkube.testing import running_apiserver, running_kubernetes
from support.apidiff import Player, Server, compare, load_steps
from support.paths import REPO, SHARED
from support.recorded import kuberay_protobuf

REQUESTS = Path(__file__).with_name("requests.yaml")
KNOWN = REPO / "docs" / "api-differences.yaml"


def _steps() -> list[dict[str, Any]]:
    steps = load_steps(REQUESTS)
    for step in steps:
        if "body_from" in step:
            step["body"] = yaml.safe_load((SHARED / step.pop("body_from")).read_text())
        if "body_recorded" in step:
            step["body"] = kuberay_protobuf(step.pop("body_recorded"))[0]
    return steps


@pytest.fixture
def fresh_plane(tmp_path_factory: pytest.TempPathFactory, kubernetes_binaries: Path) -> Iterator[Any]:
    """A control plane of this test's own: its answers (discovery lists every CRD the plane has
    served, a watch's 410 depends on the history it keeps) must not depend on the tests before."""
    # The DeviceTaintRule eviction controller writes a new rule's status a moment after its
    # create, racing the recorded status patch (its managedFields entry sometimes there, sometimes
    # not); localkube has no such controller, and the step is about the status subresource.
    with running_kubernetes(
        tmp_path_factory.mktemp("apidiff"),
        kubernetes_binaries,
        disabled_controllers=("device-taint-eviction-controller",),
    ) as plane:
        yield plane


def test_localkube_answers_as_kube_apiserver_does(tmp_path: Path, fresh_plane: Any) -> None:
    kubernetes_plane = fresh_plane
    steps = _steps()
    with running_apiserver(tmp_path / "localkube") as server:
        ours = Player(Server(server.url, server.ca_cert_path, server.admin_token)).play(steps)
    since = kubernetes_plane.snapshot()
    try:
        theirs = Player(
            Server(kubernetes_plane.url, kubernetes_plane.ca_cert_path, kubernetes_plane.admin_token)
        ).play(steps)
    finally:
        kubernetes_plane.reset(since)

    dump = os.environ.get("APIDIFF_DUMP")
    if dump:  # both servers' raw answers, for reading a difference whole
        Path(dump).write_text(json.dumps({"localkube": ours, "kubernetes": theirs}, indent=1, default=str))
    known: dict[str, str] = yaml.safe_load(KNOWN.read_text()) or {}
    compared = dict(compare(ours, theirs))
    unlisted = {name: diff for name, diff in compared.items() if diff and name not in known}
    stale = sorted(name for name in known if not compared.get(name))
    differing = sum(1 for diff in compared.values() if diff)
    print(f"{len(compared)} requests compared, {differing} differ")
    for name, diff in compared.items():  # shown with -s: what each listed difference is today
        if diff:
            print(f"{name}:\n  " + "\n  ".join(line[:300] for line in diff[:8]))
    report = "\n".join(f"{name}:\n  " + "\n  ".join(diff[:12]) for name, diff in unlisted.items())
    assert not unlisted, f"answers differ from kube-apiserver's (fix localkube or list in {KNOWN}):\n{report}"
    assert not stale, f"listed in {KNOWN} but now equal (remove them): {stale}"
