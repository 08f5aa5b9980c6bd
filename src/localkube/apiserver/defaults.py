"""Defaulting of built-in kinds as the real API server (and its default admission plugins) does. Pure.

Each function takes a fresh dict it may change in place (the caller owns it).
"""

from __future__ import annotations

import base64
import binascii
import copy
import os
from typing import Any

SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def random_suffix(n: int = 5) -> str:
    """Kubernetes' random name suffix alphabet (no vowels, no look-alike digits)."""
    return "".join(_NAME_CHARS[b % len(_NAME_CHARS)] for b in os.urandom(n))


def _pull_policy(image: str) -> str:
    tail = image.rsplit("/", 1)[-1]
    if "@" in tail:
        return "IfNotPresent"
    if ":" not in tail or tail.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def default_container(c: dict[str, Any]) -> None:
    """One container's defaults (ephemeral containers added later get them too)."""
    if isinstance(c.get("image"), str):
        c.setdefault("imagePullPolicy", _pull_policy(c["image"]))
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("resources", {})
    for port in c.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for env in c.get("env") or ():
        if isinstance(env, dict) and isinstance(env.get("valueFrom"), dict):
            _field_ref(env["valueFrom"])
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = c.get(probe_name)
        if isinstance(probe, dict):
            for k, v in (
                ("timeoutSeconds", 1),
                ("periodSeconds", 10),
                ("successThreshold", 1),
                ("failureThreshold", 3),
            ):
                probe.setdefault(k, v)
            _http_get(probe)
    lifecycle = c.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            if isinstance(lifecycle.get(hook), dict):
                _http_get(lifecycle[hook])


def _http_get(handler: dict[str, Any]) -> None:
    """SetDefaults_HTTPGetAction, for probes and lifecycle hooks."""
    action = handler.get("httpGet")
    if isinstance(action, dict):
        action.setdefault("path", "/")
        action.setdefault("scheme", "HTTP")


def _field_ref(holder: dict[str, Any]) -> None:
    """SetDefaults_ObjectFieldSelector: a fieldRef's apiVersion is v1 (env, downward API items)."""
    ref = holder.get("fieldRef")
    if isinstance(ref, dict):
        ref.setdefault("apiVersion", "v1")


def _downward_api(source: dict[str, Any]) -> None:
    for item in source.get("items") or ():
        if isinstance(item, dict):
            _field_ref(item)


def _volume(vol: dict[str, Any]) -> None:
    """The volume sources' defaulters (SetDefaults_*VolumeSource and what they hold)."""
    for src in ("configMap", "secret", "downwardAPI", "projected"):
        if isinstance(vol.get(src), dict):
            vol[src].setdefault("defaultMode", 420)
    if isinstance(vol.get("downwardAPI"), dict):
        _downward_api(vol["downwardAPI"])
    if isinstance(vol.get("hostPath"), dict):
        vol["hostPath"].setdefault("type", "")
    projected = vol.get("projected")
    for source in (projected.get("sources") or ()) if isinstance(projected, dict) else ():
        if not isinstance(source, dict):
            continue
        if isinstance(source.get("downwardAPI"), dict):
            _downward_api(source["downwardAPI"])
        if isinstance(source.get("serviceAccountToken"), dict):
            source["serviceAccountToken"].setdefault("expirationSeconds", 3600)
    ephemeral = vol.get("ephemeral")
    template = ephemeral.get("volumeClaimTemplate") if isinstance(ephemeral, dict) else None
    if isinstance(template, dict):
        # a Go struct, not a pointer: kube-apiserver writes it even when empty
        template.setdefault("metadata", {})
        if isinstance(template.get("spec"), dict):
            template["spec"].setdefault("volumeMode", "Filesystem")
    if set(vol) == {"name"}:
        # a volume that names no source is an emptyDir (SetDefaults_Volume)
        vol["emptyDir"] = {}


def pod_spec(spec: dict[str, Any]) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    spec.setdefault("terminationGracePeriodSeconds", 30)
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for c in spec.get(key) or ():
            if isinstance(c, dict):
                default_container(c)
    for vol in spec.get("volumes") or ():
        if isinstance(vol, dict):
            _volume(vol)


