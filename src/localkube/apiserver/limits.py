"""What a patched object must still satisfy before it is admitted, and how patch failures are
answered: the checks kube-apiserver makes between applying a patch and storing its result."""

from __future__ import annotations

from typing import Any

from localkube.apiserver import codec, errors, patches
from localkube.apiserver.errors import APIError

_REASONS = {400: "BadRequest", 413: "RequestEntityTooLarge", 415: "UnsupportedMediaType"}


def patch_error(e: patches.PatchError) -> APIError:
    """A patch that does not apply: 422 Invalid, or the code the failure carries (400 malformed,
    413 too many operations)."""
    return APIError(e.code, _REASONS.get(e.code, "Invalid"), str(e), {})


def check_patched(obj: dict[str, Any], name: str, namespace: str) -> None:
    """A patch may not rename the object or move it to another namespace (400, as checkName), nor
    nest it deeper than any body may be (copies and adds at depth can)."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        new_name = meta.get("name")
        if new_name and new_name != name:
            raise errors.bad_request(
                f"the name of the object ({new_name}) does not match the name on the URL ({name})"
            )
        new_ns = meta.get("namespace")
        if namespace and new_ns and new_ns != namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
    # managedFields mirror the object's structure a few levels further down: the server wrote
    # them, so only what the client's patch made is held to the body's limit
    view = obj
    if isinstance(meta, dict) and "managedFields" in meta:
        view = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    problem = codec.problem(view, exact=True)
    if problem:
        raise errors.bad_request(problem)
