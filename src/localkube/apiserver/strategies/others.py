"""Strategy records of kinds whose whole strategy is a flag, a validator or a table printer."""

from __future__ import annotations

from localkube.apiserver import defaults, metadata
from localkube.apiserver.fielderrors import INVALID, FieldError
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
from localkube.apiserver.strategy import Obj, Strategy


def _ingress_class_update(old: Obj, new: Obj) -> list[FieldError]:
    """The controller an IngressClass names cannot change (ValidateIngressClassUpdate)."""
    before, after = (o.get("spec", {}).get("controller") for o in (old, new))
    if after == before:
        return []
    return [FieldError("spec.controller", INVALID, "field is immutable", after)]


LEASE = Strategy(validate=metadata.validate_lease, printer=LEASE_PRINTER)
# kinds whose spec changes bump metadata.generation
INGRESS = Strategy(generation=True, printer=INGRESS_PRINTER)
NETWORK_POLICY = Strategy(generation=True, printer=NETWORK_POLICY_PRINTER)
POD_DISRUPTION_BUDGET = Strategy(generation=True, printer=POD_DISRUPTION_BUDGET_PRINTER)
VALIDATING_ADMISSION_POLICY = Strategy(generation=True, printer=VALIDATING_ADMISSION_POLICY_PRINTER)
VALIDATING_ADMISSION_POLICY_BINDING = Strategy(generation=True, printer=POLICY_BINDING_PRINTER)
FLOW_SCHEMA = Strategy(generation=True, printer=FLOW_SCHEMA_PRINTER)
PRIORITY_LEVEL_CONFIGURATION = Strategy(generation=True, printer=PRIORITY_LEVEL_CONFIGURATION_PRINTER)
# ... and whose delete returns the deleted object (kube's ReturnDeletedObject)
DEVICE_CLASS = Strategy(generation=True, returns_deleted_object=True, printer=DEVICE_CLASS_PRINTER)
RESOURCE_SLICE = Strategy(generation=True, returns_deleted_object=True, printer=RESOURCE_SLICE_PRINTER)
# kinds whose delete returns the deleted object (kube's ReturnDeletedObject)
STORAGE_CLASS = Strategy(returns_deleted_object=True, printer=STORAGE_CLASS_PRINTER)
CSI_DRIVER = Strategy(returns_deleted_object=True, printer=CSI_DRIVER_PRINTER)
CSI_NODE = Strategy(returns_deleted_object=True, printer=CSI_NODE_PRINTER)
VOLUME_ATTACHMENT = Strategy(returns_deleted_object=True, printer=VOLUME_ATTACHMENT_PRINTER)
VOLUME_ATTRIBUTES_CLASS = Strategy(returns_deleted_object=True, printer=VOLUME_ATTRIBUTES_CLASS_PRINTER)
RESOURCE_CLAIM = Strategy(returns_deleted_object=True, printer=RESOURCE_CLAIM_PRINTER)
RESOURCE_CLAIM_TEMPLATE = Strategy(returns_deleted_object=True, printer=RESOURCE_CLAIM_TEMPLATE_PRINTER)
# kinds with nothing of their own but kube-apiserver's columns
CONTROLLER_REVISION = Strategy(printer=CONTROLLER_REVISION_PRINTER)
ENDPOINT_SLICE = Strategy(generation=True, default=defaults.endpoint_slice, printer=ENDPOINT_SLICE_PRINTER)
INGRESS_CLASS = Strategy(
    generation=True,
    default=defaults.ingress_class,
    validate_update=_ingress_class_update,
    printer=INGRESS_CLASS_PRINTER,
)
PRIORITY_CLASS = Strategy(
    generation_on_create_only=True, default=defaults.priority_class, printer=PRIORITY_CLASS_PRINTER
)
RUNTIME_CLASS = Strategy(printer=RUNTIME_CLASS_PRINTER)
IP_ADDRESS = Strategy(printer=IP_ADDRESS_PRINTER)
SERVICE_CIDR = Strategy(printer=SERVICE_CIDR_PRINTER)
# mutating and validating webhook configurations print alike
WEBHOOK_CONFIGURATION = Strategy(generation=True, printer=WEBHOOK_CONFIGURATION_PRINTER)
