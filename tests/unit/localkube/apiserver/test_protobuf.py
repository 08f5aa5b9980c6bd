"""Protobuf request bodies: the ones KubeRay's operator really sends decode to what kube-apiserver
stores for them; the wire forms no recording covers (packed numbers, MicroTime, Duration,
RawExtension, named lists in maps, scalars without omitempty) from bytes written here by field
number, as Kubernetes' generated.proto numbers them."""

from __future__ import annotations

from typing import Any

import pytest

from localkube.apiserver import defaults, protobuf
from support.recorded import kuberay_protobuf as _recording


def _not_in(decoded: Any, stored: Any, path: str = "") -> list[str]:
    """Where `decoded` says something `stored` does not (stored may hold more: server defaults)."""
    if isinstance(decoded, dict) and isinstance(stored, dict):
        return [p for k, v in decoded.items() for p in _not_in(v, stored.get(k, "<absent>"), f"{path}.{k}")]
    if isinstance(decoded, list) and isinstance(stored, list) and len(decoded) <= len(stored):
        return [p for i, v in enumerate(decoded) for p in _not_in(v, stored[i], f"{path}[{i}]")]
    return [] if decoded == stored else [f"{path}: decoded {decoded!r}, stored {stored!r}"]


# --- a hand-written protobuf writer: field numbers from Kubernetes' generated.proto files


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def num(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def msg(field: int, *parts: bytes | str) -> bytes:
    body = b"".join(p.encode() if isinstance(p, str) else p for p in parts)
    return _varint(field << 3 | 2) + _varint(len(body)) + body


def envelope(api_version: str, kind: str, *parts: bytes) -> bytes:
    return protobuf.MAGIC + msg(1, msg(1, api_version), msg(2, kind)) + msg(2, *parts)


# --- recorded from KubeRay's operator


def test_kuberay_head_pod_says_only_what_kube_apiserver_stored() -> None:
    body, stored = _recording("head pod")
    decoded = protobuf.decode(body)
    assert _not_in(decoded, stored) == []
    spec = decoded["spec"]
    # Go pointers to zero values are kept; empty non-pointer fields are not sent
    assert spec["terminationGracePeriodSeconds"] == 0
    assert spec["securityContext"]["runAsUser"] == 0
    assert spec["enableServiceLinks"] is False
    assert spec["containers"][0]["startupProbe"]["grpc"] == {"port": 8080, "service": ""}
    assert spec["volumes"][1] == {"name": "plain", "emptyDir": {}}
    assert spec["volumes"][3]["secret"]["defaultMode"] == 0
    assert spec["initContainers"][0]["restartPolicy"] == "Always"
    assert "hostNetwork" not in spec


def test_kuberay_head_pod_defaulted_is_kube_apiservers_pod() -> None:
    """Nothing of the pod is lost in decoding: localkube's defaults on top of it give exactly the
    spec kube-apiserver stored."""
    body, stored = _recording("head pod")
    decoded = protobuf.decode(body)
    defaults.pod(decoded)
    defaults.pod_admission(decoded)  # the stored pod: admission added the rest
    assert decoded["spec"] == stored["spec"]
    meta = {k: decoded["metadata"][k] for k in ("generateName", "labels", "annotations", "ownerReferences")}
    assert meta == {k: stored["metadata"][k] for k in meta}


def test_kuberay_head_service_says_only_what_kube_apiserver_stored() -> None:
    body, stored = _recording("head service")
    decoded = protobuf.decode(body)
    assert _not_in(decoded, stored) == []
    assert decoded["spec"]["clusterIP"] == "None"
    assert [p["name"] for p in decoded["spec"]["ports"]] == [p["name"] for p in stored["spec"]["ports"]]


# --- wire forms written here


def test_packed_and_unpacked_repeated_numbers() -> None:
    groups = b"".join(_varint(g) for g in (3000, 4000))
    # PodSecurityContext.supplementalGroups (4): a packed run, then one number on its own
    context = msg(4, groups) + num(4, 5000)
    pod = envelope("v1", "Pod", msg(2, msg(14, context)))  # PodSpec.securityContext
    assert protobuf.decode(pod)["spec"]["securityContext"]["supplementalGroups"] == [3000, 4000, 5000]


def test_negative_numbers() -> None:
    priority = envelope("scheduling.k8s.io/v1", "PriorityClass", msg(1, msg(1, "low")), num(2, -10))
    assert protobuf.decode(priority)["value"] == -10


def test_scalars_without_omitempty_keep_their_zero() -> None:
    """PriorityClass.value has no omitempty (Go's JSON writes 0); globalDefault has (dropped)."""
    priority = envelope("scheduling.k8s.io/v1", "PriorityClass", msg(1, msg(1, "zero")), num(2, 0), num(3, 0))
    assert protobuf.decode(priority) == {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "zero"},
        "value": 0,
    }


