"""What `kuberay demo` needs from the machine, checked before anything starts (pure: the probes are
passed in), so a missing piece is one clear sentence naming the fix, not a traceback."""

from __future__ import annotations

from collections.abc import Callable

# tool -> the package that provides it on Debian/Ubuntu
_TOOLS = {"ip": "iproute2", "nsenter": "util-linux", "unshare": "util-linux"}
_MODULES = {"ray": "Ray", "matplotlib": "matplotlib"}  # module -> what to call it


def problems(
    euid: int,
    which: Callable[[str], str | None],
    has_module: Callable[[str], bool],
    has_localkube: bool,
) -> list[str]:
    """Each problem as a sentence that says how to fix it; empty when the demo can run."""
    found: list[str] = []
    if euid != 0:
        found.append(
            "needs root (localkube gives every pod its own network namespace, mounts and cgroup): "
            "run it as root, e.g. `sudo .venv/bin/kuberay demo`."
        )
    missing_tools = [tool for tool in _TOOLS if which(tool) is None]
    if missing_tools:
        packages = sorted({_TOOLS[t] for t in missing_tools})
        found.append(
            f"missing {', '.join(missing_tools)}: install {' and '.join(packages)} "
            f"(e.g. `apt-get install -y {' '.join(packages)}`)."
        )
    missing_modules = [label for module, label in _MODULES.items() if not has_module(module)]
    if missing_modules:
        found.append(
            f"{' and '.join(missing_modules)} not installed in this Python: "
            "`.venv/bin/pip install -e '.[ray]'` installs what the demo runs."
        )
    if not has_localkube:
        found.append(
            "the `localkube` command is not next to `kuberay`: reinstall with `.venv/bin/pip install -e .`."
        )
    return found