def qos_class(spec: dict[str, Any]) -> str:
    """The pod's QoS class: Guaranteed when every container limits cpu and memory with requests equal
    to limits, BestEffort when no container asks for anything, Burstable otherwise."""
    any_resources = False
    all_guaranteed = True
    for c in spec.get("containers") or ():
        res = (c.get("resources") or {}) if isinstance(c, dict) else {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            any_resources = True
        for r in ("cpu", "memory"):
            if r not in lim or (r in req and str(req[r]) != str(lim[r])):
                all_guaranteed = False
    if all_guaranteed and any_resources:
        return "Guaranteed"
    return "Burstable" if any_resources else "BestEffort"


def pod(obj: dict[str, Any]) -> None:
    """SetObjectDefaults_Pod: what decoding a Pod defaults (the writer's fields in managedFields)."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    pod_spec(spec)
    spec.setdefault("enableServiceLinks", True)  # a Pod's, not a pod template's (SetDefaults_Pod)
    _requests_from_limits(spec)


def pod_admission(obj: dict[str, Any]) -> None:
    """What the default admission plugins (ServiceAccount, Priority, DefaultTolerationSeconds) and
    the pod strategy add after the field manager has recorded the writer's fields."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    sa = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = spec["serviceAccount"] = sa
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    tolerations = spec.setdefault("tolerations", [])
    if isinstance(tolerations, list):
        for taint in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
            if not any(isinstance(t, dict) and t.get("key") == taint for t in tolerations):
                tolerations.append(
                    {"key": taint, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
                )
    _mount_service_account(spec, obj.get("metadata", {}).get("name") or "")
    status = obj.setdefault("status", {})
    if isinstance(status, dict):
        status.setdefault("phase", "Pending")
        status.setdefault("qosClass", qos_class(spec))


def _requests_from_limits(spec: dict[str, Any]) -> None:
    """SetDefaults_Pod: a resource a container limits but does not request is requested at its limit."""
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or ():
            resources = c.get("resources") if isinstance(c, dict) else None
            limits = resources.get("limits") if isinstance(resources, dict) else None
            if not isinstance(resources, dict) or not isinstance(limits, dict) or not limits:
                continue
            requests = resources.get("requests")
            if requests is None:
                requests = resources["requests"] = {}
            if isinstance(requests, dict):
                for name, value in limits.items():
                    requests.setdefault(name, value)


def _mount_service_account(spec: dict[str, Any], seed: str) -> None:
    """The ServiceAccount admission plugin's projected token volume, mounted in every container."""
    if spec.get("automountServiceAccountToken") is False:
        return
    containers = [
        c for k in ("initContainers", "containers") for c in spec.get(k) or () if isinstance(c, dict)
    ]
    if any(
        m.get("mountPath") == SA_MOUNT
        for c in containers
        for m in c.get("volumeMounts") or ()
        if isinstance(m, dict)
    ):
        return
    volumes = spec.setdefault("volumes", [])
    if not isinstance(volumes, list):
        return
    name = "kube-api-access-" + random_suffix()
    volumes.append(
        {
            "name": name,
            "projected": {
                "defaultMode": 420,
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {
                        "configMap": {
                            "name": "kube-root-ca.crt",
                            "items": [{"key": "ca.crt", "path": "ca.crt"}],
                        }
                    },
                    {
                        "downwardAPI": {
                            "items": [
                                {
                                    "path": "namespace",
                                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                }
                            ]
                        }
                    },
                ],
            },
        }
    )
    for c in containers:
        mounts = c.setdefault("volumeMounts", [])
        if isinstance(mounts, list):
            mounts.append({"name": name, "readOnly": True, "mountPath": SA_MOUNT})


def service(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["type"] != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if "port" in port:
                port.setdefault("targetPort", port["port"])
    obj.setdefault("status", {"loadBalancer": {}})


def service_ip_families(obj: dict[str, Any]) -> None:
    """The IP families the Service REST storage chooses with its cluster IPs, after the field
    manager: nobody's in managedFields."""
    spec = obj.get("spec")
    if isinstance(spec, dict) and spec.get("type") != "ExternalName":
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")


def namespace(obj: dict[str, Any]) -> None:
    """SetDefaults_Namespace: the name label, the writer's in managedFields."""
    meta = obj["metadata"]
    labels = meta.setdefault("labels", {})
    if isinstance(labels, dict) and meta.get("name"):
        labels["kubernetes.io/metadata.name"] = meta["name"]


def namespace_prepare(obj: dict[str, Any]) -> None:
    """The namespace strategy's finalizer and phase, set after the field manager."""
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        spec.setdefault("finalizers", ["kubernetes"])
    status = obj.setdefault("status", {})
    if isinstance(status, dict):
        status.setdefault("phase", "Active")


def secret_data_error(obj: dict[str, Any]) -> str | None:
    """The decoding error Kubernetes answers for `data` that is not base64, or None."""
    data = obj.get("data")
    if not isinstance(data, dict):
        return None
    for value in data.values():
        if not isinstance(value, str):
            return "json: cannot unmarshal into Go struct field Secret.data of type []uint8"
        try:
            base64.b64decode(_unwrapped(value), validate=True)
        except (binascii.Error, ValueError):
            return "illegal base64 data at input byte 0"
    return None


def _unwrapped(value: str) -> str:
    # Go's base64 decoder skips line breaks: line-wrapped data (`base64` without -w0, the TLS
    # examples of the Kubernetes docs) is accepted, and stored re-encoded on one line
    return value.replace("\r", "").replace("\n", "")


def secret(obj: dict[str, Any]) -> None:
    obj.setdefault("type", "Opaque")
    data = obj.get("data")
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, str) and ("\n" in v or "\r" in v):
                data[k] = _unwrapped(v)
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict):
        data = obj.get("data")
        if not isinstance(data, dict):
            data = obj["data"] = {}
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()


