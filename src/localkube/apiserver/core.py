"""The API server's verbs on stored objects: create, update, patch, delete, get, list.

Everything here is synchronous (the store is in memory), so a verb is atomic with respect to every
other request and to the controllers. Errors are raised as `APIError`; warnings are returned.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubeschema.timestamps import now_time as now
from kubeschema.timestamps import time_in
from localkube.apiserver import defaults, errors, gozero, limits, metadata, patches, versions
from localkube.apiserver import scale as scales
from localkube.apiserver import schema as schemas
from localkube.apiserver.apply import merge as ssa_merge
from localkube.apiserver.errors import APIError
from localkube.apiserver.fielderrors import FORBIDDEN, REQUIRED, TYPE_INVALID, FieldError
from localkube.apiserver.ipalloc import Allocator
from localkube.apiserver.kinds import Registry, ResourceInfo
from localkube.apiserver.store import Event, Key, Reads, Store, Stored, dumps

MAX_OBJECT_BYTES = 3 * 1024 * 1024 // 2
NS_KEY: Key = ("", "namespaces")
NODE_KEY: Key = ("", "nodes")
ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
NS_FINALIZER = "kubernetes"
# the manager of writes made inside the server (its controllers), as kube-controller-manager's
DEFAULT_MANAGER = "kube-controller-manager"
# the manager of what kube-apiserver's own controllers write
SERVER_MANAGER = "kube-apiserver"
# who owns an untracked object's fields once it is first applied to
BEFORE_FIRST_APPLY = "before-first-apply"

# Fields the server owns: a client's value is ignored (create) or kept from the old object (update).
SERVER_META = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "selfLink",
)

PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
    "application/apply-patch+cbor",
)


def patch_options_invalid(err: FieldError) -> APIError:
    """422 for PATCH options that do not fit the patch (kube-apiserver's ValidatePatchOptions)."""
    return errors.invalid("PatchOptions", "meta.k8s.io", "", [err])


random_suffix = defaults.random_suffix


@dataclass
class WriteOptions:
    dry_run: bool = False
    field_validation: str = "Warn"  # Strict, Warn or Ignore
    field_manager: str = ""
    # server-side apply: take conflicting fields from their managers
    force: bool = False
    # managedFields were computed by server-side apply already (not an Update to record)
    managed_by_apply: bool = False
    # the subresource managedFields record for a write that changes the main object (scale)
    recorded_subresource: str = ""
    # Bytes the request could make the object (its body, plus the stored object for updates):
    # only a large one can exceed the object limit, so only then is the object measured.
    size_hint: int = MAX_OBJECT_BYTES
    # The body was decoded for this request alone and may be changed in place.
    fresh_body: bool = False
    # checks that depend on the client and on other objects (admission.py); None for the server's own
    admit: Callable[[ResourceInfo, dict[str, Any], dict[str, Any] | None], None] | None = None
    # the resource the request named, when its objects are stored as another (autoscaling/v1 HPA
    # as v2): managedFields record the write in the version the client wrote
    served_as: ResourceInfo | None = None


@dataclass
class DeleteOptions:
    propagation: str | None = None
    grace: int | None = None
    precondition_uid: str | None = None
    precondition_rv: str | None = None
    dry_run: bool = False
    # orphanDependents as sent (deprecated; None when absent): false asks for 202 Accepted
    orphan_dependents: bool | None = None


@dataclass
class Result:
    obj: dict[str, Any]
    raw: bytes | None = None  # the stored JSON when the object is exactly what is stored
    warnings: list[str] = field(default_factory=list)
    created: bool = False
    removed: bool = False  # a delete that took the object out of the store (or would, dry run)


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def _without(obj: dict[str, Any], *top: str) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in top}


def _meta_for_compare(obj: dict[str, Any]) -> dict[str, Any]:
    # managedFields count: an apply that only takes ownership is a write, as in Kubernetes
    return {k: v for k, v in _meta(obj).items() if k != "resourceVersion"}


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return _without(a, "metadata") == _without(b, "metadata") and _meta_for_compare(a) == _meta_for_compare(b)


