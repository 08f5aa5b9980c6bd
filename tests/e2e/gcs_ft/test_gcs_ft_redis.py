"""GCS fault tolerance with a real Redis (Debian's redis-server, run as a localkube pod) and real
Ray: detached actors outlive their head, whether its processes die or the pod is deleted, and
the workers stay up through it. Redis asks for a username and a password, both from a Secret.
Deleting the cluster runs KubeRay's Redis cleanup Job (on localkube's Job controller), which
removes the cluster's storage namespace from Redis before the cluster goes.

One Ray cluster serves every test here (the machine has 2 cores): the tests run in file order."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from localkube.testing import running_controllers
from support.walkthrough import (
    Kubectl,
    Stack,
    actors,
    exec_in_head,
    localkube_with_node,
    pods,
    ready,
    wait_for,
    wait_head_ready,
)

CLUSTER = "raycluster-gcs-ft"
ACTORS = ("counter-a", "counter-b")

REDIS = """
apiVersion: v1
kind: Secret
metadata: {name: redis-credentials}
stringData: {username: ray-gcs, password: s3cret-for-gcs}
---
apiVersion: v1
kind: Service
metadata: {name: redis}
spec:
  selector: {app: redis}
  ports: [{name: redis, port: 6379, targetPort: 6379}]
---
apiVersion: v1
kind: Pod
metadata: {name: redis, labels: {app: redis}}
spec:
  containers:
  - name: redis
    image: redis:7.0.15  # a label here: the pod runs the host's redis-server
    env:
    - {name: REDIS_USERNAME, valueFrom: {secretKeyRef: {name: redis-credentials, key: username}}}
    - {name: REDIS_PASSWORD, valueFrom: {secretKeyRef: {name: redis-credentials, key: password}}}
    command: [sh, -c]
    args:
    - >-
      exec redis-server --port 6379 --bind 0.0.0.0 --save '' --appendonly no
      --user default off --user "$REDIS_USERNAME" on ">$REDIS_PASSWORD" '~*' '&*' '+@all'
    ports: [{containerPort: 6379}]
    readinessProbe:
      exec:
        command:
        - sh
        - -c
        - redis-cli --no-auth-warning --user "$REDIS_USERNAME" --pass "$REDIS_PASSWORD" ping | grep -q PONG
      periodSeconds: 2
"""


def credential(key: str) -> dict[str, Any]:
    return {"valueFrom": {"secretKeyRef": {"name": "redis-credentials", "key": key}}}


def ray_cluster() -> dict[str, Any]:
    def container(name: str) -> dict[str, Any]:
        return {
            "name": name,
            "image": "rayproject/ray:2.60.0",
            "resources": {
                "limits": {"cpu": "1", "memory": "2Gi"},
                "requests": {"cpu": "200m", "memory": "1Gi"},
            },
        }

    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": CLUSTER},
        "spec": {
            "rayVersion": "2.60.0",
            "gcsFaultToleranceOptions": {
                "redisAddress": "redis:6379",
                "redisUsername": credential("username"),
                "redisPassword": credential("password"),
            },
            "headGroupSpec": {
                # the actors go to the worker: the head's death is what they must survive
                "rayStartParams": {"num-cpus": "0"},
                "template": {"spec": {"containers": [container("ray-head")]}},
            },
            "workerGroupSpecs": [
                {
                    "groupName": "workers",
                    "replicas": 1,
                    "minReplicas": 1,
                    "maxReplicas": 1,
                    "rayStartParams": {"num-cpus": "2"},
                    "template": {"spec": {"containers": [container("ray-worker")]}},
                }
            ],
        },
    }


CREATE_ACTORS = f"""
import ray
ray.init(namespace="gcs-ft")

@ray.remote(num_cpus=0.5)
class Counter:
    def __init__(self):
        self.n = 0
    def add(self):
        self.n += 1
        return self.n

for name in {ACTORS!r}:
    counter = Counter.options(name=name, lifetime="detached").remote()
    print(name, ray.get(counter.add.remote()))
"""

CALL_ACTORS = f"""
import ray
ray.init(namespace="gcs-ft")
for name in {ACTORS!r}:
    print(name, ray.get(ray.get_actor(name).add.remote(), timeout=60))
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: apt-get install -y redis-server (.ci/run does)")
    with (
        localkube_with_node(tmp_path_factory.mktemp("gcs-ft")) as s,
        running_controllers(server_of(s.kubeconfig), s.kubeconfig),  # the Job controller, as `localkube up`
    ):
        kubectl = s.kubectl
        kubectl.ok("apply", "-f", "-", input=REDIS)
        kubectl.ok("wait", "--for=condition=Ready", "pod/redis", "--timeout=120s")
        kubectl.ok("apply", "-f", "-", input=yaml.safe_dump(ray_cluster()))
        try:
            yield s
        finally:
            kubectl.run("delete", "raycluster", CLUSTER, "--wait=false")
            wait_for("the Ray pods to go", lambda: pods(kubectl, f"ray.io/cluster={CLUSTER}") == [], 400, 2)
            kubectl.run("delete", "-f", "-", input=REDIS)