def test_lease_micro_times() -> None:
    stamp = msg(3, num(1, 1_767_225_600), num(2, 123_456_789))  # 2026-01-01T00:00:00.123456789Z
    spec = msg(2, msg(1, "me"), num(2, 15), stamp, msg(4), num(5, 0))
    lease = envelope("coordination.k8s.io/v1", "Lease", msg(1, msg(1, "lock")), spec)
    assert protobuf.decode(lease)["spec"] == {
        "holderIdentity": "me",
        "leaseDurationSeconds": 15,
        "acquireTime": "2026-01-01T00:00:00.123456Z",
        "leaseTransitions": 0,
    }


def test_event_times() -> None:
    """core/v1 Event: firstTimestamp is a Time (whole seconds), eventTime a MicroTime; zero ones
    (Go's JSON null) are left out."""
    event = envelope(
        "v1",
        "Event",
        msg(1, msg(1, "e1")),
        msg(2, msg(1, "Pod"), msg(3, "p")),
        msg(3, "Started"),
        msg(6, num(1, 1_767_225_600), num(2, 999_000_000)),
        msg(7),
        num(8, 2),
        msg(10, num(1, 1_767_225_601), num(2, 5000)),
    )
    decoded = protobuf.decode(event)
    assert decoded["firstTimestamp"] == "2026-01-01T00:00:00Z"
    assert decoded["eventTime"] == "2026-01-01T00:00:01.000005Z"
    assert "lastTimestamp" not in decoded
    assert decoded["involvedObject"] == {"kind": "Pod", "name": "p"}
    assert decoded["count"] == 2


def test_raw_extension_is_the_embedded_json() -> None:
    revision = envelope(
        "apps/v1", "ControllerRevision", msg(1, msg(1, "rev")), msg(2, msg(1, b'{"spec":{"x":1}}')), num(3, 4)
    )
    decoded = protobuf.decode(revision)
    assert decoded["data"] == {"spec": {"x": 1}}
    assert decoded["revision"] == 4


def test_named_lists_in_maps() -> None:
    """SubjectAccessReviewSpec.extra is map<string, ExtraValue>, ExtraValue {repeated string items}."""
    entry = msg(1, "scopes") + msg(2, msg(1, "read"), msg(1, "write"))
    review = envelope(
        "authorization.k8s.io/v1", "SubjectAccessReview", msg(2, msg(3, "alice"), msg(5, entry))
    )
    assert protobuf.decode(review)["spec"] == {"user": "alice", "extra": {"scopes": ["read", "write"]}}


def test_delete_options_of_any_group_version() -> None:
    options = (
        protobuf.MAGIC + msg(1, msg(1, "batch/v1"), msg(2, "DeleteOptions")) + msg(2, msg(4, "Background"))
    )
    assert protobuf.decode(options) == {
        "apiVersion": "batch/v1",
        "kind": "DeleteOptions",
        "propagationPolicy": "Background",
    }


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"),
        (999, "999ns"),
        (1500, "1.5\u00b5s"),
        (2_000_000, "2ms"),
        (1_500_000_000, "1.5s"),
        (5_400_000_000_000, "1h30m0s"),
        (61_000_000_000, "1m1s"),
        (-3_000_000_000, "-3s"),
    ],
)
def test_durations_as_go_writes_them(ns: int, text: str) -> None:
    assert protobuf.go_duration(ns) == text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (envelope("v1", "Nothing"), "no protobuf decoding for v1, Kind=Nothing"),
        (b'{"kind": "Pod"}', "does not appear to be a protobuf message"),
        (envelope("v1", "Pod", msg(1, msg(1, b"\xff\xfe"))), "invalid UTF-8"),
        (envelope("v1", "Pod", msg(1, num(1, 5))), "expected string"),
        (protobuf.MAGIC + msg(1, msg(1, "v1"), msg(2, "Pod")) + b"\x12\x10abc", "truncated"),
        (envelope("coordination.k8s.io/v1", "Lease", msg(2, msg(3, num(1, 1 << 62)))), "time out of range"),
        (envelope("apps/v1", "ControllerRevision", msg(2, msg(1, b"{nope"))), "not JSON"),
    ],
)
def test_unreadable_bodies_are_refused(body: bytes, message: str) -> None:
    with pytest.raises(protobuf.ProtobufError, match=message):
        protobuf.decode(body)
