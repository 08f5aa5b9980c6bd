"""kopf, an operator framework nobody here wrote, runs a trivial operator against localkube:
it needs discovery, list+watch, merge patches (its progress annotations) and events."""

from __future__ import annotations

import asyncio
import threading
import time

import kopf
import kubernetes
from kubernetes.client import CoreV1Api

from localkube.apiserver.server import APIServer


def test_kopf_handler_sees_created_configmap(apiserver: APIServer, k8s: kubernetes.client.ApiClient) -> None:
    registry = kopf.OperatorRegistry()
    seen: list[str] = []

    @kopf.on.login(registry=registry)
    def login(**_: object) -> kopf.ConnectionInfo:
        return kopf.ConnectionInfo(
            server=apiserver.url,
            ca_path=str(apiserver.ca_cert_path),
            token=apiserver.admin_token,
            default_namespace="default",
        )

    @kopf.on.startup(registry=registry)
    def configure(settings: kopf.OperatorSettings, **_: object) -> None:
        settings.peering.standalone = True

    @kopf.on.create("configmaps", labels={"watched": "yes"}, registry=registry)
    def created(name: str, body: kopf.Body, **_: object) -> dict[str, str]:
        seen.append(name)
        kopf.info(body, reason="Seen", message=f"saw {name}")
        return {"message": "hello"}

    stop = threading.Event()
    ready = threading.Event()

    def run() -> None:
        asyncio.run(
            kopf.operator(
                registry=registry, namespaces=["default"], stop_flag=stop, ready_flag=ready, standalone=True
            )
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert ready.wait(30)
        v1 = CoreV1Api(k8s)
        v1.create_namespaced_config_map(
            "default",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "hello", "labels": {"watched": "yes"}},
            },
        )
        deadline = time.monotonic() + 30
        posted = False
        while time.monotonic() < deadline:
            cm = v1.read_namespaced_config_map("hello", "default")
            annotations = cm.metadata.annotations or {}
            events = v1.list_namespaced_event("default", field_selector="involvedObject.name=hello").items
            posted = any("saw hello" in (e.message or "") for e in events)
            if seen and "kopf.zalando.org/last-handled-configuration" in annotations and posted:
                break
            time.sleep(0.1)
        assert seen == ["hello"]
        assert "kopf.zalando.org/last-handled-configuration" in annotations
        assert posted
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
