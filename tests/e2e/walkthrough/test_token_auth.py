"""authOptions.mode token with real Ray: the operator creates the token Secret, Ray's dashboard
refuses a request without the token and answers one with it, and the autoscaler sidecar, which
needs the token to reach the GCS, still scales a worker up."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from support.walkthrough import (
    FAST_AUTOSCALER_ENV,
    Stack,
    apply_docs,
    exec_in_head,
    load_sample,
    localkube_with_node,
    pods,
    raycluster_of,
    running,
    wait_for,
    wait_head_ready,
    worker_pods,
)

NAME = "raycluster-mini"

# Runs in the head's Ray container: the dashboard's answer without and with the token.
PROBE = """
import os, urllib.request, urllib.error
def get(headers):
    request = urllib.request.Request("http://127.0.0.1:8265/api/version", headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=10).status
    except urllib.error.HTTPError as err:
        return err.code
print("without", get({}))
print("with", get({"Authorization": "Bearer " + os.environ["RAY_AUTH_TOKEN"]}))
"""

# A detached actor only a worker of group `small` can hold: the autoscaler must add one.
NEEDS_WORKER = """
import ray
ray.init()
@ray.remote(resources={"small": 1})
class Holder:
    def ping(self):
        return "pong"
h = Holder.options(name="holder", lifetime="detached").remote()
print(ray.get(h.ping.remote(), timeout=240))
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with localkube_with_node(tmp_path_factory.mktemp("token-auth")) as s:
        yield s


def _token_cluster() -> list[dict[str, object]]:
    docs = copy.deepcopy(load_sample("ray-cluster.mini.yaml"))
    cluster = raycluster_of(docs)
    spec = cluster["spec"]
    spec["authOptions"] = {"mode": "token"}
    spec["enableInTreeAutoscaling"] = True
    spec["autoscalerOptions"] = {"idleTimeoutSeconds": 10, "env": list(FAST_AUTOSCALER_ENV)}
    head = spec["headGroupSpec"]["template"]["spec"]["containers"][0]
    worker = copy.deepcopy(head)
    worker["name"] = "ray-worker"
    worker.pop("ports", None)
    spec["workerGroupSpecs"] = [
        {
            "groupName": "small",
            "replicas": 0,
            "minReplicas": 0,
            "maxReplicas": 1,
            "rayStartParams": {"resources": '"{\\"small\\": 1}"'},
            "template": {"spec": {"containers": [worker]}},
        }
    ]
    return docs


def test_token_auth_end_to_end(stack: Stack) -> None:
    kubectl = stack.kubectl
    apply_docs(kubectl, _token_cluster())
    try:
        secret = kubectl.ok("get", "secret", NAME, "-o", "jsonpath={.data.auth_token}")
        assert secret.strip(), "the operator made no token Secret"
        head = wait_head_ready(kubectl, NAME)

        answers = dict(
            line.split() for line in exec_in_head(kubectl, head, "python", "-c", PROBE).splitlines()[-2:]
        )
        assert answers["without"] in ("401", "403"), answers
        assert answers["with"] == "200", answers

        assert exec_in_head(kubectl, head, "python", "-c", NEEDS_WORKER).strip().splitlines()[-1] == "pong"
        assert len(running(worker_pods(kubectl, NAME))) == 1
    finally:
        kubectl.ok("delete", "raycluster", NAME, "--ignore-not-found")
        wait_for("the cluster's pods to go", lambda: pods(kubectl, f"ray.io/cluster={NAME}") == [], 180)
