"""Checks on a client's write that depend on who writes it or on other objects: RBAC escalation
prevention, the addresses Endpoints and EndpointSlices may name, and the requester a new
CertificateSigningRequest names (the writer, whatever it sent). Writes the server makes itself
(its bootstrap objects, its controllers) do not pass through here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from localkube.addresses import special_ip
from localkube.apiserver import authz, errors, escalation
from localkube.apiserver.fielderrors import INVALID, FieldError
from localkube.apiserver.kinds import ResourceInfo
from localkube.apiserver.store import Reads
from localkube.apiserver.strategies.stored import csr_requester
from localkube.apiserver.tokens import User

# (user, attributes) -> allowed; (user, namespace) -> the RBAC rules that apply to the user there
Decide = Callable[[User, authz.RequestAttrs], tuple[bool, str]]
Rules = Callable[[User, str], list[dict[str, Any]]]
Check = Callable[[ResourceInfo, dict[str, Any], "dict[str, Any] | None"], None]
_RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")


def _endpoint_addresses(kind: str, obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(field path, address) of every address an Endpoints or EndpointSlice names."""
    if kind == "Endpoints":
        for i, subset in enumerate(obj.get("subsets") or ()):
            if not isinstance(subset, dict):
                continue
            for field in ("addresses", "notReadyAddresses"):
                for j, addr in enumerate(subset.get(field) or ()):
                    if isinstance(addr, dict) and isinstance(addr.get("ip"), str):
                        yield f"subsets[{i}].{field}[{j}].ip", addr["ip"]
    elif kind == "EndpointSlice" and obj.get("addressType") in ("IPv4", "IPv6"):
        for i, ep in enumerate(obj.get("endpoints") or ()):
            if not isinstance(ep, dict):
                continue
            for j, addr in enumerate(ep.get("addresses") or ()):
                if isinstance(addr, str):
                    yield f"endpoints[{i}].addresses[{j}]", addr


def endpoint_errors(kind: str, obj: dict[str, Any], node_ips: set[str]) -> list[FieldError]:
    errs = []
    for path, addr in _endpoint_addresses(kind, obj):
        why = special_ip(addr)
        if not why and addr in node_ips:
            why = "may not be the address of a node (its kubelet and host services are not endpoints)"
        if why:
            errs.append(FieldError(path, INVALID, why, addr))
    return errs


class Admission:
    """The per-request checks; `for_user` gives the one a write's core call runs."""

    def __init__(self, store: Reads, decide: Decide | None, rules: Rules | None) -> None:
        self.store = store
        self.decide = decide
        self.rules = rules

    def for_user(self, user: User) -> Check:
        def check(info: ResourceInfo, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
            if info.custom:
                return
            if info.kind in ("Endpoints", "EndpointSlice"):
                errs = endpoint_errors(info.kind, obj, self._node_ips())
                if errs:
                    name = str((obj.get("metadata") or {}).get("name") or "")
                    raise errors.invalid(info.kind, info.group, name, errs)
            elif info.group == authz.RBAC_GROUP and info.kind in _RBAC_KINDS:
                self._escalation(user, info, obj, old)
            elif info.kind == "CertificateSigningRequest" and old is None:
                csr_requester(obj, user.name, user.uid, list(user.groups), user.extra)

        return check

    def _node_ips(self) -> set[str]:
        ips = set()
        for node in self.store.items(("", "nodes"), None):
            for addr in (node.obj.get("status") or {}).get("addresses") or ():
                if isinstance(addr, dict) and addr.get("type") in ("InternalIP", "ExternalIP"):
                    ips.add(str(addr.get("address")))
        return ips

    def _escalation(
        self, user: User, info: ResourceInfo, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> None:
        decide, rules = self.decide, self.rules
        if decide is None or rules is None:
            return  # AlwaysAllow: nothing to escalate past

        def may(verb: str, resource: str, ns: str, name: str) -> bool:
            attrs = authz.RequestAttrs(
                verb, api_group=authz.RBAC_GROUP, resource=resource, namespace=ns, name=name
            )
            return decide(user, attrs)[0]

        def role_rules(kind: str, ns: str, name: str) -> list[Any] | None:
            key = (authz.RBAC_GROUP, "roles" if kind == "Role" else "clusterroles")
            found = self.store.get(key, ns if kind == "Role" else "", name)
            return None if found is None else list(found.obj.get("rules") or [])

        why = escalation.check(
            info.kind,
            obj,
            old,
            authz.UserInfo(user.name, user.groups),
            may,
            lambda ns: rules(user, ns),
            role_rules,
        )
        if why:
            name = str((obj.get("metadata") or {}).get("name") or "")
            raise errors.forbidden(info.plural, info.group, name, why)


def checks(store: Reads, decide: Decide | None, rules: Rules | None, user: User) -> Check:
    """What a client's write must pass, for `user`."""
    return Admission(store, decide, rules).for_user(user)
