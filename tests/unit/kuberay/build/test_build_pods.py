"""The head and worker Pods built for KubeRay's samples and for each RayCluster field, compared
with what KubeRay builds for the same manifest."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kuberay.build import BuildOptions, build_head_pod, build_worker_pod


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def ray_args(pod: dict[str, Any]) -> str:
    args: list[str] = pod["spec"]["containers"][0]["args"]
    assert len(args) == 1
    return args[0]


def volume(pod: dict[str, Any], name: str) -> dict[str, Any]:
    return next(v for v in pod["spec"]["volumes"] if v["name"] == name)


# --- KubeRay's samples -------------------------------------------------------------------------


def test_sample_head_pod_is_kuberays(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    pod = build_head_pod(cluster)
    meta = pod["metadata"]
    assert meta["generateName"] == "raycluster-kuberay-head-"
    assert "name" not in meta
    assert meta["namespace"] == "default"
    assert meta["labels"] == {
        "ray.io/is-ray-node": "yes",
        "ray.io/cluster": "raycluster-kuberay",
        "ray.io/node-type": "head",
        "ray.io/group": "headgroup",
        "ray.io/identifier": "raycluster-kuberay-head",
        "app.kubernetes.io/name": "kuberay",
        "app.kubernetes.io/created-by": "kuberay-operator",
    }
    assert meta["annotations"]["ray.io/ft-enabled"] == "false"
    assert meta["annotations"]["ray.io/kuberay-version"] == "nightly"
    assert len(meta["annotations"]["ray.io/upgrade-strategy-recreate-hash"]) == 32
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "ray.io/v1",
            "kind": "RayCluster",
            "name": "raycluster-kuberay",
            "uid": cluster["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    ray = pod["spec"]["containers"][0]
    assert len(pod["spec"]["containers"]) == 1
    assert ray["command"] == ["/bin/bash", "-c", "--"]
    start = (
        "ray start --head  --block  --dashboard-agent-listen-port=52365  --dashboard-host=0.0.0.0 "
        " --memory=5368709120  --metrics-export-port=8080  --num-cpus=1 "
    )
    assert ray["args"] == ["ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; " + start]
    env = env_of(ray)
    assert env["KUBERAY_GEN_RAY_START_CMD"] == start
    assert env["RAY_ADDRESS"] == "127.0.0.1:6379"
    assert env["RAY_PORT"] == "6379"
    assert env["RAY_USAGE_STATS_KUBERAY_IN_USE"] == "1"
    assert env["RAY_USAGE_STATS_EXTRA_TAGS"] == "kuberay_version=nightly;kuberay_crd=RayCluster"
    assert env["RAY_DASHBOARD_ENABLE_K8S_DISK_USAGE"] == "1"
    assert env["RAY_CLUSTER_NAME"] == {"fieldRef": {"fieldPath": "metadata.labels['ray.io/cluster']"}}
    assert env["RAY_CLUSTER_NAMESPACE"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    assert env["RAY_CLOUD_INSTANCE_ID"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["RAY_NODE_TYPE_NAME"] == {"fieldRef": {"fieldPath": "metadata.labels['ray.io/group']"}}
    assert "FQ_RAY_IP" not in env and "RAY_enable_autoscaler_v2" not in env
    assert [(p["name"], p["containerPort"]) for p in ray["ports"]] == [
        ("gcs-server", 6379),
        ("dashboard", 8265),
        ("client", 10001),
        ("metrics", 8080),
    ]
    assert (
        ray["resources"] == cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["resources"]
    )
    assert volume(pod, "shared-mem") == {
        "name": "shared-mem",
        "emptyDir": {"medium": "Memory", "sizeLimit": "5Gi"},
    }
    assert {"mountPath": "/dev/shm", "name": "shared-mem"} in ray["volumeMounts"]
    # Ray 2.52 predates the unified health endpoint: KubeRay's wget exec probes.
    liveness, readiness = ray["livenessProbe"], ray["readinessProbe"]
    assert liveness["exec"]["command"] == [
        "bash",
        "-c",
        "wget --tries 1 -T 2 -q -O- http://localhost:52365/api/local_raylet_healthz | grep success && "
        "wget --tries 1 -T 10 -q -O- http://localhost:8265/api/gcs_healthz | grep success",
    ]
    assert (liveness["initialDelaySeconds"], liveness["timeoutSeconds"], liveness["failureThreshold"]) == (
        30,
        5,
        120,
    )
    assert (readiness["initialDelaySeconds"], readiness["timeoutSeconds"], readiness["failureThreshold"]) == (
        10,
        5,
        10,
    )
    assert "serviceAccountName" not in pod["spec"]


def test_sample_worker_pod_is_kuberays(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    pod = build_worker_pod(cluster, "workergroup")
    meta = pod["metadata"]
    assert meta["generateName"] == "raycluster-kuberay-workergroup-worker-"
    assert meta["labels"]["ray.io/node-type"] == "worker"
    assert meta["labels"]["ray.io/group"] == "workergroup"
    assert meta["labels"]["ray.io/identifier"] == "raycluster-kuberay-worker"
    assert meta["labels"]["ray.io/worker-group-replica-index"] == "0"
    fqdn = "raycluster-kuberay-head-svc.default.svc.cluster.local"
    start = (
        f"ray start  --address={fqdn}:6379  --block  --dashboard-agent-listen-port=52365 "
        " --memory=1073741824  --metrics-export-port=8080  --num-cpus=1 "
    )
    assert ray_args(pod) == "ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; " + start
    env = env_of(pod["spec"]["containers"][0])
    assert env["FQ_RAY_IP"] == fqdn
    assert env["RAY_IP"] == "raycluster-kuberay-head-svc"
    assert env["RAY_ADDRESS"] == f"{fqdn}:6379"
    assert "RAY_USAGE_STATS_EXTRA_TAGS" not in env
    (init,) = pod["spec"]["initContainers"]
    assert init["name"] == "wait-gcs-ready"
    assert init["image"] == "rayproject/ray:2.52.0"
    assert f"ray health-check --address {fqdn}:6379" in init["args"][0]
    assert env_of(init) == {"FQ_RAY_IP": fqdn, "RAY_IP": "raycluster-kuberay-head-svc"}
    assert init["resources"]["limits"] == {"cpu": "200m", "memory": "256Mi"}
    probe = pod["spec"]["containers"][0]["readinessProbe"]
    assert "gcs_healthz" not in probe["exec"]["command"][2]
    assert probe["timeoutSeconds"] == 2


def test_autoscaler_sample_head_has_the_sidecar(load: Any) -> None:
    cluster = load("ray-cluster.autoscaler.yaml")
    pod = build_head_pod(cluster)
    ray, autoscaler = pod["spec"]["containers"]
    assert autoscaler["name"] == "autoscaler"
    assert autoscaler["image"] == "rayproject/ray:2.52.0"
    assert autoscaler["imagePullPolicy"] == "IfNotPresent"
    cmd = (
        "ray kuberay-autoscaler --cluster-name $(RAY_CLUSTER_NAME)"
        " --cluster-namespace $(RAY_CLUSTER_NAMESPACE)"
    )
    assert autoscaler["command"] == ["/bin/bash", "-c", "--"]
    assert autoscaler["args"] == [cmd]
    env = env_of(autoscaler)
    assert env["KUBERAY_GEN_AUTOSCALER_START_CMD"] == cmd
    assert env["KUBERAY_CRD_VER"] == "v1"
    assert env["RAY_HEAD_POD_NAME"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["RAY_CLUSTER_NAME"] == {"fieldRef": {"fieldPath": "metadata.labels['ray.io/cluster']"}}
    assert autoscaler["resources"] == {
        "limits": {"cpu": "500m", "memory": "512Mi"},
        "requests": {"cpu": "500m", "memory": "512Mi"},
    }
    assert autoscaler["securityContext"] == {}
    assert {"mountPath": "/tmp/ray", "name": "ray-logs"} in autoscaler["volumeMounts"]
    assert {"mountPath": "/tmp/ray", "name": "ray-logs"} in ray["volumeMounts"]
    assert volume(pod, "ray-logs") == {"name": "ray-logs", "emptyDir": {}}
    assert pod["spec"]["serviceAccountName"] == "raycluster-autoscaler"
    assert " --no-monitor " in ray_args(pod)
    assert " --num-cpus=0 " in ray_args(pod)
    # version unset: KubeRay does not pick one for Ray
    assert "RAY_enable_autoscaler_v2" not in env_of(ray)
    assert "restartPolicy" not in pod["spec"]


def test_autoscaler_v2_sample_sets_v2_and_never_restart(load: Any) -> None:
    cluster = load("ray-cluster.autoscaler-v2.yaml")
    head = build_head_pod(cluster)
    assert env_of(head["spec"]["containers"][0])["RAY_enable_autoscaler_v2"] == "true"
    assert head["spec"]["restartPolicy"] == "Never"
    worker = build_worker_pod(cluster, 0)
    assert worker["spec"]["restartPolicy"] == "Never"
    assert "RAY_enable_autoscaler_v2" not in env_of(worker["spec"]["containers"][0])


def test_autoscaler_v1_explicit_sets_v2_false(load: Any) -> None:
    cluster = load("ray-cluster.autoscaler.yaml")
    cluster["spec"]["autoscalerOptions"]["version"] = "v1"
    assert env_of(build_head_pod(cluster)["spec"]["containers"][0])["RAY_enable_autoscaler_v2"] == "false"


def test_complete_sample_keeps_the_users_log_volume(load: Any) -> None:
    cluster = load("ray-cluster.complete.yaml")
    pod = build_head_pod(cluster)
    ray = pod["spec"]["containers"][0]
    assert [v["name"] for v in pod["spec"]["volumes"]] == ["ray-logs", "shared-mem"]
    assert [m["mountPath"] for m in ray["volumeMounts"]] == ["/tmp/ray", "/dev/shm"]
    # cpu limit 1 wins over the 500m request; memory comes from the limit only
    assert " --num-cpus=1 " in ray_args(pod) and " --memory=5368709120 " in ray_args(pod)
    assert ray_args(pod).count("--dashboard-host=0.0.0.0") == 1


def test_every_sample_builds_pods_for_every_group(sample: dict[str, Any]) -> None:
    head = build_head_pod(sample)
    assert head["metadata"]["labels"]["ray.io/node-type"] == "head"
    for i, group in enumerate(sample["spec"]["workerGroupSpecs"]):
        worker = build_worker_pod(sample, i)
        assert worker["metadata"]["labels"]["ray.io/group"] == group["groupName"]
        assert worker["spec"]["containers"][0]["name"] == group["template"]["spec"]["containers"][0]["name"]


def test_builders_do_not_modify_the_cluster(load: Any) -> None:
    cluster = load("ray-cluster.autoscaler.yaml")
    before = copy.deepcopy(cluster)
    build_head_pod(cluster)
    build_worker_pod(cluster, 0)
    assert cluster == before


# --- Each field ---------------------------------------------------------------------------------


def _ray_resources(cluster: dict[str, Any], where: str, resources: dict[str, Any]) -> None:
    spec = cluster["spec"]["headGroupSpec"] if where == "head" else cluster["spec"]["workerGroupSpecs"][0]
    spec["template"]["spec"]["containers"][0]["resources"] = resources


def test_cpu_from_request_rounds_up_and_memory_only_from_limits(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    _ray_resources(cluster, "worker", {"requests": {"cpu": "1500m", "memory": "1Gi"}})
    args = ray_args(build_worker_pod(cluster, 0))
    assert " --num-cpus=2 " in args
    assert "--memory" not in args


def test_gpu_and_tpu_limits_become_num_gpus_and_resources(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    _ray_resources(cluster, "worker", {"limits": {"cpu": "4", "nvidia.com/gpu": "2", "google.com/tpu": "4"}})
    args = ray_args(build_worker_pod(cluster, 0))
    assert " --num-gpus=2 " in args
    assert """ --resources='{"TPU":4}' """ in args


def test_ray_start_params_given_by_the_user_win(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["workerGroupSpecs"][0]["rayStartParams"] = {
        "num-cpus": "3",
        "memory": "1000",
        "resources": '"{\\"Custom1\\": 1}"',
        "include-dashboard": "false",
        "disable-usage-stats": "true",
        "verbose": "false",
    }
    args = ray_args(build_worker_pod(cluster, 0))
    assert " --num-cpus=3 " in args and " --memory=1000 " in args
    assert ' --resources="{\\"Custom1\\": 1}" ' in args
    assert " --include-dashboard=false " in args  # explicit-bool flags keep their value
    assert " --disable-usage-stats " in args  # true switches become bare flags
    assert "verbose" not in args  # false switches are dropped


def test_group_resources_and_labels_fields(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    group = cluster["spec"]["workerGroupSpecs"][0]
    group["resources"] = {"cpu": "2", "memory": "2Gi", "nvidia.com/gpu": "1", "accel": "0.5"}
    group["labels"] = {"zone": "a", "tier": "gold"}
    pod = build_worker_pod(cluster, 0)
    args = ray_args(pod)
    assert " --num-cpus=2 " in args and " --memory=2147483648 " in args and " --num-gpus=1 " in args
    assert """ --resources='{"accel":0.5}' """ in args
    assert " --labels=tier=gold,zone=a " in args
    assert pod["metadata"]["labels"]["zone"] == "a"


def test_user_labels_are_kept_but_cannot_move_the_pod(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["workerGroupSpecs"][0]["template"]["metadata"] = {
        "labels": {"team": "ml", "ray.io/cluster": "other", "ray.io/group": "x", "ray.io/node-type": "head"}
    }
    labels = build_worker_pod(cluster, 0)["metadata"]["labels"]
    assert labels["team"] == "ml"
    assert (labels["ray.io/cluster"], labels["ray.io/group"], labels["ray.io/node-type"]) == (
        "raycluster-kuberay",
        "workergroup",
        "worker",
    )


def test_user_command_runs_before_ray_start(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    ray = cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    ray["command"] = ["echo"]
    ray["args"] = ["hello"]
    args = ray_args(build_head_pod(cluster))
    assert args.startswith(
        " echo  hello  && ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; ray start --head "
    )


def test_a_user_ray_start_command_is_left_alone(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    ray = cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    ray["command"] = ["bash", "-c", "ray start --head --block"]
    pod = build_head_pod(cluster)
    assert pod["spec"]["containers"][0]["command"] == ["bash", "-c", "ray start --head --block"]
    assert "args" not in pod["spec"]["containers"][0]


def test_overwrite_container_cmd_annotation_keeps_command_but_exports_generated_one(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["metadata"]["annotations"] = {"ray.io/overwrite-container-cmd": "true"}
    ray = cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    ray["command"] = ["/bin/bash", "-c", "my-setup && $KUBERAY_GEN_RAY_START_CMD"]
    pod = build_head_pod(cluster)
    container = pod["spec"]["containers"][0]
    assert container["command"] == ["/bin/bash", "-c", "my-setup && $KUBERAY_GEN_RAY_START_CMD"]
    assert env_of(container)["KUBERAY_GEN_RAY_START_CMD"].startswith("ray start --head ")
    assert pod["metadata"]["annotations"]["ray.io/overwrite-container-cmd"] == "true"


def test_plasma_directory_skips_dev_shm(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["headGroupSpec"]["rayStartParams"] = {"plasma-directory": "/data/plasma"}
    pod = build_head_pod(cluster)
    assert "shared-mem" not in [v["name"] for v in pod["spec"].get("volumes", [])]
    assert " --plasma-directory=/data/plasma " in ray_args(pod)


def test_shared_memory_falls_back_to_memory_request(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    _ray_resources(cluster, "head", {"requests": {"memory": "3Gi"}})
    assert volume(build_head_pod(cluster), "shared-mem")["emptyDir"] == {
        "medium": "Memory",
        "sizeLimit": "3Gi",
    }


def test_newer_ray_gets_http_probes_and_user_probes_are_kept(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["rayVersion"] = "2.60.0"
    cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
        "tcpSocket": {"port": 6379}
    }
    ray = build_head_pod(cluster)["spec"]["containers"][0]
    assert ray["livenessProbe"]["httpGet"] == {"path": "/api/healthz", "port": 52365}
    assert ray["readinessProbe"] == {"tcpSocket": {"port": 6379}}


def test_probes_can_be_disabled_like_enable_probes_injection_false(load: Any) -> None:
    ray = build_head_pod(load("ray-cluster.sample.yaml"), BuildOptions(enable_probes_injection=False))
    assert "livenessProbe" not in ray["spec"]["containers"][0]


def test_custom_head_service_name_and_port_reach_the_workers(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["metadata"]["namespace"] = "ml"
    cluster["spec"]["headGroupSpec"]["headService"] = {"metadata": {"name": "my-head"}}
    cluster["spec"]["headGroupSpec"]["rayStartParams"] = {"port": "6380"}
    pod = build_worker_pod(cluster, 0)
    assert " --address=my-head.ml.svc.cluster.local:6380 " in ray_args(pod)
    assert env_of(pod["spec"]["containers"][0])["RAY_PORT"] == "6380"
    assert pod["metadata"]["namespace"] == "ml"


def test_user_env_for_ray_address_is_not_overridden(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    ray = cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    ray["env"] = [{"name": "RAY_ADDRESS", "value": "auto"}]
    env = build_head_pod(cluster)["spec"]["containers"][0]["env"]
    assert [e for e in env if e["name"] == "RAY_ADDRESS"] == [{"name": "RAY_ADDRESS", "value": "auto"}]


def test_every_autoscaler_option_is_applied(load: Any) -> None:
    cluster = load("ray-cluster.autoscaler.yaml")
    cluster["spec"]["autoscalerOptions"] = {
        "image": "my/autoscaler:1",
        "imagePullPolicy": "Always",
        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
        "env": [{"name": "AUTOSCALER_UPDATE_INTERVAL_S", "value": "1"}],
        "envFrom": [{"configMapRef": {"name": "extra"}}],
        "securityContext": {"runAsUser": 1000},
        "volumeMounts": [{"name": "cfg", "mountPath": "/cfg"}],
        "command": ["/bin/sh", "-c"],
        "args": ["$KUBERAY_GEN_AUTOSCALER_START_CMD --verbose"],
        "idleTimeoutSeconds": 30,
        "upscalingMode": "Conservative",
    }
    autoscaler = build_head_pod(cluster)["spec"]["containers"][1]
    assert autoscaler["image"] == "my/autoscaler:1"
    assert autoscaler["imagePullPolicy"] == "Always"
    assert autoscaler["resources"] == {"limits": {"cpu": "1", "memory": "1Gi"}}
    assert env_of(autoscaler)["AUTOSCALER_UPDATE_INTERVAL_S"] == "1"
    assert autoscaler["envFrom"] == [{"configMapRef": {"name": "extra"}}]
    assert autoscaler["securityContext"] == {"runAsUser": 1000}
    assert [m["mountPath"] for m in autoscaler["volumeMounts"]] == ["/cfg", "/tmp/ray"]
    assert autoscaler["command"] == ["/bin/sh", "-c"]
    assert autoscaler["args"] == ["$KUBERAY_GEN_AUTOSCALER_START_CMD --verbose"]


def test_head_template_service_account_is_used_for_the_autoscaler(load: Any) -> None:
    cluster = load("ray-cluster.autoscaler.yaml")
    cluster["spec"]["headGroupSpec"]["template"]["spec"]["serviceAccountName"] = "my-sa"
    assert build_head_pod(cluster)["spec"]["serviceAccountName"] == "my-sa"


def test_multi_host_group_labels_replica_and_host(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["workerGroupSpecs"][0]["numOfHosts"] = 4
    pod = build_worker_pod(cluster, 0, replica_index=2, replica_name="workergroup-abcde", host_index=3)
    labels = pod["metadata"]["labels"]
    assert labels["ray.io/worker-group-replica-index"] == "2"
    assert labels["ray.io/worker-group-replica-name"] == "workergroup-abcde"
    assert labels["ray.io/replica-host-index"] == "3"


def test_gcs_fault_tolerance_with_redis(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["gcsFaultToleranceOptions"] = {
        "redisAddress": "redis:6379",
        "redisPassword": {"valueFrom": {"secretKeyRef": {"name": "redis", "key": "password"}}},
    }
    head = build_head_pod(cluster)
    env = env_of(head["spec"]["containers"][0])
    assert head["metadata"]["annotations"]["ray.io/ft-enabled"] == "true"
    assert env["RAY_REDIS_ADDRESS"] == "redis:6379"
    assert env["RAY_external_storage_namespace"] == cluster["metadata"]["uid"]
    assert env["REDIS_PASSWORD"] == {"secretKeyRef": {"name": "redis", "key": "password"}}
    assert " --redis-password=$REDIS_PASSWORD " in ray_args(head)
    worker_env = env_of(build_worker_pod(cluster, 0)["spec"]["containers"][0])
    assert worker_env["RAY_gcs_rpc_server_reconnect_timeout_s"] == "600"


def test_long_cluster_names_are_clipped_like_kuberay(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    cluster["metadata"]["name"] = "a" * 53
    pod = build_worker_pod(cluster, 0)
    assert pod["metadata"]["generateName"] == "a" * 50 + "-worker-"
    assert len(pod["metadata"]["generateName"]) + 5 <= 63


@pytest.mark.parametrize("group", [0, "workergroup"])
def test_worker_group_by_index_or_name(load: Any, group: int | str) -> None:
    assert build_worker_pod(load("ray-cluster.sample.yaml"), group)["metadata"]["labels"]["ray.io/group"] == (
        "workergroup"
    )


def test_unknown_worker_group_is_an_error(load: Any) -> None:
    with pytest.raises(KeyError, match="nope"):
        build_worker_pod(load("ray-cluster.sample.yaml"), "nope")
