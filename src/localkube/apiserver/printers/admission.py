"""Printers of the admissionregistration.k8s.io kinds: Validating/MutatingWebhookConfiguration,
Validating/MutatingAdmissionPolicy and their bindings.
The columns and cells are kube-apiserver v1.37.2's (pkg/printers/internalversion/printers.go).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from localkube.apiserver.strategy import Printer, Row
from localkube.apiserver.tables import AGE_COLUMN, NAME_COLUMN, age_of, as_list, as_map, column, name_of


def _webhooks_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), len(as_list(obj.get("webhooks"))), age_of(obj, now)], []


WEBHOOK_CONFIGURATION_PRINTER = Printer(
    [
        NAME_COLUMN,
        column(
            "Webhooks",
            "integer",
            desc="Webhooks indicates the number of webhooks registered in this configuration",
        ),
        AGE_COLUMN,
    ],
    _webhooks_row,
)


def _param_kind(spec: Mapping[str, Any]) -> str:
    """spec.paramKind as `apiVersion/kind`, `<unset>` without one."""
    kind = spec.get("paramKind")
    if not isinstance(kind, Mapping):
        return "<unset>"
    return f"{kind.get('apiVersion') or ''}/{kind.get('kind') or ''}"


_PARAM_KIND_DESC = "ParamKind specifies the kind of resources used to parameterize this policy"


def _policy_printer(rules: str, rules_desc: str) -> Printer:
    """A policy's columns: how many of its `rules` (validations, mutations) it has, and its paramKind."""

    def row(obj: dict[str, Any], now: datetime) -> Row:
        spec = as_map(obj.get("spec"))
        return [name_of(obj), len(as_list(spec.get(rules))), _param_kind(spec), age_of(obj, now)], []

    columns = [
        NAME_COLUMN,
        column(rules.capitalize(), "integer", desc=rules_desc),
        column(
            "ParamKind", desc="ParamKind specifies the kind of resources used to parameterize this policy"
        ),
        AGE_COLUMN,
    ]
    return Printer(columns, row)


VALIDATING_ADMISSION_POLICY_PRINTER = _policy_printer(
    "validations", "Validations indicates the number of validation rules defined in this configuration"
)
# kube's description says "Mutation", singular
MUTATING_ADMISSION_POLICY_PRINTER = _policy_printer(
    "mutations", "Mutation indicates the number of mutations rules defined in this configuration"
)


def go_label_selector(selector: Mapping[str, Any]) -> str:
    """metav1.LabelSelector's String(): the generated Go struct dump, as kube prints a binding's
    paramRef selector (not the `k=v` form of `kubectl get -l`)."""
    labels = as_map(selector.get("matchLabels"))
    pairs = "".join(f"{key}: {labels[key]}," for key in sorted(labels))
    requirements = ""
    for expr in as_list(selector.get("matchExpressions")):
        expr = as_map(expr)
        values = " ".join(str(v) for v in as_list(expr.get("values")))
        requirements += (
            f"LabelSelectorRequirement{{Key:{expr.get('key') or ''},"
            f"Operator:{expr.get('operator') or ''},Values:[{values}],}},"
        )
    return (
        f"&LabelSelector{{MatchLabels:map[string]string{{{pairs}}},"
        f"MatchExpressions:[]LabelSelectorRequirement{{{requirements}}},}}"
    )


def _param_ref(spec: Mapping[str, Any]) -> str:
    """spec.paramRef: `namespace/name`, `*/name` (the namespace may be the param's own, or it is
    cluster-scoped: the binding cannot tell), the selector, or `<unset>`."""
    ref = spec.get("paramRef")
    if not isinstance(ref, Mapping):
        return "<unset>"
    name = ref.get("name") or ""
    if name:
        return f"{ref.get('namespace') or '*'}/{name}"
    selector = ref.get("selector")
    return go_label_selector(selector) if isinstance(selector, Mapping) else "<unset>"


def _binding_row(obj: dict[str, Any], now: datetime) -> Row:
    spec = as_map(obj.get("spec"))
    return [name_of(obj), spec.get("policyName", ""), _param_ref(spec), age_of(obj, now)], []


# validating and mutating policies' bindings print alike
POLICY_BINDING_PRINTER = Printer(
    [
        NAME_COLUMN,
        column(
            "PolicyName", desc="PolicyName indicates the policy definition which the policy binding binded to"
        ),
        column("ParamRef", desc="ParamRef indicates the param resource which sets the configuration param"),
        AGE_COLUMN,
    ],
    _binding_row,
)
