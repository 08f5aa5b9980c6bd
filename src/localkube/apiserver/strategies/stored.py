"""Strategy records of kinds kube-apiserver serves that nothing in localkube acts on: stored,
listed, watched, and validated as far as a user would notice (the required fields, their
defaults): MutatingAdmissionPolicy(Binding) (no admission runs them), ClusterTrustBundle,
PodCertificateRequest and CertificateSigningRequest (no signer issues certificates),
DeviceTaintRule (no devices), StorageVersionMigration (one storage version per kind: nothing to migrate)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from cryptography import x509

from kubeschema.timestamps import now_time
from localkube.apiserver import defaults, metadata
from localkube.apiserver.fielderrors import FORBIDDEN, INVALID, REQUIRED, FieldError
from localkube.apiserver.printers.admission import MUTATING_ADMISSION_POLICY_PRINTER, POLICY_BINDING_PRINTER
from localkube.apiserver.printers.cluster import (
    CERTIFICATE_SIGNING_REQUEST_PRINTER,
    CLUSTER_TRUST_BUNDLE_PRINTER,
    POD_CERTIFICATE_REQUEST_PRINTER,
    STORAGE_VERSION_MIGRATION_PRINTER,
)
from localkube.apiserver.printers.resource import DEVICE_TAINT_RULE_PRINTER
from localkube.apiserver.shapes import as_dict, as_list
from localkube.apiserver.strategy import Obj, Strategy

# --- admissionregistration.k8s.io/v1 MutatingAdmissionPolicy and its binding -------------------

_REINVOCATION = ("IfNeeded", "Never")


def _policy_validate(policy: Obj) -> list[FieldError]:
    spec = as_dict(policy.get("spec"))
    errs: list[FieldError] = []
    if not isinstance(spec.get("matchConstraints"), dict):
        errs.append(FieldError("spec.matchConstraints", REQUIRED, ""))
    if not spec.get("mutations"):
        errs.append(FieldError("spec.mutations", REQUIRED, "mutations must contain at least one item"))
    return errs + metadata.one_of("spec.reinvocationPolicy", spec.get("reinvocationPolicy"), _REINVOCATION)


def _binding_validate(binding: Obj) -> list[FieldError]:
    if not as_dict(binding.get("spec")).get("policyName"):
        return [FieldError("spec.policyName", REQUIRED, "")]
    return []


MUTATING_ADMISSION_POLICY = Strategy(
    generation=True,
    default=defaults.admission_policy,
    validate=_policy_validate,
    printer=MUTATING_ADMISSION_POLICY_PRINTER,
)
MUTATING_ADMISSION_POLICY_BINDING = Strategy(
    generation=True, validate=_binding_validate, printer=POLICY_BINDING_PRINTER
)


# --- certificates.k8s.io/v1 ClusterTrustBundle and PodCertificateRequest ------------------------

_PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----")


def _trust_anchors(bundle: str) -> int:
    """How many PEM certificates the bundle holds (blocks whose base64 decodes)."""
    count = 0
    for body in _PEM_CERT.findall(bundle):
        try:
            if base64.b64decode("".join(body.split()), validate=True):
                count += 1
        except (binascii.Error, ValueError):
            return 0
    return count


def _trust_bundle_validate(ctb: Obj) -> list[FieldError]:
    spec = as_dict(ctb.get("spec"))
    name = str(as_dict(ctb.get("metadata")).get("name") or "")
    signer = spec.get("signerName")
    errs: list[FieldError] = []
    if signer:
        prefix = str(signer).replace("/", ":") + ":"
        if not name.startswith(prefix):
            errs.append(
                FieldError(
                    "metadata.name",
                    INVALID,
                    f"ClusterTrustBundle for signerName {signer} must be named with prefix {prefix}",
                    name,
                )
            )
    elif ":" in name:
        errs.append(
            FieldError(
                "metadata.name",
                INVALID,
                'ClusterTrustBundle without signer name must not have ":" in its name',
                name,
            )
        )
    if not _trust_anchors(str(spec.get("trustBundle") or "")):
        errs.append(
            FieldError(
                "spec.trustBundle", INVALID, "at least one trust anchor must be provided", "<value omitted>"
            )
        )
    return errs


def _pod_certificate_validate(pcr: Obj) -> list[FieldError]:
    spec = as_dict(pcr.get("spec"))
    errs: list[FieldError] = []
    if not spec.get("signerName"):
        errs.append(FieldError("spec.signerName", REQUIRED, ""))
    for name_key, uid_key in (
        ("podName", "podUID"),
        ("serviceAccountName", "serviceAccountUID"),
        ("nodeName", "nodeUID"),
    ):
        value = str(spec.get(name_key) or "")
        errs.extend(
            FieldError(f"spec.{name_key}", INVALID, m, value)
            for m in metadata.dns1123_subdomain_errors(value)
        )
        if not spec.get(uid_key):
            errs.append(FieldError(f"spec.{uid_key}", INVALID, "must not be empty", ""))
    stub = bool(spec.get("stubPKCS10Request"))
    key_pair = bool(spec.get("pkixPublicKey")) or bool(spec.get("proofOfPossession"))
    if stub == key_pair:
        both = "exactly one of (stubPKCS10Request) or (pkixPublicKey, proofOfPossession) must be set"
        errs.append(FieldError("spec", INVALID, both))
    return errs


def _csr_problem(request: Any) -> str:
    """Why spec.request is not a PKCS#10 request kube-apiserver would take ("" when it is)."""
    try:
        pem = base64.b64decode(str(request or ""), validate=True)
        csr = x509.load_pem_x509_csr(pem)
    except (binascii.Error, ValueError):
        return "PEM block type must be CERTIFICATE REQUEST"
    return "" if csr.is_signature_valid else "the request's signature does not verify"


