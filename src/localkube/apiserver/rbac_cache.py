"""RBAC decisions over the stored Roles and bindings, without a LIST per request.

The snapshot of RBAC objects and the decisions made from it are kept until any Role, ClusterRole,
RoleBinding or ClusterRoleBinding changes (the store tells its listeners of every write), so an
edited Role takes effect on the very next request, as kube-apiserver's informer-fed authorizer
does within moments.
"""

from __future__ import annotations

from typing import Any

from localkube.apiserver import authz
from localkube.apiserver.store import Event, Key, Reads
from localkube.apiserver.tokens import User

_RBAC_KINDS = ("roles", "clusterroles", "rolebindings", "clusterrolebindings")
# A bound on remembered decisions: users x verbs x resources x namespaces stays small in practice,
# but a client walking many names must not grow memory without end.
_MAX_DECISIONS = 50_000


class RBACAuthorizer:
    def __init__(self, store: Reads) -> None:
        self.store = store
        self._keys = {(authz.RBAC_GROUP, plural) for plural in _RBAC_KINDS}
        self._snapshot: dict[str, Any] | None = None
        self._decisions: dict[tuple[str, tuple[str, ...], authz.RequestAttrs], tuple[bool, str]] = {}
        store.listen(self._on_event)

    def _on_event(self, key: Key, _ev: Event) -> None:
        if key in self._keys:
            self._snapshot = None
            self._decisions.clear()

    def _rbac(self) -> dict[str, Any]:
        if self._snapshot is None:
            rbac = authz.RBAC_GROUP

            def objs(plural: str) -> list[dict[str, Any]]:
                return [s.obj for s in self.store.items((rbac, plural), None)]

            self._snapshot = {
                "roles": {
                    (r["metadata"].get("namespace", ""), r["metadata"]["name"]): r for r in objs("roles")
                },
                "cluster_roles": {r["metadata"]["name"]: r for r in objs("clusterroles")},
                "role_bindings": objs("rolebindings"),
                "cluster_role_bindings": objs("clusterrolebindings"),
            }
        return self._snapshot

    def decide(self, user: User, attrs: authz.RequestAttrs) -> tuple[bool, str]:
        key = (user.name, user.groups, attrs)
        found = self._decisions.get(key)
        if found is not None:
            return found
        answer = authz.authorize(authz.UserInfo(user.name, user.groups), attrs, **self._rbac())
        if len(self._decisions) >= _MAX_DECISIONS:
            self._decisions.clear()
        self._decisions[key] = answer
        return answer

    def rules(self, user: User, namespace: str) -> list[dict[str, Any]]:
        return authz.rules_for(authz.UserInfo(user.name, user.groups), namespace, **self._rbac())
