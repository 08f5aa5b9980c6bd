"""The RayJob controller against localkube's API server (no kubelet): the test plays the kubelet
(pod status) and the Job controller (submitter Job conditions), as envtest-based KubeRay tests do.
The head's pod IP is 127.0.0.1 with no dashboard listening, so every request stays on loopback."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml

from kuberay.api.crd import render_crd
from support.kuberay import Kube
from support.operator import OperatorProcess
from support.paths import KUBERAY_SAMPLES, SHARED
from support.waiting import wait_for

RAYJOB_CRD = SHARED / "kuberay" / "crds" / "ray.io_rayjobs.yaml"


@pytest.fixture(params=["ours", "kuberay"])
def rayjob_operator(
    request: pytest.FixtureRequest,
    kubeconfig: Path,
    tmp_path: Path,
    install_crd: Callable[[dict[str, Any]], None],
) -> Iterator[OperatorProcess]:
    """Our RayCluster CRD, then our RayJob CRD or KubeRay's, and the operator."""
    install_crd(render_crd())
    install_crd(render_crd("rayjob") if request.param == "ours" else yaml.safe_load(RAYJOB_CRD.read_text()))
    with OperatorProcess(kubeconfig, tmp_path / "operator.log").running(log_tail=6000) as op:
        yield op


class Jobs:
    def __init__(self, client: kubernetes.client.ApiClient) -> None:
        self.custom = kubernetes.client.CustomObjectsApi(client)
        self.batch = kubernetes.client.BatchV1Api(client)
        self.core = kubernetes.client.CoreV1Api(client)

    def create(self, obj: dict[str, Any]) -> None:
        self.custom.create_namespaced_custom_object("ray.io", "v1", "default", "rayjobs", obj)

    def get(self, name: str) -> dict[str, Any] | None:
        try:
            return self.custom.get_namespaced_custom_object("ray.io", "v1", "default", "rayjobs", name)  # type: ignore[no-any-return]
        except kubernetes.client.ApiException as err:
            if err.status == 404:
                return None
            raise

    def status(self, name: str) -> dict[str, Any]:
        return (self.get(name) or {}).get("status") or {}

    def wait(self, name: str, deployment: str, timeout: float = 30) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            st = self.status(name)
            return st if st.get("jobDeploymentStatus") == deployment else None

        try:
            return wait_for(f"{name} to be {deployment}", check, timeout)  # type: ignore[no-any-return]
        except AssertionError:
            print(yaml.safe_dump(self.get(name)))
            raise

    def events(self, name: str) -> list[tuple[str, str, str]]:
        return [
            (e.type, e.reason, e.message)
            for e in self.core.list_namespaced_event("default").items
            if e.involved_object.kind == "RayJob" and e.involved_object.name == name
        ]


@pytest.fixture
def jobs(k8s: kubernetes.client.ApiClient) -> Jobs:
    return Jobs(k8s)


def sample_job(name: str = "ray-job.sample.yaml") -> dict[str, Any]:
    (doc,) = [
        d for d in yaml.safe_load_all((KUBERAY_SAMPLES / name).read_text()) if d and d["kind"] == "RayJob"
    ]
    return copy.deepcopy(doc)


