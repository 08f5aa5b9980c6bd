"""Reading decoded JSON whose shape the client chose: a field meant to hold an object or a list that
holds something else reads as empty, so a malformed body meets a validation error, never a crash."""

from __future__ import annotations

from typing import Any


def as_dict(value: Any) -> dict[str, Any]:
    """The value if it is an object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """The value if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def get_path(obj: Any, path: str) -> Any:
    """The value at a dotted path (`.spec.replicas` or `spec.replicas`), or None where it is not there."""
    cur = obj
    for part in path.strip(".").split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def set_path(obj: dict[str, Any], path: str, value: Any) -> None:
    """Set the value at a dotted path, making (or replacing with) objects on the way."""
    parts = path.strip(".").split(".")
    cur = obj
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = cur[part] = {}
        cur = nxt
    cur[parts[-1]] = value
