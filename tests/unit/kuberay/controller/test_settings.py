"""The operator's settings under KubeRay's names: flags and environment variables."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from kuberay.build import BuildOptions, build_head_pod, build_head_service, build_worker_pod
from kuberay.build.ingress import build_head_ingress
from kuberay.build.naming import options_from_env
from kuberay.controller.main import SettingsError, add_operator_command, operator_settings


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_operator_command(parser.add_subparsers())
    return parser.parse_args(["operator", *argv])


def test_kuberay_flags_are_understood() -> None:
    args = _args(
        "--watch-namespace=team-a, team-b",
        "--namespace=extra",
        "--reconcile-concurrency=3",
        "--health-probe-bind-address=:9000",
        "--enable-leader-election=false",
        "--metrics-addr=:9001",
        "--leader-election-namespace=ops",
    )
    settings = operator_settings(args, {})
    assert list(settings.namespaces) == ["extra", "team-a", "team-b"]
    assert settings.workers == 3
    assert (args.health_addr, args.metrics_addr, args.leader_elect) == (":9000", ":9001", False)
    assert args.leader_election_namespace == "ops"
    assert _args("--enable-leader-election").leader_elect is True
    assert _args("--leader-elect").leader_elect is True
    assert _args().leader_elect is False


@pytest.mark.parametrize("flag", ["--batch-scheduler=volcano", "--enable-batch-scheduler"])
def test_batch_scheduler_is_refused_with_the_fix(flag: str) -> None:
    with pytest.raises(SettingsError, match=r"no batch scheduler integration.*Remove the flag"):
        operator_settings(_args(flag), {})


@pytest.mark.parametrize(
    "flag", ["--qps=50", "--feature-gates=RayJobDeletionPolicy=true", "--config=/cfg.yaml"]
)
def test_kuberays_other_flags_stop_the_operator_saying_why(flag: str) -> None:
    with pytest.raises(SettingsError, match=flag.split("=")[0]):
        operator_settings(_args(flag), {})


def test_every_flag_is_decided() -> None:
    from kuberay.api.fields import SETTINGS_REFUSED, SETTINGS_USED

    parser = argparse.ArgumentParser()
    add_operator_command(parser.add_subparsers())
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    flags = {o for a in sub.choices["operator"]._actions for o in a.option_strings}
    kuberay_named = SETTINGS_USED.keys() | SETTINGS_REFUSED.keys()
    ours = {
        "-h", "--help", "--kubeconfig", "--namespace", "--health-addr", "--workers", "--leader-elect",
        "--leader-election-id", "--log-level", "--unhealthy-after",
    }  # fmt: skip
    assert flags - kuberay_named - ours == set()
    assert {f for f in kuberay_named if f.startswith("--")} <= flags


def test_environment_defaults_are_kuberays() -> None:
    assert options_from_env({}) == BuildOptions()


def test_environment_variables_reach_the_built_objects(load: Any) -> None:
    cluster = load("ray-cluster.sample.yaml")
    options = operator_settings(
        _args(),
        {
            "ENABLE_PROBES_INJECTION": "false",
            "ENABLE_INIT_CONTAINER_INJECTION": "False",
            "ENABLE_LOGIN_SHELL": "true",
            "ENABLE_RAY_HEAD_CLUSTER_IP_SERVICE": "TRUE",
            "ENABLE_DETERMINISTIC_HEAD_POD_NAME": "true",
            "CLUSTER_DOMAIN": "corp.example",
        },
    ).build
    head = build_head_pod(cluster, options)
    worker = build_worker_pod(cluster, 0, options=options)
    assert head["metadata"]["name"] == "raycluster-kuberay-head"  # deterministic, no generateName
    assert "readinessProbe" not in head["spec"]["containers"][0]
    assert "initContainers" not in worker["spec"]
    assert head["spec"]["containers"][0]["command"] == ["/bin/bash", "-cl", "--"]
    env = {e["name"]: e.get("value") for e in worker["spec"]["containers"][0]["env"]}
    assert env["FQ_RAY_IP"] == "raycluster-kuberay-head-svc.default.svc.corp.example"
    assert "clusterIP" not in build_head_service(cluster, options)["spec"]


def test_requeue_seconds_are_kuberays() -> None:
    assert operator_settings(_args(), {}).resync_seconds == 300
    assert operator_settings(_args(), {"RAYCLUSTER_DEFAULT_REQUEUE_SECONDS_ENV": "30"}).resync_seconds == 30
    # KubeRay's Atoi fallback: what is not an integer means the default
    assert operator_settings(_args(), {"RAYCLUSTER_DEFAULT_REQUEUE_SECONDS_ENV": "5m"}).resync_seconds == 300
    assert operator_settings(_args(), {"RAYCLUSTER_DEFAULT_REQUEUE_SECONDS_ENV": "0"}).resync_seconds is None


def test_webhooks_and_openshift_routes_are_refused_saying_why(load: Any) -> None:
    with pytest.raises(SettingsError, match=r"ENABLE_WEBHOOKS=true: this operator serves no admission"):
        operator_settings(_args(), {"ENABLE_WEBHOOKS": "true"})
    operator_settings(_args(), {"ENABLE_WEBHOOKS": "false"})
    with pytest.raises(SettingsError, match=r"USE_INGRESS_ON_OPENSHIFT=false: this operator makes no"):
        operator_settings(_args(), {"USE_INGRESS_ON_OPENSHIFT": "false"})
    # USE_INGRESS_ON_OPENSHIFT=true is what this operator always does: enableIngress makes an Ingress
    options = operator_settings(_args(), {"USE_INGRESS_ON_OPENSHIFT": "true"}).build
    cluster = load("ray-cluster.sample.yaml")
    cluster["spec"]["headGroupSpec"]["enableIngress"] = True
    ingress = build_head_ingress(cluster)
    assert ingress is not None and ingress["kind"] == "Ingress"
    assert options == BuildOptions()