@pytest.mark.localkube_only(
    reason="the test plays the Job controller; on a real control plane kube-controller-manager owns the Job"
)
def test_k8s_job_mode_creates_cluster_then_kuberays_submitter_job(
    rayjob_operator: OperatorProcess, jobs: Jobs, kube: Kube
) -> None:
    jobs.create(sample_job())
    st = jobs.wait("rayjob-sample", "Initializing")
    cluster_name = st["rayClusterName"]
    assert cluster_name.startswith("rayjob-sample-") and st["jobId"].startswith("rayjob-sample-")
    assert "ray.io/rayjob-finalizer" in (jobs.get("rayjob-sample") or {})["metadata"]["finalizers"]
    cluster = wait_for(
        "the RayCluster",
        lambda: kube.custom.list_namespaced_custom_object("ray.io", "v1", "default", "rayclusters")["items"],
    )[0]
    assert cluster["metadata"]["name"] == cluster_name
    assert cluster["metadata"]["labels"]["ray.io/originated-from-crd"] == "RayJob"
    assert cluster["metadata"]["ownerReferences"][0]["kind"] == "RayJob"

    # play the kubelet: the head runs (on loopback), the workers too
    wait_for("the cluster's pods", lambda: len(kube.pods(cluster_name)) == 2)
    for pod in kube.pods(cluster_name):
        kube.run_pod(pod, "127.0.0.1")
    st = jobs.wait("rayjob-sample", "Running")
    assert st["dashboardURL"] == f"{cluster_name}-head-svc.default.svc.cluster.local:8265"
    submitter = jobs.batch.read_namespaced_job("rayjob-sample", "default")
    assert submitter.spec.backoff_limit == 2
    assert submitter.metadata.owner_references[0].kind == "RayJob"
    container = submitter.spec.template.spec.containers[0]
    assert container.name == "ray-job-submitter" and container.command == ["/bin/bash", "-ce", "--"]
    assert f"--submission-id {st['jobId']}" in container.args[0]
    reasons = {reason for _, reason, _ in jobs.events("rayjob-sample")}
    assert {"CreatedRayCluster", "CreatedRayJobSubmitter"} <= reasons
    svc = jobs.core.read_namespaced_service("rayjob-sample-head-svc", "default")
    assert svc.spec.selector["ray.io/cluster"] == cluster_name

    # no dashboard answers on 127.0.0.1:8265: the failing checks are recorded, not a crash
    wait_for(
        "the failed status check to be noted",
        lambda: jobs.status("rayjob-sample").get("jobStatusCheckFailureStartTime"),
    )

    # play the Job controller: the submitter gave up
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    condition = {
        "type": "Failed",
        "status": "True",
        "reason": "BackoffLimitExceeded",
        "message": "Job has reached the specified backoff limit",
        "lastTransitionTime": now,
        "lastProbeTime": now,
    }
    jobs.batch.patch_namespaced_job_status(
        "rayjob-sample", "default", {"status": {"conditions": [condition], "failed": 3}}
    )
    st = jobs.wait("rayjob-sample", "Failed")
    assert st["reason"] == "SubmissionFailed" and st["failed"] == 1
    assert "Reason: BackoffLimitExceeded" in st["message"] and st["endTime"]

    # final: deleting it goes through (finalizer released) and its cluster is collected
    jobs.custom.delete_namespaced_custom_object("ray.io", "v1", "default", "rayjobs", "rayjob-sample")
    wait_for("the RayJob to go", lambda: jobs.get("rayjob-sample") is None)


def test_bad_input_is_reported_on_the_rayjob_and_does_not_stall_others(
    rayjob_operator: OperatorProcess, jobs: Jobs
) -> None:
    bad = sample_job()
    bad["metadata"]["name"] = "both"
    bad["spec"]["clusterSelector"] = {"ray.io/cluster": "elsewhere"}
    jobs.create(bad)
    odd = sample_job()
    odd["metadata"]["name"] = "odd-mode"
    odd["spec"]["submissionMode"] = "CarrierPigeon"
    jobs.create(odd)

    st = jobs.wait("both", "ValidationFailed")
    assert st["reason"] == "ValidationFailed" and "spec.clusterSelector" in st["message"]
    warnings = [(t, r, m) for t, r, m in jobs.events("both") if t == "Warning"]
    assert (
        warnings
        and warnings[0][1] == "InvalidRayJobSpec"
        and "default/both: spec.clusterSelector" in warnings[0][2]
    )
    assert "spec.submissionMode" in jobs.wait("odd-mode", "ValidationFailed")["message"]

    before = rayjob_operator.writes()
    time.sleep(3)
    assert rayjob_operator.writes() == before, "a reported problem is not written again and again"

    good = sample_job()
    good["metadata"]["name"] = "good"
    jobs.create(good)
    jobs.wait("good", "Initializing")
    assert "Traceback" not in rayjob_operator.log()
