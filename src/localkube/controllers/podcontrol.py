"""Creating and deleting a workload's pods, as kube-controller-manager's PodControl: each write
goes through the pod cache at once and is reported as an event on the owner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localkube.client.apiclient import ApiClient, ApiError
from localkube.client.informer import Informer
from localkube.controllers import events, podutil


def _pods(namespace: str, name: str | None = None) -> str:
    return f"/api/v1/namespaces/{namespace}/pods" + (f"/{name}" if name else "")


async def create_pods(
    client: ApiClient,
    pods: Informer,
    owner: dict[str, Any],
    component: str,
    count: int,
    make: Callable[[dict[str, Any]], dict[str, Any]],
) -> ApiError | None:
    """Create up to `count` pods from `make(owner)`; stop at the first refusal and return it."""
    namespace = str(podutil.meta(owner).get("namespace") or "")
    for _ in range(count):
        try:
            pod = await client.create(_pods(namespace), make(owner))
        except ApiError as e:  # forbidden, quota, namespace terminating, invalid template
            message = f"Error creating: {events.api_message(e)}"
            await events.post(client, owner, component, "Warning", "FailedCreate", message)
            return e
        pods.put(pod)
        created = podutil.meta(pod)["name"]
        await events.post(client, owner, component, "Normal", "SuccessfulCreate", f"Created pod: {created}")
    return None


async def delete_pods(
    client: ApiClient, pods: Informer, owner: dict[str, Any], component: str, names: tuple[str, ...]
) -> None:
    namespace = str(podutil.meta(owner).get("namespace") or "")
    for victim in names:
        try:
            gone = await client.delete(_pods(namespace, victim))
        except ApiError as e:
            if e.status != 404:
                raise
            pods.drop(namespace, victim)
            continue
        if gone.get("kind") == "Pod" and podutil.is_terminating(gone):
            pods.put(gone)
        else:
            pods.drop(namespace, victim)
        await events.post(client, owner, component, "Normal", "SuccessfulDelete", f"Deleted pod: {victim}")
