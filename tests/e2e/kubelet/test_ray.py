"""Ray smoke test: a head pod running `ray start --head --block`, a worker pod joining it through a
Service name, and a driver (kubectl exec in the head) seeing both nodes and running a task on each."""

from __future__ import annotations

from typing import Any

from support.pods import RAY_HEAD, create, wait_for, wait_ready

SVC = """
kind: Service
apiVersion: v1
metadata: {name: ray-head-svc}
spec:
  selector: {ray.io/node-type: head}
  ports: [{name: gcs, port: 6379, targetPort: gcs}]
"""

WORKER = """
kind: Pod
apiVersion: v1
metadata: {name: ray-worker}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: ray-worker
    image: rayproject/ray:2.60.0
    command: [ray, start, --block, --address=ray-head-svc:6379, --num-cpus=1,
              --memory=1000000000, --object-store-memory=100000000]
"""

DRIVER = """
import ray, time
ray.init(address="auto")
deadline = time.time() + 60
while len([n for n in ray.nodes() if n["Alive"]]) < 2 and time.time() < deadline:
    time.sleep(0.5)
@ray.remote(num_cpus=1)
def where():
    time.sleep(1)
    return ray.util.get_node_ip_address()
print(sorted(set(ray.get([where.remote() for _ in range(4)]))))
"""


def test_ray_worker_pod_joins_head_pod_through_a_service(core: Any, kubectl: Any) -> None:
    create(core, SVC)
    create(core, RAY_HEAD)
    head = wait_ready(core, "ray-head", timeout=120)
    create(core, WORKER)
    worker = wait_ready(core, "ray-worker", timeout=60)

    def two_nodes() -> Any:
        r = kubectl("exec", "ray-head", "--", "python", "-c", DRIVER, timeout=120)
        return r if r.returncode == 0 and r.stdout.strip() else None

    r = wait_for("ray driver", two_nodes, timeout=180, interval=2)
    assert r.stdout.strip() == str(sorted({head.status.pod_ip, worker.status.pod_ip}))
