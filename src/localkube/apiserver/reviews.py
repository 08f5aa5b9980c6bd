"""The create-only review resources: access reviews (authorization.k8s.io) and token/self reviews
(authentication.k8s.io). Nothing is stored; the answer is the request with its status filled in,
which is what `kubectl auth can-i` and `kubectl auth whoami` read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localkube.apiserver import authz, errors
from localkube.apiserver.kinds import ResourceInfo
from localkube.apiserver.tokens import User

REVIEW_GROUPS = ("authorization.k8s.io", "authentication.k8s.io")

# (user, attributes) -> (allowed, reason); with no RBAC every request is allowed
Decide = Callable[[User, authz.RequestAttrs], tuple[bool, str]]
# (user, namespace) -> the RBAC rules that apply (SelfSubjectRulesReview)
Rules = Callable[[User, str], list[dict[str, Any]]] | None
Authenticate = Callable[[str], User | None]


def _attrs(spec: dict[str, Any], namespace: str) -> authz.RequestAttrs:
    res = spec.get("resourceAttributes")
    if isinstance(res, dict):
        return authz.RequestAttrs(
            str(res.get("verb", "")),
            api_group=str(res.get("group", "")),
            resource=str(res.get("resource", "")),
            subresource=str(res.get("subresource", "")),
            namespace=str(res.get("namespace") or namespace),
            name=str(res.get("name", "")),
        )
    non = spec.get("nonResourceAttributes")
    if isinstance(non, dict):
        return authz.RequestAttrs(
            str(non.get("verb", "")), path=str(non.get("path", "")), resource_request=False
        )
    raise errors.invalid("SelfSubjectAccessReview", "authorization.k8s.io", "", [])


def _user_info(user: User) -> dict[str, Any]:
    info: dict[str, Any] = {"username": user.name, "groups": list(user.groups)}
    if user.uid:
        info["uid"] = user.uid
    if user.extra:
        info["extra"] = {k: list(v) for k, v in user.extra.items()}
    return info


def review(
    info: ResourceInfo,
    ns: str,
    body: Any,
    user: User,
    decide: Decide,
    rules: Rules,
    authenticate: Authenticate,
    now: str,
) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.bad_request(f"the body of the request was not a {info.kind} object")
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    kind = info.kind
    meta = {k: v for k, v in (body.get("metadata") or {}).items() if k != "creationTimestamp"}
    if kind == "LocalSubjectAccessReview":
        meta["namespace"] = ns
    elif kind == "SelfSubjectReview":
        meta["creationTimestamp"] = now  # its registry stamps it; the other reviews' stay unset
    out = {**body, "apiVersion": info.api_version, "kind": kind, "metadata": meta}
    if kind in ("SelfSubjectAccessReview", "SubjectAccessReview", "LocalSubjectAccessReview"):
        who = user
        if kind != "SelfSubjectAccessReview":
            who = User(str(spec.get("user", "")), str(spec.get("uid", "")), tuple(spec.get("groups") or ()))
        allowed, reason = decide(who, _attrs(spec, ns))
        status: dict[str, Any] = {"allowed": allowed}
        if reason:
            status["reason"] = reason
        out["status"] = status
    elif kind == "SelfSubjectRulesReview":
        namespace = str(spec.get("namespace") or "")
        if rules is None:
            out["status"] = {
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                "incomplete": False,
            }
        else:
            found = rules(user, namespace)
            out["status"] = {
                "resourceRules": [r for r in found if r.get("resources") or r.get("apiGroups")],
                "nonResourceRules": [r for r in found if r.get("nonResourceURLs")],
                "incomplete": False,
            }
    elif kind == "TokenReview":
        who_token = authenticate(str(spec.get("token", "")))
        out["status"] = (
            {
                "authenticated": True,
                "user": _user_info(who_token),
                "audiences": list(spec.get("audiences") or []),
            }
            if who_token is not None
            # kube-apiserver's bearer-token authenticator's words; `authenticated: false` is omitted,
            # the user (a struct value) is not
            else {"user": {}, "error": "invalid bearer token"}
        )
    elif kind == "SelfSubjectReview":
        out["status"] = {"userInfo": _user_info(user)}
    else:
        raise errors.method_not_allowed()
    return out
