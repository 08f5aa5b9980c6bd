"""Defaulting of the kinds beside pods as kube-apiserver v1.37.2 does it: each expectation here was
compared with its answer to the same object (tests/differential_api, the "sweep" requests)."""

from __future__ import annotations

from localkube.apiserver import defaults


def test_a_network_policy_gets_tcp_ports_and_the_policy_types_its_rules_imply() -> None:
    policy = {"spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]}}
    defaults.network_policy(policy)
    assert policy["spec"]["ingress"] == [{"ports": [{"port": 80, "protocol": "TCP"}]}]
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    egress = {"spec": {"podSelector": {}, "egress": [{}]}}
    defaults.network_policy(egress)
    assert egress["spec"]["policyTypes"] == ["Ingress", "Egress"]


def test_a_webhook_matching_nothing_gets_kubes_safe_defaults() -> None:
    config = {
        "kind": "MutatingWebhookConfiguration",
        "webhooks": [{"name": "w", "rules": [{"operations": ["CREATE"]}]}],
    }
    defaults.webhook_configuration(config)
    assert config["webhooks"] == [
        {
            "name": "w",
            "rules": [{"operations": ["CREATE"], "scope": "*"}],
            "failurePolicy": "Fail",
            "matchPolicy": "Equivalent",
            "namespaceSelector": {},
            "objectSelector": {},
            "timeoutSeconds": 10,
            "reinvocationPolicy": "Never",
        }
    ]
    validating = {"kind": "ValidatingWebhookConfiguration", "webhooks": [{"name": "w"}]}
    defaults.webhook_configuration(validating)
    assert "reinvocationPolicy" not in validating["webhooks"][0]


def test_a_limit_range_defaults_limits_from_max_and_requests_from_limits() -> None:
    ranges = {
        "spec": {"limits": [{"type": "Container", "max": {"cpu": "2"}, "default": {"memory": "128Mi"}}]}
    }
    defaults.limit_range(ranges)
    (item,) = ranges["spec"]["limits"]
    assert item["default"] == {"memory": "128Mi", "cpu": "2"}
    assert item["defaultRequest"] == {"memory": "128Mi", "cpu": "2"}


def test_a_priority_level_gets_its_shares_and_queues() -> None:
    level = {"spec": {"type": "Limited", "limited": {"limitResponse": {"type": "Queue", "queuing": {}}}}}
    defaults.priority_level_configuration(level)
    assert level["spec"]["limited"] == {
        "limitResponse": {"type": "Queue", "queuing": {"handSize": 8, "queues": 64, "queueLengthLimit": 50}},
        "nominalConcurrencyShares": 30,
        "lendablePercent": 0,
    }


def test_a_user_subject_is_rbacs() -> None:
    binding = {"subjects": [{"kind": "User", "name": "u"}, {"kind": "ServiceAccount", "name": "s"}]}
    defaults.role_binding(binding)
    assert binding["subjects"] == [
        {"kind": "User", "name": "u", "apiGroup": "rbac.authorization.k8s.io"},
        {"kind": "ServiceAccount", "name": "s"},
    ]


def test_a_daemon_sets_template_generation_moves_with_its_template_only() -> None:
    old = {
        "metadata": {"annotations": {"deprecated.daemonset.template.generation": "1"}},
        "spec": {"template": {}},
    }
    relabelled = {"metadata": {}, "spec": {"template": {}, "minReadySeconds": 5}}
    defaults.daemonset_template_generation(old, relabelled, "")
    assert relabelled["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "1"
    changed = {"metadata": {}, "spec": {"template": {"metadata": {"labels": {"a": "b"}}}}}
    defaults.daemonset_template_generation(old, changed, "")
    assert changed["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "2"


def test_a_job_without_labels_gets_its_pods_generated_ones() -> None:
    job = {"metadata": {"name": "j", "uid": "u1"}, "spec": {"template": {"spec": {}}}}
    defaults.job(job)
    defaults.job_selector(job)
    assert job["spec"]["manualSelector"] is False
    assert job["metadata"]["labels"] == {
        "batch.kubernetes.io/controller-uid": "u1",
        "controller-uid": "u1",
        "batch.kubernetes.io/job-name": "j",
        "job-name": "j",
    }


def test_an_event_is_written_back_with_gos_zero_fields_in_its_versions_names() -> None:
    core = {"apiVersion": "v1", "reason": "R"}
    defaults.event_shape(core)
    assert core["firstTimestamp"] is None and core["source"] == {} and core["reportingComponent"] == ""
    new = {"apiVersion": "events.k8s.io/v1", "reportingController": "x/y"}
    defaults.event_shape(new)
    assert new["deprecatedFirstTimestamp"] is None and new["deprecatedSource"] == {}
    assert "reportingComponent" not in new


def test_a_local_api_service_is_available_at_once() -> None:
    local = {"spec": {"group": "g", "version": "v1"}}
    defaults.local_api_service(local, "2026-01-01T00:00:00Z")
    assert [c["reason"] for c in local["status"]["conditions"]] == ["Local"]
    remote = {"spec": {"service": {"name": "s", "namespace": "n"}}}
    defaults.local_api_service(remote, "2026-01-01T00:00:00Z")
    assert "status" not in remote