def job(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("parallelism", 1)
    if spec.get("completionMode") != "Indexed":
        spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    spec.setdefault("manualSelector", False)
    _template(spec)
    _job_labels(obj)


def cron_job(obj: dict[str, Any]) -> None:
    """SetObjectDefaults_CronJob: its own four, and its job template's pod spec (not a Job's
    defaults: those come when the Job is made)."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    template = spec.get("jobTemplate")
    if isinstance(template, dict):
        template.setdefault("metadata", {})  # a struct value, as a pod template's
        if isinstance(template.get("spec"), dict):
            _template(template["spec"])


def job_selector(obj: dict[str, Any]) -> None:
    """The Job strategy's generated selector and pod labels (PrepareForCreate, after the field
    manager: they are nobody's in managedFields)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    uid = obj["metadata"].get("uid", "")
    template = spec.setdefault("template", {})
    if isinstance(template, dict) and not spec.get("manualSelector"):
        labels = {
            "batch.kubernetes.io/controller-uid": uid,
            "controller-uid": uid,
            "batch.kubernetes.io/job-name": obj["metadata"].get("name", ""),
            "job-name": obj["metadata"].get("name", ""),
        }
        spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
        tmeta = template.setdefault("metadata", {})
        if isinstance(tmeta, dict):
            tmeta.setdefault("labels", {}).update(labels)
    # SetDefaults_Job again, as kube-apiserver decodes the stored Job: the generated labels too
    _job_labels(obj)


def _job_labels(obj: dict[str, Any]) -> None:
    """SetDefaults_Job: a Job without labels gets its pod template's."""
    template = (obj.get("spec") or {}).get("template")
    tmeta = template.get("metadata") if isinstance(template, dict) else None
    tlabels = tmeta.get("labels") if isinstance(tmeta, dict) else None
    meta = obj.setdefault("metadata", {})
    if isinstance(tlabels, dict) and tlabels and isinstance(meta, dict) and not meta.get("labels"):
        meta["labels"] = dict(tlabels)


def crd(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("conversion", {"strategy": "None"})
    names = spec.get("names")
    if isinstance(names, dict) and isinstance(names.get("kind"), str):
        names.setdefault("singular", names["kind"].lower())
        names.setdefault("listKind", names["kind"] + "List")


def pod_template(obj: dict[str, Any]) -> None:
    """SetObjectDefaults_PodTemplate: the template's pod spec defaults."""
    _template(obj)


def _template(spec: dict[str, Any]) -> None:
    template = spec.get("template")
    if isinstance(template, dict):
        # PodTemplateSpec's ObjectMeta is a struct value, which Go writes even when empty
        template.setdefault("metadata", {})
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        pod_spec(template["spec"])


def deployment(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    if isinstance(strategy, dict):
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            if isinstance(rolling, dict):
                rolling.setdefault("maxUnavailable", "25%")
                rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _template(spec)


def replicaset(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        spec.setdefault("replicas", 1)
        _template(spec)


def statefulset(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {})
    if isinstance(strategy, dict) and not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        strategy.setdefault("rollingUpdate", {})
    rolling = strategy.get("rollingUpdate") if isinstance(strategy, dict) else None
    if strategy.get("type") == "RollingUpdate" and isinstance(rolling, dict):
        rolling.setdefault("partition", 0)
        rolling.setdefault("maxUnavailable", 1)  # the MaxUnavailableStatefulSet gate is on in v1.37
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
    for claim in _each(spec.get("volumeClaimTemplates")):
        persistent_volume_claim(claim)
    _template(spec)


def daemonset(obj: dict[str, Any]) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault(
        "updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    )
    spec.setdefault("revisionHistoryLimit", 10)
    _template(spec)
    # the internal spec.templateGeneration, which apps/v1 carries as this annotation: 1 at create
    annotations = obj.setdefault("metadata", {}).setdefault("annotations", {})
    if isinstance(annotations, dict):
        annotations.setdefault(DAEMON_SET_TEMPLATE_GENERATION, "1")


DAEMON_SET_TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"


def daemonset_template_generation(old: dict[str, Any], new: dict[str, Any], now: str) -> None:
    """PrepareForUpdate: a client cannot set the template generation; a template change bumps it."""
    try:
        generation = int((old["metadata"].get("annotations") or {}).get(DAEMON_SET_TEMPLATE_GENERATION, "1"))
    except ValueError:
        generation = 1
    if (old.get("spec") or {}).get("template") != (new.get("spec") or {}).get("template"):
        generation += 1
    new["metadata"].setdefault("annotations", {})[DAEMON_SET_TEMPLATE_GENERATION] = str(generation)


def priority_class(obj: dict[str, Any]) -> None:
    obj.setdefault("preemptionPolicy", "PreemptLowerPriority")


def endpoint_slice(obj: dict[str, Any]) -> None:
    """An endpoint's conditions are a struct in Go, which its JSON writes even when empty."""
    for endpoint in obj.get("endpoints") or ():
        if isinstance(endpoint, dict) and endpoint.get("conditions") is None:
            endpoint["conditions"] = {}


def ingress_class(obj: dict[str, Any]) -> None:
    params = (obj.get("spec") or {}).get("parameters")
    if isinstance(params, dict):
        params.setdefault("scope", "Cluster")


def _each(items: Any) -> list[dict[str, Any]]:
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _port_protocols(ports: Any) -> None:
    for port in _each(ports):
        port.setdefault("protocol", "TCP")


def endpoints(obj: dict[str, Any]) -> None:
    """SetDefaults_EndpointPort."""
    for subset in _each(obj.get("subsets")):
        _port_protocols(subset.get("ports"))


def network_policy(obj: dict[str, Any]) -> None:
    """SetDefaults_NetworkPolicyPort, and SetDefaults_NetworkPolicy's policyTypes: Ingress always,
    Egress when the policy has egress rules."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    for rule in _each(spec.get("ingress")) + _each(spec.get("egress")):
        _port_protocols(rule.get("ports"))
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def role_binding(obj: dict[str, Any]) -> None:
    """SetDefaults_Subject: a User's or Group's apiGroup is RBAC's."""
    for subject in _each(obj.get("subjects")):
        if subject.get("kind") in ("User", "Group"):
            subject.setdefault("apiGroup", "rbac.authorization.k8s.io")


def storage_class(obj: dict[str, Any]) -> None:
    obj.setdefault("reclaimPolicy", "Delete")
    obj.setdefault("volumeBindingMode", "Immediate")


def csi_driver(obj: dict[str, Any]) -> None:
    """SetDefaults_CSIDriver, with kube v1.37's default feature gates (SELinuxMountReadWriteOncePod,
    VolumeLimitScaling on)."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    for name, value in (
        ("attachRequired", True),
        ("podInfoOnMount", False),
        ("storageCapacity", False),
        ("fsGroupPolicy", "ReadWriteOnceWithFSType"),
        ("requiresRepublish", False),
        ("seLinuxMount", False),
        ("preventPodSchedulingIfMissing", False),
    ):
        spec.setdefault(name, value)
    if not spec.get("volumeLifecycleModes"):
        spec["volumeLifecycleModes"] = ["Persistent"]


def flow_schema(obj: dict[str, Any]) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict) and not spec.get("matchingPrecedence"):
        spec["matchingPrecedence"] = 1000


def priority_level_configuration(obj: dict[str, Any]) -> None:
    """SetDefaults_{Exempt,Limited}PriorityLevelConfiguration and SetDefaults_QueuingConfiguration."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    exempt = spec.get("exempt")
    if isinstance(exempt, dict):
        exempt.setdefault("nominalConcurrencyShares", 0)
        exempt.setdefault("lendablePercent", 0)
    limited = spec.get("limited")
    if not isinstance(limited, dict):
        return
    limited.setdefault("nominalConcurrencyShares", 30)
    limited.setdefault("lendablePercent", 0)
    queuing = (limited.get("limitResponse") or {}).get("queuing")
    if isinstance(queuing, dict):
        for name, value in (("handSize", 8), ("queues", 64), ("queueLengthLimit", 50)):
            if not queuing.get(name):
                queuing[name] = value


def _match_resources(match: Any) -> None:
    if isinstance(match, dict):
        match.setdefault("namespaceSelector", {})
        match.setdefault("objectSelector", {})
        match.setdefault("matchPolicy", "Equivalent")
        for rule in _each(match.get("resourceRules")):
            rule.setdefault("scope", "*")


def admission_policy(obj: dict[str, Any]) -> None:
    """SetDefaults_{Validating,Mutating}AdmissionPolicySpec and SetDefaults_MatchResources."""
    spec = obj.get("spec")
    if isinstance(spec, dict):
        spec.setdefault("failurePolicy", "Fail")
        _match_resources(spec.get("matchConstraints"))


def webhook_configuration(obj: dict[str, Any]) -> None:
    """SetDefaults_{Validating,Mutating}Webhook and SetDefaults_Rule: a mutating webhook is also
    never reinvoked by default."""
    for webhook in _each(obj.get("webhooks")):
        webhook.setdefault("failurePolicy", "Fail")
        webhook.setdefault("matchPolicy", "Equivalent")
        webhook.setdefault("namespaceSelector", {})
        webhook.setdefault("objectSelector", {})
        webhook.setdefault("timeoutSeconds", 10)
        if obj.get("kind") == "MutatingWebhookConfiguration":
            webhook.setdefault("reinvocationPolicy", "Never")
        for rule in _each(webhook.get("rules")):
            rule.setdefault("scope", "*")


def _device_requests(spec: Any) -> None:
    """SetDefaults_ExactDeviceRequest: one device, counted exactly."""
    devices = spec.get("devices") if isinstance(spec, dict) else None
    for request in _each((devices or {}).get("requests") if isinstance(devices, dict) else None):
        exactly = request.get("exactly")
        if isinstance(exactly, dict):
            exactly.setdefault("allocationMode", "ExactCount")
            if exactly["allocationMode"] == "ExactCount":
                exactly.setdefault("count", 1)


def resource_claim(obj: dict[str, Any]) -> None:
    _device_requests(obj.get("spec"))


def resource_claim_template(obj: dict[str, Any]) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        spec.setdefault("metadata", {})  # the template's ObjectMeta is a struct value
        _device_requests(spec.get("spec"))


def ip_address(obj: dict[str, Any]) -> None:
    """A parentRef's group is `omitempty`: the core group's "" is not written back."""
    ref = (obj.get("spec") or {}).get("parentRef") if isinstance(obj.get("spec"), dict) else None
    if isinstance(ref, dict) and ref.get("group") == "":
        del ref["group"]


def limit_range(obj: dict[str, Any]) -> None:
    """SetDefaults_LimitRangeItem: a container's default limit from its max, its default request
    from the default limit, else from its min."""
    for item in _each((obj.get("spec") or {}).get("limits") if isinstance(obj.get("spec"), dict) else None):
        if item.get("type") != "Container":
            continue
        default = dict(item.get("default") or {})
        request = dict(item.get("defaultRequest") or {})
        for key, value in (item.get("max") or {}).items():
            default.setdefault(key, value)
        for key, value in default.items():
            request.setdefault(key, value)
        for key, value in (item.get("min") or {}).items():
            request.setdefault(key, value)
        for name, values in (("default", default), ("defaultRequest", request)):
            if values:  # an empty map is omitempty
                item[name] = values


def persistent_volume(obj: dict[str, Any]) -> None:
    """SetDefaults_PersistentVolume (and a hostPath's type, a pointer defaulted to "")."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
    spec.setdefault("volumeMode", "Filesystem")
    if isinstance(spec.get("hostPath"), dict):
        spec["hostPath"].setdefault("type", "")


def persistent_volume_claim(obj: dict[str, Any]) -> None:
    """SetDefaults_PersistentVolumeClaim(Spec); a StatefulSet's claim templates get them too, and
    are written as whole PersistentVolumeClaims."""
    obj.setdefault("apiVersion", "v1")
    obj.setdefault("kind", "PersistentVolumeClaim")
    spec = obj.get("spec")
    if isinstance(spec, dict):
        spec.setdefault("volumeMode", "Filesystem")
    status = obj.setdefault("status", {})
    if isinstance(status, dict):
        status.setdefault("phase", "Pending")


def persistent_volume_status(obj: dict[str, Any], now: str) -> None:
    """SetDefaults_PersistentVolume's phase, and PrepareForCreate's time of it."""
    status = obj.setdefault("status", {})
    if isinstance(status, dict):
        status.setdefault("phase", "Pending")
        status.setdefault("lastPhaseTransitionTime", now)


# fields of a core/v1 Event (and their events.k8s.io/v1 names) that Go writes when unset: times
# with no omitempty write null, strings without it "", the source struct {}
_EVENT_ZEROS: tuple[tuple[str, str, Any], ...] = (
    ("eventTime", "eventTime", None),
    ("firstTimestamp", "deprecatedFirstTimestamp", None),
    ("lastTimestamp", "deprecatedLastTimestamp", None),
    ("reportingComponent", "", ""),
    ("reportingInstance", "", ""),
    ("source", "deprecatedSource", {}),
)


def event_shape(obj: dict[str, Any]) -> None:
    """An Event as kube-apiserver writes it back, in the names of the version it was written in."""
    core = obj.get("apiVersion") == "v1"
    for core_name, events_name, zero in _EVENT_ZEROS:
        name = core_name if core else events_name
        if name and name not in obj:
            obj[name] = copy.deepcopy(zero)


def local_api_service(obj: dict[str, Any], now: str) -> None:
    """PrepareForCreate: an APIService served by this server (no service) is available at once."""
    if (obj.get("spec") or {}).get("service") is not None:
        return
    status = obj.setdefault("status", {})
    if isinstance(status, dict) and not status.get("conditions"):
        status["conditions"] = [
            {
                "type": "Available",
                "status": "True",
                "lastTransitionTime": now,
                "reason": "Local",
                "message": "Local APIServices are always available",
            }
        ]
