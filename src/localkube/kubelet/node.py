"""The node: registers itself, schedules pending pods onto itself, runs its pods, keeps Endpoints in
line with ready pods, proxies Service IPs and keeps every pod's /etc/hosts current. All of it is
driven by watches on the API server (no polling), over HTTPS like a real kubelet."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import platform
import shutil
import ssl
from pathlib import Path
from typing import Any

from kubeschema.quantity import parse_quantity
from kubeschema.timestamps import format_micro_time
from localkube.apiserver import certs
from localkube.client.apiclient import ApiClient, ApiError
from localkube.client.informer import Informer, key_of
from localkube.kubelet import (
    cleanup,
    dns,
    endpoints,
    endpointsctl,
    envvars,
    ipam,
    network,
    status,
)
from localkube.kubelet.binder import Binder
from localkube.kubelet.events import EventRecorder
from localkube.kubelet.nodelock import NodeLock
from localkube.kubelet.podworker import PodWorker
from localkube.kubelet.proxy import ServiceProxy
from localkube.kubelet.server import KubeletServer

log = logging.getLogger(__name__)

KUBELET_VERSION = "v1.37.2"
LEASE_SECONDS = 40
HEARTBEAT_SECONDS = 10


class Trigger:
    """A coalescing wake-up: many set() calls while work is running make one more pass."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    async def wait(self) -> None:
        await self._event.wait()
        self._event.clear()


