"""The differential API test's machinery: play one recorded list of requests (a YAML file) against an
API server, and reduce each answer to what must be equal between two servers.

A step is a mapping: `name` (unique; what the list of known differences names), `method` (GET), `path`,
`body` (sent as JSON, as YAML text with a YAML content type, or as bytes: a recorded protobuf
body, `body_recorded` in requests.yaml), `content_type`, `accept`, `as` (who
sends it: `admin` by default, `anonymous`, `bad-token`, or a name a TokenRequest step saved), `save`
({variable: dotted path into the response}), `until` ({status: N} or {condition: T}: repeat, bounded,
until the answer says so; for what a real server does a moment later: RBAC caches, CRDs Established),
`watch` (read that many events from a watch stream; the path carries timeoutSeconds), `compare: false`
(a setup step). `${variable}` in path, body and header values is replaced by a saved value.
A `discovery` step walks /apis as a client does and records every group version's resource list."""

from __future__ import annotations

import http.client
import json
import re
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

UNTIL_TIMEOUT = 60.0
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
_TOO_OLD = re.compile(r"too old resource version: \d+ \(\d+\)")
_VAR = re.compile(r"\$\{([A-Za-z0-9_-]+)\}")
# values that differ between any two runs of the same server
_VOLATILE = {
    "uid": "<uid>",
    "resourceVersion": "<rv>",
    "continue": "<continue>",
    "token": "<token>",
    # /version's facts of a build, not of behaviour: the referee is built here, without a commit
    "gitCommit": "<build>",
    "goVersion": "<build>",
}
# discovery documents, whose lists' order no client relies on
# a Table's columns that print a time as its distance from now ("0s", "1s"): which second the
# answer was made in is not compared, as timestamps are not
_RELATIVE_TIME_COLUMNS = frozenset({"Age", "Duration", "First Seen", "Last Seen", "Last Schedule"})
_DISCOVERY = ("APIResourceList", "APIGroupList", "APIGroup", "APIGroupDiscoveryList", "APIVersions")
_SETS = ("resources", "groups", "verbs", "shortNames", "categories", "versions", "items", "subresources")


@dataclass
class Server:
    """Where to send the requests: the API's URL, its CA and an admin bearer token."""

    url: str
    ca_file: Path
    admin_token: str

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


@dataclass
class Answer:
    status: int
    body: Any
    warnings: list[str] = field(default_factory=list)


def load_steps(path: Path) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = yaml.safe_load(path.read_text())
    names = [s["name"] for s in steps]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"step names must be unique: {sorted(duplicates)}")
    return steps


def normalise(value: Any, key: str = "", unordered: bool = False) -> Any:
    """What two servers must agree on: uids, resourceVersions, timestamps, continue and token strings
    and the random suffix of a name made from generateName replaced by placeholders, discovery
    documents' lists sorted (pure)."""
    if isinstance(value, dict):
        unordered = unordered or value.get("kind") in _DISCOVERY
        # a key may hold a uid too: managedFields name an ownerReference `k:{"uid":"..."}`
        out = {_UUID.sub("<uid>", k): normalise(v, k, unordered) for k, v in value.items()}
        if unordered:
            for name in _SETS:
                if isinstance(out.get(name), list):
                    out[name] = sorted(out[name], key=_sort_key)
        if out.get("kind") == "Status":
            _sort_causes(out)
        if out.get("kind") == "Table":
            _relative_times(out)
        if isinstance(out.get("managedFields"), list):
            # kube-apiserver orders entries by their time's second, then manager: with the times
            # replaced, the order they gave is not compared either
            out["managedFields"] = sorted(out["managedFields"], key=_entry_key)
        if "serverAddressByClientCIDRs" in out:
            out["serverAddressByClientCIDRs"] = "<addresses>"
        prefix, name = value.get("generateName"), value.get("name")
        if isinstance(prefix, str) and prefix and isinstance(name, str) and name.startswith(prefix):
            out["name"] = f"{prefix}<suffix>"
        return out
    if isinstance(value, list):
        return [normalise(v, key, unordered) for v in value]
    if isinstance(value, str):
        if key in _VOLATILE and value:
            return _VOLATILE[key]
        if _TIME.match(value):
            return "<time>"
        value = _TOO_OLD.sub("too old resource version: <rv> (<rv>)", value)
        return _UUID.sub("<uid>", value)
    return value


