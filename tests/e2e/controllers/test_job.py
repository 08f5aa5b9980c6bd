"""batch/v1 Jobs on a real node: the Job controller beside the kubelet, pods as real processes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, config

from localkube.kubelet.testing import Cluster
from localkube.testing import running_controllers
from support.pods import wait_for


@pytest.fixture
def batch(cluster: Cluster) -> Iterator[Any]:
    api_client = config.new_client_from_config(config_file=str(cluster.kubeconfig))
    try:
        with running_controllers(cluster.url, cluster.kubeconfig):
            yield client.BatchV1Api(api_client)
    finally:
        api_client.close()


def _job(name: str, code: str, backoff_limit: int) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": backoff_limit,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {"name": "main", "image": "rayproject/ray:2.60.0", "command": ["python", "-c", code]}
                    ],
                }
            },
        },
    }


def _finished(batch: Any, name: str) -> Any:
    job = batch.read_namespaced_job(name, "default")
    for cond in (job.status and job.status.conditions) or []:
        if cond.type in ("Complete", "Failed") and cond.status == "True":
            return job
    return None


def test_a_job_runs_python_to_completion_and_a_failing_one_hits_its_backoff_limit(
    batch: Any, core: Any, kubectl: Any
) -> None:
    batch.create_namespaced_job("default", _job("sum", "print(sum(range(101)))", 6))
    batch.create_namespaced_job("default", _job("fail", "import sys; sys.exit(3)", 1))

    done = wait_for("sum finished", lambda: _finished(batch, "sum"), timeout=180)
    assert [c.type for c in done.status.conditions] == ["SuccessCriteriaMet", "Complete"]
    assert done.status.succeeded == 1 and done.status.completion_time is not None
    (pod,) = core.list_namespaced_pod("default", label_selector="job-name=sum").items
    assert pod.status.phase == "Succeeded"
    assert kubectl("logs", pod.metadata.name).stdout.strip() == "5050"
    assert "Complete" in kubectl("get", "job", "sum").stdout

    # two attempts: the first, then one retry after the 10 s back-off
    failed = wait_for("fail finished", lambda: _finished(batch, "fail"), timeout=240)
    reason = next(c.reason for c in failed.status.conditions if c.type == "Failed")
    assert reason == "BackoffLimitExceeded"
    assert failed.status.failed == 2 and not failed.status.succeeded
    pods = core.list_namespaced_pod("default", label_selector="job-name=fail").items
    assert [p.status.phase for p in pods] == ["Failed", "Failed"]
    codes = {p.status.container_statuses[0].state.terminated.exit_code for p in pods}
    assert codes == {3}