def server_of(kubeconfig: Path) -> str:
    return str(yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"])


def redis_keys(kubectl: Kubectl, storage_namespace: str) -> int:
    """Keys of this storage namespace in Redis, counted as the Redis user the GCS writes as."""
    out = kubectl.ok(
        "exec",
        "redis",
        "--",
        "sh",
        "-c",
        'redis-cli --no-auth-warning --user "$REDIS_USERNAME" --pass "$REDIS_PASSWORD" '
        f"--scan --pattern '*{storage_namespace}*' | wc -l",
    )
    return int(out.strip())


def workers(kubectl: Kubectl) -> dict[str, tuple[str, int]]:
    """Worker pod name -> (uid, restarts of its containers)."""
    out = {}
    for p in pods(kubectl, f"ray.io/cluster={CLUSTER},ray.io/node-type=worker"):
        restarts = sum(c.get("restartCount", 0) for c in p.get("status", {}).get("containerStatuses", []))
        out[p["metadata"]["name"]] = (p["metadata"]["uid"], restarts)
    return out


def all_ready(kubectl: Kubectl) -> str:
    head = wait_head_ready(kubectl, CLUSTER, timeout=600)
    wait_for(
        "the worker to be Ready",
        lambda: len(ready(pods(kubectl, f"ray.io/cluster={CLUSTER},ray.io/node-type=worker"))) == 1,
        600,
        2,
    )
    return head


def actors_answer(kubectl: Kubectl, head: str) -> None:
    out = exec_in_head(kubectl, head, "python", "-c", CALL_ACTORS)
    answered = {line.split()[0] for line in out.splitlines() if line.split() and line.split()[0] in ACTORS}
    assert answered == set(ACTORS), out
    states = wait_for(
        "the actors ALIVE in `ray list actors`",
        lambda: (lambda s: s if all(s.get(a) == "ALIVE" for a in ACTORS) else None)(actors(kubectl, head)),
        120,
        3,
    )
    assert all(states[a] == "ALIVE" for a in ACTORS)


def test_detached_actors_are_created_and_gcs_uses_redis(stack: Stack) -> None:
    kubectl = stack.kubectl
    head = all_ready(kubectl)
    out = exec_in_head(kubectl, head, "python", "-c", CREATE_ACTORS)
    assert "counter-a 1" in out and "counter-b 1" in out, out
    # the GCS writes to Redis under the cluster's storage namespace, as the user it was given
    keys = kubectl.ok(
        "exec",
        "redis",
        "--",
        "sh",
        "-c",
        'redis-cli --user "$REDIS_USERNAME" --pass "$REDIS_PASSWORD" --no-auth-warning dbsize',
    )
    assert int(keys.strip()) > 0, keys
    actors_answer(kubectl, head)


def test_killing_the_head_processes_keeps_workers_and_actors(stack: Stack) -> None:
    kubectl = stack.kubectl
    head = all_ready(kubectl)
    before = workers(kubectl)
    kubectl.run("exec", head, "-c", "ray-head", "--", "pkill", "-9", "gcs_server", timeout=60)
    # the container ends with its GCS and the kubelet starts it again: same pod, one restart more
    wait_for(
        "the head container to restart",
        lambda: any(
            c.get("restartCount", 0) > 0
            for p in pods(kubectl, f"ray.io/cluster={CLUSTER},ray.io/node-type=head")
            for c in p.get("status", {}).get("containerStatuses", [])
            if c["name"] == "ray-head"
        ),
        300,
        2,
    )
    head = all_ready(kubectl)
    actors_answer(kubectl, head)
    assert workers(kubectl) == before  # the same worker pods, not restarted


def test_deleting_the_head_pod_keeps_workers_and_actors(stack: Stack) -> None:
    kubectl = stack.kubectl
    old_head = all_ready(kubectl)
    before = workers(kubectl)
    kubectl.ok("delete", "pod", old_head, "--wait=false")
    head = wait_for(
        "a new head pod",
        lambda: (lambda h: h if h and h != old_head else None)(
            next(iter(pods(kubectl, f"ray.io/cluster={CLUSTER},ray.io/node-type=head")), {})
            .get("metadata", {})
            .get("name")
        ),
        300,
        2,
    )
    head = all_ready(kubectl)
    assert head != old_head
    actors_answer(kubectl, head)
    assert workers(kubectl) == before


def test_deleting_the_cluster_removes_its_storage_namespace_from_redis(stack: Stack) -> None:
    kubectl = stack.kubectl
    head = all_ready(kubectl)
    cluster = yaml.safe_load(kubectl.ok("get", "raycluster", CLUSTER, "-o", "yaml"))
    assert "ray.io/gcs-ft-redis-cleanup-finalizer" in cluster["metadata"]["finalizers"]
    pod = yaml.safe_load(kubectl.ok("get", "pod", head, "-o", "yaml"))
    storage_namespace = pod["metadata"]["annotations"]["ray.io/external-storage-namespace"]
    assert storage_namespace == cluster["metadata"]["uid"]
    assert redis_keys(kubectl, storage_namespace) > 0
    kubectl.ok("delete", "raycluster", CLUSTER, "--wait=false")
    wait_for(
        "the cluster to be gone after its cleanup Job",
        lambda: kubectl.run("get", "raycluster", CLUSTER).returncode != 0,
        400,
        2,
    )
    assert redis_keys(kubectl, storage_namespace) == 0
    events = kubectl.ok("get", "events", "--field-selector", f"involvedObject.name={CLUSTER}")
    assert "CreatedRedisCleanupJob" in events and "ForceDeletedStuckCluster" not in events