def _csr_validate(csr: Obj) -> list[FieldError]:
    spec = as_dict(csr.get("spec"))
    errs: list[FieldError] = []
    if problem := _csr_problem(spec.get("request")):
        errs.append(FieldError("spec.request", INVALID, problem, "<value omitted>"))
    if not spec.get("signerName"):
        errs.append(FieldError("spec.signerName", REQUIRED, ""))
    return errs


_DECISIONS = ("Approved", "Denied")


def _condition_types(csr: Obj) -> list[Any]:
    return [
        c.get("type") for c in as_list(as_dict(csr.get("status")).get("conditions")) if isinstance(c, dict)
    ]


def _csr_validate_update(old: Obj, new: Obj) -> list[FieldError]:
    """validateCertificateSigningRequestUpdate: a decision, once made, stays; it is one of the two."""
    errs: list[FieldError] = []
    old_types, new_types = _condition_types(old), _condition_types(new)
    if all(t in new_types for t in _DECISIONS) and not all(t in old_types for t in _DECISIONS):
        both = ", ".join(f'conditions[{{"type": "{t}"}}]' for t in _DECISIONS)
        members = ", ".join(f'`conditions[{{"type": "{t}"}}]`' for t in _DECISIONS)
        errs.append(
            FieldError("status.conditions", INVALID, f"must specify at most one of: {members}", f"{{{both}}}")
        )
    for kind in (*_DECISIONS, "Failed"):
        if new_types.count(kind) < old_types.count(kind):
            errs.append(
                FieldError(
                    "status.conditions", FORBIDDEN, f'updates may not remove a condition of type "{kind}"'
                )
            )
    return errs


def _csr_prepare_update(old: Obj, new: Obj, now: str) -> None:
    """The spec is the requester's and fixed at create (a write through the object keeps it, as
    its status); a condition without times gets them: lastTransitionTime kept from the same
    type and status before, if any (populateConditionTimestamps)."""
    if "spec" in old:
        new["spec"] = old["spec"]
    earlier = [c for c in as_list(as_dict(old.get("status")).get("conditions")) if isinstance(c, dict)]
    for condition in as_list(as_dict(new.get("status")).get("conditions")):
        if not isinstance(condition, dict):
            continue
        if not condition.get("lastUpdateTime"):
            condition["lastUpdateTime"] = now
        if not condition.get("lastTransitionTime"):
            same = next(
                (
                    c["lastTransitionTime"]
                    for c in earlier
                    if c.get("type") == condition.get("type")
                    and c.get("status") == condition.get("status")
                    and c.get("lastTransitionTime")
                ),
                None,
            )
            condition["lastTransitionTime"] = same or now


