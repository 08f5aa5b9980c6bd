"""Containers without a command: pause sleeps, nginx serves HTTP on 80, busybox exits 0, and an
image localkube has no built-in for fails with ErrImageNeverPull naming the image."""

from __future__ import annotations

from typing import Any

from support.pods import container_status, create, wait_for, wait_phase, wait_ready

PODS = """
kind: Pod
apiVersion: v1
metadata: {name: NAME}
spec:
  terminationGracePeriodSeconds: 5
  restartPolicy: RESTART
  containers:
  - {name: main, image: IMAGE}
"""


def _pod(name: str, image: str, restart: str = "Always") -> str:
    return PODS.replace("NAME", name).replace("IMAGE", image).replace("RESTART", restart)


def test_pause_nginx_and_busybox_without_a_command(core: Any, kubectl: Any) -> None:
    create(core, _pod("pause", "registry.k8s.io/pause:3.10"))
    create(core, _pod("web", "nginx:1.27"))
    create(core, _pod("box", "busybox", "Never"))
    done = wait_phase(core, "box", "Succeeded")
    assert container_status(done, "main").state.terminated.exit_code == 0
    wait_ready(core, "pause")
    web = wait_ready(core, "web")
    url = f"http://{web.status.pod_ip}:80/"
    fetch = f"import urllib.request as u,sys;sys.stdout.write(u.urlopen('{url}', timeout=9).read().decode())"
    page = wait_for(
        "nginx to answer",
        lambda: (r := kubectl("exec", "pause", "--", "python3", "-c", fetch)).returncode == 0 and r.stdout,
        timeout=60,
    )
    assert "Welcome to nginx!" in page
    # pause exits 0 on SIGTERM, as the real one does
    core.delete_namespaced_pod("pause", "default")
    wait_for(
        "pause deleted",
        lambda: all(p.metadata.name != "pause" for p in core.list_namespaced_pod("default").items),
        timeout=60,
    )


def test_an_unknown_image_without_a_command_says_so(core: Any) -> None:
    create(core, _pod("mystery", "example.com/team/app:1.0"))

    def waiting_reason() -> Any:
        cs = container_status(core.read_namespaced_pod("mystery", "default"), "main")
        return cs and cs.state.waiting and cs.state.waiting.reason == "ErrImageNeverPull" and cs.state.waiting

    waiting = wait_for("ErrImageNeverPull", waiting_reason, timeout=60)
    assert "example.com/team/app:1.0" in waiting.message
    events = core.list_namespaced_event("default", field_selector="involvedObject.name=mystery").items
    assert any(e.reason == "ErrImageNeverPull" and "example.com/team/app:1.0" in e.message for e in events)
