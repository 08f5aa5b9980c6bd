"""What one kind does beyond the generic verbs: Kubernetes' pkg/registry/<group>/<kind>/strategy.go.

A `Strategy` is a record of data and hooks; `Core` calls the hooks and never asks which kind it
holds. The records of the built-in kinds are in `strategies/`, one module per kind family, next to
the kinds' declarations; a kind without a record gets `DEFAULT`, custom resources `CUSTOM`.

Hooks that need the server's state (the ClusterIP allocator, the registry, whether a node exists)
receive it as an argument, so the records stay data and pure functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from localkube.apiserver.fielderrors import FieldError
from localkube.apiserver.selectors import FIELD_LABEL_NOT_SUPPORTED

if TYPE_CHECKING:
    from localkube.apiserver.core import Core
    from localkube.apiserver.ipalloc import Allocator

Obj = dict[str, Any]
# a `kubectl get` row: its cells and its conditions
Row = tuple[list[Any], list[dict[str, str]]]
PartWrite = Callable[[Obj, Obj], tuple[Obj, list[FieldError]]]


@dataclass(frozen=True)
class Printer:
    """kube-apiserver's table printer of a kind (pkg/printers/internalversion): columns and rows."""

    columns: list[dict[str, Any]]
    row: Callable[[Obj, datetime], Row]
    # the row function of a listed table, given all its items, where kube's printXxxList prints
    # otherwise than object by object (a StorageClass list marks the effective default)
    list_row: Callable[[list[Obj]], Callable[[Obj, datetime], Row]] | None = None
    # the order of a listed table's rows, where kube's printXxxList sorts the items (FlowSchemas
    # by matching precedence); the list's own order otherwise
    list_order: Callable[[list[Obj]], list[Obj]] | None = None


@dataclass(frozen=True)
class DeletePolicy:
    """A kind's own delete behaviour (Jobs orphan their pods unless told otherwise)."""

    default_propagation: str | None = None
    warning: str = ""
    # a finalizer the kind's registry adds when it is first deleted (a CRD's cleanup of its objects)
    finalizer: str = ""


@dataclass(frozen=True)
class Strategy:
    # metadata.name's rule: "subdomain", "label" (DNS-1123 label) or "path-segment"
    name_rule: str = "subdomain"
    # PrepareForUpdate bumps metadata.generation when anything but metadata (and status) changes
    generation: bool = False
    # PrepareForCreate sets metadata.generation to 1 but updates never bump it (PriorityClass)
    generation_on_create_only: bool = False
    # AllowCreateOnUpdate: a PUT of a missing object creates it
    create_on_update: bool = False
    # AllowUnconditionalUpdate: an update without metadata.resourceVersion is allowed
    unconditional_update: bool = True
    # whether a create keeps the client's status (Node's registration writes it)
    keeps_status_on_create: bool = False
    # status fields that kube-apiserver's own controllers write through the status subresource
    # just after a create (a CRD's names and conditions): localkube sets them with the create and
    # gives them the entry those writes would leave, manager kube-apiserver
    server_status_fields: tuple[str, ...] = ()
    # a body the typed decoder refuses (400) before anything else, e.g. a Secret's data
    decode_check: Callable[[Obj], str | None] | None = None
    # defaulting (pkg/apis/<group>/v1/defaults.go)
    default: Callable[[Obj], None] | None = None
    # what admission and the strategy add after that, which managedFields do not give the writer
    mutate: Callable[[Obj], None] | None = None
    # the same for what mutating admission adds to a new object only (storage protection's finalizer)
    admit_create: Callable[[Obj], None] | None = None
    # validation on create and update, after defaulting (ValidateXxx)
    validate: Callable[[Obj], list[FieldError]] | None = None
    # validation only on update: (old, new) -> errors (immutable fields, ValidateXxxUpdate); a
    # served version's runs too, given both objects as they are stored
    validate_update: Callable[[Obj, Obj], list[FieldError]] | None = None
    # top-level fields no write records in managedFields (kube's GetResetFields beyond status)
    unowned: tuple[str, ...] = ()
    # metadata a status write may not change (kube-apiserver's status strategy resets it)
    status_resets: tuple[str, ...] = ()
    # after validation and admission, before storing: fields the server derives (CRD status)
    prepare: Callable[[Obj, str], None] | None = None
    # the same on an update, from the stored object too: (old, new, now) (PrepareForUpdate)
    prepare_update: Callable[[Obj, Obj, str], None] | None = None
    # allocations from the server's pools (a Service's ClusterIP and node ports):
    # (allocator, new, old or None, dry_run); raises APIError when a pool refuses
    allocate: Callable[[Allocator, Obj, Obj | None, bool], None] | None = None
    # the fields a fieldSelector may name, besides metadata.name and metadata.namespace
    field_selectors: tuple[str, ...] = ()
    # how the kind's own field label conversion refuses any other field ({label}); kinds with no
    # conversion of their own (no field_selectors) get apimachinery's default words instead
    field_label_error: str = FIELD_LABEL_NOT_SUPPORTED
    printer: Printer | None = None
    # the Go type strategic merge patch starts from (patches._TYPES); "Object": no merge keys
    patch_root: str = "Object"
    # names that can never be deleted (the default namespaces)
    protected_names: tuple[str, ...] = ()
    delete: DeletePolicy = DeletePolicy()
    # a delete always only marks the object (namespaces wait for their finalizer)
    delete_marks: bool = False
    # ReturnDeletedObject: a delete that removes the object answers with it; for the other kinds
    # (ConfigMaps, Secrets, Deployments, custom resources...) it answers a Status
    returns_deleted_object: bool = False
    # what a delete changes besides the deletion timestamp: (object, now)
    on_delete_marked: Callable[[Obj, str], None] | None = None
    # whether anything but metadata.finalizers keeps a deleted object
    held: Callable[[Obj], bool] | None = None
    # seconds a delete waits: (object, requested grace or None, does this node exist?)
    grace: Callable[[Obj, int | None, Callable[[str], bool]], int] | None = None
    # keeps state derived from stored objects: (core, event type, object) after every change
    on_event: Callable[[Core, str, Obj], None] | None = None
    # subresources that write one part of the object (pods/ephemeralcontainers, pods/resize):
    # (name, (stored, sent) -> (object to store, field errors)); they replace validate_update
    part_writes: tuple[tuple[str, PartWrite], ...] = ()

    def part_write(self, subresource: str | None) -> PartWrite | None:
        return next((write for name, write in self.part_writes if name == subresource), None)


DEFAULT = Strategy()
# Custom resources: their CRD's schema validates and defaults (Core does it); the rest is fixed.
CUSTOM = Strategy(generation=True, unconditional_update=False)
