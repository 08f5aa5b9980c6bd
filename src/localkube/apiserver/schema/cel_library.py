"""Kubernetes' CEL libraries for cel-python, beyond quantity (cel_python.py): format, url, ip,
cidr, lists, regex, the strings and sets extensions and optional values, as kube-apiserver offers
them to CRD rules (k8s.io/apiserver/pkg/cel/library and cel-go's ext). Pure.

cel-python resolves `format.dns1123Label()` or `ip.isCanonical(s)` as a call of the method on the
variable `format` or `ip`: NAMESPACES are those variables (markers), and each function checks it
was called on its marker. A function refuses what it cannot take by raising LibraryError, which
fails the rule with the function's message, as a Kubernetes rule that errs fails its object.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import itertools
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from celpy import celtypes
from celpy.evaluation import base_functions

from localkube.apiserver import metadata


class LibraryError(ValueError):
    """A library function refused its argument; the message is Kubernetes' (or close to it)."""


@dataclass(frozen=True)
class Namespace:
    name: str


NAMESPACES = {n: Namespace(n) for n in ("format", "ip", "optional", "sets", "strings")}


def _in(ns: str, marker: Any) -> None:
    if marker is not NAMESPACES[ns]:
        raise TypeError(f"no such overload: {ns} function on {type(marker).__name__}")


# --- optional values --------------------------------------------------------------------------


@dataclass(frozen=True)
class Optional:
    value: Any = None
    present: bool = False


NONE = Optional()


def _of(value: Any) -> Optional:
    return Optional(value, True)


def _optional_of(marker: Any, value: Any) -> Optional:
    _in("optional", marker)
    return _of(value)


def _optional_none(marker: Any) -> Optional:
    _in("optional", marker)
    return NONE


def _optional_of_non_zero(marker: Any, value: Any) -> Optional:
    _in("optional", marker)
    return NONE if _zero(value) else _of(value)


def _value(opt: Optional) -> Any:
    if not opt.present:
        raise LibraryError("optional.none() dereference")
    return opt.value


def _zero(value: Any) -> bool:
    return value in (0, "", False, None) or (isinstance(value, list | dict) and not value)


# --- format (library/format.go) ---------------------------------------------------------------


def _prefix(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """A name prefix (generateName) may end in '-': checked as if it ended in an 'a' instead."""
    return lambda s: check(s[:-1] + "a" if s.endswith("-") else s)


_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _dns1035_label(s: str) -> list[str]:
    errs = [metadata.max_len_error(63)] if len(s) > 63 else []
    if not _DNS1035.match(s):
        errs.append(
            metadata.regex_error(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
                "an alphabetic character, and end with an alphanumeric character",
                "[a-z]([-a-z0-9]*[a-z0-9])?",
                "my-name",
                "abc-123",
            )
        )
    return errs


def _uri(s: str) -> list[str]:
    return [] if _request_uri(s) is not None else ["invalid URI"]


def _uuid(s: str) -> list[str]:
    return [] if _UUID.match(s) else ["does not match the UUID format"]


def _byte(s: str) -> list[str]:
    try:
        base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return ["invalid base64"]
    return []


def _date(s: str) -> list[str]:
    try:
        datetime.strptime(s, "%Y-%m-%d")
    except ValueError:
        return ["invalid date"]
    return []


def _datetime(s: str) -> list[str]:
    try:
        datetime.fromisoformat(s.replace("z", "Z"))
    except ValueError:
        return ["invalid datetime"]
    return (
        []
        if "T" in s.upper() and (s[-1] in "zZ" or re.search(r"[+-]\d\d:\d\d$", s))
        else ["invalid datetime"]
    )


FORMATS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": metadata.dns1123_label_errors,
    "dns1123Subdomain": metadata.dns1123_subdomain_errors,
    "dns1035Label": _dns1035_label,
    "qualifiedName": metadata.qualified_name_errors,
    "dns1123LabelPrefix": _prefix(metadata.dns1123_label_errors),
    "dns1123SubdomainPrefix": _prefix(metadata.dns1123_subdomain_errors),
    "dns1035LabelPrefix": _prefix(_dns1035_label),
    "labelValue": metadata.label_value_errors,
    "uri": _uri,
    "uuid": _uuid,
    "byte": _byte,
    "date": _date,
    "datetime": _datetime,
}


@dataclass(frozen=True)
class Format:
    name: str


