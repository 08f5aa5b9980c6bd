"""Strategy records of rbac.authorization.k8s.io/v1 kinds: path-segment names, their validation."""

from __future__ import annotations

from localkube.apiserver import defaults, metadata
from localkube.apiserver.fielderrors import go_json
from localkube.apiserver.printers.rbac import BINDING_PRINTER, CLUSTER_ROLE_BINDING_PRINTER, ROLE_PRINTER
from localkube.apiserver.strategies.immutable import Fixed, unchanged
from localkube.apiserver.strategy import Strategy


def _go_role_ref(ref: object) -> object:
    """A roleRef as kube's error prints it: the internal Go struct, which has no JSON names."""
    ref = ref if isinstance(ref, dict) else {}
    return go_json(
        {"APIGroup": ref.get("apiGroup", ""), "Kind": ref.get("kind", ""), "Name": ref.get("name", "")}
    )


_ROLE_REF = unchanged(Fixed("roleRef", shown=_go_role_ref))

ROLE = Strategy(name_rule="path-segment", validate=metadata.validate_role, printer=ROLE_PRINTER)
CLUSTER_ROLE = Strategy(
    name_rule="path-segment", validate=metadata.validate_cluster_role, printer=ROLE_PRINTER
)
ROLE_BINDING = Strategy(
    name_rule="path-segment",
    default=defaults.role_binding,
    validate=metadata.validate_role_binding,
    validate_update=_ROLE_REF,
    printer=BINDING_PRINTER,
)
CLUSTER_ROLE_BINDING = Strategy(
    name_rule="path-segment",
    default=defaults.role_binding,
    validate=metadata.validate_cluster_role_binding,
    validate_update=_ROLE_REF,
    printer=CLUSTER_ROLE_BINDING_PRINTER,
)
