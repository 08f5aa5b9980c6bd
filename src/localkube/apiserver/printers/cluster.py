"""Printers of the cluster's own machinery: Lease (coordination.k8s.io), CertificateSigningRequest,
ClusterTrustBundle and PodCertificateRequest (certificates.k8s.io), StorageVersionMigration
(storagemigration.k8s.io).
The columns and cells are kube-apiserver v1.37.2's (pkg/printers/internalversion/printers.go).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from localkube.apiserver import column_docs as docs
from localkube.apiserver.strategy import Printer, Row
from localkube.apiserver.tables import (
    AGE_COLUMN,
    NAME_COLUMN,
    Cells,
    age_of,
    as_list,
    as_map,
    column,
    format_labels,
    group_resource,
    human_duration,
    name_of,
)


def _lease_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), as_map(obj.get("spec")).get("holderIdentity", ""), age_of(obj, now)], []


LEASE_PRINTER = Printer(
    [NAME_COLUMN, column("Holder", desc=docs.LEASE_SPEC_HOLDER_IDENTITY), AGE_COLUMN], _lease_row
)


def _csr_condition(status: Mapping[str, Any], certificate: Any) -> str:
    """extractCSRStatus: Denied, else Approved, else Pending; then Failed and Issued."""
    types = {as_map(c).get("type") for c in as_list(status.get("conditions"))}
    if "Denied" in types:
        text = "Denied"
    elif "Approved" in types:
        text = "Approved"
    else:
        text = "Pending"
    if "Failed" in types:
        text += ",Failed"
    if certificate:
        text += ",Issued"
    return text


def _csr_row(obj: dict[str, Any], now: datetime) -> Row:
    spec, status = as_map(obj.get("spec")), as_map(obj.get("status"))
    seconds = spec.get("expirationSeconds")
    cells: Cells = [
        name_of(obj),
        age_of(obj, now),
        spec.get("signerName") or "<none>",
        spec.get("username", ""),
        "<none>" if seconds is None else human_duration(int(seconds)),
        _csr_condition(status, status.get("certificate")),
    ]
    return cells, []


# kube documents these columns with certificates/v1beta1's fields; "Requestor" shows spec.username
CERTIFICATE_SIGNING_REQUEST_PRINTER = Printer(
    [
        NAME_COLUMN,
        AGE_COLUMN,
        column("SignerName", desc=docs.CSR_SPEC_SIGNER_NAME),
        column("Requestor", desc=docs.CSR_SPEC_REQUEST),
        column("RequestedDuration", desc=docs.CSR_SPEC_EXPIRATION_SECONDS),
        column("Condition", desc=docs.CSR_STATUS_CONDITIONS),
    ],
    _csr_row,
)


def _trust_bundle_row(obj: dict[str, Any], now: datetime) -> Row:
    return [name_of(obj), as_map(obj.get("spec")).get("signerName") or "<none>"], []


# no Age column, as kube's
CLUSTER_TRUST_BUNDLE_PRINTER = Printer(
    [NAME_COLUMN, column("SignerName", desc=docs.CLUSTER_TRUST_BUNDLE_SPEC_SIGNER_NAME)], _trust_bundle_row
)


def _pod_certificate_state(status: Mapping[str, Any]) -> str:
    """Issued, Denied and Failed exclude each other; the last such condition says (whatever its
    status), else Pending."""
    state = "Pending"
    for condition in as_list(status.get("conditions")):
        kind = as_map(condition).get("type")
        if kind in ("Issued", "Denied", "Failed"):
            state = str(kind)
    return state


def _pod_certificate_row(obj: dict[str, Any], now: datetime) -> Row:
    spec = as_map(obj.get("spec"))
    cells: Cells = [
        name_of(obj),
        spec.get("podName", ""),
        spec.get("serviceAccountName", ""),
        spec.get("nodeName", ""),
        spec.get("signerName", ""),
        _pod_certificate_state(as_map(obj.get("status"))),
        format_labels(spec.get("unverifiedUserAnnotations")),
    ]
    return cells, []


# no Age column, and the annotations are no wide column, as kube's
POD_CERTIFICATE_REQUEST_PRINTER = Printer(
    [
        NAME_COLUMN,
        column("PodName", desc=docs.POD_CERTIFICATE_REQUEST_SPEC_POD_NAME),
        column("ServiceAccountName", desc=docs.POD_CERTIFICATE_REQUEST_SPEC_SERVICE_ACCOUNT_NAME),
        column("NodeName", desc=docs.POD_CERTIFICATE_REQUEST_SPEC_NODE_NAME),
        column("SignerName", desc=docs.POD_CERTIFICATE_REQUEST_SPEC_SIGNER_NAME),
        column("State", desc="Is the request Pending, Issued, Denied, or Failed?"),
        column(
            "UnverifiedUserAnnotations", desc=docs.POD_CERTIFICATE_REQUEST_SPEC_UNVERIFIED_USER_ANNOTATIONS
        ),
    ],
    _pod_certificate_row,
)

_MIGRATION_STATES = ("Running", "Failed", "Succeeded")


def _migration_row(obj: dict[str, Any], now: datetime) -> Row:
    state = "Unknown"
    for condition in as_list(as_map(obj.get("status")).get("conditions")):
        condition = as_map(condition)
        if condition.get("status") == "True" and condition.get("type") in _MIGRATION_STATES:
            state = str(condition["type"])
    return [name_of(obj), group_resource(as_map(as_map(obj.get("spec")).get("resource"))), state], []


# no Age column, and the name column without the name format, as kube's
STORAGE_VERSION_MIGRATION_PRINTER = Printer(
    [
        column("Name", desc=docs.OBJECT_META_NAME),
        column("Resource", desc="GroupResource to migrate"),
        column("Status", desc="Status of the migration"),
    ],
    _migration_row,
)