def _named(marker: Any, name: Any) -> Optional:
    _in("format", marker)
    return _of(Format(str(name))) if str(name) in FORMATS else NONE


def _validate(fmt: Format, value: Any) -> Optional:
    if not isinstance(fmt, Format):
        raise TypeError("validate() takes a format")
    errs = FORMATS[fmt.name](str(value))
    return _of(celtypes.ListType(celtypes.StringType(e) for e in errs)) if errs else NONE


def _format_constructor(name: str) -> Callable[[Any], Format]:
    def make(marker: Any) -> Format:
        _in("format", marker)
        return Format(name)

    return make


# --- url (library/urls.go): Go's url.ParseRequestURI ------------------------------------------

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _request_uri(s: str) -> urllib.parse.SplitResult | None:
    """An absolute URI or an absolute path, as Go's ParseRequestURI takes (no fragment split off)."""
    if not s or any(c in s for c in " \t\r\n\x00") or not (s.startswith("/") or _SCHEME.match(s)):
        return None
    try:
        parts = urllib.parse.urlsplit(s, allow_fragments=False)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return None
    return parts


@dataclass(frozen=True)
class URL:
    parts: urllib.parse.SplitResult


def _url(s: Any) -> URL:
    parts = _request_uri(str(s))
    if parts is None:
        raise LibraryError(
            f'URL parse error during conversion from string: parse "{s}": invalid URI for request'
        )
    return URL(parts)


def _hostname(u: URL) -> str:
    host = u.parts.netloc.rpartition("@")[2]
    if host.startswith("["):
        return host[1 : host.find("]")]
    return host.rsplit(":", 1)[0] if ":" in host else host


def _port(u: URL) -> str:
    host = u.parts.netloc.rpartition("@")[2]
    tail = host[host.find("]") + 1 :] if host.startswith("[") else host
    return tail.rsplit(":", 1)[1] if ":" in tail else ""


def _query(u: URL) -> celtypes.MapType:
    parsed = urllib.parse.parse_qs(u.parts.query, keep_blank_values=True)
    return celtypes.MapType(
        {
            celtypes.StringType(k): celtypes.ListType(celtypes.StringType(v) for v in vs)
            for k, vs in parsed.items()
        }
    )


# --- ip and cidr (library/ip.go, cidr.go) -----------------------------------------------------

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class IP:
    addr: IPAddress


@dataclass(frozen=True)
class CIDR:
    interface: ipaddress.IPv4Interface | ipaddress.IPv6Interface


def _parse_ip(s: str) -> IPAddress:
    if "%" in s:
        raise LibraryError("IP address with zone value is not allowed")
    try:
        addr = ipaddress.ip_address(s)
    except ValueError as e:
        raise LibraryError(f"IP Address {s!r} parse error during conversion from string: {e}") from e
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        raise LibraryError("IPv4-mapped IPv6 address is not allowed")
    return addr


def _parse_cidr(s: str) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    address, slash, length = s.partition("/")
    if not slash or not length.isdigit() or (len(length) > 1 and length[0] == "0"):
        raise LibraryError(f"network address parse error during conversion from string: invalid CIDR {s!r}")
    addr = _parse_ip(address)
    try:
        return ipaddress.ip_interface(f"{addr}/{length}")
    except ValueError as e:
        raise LibraryError(f"network address parse error during conversion from string: {e}") from e


def _ip(value: Any) -> IP:
    """ip(string), or the address of a CIDR (`cidr(...).ip()`)."""
    if isinstance(value, CIDR):
        return IP(value.interface.ip)
    return IP(_parse_ip(str(value)))


def _is_canonical(marker: Any, s: Any) -> celtypes.BoolType:
    _in("ip", marker)
    return celtypes.BoolType(str(_parse_ip(str(s))) == str(s))


def _global_unicast(a: IPAddress) -> bool:
    """Go's IsGlobalUnicast: anything but unspecified, loopback, multicast, link-local, broadcast."""
    return not (
        a.is_unspecified
        or a.is_loopback
        or a.is_multicast
        or a.is_link_local
        or a == ipaddress.IPv4Address("255.255.255.255")
    )


def _link_local_multicast(a: IPAddress) -> bool:
    if isinstance(a, ipaddress.IPv4Address):
        return a in ipaddress.IPv4Network("224.0.0.0/24")
    return a.is_multicast and (a.packed[1] & 0x0F) == 0x02


def _contains_ip(c: CIDR, other: Any) -> celtypes.BoolType:
    addr = other.addr if isinstance(other, IP) else _parse_ip(str(other))
    return celtypes.BoolType(addr in c.interface.network)


