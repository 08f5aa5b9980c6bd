"""Printers of the rbac.authorization.k8s.io kinds: Role and ClusterRole, RoleBinding, ClusterRoleBinding.
The columns and cells are kube-apiserver v1.37.2's (pkg/printers/internalversion/printers.go).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from localkube.apiserver import column_docs as docs
from localkube.apiserver.strategy import Printer, Row
from localkube.apiserver.tables import (
    AGE_COLUMN,
    DEFAULT_COLUMNS,
    NAME_COLUMN,
    Cells,
    age_of,
    as_list,
    as_map,
    column,
    meta_of,
    name_of,
)


def _role_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), meta_of(obj).get("creationTimestamp", "")], []


# Roles and ClusterRoles have no printer in kube: the default table convertor's columns and cells.
ROLE_PRINTER = Printer(DEFAULT_COLUMNS, _role_row)


def _binding_row(obj: dict[str, Any], now: datetime) -> Row:
    ref = as_map(obj.get("roleRef"))
    users, groups, sas = [], [], []
    for s in as_list(obj.get("subjects")):
        s = as_map(s)
        if s.get("kind") == "User":
            users.append(s.get("name", ""))
        elif s.get("kind") == "Group":
            groups.append(s.get("name", ""))
        elif s.get("kind") == "ServiceAccount":
            sas.append(f"{s.get('namespace', '')}/{s.get('name', '')}")
    cells: Cells = [
        name_of(obj),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        age_of(obj, now),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(sas),
    ]
    return cells, []


def _binding_columns(kind: str, role_ref_desc: str) -> list[dict[str, Any]]:
    """A RoleBinding's or ClusterRoleBinding's columns; `kind` as the descriptions spell it."""
    return [
        NAME_COLUMN,
        column("Role", desc=role_ref_desc),
        AGE_COLUMN,
        column("Users", priority=1, desc=f"Users in the {kind}"),
        column("Groups", priority=1, desc=f"Groups in the {kind}"),
        column("ServiceAccounts", priority=1, desc=f"ServiceAccounts in the {kind}"),
    ]


# The two kinds of binding print alike but for their columns' descriptions.
BINDING_PRINTER = Printer(_binding_columns("roleBinding", docs.ROLE_BINDING_ROLE_REF), _binding_row)
CLUSTER_ROLE_BINDING_PRINTER = Printer(
    _binding_columns("clusterRoleBinding", docs.CLUSTER_ROLE_BINDING_ROLE_REF), _binding_row
)
