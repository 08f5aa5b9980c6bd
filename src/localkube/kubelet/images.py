"""What a container runs when its spec has no `command`: localkube has no images (the `image:` field
is only a label; every container runs on the host's filesystem), so the few images that suites and
tutorials run without a command get a built-in equivalent of their default command. Pure."""

from __future__ import annotations

import sys
from dataclasses import dataclass

BUILTIN = "localkube.kubelet.builtin_images"


@dataclass(frozen=True)
class Image:
    """An image's entrypoint and default command (Docker's ENTRYPOINT and CMD)."""

    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]


def _python(program: str) -> tuple[str, ...]:
    return (sys.executable, "-I", "-m", BUILTIN, program)


# By repository name, without registry, tag or digest.
KNOWN: dict[str, Image] = {
    # the pause image sleeps until it is told to stop, and then exits 0
    "pause": Image(_python("pause"), ()),
    # nginx serves HTTP on port 80 (a welcome page, or /usr/share/nginx/html where it exists)
    "nginx": Image(_python("nginx"), ()),
    # busybox's and alpine's default command is a shell: with no stdin it exits 0 at once
    "busybox": Image((), ("sh",)),
    "alpine": Image((), ("/bin/sh",)),
}


def repository(image: str) -> str:
    """`registry.k8s.io/pause:3.10` -> `pause`; `docker.io/library/nginx@sha256:...` -> `nginx`."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def known(image: str) -> Image | None:
    return KNOWN.get(repository(image))


def command_for(image: str, command: list[str], args: list[str]) -> list[str] | None:
    """The argv Kubernetes' rules give (command replaces ENTRYPOINT, args replace CMD), or None when
    there is nothing to run: no command and an image localkube has no built-in for."""
    if command:
        return [*command, *args]
    img = known(image)
    if img is None:
        return list(args) if args else None
    return [*img.entrypoint, *(args or img.cmd)]


def not_present_message(image: str) -> str:
    names = ", ".join(sorted(KNOWN))
    return (
        f'Container image "{image}" is not present with pull policy of Never: localkube pulls no '
        f"images and has a built-in only for {names}; set the container's `command` to a program "
        "on this machine"
    )
