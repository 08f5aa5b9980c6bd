"""Probing one running container as the kubelet's prober does: the startup probe first (the
container counts as started once it passes), then readiness (sets `ready`) and liveness (kills the
container after failureThreshold failures, so the restart policy takes over)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from localkube.kubelet import probes
from localkube.kubelet.status import ContainerView


@dataclass
class ProbeTarget:
    spec: dict[str, Any]  # the container's spec
    view: ContainerView
    pod_ip: str
    exec_fn: probes.ExecFn  # runs a command inside the container
    kill: Callable[[str], Awaitable[None]]  # kill the container, giving the node's reason
    event: Callable[[str, str, str], None]  # (type, reason, message)
    changed: Callable[[], None]  # the view changed: write status


async def _startup(t: ProbeTarget, probe: dict[str, Any]) -> bool:
    delay, period, timeout, _succ, fail_thr = probes.timing(probe)
    await asyncio.sleep(delay)
    failures = 0
    while True:
        ok, msg = await probes.run_handler(probe, t.spec, t.pod_ip, t.exec_fn, timeout)
        if ok:
            return True
        failures += 1
        t.event("Warning", "Unhealthy", f"Startup probe failed: {msg}")
        if failures >= fail_thr:
            t.event("Normal", "Killing", f"Container {t.view.name} failed startup probe, will be restarted")
            await t.kill("startup")
            return False
        await asyncio.sleep(period)


async def _readiness(t: ProbeTarget, probe: dict[str, Any]) -> None:
    delay, period, timeout, succ_thr, fail_thr = probes.timing(probe)
    await asyncio.sleep(delay)
    successes = failures = 0
    while True:
        ok, msg = await probes.run_handler(probe, t.spec, t.pod_ip, t.exec_fn, timeout)
        if ok:
            successes += 1
            failures = 0
            if successes >= succ_thr and not t.view.ready:
                t.view.ready = True
                t.changed()
        else:
            failures += 1
            successes = 0
            t.event("Warning", "Unhealthy", f"Readiness probe failed: {msg}")
            if failures >= fail_thr and t.view.ready:
                t.view.ready = False
                t.changed()
        await asyncio.sleep(period)


async def _liveness(t: ProbeTarget, probe: dict[str, Any]) -> None:
    delay, period, timeout, _succ, fail_thr = probes.timing(probe)
    await asyncio.sleep(delay)
    failures = 0
    while True:
        ok, msg = await probes.run_handler(probe, t.spec, t.pod_ip, t.exec_fn, timeout)
        if ok:
            failures = 0
        else:
            failures += 1
            t.event("Warning", "Unhealthy", f"Liveness probe failed: {msg}")
            if failures >= fail_thr:
                t.event(
                    "Normal", "Killing", f"Container {t.view.name} failed liveness probe, will be restarted"
                )
                await t.kill("liveness")
                return
        await asyncio.sleep(period)


async def run(t: ProbeTarget) -> None:
    """Probe until cancelled (the container ended) or a startup/liveness failure killed it."""
    startup = t.spec.get("startupProbe")
    if startup and not await _startup(t, startup):
        return
    t.view.started = True
    t.changed()
    tasks = []
    if t.spec.get("readinessProbe"):
        tasks.append(asyncio.create_task(_readiness(t, t.spec["readinessProbe"])))
    else:
        t.view.ready = True
        t.changed()
    if t.spec.get("livenessProbe"):
        tasks.append(asyncio.create_task(_liveness(t, t.spec["livenessProbe"])))
    try:
        if tasks:
            await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
