"""The control loops that live in kube-controller-manager and apiextensions, event-driven:

- garbage collector: deletes objects whose owners (by uid) are all gone, removes dangling owner
  references, and carries out Orphan and Foreground deletion;
- namespace controller: empties a terminating namespace, then finalizes it;
- CRD cleanup: deletes a terminating CRD's objects, then lets the CRD go;
- storage protection: lets a deleted PersistentVolume, claim or VolumeAttributesClass go once
  nothing uses it (storage_protection.py says what uses what);
- node lifecycle's NoSchedule pass: a Node's taints follow its conditions and cordon
  (node_taints.py).

Every store commit is looked at once (synchronously, cheaply) and turns into work items; a single
task works them off. Nothing polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from typing import Any

from kubeschema.timestamps import now_time as now
from localkube.apiserver import authz, crds, node_taints, storage_protection
from localkube.apiserver.core import (
    FOREGROUND,
    NODE_KEY,
    NS_FINALIZER,
    NS_KEY,
    ORPHAN,
    Core,
    DeleteOptions,
    WriteOptions,
)
from localkube.apiserver.errors import APIError
from localkube.apiserver.kinds import ResourceInfo
from localkube.apiserver.storage_protection import FINALIZERS, PV_KEY, PVC_KEY, VAC_KEY
from localkube.apiserver.store import Event, Key, ObjKey, Stored

AGGREGATOR = "clusterrole-aggregation-controller"
# seconds between a namespace turning Terminating and its contents being deleted
NAMESPACE_SWEEP_DELAY = 1.0
# kube-controller-manager's pod GC waits this long (its quarantineTime) for a missing node to come
# back before it fails and deletes the node's pods
POD_GC_QUARANTINE = 40.0

log = logging.getLogger(__name__)

Item = tuple[str, Any]
POD_KEY: Key = ("", "pods")
CLUSTER_ROLE_KEY: Key = (authz.RBAC_GROUP, "clusterroles")


class Controllers:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = core.reads
        self.pending: dict[Item, None] = {}
        self._swept: set[tuple[str, str]] = set()  # terminating namespaces/CRDs already emptied once
        # terminating namespace -> loop time before which its contents are left alone
        self._ns_not_before: dict[str, float] = {}
        self._quarantined: set[str] = set()  # missing nodes whose pods are looked at once it ends
        self.wake = asyncio.Event()
        self.store.listen(self._on_event)

    def _add(self, item: Item) -> None:
        self.pending[item] = None
        self.wake.set()

    def _on_event(self, key: Key, ev: Event) -> None:
        if key == CLUSTER_ROLE_KEY:
            self._add(("aggregate", ""))
        if key in FINALIZERS or key == POD_KEY:
            self._protection_event(key, ev)
        if key == NODE_KEY and ev.type != "DELETED" and node_taints.no_schedule_pass(ev.obj) is not None:
            self._add(("taints", ev.obj["metadata"]["name"]))
        meta = ev.obj.get("metadata") or {}
        uid = meta.get("uid", "")
        ns = meta.get("namespace", "")
        refs = meta.get("ownerReferences") or ()
        if ev.type == "DELETED":
            if key == NODE_KEY:
                self._quarantine(meta.get("name", ""))
            if self.store.has_dependents(uid):
                self._add(("owner-gone", uid))
            for ref in refs:
                self._add(("owner", ref.get("uid", "")))
            if ns:
                self._add(("ns", ns))
            if key not in (NS_KEY, crds.CRD_KEY) and key[0]:
                self._add(("crd", f"{key[1]}.{key[0]}"))
            return
        if key == POD_KEY:
            node = (ev.obj.get("spec") or {}).get("nodeName")
            if node and self.store.get(NODE_KEY, "", node) is None:
                self._quarantine(node)
        if refs:
            self._add(("dependent", (key, ns, meta.get("name", ""))))
        if meta.get("deletionTimestamp"):
            if {ORPHAN, FOREGROUND} & set(meta.get("finalizers") or ()):
                self._add(("owner", uid))
            if key == NS_KEY:
                self._namespace_terminating(meta.get("name", ""))
            elif key == crds.CRD_KEY:
                self._add(("crd", meta.get("name", "")))

    async def run(self) -> None:
        # objects stored before a restart (or before protection existed) are looked at once
        for key in FINALIZERS:
            for stored in self.store.items(key, None):
                self._protect_if_due(key, stored.obj)
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.pending:
                item = next(iter(self.pending))
                del self.pending[item]
                try:
                    self._process(item)
                except APIError as e:
                    log.debug("controller item %s: %s", item, e.message)
                except Exception:
                    log.exception("controller item %s failed", item)
                # let requests run between items of a large cascade
                await asyncio.sleep(0)

    def _info(self, key: Key) -> ResourceInfo | None:
        infos = self.core.registry.storage(*key)
        return infos[0] if infos else None

    def _process(self, item: Item) -> None:
        kind, arg = item
        if kind == "owner-gone":
            for dep in self.store.dependents_of(arg):
                self._dependent(dep)
        elif kind == "dependent":
            self._dependent(arg)
        elif kind == "owner":
            self._owner(arg)
        elif kind == "ns":
            self._namespace(arg)
        elif kind == "crd":
            self._crd(arg)
        elif kind == "node-gone":
            self._orphaned_pods(arg)
        elif kind == "aggregate":
            self.aggregate_cluster_roles()
        elif kind == "protect":
            self._protect(arg)
        elif kind == "taints":
            self._node_taints(arg)

    # ------------------------------------------------------------------ clusterrole aggregation

    def aggregate_cluster_roles(self) -> None:
        """Write each aggregated ClusterRole's rules, until chains (view into edit into admin)
        settle; the server also calls this once at start, so the bootstrap roles are whole at once."""
        info = self._info(CLUSTER_ROLE_KEY)
        if info is None:
            return
        for _ in range(8):
            roles = [s.obj for s in self.store.items(CLUSTER_ROLE_KEY, None)]
            changed = False
            for role in roles:
                rules = authz.aggregated_rules(role, roles)
                current = self.store.get(CLUSTER_ROLE_KEY, "", role["metadata"]["name"])
                if rules is None or current is None or rules == (current.obj.get("rules") or []):
                    continue
                new = copy.deepcopy(current.obj)
                new["rules"] = rules
                opts = WriteOptions(field_validation="Ignore", field_manager=AGGREGATOR)
                self.core.replace(info, current, new, opts, None)
                changed = True
            if not changed:
                return

    # ------------------------------------------------------------------ garbage collector

    def _dependent(self, where: ObjKey) -> None:
        key, ns, name = where
        stored = self.store.get(key, ns, name)
        info = self._info(key)
        if stored is None or info is None:
            return
        meta = stored.obj["metadata"]
        refs = meta.get("ownerReferences") or []
        owners = [self.store.lookup_uid(r.get("uid", "")) for r in refs]
        if not refs or meta.get("deletionTimestamp"):
            return
        if all(o is None for o in owners):
            self.core.delete(info, ns, name, DeleteOptions(propagation="Background"))
            return
        for o in owners:
            if (
                o is not None
                and FOREGROUND in (o.obj["metadata"].get("finalizers") or ())
                and o.obj["metadata"].get("deletionTimestamp")
            ):
                self.core.delete(info, ns, name, DeleteOptions(propagation="Background"))
                return
        if any(o is None for o in owners):
            kept = [r for r, o in zip(refs, owners, strict=True) if o is not None]
            self._rewrite(key, stored, lambda m: m.__setitem__("ownerReferences", kept))

    def _owner(self, uid: str) -> None:
        stored = self.store.lookup_uid(uid)
        if stored is None:
            return
        meta = stored.obj["metadata"]
        if not meta.get("deletionTimestamp"):
            return
        where = self.store.where_uid(uid)
        if where is None:
            return
        finalizers = list(meta.get("finalizers") or [])
        dependents = [d for d in self.store.dependents_of(uid) if self.store.get(*d) is not None]
        if ORPHAN in finalizers:
            for dep in dependents:
                dep_stored = self.store.get(*dep)
                if dep_stored is None:
                    continue
                kept = [
                    r for r in dep_stored.obj["metadata"].get("ownerReferences") or () if r.get("uid") != uid
                ]
                self._rewrite(dep[0], dep_stored, lambda m, k=kept: m.__setitem__("ownerReferences", k))
            self._drop_finalizer(where, ORPHAN)
            return
        if FOREGROUND in finalizers:
            for dep in dependents:
                dep_stored = self.store.get(*dep)
                info = self._info(dep[0])
                if dep_stored is None or info is None or dep_stored.obj["metadata"].get("deletionTimestamp"):
                    continue
                policy = (
                    "Foreground"
                    if self.store.has_dependents(dep_stored.obj["metadata"]["uid"])
                    else "Background"
                )
                self.core.delete(info, dep[1], dep[2], DeleteOptions(propagation=policy))
            if not [d for d in self.store.dependents_of(uid) if self.store.get(*d) is not None]:
                self._drop_finalizer(where, FOREGROUND)

    def _rewrite(self, key: Key, stored: Stored, change: Any) -> None:
        info = self._info(key)
        if info is None:
            return
        new = copy.deepcopy(stored.obj)
        change(new["metadata"])
        if not new["metadata"].get("ownerReferences"):
            new["metadata"].pop("ownerReferences", None)
        self.core.system_write(info, new)

    def _drop_finalizer(self, where: ObjKey, finalizer: str) -> None:
        key, ns, name = where
        stored = self.store.get(key, ns, name)
        info = self._info(key)
        if stored is None or info is None:
            return
        new = copy.deepcopy(stored.obj)
        new["metadata"]["finalizers"] = [f for f in new["metadata"].get("finalizers") or () if f != finalizer]
        self.core.replace(info, stored, new, WriteOptions(field_validation="Ignore"), None)

    # ------------------------------------------------------------------ storage protection

    def _protection_event(self, key: Key, ev: Event) -> None:
        """Queue what the change may release (or what lost its finalizer): the object itself, the
        claims a changed or deleted pod names, the classes a volume or claim referred to."""
        if ev.type != "DELETED" and key in FINALIZERS:
            self._protect_if_due(key, ev.obj)
        if key == POD_KEY:
            ns = ev.namespace
            for claim in storage_protection.claims_of_pod(ev.obj):
                self._release_if_held(PVC_KEY, ns, claim)
        elif key in (PV_KEY, PVC_KEY):
            classes = storage_protection.classes_of(key, ev.obj)
            if ev.prev is not None:
                classes |= storage_protection.classes_of(key, ev.prev)
            for name in classes:
                self._release_if_held(VAC_KEY, "", name)

    def _protect_if_due(self, key: Key, obj: dict[str, Any]) -> None:
        finalizer = FINALIZERS[key]
        if storage_protection.deletion_candidate(obj, finalizer) or storage_protection.needs_finalizer(
            obj, finalizer
        ):
            meta = obj["metadata"]
            self._add(("protect", (key, meta.get("namespace", ""), meta.get("name", ""))))

    def _release_if_held(self, key: Key, ns: str, name: str) -> None:
        stored = self.store.get(key, ns, name)
        if stored is not None and storage_protection.deletion_candidate(stored.obj, FINALIZERS[key]):
            self._add(("protect", (key, ns, name)))

    def _protect(self, where: ObjKey) -> None:
        key, ns, name = where
        stored = self.store.get(key, ns, name)
        info = self._info(key)
        if stored is None or info is None:
            return
        finalizer = FINALIZERS[key]
        if storage_protection.deletion_candidate(stored.obj, finalizer):
            if not self._in_use(key, stored.obj):
                self._drop_finalizer(where, finalizer)
        elif storage_protection.needs_finalizer(stored.obj, finalizer):
            new = copy.deepcopy(stored.obj)
            new["metadata"]["finalizers"] = [*(new["metadata"].get("finalizers") or ()), finalizer]
            self.core.replace(info, stored, new, _CONTROLLER_WRITE, None)

    def _in_use(self, key: Key, obj: dict[str, Any]) -> bool:
        if key == PV_KEY:
            return storage_protection.volume_bound(obj)
        if key == PVC_KEY:
            pods = self.store.items(POD_KEY, obj["metadata"].get("namespace", ""))
            return any(storage_protection.pod_uses_claim(pod.obj, obj) for pod in pods)
        name = obj["metadata"].get("name", "")
        return any(
            name in storage_protection.classes_of(k, s.obj)
            for k in (PV_KEY, PVC_KEY)
            for s in self.store.items(k, None)
        )

    # ------------------------------------------------------------------ node taints

    def _node_taints(self, name: str) -> None:
        stored = self.store.get(NODE_KEY, "", name)
        info = self._info(NODE_KEY)
        if stored is None or info is None:
            return
        taints = node_taints.no_schedule_pass(stored.obj)
        if taints is None:
            return
        new = copy.deepcopy(stored.obj)
        spec = new.setdefault("spec", {})
        if taints:
            spec["taints"] = taints
        else:
            spec.pop("taints", None)
        self.core.replace(info, stored, new, _CONTROLLER_WRITE, None)

    # ------------------------------------------------------------------ pod GC

    def _quarantine(self, node: str) -> None:
        """PodGC: pods bound to a missing node are looked at once it has stayed missing for
        POD_GC_QUARANTINE, as kube-controller-manager does, so a node that re-registers keeps them."""
        if node in self._quarantined:
            return  # its timer is running
        self._quarantined.add(node)
        try:
            asyncio.get_running_loop().call_later(POD_GC_QUARANTINE, self._add, ("node-gone", node))
        except RuntimeError:
            self._add(("node-gone", node))

    def _orphaned_pods(self, node: str) -> None:
        """PodGC: pods bound to a node that is still missing are marked Failed, with kube's
        DisruptionTarget condition saying why, and deleted at once (grace 0)."""
        self._quarantined.discard(node)
        if self.store.get(NODE_KEY, "", node) is not None:
            return
        info = self._info(POD_KEY)
        if info is None:
            return
        for stored in self.store.items(POD_KEY, None):
            if (stored.obj.get("spec") or {}).get("nodeName") != node:
                continue
            meta = stored.obj["metadata"]
            with contextlib.suppress(APIError):
                if (stored.obj.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                    self.core.replace(
                        info, stored, pod_gc_failed(stored.obj, now()), _CONTROLLER_WRITE, "status"
                    )
                self.core.delete(info, meta.get("namespace", ""), meta["name"], DeleteOptions(grace=0))

    # ------------------------------------------------------------------ namespaces

    def _namespace_terminating(self, name: str) -> None:
        """A real namespace controller reaches a terminating namespace's contents only after its
        queue, discovery and LISTs (a second or more), so the requests that follow a namespace's
        deletion (`kubectl delete -k` deleting its contents next) still find them. Do likewise."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._add(("ns", name))
            return
        if name not in self._ns_not_before:
            self._ns_not_before[name] = loop.time() + NAMESPACE_SWEEP_DELAY
            loop.call_later(NAMESPACE_SWEEP_DELAY, self._add, ("ns", name))

    def _namespace(self, name: str) -> None:
        ns = self.store.get(NS_KEY, "", name)
        if ns is None or not ns.obj["metadata"].get("deletionTimestamp"):
            self._ns_not_before.pop(name, None)
            return
        not_before = self._ns_not_before.get(name)
        if not_before is not None and _loop_time() < not_before:
            return  # its scheduled sweep comes later
        keys = self.core.registry.namespaced_storage_keys()
        sweep = ("ns", ns.obj["metadata"]["uid"])
        if sweep not in self._swept:
            # delete everything once; later deletions only need the (cheap) emptiness check below
            self._swept.add(sweep)
            for key in keys:
                info = self._info(key)
                if info is None:
                    continue
                for stored in self.store.items(key, name):
                    if not stored.obj["metadata"].get("deletionTimestamp"):
                        with contextlib.suppress(APIError):
                            self.core.delete(info, name, stored.obj["metadata"]["name"], DeleteOptions())
        if any(self._holds(key, name) for key in keys):
            return
        self._swept.discard(sweep)
        self._ns_not_before.pop(name, None)
        spec_finalizers = (ns.obj.get("spec") or {}).get("finalizers") or []
        if NS_FINALIZER in spec_finalizers:
            info = self._info(NS_KEY)
            assert info is not None
            new = copy.deepcopy(ns.obj)
            new["spec"]["finalizers"] = [f for f in spec_finalizers if f != NS_FINALIZER]
            self.core.replace(info, ns, new, WriteOptions(field_validation="Ignore"), "finalize")

    def _holds(self, key: Key, namespace: str) -> bool:
        return self.store.holds(key, namespace)

    # ------------------------------------------------------------------ CRDs

    def _crd(self, name: str) -> None:
        crd = self.store.get(crds.CRD_KEY, "", name)
        if crd is None or not crd.obj["metadata"].get("deletionTimestamp"):
            return
        spec = crd.obj.get("spec") or {}
        key = (str(spec.get("group", "")), str((spec.get("names") or {}).get("plural", "")))
        sweep = ("crd", crd.obj["metadata"]["uid"])
        info = self._info(key)
        if sweep not in self._swept and info is not None:
            self._swept.add(sweep)
            for stored in self.store.items(key, None):
                meta = stored.obj["metadata"]
                if not meta.get("deletionTimestamp"):
                    with contextlib.suppress(APIError):
                        self.core.delete(info, meta.get("namespace", ""), meta["name"], DeleteOptions())
        if self.store.count(key):
            return
        self._swept.discard(sweep)
        self._drop_finalizer((crds.CRD_KEY, "", name), crds.CLEANUP_FINALIZER)


_CONTROLLER_WRITE = WriteOptions(field_validation="Ignore", field_manager="kube-controller-manager")


def pod_gc_failed(pod: dict[str, Any], at: str) -> dict[str, Any]:
    """The pod as kube's pod GC leaves it before deleting it: Failed, DisruptionTarget True."""
    new = copy.deepcopy(pod)
    status = new.setdefault("status", {})
    status["phase"] = "Failed"
    condition: dict[str, Any] = {
        "type": "DisruptionTarget",
        "status": "True",
        "lastTransitionTime": at,
        "reason": "DeletionByPodGC",
        "message": "PodGC: node no longer exists",
    }
    generation = new["metadata"].get("generation")
    if generation:
        status["observedGeneration"] = condition["observedGeneration"] = generation
    others = [c for c in status.get("conditions") or () if c.get("type") != "DisruptionTarget"]
    status["conditions"] = [*others, condition]
    return new


def _loop_time() -> float:
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return float("inf")
