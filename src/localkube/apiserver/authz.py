"""RBAC authorization as Kubernetes' RBAC authorizer decides it, over plain dict objects.

Pure: the HTTP layer authenticates the caller (UserInfo), describes the request (RequestAttrs),
hands over the current Roles, ClusterRoles and bindings, and turns a denial into a 403 whose
message `forbidden_message` words exactly as kube-apiserver does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from localkube.apiserver.selectors import SelectorError, label_selector_from_dict

RBAC_GROUP = "rbac.authorization.k8s.io"
ALL_AUTHENTICATED = "system:authenticated"
ALL_SERVICE_ACCOUNTS = "system:serviceaccounts"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
PRIVILEGED_GROUP = "system:masters"
UNAUTHENTICATED = "system:unauthenticated"


@dataclass(frozen=True)
class UserInfo:
    name: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestAttrs:
    """What a request asks to do; `path` matters only when `resource_request` is False."""

    verb: str
    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""
    resource_request: bool = True


def service_account_user(namespace: str, name: str) -> UserInfo:
    """The identity a service-account token authenticates as, with the groups Kubernetes adds."""
    return UserInfo(
        f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}",
        (ALL_SERVICE_ACCOUNTS, f"{ALL_SERVICE_ACCOUNTS}:{namespace}", ALL_AUTHENTICATED),
    )


def authorize(
    user: UserInfo,
    attrs: RequestAttrs,
    *,
    roles: Mapping[tuple[str, str], dict[str, Any]],
    cluster_roles: Mapping[str, dict[str, Any]],
    role_bindings: Iterable[dict[str, Any]],
    cluster_role_bindings: Iterable[dict[str, Any]],
) -> tuple[bool, str]:
    """(allowed, reason). ClusterRoleBindings apply everywhere; RoleBindings only in their own
    namespace. A binding whose role does not exist grants nothing, and a denial names such roles,
    as kube-apiserver's does (its reason is empty otherwise). `roles` is keyed by (namespace, name)."""
    if PRIVILEGED_GROUP in user.groups:
        # kube-apiserver lets system:masters through before RBAC is even asked.
        return True, ""
    missing: list[str] = []
    for source, rule in _rules(
        user, attrs.namespace, roles, cluster_roles, role_bindings, cluster_role_bindings, missing
    ):
        if rule_allows(attrs, rule):
            return True, f"RBAC: allowed by {source}"
    if not missing:
        return False, ""
    # the authorizer chain names the authorizer; several errors are listed as Go's aggregate does
    return False, "rbac: RBAC: " + (missing[0] if len(missing) == 1 else "[" + ", ".join(missing) + "]")


def _not_found(kind: str, name: str) -> str:
    return f'{kind.lower()}.rbac.authorization.k8s.io "{name}" not found'


