"""Strategy records of the kinds that extend the API: CustomResourceDefinition, APIService."""

from __future__ import annotations

from typing import TYPE_CHECKING

from localkube.apiserver import crds, defaults
from localkube.apiserver.strategy import DeletePolicy, Obj, Strategy

if TYPE_CHECKING:
    from localkube.apiserver.core import Core


def _crd_prepare(crd: Obj, now: str) -> None:
    """Its conditions follow from its spec."""
    crd["status"] = crds.status(crd, now)


def _crd_deleting(crd: Obj, now: str) -> None:
    crd["status"] = crds.status(crd, now)


def _crd_event(core: Core, type_: str, crd: Obj) -> None:
    """A CRD's resources are served while it is stored, and their objects go with it."""
    name = crd["metadata"]["name"]
    if type_ == "DELETED":
        core.stop_serving(name, crds.storage_key(crd))
    else:
        core.registry.set_custom(name, crds.resources(crd))


CUSTOM_RESOURCE_DEFINITION = Strategy(
    generation=True,
    unconditional_update=False,
    default=defaults.crd,
    validate=crds.validate,
    prepare=_crd_prepare,
    on_delete_marked=_crd_deleting,
    # its served resources' objects go before it does
    delete=DeletePolicy(finalizer=crds.CLEANUP_FINALIZER),
    on_event=_crd_event,
    # the naming and establishing controllers' (storedVersions is the create's own)
    server_status_fields=("acceptedNames", "conditions"),
)
API_SERVICE = Strategy(name_rule="path-segment", prepare=defaults.local_api_service)