class Core:
    def __init__(self, store: Store, registry: Registry, allocator: Allocator) -> None:
        # private: every write goes through Core's verbs, every read through `reads`
        self._store = store
        self.registry = registry
        self.alloc = allocator
        self.builtin_schema: Callable[[str, str], dict[str, Any] | None] = _builtin_schema_lookup()
        # Hooks run after an object is created (e.g. a namespace's default ServiceAccount).
        self.after_create: list[Callable[[ResourceInfo, dict[str, Any]], None]] = []
        # built-in kinds whose strategies keep derived state (allocations, served CRDs)
        self._event_hooks = {
            info.storage_key: info.strategy.on_event for info in registry.all() if info.strategy.on_event
        }
        store.listen(self._on_event)

    # ------------------------------------------------------------------ reads

    def get(self, info: ResourceInfo, ns: str, name: str) -> Stored:
        found = self._store.get(info.storage_key, ns, name)
        if found is None:
            raise errors.not_found(info.plural, info.group, name)
        return found

    def find(self, key: Key, ns: str, name: str) -> dict[str, Any] | None:
        """The stored object under a storage key (group, plural), or None where absence is an
        answer rather than a 404 (is a token's service account or pod still there?)."""
        found = self._store.get(key, ns, name)
        return found.obj if found is not None else None

    def stored_items(self, info: ResourceInfo, ns: str | None) -> list[dict[str, Any]]:
        """Every stored object of the resource (in `ns`, or everywhere for None), in store order."""
        return [s.obj for s in self._store.items(info.storage_key, ns)]

    @property
    def resource_version(self) -> int:
        return self._store.rv

    @property
    def reads(self) -> Reads:
        """The storage's read interface, for list, watch, admission and the in-server controllers."""
        return self._store

    def system_write(self, info: ResourceInfo, obj: dict[str, Any]) -> Stored:
        """A write the server makes on its own account, past admission and without a managedFields
        entry: a bound pod (the binding subresource), the garbage collector dropping an
        ownerReference to an owner that is gone. Callers checked it may be written."""
        return self._store.put(info.storage_key, obj)

    def served(self, info: ResourceInfo, stored: Stored) -> tuple[dict[str, Any], bytes]:
        """The object as the requested version shows it (custom resources may be served at several)."""
        if stored.obj.get("apiVersion") == info.api_version:
            return stored.obj, stored.raw
        obj = versions.present(info, stored.obj)
        return obj, dumps(obj)

    # ------------------------------------------------------------------ create

    def create(self, info: ResourceInfo, ns: str, body: Any, opts: WriteOptions) -> Result:
        obj = self._decode(info, body, opts.fresh_body)
        info, obj, opts = self._storage_form(info, obj, opts)
        meta = obj["metadata"]
        _drop_empty_collections(meta)
        if info.namespaced:
            if meta.get("namespace") and meta["namespace"] != ns:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        if meta.get("resourceVersion"):
            raise errors.bad_request("resourceVersion should not be set on objects to be created")
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = str(meta["generateName"]) + random_suffix()
        if info.namespaced:
            self._check_namespace(info, ns, str(meta.get("name") or ""))
        for k in SERVER_META:
            meta.pop(k, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now()
        if info.strategy.generation or info.strategy.generation_on_create_only:
            meta["generation"] = 1
        if info.has_status and not info.strategy.keeps_status_on_create:
            obj.pop("status", None)
        managed = meta.pop("managedFields", None)  # attached after admission, which need not walk them
        unknown = self._as_decoded(info, obj)
        if not opts.managed_by_apply:
            # the object as decoded (pruned, defaulted) and before admission, as kube-apiserver's
            # field manager sees it: a defaulted field is the writer's, a pod's service-account
            # volume nobody's
            managed = self._managed_after_update(info, None, obj, [], opts, None)
        warnings = self._admit(info, obj, None, opts, unknown=unknown)
        if info.strategy.server_status_fields:
            managed = self._server_status_entry(info, obj, managed or [])
        if info.has_status and not info.custom:
            # a built-in kind's status is a struct: `{}` when empty, required scalars at zero
            obj.setdefault("status", gozero.new_status(obj.get("apiVersion", ""), info.kind))
        if managed:
            meta["managedFields"] = managed
        name = str(meta.get("name") or "")
        if self._store.get(info.storage_key, ns if info.namespaced else "", name) is not None:
            raise errors.already_exists(info.plural, info.group, name)
        self._allocate(info, obj, opts)
        if opts.dry_run:
            return Result(obj, None, warnings, True)
        stored = self._store.put(info.storage_key, obj)
        for hook in self.after_create:
            hook(info, stored.obj)
        return Result(stored.obj, stored.raw, warnings, True)

    def _storage_form(
        self, info: ResourceInfo, obj: dict[str, Any], opts: WriteOptions
    ) -> tuple[ResourceInfo, dict[str, Any], WriteOptions]:
        """A request's object and resource in the shape they are stored in (events.k8s.io -> core,
        autoscaling/v1 -> v2), and its options naming the resource it was written as."""
        conv = versions.conversion(info)
        if conv is None:
            return info, obj, opts
        # a wrongly typed field is refused in the version the client wrote, not the converted one
        self._refuse_wrong_types(info, obj, self.builtin_schema(info.api_version, info.kind))
        stored = self.registry.get(conv.group, conv.version, info.plural)
        assert stored is not None
        return stored, versions.to_storage(info, obj), dataclasses.replace(opts, served_as=info)

    def _check_namespace(self, info: ResourceInfo, ns: str, name: str) -> None:
        found = self._store.get(NS_KEY, "", ns)
        if found is None:
            raise errors.not_found("namespaces", "", ns)
        if _meta(found.obj).get("deletionTimestamp"):
            raise errors.forbidden(
                info.plural,
                info.group,
                name,
                f"unable to create new content in namespace {ns} because it is being terminated",
            )

    def _decode(self, info: ResourceInfo, body: Any, fresh: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise errors.bad_request(f"the body of the request was not a {info.kind} object")
        obj = body if fresh else copy.deepcopy(body)
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not kind and not info.custom:
            # a typed endpoint decodes a body without apiVersion/kind as its own type (kopf relies on it)
            kind = obj["kind"] = info.kind
        if not kind:
            raise errors.bad_request(f"Object 'Kind' is missing in '{dumps(body)[:200].decode()}'")
        if kind != info.kind or (api_version and api_version != info.api_version):
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({info.api_version})"
                if kind == info.kind
                else f"the kind in the data ({kind}) does not match the expected kind ({info.kind})"
            )
        obj["apiVersion"] = info.api_version
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if not isinstance(meta, dict):
            raise errors.bad_request(
                "json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta"
            )
        return obj

    def _admit(
        self,
        info: ResourceInfo,
        obj: dict[str, Any],
        old: dict[str, Any] | None,
        opts: WriteOptions,
        part: bool = False,
        unknown: list[str] | None = None,
    ) -> list[str]:
        """Decode (unless the caller did: `unknown` is what that pruned), admit, validate.
        Returns warnings; raises 400/422. A `part` write (a strategy's part_writes) was checked by
        its own rules instead of the kind's update validation."""
        strategy = info.strategy
        meta = obj["metadata"]
        if unknown is None:
            unknown = self._as_decoded(info, obj)
        if strategy.mutate is not None:
            strategy.mutate(obj)
        if old is None and strategy.admit_create is not None:
            strategy.admit_create(obj)
        warnings: list[str] = []
        unknown = sorted(set(unknown))
        if unknown:
            if opts.field_validation == "Strict":
                raise errors.bad_request(
                    f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: '
                    "strict decoding error: " + ", ".join(f'unknown field "{u}"' for u in unknown)
                )
            if opts.field_validation != "Ignore":
                warnings += [f'unknown field "{u}"' for u in unknown]
        errs = metadata.validate_metadata(obj, namespaced=info.namespaced, name_rule=info.name_rule)
        if info.custom and info.schema is not None:
            errs += schemas.validate(obj, info.schema, old=old)
        if strategy.validate is not None:
            errs += strategy.validate(obj)
        # the version a client wrote in may have update rules of its own (events.k8s.io)
        served = opts.served_as.strategy if opts.served_as is not None else strategy
        for checks in (strategy, served) if served is not strategy else (strategy,):
            if old is not None and checks.validate_update is not None and not part:
                errs += checks.validate_update(old, obj)
        if old is not None and _meta(old).get("deletionTimestamp"):
            added = [f for f in meta.get("finalizers") or () if f not in (_meta(old).get("finalizers") or ())]
            if added:
                errs.append(
                    FieldError(
                        "metadata.finalizers",
                        FORBIDDEN,
                        "no new finalizers can be added if the object is being deleted, "
                        "found new finalizers []string{" + ", ".join(f'"{a}"' for a in added) + "}",
                    )
                )
        if errs:
            raise errors.invalid(info.kind, info.group, str(meta.get("name") or ""), errs)
        if opts.admit is not None:
            opts.admit(info, obj, old)
        if strategy.prepare is not None:
            strategy.prepare(obj, now())
        if old is not None and strategy.prepare_update is not None:
            strategy.prepare_update(old, obj, now())
        if opts.size_hint > MAX_OBJECT_BYTES // 2 and len(dumps(obj)) > MAX_OBJECT_BYTES:
            raise errors.too_large(MAX_OBJECT_BYTES)
        return warnings

    def _as_decoded(self, info: ResourceInfo, obj: dict[str, Any]) -> list[str]:
        """What kube-apiserver's decoder does to a body: drop unknown fields (returned, for the
        warnings) and set defaults. Raises 400 for what it cannot decode."""
        strategy = info.strategy
        meta = obj["metadata"]
        problem = _meta_type_error(meta)
        if problem:
            raise errors.bad_request(
                f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: {problem}'
            )
        stray = [k for k in meta if k not in schemas.OBJECT_META_FIELDS]
        for k in stray:
            meta.pop(k)
        _drop_empty_collections(meta)
        unknown = [f"metadata.{k}" for k in stray]
        kept: dict[str, Any] = {k: obj[k] for k in ("apiVersion", "kind", "metadata") if k in obj}
        if info.custom:
            if info.schema is not None:
                unknown += schemas.prune(obj, info.schema, root_metadata=False)
                obj.update(kept)
                schemas.apply_defaults(obj, info.schema)
            return unknown
        problem = strategy.decode_check(obj) if strategy.decode_check else None
        if problem:
            raise errors.bad_request(problem)
        s = self.builtin_schema(info.api_version, info.kind)
        if s is not None:
            unknown += schemas.prune(obj, s, root_metadata=False)
            obj.update(kept)
            self._refuse_wrong_types(info, obj, s)
        try:
            if strategy.default is not None:
                strategy.default(obj)
        except (TypeError, AttributeError, ValueError) as e:
            raise errors.bad_request(
                f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: {e}'
            ) from e
        return unknown

    def _refuse_wrong_types(
        self, info: ResourceInfo, obj: dict[str, Any], schema: dict[str, Any] | None
    ) -> None:
        """A typed server cannot even decode a wrongly typed field: 400, before anything else."""
        if schema is None:
            return
        # Go's decoder takes null for any field (it leaves the zero value): an Event as written
        # back holds null times, which a client sends again
        wrong = [e for e in schemas.validate(obj, schema) if e.reason == TYPE_INVALID and e.value != "null"]
        if wrong:
            raise errors.bad_request(_decode_error(info, wrong[0]))

    def _allocate(
        self, info: ResourceInfo, obj: dict[str, Any], opts: WriteOptions, old: dict[str, Any] | None = None
    ) -> None:
        if info.strategy.allocate is not None:
            info.strategy.allocate(self.alloc, obj, old, opts.dry_run)

    # ------------------------------------------------------------------ update

    def update(
        self,
        info: ResourceInfo,
        ns: str,
        name: str,
        body: Any,
        opts: WriteOptions,
        subresource: str | None = None,
    ) -> Result:
        obj = self._decode(info, body, opts.fresh_body)
        info, obj, opts = self._storage_form(info, obj, opts)
        meta = obj["metadata"]
        _drop_empty_collections(meta)
        _check_url_identity(info, meta, ns, name)
        meta["name"] = name
        current = self._store.get(info.storage_key, ns if info.namespaced else "", name)
        if current is None:
            if subresource is None and info.strategy.create_on_update:
                meta.pop("resourceVersion", None)
                return self.create(info, ns, obj, opts)
            raise errors.not_found(info.plural, info.group, name)
        if not meta.get("resourceVersion") and not info.strategy.unconditional_update:
            # custom resources (and CRDs) allow no unconditional update
            raise errors.invalid(
                info.kind,
                info.group,
                name,
                [
                    FieldError(
                        "metadata.resourceVersion", "FieldValueInvalid", "must be specified for an update", 0
                    )
                ],
            )
        return self.replace(info, current, obj, opts, subresource)

    def replace(
        self,
        info: ResourceInfo,
        current: Stored,
        obj: dict[str, Any],
        opts: WriteOptions,
        subresource: str | None,
    ) -> Result:
        old = current.obj
        meta = obj["metadata"]
        name = _meta(old)["name"]
        # a body without managedFields keeps the stored ones; an empty list resets them
        incoming_managed = meta.get("managedFields")
        # an update can grow the stored object by at most the request's size
        opts = dataclasses.replace(opts, size_hint=opts.size_hint + len(current.raw))
        rv = meta.get("resourceVersion")
        if rv and str(rv) != _meta(old)["resourceVersion"]:
            raise errors.conflict(info.plural, info.group, name)
        part_write = info.strategy.part_write(subresource)
        if subresource == "finalize":
            new = copy.deepcopy(old)
            new.setdefault("spec", {})["finalizers"] = (obj.get("spec") or {}).get("finalizers") or []
        elif subresource == "approval":
            # a CSR's approval writes its conditions only (kubectl certificate approve/deny)
            new = copy.deepcopy(old)
            conditions = (obj.get("status") or {}).get("conditions")
            new.setdefault("status", {})["conditions"] = conditions
        elif part_write is not None:
            self._refuse_wrong_types(info, obj, self.builtin_schema(info.api_version, info.kind))
            new, errs = part_write(old, obj)
            if errs:
                raise errors.invalid(info.kind, info.group, name, errs)
        elif subresource == "status":
            new = copy.deepcopy(old)
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
            if not info.custom:
                # a built-in kind's status write keeps the metadata it sends, as kube-apiserver's
                # status strategies do (a custom resource's keeps only its status), but for what
                # the kind's own strategy resets (a Pod's owners, a Deployment's labels)
                new["metadata"] = copy.deepcopy(obj.get("metadata") or {})
                for key in info.strategy.status_resets:
                    if key in old["metadata"]:
                        new["metadata"][key] = copy.deepcopy(old["metadata"][key])
                    else:
                        new["metadata"].pop(key, None)
        else:
            new = obj
            if info.has_status:
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
                else:
                    new.pop("status", None)
        new_meta = new["metadata"]
        old_meta = _meta(old)
        for k in (*SERVER_META, "name", "namespace"):
            if k in old_meta:
                new_meta[k] = old_meta[k]
            else:
                new_meta.pop(k, None)
        new_meta["resourceVersion"] = old_meta["resourceVersion"]
        new_meta.pop("managedFields", None)  # set below; admission need not walk them
        warnings = self._admit(info, new, old, opts, part=part_write is not None)
        if opts.managed_by_apply:
            old_managed = _meta(old).get("managedFields")
            unchanged = _without(new, "metadata") == _without(old, "metadata") and {
                k: v for k, v in new_meta.items() if k != "managedFields"
            } == {k: v for k, v in _meta(old).items() if k != "managedFields"}
            # an apply whose result, defaults included, is what is stored changes nothing, not
            # even its entry's time: a repeated apply keeps the resourceVersion
            if unchanged and ssa_merge.same_ownership(incoming_managed, old_managed):
                new_meta["managedFields"] = old_managed
            else:
                new_meta["managedFields"] = incoming_managed
        else:
            base = _meta(old).get("managedFields") if incoming_managed is None else incoming_managed
            self._record_update(info, old, new, base, opts, subresource)
        ignore = ("metadata", "status") if info.has_status else ("metadata",)
        if info.strategy.generation and _without(new, *ignore) != _without(old, *ignore):
            new_meta["generation"] = int(old_meta.get("generation") or 0) + 1
        self._allocate(info, new, opts, old)
        if _same(new, old):
            return Result(old, current.raw, warnings)
        if opts.dry_run:
            return Result(new, None, warnings)
        if new_meta.get("deletionTimestamp") and not new_meta.get("finalizers") and not self._held(info, new):
            removed = self._store.remove(info.storage_key, new_meta.get("namespace", ""), name)
            return Result(new if removed is None else removed.obj, None, warnings)
        stored = self._store.put(info.storage_key, new)
        return Result(stored.obj, stored.raw, warnings)

    def _held(self, info: ResourceInfo, obj: dict[str, Any]) -> bool:
        """Whether anything but metadata.finalizers keeps a deleted object (namespaces, graceful pods)."""
        return info.strategy.held is not None and info.strategy.held(obj)

    # ------------------------------------------------------------------ patch

    def patch(
        self,
        info: ResourceInfo,
        ns: str,
        name: str,
        content_type: str,
        patch: Any,
        opts: WriteOptions,
        subresource: str | None = None,
    ) -> Result:
        current = self._store.get(info.storage_key, ns if info.namespaced else "", name)
        if content_type.startswith("application/apply-patch"):
            return self._apply(info, ns, name, current, patch, opts, subresource)
        if current is None:
            raise errors.not_found(info.plural, info.group, name)
        base = versions.present(info, current.obj)
        try:
            if content_type == "application/json-patch+json":
                patched = patches.json_patch(base, patch)
            elif content_type == "application/merge-patch+json":
                patched = patches.merge_patch(base, patch)
            elif content_type == "application/strategic-merge-patch+json":
                if info.custom:
                    # kube-apiserver v1.37 lists neither strategic nor CBOR apply here, and no details
                    accepted = [t for t in PATCH_TYPES if "strategic" not in t and "cbor" not in t]
                    raise errors.unsupported_media_type(content_type, accepted, details=False)
                patched = patches.strategic_merge_patch(base, patch, info.api_version, info.kind)
            else:
                raise errors.unsupported_media_type(content_type, PATCH_TYPES)
        except patches.PatchError as e:
            raise limits.patch_error(e) from e
        if not isinstance(patched, dict):
            raise errors.bad_request("the patch did not produce an object")
        limits.check_patched(patched, name, ns if info.namespaced else "")
        # a JSON patch's copies can grow the object beyond what the request's size suggests
        opts = dataclasses.replace(opts, size_hint=MAX_OBJECT_BYTES)
        patched = copy.deepcopy(patched)
        if patched.get("kind") != info.kind or not isinstance(patched.get("metadata"), dict):
            raise errors.bad_request("the patch may not change the object's kind or metadata type")
        patched["apiVersion"] = info.api_version
        patched["metadata"]["name"] = name
        if info.namespaced:
            patched["metadata"]["namespace"] = ns
        info, patched, opts = self._storage_form(info, patched, opts)
        return self.replace(info, current, patched, opts, subresource)

    def scale(self, info: ResourceInfo, ns: str, name: str, new_scale: Any, opts: WriteOptions) -> Result:
        """The scale subresource's write: the object with the Scale's replicas, recorded in
        managedFields as the scale subresource, as kube-apiserver's are."""
        current = self.get(info, ns, name)
        obj = scales.with_replicas(info, current.obj, name, new_scale)
        opts.recorded_subresource = "scale"
        return self.replace(info, current, obj, opts, None)

    def _apply(
        self,
        info: ResourceInfo,
        ns: str,
        name: str,
        current: Stored | None,
        patch: Any,
        opts: WriteOptions,
        subresource: str | None,
    ) -> Result:
        if not opts.field_manager:
            raise patch_options_invalid(FieldError("fieldManager", REQUIRED, "is required for apply patch"))
        config = self._decode(info, patch, fresh=False)
        cfg_meta = config["metadata"]
        _check_url_identity(info, cfg_meta, ns, name)
        problem = _meta_type_error(cfg_meta)
        if problem:
            raise errors.bad_request(
                f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: {problem}'
            )
        cfg_meta["name"] = name
        live = versions.present(info, current.obj) if current is not None else None
        entries = ssa_merge.decode_entries(_meta(live).get("managedFields") if live else None)
        if live is not None and not entries:
            # an object nobody tracks yet: its fields so far go to BEFORE_FIRST_APPLY (kube's
            # skipNonAppliedManager), so an apply can conflict with them and not drop them
            entries = ssa_merge.update(
                None,
                live,
                [],
                BEFORE_FIRST_APPLY,
                info.api_version,
                now(),
                self._schema(info),
                subresource or "",
                info.has_status,
                zero=None if info.custom else _zero_value(info, live),
            )
        try:
            merged, entries = ssa_merge.apply(
                live,
                config,
                entries,
                opts.field_manager,
                info.api_version,
                now(),
                self._schema(info),
                force=opts.force,
                subresource=subresource or "",
                has_status=info.has_status,
            )
        except ssa_merge.Conflicts as e:
            raise APIError(
                409,
                "Conflict",
                str(e),
                # kube-apiserver's apply conflict names only the conflicting fields
                {"causes": ssa_merge.causes(e.conflicts)},
            ) from e
        merged.setdefault("metadata", {})["managedFields"] = ssa_merge.encode_entries(entries)
        opts = dataclasses.replace(opts, managed_by_apply=True, fresh_body=True)
        if current is None:
            if subresource:
                raise errors.not_found(info.plural, info.group, name)
            return self.create(info, ns, merged, opts)
        merged["metadata"]["resourceVersion"] = _meta(current.obj)["resourceVersion"]
        info, merged, opts = self._storage_form(info, merged, opts)
        return self.replace(info, current, merged, opts, subresource)

    def _schema(self, info: ResourceInfo) -> dict[str, Any] | None:
        """The schema managedFields are computed with; a built-in kind kubeschema knows only in
        its storage version (v1 DeviceTaintRule: v1beta2) borrows that version's structure."""
        if info.custom:
            return info.schema
        found = self.builtin_schema(info.api_version, info.kind)
        if found is None and info.storage_version:
            found = self.builtin_schema(f"{info.group}/{info.storage_version}", info.kind)
        return found

    def created_fields(
        self, api_version: str, kind: str, obj: dict[str, Any], field_manager: str, subresource: str = ""
    ) -> list[dict[str, Any]]:
        """The managedFields kube-apiserver's field manager gives a create it does not store (an
        access or token review, a TokenRequest): the writer owns what its request set, compared
        with the kind's Go zero value."""
        entries = ssa_merge.update(
            None,
            obj,
            [],
            field_manager or DEFAULT_MANAGER,
            api_version,
            now(),
            self.builtin_schema(api_version, kind),
            subresource,
            zero=gozero.zero_object(api_version, kind) or {},
        )
        return ssa_merge.encode_entries(entries)

    def _server_status_entry(
        self, info: ResourceInfo, obj: dict[str, Any], managed: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """managedFields with the entry kube-apiserver's controllers leave when they write the
        strategy's server status fields of a new object through its status subresource."""
        status = obj.get("status")
        if not isinstance(status, dict):
            return managed
        # before those writes the fields held their Go zero values (a struct's is there, empty)
        zero = (gozero.zero_object(info.api_version, info.kind) or {}).get("status") or {}
        fields = info.strategy.server_status_fields
        earlier = {k: v for k, v in status.items() if k not in fields}
        earlier.update({k: zero[k] for k in fields if k in zero})
        before = {**obj, "status": earlier}
        entries = ssa_merge.update(
            before,
            obj,
            ssa_merge.decode_entries(managed),
            SERVER_MANAGER,
            info.api_version,
            now(),
            self._schema(info),
            "status",
            info.has_status,
        )
        return ssa_merge.encode_entries(entries)

    def _record_update(
        self,
        info: ResourceInfo,
        old: dict[str, Any] | None,
        new: dict[str, Any],
        base: Any,
        opts: WriteOptions,
        subresource: str | None,
    ) -> None:
        """managedFields after a write that is not an apply: the writer owns what it changed. An
        object that has none (or a write that resets them with `[]`) is not tracked again until
        an apply, as kube-apiserver's skipNonAppliedManager has it."""
        if old is not None and not [e for e in ssa_merge.decode_entries(base) if e.manager or e.fields]:
            new["metadata"].pop("managedFields", None)
            return
        managed = self._managed_after_update(info, old, new, base, opts, subresource)
        if managed:
            new["metadata"]["managedFields"] = managed
        else:
            new["metadata"].pop("managedFields", None)

    def _managed_after_update(
        self,
        info: ResourceInfo,
        old: dict[str, Any] | None,
        new: dict[str, Any],
        base: Any,
        opts: WriteOptions,
        subresource: str | None,
    ) -> list[dict[str, Any]]:
        view = opts.served_as
        if view is not None and view != info:
            # the writer's fields in the version it wrote (kube-apiserver keeps each entry's version)
            old = None if old is None else versions.present(view, old)
            new, info = versions.present(view, new), view
        if info.strategy.unowned:
            old = None if old is None else _without(old, *info.strategy.unowned)
            new = _without(new, *info.strategy.unowned)
        entries = ssa_merge.update(
            old,
            new,
            ssa_merge.decode_entries(base),
            opts.field_manager or DEFAULT_MANAGER,
            info.api_version,
            now(),
            self._schema(info),
            subresource or "",
            info.has_status,
            recorded_subresource=opts.recorded_subresource,
            zero=None if old is not None or info.custom else _zero_value(info, new),
        )
        return ssa_merge.encode_entries(entries)

    # ------------------------------------------------------------------ delete

    def delete(self, info: ResourceInfo, ns: str, name: str, opts: DeleteOptions) -> Result:
        current = self._store.get(info.storage_key, ns if info.namespaced else "", name)
        if current is None:
            raise errors.not_found(info.plural, info.group, name)
        old = current.obj
        old_meta = _meta(old)
        strategy = info.strategy
        if name in strategy.protected_names:
            raise errors.forbidden(info.plural, info.group, name, f"this {info.singular} may not be deleted")
        # kube-apiserver's registry checks these itself and names the kind, not the resource
        if opts.precondition_uid and opts.precondition_uid != old_meta.get("uid"):
            raise errors.conflict(
                info.kind,
                info.group,
                name,
                f"the UID in the precondition ({opts.precondition_uid}) does not match the UID in record "
                f"({old_meta.get('uid')}). The object might have been deleted and then recreated",
            )
        if opts.precondition_rv and opts.precondition_rv != old_meta.get("resourceVersion"):
            raise errors.conflict(
                info.kind,
                info.group,
                name,
                f"the ResourceVersion in the precondition ({opts.precondition_rv}) does not match the "
                f"ResourceVersion in record ({old_meta.get('resourceVersion')}). The object might have been "
                "modified",
            )
        warnings: list[str] = []
        policy = opts.propagation
        if policy is None and strategy.delete.default_propagation is not None:
            policy = strategy.delete.default_propagation
            if strategy.delete.warning:
                warnings.append(strategy.delete.warning)
        finalizers = list(old_meta.get("finalizers") or [])
        if policy == "Orphan" and ORPHAN not in finalizers:
            finalizers.append(ORPHAN)
        elif policy == "Foreground" and FOREGROUND not in finalizers:
            finalizers.append(FOREGROUND)
        own = strategy.delete.finalizer
        if own and own not in finalizers and not old_meta.get("deletionTimestamp"):
            finalizers.append(own)
        grace = self._grace(info, old, opts)
        if old_meta.get("deletionTimestamp"):
            if grace == 0 and not old_meta.get("finalizers"):
                return self._remove(info, current, opts)
            shorter = grace < int(old_meta.get("deletionGracePeriodSeconds") or 0)
            if finalizers == list(old_meta.get("finalizers") or []) and not shorter:
                return Result(old, current.raw, warnings)
        if not finalizers and not grace and not strategy.delete_marks:
            result = self._remove(info, current, opts)
            result.warnings = warnings
            return result
        new = copy.deepcopy(old)
        meta = new["metadata"]
        if finalizers or "finalizers" in meta:
            meta["finalizers"] = finalizers
        if not meta.get("deletionTimestamp"):
            meta["deletionTimestamp"] = time_in(grace or 0)
            # a namespace's delete (its own registry code) sets no grace period
            if not strategy.delete_marks:
                meta["deletionGracePeriodSeconds"] = grace or 0
            # rest.BeforeDelete: any object that has a generation gets a new one
            if int(meta.get("generation") or 0) > 0:
                meta["generation"] = int(meta.get("generation") or 0) + 1
        elif grace < int(meta.get("deletionGracePeriodSeconds") or 0):
            meta["deletionTimestamp"] = time_in(grace)
            meta["deletionGracePeriodSeconds"] = grace
        if strategy.on_delete_marked is not None:
            strategy.on_delete_marked(new, now())
        if opts.dry_run:
            return Result(new, None, warnings)
        stored = self._store.put(info.storage_key, new)
        return Result(stored.obj, stored.raw, warnings)

    def _grace(self, info: ResourceInfo, obj: dict[str, Any], opts: DeleteOptions) -> int:
        """How long a delete waits (a pod on a node waits for its kubelet); 0 for most kinds."""
        if info.strategy.grace is None:
            return 0
        return info.strategy.grace(obj, opts.grace, self._node_exists)

    def _node_exists(self, name: str) -> bool:
        return self._store.get(NODE_KEY, "", name) is not None

    def _remove(self, info: ResourceInfo, current: Stored, opts: DeleteOptions) -> Result:
        meta = _meta(current.obj)
        if opts.dry_run:
            return Result(current.obj, current.raw, removed=True)
        removed = self._store.remove(info.storage_key, meta.get("namespace", ""), meta["name"])
        if removed is None:
            raise errors.not_found(info.plural, info.group, meta["name"])
        return Result(removed.obj, removed.raw, removed=True)

    # ------------------------------------------------------------------ events to keep derived state

    def _on_event(self, key: Key, ev: Event) -> None:
        hook = self._event_hooks.get(key)
        if hook is not None:
            hook(self, ev.type, ev.obj)

    def stop_serving(self, crd_name: str, key: Key) -> None:
        """A deleted CRD's resources are no longer served, and their objects are gone."""
        self.registry.remove_custom(crd_name)
        self._store.drop_table(key)


_GO_JSON = {
    "integer": "number",
    "number": "number",
    "string": "string",
    "boolean": "bool",
    "object": "object",
    "array": "array",
    "null": "null",
}


def _decode_error(info: ResourceInfo, e: FieldError) -> str:
    """Go's json decoding error for a wrongly typed field, as the typed server reports it."""
    actual = _GO_JSON.get(str(e.value), str(e.value))
    m = re.search(r"must be of type (\w+)", e.detail)
    wanted = m.group(1) if m else "the declared type"
    return (
        f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: json: cannot unmarshal '
        f"{actual} into Go struct field {info.kind}.{e.path} of type {wanted}"
    )


def _check_url_identity(info: ResourceInfo, meta: dict[str, Any], ns: str, name: str) -> None:
    """400 when the body names another object than the URL does."""
    if meta.get("name") and meta["name"] != name:
        raise errors.bad_request(
            f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
        )
    if info.namespaced and meta.get("namespace") and meta["namespace"] != ns:
        raise errors.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )


_META_STRINGS = ("name", "generateName", "namespace", "uid", "resourceVersion", "selfLink")


def _drop_empty_collections(meta: dict[str, Any]) -> None:
    """kube-apiserver decodes metadata into Go's ObjectMeta, whose JSON omits its empty maps and
    lists: `annotations: {}` is stored (and owned in managedFields) as no annotations."""
    for key in ("labels", "annotations", "finalizers", "ownerReferences"):
        if key in meta and (meta[key] is None or meta[key] in ({}, [])):
            meta.pop(key)


def _meta_type_error(meta: dict[str, Any]) -> str | None:
    """ObjectMeta fields of the wrong JSON type (Go cannot decode them into ObjectMeta)."""
    for key in _META_STRINGS:
        if key in meta and meta[key] is not None and not isinstance(meta[key], str):
            return f"json: cannot unmarshal into Go struct field ObjectMeta.metadata.{key} of type string"
    for key in ("labels", "annotations"):
        value = meta.get(key)
        if value is not None and (
            not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values())
        ):
            field = f"ObjectMeta.metadata.{key}"
            return f"json: cannot unmarshal into Go struct field {field} of type map[string]string"
    fins = meta.get("finalizers")
    if fins is not None and (not isinstance(fins, list) or not all(isinstance(f, str) for f in fins)):
        return "json: cannot unmarshal into Go struct field ObjectMeta.metadata.finalizers of type []string"
    refs = meta.get("ownerReferences")
    if refs is not None and (
        not isinstance(refs, list)
        or not all(isinstance(r, dict) and isinstance(r.get("uid", ""), str) for r in refs)
    ):
        return (
            "json: cannot unmarshal into Go struct field ObjectMeta.metadata.ownerReferences of type "
            "[]v1.OwnerReference"
        )
    gen = meta.get("generation")
    if gen is not None and (not isinstance(gen, int) or isinstance(gen, bool)):
        return "json: cannot unmarshal into Go struct field ObjectMeta.metadata.generation of type int64"
    return None


def _builtin_schema_lookup() -> Callable[[str, str], dict[str, Any] | None]:
    """kubeschema's schemas for built-in kinds, once that module provides them."""
    try:
        import kubeschema
    except ImportError:  # pragma: no cover - kubeschema ships with this package
        return lambda api_version, kind: None
    fn = getattr(kubeschema, "schema_for", None)
    if fn is None:
        return lambda api_version, kind: None

    def lookup(api_version: str, kind: str) -> dict[str, Any] | None:
        result = fn(api_version, kind, descriptions=False)
        return result if isinstance(result, dict) else None

    return lookup


def _zero_value(info: ResourceInfo, obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """A built-in kind's zero value (for a kind the protobuf tables lack: its top-level objects,
    which are Go structs and so written even when empty)."""
    found = gozero.zero_object(info.api_version, info.kind)
    if found is not None:
        return found
    return {k: {} for k, v in obj.items() if isinstance(v, dict) and k != "metadata"}
