"""Subresources that are more than a view of their object, beside Core as Kubernetes keeps them
beside a kind's storage (pod/storage/storage.go's BindingREST and EvictionREST, serviceaccount's
TokenREST): pods/binding, pods/eviction, serviceaccounts/token.

Each takes the decoded body and returns the answer's body; rest.py only decodes, calls, encodes.
The scale subresource is scale.py with Core.scale; status, finalize and approval are Core.update
with the subresource named.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

from kubeschema.timestamps import format_time, now_time
from localkube.apiserver import errors, fielderrors, tokens
from localkube.apiserver.core import Core, DeleteOptions
from localkube.apiserver.fielderrors import FieldError
from localkube.apiserver.kinds import ResourceInfo
from localkube.apiserver.shapes import as_dict
from localkube.apiserver.tokens import TokenAuthority

PODS: tuple[str, str] = ("", "pods")


def success() -> dict[str, Any]:
    """The Status a binding or an eviction answers with (201)."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def bind(core: Core, info: ResourceInfo, ns: str, name: str, body: Any, dry_run: bool) -> dict[str, Any]:
    """pods/binding: assign a pod to a node, once (the scheduler's write)."""
    node = str(as_dict(as_dict(body).get("target")).get("name", ""))
    current = core.get(info, ns, name)
    spec = as_dict(current.obj.get("spec"))
    if as_dict(current.obj.get("metadata")).get("deletionTimestamp"):
        raise errors.conflict(
            info.plural, info.group, name, "pod is being deleted, cannot be assigned to a host"
        )
    if spec.get("nodeName"):
        raise errors.conflict(
            info.plural, info.group, name, f'pod {name} is already assigned to node "{spec["nodeName"]}"'
        )
    if not node:
        raise errors.invalid("Binding", "", name, [FieldError("target.name", "FieldValueRequired", "")])
    new = copy.deepcopy(current.obj)
    new.setdefault("spec", {})["nodeName"] = node
    conditions = [
        c for c in (new.setdefault("status", {}).get("conditions") or []) if c.get("type") != "PodScheduled"
    ]
    conditions.append(
        {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": now_time()}
    )
    new["status"]["conditions"] = conditions
    if not dry_run:
        core.system_write(info, new)
    return success()


def evict(core: Core, info: ResourceInfo, ns: str, name: str, options: DeleteOptions) -> dict[str, Any]:
    """pods/eviction: no PodDisruptionBudget controller runs here, so every eviction is allowed:
    a delete with the Eviction's options."""
    core.delete(info, ns, name, options)
    return success()


def eviction_options(body: Any) -> dict[str, Any]:
    """The DeleteOptions an Eviction carries."""
    return as_dict(as_dict(body).get("deleteOptions"))


def request_token(
    core: Core, authority: TokenAuthority, info: ResourceInfo, ns: str, name: str, body: Any
) -> dict[str, Any]:
    """serviceaccounts/token: a TokenRequest's answer, a token for the account (bound to a pod
    when the request names one)."""
    sa = core.get(info, ns, name).obj
    spec = as_dict(as_dict(body).get("spec"))
    seconds = spec.get("expirationSeconds") or 3600
    problem = ""
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        problem = "must be an integer"
    elif seconds < 600:
        problem = "may not specify a duration less than 10 minutes"
    elif seconds > 1 << 32:
        problem = "may not specify a duration larger than 2^32 seconds"
    if problem:
        raise errors.invalid(
            "TokenRequest",
            "authentication.k8s.io",
            "",
            [FieldError("spec.expirationSeconds", fielderrors.INVALID, problem, seconds)],
        )
    # an empty audience list means the API server's own, and the answer says so
    spec = {**spec, "audiences": list(spec.get("audiences") or [tokens.ISSUER])}
    bound: dict[str, Any] = {}
    ref = as_dict(spec.get("boundObjectRef"))
    if ref.get("kind") == "Pod":
        pod = core.find(PODS, ns, str(ref.get("name") or ""))
        if pod is None:
            raise errors.not_found("pods", "", str(ref.get("name") or ""))
        uid = pod["metadata"]["uid"]
        if ref.get("uid") and ref["uid"] != uid:
            raise errors.conflict(
                "pods",
                "",
                str(ref.get("name")),
                f"the UID in the bound object reference ({ref['uid']}) does not match the UID in record. "
                "The object might have been deleted and then recreated",
            )
        if (pod.get("spec") or {}).get("serviceAccountName", "default") != name:
            raise errors.bad_request(
                f'cannot bind token for serviceaccount "{name}" to pod running with different '
                "serviceaccount name."
            )
        bound["pod"] = {"name": ref.get("name"), "uid": uid}
    token, exp = authority.issue(ns, name, sa["metadata"]["uid"], spec["audiences"], seconds, bound)
    expiry = format_time(dt.datetime.fromtimestamp(exp, dt.UTC))
    return {
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": str(uuid.uuid4()),
            "creationTimestamp": now_time(),
        },
        # boundObjectRef is a pointer without omitempty: Go writes null when the request names none
        "spec": {"boundObjectRef": None, **spec, "expirationSeconds": seconds},
        "status": {"token": token, "expirationTimestamp": expiry},
    }