def _contains_cidr(c: CIDR, other: Any) -> celtypes.BoolType:
    inner = other.interface if isinstance(other, CIDR) else _parse_cidr(str(other))
    net = c.interface.network
    return celtypes.BoolType(
        inner.version == net.version and inner.network.prefixlen >= net.prefixlen and inner.ip in net
    )


def _ip_bool(test: Callable[[IPAddress], bool]) -> Callable[[IP], celtypes.BoolType]:
    return lambda ip: celtypes.BoolType(test(ip.addr))


# --- lists (library/lists.go) and regex (library/regex.go) --------------------------------------


def _nonempty(items: list[Any], name: str) -> list[Any]:
    if not items:
        raise LibraryError(f"{name} called on empty list")
    return items


def _sum(items: Any) -> Any:
    if not isinstance(items, list):
        raise TypeError("sum() takes a list")
    total: Any = celtypes.IntType(0)
    for i, item in enumerate(items):
        total = item if i == 0 else total + item
    return total


def _index_of(target: Any, item: Any, offset: Any = 0) -> celtypes.IntType:
    if isinstance(target, list):
        return celtypes.IntType(next((i for i, v in enumerate(target) if v == item), -1))
    s, sub = str(target), str(item)
    if not 0 <= int(offset) <= len(s):
        raise LibraryError(f"index out of range: {offset}")
    return celtypes.IntType(s.find(sub, int(offset)))


def _last_index_of(target: Any, item: Any, offset: Any = None) -> celtypes.IntType:
    if isinstance(target, list):
        found = [i for i, v in enumerate(target) if v == item]
        return celtypes.IntType(found[-1] if found else -1)
    s, sub = str(target), str(item)
    end = len(s) if offset is None else int(offset)
    if not 0 <= end <= len(s):
        raise LibraryError(f"index out of range: {offset}")
    return celtypes.IntType(s.rfind(sub, 0, end + len(sub)))


def _regex(pattern: Any) -> re.Pattern[str]:
    try:
        return re.compile(str(pattern))
    except re.error as e:
        raise LibraryError(f"error parsing regexp: {e}") from e


def _find(s: Any, pattern: Any) -> celtypes.StringType:
    m = _regex(pattern).search(str(s))
    return celtypes.StringType(m.group(0) if m else "")


def _find_all(s: Any, pattern: Any, limit: Any = -1) -> celtypes.ListType:
    found = [m.group(0) for m in _regex(pattern).finditer(str(s))]
    n = int(limit)
    return celtypes.ListType(celtypes.StringType(f) for f in (found if n < 0 else found[:n]))


# --- strings (cel-go ext.Strings v2) ------------------------------------------------------------


def _substring(s: Any, start: Any, end: Any = None) -> celtypes.StringType:
    text = str(s)
    stop = len(text) if end is None else int(end)
    if not 0 <= int(start) <= stop <= len(text):
        raise LibraryError(f"index out of range: {start}, {stop}")
    return celtypes.StringType(text[int(start) : stop])


def _char_at(s: Any, i: Any) -> celtypes.StringType:
    text = str(s)
    if not 0 <= int(i) <= len(text):
        raise LibraryError(f"index out of range: {i}")
    return celtypes.StringType(text[int(i) : int(i) + 1])


def _split(s: Any, sep: Any, n: Any = -1) -> celtypes.ListType:
    count = int(n)
    if count == 0:
        return celtypes.ListType()
    parts = str(s).split(str(sep), count - 1) if count > 0 else str(s).split(str(sep))
    if str(sep) == "":
        parts = list(str(s))
    return celtypes.ListType(celtypes.StringType(p) for p in parts)


def _replace(s: Any, old: Any, new: Any, n: Any = -1) -> celtypes.StringType:
    return celtypes.StringType(str(s).replace(str(old), str(new), int(n)))


def _join(items: Any, sep: Any = "") -> celtypes.StringType:
    return celtypes.StringType(str(sep).join(str(i) for i in items))


def _ascii(s: Any, upper: bool) -> celtypes.StringType:
    table = str.maketrans(
        "abcdefghijklmnopqrstuvwxyz" if upper else "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if upper else "abcdefghijklmnopqrstuvwxyz",
    )
    return celtypes.StringType(str(s).translate(table))


def _quote(marker: Any, s: Any) -> celtypes.StringType:
    _in("strings", marker)
    return celtypes.StringType('"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"')