def csr_requester(csr: Obj, name: str, uid: str, groups: list[str], extra: dict[str, list[str]]) -> None:
    """PrepareForCreate: whatever the writer put there, the request's user is the requester."""
    spec = csr.get("spec")
    if not isinstance(spec, dict):
        return
    for key in ("username", "uid", "groups", "extra"):
        spec.pop(key, None)
    if name:
        spec["username"] = name
    if uid:
        spec["uid"] = uid
    if groups:
        spec["groups"] = list(groups)
    if extra:
        spec["extra"] = {k: list(v) for k, v in extra.items()}


CERTIFICATE_SIGNING_REQUEST = Strategy(
    validate=_csr_validate,
    validate_update=_csr_validate_update,
    prepare_update=_csr_prepare_update,
    # kube's ResetFields of the object: a write through it owns neither spec nor status
    unowned=("spec",),
    printer=CERTIFICATE_SIGNING_REQUEST_PRINTER,
)
# a name may carry its signer's prefix, "example.com:signer:" (the validator checks which)
CLUSTER_TRUST_BUNDLE = Strategy(
    name_rule="path-segment", validate=_trust_bundle_validate, printer=CLUSTER_TRUST_BUNDLE_PRINTER
)
POD_CERTIFICATE_REQUEST = Strategy(
    validate=_pod_certificate_validate, printer=POD_CERTIFICATE_REQUEST_PRINTER
)


def _status_on_create(obj: Obj, now: str) -> None:
    obj.setdefault("status", {})


# --- resource.k8s.io/v1 DeviceTaintRule ---------------------------------------------------------

_EFFECTS = ("NoExecute", "NoSchedule", "None")


def _taint_rule_validate(rule: Obj) -> list[FieldError]:
    taint = as_dict(as_dict(rule.get("spec")).get("taint"))
    key = str(taint.get("key") or "")
    errs = [FieldError("spec.taint.key", INVALID, m, key) for m in metadata.qualified_name_errors(key)]
    return errs + metadata.one_of("spec.taint.effect", taint.get("effect"), _EFFECTS)


def _taint_rule_default(rule: Obj) -> None:
    """SetDefaults_DeviceTaint: a taint's timeAdded is a default (so its writer owns it), the
    decoding time to the second."""
    taint = as_dict(rule.get("spec")).get("taint")
    if isinstance(taint, dict):
        taint.setdefault("timeAdded", now_time())


def _taint_rule_prepare_update(old: Obj, new: Obj, now: str) -> None:
    """A new effect the writer gave no new timeAdded for is added now: timeAdded says since when
    the effect holds, which is what tolerations count from (kube's PrepareForUpdate)."""
    before, after = (
        as_dict(as_dict(old.get("spec")).get("taint")),
        as_dict(as_dict(new.get("spec")).get("taint")),
    )
    new_effect = after.get("effect") != before.get("effect")
    if after and new_effect and after.get("timeAdded") == before.get("timeAdded"):
        new["spec"]["taint"]["timeAdded"] = now


DEVICE_TAINT_RULE = Strategy(
    generation=True,
    default=_taint_rule_default,
    validate=_taint_rule_validate,
    prepare=_status_on_create,
    prepare_update=_taint_rule_prepare_update,
    printer=DEVICE_TAINT_RULE_PRINTER,
)


# --- storagemigration.k8s.io/v1 StorageVersionMigration -----------------------------------------


def _migration_validate(svm: Obj) -> list[FieldError]:
    if not as_dict(as_dict(svm.get("spec")).get("resource")).get("resource"):
        return [FieldError("spec.resource.resource", REQUIRED, "resource is required to be set")]
    return []


def _migration_update(old: Obj, new: Obj) -> list[FieldError]:
    if old.get("spec") != new.get("spec"):
        # kube-apiserver prints the internal Go struct here
        shown = {"Resource": as_dict(new.get("spec")).get("resource")}
        return [FieldError("spec", INVALID, "field is immutable", shown)]
    return []


STORAGE_VERSION_MIGRATION = Strategy(
    validate=_migration_validate,
    validate_update=_migration_update,
    prepare=_status_on_create,
    printer=STORAGE_VERSION_MIGRATION_PRINTER,
)
