"""kubectl attach, with the real kubectl: the container's output from now on, and its stdin when
the container asks for one (`stdin: true`)."""

from __future__ import annotations

from typing import Any

from support.pods import create, wait_ready

TICKER = """
kind: Pod
apiVersion: v1
metadata: {name: ticker}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "sleep 4; for i in 1 2 3; do echo tick $i; echo tock $i >&2; sleep 0.5; done"]
"""

ECHO = """
kind: Pod
apiVersion: v1
metadata: {name: echo}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    stdin: true
    stdinOnce: true
    command: [sh, -c, "read line; echo got $line"]
"""


def test_attach_streams_the_containers_output_until_it_ends(core: Any, kubectl: Any) -> None:
    create(core, TICKER)
    wait_ready(core, "ticker")
    r = kubectl("attach", "ticker", "-c", "main", timeout=60)
    assert "tick 3" in r.stdout and "tock 3" in r.stderr, (r.stdout, r.stderr)


def test_attach_with_stdin_feeds_the_container(core: Any, kubectl: Any) -> None:
    create(core, ECHO)
    wait_ready(core, "echo")
    r = kubectl("attach", "-i", "echo", "-c", "main", input="hello\n", timeout=60)
    assert "got hello" in r.stdout, (r.stdout, r.stderr)
