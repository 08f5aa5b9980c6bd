"""The demo's pure parts, without a cluster: pre-flight messages, the sample it applies, Ray's
status as the dashboard serves it, the pod rows it shows and the picture it writes. (They live
beside the demo's e2e tests; they need no root and run in a second.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console

from kuberay.demo.plot import marker, write_png
from kuberay.demo.preflight import problems
from kuberay.demo.processes import pod_netns_name, ray_processes_of
from kuberay.demo.raystatus import describe_demand, parse_cluster_status
from kuberay.demo.timeline import Sample, Timeline
from kuberay.demo.view import Screen, pod_row, render
from kuberay.demo.walkthrough import prepare_sample
from support.paths import OUR_SAMPLES

SAMPLE = OUR_SAMPLES / "ray-cluster.autoscaler.yaml"


def test_preflight_names_the_fix_for_each_missing_piece() -> None:
    found = problems(
        1000, lambda tool: None if tool == "nsenter" else f"/usr/bin/{tool}", lambda m: m != "ray", True
    )
    assert len(found) == 3
    assert "needs root" in found[0] and "sudo" in found[0]
    assert "nsenter" in found[1] and "util-linux" in found[1]
    assert "Ray" in found[2] and "pip install -e '.[ray]'" in found[2]
    assert problems(0, lambda tool: f"/usr/bin/{tool}", lambda m: True, True) == []


def test_the_demo_applies_the_sample_with_its_idle_timeout() -> None:
    docs = prepare_sample(SAMPLE.read_text(), 20)
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == ["ConfigMap", "RayCluster"]
    cluster = next(d for d in docs if d["kind"] == "RayCluster")
    assert cluster["spec"]["autoscalerOptions"]["idleTimeoutSeconds"] == 20
    assert cluster["spec"]["autoscalerOptions"]["version"] == "v1"


DASHBOARD = {
    "result": True,
    "data": {
        "autoscalingError": None,
        "clusterStatus": {
            "autoscalerReport": {
                "activeNodes": {"headgroup": 1, "small-group": 1},
                "idleNodes": None,
                "pendingNodes": [["10.244.0.9", "small-group", "waiting-for-ssh"]],
                "pendingLaunches": {"small-group": 1},
            },
            "loadMetricsReport": {
                "resourceDemand": [[{"CPU": 1.0}, 2]],
                "pgDemand": [[{"CPU": 1.0, "GPU": 0.0}, 1]],
                "requestDemand": [],
            },
        },
    },
}


def test_pending_demand_counts_waiting_tasks_actors_and_placement_groups() -> None:
    view = parse_cluster_status(DASHBOARD)
    assert view.active == {"headgroup": 1, "small-group": 1}
    assert view.pending_nodes == 2
    assert view.pending_cpus == 3.0
    assert describe_demand(view) == "{CPU: 1} x2, {CPU: 1, GPU: 0} x1"


def test_no_status_yet_is_no_demand() -> None:
    view = parse_cluster_status({"data": {"clusterStatus": None}})
    assert view.pending_cpus == 0 and view.active == {}
    assert describe_demand(view) == "(no resource demands)"


def test_pod_rows_read_like_kubectl_get_pods() -> None:
    now = dt.datetime(2026, 1, 1, 0, 3, 27, tzinfo=dt.UTC)
    pod = {
        "metadata": {"name": "raycluster-autoscaler-head-abcde", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"containers": [{"name": "ray-head"}, {"name": "autoscaler"}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [{"ready": True, "restartCount": 0}, {"ready": True, "restartCount": 1}],
        },
    }
    assert pod_row(pod, now) == ("raycluster-autoscaler-head-abcde", "2/2", "Running", "1", "3m27s")
    pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:03:00Z"
    assert pod_row(pod, now)[2] == "Terminating"


def test_the_screen_shows_pods_demand_and_steps() -> None:
    timeline = Timeline()
    step = timeline.begin("python3 detached_actor.py actor1", 1.0)
    timeline.end(step, 3.5)
    screen = Screen(
        "demo", "idleTimeoutSeconds is 20s here", ray=parse_cluster_status(DASHBOARD), timeline=timeline
    )
    console = Console(width=160, record=True)
    console.print(render(screen, 10.0, dt.datetime.now(dt.UTC)))
    text = console.export_text()
    assert "python3 detached_actor.py actor1" in text and "2.5s" in text
    assert "{CPU: 1} x2" in text
    assert "(none yet)" in text


def test_the_picture_is_a_png(tmp_path: Path) -> None:
    timeline = Timeline(
        [Sample(0, 0, 0, None), Sample(5, 0, 1, 1.0), Sample(30, 1, 1, 0.0), Sample(60, 0, 0, 0.0)]
    )
    timeline.begin("python3 detached_actor.py actor1", 4.0)
    timeline.begin("python3 terminate_detached_actor.py actor1", 35.0)
    assert [marker(s.title) for s in timeline.steps] == ["actor1 created", "actor1 terminated"]
    assert marker("ray status") is None
    path = write_png(timeline, tmp_path / "out" / "kuberay-demo.png", 20)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_only_the_demos_own_ray_processes_count_as_left_behind(tmp_path: Path) -> None:
    def process(pid: int, name: str, hostname: str, state: str = "S") -> None:
        d = tmp_path / str(pid)
        d.mkdir()
        (d / "stat").write_text(f"{pid} ({name}) {state} 1 2 3")
        (d / "environ").write_bytes(f"PATH=/bin\0HOSTNAME={hostname}\0".encode())

    process(10, "raylet", "raycluster-autoscaler-head-abcde")
    process(11, "raylet", "someone-elses-pod")
    process(12, "gcs_server", "raycluster-autoscaler-head-abcde", state="Z")
    process(13, "python3", "raycluster-autoscaler-head-abcde")
    assert ray_processes_of({"raycluster-autoscaler-head-abcde"}, tmp_path) == ["raylet[10]"]
    assert pod_netns_name("e2d4a83d-32fb-4d18-8a1c-965c076a8750") == "lk-e2d4a83d32"