# --- sets (cel-go ext.Sets) ---------------------------------------------------------------------


def _set_fn(test: Callable[[list[Any], list[Any]], bool]) -> Callable[[Any, Any, Any], celtypes.BoolType]:
    def call(marker: Any, a: Any, b: Any) -> celtypes.BoolType:
        _in("sets", marker)
        return celtypes.BoolType(test(list(a), list(b)))

    return call


FUNCTIONS: dict[str, Any] = {
    # optional
    "of": _optional_of,
    "none": _optional_none,
    "ofNonZeroValue": _optional_of_non_zero,
    "hasValue": lambda opt: celtypes.BoolType(opt.present),
    "value": _value,
    "orValue": lambda opt, other: opt.value if opt.present else other,
    # format
    "named": _named,
    "validate": _validate,
    **{name: _format_constructor(name) for name in FORMATS},
    # url
    "url": _url,
    "isURL": lambda s: celtypes.BoolType(_request_uri(str(s)) is not None),
    "getScheme": lambda u: celtypes.StringType(u.parts.scheme),
    "getHost": lambda u: celtypes.StringType(u.parts.netloc.rpartition("@")[2]),
    "getHostname": lambda u: celtypes.StringType(_hostname(u)),
    "getPort": lambda u: celtypes.StringType(_port(u)),
    "getEscapedPath": lambda u: celtypes.StringType(u.parts.path),
    "getQuery": _query,
    # ip and cidr
    "ip": _ip,
    "isIP": lambda s: celtypes.BoolType(_try(lambda: _parse_ip(str(s)))),
    "isCanonical": _is_canonical,
    "family": lambda v: celtypes.IntType(v.addr.version if isinstance(v, IP) else v.interface.version),
    "isUnspecified": _ip_bool(lambda a: a.is_unspecified),
    "isLoopback": _ip_bool(lambda a: a.is_loopback),
    "isLinkLocalMulticast": _ip_bool(_link_local_multicast),
    "isLinkLocalUnicast": _ip_bool(lambda a: a.is_link_local and not a.is_multicast),
    "isGlobalUnicast": _ip_bool(_global_unicast),
    "cidr": lambda s: CIDR(_parse_cidr(str(s))),
    "isCIDR": lambda s: celtypes.BoolType(_try(lambda: _parse_cidr(str(s)))),
    "containsIP": _contains_ip,
    "containsCIDR": _contains_cidr,
    "masked": lambda c: CIDR(ipaddress.ip_interface(c.interface.network)),
    "prefixLength": lambda c: celtypes.IntType(c.interface.network.prefixlen),
    # lists (min is cel-python's own macro, with the same meaning)
    "isSorted": lambda items: celtypes.BoolType(all(a <= b for a, b in itertools.pairwise(items))),
    "sum": _sum,
    "max": lambda items: max(_nonempty(list(items), "max")),
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    # regex
    "find": _find,
    "findAll": _find_all,
    # strings
    "charAt": _char_at,
    "lowerAscii": lambda s: _ascii(s, upper=False),
    "upperAscii": lambda s: _ascii(s, upper=True),
    "replace": _replace,
    "split": _split,
    "substring": _substring,
    "trim": lambda s: celtypes.StringType(str(s).strip()),
    "join": _join,
    "quote": _quote,
    # sets
    "contains": None,  # replaced below: string contains() and sets.contains share the name
    "equivalent": _set_fn(lambda a, b: all(x in b for x in a) and all(x in a for x in b)),
    "intersects": _set_fn(lambda a, b: any(x in b for x in a)),
}


def _contains(target: Any, *args: Any) -> celtypes.BoolType:
    if isinstance(target, Namespace):
        return _set_fn(lambda a, b: all(x in a for x in b))(target, *args)
    (sub,) = args
    return celtypes.BoolType(str(sub) in str(target))


FUNCTIONS["contains"] = _contains


def _try(parse: Callable[[], Any]) -> bool:
    try:
        parse()
    except LibraryError:
        return False
    return True


def _string(value: Any) -> Any:
    """string() of a library value (an IP or CIDR as Kubernetes prints it), else CEL's own."""
    if isinstance(value, IP):
        return celtypes.StringType(str(value.addr))
    if isinstance(value, CIDR):
        return celtypes.StringType(str(value.interface.with_prefixlen))
    return base_functions["string"](value)


FUNCTIONS["string"] = _string
