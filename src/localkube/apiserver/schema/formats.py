"""String formats a CRD schema may declare, checked as kube-openapi's strfmt registry checks them.

apiextensions keeps only the formats in its supported list (others are silently dropped, never
rejected); for integer and number nodes only int32/int64 and float/double survive, and those are
range checks, not string checks (see schema.py).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# RFC 3339 date-time as go-openapi's strfmt.ParseDateTime accepts it (several layouts, 'T' or ' ').
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$")
_GO_DURATION = re.compile(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$")
# strfmt also accepts "3 days", "1 week" style durations.
_WORD_DURATION = re.compile(
    r"^[-+]?\d+\s*(ns|us|µs|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|sec|"
    r"minutes?|mins?|hours?|hr|days?|weeks?|wk)$",
    re.IGNORECASE,
)
_UUID = re.compile(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
_UUID3 = re.compile(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$")
_UUID4 = re.compile(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$")
_UUID5 = re.compile(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$")
_MAC = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5,19}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{4}\.){2,9}[0-9A-Fa-f]{4}$")
_HOSTNAME = re.compile(
    r"^([a-zA-Z0-9]((-?[a-zA-Z0-9]{0,62})?)|([a-zA-Z0-9](([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.)){1,}"
    r"([a-zA-Z]){2,63})$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_HEXCOLOR = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_RGBCOLOR = re.compile(r"^rgb\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)$")
_SSN = re.compile(r"^\d{3}[- ]?\d{2}[- ]?\d{4}$")
_BSON = re.compile(r"^[0-9a-fA-F]{24}$")
_ISBN10 = re.compile(r"^(?:[0-9]{9}X|[0-9]{10})$")
_ISBN13 = re.compile(r"^(?:[0-9]{13})$")
_K8S_SHORT = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_K8S_LONG_SEGMENT = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$|^/[^\s]*$")


def _valid_date(s: str) -> bool:
    if not _DATE.match(s):
        return False
    year, month, day = (int(p) for p in s.split("-"))
    if not 1 <= month <= 12:
        return False
    days = [
        31,
        29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month - 1]
    return 1 <= day <= days


def _valid_date_time(s: str) -> bool:
    return bool(_DATE_TIME.match(s)) and _valid_date(s[:10])


def _valid_byte(s: str) -> bool:
    s = s.replace("\r", "").replace("\n", "")  # Go's base64 decoder skips line breaks
    try:
        base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        # Go's strfmt also takes URL-safe base64.
        try:
            base64.b64decode(s, altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            return False
    return True


def _valid_ipv4(s: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(s), ipaddress.IPv4Address)
    except ValueError:
        return False


def _valid_ipv6(s: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(s), ipaddress.IPv6Address)
    except ValueError:
        return False


def _valid_cidr(s: str) -> bool:
    try:
        ipaddress.ip_network(s, strict=False)
    except ValueError:
        return False
    return "/" in s


def _valid_duration(s: str) -> bool:
    return bool(_GO_DURATION.match(s) or _WORD_DURATION.match(s))


def _valid_k8s_long(s: str) -> bool:
    return 0 < len(s) <= 253 and all(_K8S_LONG_SEGMENT.match(p) for p in s.split("."))


FORMATS: dict[str, Callable[[str], bool]] = {
    "bsonobjectid": lambda s: bool(_BSON.match(s)),
    "uri": lambda s: bool(_URI.match(s)),
    "email": lambda s: bool(_EMAIL.match(s)),
    "hostname": lambda s: bool(_HOSTNAME.match(s)) and len(s) <= 255,
    "ipv4": _valid_ipv4,
    "ipv6": _valid_ipv6,
    "cidr": _valid_cidr,
    "mac": lambda s: bool(_MAC.match(s)),
    "uuid": lambda s: bool(_UUID.match(s)),
    "uuid3": lambda s: bool(_UUID3.match(s)),
    "uuid4": lambda s: bool(_UUID4.match(s)),
    "uuid5": lambda s: bool(_UUID5.match(s)),
    "isbn": lambda s: (
        bool(_ISBN10.match(s.replace("-", "").replace(" ", "")))
        or bool(_ISBN13.match(s.replace("-", "").replace(" ", "")))
    ),
    "isbn10": lambda s: bool(_ISBN10.match(s.replace("-", "").replace(" ", ""))),
    "isbn13": lambda s: bool(_ISBN13.match(s.replace("-", "").replace(" ", ""))),
    "creditcard": lambda s: 12 <= len(re.sub(r"\D", "", s)) <= 19,
    "ssn": lambda s: bool(_SSN.match(s)),
    "hexcolor": lambda s: bool(_HEXCOLOR.match(s)),
    "rgbcolor": lambda s: bool(_RGBCOLOR.match(s)),
    "byte": _valid_byte,
    "password": lambda s: True,
    "date": _valid_date,
    "duration": _valid_duration,
    "datetime": _valid_date_time,
    "k8s-short-name": lambda s: 0 < len(s) <= 63 and bool(_K8S_SHORT.match(s)),
    "k8s-long-name": _valid_k8s_long,
}


def string_format_checker(fmt: str) -> Callable[[str], bool] | None:
    """The checker for a string format, or None when apiextensions would drop the format."""
    # go-openapi normalises format names by removing dashes ("date-time" -> "datetime").
    if fmt in ("k8s-short-name", "k8s-long-name"):
        return FORMATS[fmt]
    return FORMATS.get(fmt.replace("-", ""))