def rules_for(
    user: UserInfo,
    namespace: str,
    *,
    roles: Mapping[tuple[str, str], dict[str, Any]],
    cluster_roles: Mapping[str, dict[str, Any]],
    role_bindings: Iterable[dict[str, Any]],
    cluster_role_bindings: Iterable[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Every rule that applies to `user` in `namespace` (for SelfSubjectRulesReview)."""
    found = _rules(user, namespace, roles, cluster_roles, role_bindings, cluster_role_bindings)
    return [rule for _, rule in found]


def _rules(
    user: UserInfo,
    namespace: str,
    roles: Mapping[tuple[str, str], dict[str, Any]],
    cluster_roles: Mapping[str, dict[str, Any]],
    role_bindings: Iterable[dict[str, Any]],
    cluster_role_bindings: Iterable[dict[str, Any]],
    missing: list[str] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The rules bound to `user`; the roles that bindings name but do not exist go to `missing`."""
    for binding in cluster_role_bindings:
        ref = binding.get("roleRef") or {}
        subject = _matching_subject(user, binding, "")
        if subject is None or ref.get("kind") != "ClusterRole":
            continue
        role = cluster_roles.get(str(ref.get("name", "")))
        if role is None:
            if missing is not None:
                missing.append(_not_found("ClusterRole", str(ref.get("name", ""))))
            continue
        source = (
            f'ClusterRoleBinding "{_name(binding)}" of ClusterRole "{ref.get("name")}" '
            f"to {_describe(subject, '')}"
        )
        for rule in role.get("rules") or []:
            yield source, rule
    if not namespace:
        return
    for binding in role_bindings:
        if _namespace(binding) != namespace:
            continue
        ref = binding.get("roleRef") or {}
        subject = _matching_subject(user, binding, namespace)
        if subject is None:
            continue
        kind = ref.get("kind")
        name = str(ref.get("name", ""))
        if kind not in ("Role", "ClusterRole"):
            continue
        role = roles.get((namespace, name)) if kind == "Role" else cluster_roles.get(name)
        if role is None:
            if missing is not None:
                missing.append(_not_found(str(kind), name))
            continue
        who = _describe(subject, namespace)
        source = f'RoleBinding "{_name(binding)}/{namespace}" of {kind} "{name}" to {who}'
        for rule in role.get("rules") or []:
            yield source, rule


def _matching_subject(user: UserInfo, binding: Mapping[str, Any], namespace: str) -> Mapping[str, Any] | None:
    for subject in binding.get("subjects") or []:
        if _applies(user, subject, namespace):
            return subject
    return None


def _applies(user: UserInfo, subject: Mapping[str, Any], binding_namespace: str) -> bool:
    kind = subject.get("kind")
    name = subject.get("name", "")
    if kind == "User":
        return user.name == name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        # A subject without a namespace means the binding's own namespace.
        ns = subject.get("namespace") or binding_namespace
        return bool(ns) and user.name == f"{SERVICE_ACCOUNT_PREFIX}{ns}:{name}"
    return False


def _describe(subject: Mapping[str, Any], binding_namespace: str) -> str:
    kind = subject.get("kind", "")
    name = subject.get("name", "")
    if kind == "ServiceAccount":
        return f'{kind} "{name}/{subject.get("namespace") or binding_namespace}"'
    return f'{kind} "{name}"'


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _namespace(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("namespace", ""))


def rule_allows(attrs: RequestAttrs, rule: Mapping[str, Any]) -> bool:
    """RBAC's RuleAllows: verbs, then API groups, resources/subresources and names, or URLs."""
    if not _has(rule.get("verbs"), attrs.verb):
        return False
    if attrs.resource_request:
        return (
            _has(rule.get("apiGroups"), attrs.api_group)
            and _resource_matches(rule.get("resources") or [], attrs.resource, attrs.subresource)
            and _name_matches(rule.get("resourceNames") or [], attrs.name)
        )
    return _url_matches(rule.get("nonResourceURLs") or [], attrs.path)


def _has(values: Any, wanted: str) -> bool:
    items = values or []
    return "*" in items or wanted in items


def _resource_matches(resources: Iterable[str], resource: str, subresource: str) -> bool:
    combined = f"{resource}/{subresource}" if subresource else resource
    for candidate in resources:
        if candidate in ("*", combined):
            return True
        # `*/scale` grants the scale subresource of every resource.
        if subresource and candidate == f"*/{subresource}":
            return True
    return False


def _name_matches(names: list[str], name: str) -> bool:
    return not names or name in names


def _url_matches(urls: Iterable[str], path: str) -> bool:
    for url in urls:
        if url in ("*", path):
            return True
        if url.endswith("*") and path.startswith(url[:-1]):
            return True
    return False


def forbidden_message(user: UserInfo, attrs: RequestAttrs) -> str:
    """The message of the 403 Status, worded as kube-apiserver words it."""
    if not attrs.resource_request:
        return f'forbidden: User "{user.name}" cannot {attrs.verb.lower()} path "{attrs.path}"'
    resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    where = f'in the namespace "{attrs.namespace}"' if attrs.namespace else "at the cluster scope"
    detail = (
        f'User "{user.name}" cannot {attrs.verb} resource "{resource}" '
        f'in API group "{attrs.api_group}" {where}'
    )
    qualified = f"{attrs.resource}.{attrs.api_group}" if attrs.api_group else attrs.resource
    if not qualified:
        return f"forbidden: {detail}"
    if attrs.name:
        return f'{qualified} "{attrs.name}" is forbidden: {detail}'
    return f"{qualified} is forbidden: {detail}"


# --- the default policy every cluster starts with -------------------------------------------------

_DISCOVERY_URLS = [
    "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
    "/readyz", "/version", "/version/",
]  # fmt: skip
_PUBLIC_INFO_URLS = ["/healthz", "/livez", "/readyz", "/version", "/version/"]


_READ = ["get", "list", "watch"]
_WRITE = ["create", "delete", "deletecollection", "patch", "update"]


def bootstrap_policy() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(ClusterRoles, ClusterRoleBindings) kube-apiserver creates at start: cluster-admin for
    system:masters, and discovery, self-review and health endpoints for every authenticated user
    (what lets `kubectl` and `kubectl auth can-i` work for a service account)."""
    roles = [
        _bootstrap_role(
            "cluster-admin",
            [
                {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                {"nonResourceURLs": ["*"], "verbs": ["*"]},
            ],
        ),
        _bootstrap_role("system:discovery", [{"nonResourceURLs": list(_DISCOVERY_URLS), "verbs": ["get"]}]),
        _bootstrap_role(
            "system:basic-user",
            [
                {
                    "apiGroups": ["authorization.k8s.io"],
                    "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                    "verbs": ["create"],
                },
                {
                    "apiGroups": ["authentication.k8s.io"],
                    "resources": ["selfsubjectreviews"],
                    "verbs": ["create"],
                },
            ],
        ),
        _bootstrap_role(
            "system:public-info-viewer", [{"nonResourceURLs": list(_PUBLIC_INFO_URLS), "verbs": ["get"]}]
        ),
    ]
    roles += _user_facing_roles()
    roles += [_bootstrap_role(name, rules) for name, rules in _SYSTEM_ROLES.items()]
    bindings = [
        _bootstrap_binding("cluster-admin", [PRIVILEGED_GROUP]),
        _bootstrap_binding("system:discovery", [ALL_AUTHENTICATED]),
        _bootstrap_binding("system:basic-user", [ALL_AUTHENTICATED]),
        _bootstrap_binding("system:public-info-viewer", [ALL_AUTHENTICATED, UNAUTHENTICATED]),
        _bootstrap_binding("system:monitoring", ["system:monitoring"]),
        _bootstrap_binding("system:service-account-issuer-discovery", [ALL_SERVICE_ACCOUNTS]),
    ]
    node_proxier = _bootstrap_binding("system:node-proxier", [])
    node_proxier["subjects"] = [{"apiGroup": RBAC_GROUP, "kind": "User", "name": "system:kube-proxy"}]
    kube_dns = _bootstrap_binding("system:kube-dns", [])
    kube_dns["subjects"] = [{"kind": "ServiceAccount", "name": "kube-dns", "namespace": "kube-system"}]
    return roles, [*bindings, node_proxier, kube_dns]


def _rule(groups: list[str], resources: list[str], verbs: list[str], **more: Any) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs, **more}


_SIGNERS = ("kube-apiserver-client", "kube-apiserver-client-kubelet", "kubelet-serving", "legacy-unknown")
_CERTS = "certificates.k8s.io"
# The other ClusterRoles every cluster has (kube-apiserver's bootstrap policy), which charts and
# operators bind to by name: system:auth-delegator above all, for webhooks and metrics proxies.
_SYSTEM_ROLES: dict[str, list[dict[str, Any]]] = {
    "system:auth-delegator": [
        _rule(["authentication.k8s.io"], ["tokenreviews"], ["create"]),
        _rule(["authorization.k8s.io"], ["subjectaccessreviews"], ["create"]),
    ],
    "system:monitoring": [
        {"nonResourceURLs": ["/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics", "/metrics/slis",
                             "/readyz", "/readyz/*"], "verbs": ["get"]},
    ],
    "system:service-account-issuer-discovery": [
        {"nonResourceURLs": ["/.well-known/openid-configuration", "/.well-known/openid-configuration/",
                             "/openid/v1/jwks", "/openid/v1/jwks/"], "verbs": ["get"]},
    ],
    "system:heapster": [
        _rule([""], ["events", "namespaces", "nodes", "pods"], list(_READ)),
        _rule(["extensions"], ["deployments"], list(_READ)),
    ],
    "system:kube-aggregator": [_rule([""], ["endpoints", "services"], list(_READ))],
    "system:kube-dns": [_rule([""], ["endpoints", "services"], ["list", "watch"])],
    "system:kubelet-api-admin": [
        _rule([""], ["nodes"], ["get", "list", "watch", "proxy"]),
        _rule([""], ["nodes/log", "nodes/metrics", "nodes/proxy", "nodes/stats"], ["*"]),
    ],
    "system:node-proxier": [
        _rule([""], ["endpoints", "services"], ["list", "watch"]),
        _rule([""], ["nodes"], list(_READ)),
        _rule(["", "events.k8s.io"], ["events"], ["create", "patch", "update"]),
        _rule(["discovery.k8s.io"], ["endpointslices"], ["list", "watch"]),
    ],
    "system:persistent-volume-provisioner": [
        _rule([""], ["persistentvolumes"], ["create", "delete", "get", "list", "watch"]),
        _rule([""], ["persistentvolumeclaims"], ["get", "list", "update", "watch"]),
        _rule(["storage.k8s.io"], ["storageclasses"], list(_READ)),
        _rule(["", "events.k8s.io"], ["events"], ["create", "patch", "update", "watch"]),
    ],
    "system:certificates.k8s.io:certificatesigningrequests:nodeclient": [
        _rule([_CERTS], ["certificatesigningrequests/nodeclient"], ["create"]),
    ],
    "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient": [
        _rule([_CERTS], ["certificatesigningrequests/selfnodeclient"], ["create"]),
    ],
    **{
        f"system:certificates.k8s.io:{signer}-approver": [
            _rule([_CERTS], ["signers"], ["approve"], resourceNames=[f"kubernetes.io/{signer}"])
        ]
        for signer in _SIGNERS
    },
}  # fmt: skip


# What the user-facing roles cover, by API group (kube-apiserver's aggregate-to-view/-edit rules).
_VIEWABLE = {
    "": [
        "bindings", "configmaps", "endpoints", "events", "limitranges", "namespaces",
        "namespaces/status", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
        "pods/log", "pods/status", "replicationcontrollers", "replicationcontrollers/scale",
        "replicationcontrollers/status", "resourcequotas", "resourcequotas/status",
        "serviceaccounts", "services", "services/status",
    ],
    "apps": [
        "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
        "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets",
        "statefulsets/scale", "statefulsets/status",
    ],
    "autoscaling": ["horizontalpodautoscalers", "horizontalpodautoscalers/status"],
    "batch": ["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
    "policy": ["poddisruptionbudgets", "poddisruptionbudgets/status"],
    "networking.k8s.io": ["ingresses", "ingresses/status", "networkpolicies"],
    "discovery.k8s.io": ["endpointslices"],
}  # fmt: skip
_EDITABLE = {
    "": [
        "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "configmaps", "endpoints",
        "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale",
        "secrets", "serviceaccounts", "services", "services/proxy",
    ],
    "apps": [
        "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
        "replicasets/scale", "statefulsets", "statefulsets/scale",
    ],
    "autoscaling": ["horizontalpodautoscalers"],
    "batch": ["cronjobs", "jobs"],
    "policy": ["poddisruptionbudgets"],
    "networking.k8s.io": ["ingresses", "networkpolicies"],
    "discovery.k8s.io": ["endpointslices"],
}  # fmt: skip


AGGREGATE_LABEL = "rbac.authorization.k8s.io/aggregate-to-"


def _user_facing_roles() -> list[dict[str, Any]]:
    """view, edit and admin, the ClusterRoles users bind to (`kubectl create rolebinding
    --clusterrole=edit`), aggregated as in a real cluster: each gathers the rules of every
    ClusterRole labelled `rbac.authorization.k8s.io/aggregate-to-<name>: "true"` (so a CRD's
    installer can extend them); view is aggregated into edit, and edit into admin."""
    view = [{"apiGroups": [g], "resources": list(r), "verbs": list(_READ)} for g, r in _VIEWABLE.items()]
    edit_only = [
        {"apiGroups": [g], "resources": list(r), "verbs": list(_WRITE)} for g, r in _EDITABLE.items()
    ] + [
        {"apiGroups": [""], "resources": ["secrets", "pods/attach", "pods/exec", "pods/portforward",
                                          "pods/proxy", "services/proxy"], "verbs": list(_READ)},
        {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
        {"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["create"]},
        {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]},
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": [*_READ, *_WRITE]},
    ]  # fmt: skip
    admin_only = [
        {"apiGroups": [RBAC_GROUP], "resources": ["rolebindings", "roles"], "verbs": [*_READ, *_WRITE]},
        {
            "apiGroups": ["authorization.k8s.io"],
            "resources": ["localsubjectaccessreviews"],
            "verbs": ["create"],
        },
    ]
    roles = []
    for name, rules, into in (
        ("view", view, "edit"),
        ("edit", edit_only, "admin"),
        ("admin", admin_only, ""),
    ):
        part = _bootstrap_role(f"system:aggregate-to-{name}", rules)
        part["metadata"]["labels"][AGGREGATE_LABEL + name] = "true"
        whole = _bootstrap_role(name, [])
        whole["aggregationRule"] = {
            "clusterRoleSelectors": [{"matchLabels": {AGGREGATE_LABEL + name: "true"}}]
        }
        if into:
            whole["metadata"]["labels"][AGGREGATE_LABEL + into] = "true"
        roles += [part, whole]
    return roles


def aggregated_rules(role: Mapping[str, Any], cluster_roles: Iterable[Mapping[str, Any]]) -> list[Any] | None:
    """The rules an aggregated ClusterRole holds (the clusterrole-aggregation controller's
    answer): every distinct rule of the other ClusterRoles its selectors match, by name order.
    None for a ClusterRole without an aggregationRule."""
    agg = role.get("aggregationRule")
    if not isinstance(agg, dict):
        return None
    try:
        selectors = [
            label_selector_from_dict(s) for s in agg.get("clusterRoleSelectors") or () if isinstance(s, dict)
        ]
    except SelectorError:
        return []
    me = _name(role)
    rules: list[Any] = []
    for other in sorted(cluster_roles, key=_name):
        if _name(other) == me:
            continue
        labels = (other.get("metadata") or {}).get("labels") or {}
        if any(sel.matches(labels) for sel in selectors):
            rules += [r for r in other.get("rules") or () if r not in rules]
    return rules


def _bootstrap_meta(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
        "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
    }


def _bootstrap_role(name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC_GROUP}/v1",
        "kind": "ClusterRole",
        "metadata": _bootstrap_meta(name),
        "rules": rules,
    }


def _bootstrap_binding(name: str, groups: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC_GROUP}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": _bootstrap_meta(name),
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": name},
        "subjects": [{"apiGroup": RBAC_GROUP, "kind": "Group", "name": g} for g in groups],
    }
