"""Pure decisions of the node: scheduling, env, hosts, endpoints, status."""

from typing import Any

import pytest

from localkube.kubelet import dns, endpoints, envvars, scheduler, status


def _pod(name: str, cpu: str = "", memory: str = "", labels: dict[str, str] | None = None) -> dict[str, Any]:
    req = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    return {
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", "labels": labels or {}},
        "spec": {"containers": [{"name": "c", "resources": {"requests": req}}]},
    }


ALLOC = {"cpu": "4", "memory": "8Gi", "pods": "250"}


def test_pod_fits_until_cpu_runs_out() -> None:
    bound = [_pod("a", cpu="3")]
    assert scheduler.unfit_reasons(_pod("b", cpu="1"), ALLOC, bound, {}) == []
    reasons = scheduler.unfit_reasons(_pod("c", cpu="1500m"), ALLOC, bound, {})
    assert scheduler.unschedulable_message(reasons) == "0/1 nodes are available: 1 Insufficient cpu."


def test_limits_count_as_requests_and_init_containers_take_the_max() -> None:
    pod = _pod("a")
    pod["spec"]["containers"][0]["resources"] = {"limits": {"memory": "6Gi"}}
    pod["spec"]["initContainers"] = [{"name": "i", "resources": {"requests": {"memory": "7Gi"}}}]
    assert scheduler.pod_requests(pod)["memory"] == 7 * 2**30
    reasons = scheduler.unfit_reasons(_pod("b", memory="2Gi"), ALLOC, [pod], {})
    assert reasons == ["Insufficient memory"]


def test_node_selector_mismatch() -> None:
    pod = _pod("a")
    pod["spec"]["nodeSelector"] = {"disk": "ssd"}
    assert scheduler.unfit_reasons(pod, ALLOC, [], {"kubernetes.io/hostname": "localkube"}) == [
        "node(s) didn't match Pod's node affinity/selector"
    ]


def test_a_cordoned_or_tainted_node_takes_only_pods_that_tolerate_it() -> None:
    pod = _pod("a")
    cordoned = {
        "unschedulable": True,
        "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}],
    }
    reasons = scheduler.unfit_reasons(pod, ALLOC, [], {}, cordoned)
    assert (
        scheduler.unschedulable_message(reasons) == "0/1 nodes are available: 1 node(s) were unschedulable."
    )
    gpu = {"taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]}
    assert scheduler.unfit_reasons(pod, ALLOC, [], {}, gpu) == ["node(s) had untolerated taint(s)"]
    # a toleration matches by key, value (operator Equal, the default) or any value (Exists)
    for toleration in (
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"},
        {"key": "nvidia.com/gpu", "operator": "Exists"},
        {"operator": "Exists"},
    ):
        pod["spec"]["tolerations"] = [toleration]
        assert scheduler.unfit_reasons(pod, ALLOC, [], {}, gpu) == [], toleration
    pod["spec"]["tolerations"] = [{"key": "nvidia.com/gpu", "value": "absent"}]
    assert scheduler.unfit_reasons(pod, ALLOC, [], {}, gpu) == ["node(s) had untolerated taint(s)"]
    # a PreferNoSchedule taint only prefers
    soft = {"taints": [{"key": "k", "effect": "PreferNoSchedule"}]}
    assert scheduler.unfit_reasons(_pod("b"), ALLOC, [], {}, soft) == []


def _lookups(**cms: dict[str, str]) -> envvars.Lookups:
    return envvars.Lookups({k: {"data": v} for k, v in cms.items()}, {})


def test_env_order_expansion_and_refs() -> None:
    pod = _pod("web")
    pod["status"] = {"podIP": "10.244.0.9"}
    c = {
        "name": "c",
        "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "CFG_"}],
        "env": [
            {"name": "A", "value": "x"},
            {"name": "B", "value": "$(A)-$(NOPE)-$$(A)"},
            {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "K", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "k"}}},
            {"name": "M", "valueFrom": {"configMapKeyRef": {"name": "gone", "key": "k", "optional": True}}},
        ],
        "command": ["echo", "$(B)"],
    }
    svc = envvars.ServiceInfo("my-svc", "default", "10.96.0.20", [{"name": "http", "port": 80}])
    env = envvars.build_env(
        pod, c, base={}, services=[svc], lookups=_lookups(cfg={"k": "v"}), node_alloc=ALLOC
    )
    assert env["B"] == "x-$(NOPE)-$(A)"
    assert env["IP"] == "10.244.0.9"
    assert env["K"] == "v" and env["CFG_k"] == "v"
    assert "M" not in env
    assert env["MY_SVC_SERVICE_HOST"] == "10.96.0.20"
    assert env["MY_SVC_SERVICE_PORT_HTTP"] == "80"
    assert envvars.command_line(c, env) == ["echo", "x-$(NOPE)-$(A)"]