class NodeRuntime:
    def __init__(
        self,
        client: ApiClient,
        data_dir: Path,
        *,
        node_name: str,
        cpu: str,
        memory: str,
        pod_cidr: str,
        max_pods: int = 250,
        backoff_base: float = 10.0,
        backoff_max: float = 300.0,
        pki_dir: Path | None = None,
        control_plane_controllers: bool = False,
        serving_tls: ssl.SSLContext | None = None,
    ):
        self.client = client
        # the cluster CA's directory: the kubelet's serving certificate comes from it, and only its
        # client certificates (the API server's) are answered; a real control plane hands its own
        self.pki_dir = pki_dir
        self.serving_tls = serving_tls
        # Real Kubernetes: kube-scheduler binds pods and kube-controller-manager writes Endpoints
        # and EndpointSlices, so this node neither schedules nor writes them.
        self.control_plane_controllers = control_plane_controllers
        self.node_name = node_name
        self.state_dir = data_dir / "kubelet"
        self.pods_dir = self.state_dir / "pods"
        self.cidr = pod_cidr
        self.host_ip = ipam.gateway(pod_cidr)
        self.allocatable = {
            "cpu": cpu,
            "memory": memory,
            "pods": str(max_pods),
            "ephemeral-storage": "1Ti",
        }
        self.labels = {
            "kubernetes.io/hostname": node_name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), "amd64"),
            "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": {"x86_64": "amd64", "aarch64": "arm64"}.get(
                platform.machine(), "amd64"
            ),
        }
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.ca_pem = client.ca_pem
        self.fallback_token = client.token
        self.events = EventRecorder(client, "kubelet", node_name)
        self.scheduler_events = EventRecorder(client, "default-scheduler", node_name)
        self.node_inf = Informer(client, "/api/v1/nodes", {"fieldSelector": f"metadata.name={node_name}"})
        self.binder = Binder(
            client, node_name, self.allocatable, self.labels, self.scheduler_events, self._node_spec
        )
        self.used_ips: set[str] = set()
        self._last_ip = ""
        self.workers: dict[str, PodWorker] = {}  # by pod uid
        self.finished: set[str] = set()  # uids whose worker ended (object may linger briefly)
        self.proxy = ServiceProxy(self.host_ip)
        if self.serving_tls is None and pki_dir is not None:
            self.serving_tls = certs.kubelet_server_context(pki_dir, [self.host_ip])
        self.server = KubeletServer(self.lookup, pod_cidr, self.host_ip)
        sel = f"spec.nodeName={node_name}"
        self.my_pods = Informer(client, "/api/v1/pods", {"fieldSelector": sel})
        self.pending_pods = Informer(client, "/api/v1/pods", {"fieldSelector": "spec.nodeName="})
        self.services = Informer(client, "/api/v1/services")
        self.endpoints_inf = Informer(client, "/api/v1/endpoints")
        self.configmaps = Informer(client, "/api/v1/configmaps")
        self.secrets = Informer(client, "/api/v1/secrets")
        self.slices = Informer(
            client,
            "/apis/discovery.k8s.io/v1/endpointslices",
            {"labelSelector": f"endpointslice.kubernetes.io/managed-by={endpoints.SLICE_MANAGER}"},
        )
        self.schedule_needed = Trigger()
        self.endpoints_needed = Trigger()
        self.network_needed = Trigger()
        self._tasks: list[asyncio.Task[None]] = []

    # ---- what pod workers ask of the node --------------------------------------------------

    def allocate_ip(self) -> str:
        ip = ipam.allocate(self.cidr, self.used_ips, after=self._last_ip)
        self.used_ips.add(ip)
        self._last_ip = ip
        return ip

    def release_ip(self, ip: str) -> None:
        self.used_ips.discard(ip)

    def service_infos(self) -> list[envvars.ServiceInfo]:
        out = []
        for svc in self.services.cache.values():
            meta = svc.get("metadata") or {}
            spec = svc.get("spec") or {}
            out.append(
                envvars.ServiceInfo(
                    meta["name"],
                    meta.get("namespace", "default"),
                    spec.get("clusterIP") or "",
                    list(spec.get("ports") or []),
                )
            )
        return out

    def _service_records(self) -> list[dns.ServiceRecord]:
        out = []
        for key, svc in self.services.cache.items():
            meta = svc.get("metadata") or {}
            spec = svc.get("spec") or {}
            ip = spec.get("clusterIP") or ""
            if spec.get("type") == "ExternalName":
                continue
            if ip and ip != "None":
                out.append(dns.ServiceRecord(meta["name"], meta.get("namespace", "default"), (ip,)))
                continue
            ips: list[str] = []
            hostnames: list[tuple[str, str]] = []
            for subset in (self.endpoints_inf.cache.get(key) or {}).get("subsets") or []:
                for addr in subset.get("addresses") or []:
                    if addr["ip"] not in ips:
                        ips.append(addr["ip"])
                    if addr.get("hostname"):
                        hostnames.append((addr["hostname"], addr["ip"]))
            out.append(
                dns.ServiceRecord(
                    meta["name"], meta.get("namespace", "default"), tuple(ips), tuple(hostnames)
                )
            )
        return out

    def hosts_for(self, pod: dict[str, Any], ip: str) -> str:
        meta = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        ident = dns.PodIdentity(
            meta["name"],
            meta.get("namespace", "default"),
            ip,
            spec.get("hostname") or "",
            spec.get("subdomain") or "",
        )
        return dns.render_hosts(ident, self._service_records())

    def resolv_for(self, pod: dict[str, Any]) -> str:
        return dns.render_resolv((pod.get("metadata") or {}).get("namespace", "default"))

    def worker_done(self, worker: PodWorker) -> None:
        if self.workers.get(worker.uid) is worker:
            del self.workers[worker.uid]
            self.finished.add(worker.uid)
        self.schedule_needed.set()

    def _source_changed(self, kind: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        for worker in list(self.workers.values()):
            worker.source_changed(kind, meta.get("namespace", ""), meta.get("name", ""))

    def lookup(self, namespace: str, name: str) -> PodWorker | None:
        for w in self.workers.values():
            if w.namespace == namespace and w.name == name:
                return w
        return None

    # ---- node object and lease ------------------------------------------------------------

    def _node_status(self) -> dict[str, Any]:
        t = status.now()
        conds = [
            (
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
            ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ]
        return {
            "capacity": dict(self.allocatable),
            "allocatable": dict(self.allocatable),
            "conditions": [
                {
                    "type": c,
                    "status": s,
                    "reason": r,
                    "message": m,
                    "lastHeartbeatTime": t,
                    "lastTransitionTime": t,
                }
                for c, s, r, m in conds
            ],
            "addresses": [
                {"type": "InternalIP", "address": self.host_ip},
                {"type": "Hostname", "address": self.node_name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": self.server.port}},
            "nodeInfo": {
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
                "kernelVersion": platform.release(),
                "osImage": "localkube",
                "containerRuntimeVersion": "localkube://0.1.0",
                "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": KUBELET_VERSION,
                "operatingSystem": "linux",
                "architecture": self.labels["kubernetes.io/arch"],
            },
        }

    async def _register(self) -> None:
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": self.node_name, "labels": self.labels},
            "spec": {"podCIDR": self.cidr, "podCIDRs": [self.cidr]},
            "status": self._node_status(),
        }
        try:
            await self.client.create("/api/v1/nodes", node)
        except ApiError as e:
            if e.status != 409:
                raise
            await self.client.merge_patch(
                f"/api/v1/nodes/{self.node_name}", {"metadata": {"labels": self.labels}, "spec": node["spec"]}
            )
        await self.client.merge_patch(
            f"/api/v1/nodes/{self.node_name}/status", {"status": self._node_status()}
        )

    async def _lease_loop(self) -> None:
        path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{self.node_name}"
        while True:
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.node_name, "namespace": "kube-node-lease"},
                "spec": {
                    "holderIdentity": self.node_name,
                    "leaseDurationSeconds": LEASE_SECONDS,
                    "renewTime": _micro_now(),
                },
            }
            try:
                try:
                    await self.client.merge_patch(path, {"spec": body["spec"]})
                except ApiError as e:
                    if e.status != 404:
                        raise
                    await self.client.create(
                        "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", body
                    )
            except Exception as e:
                log.warning("node lease: %r", e)
            await asyncio.sleep(HEARTBEAT_SECONDS)

    # ---- pods ------------------------------------------------------------------------------

    async def _on_my_pod(self, event: str, pod: dict[str, Any]) -> None:
        uid = (pod.get("metadata") or {}).get("uid", "")
        worker = self.workers.get(uid)
        if event == "DELETED":
            if worker is not None:
                worker.gone()
            self.finished.discard(uid)
        elif worker is not None:
            worker.update(pod)
        elif uid not in self.finished:
            phase = (pod.get("status") or {}).get("phase")
            if phase in ("Succeeded", "Failed"):
                if (pod.get("metadata") or {}).get("deletionTimestamp"):
                    await self._delete_now(pod)
            else:
                worker = PodWorker(self, pod)
                self.workers[uid] = worker
                worker.update(pod)
                worker.start()
        self.endpoints_needed.set()
        self.schedule_needed.set()

    async def _delete_now(self, pod: dict[str, Any]) -> None:
        meta = pod.get("metadata") or {}
        body = {"gracePeriodSeconds": 0, "preconditions": {"uid": meta.get("uid")}}
        with contextlib.suppress(ApiError):
            await self.client.delete(
                f"/api/v1/namespaces/{meta.get('namespace')}/pods/{meta.get('name')}", body
            )

    def _node_spec(self) -> dict[str, Any] | None:
        node = next(iter(self.node_inf.cache.values()), None) if self.node_inf.synced.is_set() else None
        return None if node is None else (node.get("spec") or {})

    def _on_pending_pod(self, _event: str, _pod: dict[str, Any]) -> None:
        self.schedule_needed.set()

    async def _scheduler_loop(self) -> None:
        while True:
            await self.schedule_needed.wait()
            try:
                await self.binder.schedule(
                    list(self.pending_pods.cache.values()), list(self.my_pods.cache.values())
                )
            except Exception:
                log.exception("scheduler pass failed")

    # ---- services --------------------------------------------------------------------------

    async def _endpoints_loop(self) -> None:
        while True:
            await self.endpoints_needed.wait()
            try:
                services = list(self.services.cache.values())
                pods = list(self.my_pods.cache.values())
                again = await endpointsctl.sync_endpoints(
                    self.client, services, pods, self.endpoints_inf.cache
                )
                if self.slices.synced.is_set():
                    again |= await endpointsctl.sync_slices(self.client, services, pods, self.slices.cache)
                if again:
                    self.endpoints_needed.set()
            except Exception:
                log.exception("endpoints pass failed")
            await asyncio.sleep(0.05)  # let a burst of pod updates coalesce into the next pass

    async def _on_service(self, event: str, svc: dict[str, Any]) -> None:
        if event == "DELETED" and not self.control_plane_controllers:
            meta = svc.get("metadata") or {}
            if (svc.get("spec") or {}).get("selector"):
                with contextlib.suppress(ApiError):
                    await self.client.delete(
                        f"/api/v1/namespaces/{meta.get('namespace')}/endpoints/{meta['name']}"
                    )
        self.endpoints_needed.set()
        self.network_needed.set()

    def _on_endpoints(self, event: str, ep: dict[str, Any]) -> None:
        self.proxy.set_endpoints(key_of(ep), None if event == "DELETED" else ep)
        self.endpoints_needed.set()  # someone else may have changed an Endpoints we own
        self.network_needed.set()

    async def _network_loop(self) -> None:
        while True:
            await self.network_needed.wait()
            try:
                await self.proxy.sync(list(self.services.cache.values()))
                for worker in list(self.workers.values()):
                    worker.refresh_hosts()
            except Exception:
                log.exception("service network pass failed")

    # ---- life ------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        lock = NodeLock()
        waited = False
        while True:
            try:
                await asyncio.to_thread(lock.acquire, 0)
                break
            except TimeoutError:
                if not waited:
                    # say so: until the other node stops, this one's pods stay Pending
                    log.warning(
                        "another localkube node runs on this machine (pid %s holds %s); "
                        "this node starts its pods once that one stops",
                        lock.holder() or "unknown",
                        lock.path,
                    )
                    waited = True
                # polled, not one blocking wait in a thread that never gives up; Ctrl-C meanwhile
                # stops this node before it started anything
                try:
                    await asyncio.wait_for(stop.wait(), 1)
                except TimeoutError:
                    continue
                log.info("stopped while waiting for the other node")
                return
        try:
            # a crashed run's pods, namespaces, links and mounts go first
            await asyncio.to_thread(cleanup.remove_everything, self.state_dir)
            await asyncio.to_thread(_rmtree, self.pods_dir)
            self.pods_dir.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(network.ensure_bridge, self.cidr)
            await self.server.start(self.host_ip, self.serving_tls)
            await self._register()
            self.my_pods.add_handler(self._on_my_pod)
            self.services.add_handler(self._on_service)
            self.endpoints_inf.add_handler(self._on_endpoints)
            if not self.control_plane_controllers:
                self.pending_pods.add_handler(self._on_pending_pod)
                self.node_inf.add_handler(self._on_pending_pod)  # a taint or cordon changed
                self.slices.add_handler(lambda _e, _o: self.endpoints_needed.set())
            self.configmaps.add_handler(lambda _e, obj: self._source_changed("ConfigMap", obj))
            self.secrets.add_handler(lambda _e, obj: self._source_changed("Secret", obj))
            # Services and Endpoints first, so the first pods see every name and variable.
            self._tasks = [asyncio.create_task(i.run()) for i in (self.services, self.endpoints_inf)]
            await asyncio.wait_for(
                asyncio.gather(self.services.synced.wait(), self.endpoints_inf.synced.wait()), 30
            )
            await self.proxy.sync(list(self.services.cache.values()))
            informers = [self.my_pods, self.configmaps, self.secrets]
            loops = [self._network_loop(), self._lease_loop()]
            if not self.control_plane_controllers:
                informers += [self.node_inf, self.pending_pods, self.slices]
                loops += [self._scheduler_loop(), self._endpoints_loop()]
            self._tasks += [asyncio.create_task(i.run()) for i in informers]
            self._tasks += [asyncio.create_task(loop) for loop in loops]
            await stop.wait()
        finally:
            await self._shutdown()
            await asyncio.to_thread(lock.release)

    async def _shutdown(self) -> None:
        try:
            for t in self._tasks:
                t.cancel()
            for t in self._tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            workers = list(self.workers.values())
            if workers:
                await asyncio.gather(*(w.stop(5) for w in workers), return_exceptions=True)
        finally:
            # also when the shutdown itself is cancelled: a listener left open on a service IP
            # would keep a later node in the same process (tests) from serving that address
            with contextlib.suppress(Exception):
                await self.proxy.close()
            with contextlib.suppress(Exception):
                await self.server.stop()
        await self.events.drain()
        await self.scheduler_events.drain()
        await asyncio.to_thread(cleanup.remove_everything, self.state_dir)


def _rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _micro_now() -> str:
    return format_micro_time(dt.datetime.now(dt.UTC))


async def run_node(
    api_url: str,
    kubeconfig: Path,
    data_dir: Path,
    *,
    node_name: str = "localkube",
    cpu: str = "64",
    memory: str = "256Gi",
    pod_cidr: str = "10.244.0.0/16",
    stop: asyncio.Event,
    backoff_base: float | None = None,
    backoff_max: float | None = None,
    max_pods: int = 250,
    control_plane_controllers: bool = False,
    serving_tls: ssl.SSLContext | None = None,
) -> None:
    """Run the node until `stop` is set; then every pod process, netns, veth, bridge and mount of
    ours is gone. The crash-loop back-off can be shortened (tests) with the arguments or the
    LOCALKUBE_BACKOFF_BASE / LOCALKUBE_BACKOFF_MAX environment variables (seconds).
    `control_plane_controllers`: the control plane (real Kubernetes) schedules pods and writes
    Endpoints and EndpointSlices; the node then only runs pods and proxies Services.
    `serving_tls`: the kubelet API (logs, exec) over HTTPS with this context, as kube-apiserver
    reaches kubelets."""
    parse_quantity(cpu)
    parse_quantity(memory)
    base = backoff_base if backoff_base is not None else float(os.environ.get("LOCALKUBE_BACKOFF_BASE", "10"))
    cap = backoff_max if backoff_max is not None else float(os.environ.get("LOCALKUBE_BACKOFF_MAX", "300"))
    client = ApiClient.from_kubeconfig(kubeconfig, server=api_url)
    try:
        node = NodeRuntime(
            client,
            data_dir,
            pki_dir=kubeconfig.parent / "pki",  # `localkube up` writes DIR/kubeconfig beside DIR/pki
            node_name=node_name,
            cpu=cpu,
            memory=memory,
            pod_cidr=pod_cidr,
            max_pods=max_pods,
            backoff_base=base,
            backoff_max=cap,
            control_plane_controllers=control_plane_controllers,
            serving_tls=serving_tls,
        )
        await node.run(stop)
    finally:
        await client.close()
