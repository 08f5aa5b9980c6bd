"""One pod's life on the node: sandbox, volumes, init containers, containers with restarts, probes
and hooks, status writes, and graceful deletion."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kubeschema.quantity import parse_quantity
from localkube.client.apiclient import ApiClient, ApiError
from localkube.kubelet import (
    backoff,
    dns,
    envvars,
    images,
    prober,
    probes,
    reboot,
    runtime,
    security,
    status,
    volumes,
)
from localkube.kubelet.events import EventRecorder
from localkube.kubelet.status import ContainerView, now

log = logging.getLogger(__name__)


class Node(Protocol):
    """What a pod worker needs from its node."""

    client: ApiClient
    node_name: str
    host_ip: str
    cidr: str
    pods_dir: Path
    allocatable: dict[str, str]
    backoff_base: float
    backoff_max: float
    ca_pem: str
    fallback_token: str
    events: EventRecorder

    def allocate_ip(self) -> str: ...

    def release_ip(self, ip: str) -> None: ...

    def service_infos(self) -> list[envvars.ServiceInfo]: ...

    def hosts_for(self, pod: dict[str, Any], ip: str) -> str: ...

    def resolv_for(self, pod: dict[str, Any]) -> str: ...

    def worker_done(self, worker: PodWorker) -> None: ...


@dataclass
class Running:
    """A started container: its process and what exec sessions need to join it."""

    proc: runtime.ContainerProcess
    env: dict[str, str]
    workdir: str


@dataclass
class ContainerRun:
    spec: dict[str, Any]
    view: ContainerView
    running: Running | None = None
    kill_reason: str = ""  # why the node killed it (liveness, startup probe, postStart)
    probe_task: asyncio.Task[None] | None = None
    backoff: float = 0.0
    ran_for: float = 0.0


def _meta(pod: dict[str, Any]) -> dict[str, Any]:
    return pod.get("metadata") or {}


class PodWorker:
    def __init__(self, node: Node, pod: dict[str, Any]):
        self.node = node
        self.pod = pod
        meta = _meta(pod)
        self.uid: str = meta["uid"]
        self.name: str = meta["name"]
        self.namespace: str = meta.get("namespace", "default")
        spec = pod.get("spec") or {}
        self.restart_policy: str = spec.get("restartPolicy") or "Always"
        # pods_dir is DATA/kubelet/pods: all of DATA (PKI, kubeconfig, every pod's files) is hidden
        self.sandbox = runtime.PodSandbox(
            self.uid, self.name, node.pods_dir / self.uid, node.cidr, hidden=(str(node.pods_dir.parents[1]),)
        )
        self.init_runs = [
            ContainerRun(
                c, ContainerView(c["name"], c.get("image", ""), {"waiting": {"reason": "PodInitializing"}})
            )
            for c in spec.get("initContainers") or []
        ]
        waiting = "PodInitializing" if self.init_runs else "ContainerCreating"
        self.runs = [
            ContainerRun(c, ContainerView(c["name"], c.get("image", ""), {"waiting": {"reason": waiting}}))
            for c in spec.get("containers") or []
        ]
        # a pod this node ran before it restarted: its processes are gone, as after a reboot
        self.rebooted = reboot.ran_before(pod)
        if self.rebooted:
            reboot.carry_over(pod, [r.view for r in self.runs], self.restart_policy)
        self.ip = ""
        kept = (pod.get("status") or {}).get("startTime") if self.rebooted else None
        self.start_time: str = str(kept) if kept else now()
        self.sandbox_ready = False
        self.initialized = not self.init_runs
        self.init_failed = False
        self.pod_reason = ""
        self.pod_message = ""
        self.terminating = asyncio.Event()
        self.grace = float(spec.get("terminationGracePeriodSeconds", 30))
        self.force_gone = False  # the API object is gone already: nothing to delete
        self._term_deadline: float | None = None  # loop time of the SIGKILL, once terminating
        self._early_kill: asyncio.TimerHandle | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._dirty = asyncio.Event()
        # a ConfigMap/Secret of the pod's namespace changed: retry waits end early, volumes refresh
        self._sources_changed = asyncio.Event()
        self._sources: volumes.Sources | None = None
        self._refresh: asyncio.Task[None] | None = None
        self._last_status: Any = None
        self._task: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self.volumes: dict[str, Path] = {}

    # ---- public -------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._main(), name=f"pod {self.namespace}/{self.name}")
        self._writer = asyncio.create_task(self._status_writer())

    def update(self, pod: dict[str, Any]) -> None:
        self.pod = pod
        meta = _meta(pod)
        if meta.get("deletionTimestamp"):
            grace = meta.get("deletionGracePeriodSeconds")
            if not self.terminating.is_set():
                if grace is not None:
                    self.grace = float(grace)
                self.terminating.set()
            elif grace is not None:
                # a second delete with a shorter grace period (`kubectl delete --grace-period=1`)
                self._shorten(float(grace))

    def gone(self) -> None:
        """The object was removed from the API without our final delete (force deletion)."""
        self.force_gone = True
        self.grace = 0
        self.terminating.set()

    async def stop(self, grace: float) -> None:
        """Node shutdown: stop the pod's processes without deleting the object."""
        self.force_gone = True
        self._shorten(grace)
        self.terminating.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task

    def _shorten(self, grace: float) -> None:
        """Kill within `grace` seconds from now if that is sooner than planned: as the kubelet
        honours a shorter grace period given while a pod is already terminating."""
        if grace >= self.grace:
            return
        self.grace = grace
        if self._term_deadline is None:
            return  # the termination has not started: it reads self.grace
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        if deadline >= self._term_deadline:
            return
        self._term_deadline = deadline
        if self._early_kill is not None:
            self._early_kill.cancel()

        def kill() -> None:
            # SIGKILL now; the termination's own wait then sees the pod's processes gone
            task = loop.create_task(self.sandbox.stop_all(0))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

        self._early_kill = loop.call_later(grace, kill)

    def container(self, name: str) -> ContainerRun | None:
        for r in self.runs + self.init_runs:
            if r.view.name == name:
                return r
        return None

    def default_container(self) -> str:
        annotated = (_meta(self.pod).get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
        return annotated or (self.runs[0].view.name if self.runs else "")

    # ---- status --------------------------------------------------------------------------------

    def mark(self) -> None:
        self._dirty.set()

    def _view(self) -> status.PodView:
        return status.PodView(
            pod_ip=self.ip,
            host_ip=self.node.host_ip,
            start_time=self.start_time,
            sandbox_ready=self.sandbox_ready,
            initialized=self.initialized,
            init_failed=self.init_failed,
            init_containers=[r.view for r in self.init_runs],
            containers=[r.view for r in self.runs],
            reason=self.pod_reason,
            message=self.pod_message,
        )

    async def _write_status(self) -> None:
        new = status.pod_status(self.pod, self._view())
        comparable = status.without_times(new)
        if comparable == self._last_status:
            return
        old = self.pod.get("status") or {}
        body: dict[str, Any] = dict(new)
        for k in old:
            if k not in body:
                body[k] = None
        try:
            updated = await self.node.client.merge_patch(
                f"/api/v1/namespaces/{self.namespace}/pods/{self.name}/status", {"status": body}
            )
            self._last_status = comparable
            if _meta(updated).get("uid") == self.uid:
                self.pod = {**self.pod, "status": updated.get("status", new)}
        except ApiError as e:
            if e.status == 404:
                return
            log.warning("status of %s/%s: %s", self.namespace, self.name, e)
            await asyncio.sleep(0.5)
            self._dirty.set()

    async def _status_writer(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            await self._write_status()

    # ---- life ----------------------------------------------------------------------------------

    def _event(self, etype: str, reason: str, message: str, container: str = "") -> None:
        fp = f"spec.containers{{{container}}}" if container else ""
        self.node.events.emit(self.pod, etype, reason, message, fp)

    async def _main(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.exception("pod %s/%s failed", self.namespace, self.name)
            self._event("Warning", "FailedCreatePodSandBox", f"Failed to create pod sandbox: {e}")
            await self.terminating.wait()
        finally:
            await self._shutdown()

    async def _interruptible(self, delay: float, wake_on_sources: bool = False) -> bool:
        """Sleep; True when the pod started terminating meanwhile. With wake_on_sources, a change
        of a ConfigMap or Secret the pod refers to ends the wait early (a retry may now succeed)."""
        waits = [asyncio.ensure_future(self.terminating.wait())]
        if wake_on_sources:
            self._sources_changed.clear()
            waits.append(asyncio.ensure_future(self._sources_changed.wait()))
        try:
            await asyncio.wait(waits, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        return self.terminating.is_set()

    def source_changed(self, kind: str, namespace: str, name: str) -> None:
        """A ConfigMap or Secret changed: wake waits on it and refresh the volumes that show it."""
        if namespace != self.namespace:
            return
        cms, secrets, _ = volumes.referenced(self.pod)
        env_cms: set[str] = set()
        env_secrets: set[str] = set()
        for r in self.runs + self.init_runs:
            c, sec = envvars.referenced_objects(r.spec)
            env_cms |= c
            env_secrets |= sec
        in_volumes = name in (cms if kind == "ConfigMap" else secrets)
        in_env = name in (env_cms if kind == "ConfigMap" else env_secrets)
        if not (in_volumes or in_env):
            return
        self._sources_changed.set()
        if in_volumes and self._sources is not None and (self._refresh is None or self._refresh.done()):
            self._refresh = asyncio.create_task(self._refresh_volumes())

    async def _refresh_volumes(self) -> None:
        """Rewrite configMap/secret/projected volume files in place, as the kubelet's volume manager
        does; directories mounted into running containers show the new files (subPath mounts don't)."""
        assert self._sources is not None
        cms, secrets, _ = volumes.referenced(self.pod)
        lookups = await self._fetch_sources(cms, secrets)
        self._sources.configmaps = lookups.configmaps
        self._sources.secrets = lookups.secrets
        try:
            await asyncio.to_thread(
                volumes.materialize, self.pod, self.sandbox.dir, self._sources, self.node.allocatable
            )
        except (volumes.VolumeError, envvars.ConfigError) as e:
            log.info("volumes of %s/%s not refreshed: %s", self.namespace, self.name, e)

    async def _run(self) -> None:
        if self.rebooted and self.restart_policy == "Never":
            self.initialized = True  # nothing runs again: the pod has failed
            self.mark()
            await self.terminating.wait()
            return
        self.ip = self.node.allocate_ip()
        await self.sandbox.setup(self.ip)
        self.refresh_hosts()
        self.sandbox.resolv_path.write_text(self.node.resolv_for(self.pod))
        self.sandbox_ready = True
        self.mark()
        if not await self._prepare_volumes():
            return
        if not await self._init_or_terminate():
            return
        self.initialized = True
        for r in self.runs:
            r.view.state = {"waiting": {"reason": "ContainerCreating"}}
        self.mark()
        tasks = [asyncio.create_task(self._run_container(r)) for r in self.runs]
        await self.terminating.wait()
        await self._terminate_containers()
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

    async def _init_or_terminate(self) -> bool:
        """Run the init containers; False if the pod is not to go on. A deletion stops a running
        init container like any other (Killing event, SIGTERM, SIGKILL after the grace period)."""
        init = asyncio.create_task(self._run_init_containers())
        term = asyncio.create_task(self.terminating.wait())
        try:
            await asyncio.wait({init, term}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            term.cancel()
        if init.done() and init.result():
            return True
        if not init.done() or not self.terminating.is_set():
            await self.terminating.wait()
        await self._terminate_containers()
        init.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await init
        return False

    def refresh_hosts(self) -> None:
        if self.sandbox_ready or self.ip:
            with contextlib.suppress(OSError):
                dns.write_in_place(self.sandbox.hosts_path, self.node.hosts_for(self.pod, self.ip))

    async def _fetch_sources(self, cms: set[str], secrets: set[str]) -> envvars.Lookups:
        lookups = envvars.Lookups({}, {})
        for name in cms:
            lookups.configmaps[name] = await self.node.client.get_or_none(
                f"/api/v1/namespaces/{self.namespace}/configmaps/{name}"
            )
        for name in secrets:
            lookups.secrets[name] = await self.node.client.get_or_none(
                f"/api/v1/namespaces/{self.namespace}/secrets/{name}"
            )
        return lookups

    async def _token(self, audience: str) -> str:
        sa = (self.pod.get("spec") or {}).get("serviceAccountName") or "default"
        body: dict[str, Any] = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {
                "audiences": [audience] if audience else [],
                "expirationSeconds": 86400 * 365,
                "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": self.name, "uid": self.uid},
            },
        }
        try:
            resp = await self.node.client.create(
                f"/api/v1/namespaces/{self.namespace}/serviceaccounts/{sa}/token", body
            )
            token = (resp.get("status") or {}).get("token")
            if token:
                return str(token)
        except ApiError as e:
            log.warning("token for %s/%s: %s", self.namespace, sa, e)
        return self.node.fallback_token

    async def _prepare_volumes(self) -> bool:
        cms, secrets, audiences = volumes.referenced(self.pod)
        delay = 1.0
        while True:
            lookups = await self._fetch_sources(cms, secrets)
            sources = volumes.Sources(
                configmaps=lookups.configmaps,
                secrets=lookups.secrets,
                tokens={a: await self._token(a) for a in audiences},
                ca_pem=self.node.ca_pem,
            )
            try:
                self.volumes = await asyncio.to_thread(
                    volumes.materialize, self.pod, self.sandbox.dir, sources, self.node.allocatable
                )
                self._sources = sources
                return True
            except (volumes.VolumeError, envvars.ConfigError) as e:
                self._event("Warning", "FailedMount", f"MountVolume.SetUp failed: {e}")
            if await self._interruptible(delay, wake_on_sources=True):
                return False
            delay = min(delay * 2, 30)

    async def _prepare_container(self, run: ContainerRun) -> tuple[runtime.LaunchSpec, dict[str, str]]:
        c = run.spec
        cms, secrets = envvars.referenced_objects(c)
        lookups = await self._fetch_sources(cms, secrets)
        infos = self.node.service_infos()
        # every pod, whatever its namespace, gets the `kubernetes` service's variables
        api = next((i for i in infos if i.namespace == "default" and i.name == "kubernetes"), None)
        base = {
            "PATH": runtime.image_path(),
            "HOSTNAME": (self.pod.get("spec") or {}).get("hostname") or self.name,
            "HOME": "/root",
        }
        if api is not None:
            base.update(envvars.service_env([api], "default"))
        pod = {**self.pod, "status": {**(self.pod.get("status") or {}), "podIP": self.ip,
                                      "podIPs": [{"ip": self.ip}], "hostIP": self.node.host_ip}}  # fmt: skip
        services = [] if (self.pod.get("spec") or {}).get("enableServiceLinks") is False else infos
        env = envvars.build_env(
            pod, c, base=base, services=services, lookups=lookups, node_alloc=self.node.allocatable
        )
        argv = envvars.command_line(c, env)
        mounts = volumes.container_mounts(self.pod, c, self.volumes, env)
        workdir = c.get("workingDir") or "/"
        sec = security.container_security(self.pod, c).to_json()
        limits = (c.get("resources") or {}).get("limits") or {}
        cpu = float(parse_quantity(limits["cpu"]).value) if limits.get("cpu") is not None else None
        memory = parse_quantity(limits["memory"]).ceil_int() if limits.get("memory") is not None else None
        launch = runtime.LaunchSpec(argv or [], env, workdir, mounts, sec, cpu, memory, bool(c.get("stdin")))
        return launch, env

    async def _start(self, run: ContainerRun) -> bool:
        """Create and start one container attempt; False when it could not start (state set)."""
        v = run.view
        try:
            launch, env = await self._prepare_container(run)
        except (envvars.ConfigError, security.SecurityError) as e:
            v.state = {"waiting": {"reason": "CreateContainerConfigError", "message": str(e)}}
            self._event("Warning", "Failed", f"Error: {e}", v.name)
            self.mark()
            return False
        if not launch.argv:
            message = images.not_present_message(v.image)
            v.state = {"waiting": {"reason": "ErrImageNeverPull", "message": message}}
            self._event("Warning", "ErrImageNeverPull", message, v.name)
            self.mark()
            return False
        for what in ("livenessProbe", "readinessProbe", "startupProbe"):
            if run.spec.get(what) is not None:
                err = probes.validate(run.spec[what], what)
                if err:
                    v.state = {"waiting": {"reason": "CreateContainerConfigError", "message": err}}
                    self.mark()
                    return False
        started_at = now()
        self._event("Normal", "Pulled", f'Container image "{v.image}" already present on machine', v.name)
        self._event("Normal", "Created", f"Created container: {v.name}", v.name)
        try:
            proc = await self.sandbox.start_container(v.name, v.restart_count, launch)
        except runtime.StartFailure as e:
            v.state = {
                "terminated": {
                    "exitCode": 128,
                    "reason": e.reason,
                    "message": e.message,
                    "startedAt": started_at,
                    "finishedAt": now(),
                }
            }
            self._event("Warning", "Failed", f"Error: {e.message}", v.name)
            self.mark()
            return False
        run.running = Running(proc, env, launch.workdir)
        run.kill_reason = ""
        v.container_id = f"localkube://{self.uid[:8]}-{v.name}-{v.restart_count}"
        v.state = {"running": {"startedAt": started_at}}
        self._event("Normal", "Started", f"Started container {v.name}", v.name)
        self.mark()
        return True

    async def _exec_in(self, run: ContainerRun, cmd: list[str], timeout: float) -> tuple[int, bytes]:
        if run.running is None:
            return 1, b"container not running"
        r = run.running
        return await runtime.exec_capture(r.proc, cmd, r.env, r.workdir, timeout)

    async def _post_start(self, run: ContainerRun) -> bool:
        hook = ((run.spec.get("lifecycle") or {}).get("postStart")) or None
        if not hook:
            return True
        ok, msg = await probes.run_handler(
            hook, run.spec, self.ip, lambda cmd, t: self._exec_in(run, cmd, t), self.grace or 30
        )
        if not ok:
            self._event("Warning", "FailedPostStartHook", f"PostStartHook failed: {msg}", run.view.name)
            run.kill_reason = "FailedPostStartHook"
        return ok

    async def _kill(self, run: ContainerRun, grace: float) -> None:
        if run.running is None:
            return
        proc = run.running.proc
        proc.signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(proc.proc.wait()), grace)
        except TimeoutError:
            proc.signal(signal.SIGKILL)

    def _probe_target(self, run: ContainerRun) -> prober.ProbeTarget:
        grace = float((self.pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30))

        async def kill(reason: str) -> None:
            run.kill_reason = reason
            await self._kill(run, grace)

        return prober.ProbeTarget(
            spec=run.spec,
            view=run.view,
            pod_ip=self.ip,
            exec_fn=lambda cmd, t: self._exec_in(run, cmd, t),
            kill=kill,
            event=lambda etype, reason, msg: self._event(etype, reason, msg, run.view.name),
            changed=self.mark,
        )

    def _should_restart(self, exit_code: int) -> bool:
        if self.restart_policy == "Always":
            return True
        if self.restart_policy == "OnFailure":
            return exit_code != 0
        return False

    def _next_backoff(self, run: ContainerRun, ran_for: float) -> float:
        delay, run.backoff = backoff.next_delay(
            run.backoff, ran_for, self.node.backoff_base, self.node.backoff_max
        )
        return delay

    async def _attempt(self, run: ContainerRun) -> int | None:
        """One container attempt to its end; the exit code, or None if it never started."""
        v = run.view
        if not await self._start(run):
            term = v.state.get("terminated")
            return int(term["exitCode"]) if term else None
        assert run.running is not None
        t0 = time.monotonic()
        proc = run.running.proc
        if not await self._post_start(run):
            await self._kill(run, 0)
        run.probe_task = asyncio.create_task(prober.run(self._probe_target(run)))
        try:
            code = await proc.wait()
        finally:
            run.probe_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await run.probe_task
        if code < 0:  # killed by a signal: shells report 128+n
            code = 128 - code
        reason = "Completed" if code == 0 else "Error"
        if code == 137 and self.sandbox.oom_killed(v.name):
            reason = "OOMKilled"
        if run.kill_reason == "FailedPostStartHook":
            reason = "Error"
        v.state = {
            "terminated": {
                "exitCode": code,
                "reason": reason,
                "startedAt": (v.state.get("running") or {}).get("startedAt", now()),
                "finishedAt": now(),
                "containerID": v.container_id,
            }
        }
        v.ready = False
        v.started = False
        run.running = None
        run.ran_for = time.monotonic() - t0
        self.mark()
        return code

    async def _run_container(self, run: ContainerRun) -> None:
        v = run.view
        while not self.terminating.is_set():
            code = await self._attempt(run)
            if self.terminating.is_set():
                return
            if code is None:
                # configuration errors: the kubelet retries on its sync period (back-off too)
                if await self._interruptible(max(1.0, self._next_backoff(run, 0)), wake_on_sources=True):
                    return
                continue
            if not self._should_restart(code):
                return
            delay = self._next_backoff(run, run.ran_for)
            v.last_state = {"terminated": v.state["terminated"]}
            if delay > 0:
                msg = (
                    f"back-off {int(delay)}s restarting failed container={v.name} "
                    f"pod={self.name}_{self.namespace}({self.uid})"
                )
                v.state = {"waiting": {"reason": "CrashLoopBackOff", "message": msg}}
                self._event("Warning", "BackOff", "Back-off restarting failed container", v.name)
                self.mark()
                if await self._interruptible(delay):
                    return
            v.restart_count += 1

    async def _run_init_containers(self) -> bool:
        for i, run in enumerate(self.init_runs):
            v = run.view
            while True:
                if self.terminating.is_set():
                    return False
                code = await self._attempt(run)
                if self.terminating.is_set():
                    return False
                if code == 0:
                    break
                if code is not None and self.restart_policy == "Never":
                    self.init_failed = True
                    for later in self.init_runs[i + 1 :] + self.runs:
                        later.view.state = {"waiting": {"reason": "PodInitializing"}}
                    self.mark()
                    return False
                delay = max(self._next_backoff(run, run.ran_for), 1.0 if code is None else 0)
                if code is not None:
                    v.last_state = {"terminated": v.state["terminated"]}
                    if delay > 0:
                        msg = (
                            f"back-off {int(delay)}s restarting failed container={v.name} "
                            f"pod={self.name}_{self.namespace}({self.uid})"
                        )
                        v.state = {"waiting": {"reason": "CrashLoopBackOff", "message": msg}}
                        self.mark()
                if await self._interruptible(delay):
                    return False
                if code is not None:
                    v.restart_count += 1
        return True

    async def _terminate_containers(self) -> None:
        """preStop hooks, then SIGTERM to every process of the pod, SIGKILL after the grace period."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.grace
        self._term_deadline = deadline
        hooks = []
        for run in self.init_runs:
            if run.running is not None:
                self._event("Normal", "Killing", f"Stopping container {run.view.name}", run.view.name)
        for run in self.runs:
            hook = (run.spec.get("lifecycle") or {}).get("preStop")
            if hook and run.running is not None:
                self._event("Normal", "Killing", f"Stopping container {run.view.name}", run.view.name)

                def exec_fn(cmd: list[str], t: float, r: ContainerRun = run) -> Any:
                    return self._exec_in(r, cmd, t)

                hooks.append(probes.run_handler(hook, run.spec, self.ip, exec_fn, max(self.grace, 0.1)))
            elif run.running is not None:
                self._event("Normal", "Killing", f"Stopping container {run.view.name}", run.view.name)
        if hooks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*hooks, return_exceptions=True), max(self.grace, 0.1))
        await self.sandbox.stop_all(max(0.0, deadline - loop.time()))

    async def _shutdown(self) -> None:
        if self._early_kill is not None:
            self._early_kill.cancel()
        with contextlib.suppress(Exception):
            await self.sandbox.stop_all(0)
        with contextlib.suppress(Exception):
            await self.sandbox.teardown()
        if self.ip:
            self.node.release_ip(self.ip)
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
        if not self.force_gone:
            # As the kubelet does once the containers are gone: remove the object for good.
            body = {
                "apiVersion": "v1",
                "kind": "DeleteOptions",
                "gracePeriodSeconds": 0,
                "preconditions": {"uid": self.uid},
            }
            try:
                await self.node.client.delete(f"/api/v1/namespaces/{self.namespace}/pods/{self.name}", body)
            except ApiError as e:
                if e.status not in (404, 409):
                    log.warning("final delete of %s/%s: %s", self.namespace, self.name, e)
        self.node.worker_done(self)