def test_missing_configmap_is_a_config_error_with_kubernetes_wording() -> None:
    c = {"name": "c", "env": [{"name": "K", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "k"}}}]}
    with pytest.raises(envvars.ConfigError, match='configmap "cfg" not found'):
        envvars.build_env(_pod("p"), c, base={}, services=[], lookups=_lookups(), node_alloc=ALLOC)
    with pytest.raises(envvars.ConfigError, match="couldn't find key k in ConfigMap default/cfg"):
        envvars.build_env(_pod("p"), c, base={}, services=[], lookups=_lookups(cfg={}), node_alloc=ALLOC)


def test_resource_field_ref_rounds_up_by_divisor() -> None:
    pod = _pod("p", cpu="1500m", memory="1Gi")
    c = pod["spec"]["containers"][0]
    assert envvars.resource_value(pod, "c", {"resource": "requests.cpu"}, ALLOC) == "2"
    assert (
        envvars.resource_value(pod, "c", {"resource": "requests.memory", "divisor": "1Mi"}, ALLOC) == "1024"
    )
    assert c["name"] == "c"


def test_hosts_lists_services_with_short_names_only_for_own_namespace() -> None:
    text = dns.render_hosts(
        dns.PodIdentity("me", "team", "10.244.0.5"),
        [
            dns.ServiceRecord("kubernetes", "default", ("10.96.0.1",)),
            dns.ServiceRecord("web", "team", ("10.96.0.30",)),
            dns.ServiceRecord("db", "team", ("10.244.0.7", "10.244.0.8")),
        ],
    )
    lines = text.splitlines()
    assert "10.244.0.5\tme" in lines
    kube = next(ln for ln in lines if ln.startswith("10.96.0.1\t")).split("\t")[1].split()
    assert kube == ["kubernetes.default.svc.cluster.local", "kubernetes.default.svc", "kubernetes.default"]
    web = next(ln for ln in lines if ln.startswith("10.96.0.30\t")).split("\t")[1].split()
    assert "web" in web and "web.team.svc.cluster.local" in web
    assert sum(1 for ln in lines if "db.team.svc" in ln) == 2


def test_endpoints_resolve_named_target_port_and_split_readiness() -> None:
    svc = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": "web-port"}],
        },
    }

    def pod(name: str, ip: str, ready: bool) -> dict[str, Any]:
        p = _pod(name, labels={"app": "web"})
        p["spec"]["containers"][0]["ports"] = [{"name": "web-port", "containerPort": 8080}]
        p["status"] = {"podIP": ip, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
        return p

    subsets = endpoints.compute_subsets(svc, [pod("a", "10.244.0.2", True), pod("b", "10.244.0.3", False),
                                              _pod("other", labels={"app": "db"})])  # fmt: skip
    assert len(subsets) == 1
    assert [a["ip"] for a in subsets[0]["addresses"]] == ["10.244.0.2"]
    assert [a["ip"] for a in subsets[0]["notReadyAddresses"]] == ["10.244.0.3"]
    assert subsets[0]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_phase_follows_the_kubelet_rules() -> None:
    def view(state: dict[str, Any], last: dict[str, Any] | None = None) -> status.ContainerView:
        return status.ContainerView("c", "img", state, last or {})

    done0 = {"terminated": {"exitCode": 0}}
    done1 = {"terminated": {"exitCode": 1}}
    crash = {"waiting": {"reason": "CrashLoopBackOff"}}
    assert status.phase("Always", False, True, [view({"waiting": {}})]) == "Pending"
    assert status.phase("Always", False, True, [view(crash, done1)]) == "Running"
    assert status.phase("Never", False, True, [view(done0)]) == "Succeeded"
    assert status.phase("Never", False, True, [view(done0), view(done1)]) == "Failed"
    assert status.phase("OnFailure", False, True, [view(done1)]) == "Running"
    assert status.phase("Never", True, False, [view({"waiting": {}})]) == "Failed"


def test_qos_class() -> None:
    assert status.qos_class(_pod("a")) == "BestEffort"
    assert status.qos_class(_pod("a", cpu="1")) == "Burstable"
    g = _pod("a")
    g["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1", "memory": "1Gi"}}
    assert status.qos_class(g) == "Guaranteed"
