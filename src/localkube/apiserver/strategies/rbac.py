"""Strategy records of rbac.authorization.k8s.io/v1 kinds: path-segment names, their validation."""

from __future__ import annotations

from localkube.apiserver import metadata
from localkube.apiserver.printers.rbac import BINDING_PRINTER, CLUSTER_ROLE_BINDING_PRINTER, ROLE_PRINTER
from localkube.apiserver.strategy import Strategy

ROLE = Strategy(name_rule="path-segment", validate=metadata.validate_role, printer=ROLE_PRINTER)
CLUSTER_ROLE = Strategy(
    name_rule="path-segment", validate=metadata.validate_cluster_role, printer=ROLE_PRINTER
)
ROLE_BINDING = Strategy(
    name_rule="path-segment", validate=metadata.validate_role_binding, printer=BINDING_PRINTER
)
CLUSTER_ROLE_BINDING = Strategy(
    name_rule="path-segment",
    validate=metadata.validate_cluster_role_binding,
    printer=CLUSTER_ROLE_BINDING_PRINTER,
)
