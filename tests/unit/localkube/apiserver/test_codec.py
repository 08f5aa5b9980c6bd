"""The strict JSON codec: what a request body may hold, and that what is served stays JSON."""

from __future__ import annotations

import json

import pytest
import yaml

from localkube.apiserver import codec


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b"[1e400]",
        b'{"a":100000000000000000000000000000}',
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_refused(raw: bytes) -> None:
    with pytest.raises(codec.CodecError):
        codec.loads(raw)


def test_accepted_values_round_trip() -> None:
    raw = b'{"big":9223372036854775807,"f":1e30,"s":"\\u00e9\\u0000","n":null}'
    value = codec.loads(raw)
    assert value == {"big": 2**63 - 1, "f": 1e30, "s": "é\x00", "n": None}
    assert json.loads(codec.dumps(value)) == value


def test_yaml_values_become_json() -> None:
    assert codec.from_yaml(yaml.safe_load("1: 2\nd: 2020-01-01\n")) == {"1": 2, "d": "2020-01-01"}
    with pytest.raises(codec.CodecError):
        codec.from_yaml(yaml.safe_load("v: .nan"))


def test_duplicates_and_header_text() -> None:
    # named by their paths, as kube-apiserver's strict decoder names them
    assert codec.duplicate_fields(b'{"a":{"b":1,"b":2},"c":3}') == ["a.b"]
    body = b'{"spec":{"containers":[{"name":"a"},{"name":"b","name":"c"}]},"x":1,"x":2}'
    assert codec.duplicate_fields(body) == ["spec.containers[1].name", "x"]
    assert codec.header_text('unknown field "a\nb\x00"') == 'unknown field \\"a\\nb\\x00\\"'