def _sort_causes(status: dict[str, Any]) -> None:
    """A 422's causes (and the message that lists them) in one order: kube-apiserver's custom
    resource validator walks properties in Go's map order, different from run to run."""
    details = status.get("details")
    causes = details.get("causes") if isinstance(details, dict) else None
    if not isinstance(causes, list) or len(causes) < 2 or not all(isinstance(c, dict) for c in causes):
        return

    def listed(items: list[dict[str, Any]]) -> str:
        return ", ".join(f"{c.get('field')}: {c.get('message')}" for c in items)

    ordered = sorted(causes, key=lambda c: (str(c.get("field")), str(c.get("message"))))
    message = status.get("message")
    if isinstance(message, str) and f"[{listed(causes)}]" in message:
        status["message"] = message.replace(f"[{listed(causes)}]", f"[{listed(ordered)}]")
    details["causes"] = ordered


def _relative_times(table: dict[str, Any]) -> None:
    columns = table.get("columnDefinitions")
    rows = table.get("rows")
    if not isinstance(columns, list) or not isinstance(rows, list):
        return
    relative = [
        i for i, c in enumerate(columns) if isinstance(c, dict) and c.get("name") in _RELATIVE_TIME_COLUMNS
    ]
    for row in rows:
        cells = row.get("cells") if isinstance(row, dict) else None
        if isinstance(cells, list):
            for i in relative:
                if (
                    i < len(cells)
                    and isinstance(cells[i], str)
                    and cells[i] not in ("", "<none>", "<unknown>")
                ):
                    cells[i] = "<duration>"


def _entry_key(entry: Any) -> tuple[str, ...]:
    if not isinstance(entry, dict):
        return (str(entry),)
    return tuple(str(entry.get(k, "")) for k in ("operation", "manager", "subresource", "apiVersion"))


def _sort_key(item: Any) -> str:
    if isinstance(item, dict):
        for k in ("name", "resource", "groupVersion", "version", "subresource"):
            if k in item:
                return str(item[k])
        if isinstance(item.get("metadata"), dict):
            return str(item["metadata"].get("name"))
    return json.dumps(item, sort_keys=True)


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Where two normalised answers differ, as `path: a != b` lines (pure)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append(f"{where}.{k}: missing != {_short(b[k])}")
            elif k not in b:
                out.append(f"{where}.{k}: {_short(a[k])} != missing")
            else:
                out.extend(differences(a[k], b[k], f"{where}.{k}"))
        return out
    if isinstance(a, list) and isinstance(b, list) and (keyed := _keyed(a, b)) is not None:
        # discovery's lists: entries matched by name, so one missing kind is one line
        ka, kb = keyed
        return differences(ka, kb, where)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in differences(x, y, f"{where}[{i}]")]
    return [] if a == b else [f"{where or '.'}: {_short(a)} != {_short(b)}"]


