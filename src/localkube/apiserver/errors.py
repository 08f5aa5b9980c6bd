"""Kubernetes `Status` errors: the code, reason, details and message wording the real API server uses.

The HTTP layer raises `APIError`; it is turned into a `Status` body at one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from localkube.apiserver.fielderrors import FieldError


class APIError(Exception):
    """An error answered to the client as a `Status` object."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        # kube-apiserver's field order (metav1.Status): details come before code
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def qualified(plural: str, group: str) -> str:
    """`pods` for the core group, `rayclusters.ray.io` otherwise (Kubernetes' GroupResource.String())."""
    return f"{plural}.{group}" if group else plural


def _details(name: str, group: str, kind: str) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = kind
    return details


def not_found(plural: str, group: str, name: str) -> APIError:
    return APIError(
        404, "NotFound", f'{qualified(plural, group)} "{name}" not found', _details(name, group, plural)
    )


def already_exists(plural: str, group: str, name: str) -> APIError:
    return APIError(
        409,
        "AlreadyExists",
        f'{qualified(plural, group)} "{name}" already exists',
        _details(name, group, plural),
    )


def conflict(plural: str, group: str, name: str, why: str | None = None) -> APIError:
    why = why or "the object has been modified; please apply your changes to the latest version and try again"
    return APIError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(plural, group)} "{name}": {why}',
        _details(name, group, plural),
    )


def invalid(kind: str, group: str, name: str, errors: Sequence[FieldError]) -> APIError:
    messages = [e.message() for e in errors]
    summary = messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"
    details = _details(name, group, kind)
    details["causes"] = [e.cause() for e in errors]
    return APIError(
        422,
        "Invalid",
        f'{kind}.{group} "{name}" is invalid: {summary}'
        if group
        else f'{kind} "{name}" is invalid: {summary}',
        details,
    )


def bad_request(message: str) -> APIError:
    return APIError(400, "BadRequest", message)


def forbidden(plural: str, group: str, name: str, why: str) -> APIError:
    target = f'{qualified(plural, group)} "{name}"' if name else qualified(plural, group)
    return APIError(403, "Forbidden", f"{target} is forbidden: {why}", _details(name, group, plural))


def expired(message: str) -> APIError:
    # Kubernetes answers a too-old resourceVersion with 410 and reason Expired (IsResourceExpired).
    return APIError(410, "Expired", message)


def gone(message: str) -> APIError:
    return APIError(410, "Gone", message)


def method_not_allowed() -> APIError:
    return APIError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}
    )


def unsupported_media_type(content_type: str, accepted: Sequence[str], details: bool = True) -> APIError:
    return APIError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media types include: "
        f"{', '.join(accepted)}",
        {} if details else None,
    )


def too_large(limit: int) -> APIError:
    return APIError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")


def unauthorized() -> APIError:
    return APIError(401, "Unauthorized", "Unauthorized")


def resource_not_found() -> APIError:
    return APIError(404, "NotFound", "the server could not find the requested resource", {})


def internal(message: str) -> APIError:
    return APIError(
        500, "InternalError", f"Internal error occurred: {message}", {"causes": [{"message": message}]}
    )
