"""The demo's live screen (pure: state in, rich renderable out): the Ray pods as `kubectl get pods`
would list them, Ray's own view (nodes, pending demand), and the walkthrough's steps with their
elapsed times."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kuberay.demo.raystatus import RayView, describe_demand
from kuberay.demo.timeline import Timeline


@dataclass
class Screen:
    title: str
    note: str
    pods: list[dict[str, Any]] = field(default_factory=list)
    ray: RayView | None = None
    timeline: Timeline = field(default_factory=Timeline)
    last_output: tuple[str, str] | None = None  # (command, its output)


def pod_row(pod: dict[str, Any], now: dt.datetime) -> tuple[str, str, str, str, str]:
    """NAME, READY, STATUS, RESTARTS, AGE as kubectl prints them."""
    meta = pod.get("metadata", {})
    status = pod.get("status", {})
    containers = pod.get("spec", {}).get("containers", [])
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
    phase = "Terminating" if meta.get("deletionTimestamp") else status.get("phase", "Pending")
    for c in statuses:
        waiting = (c.get("state") or {}).get("waiting")
        if waiting and not meta.get("deletionTimestamp"):
            phase = waiting.get("reason", phase)
    created = meta.get("creationTimestamp")
    age = ""
    if created:
        started = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
        age = short_age((now - started).total_seconds())
    return meta.get("name", "?"), f"{ready}/{len(containers)}", phase, str(restarts), age


def short_age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    minutes, sec = divmod(seconds, 60)
    return f"{minutes}m{sec}s" if minutes < 10 else f"{minutes}m"


def render(screen: Screen, now: float, wall: dt.datetime) -> RenderableType:
    pods = Table(title="kubectl get pods -l ray.io/is-ray-node=yes", title_justify="left", expand=True)
    for column in ("NAME", "READY", "STATUS", "RESTARTS", "AGE"):
        pods.add_column(column)
    for pod in sorted(screen.pods, key=lambda p: p.get("metadata", {}).get("name", "")):
        name, ready, phase, restarts, age = pod_row(pod, wall)
        style = "green" if phase == "Running" else ("red" if phase == "Terminating" else "yellow")
        pods.add_row(name, ready, Text(phase, style=style), restarts, age)
    if not screen.pods:
        pods.add_row("(none yet)", "", "", "", "")

    if screen.ray is None:
        ray_text = Text("waiting for the Ray dashboard on the head pod (:8265) ...", style="dim")
    else:
        nodes = ", ".join(f"{n} {t}" for t, n in sorted(screen.ray.active.items())) or "(none)"
        ray_text = Text.assemble(
            ("Ray nodes: ", "bold"),
            nodes,
            ("   pending nodes: ", "bold"),
            str(screen.ray.pending_nodes),
            ("\nPending demand: ", "bold"),
            describe_demand(screen.ray),
        )
        if screen.ray.error:
            ray_text.append(f"\nautoscaler error: {screen.ray.error}", style="red")

    steps = Table(title="walkthrough", title_justify="left", expand=True)
    steps.add_column("#", width=3)
    steps.add_column("step")
    steps.add_column("elapsed", justify="right", width=9)
    steps.add_column("", width=12)
    for i, step in enumerate(screen.timeline.steps, 1):
        outcome = step.outcome or "..."
        style = (
            "green"
            if step.outcome == "done"
            else ("red" if step.outcome and step.outcome != "done" else "yellow")
        )
        steps.add_row(str(i), step.title, f"{step.elapsed(now):.1f}s", Text(outcome, style=style))

    parts: list[RenderableType] = [
        Text(screen.note, style="cyan"),
        pods,
        Panel(ray_text, title="Ray (dashboard)"),
        steps,
    ]
    if screen.last_output is not None:
        command, output = screen.last_output
        lines = output.rstrip().splitlines()[-14:]
        parts.append(Panel("\n".join(lines) or "(no output)", title=f"$ {command}", title_align="left"))
    return Panel(Group(*parts), title=screen.title)
