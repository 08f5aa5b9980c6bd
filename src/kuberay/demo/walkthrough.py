"""`kuberay demo`: localkube, our CRD and operator, the autoscaler sample, and the seed walkthrough
played step by step (actor1, actor2, `ray list actors`, terminate both, watch the pods go,
`ray status`, the autoscaler's log), shown live and drawn as a PNG. Everything started here is
stopped again when the walkthrough ends or is interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime as dt
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import yaml
from rich.console import Console
from rich.live import Live
from rich.panel import Panel

from kuberay.api.crd import established, render_crd
from kuberay.demo import processes
from kuberay.demo.kube import Kube, KubeError, read_kubeconfig
from kuberay.demo.plot import write_png
from kuberay.demo.raystatus import fetch_ray_view
from kuberay.demo.timeline import Sample, Timeline
from kuberay.demo.view import Screen, render

CLUSTER = "raycluster-autoscaler"
RAY_NODES = "ray.io/is-ray-node=yes"
WORKERS = f"ray.io/cluster={CLUSTER},ray.io/node-type=worker"
HEAD = f"ray.io/cluster={CLUSTER},ray.io/node-type=head"

T = TypeVar("T")


class DemoFailed(Exception):
    pass


@dataclass(frozen=True)
class Options:
    sample: Path
    idle_timeout: int
    out_dir: Path
    keep_running: bool
    workdir: Path


def prepare_sample(text: str, idle_timeout: int) -> list[dict[str, Any]]:
    """The sample's objects, with the demo's idleTimeoutSeconds (pure)."""
    docs = [copy.deepcopy(d) for d in yaml.safe_load_all(text) if d]
    for doc in docs:
        if doc.get("kind") == "RayCluster":
            doc["spec"].setdefault("autoscalerOptions", {})["idleTimeoutSeconds"] = idle_timeout
    return docs


def is_running(pod: dict[str, Any]) -> bool:
    return pod.get("status", {}).get("phase") == "Running" and not pod["metadata"].get("deletionTimestamp")


def is_ready(pod: dict[str, Any]) -> bool:
    conditions = pod.get("status", {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


class Demo:
    def __init__(self, options: Options, console: Console) -> None:
        self.options = options
        self.console = console
        self.started = time.monotonic()
        self.timeline = Timeline()
        self.screen = Screen(
            title="kuberay demo: Ray's autoscaler on localkube",
            note=(
                f"idleTimeoutSeconds is {options.idle_timeout}s here (the sample says 60s) so the demo "
                "ends in a few minutes; the autoscaler looks every 5s (its default)."
            ),
            timeline=self.timeline,
        )
        self.localkube = processes.localkube(options.workdir)
        self.operator: processes.Background | None = None
        self.kube: Kube | None = None
        self.head_pod = ""
        self.head_ip = ""
        self.live: Live | None = None
        # Piped to a file or a CI log: no live screen (rich would draw it once, at the end), only
        # plain lines, each printed the moment its step ends.
        self.plain = not console.is_terminal
        self.drawn = False
        self.seen_pods: dict[str, str] = {}  # uid -> name of every Ray pod seen, to check they are gone

    def now(self) -> float:
        return time.monotonic() - self.started

    def refresh(self) -> None:
        if self.live is not None:
            self.live.update(render(self.screen, self.now(), dt.datetime.now(dt.UTC)))

    def say(self, message: str) -> None:
        self.console.print(f"[dim]{self.now():6.1f}s[/dim] {message}", soft_wrap=self.plain)

    def introduce(self) -> None:
        """In a pipe, the note the live screen would show, first."""
        if self.plain:
            self.console.print(self.screen.note, soft_wrap=True)

    def show(self, command: str, output: str) -> None:
        """A command's output: boxed on a terminal, as plain lines in a pipe."""
        if self.plain:
            self.console.print(f"$ {command}\n{output}", soft_wrap=True, markup=False, highlight=False)
        else:
            self.console.print(Panel(output, title=f"$ {command}", title_align="left"))

    # ---- steps ------------------------------------------------------------------------------

    async def step(self, title: str, action: Callable[[], Awaitable[T]]) -> T:
        step = self.timeline.begin(title, self.now())
        self.refresh()
        try:
            result = await action()
        except BaseException as err:
            self.timeline.end(step, self.now(), "failed")
            outcome = "interrupted" if isinstance(err, asyncio.CancelledError) else "failed"
            self.say(f"[red]{outcome}[/red] {title} ({step.elapsed(self.now()):.1f}s)")
            raise
        self.timeline.end(step, self.now())
        self.say(f"[green]done[/green] {title} ({step.elapsed(self.now()):.1f}s)")
        return result

    async def wait_until(self, what: str, check: Callable[[], Awaitable[T | None]], timeout: float) -> T:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for program in (self.localkube, self.operator):
                if program is not None and not program.running():
                    raise DemoFailed(f"{program.name} exited; its log ends with:\n{program.log_tail()}")
            result = await check()
            if result is not None and result is not False:
                return result
            await asyncio.sleep(1)
        raise DemoFailed(f"timed out after {timeout:.0f}s waiting for {what}")

    def k(self) -> Kube:
        assert self.kube is not None
        return self.kube

    async def run_in_head(self, command: list[str], container: str = "ray-head") -> str:
        shown = " ".join(command)
        result = await self.k().exec(self.head_pod, command, container=container)
        output = result.stdout + (result.stderr if result.exit_code else "")
        self.screen.last_output = (f"kubectl exec $HEAD_POD -c {container} -- {shown}", output)
        self.refresh()
        if result.exit_code != 0:
            raise DemoFailed(f"`{shown}` in the head pod exited {result.exit_code}:\n{output}")
        return result.stdout

    # ---- start ------------------------------------------------------------------------------

    async def start_localkube(self) -> None:
        self.localkube.start()
        kubeconfig = self.options.workdir / "localkube" / "kubeconfig"
        await self.wait_until("localkube's kubeconfig", lambda: _exists(kubeconfig), 120)
        self.kube = Kube(read_kubeconfig(kubeconfig))
        await self.kube.__aenter__()

        async def node_ready() -> bool:
            try:
                node = await self.k()._json("GET", "/api/v1/nodes/localkube")
            except (KubeError, aiohttp.ClientError):
                return False
            return any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in node.get("status", {}).get("conditions", [])
            )

        # the node waits for any other localkube node on this machine to finish first
        await self.wait_until("the localkube node to be Ready", node_ready, 900)

    async def install_crd(self) -> None:
        await self.k().create(render_crd())

        async def served() -> bool:
            return established(
                await self.k()._json(
                    "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/rayclusters.ray.io"
                )
            )

        await self.wait_until("the RayCluster CRD to be served", served, 60)

    async def start_operator(self) -> None:
        self.operator = processes.operator(
            self.options.workdir / "localkube" / "kubeconfig", self.options.workdir
        )
        self.operator.start()
        assert self.operator is not None
        operator = self.operator
        await self.wait_until(
            "the operator to start", lambda: _true("endpoints on" in operator.log_tail(100000)), 60
        )

    async def apply_sample(self) -> None:
        for obj in prepare_sample(self.options.sample.read_text(), self.options.idle_timeout):
            await self.k().create(obj)

    async def wait_head(self) -> None:
        async def head() -> dict[str, Any] | None:
            pods = await self.k().list_objects("Pod", HEAD)
            ready = [p for p in pods if is_ready(p)]
            return ready[0] if ready else None

        pod = await self.wait_until("the head pod to be Ready (2/2)", head, 600)
        self.head_pod = pod["metadata"]["name"]
        self.head_ip = pod["status"].get("podIP", "")
        self.say(f"head pod {self.head_pod} at {self.head_ip}; export HEAD_POD={self.head_pod}")

    async def workers(self) -> list[dict[str, Any]]:
        return [
            p
            for p in await self.k().list_objects("Pod", WORKERS)
            if not p["metadata"].get("deletionTimestamp")
        ]

    async def wait_workers(self, count: int, timeout: float = 600) -> list[str]:
        async def check() -> list[str] | None:
            pods = await self.workers()
            if len(pods) == count and all(is_running(p) and is_ready(p) for p in pods):
                return sorted(p["metadata"]["name"] for p in pods)
            return None

        return await self.wait_until(f"{count} running worker pods", check, timeout)

    async def wait_actor(self, name: str, state: str) -> None:
        async def check() -> bool:
            out = await self.run_in_head(["ray", "list", "actors", "--filter", f"name={name}"])
            return any(state in line.split() and name in line.split() for line in out.splitlines())

        await self.wait_until(f"actor {name} {state}", check, 300)

    # ---- watching ---------------------------------------------------------------------------

    async def watch(self) -> None:
        """Sample pods and Ray's view every second, for the screen and the picture."""
        async with aiohttp.ClientSession() as http:
            while True:
                try:
                    pods = await self.k().list_objects("Pod", RAY_NODES) if self.kube else []
                    self.screen.pods = pods
                    self.seen_pods.update({p["metadata"]["uid"]: p["metadata"]["name"] for p in pods})
                    if self.head_ip:
                        view = await fetch_ray_view(http, self.head_ip)
                        if view is not None:
                            self.screen.ray = view
                    workers = [p for p in pods if p["metadata"]["labels"].get("ray.io/node-type") == "worker"]
                    self.timeline.samples.append(
                        Sample(
                            self.now(),
                            sum(1 for p in workers if is_running(p)),
                            sum(1 for p in workers if not p["metadata"].get("deletionTimestamp")),
                            self.screen.ray.pending_cpus if self.screen.ray is not None else None,
                        )
                    )
                except (KubeError, aiohttp.ClientError, OSError):
                    pass  # the next second tries again
                self.refresh()
                await asyncio.sleep(1)

    # ---- the walkthrough --------------------------------------------------------------------

    async def play(self) -> None:
        samples = "/home/ray/samples"
        await self.step("start localkube (API server + node)", self.start_localkube)
        await self.step("kuberay crd | kubectl create -f -", self.install_crd)
        await self.step("kuberay operator", self.start_operator)
        await self.step(f"kubectl apply -f {self.options.sample.name}", self.apply_sample)
        await self.step("head pod Running 2/2 (ray-head + autoscaler)", self.wait_head)

        await self.step(
            "python3 detached_actor.py actor1",
            lambda: self.run_in_head(["python3", f"{samples}/detached_actor.py", "actor1"]),
        )
        first = await self.step(
            "autoscaler adds a worker pod for actor1 (1/1 Running)", lambda: self.wait_workers(1)
        )
        await self.step("actor1 ALIVE", lambda: self.wait_actor("actor1", "ALIVE"))
        await self.step(
            "python3 detached_actor.py actor2",
            lambda: self.run_in_head(["python3", f"{samples}/detached_actor.py", "actor2"]),
        )
        both = await self.step(
            "autoscaler adds a second worker pod (1/1 Running)", lambda: self.wait_workers(2)
        )
        await self.step("actor2 ALIVE", lambda: self.wait_actor("actor2", "ALIVE"))
        listed = await self.step("ray list actors", lambda: self.run_in_head(["ray", "list", "actors"]))
        self.show("kubectl exec $HEAD_POD -- ray list actors", listed.strip())
        self.say(f"worker pods: {', '.join(both)} (the first was {first[0]})")

        await self.step(
            "python3 terminate_detached_actor.py actor1",
            lambda: self.run_in_head(["python3", f"{samples}/terminate_detached_actor.py", "actor1"]),
        )
        await self.step(
            f"one idle worker removed after {self.options.idle_timeout}s", lambda: self.wait_workers(1)
        )
        await self.step(
            "python3 terminate_detached_actor.py actor2",
            lambda: self.run_in_head(["python3", f"{samples}/terminate_detached_actor.py", "actor2"]),
        )
        await self.step(f"the other removed after {self.options.idle_timeout}s", lambda: self.wait_workers(0))

        status = await self.step("ray status", lambda: self.run_in_head(["ray", "status"]))
        self.show("kubectl exec $HEAD_POD -c ray-head -- ray status", status.strip())
        logs = await self.step(
            "kubectl logs $HEAD_POD -c autoscaler | tail -n 20",
            lambda: self.k().logs(self.head_pod, "autoscaler", 20),
        )
        self.screen.last_output = ("kubectl logs $HEAD_POD -c autoscaler | tail -n 20", logs)
        self.show("kubectl logs $HEAD_POD -c autoscaler | tail -n 20", logs.rstrip())

    async def shutdown(self) -> None:
        """Stop the operator, then localkube (which stops every pod and removes its namespace)."""
        if self.kube is not None:
            with contextlib.suppress(Exception):
                await self.kube.__aexit__(None, None, None)
        if self.operator is not None:
            await self.operator.stop(grace=30)
        await self.localkube.stop(grace=150)


