"""Strategy records of kinds whose whole strategy is a few flags, defaults, validators and a table
printer."""

from __future__ import annotations

from localkube.apiserver import defaults, metadata, storage_protection
from localkube.apiserver.fielderrors import FORBIDDEN, REQUIRED, FieldError
from localkube.apiserver.printers.admission import (
    POLICY_BINDING_PRINTER,
    VALIDATING_ADMISSION_POLICY_PRINTER,
    WEBHOOK_CONFIGURATION_PRINTER,
)
from localkube.apiserver.printers.apps import CONTROLLER_REVISION_PRINTER
from localkube.apiserver.printers.cluster import LEASE_PRINTER
from localkube.apiserver.printers.flowcontrol import FLOW_SCHEMA_PRINTER, PRIORITY_LEVEL_CONFIGURATION_PRINTER
from localkube.apiserver.printers.networking import (
    ENDPOINT_SLICE_PRINTER,
    INGRESS_CLASS_PRINTER,
    INGRESS_PRINTER,
    IP_ADDRESS_PRINTER,
    NETWORK_POLICY_PRINTER,
    SERVICE_CIDR_PRINTER,
)
from localkube.apiserver.printers.policy import (
    POD_DISRUPTION_BUDGET_PRINTER,
    PRIORITY_CLASS_PRINTER,
    RUNTIME_CLASS_PRINTER,
)
from localkube.apiserver.printers.resource import (
    DEVICE_CLASS_PRINTER,
    RESOURCE_CLAIM_PRINTER,
    RESOURCE_CLAIM_TEMPLATE_PRINTER,
    RESOURCE_SLICE_PRINTER,
)
from localkube.apiserver.printers.storage import (
    CSI_DRIVER_PRINTER,
    CSI_NODE_PRINTER,
    STORAGE_CLASS_PRINTER,
    VOLUME_ATTACHMENT_PRINTER,
    VOLUME_ATTRIBUTES_CLASS_PRINTER,
)
from localkube.apiserver.strategies.immutable import NULL, Fixed, unchanged
from localkube.apiserver.strategy import Obj, Strategy


def _priority_level_validate(obj: Obj) -> list[FieldError]:
    """ValidateLimitResponse: queuing a request needs the queues described (declarative
    validation's words: no detail)."""
    spec = obj.get("spec")
    limited = spec.get("limited") if isinstance(spec, dict) else None
    response = limited.get("limitResponse") if isinstance(limited, dict) else None
    if isinstance(response, dict) and response.get("type") == "Queue" and response.get("queuing") is None:
        return [FieldError("spec.limited.limitResponse.queuing", REQUIRED, "")]
    return []


LEASE = Strategy(validate=metadata.validate_lease, printer=LEASE_PRINTER)
# kinds whose spec changes bump metadata.generation
INGRESS = Strategy(generation=True, printer=INGRESS_PRINTER)
NETWORK_POLICY = Strategy(generation=True, default=defaults.network_policy, printer=NETWORK_POLICY_PRINTER)
POD_DISRUPTION_BUDGET = Strategy(generation=True, printer=POD_DISRUPTION_BUDGET_PRINTER)
VALIDATING_ADMISSION_POLICY = Strategy(
    generation=True, default=defaults.admission_policy, printer=VALIDATING_ADMISSION_POLICY_PRINTER
)
VALIDATING_ADMISSION_POLICY_BINDING = Strategy(generation=True, printer=POLICY_BINDING_PRINTER)
FLOW_SCHEMA = Strategy(generation=True, default=defaults.flow_schema, printer=FLOW_SCHEMA_PRINTER)
PRIORITY_LEVEL_CONFIGURATION = Strategy(
    generation=True,
    default=defaults.priority_level_configuration,
    validate=_priority_level_validate,
    printer=PRIORITY_LEVEL_CONFIGURATION_PRINTER,
)
# ... and whose delete returns the deleted object (kube's ReturnDeletedObject)
DEVICE_CLASS = Strategy(generation=True, returns_deleted_object=True, printer=DEVICE_CLASS_PRINTER)
RESOURCE_SLICE = Strategy(generation=True, returns_deleted_object=True, printer=RESOURCE_SLICE_PRINTER)
# kinds whose delete returns the deleted object (kube's ReturnDeletedObject)
STORAGE_CLASS = Strategy(
    returns_deleted_object=True,
    default=defaults.storage_class,
    validate_update=unchanged(
        *(Fixed(f, shown=NULL) for f in ("parameters", "provisioner", "reclaimPolicy", "volumeBindingMode"))
    ),
    printer=STORAGE_CLASS_PRINTER,
)
CSI_DRIVER = Strategy(
    returns_deleted_object=True,
    default=defaults.csi_driver,
    validate_update=unchanged(
        Fixed("spec.attachRequired", "spec.attachedRequired"),  # kube's own spelling of the path
        Fixed("spec.volumeLifecycleModes", shown=NULL),
    ),
    printer=CSI_DRIVER_PRINTER,
)
CSI_NODE = Strategy(returns_deleted_object=True, printer=CSI_NODE_PRINTER)
VOLUME_ATTACHMENT = Strategy(
    returns_deleted_object=True,
    validate_update=unchanged(Fixed("spec", shown=NULL)),
    printer=VOLUME_ATTACHMENT_PRINTER,
)