def _keyed(a: list[Any], b: list[Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Two lists of named entries (resources, groups, versions) of different lengths, as maps."""
    if len(a) == len(b):
        return None
    for key in ("name", "resource", "groupVersion", "version", "metadata"):
        if all(isinstance(x, dict) and key in x for x in a + b):
            ka, kb = (
                {_sort_key(x) if key == "metadata" else str(x[key]): x for x in a},
                {_sort_key(x) if key == "metadata" else str(x[key]): x for x in b},
            )
            if len(ka) == len(a) and len(kb) == len(b):
                return ka, kb
    return None


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 300 else text[:300] + "..."


def dig(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def substitute(value: Any, variables: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _VAR.sub(lambda m: variables[m.group(1)], value)
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    return value


class Player:
    """Plays the steps against one server; `records` maps each compared step's name to its
    normalised answer."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.ctx = server.context()
        self.variables: dict[str, str] = {}
        self.records: dict[str, Any] = {}

    def _connection(self, timeout: float = 30) -> http.client.HTTPSConnection:
        where = urlsplit(self.server.url)
        host = where.hostname or ""
        return http.client.HTTPSConnection(host, where.port, context=self.ctx, timeout=timeout)

    def _headers(self, step: dict[str, Any]) -> dict[str, str]:
        who = step.get("as", "admin")
        headers = {"Accept": step.get("accept", "application/json")}
        if who == "admin":
            headers["Authorization"] = f"Bearer {self.server.admin_token}"
        elif who == "bad-token":
            headers["Authorization"] = "Bearer not-a-token"
        elif who != "anonymous":
            headers["Authorization"] = f"Bearer {self.variables[who]}"
        return headers

    def request(self, step: dict[str, Any]) -> Answer:
        step = substitute(step, self.variables)
        headers = self._headers(step)
        data = None
        if "body" in step:
            body = step["body"]
            headers["Content-Type"] = step.get("content_type", "application/json")
            if isinstance(body, bytes):
                data = body
            else:
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
        conn = self._connection()
        try:
            conn.request(step.get("method", "GET"), step["path"], body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            warnings = resp.headers.get_all("Warning") or []
        finally:
            conn.close()
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Answer(resp.status, parsed, sorted(warnings))

    def watch(self, step: dict[str, Any]) -> Answer:
        """The first `watch` events of a watch stream (the path's timeoutSeconds bounds the wait)."""
        step = substitute(step, self.variables)
        conn = self._connection(timeout=90)
        try:
            conn.request("GET", step["path"], headers=self._headers(step))
            resp = conn.getresponse()
            if resp.status != 200:
                return Answer(resp.status, json.loads(resp.read() or b"null"))
            events = []
            while len(events) < step["watch"]:
                line = resp.readline()
                if not line:
                    break
                if line.strip():
                    events.append(json.loads(line))
        finally:
            conn.close()
        return Answer(200, events)

    def run_step(self, step: dict[str, Any]) -> None:
        if step.get("discovery"):
            self.walk_discovery(step["name"])
            return
        send = self.watch if "watch" in step else self.request
        answer = send(step)
        until = step.get("until")
        deadline = time.monotonic() + UNTIL_TIMEOUT
        while until and not _holds(until, answer) and time.monotonic() < deadline:
            time.sleep(0.2)  # bounded: what a real server does a moment later (caches, Established)
            answer = send(step)
        for variable, dotted in (step.get("save") or {}).items():
            self.variables[variable] = str(dig(answer.body, dotted))
        if step.get("compare", True):
            self.records[step["name"]] = normalise(
                {"status": answer.status, "body": answer.body, "warnings": answer.warnings}
            )

    def walk_discovery(self, name: str) -> None:
        """What a client walking discovery finds: /api, /apis, each group version's resources."""
        core = self.request({"path": "/api"})
        groups = self.request({"path": "/apis"})
        self.records[f"{name} /api"] = normalise({"status": core.status, "body": core.body})
        self.records[f"{name} /apis"] = normalise({"status": groups.status, "body": groups.body})
        paths = [f"/api/{v}" for v in core.body.get("versions", [])]
        paths += [f"/apis/{v['groupVersion']}" for g in groups.body.get("groups", []) for v in g["versions"]]
        for path in paths:
            answer = self.request({"path": path})
            self.records[f"{name} {path}"] = normalise({"status": answer.status, "body": answer.body})

    def play(self, steps: list[dict[str, Any]]) -> dict[str, Any]:
        for step in steps:
            self.run_step(step)
        return self.records


def _holds(until: dict[str, Any], answer: Answer) -> bool:
    if "status" in until and answer.status != until["status"]:
        return False
    if "condition" in until:
        conditions = ((answer.body or {}).get("status") or {}).get("conditions") or []
        return any(c.get("type") == until["condition"] and c.get("status") == "True" for c in conditions)
    return True


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """Each request name (of either side) with the differences of our answer from theirs."""
    for name in sorted(set(ours) | set(theirs)):
        if name not in ours:
            yield name, ["localkube: not asked (it did not list it in discovery)"]
        elif name not in theirs:
            yield name, ["kube-apiserver: not asked (it did not list it in discovery)"]
        else:
            yield name, differences(ours[name], theirs[name])
