"""Reading the generated kubernetes_asyncio model classes: fields, their types and descriptions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

_LIST = re.compile(r"^list\[(.+)\]$")
_DICT = re.compile(r"^dict\(str, (.+)\)$")
_PRIMITIVES = frozenset({"str", "int", "float", "bool", "datetime", "date", "object"})


@dataclass(frozen=True)
class Field:
    """One field of a model: JSON name, the generator's type string, and its description."""

    name: str
    type: str
    description: str


@cache
def _models_module() -> ModuleType:
    # Importing the models takes about a second: only schema lookups pay it, not the kubelet or
    # the controllers, which use kubeschema's quantities and timestamps.
    import kubernetes_asyncio.client.models as models

    return models


def model_class(name: str) -> Any:
    cls = getattr(_models_module(), name, None)
    if not isinstance(cls, type) or not hasattr(cls, "openapi_types"):
        raise AttributeError(name)
    return cls


@cache
def model_names() -> tuple[str, ...]:
    models = _models_module()
    return tuple(
        n
        for n in dir(models)
        if n[:1].isupper()
        and isinstance(getattr(models, n), type)
        and hasattr(getattr(models, n), "openapi_types")
    )


def element_type(type_str: str) -> tuple[str, str]:
    """("list" | "map" | "", innermost type) of a generator type string."""
    m = _LIST.match(type_str)
    if m:
        return "list", m.group(1)
    m = _DICT.match(type_str)
    if m:
        return "map", m.group(1)
    return "", type_str


def is_model(type_str: str) -> bool:
    return type_str not in _PRIMITIVES and hasattr(_models_module(), type_str)


@cache
def fields(cls_name: str) -> tuple[Field, ...]:
    cls = model_class(cls_name)
    out = []
    for attr, type_str in cls.openapi_types.items():
        json_name = cls.attribute_map.get(attr, attr)
        prop = getattr(cls, attr, None)
        doc = getattr(getattr(prop, "fget", None), "__doc__", None) or ""
        out.append(Field(json_name, type_str, _description(doc)))
    return tuple(out)


def referenced_models(cls_name: str) -> list[str]:
    out = []
    # openapi_types directly: parsing every model's docstrings just to walk the graph is slow.
    for type_str in model_class(cls_name).openapi_types.values():
        inner = element_type(type_str)[1]
        inner = element_type(inner)[1]
        if is_model(inner):
            out.append(inner)
    return out


def _description(doc: str) -> str:
    # The generator writes "Gets the x of this Y.", the description, then ":return: ...", each line
    # ending in a flake8 suppression comment that we strip.
    body = doc.split(":return:", 1)[0]
    lines = [ln.strip() for ln in body.splitlines()]
    lines = [ln.replace("# noqa: E501", "").rstrip() for ln in lines]
    if lines and not lines[0]:
        lines = lines[1:]
    if lines and lines[0].startswith("Gets the "):
        lines = lines[1:]
    return "\n".join(lines).strip()


@cache
def type_description(cls_name: str) -> str:
    """A type's own description ("PodSpec is a description of a pod.").

    kubernetes_asyncio's classes do not carry it; the official `kubernetes` client's do, so it is
    read from there when that package is installed (it is a test dependency), else "".
    """
    try:
        import kubernetes.client.models as official
    except ImportError:  # pragma: no cover - installed with the test extras
        return ""
    doc = getattr(getattr(official, cls_name, None), "__doc__", None) or ""
    text = doc.split("Attributes:", 1)[0].strip()
    if text.startswith("NOTE: This class is auto generated"):
        return ""
    return " ".join(line.strip() for line in text.splitlines()).strip()
