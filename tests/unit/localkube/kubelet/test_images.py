"""The `image:` label decides what a container without a command runs."""

from __future__ import annotations

import pytest

from localkube.kubelet import images


@pytest.mark.parametrize(
    ("image", "repo"),
    [
        ("registry.k8s.io/pause:3.10", "pause"),
        ("docker.io/library/nginx@sha256:abc", "nginx"),
        ("nginx:1.27-alpine", "nginx"),
        ("localhost:5000/team/busybox:1.36", "busybox"),
        ("busybox", "busybox"),
    ],
)
def test_repository_ignores_registry_tag_and_digest(image: str, repo: str) -> None:
    assert images.repository(image) == repo


def test_a_command_wins_over_the_image_and_args_replace_its_default_command() -> None:
    assert images.command_for("nginx", ["sleep"], ["5"]) == ["sleep", "5"]
    assert images.command_for("busybox", [], []) == ["sh"]
    assert images.command_for("busybox", [], ["echo", "hi"]) == ["echo", "hi"]
    nginx = images.command_for("nginx", [], [])
    assert nginx is not None and nginx[-2:] == [images.BUILTIN, "nginx"]
    pause = images.command_for("registry.k8s.io/pause:3.10", [], [])
    assert pause is not None and pause[-1] == "pause"


def test_an_unknown_image_without_a_command_has_nothing_to_run() -> None:
    assert images.command_for("example.com/app:1", [], []) is None
    message = images.not_present_message("example.com/app:1")
    assert '"example.com/app:1"' in message and "command" in message
