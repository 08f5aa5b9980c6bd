"""localkube names malformed JSON as Go's encoding/json does, which kube-apiserver passes on. The
expected messages were recorded from Go 1.26's json.Unmarshal for each input."""

from __future__ import annotations

import pytest

from localkube.apiserver.gojson import summary, syntax_error

GO = [
    (b'{"a":1', "unexpected end of JSON input"),
    (b'{"a" 1}', "invalid character '1' after object key"),
    (b'{"a":1 "b":2}', "invalid character '\"' after object key:value pair"),
    (b"[1 2]", "invalid character '2' after array element"),
    (b"{a:1}", "invalid character 'a' looking for beginning of object key string"),
    (b"tru", "invalid character ' ' in literal true (expecting 'e')"),
    (b"trux", "invalid character 'x' in literal true (expecting 'e')"),
    (b"01", "invalid character '1' after top-level value"),
    (b"-x", "invalid character 'x' in numeric literal"),
    (b"1.x", "invalid character 'x' after decimal point in numeric literal"),
    (b"1ex", "invalid character 'x' in exponent of numeric literal"),
    (b"1e+", "invalid character ' ' in exponent of numeric literal"),
    (b'"\\x"', "invalid character 'x' in string escape code"),
    (b'"a\nb"', "invalid character '\\n' in string literal"),
    (b"\x81\x81", "invalid character '\\u0081' looking for beginning of value"),
    (b'{"a":1}}', "invalid character '}' after top-level value"),
    (b"", "unexpected end of JSON input"),
    (b"  ", "unexpected end of JSON input"),
    (b'{"a":[1,{"b":nul}]}', "invalid character '}' in literal null (expecting 'l')"),
    (b'"\\u12G4"', "invalid character 'G' in \\u hexadecimal character escape"),
    (b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {', "unexpected end of JSON input"),
    (b'{"a":1}', "<nil>"),
    (b"[]", "<nil>"),
    (b' {"x": [true, false, null, -0.5e-3]} ', "<nil>"),
    (b"'", "invalid character '\\'' looking for beginning of value"),
    (b"\x01", "invalid character '\\x01' looking for beginning of value"),
    (b"\x7f", "invalid character '\\x7f' looking for beginning of value"),
    (b"\xc3\xa9", "invalid character 'Ã' looking for beginning of value"),
    (b'{"a":1,}', "invalid character '}' looking for beginning of object key string"),
    (b"[1,]", "invalid character ']' looking for beginning of value"),
    (b'{"\\"":1,"b":2', "unexpected end of JSON input"),
    (b"-", "invalid character ' ' in numeric literal"),
    (b"1.", "invalid character ' ' after decimal point in numeric literal"),
    (b"0x1", "invalid character 'x' after top-level value"),
    (b"\xa0", "invalid character '\\u00a0' looking for beginning of value"),
]


@pytest.mark.parametrize(("data", "message"), GO, ids=[repr(d)[:30] for d, _ in GO])
def test_malformed_json_in_gos_words(data: bytes, message: str) -> None:
    assert (syntax_error(data) or "<nil>") == message


def test_the_body_summary_kube_apiserver_quotes() -> None:
    body = b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {'
    assert summary(body) == '{"apiVersion": "v1", "kind": " ...'
    assert summary(b"") == "<empty>"
    assert summary(b"\x81\x81") == "8181"
