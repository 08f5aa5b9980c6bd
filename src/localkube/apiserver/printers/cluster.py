"""Printers of the cluster's own machinery: Lease (coordination.k8s.io), CertificateSigningRequest
(certificates.k8s.io), Validating/MutatingWebhookConfiguration (admissionregistration.k8s.io).
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
