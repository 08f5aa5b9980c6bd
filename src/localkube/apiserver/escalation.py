"""RBAC escalation prevention, as kube-apiserver's RBAC storage enforces it (pure).

Writing a Role or ClusterRole needs every permission it grants, or the `escalate` verb on it.
Writing a binding needs every permission of the role it references, or the `bind` verb on that
role. Without this, anyone allowed to create RoleBindings could bind themselves to cluster-admin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from localkube.apiserver import authz

Rule = Mapping[str, Any]
# every permission there is: what a ClusterRole with an aggregationRule may end up granting
FULL_AUTHORITY: list[dict[str, Any]] = [
    {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
    {"nonResourceURLs": ["*"], "verbs": ["*"]},
]
# metadata the garbage collector changes: updating only these escalates nothing
_GC_FIELDS = ("ownerReferences", "finalizers", "resourceVersion", "managedFields", "generation")


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _atoms(rule: Rule) -> Iterator[dict[str, Any]]:
    """One rule as its single permissions (Kubernetes' BreakdownRule)."""
    verbs = _strings(rule.get("verbs"))
    for url in _strings(rule.get("nonResourceURLs")):
        for verb in verbs:
            yield {"nonResourceURLs": [url], "verbs": [verb]}
    names = _strings(rule.get("resourceNames")) or [""]
    for group in _strings(rule.get("apiGroups")):
        for resource in _strings(rule.get("resources")):
            for name in names:
                for verb in verbs:
                    atom: dict[str, Any] = {"apiGroups": [group], "resources": [resource], "verbs": [verb]}
                    if name:
                        atom["resourceNames"] = [name]
                    yield atom


def _has(values: list[str], wanted: str) -> bool:
    return "*" in values or wanted in values


def _resource_covered(held: list[str], wanted: str) -> bool:
    if _has(held, wanted):
        return True
    _, slash, sub = wanted.partition("/")
    return bool(slash) and f"*/{sub}" in held


def _url_covered(held: list[str], wanted: str) -> bool:
    return any(h == "*" or h == wanted or (h.endswith("*") and wanted.startswith(h[:-1])) for h in held)


def _covers(owner: Rule, atom: Mapping[str, Any]) -> bool:
    verbs = _strings(owner.get("verbs"))
    if not _has(verbs, atom["verbs"][0]):
        return False
    if "nonResourceURLs" in atom:
        return _url_covered(_strings(owner.get("nonResourceURLs")), atom["nonResourceURLs"][0])
    if not _has(_strings(owner.get("apiGroups")), atom["apiGroups"][0]):
        return False
    if not _resource_covered(_strings(owner.get("resources")), atom["resources"][0]):
        return False
    names = _strings(owner.get("resourceNames"))
    return not names or atom.get("resourceNames", [""])[0] in names


def not_held(held: Iterable[Rule], wanted: Iterable[Rule]) -> list[dict[str, Any]]:
    """The single permissions of `wanted` that no rule of `held` covers (Kubernetes' Covers)."""
    owners = list(held)
    missing = []
    for rule in wanted:
        if not isinstance(rule, Mapping):
            continue
        for atom in _atoms(rule):
            if atom not in missing and not any(_covers(o, atom) for o in owners):
                missing.append(atom)
    return missing


def _go_strings(values: Iterable[str]) -> str:
    return "[" + " ".join(f'"{v}"' for v in values) + "]"


def rule_text(rule: Mapping[str, Any]) -> str:
    """A rule as kube-apiserver prints it in escalation errors."""
    parts = []
    for key, label in (
        ("apiGroups", "APIGroups"),
        ("resources", "Resources"),
        ("resourceNames", "ResourceNames"),
        ("nonResourceURLs", "NonResourceURLs"),
        ("verbs", "Verbs"),
    ):
        if rule.get(key):
            parts.append(f"{label}:{_go_strings(rule[key]).replace(' ', ', ')}")
    return "{" + ", ".join(parts) + "}"


def escalation_message(user: authz.UserInfo, missing: list[dict[str, Any]]) -> str:
    return (
        f'user "{user.name}" (groups={_go_strings(user.groups)}) is attempting to grant RBAC permissions '
        "not currently held:\n" + "\n".join(rule_text(r) for r in missing)
    )


def only_gc_fields_changed(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> bool:
    """An update that changes nothing but what the garbage collector writes escalates nothing."""
    if old is None:
        return False

    def rest(o: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        meta = o.get("metadata") or {}
        return {k: v for k, v in o.items() if k != "metadata"}, {
            k: v for k, v in meta.items() if k not in _GC_FIELDS
        }

    return rest(obj) == rest(old)


# (verb, resource, namespace, name) -> whether the caller may; (namespace) -> the caller's rules;
# (kind, namespace, name) -> a role's rules, None when it does not exist
MayDo = Callable[[str, str, str, str], bool]
HeldRules = Callable[[str], list[dict[str, Any]]]
RoleRules = Callable[[str, str, str], list[Any] | None]


def check(
    kind: str,
    obj: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    user: authz.UserInfo,
    may: MayDo,
    held: HeldRules,
    role_rules: RoleRules,
) -> str:
    """Why writing this RBAC object is an escalation ("" when it is not)."""
    if authz.PRIVILEGED_GROUP in user.groups or only_gc_fields_changed(obj, old):
        return ""
    meta = obj.get("metadata") or {}
    name = str(meta.get("name") or "")
    ns = str(meta.get("namespace") or "") if kind in ("Role", "RoleBinding") else ""
    if kind in ("Role", "ClusterRole"):
        if may("escalate", "roles" if kind == "Role" else "clusterroles", ns, name):
            return ""
        if kind == "ClusterRole" and obj.get("aggregationRule") and not_held(held(""), FULL_AUTHORITY):
            return "must have cluster-admin privileges to use the aggregationRule"
        missing = not_held(held(ns), obj.get("rules") or [])
        return escalation_message(user, missing) if missing else ""
    ref = obj.get("roleRef") if isinstance(obj.get("roleRef"), Mapping) else {}
    assert isinstance(ref, Mapping)
    ref_kind, ref_name = str(ref.get("kind") or ""), str(ref.get("name") or "")
    if ref_kind not in ("Role", "ClusterRole"):
        return ""  # validation answers a bad roleRef with 422
    if may("bind", "roles" if ref_kind == "Role" else "clusterroles", ns, ref_name):
        return ""
    rules = role_rules(ref_kind, ns, ref_name)
    if rules is None:
        plural = "roles" if ref_kind == "Role" else "clusterroles"
        return f'{plural}.{authz.RBAC_GROUP} "{ref_name}" not found'
    missing = not_held(held(ns), rules)
    return escalation_message(user, missing) if missing else ""