def _volume_attributes_class_validate(obj: Obj) -> list[FieldError]:
    """validateParameters(allowEmpty=false): a class with nothing to set is refused."""
    if obj.get("parameters"):
        return []
    return [FieldError("parameters", REQUIRED, "must contain at least one key/value pair")]


def _volume_attributes_class_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidateVolumeAttributesClassUpdate: its driver and parameters are fixed at create."""
    return [
        FieldError(field, FORBIDDEN, f"updates to {field} are forbidden.")
        for field in ("driverName", "parameters")
        if old.get(field) != new.get(field)
    ]


VOLUME_ATTRIBUTES_CLASS = Strategy(
    returns_deleted_object=True,
    validate=_volume_attributes_class_validate,
    validate_update=_volume_attributes_class_update,
    admit_create=storage_protection.admit(storage_protection.VAC_KEY),
    printer=VOLUME_ATTRIBUTES_CLASS_PRINTER,
)
RESOURCE_CLAIM = Strategy(
    returns_deleted_object=True,
    default=defaults.resource_claim,
    validate_update=unchanged(Fixed("spec", shown=NULL)),
    printer=RESOURCE_CLAIM_PRINTER,
)
RESOURCE_CLAIM_TEMPLATE = Strategy(
    returns_deleted_object=True,
    default=defaults.resource_claim_template,
    printer=RESOURCE_CLAIM_TEMPLATE_PRINTER,
)
# a revision's data is what it records: never rewritten
CONTROLLER_REVISION = Strategy(validate_update=unchanged(Fixed("data")), printer=CONTROLLER_REVISION_PRINTER)
# kinds with a generation, their defaults and kube-apiserver's columns
ENDPOINT_SLICE = Strategy(generation=True, default=defaults.endpoint_slice, printer=ENDPOINT_SLICE_PRINTER)
INGRESS_CLASS = Strategy(
    generation=True,
    default=defaults.ingress_class,
    validate_update=unchanged(Fixed("spec.controller")),
    printer=INGRESS_CLASS_PRINTER,
)
PRIORITY_CLASS = Strategy(
    generation_on_create_only=True, default=defaults.priority_class, printer=PRIORITY_CLASS_PRINTER
)
RUNTIME_CLASS = Strategy(
    validate_update=unchanged(Fixed("handler", shown=NULL)), printer=RUNTIME_CLASS_PRINTER
)
IP_ADDRESS = Strategy(
    default=defaults.ip_address,
    validate_update=unchanged(Fixed("spec.parentRef", shown=NULL)),
    printer=IP_ADDRESS_PRINTER,
)
SERVICE_CIDR = Strategy(printer=SERVICE_CIDR_PRINTER)
# mutating and validating webhook configurations print alike
WEBHOOK_CONFIGURATION = Strategy(
    generation=True, default=defaults.webhook_configuration, printer=WEBHOOK_CONFIGURATION_PRINTER
)