async def _exists(path: Path) -> bool:
    return await asyncio.to_thread(path.exists)


async def _true(value: bool) -> bool:
    return value


def draw(demo: Demo, console: Console) -> None:
    if not demo.timeline.samples:
        return
    picture = write_png(demo.timeline, demo.options.out_dir / "kuberay-demo.png", demo.options.idle_timeout)
    demo.drawn = True
    console.print(f"picture of worker pods and pending demand over time: [bold]{picture.resolve()}[/bold]")


async def run(options: Options, console: Console) -> int:
    """Play the walkthrough; afterwards (or on Ctrl-C) nothing of the demo is left running."""
    demo = Demo(options, console)
    code = 1
    watcher: asyncio.Task[None] | None = None
    try:
        screen: Live | contextlib.nullcontext[None] = (
            contextlib.nullcontext()
            if demo.plain
            else Live(render(demo.screen, 0, dt.datetime.now(dt.UTC)), console=console, refresh_per_second=2)
        )
        demo.introduce()
        with screen as live:
            demo.live = live
            watcher = asyncio.create_task(demo.watch())
            try:
                await demo.play()
                code = 0
            finally:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
                demo.refresh()
                demo.live = None
        console.print()
        draw(demo, console)
        if options.keep_running:
            kubeconfig = options.workdir / "localkube" / "kubeconfig"
            console.print("localkube and the operator keep running; in another terminal:")
            console.print(f"  export KUBECONFIG={kubeconfig}")
            console.print(f"  export PATH={processes.BIN}:$PATH   # kuberay, localkube")
            console.print("  kubectl get pods -l ray.io/is-ray-node=yes   # if you have kubectl")
            console.print("Press Ctrl-C here to stop everything.")
            await asyncio.Event().wait()
    except DemoFailed as err:
        console.print(f"[red]demo failed:[/red] {err}")
        code = 1
    finally:
        # a second Ctrl-C must not cut the cleanup short and strand pods
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, lambda: None)
        if not demo.drawn:
            console.print()
            draw(demo, console)  # what was seen until the interruption
        console.print(
            "stopping the operator and localkube (this takes a few seconds; Ctrl-C is ignored now) ..."
        )
        if demo.kube is not None and demo.localkube.running():
            # the pods' last state, in case the watcher missed the latest ones
            with contextlib.suppress(Exception):
                for pod in await demo.k().list_objects("Pod", RAY_NODES):
                    demo.seen_pods[pod["metadata"]["uid"]] = pod["metadata"]["name"]
        await asyncio.shield(demo.shutdown())
        left = processes.leftovers(demo.seen_pods)
        if left:
            console.print(f"[red]left behind:[/red] {', '.join(left)}")
            code = code or 1
        else:
            console.print("stopped: no pod network namespace (lk-*) and no raylet left.")
            checked = ", ".join(
                f"{name} ({processes.pod_netns_name(uid)})" for uid, name in sorted(demo.seen_pods.items())
            )
            console.print(f"pods checked: {checked}", soft_wrap=True)
    return code
