#!/usr/bin/env python3
"""Writes src/localkube/apiserver/protobuf_messages.py: the protobuf field tables of Kubernetes'
built-in kinds, read from the Go struct definitions of k8s.io/api and k8s.io/apimachinery.

Run by a developer when the pinned Kubernetes version changes (not by users or CI):

    python3 tools/protobuf_tables.py [--modcache DIR] [--version v0.37.2] > \
        src/localkube/apiserver/protobuf_messages.py

It needs the two modules in the Go module cache (`tools/referees/build` downloads them). Each
struct field's `protobuf:"<wire>,<number>,..."` tag gives its field number, its `json:"..."` tag its
JSON name (empty on an embedded struct: the fields are inlined), and its Go type whether it is a
pointer (`*T`: a zero value is kept), repeated (`[]T`), a map, bytes or another message. Types
whose JSON form is not an object (Time, Quantity, IntOrString, ...) are named by their own type
names, which the decoder (apiserver/protobuf.py) reads specially.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

API = "k8s.io/api"
MACHINERY = "k8s.io/apimachinery"
META = f"{MACHINERY}/pkg/apis/meta/v1"

# the k8s.io/api packages whose kinds localkube serves (and autoscaling/v1: the /scale body)
API_PACKAGES = (
    "core/v1",
    "apps/v1",
    "batch/v1",
    "rbac/v1",
    "networking/v1",
    "coordination/v1",
    "events/v1",
    "policy/v1",
    "authentication/v1",
    "authorization/v1",
    "certificates/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "discovery/v1",
    "storage/v1",
    "scheduling/v1",
    "node/v1",
    "admissionregistration/v1",
    "flowcontrol/v1",
    "resource/v1",
    "storagemigration/v1",
)

# Go types whose JSON form is not their message's: the decoder knows each by this name
SPECIAL = {
    (META, "Time"): "Time",
    (META, "MicroTime"): "MicroTime",
    (META, "Duration"): "Duration",
    (META, "FieldsV1"): "FieldsV1",
    (f"{MACHINERY}/pkg/runtime", "RawExtension"): "RawExtension",
    (f"{MACHINERY}/pkg/util/intstr", "IntOrString"): "IntOrString",
    (f"{MACHINERY}/pkg/api/resource", "Quantity"): "Quantity",
}
# meta/v1 kinds read in any group's version (client-go sends DeleteOptions as the resource's)
META_KINDS = ("DeleteOptions",)
LINE = 110  # the project's line length (pyproject.toml)
INTS = {"int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "byte"}

TYPE_DECL = re.compile(r"^type (\w+) (.+?)\s*(?://.*)?$")
IMPORT = re.compile(r'^\s*(?:(\w+|_|\.)\s+)?"([^"]+)"')
TAG = re.compile(r'(\w+):"([^"]*)"')


@dataclass
class Field:
    go_name: str
    go_type: str
    tags: dict[str, str]
    embedded: bool


@dataclass
class Package:
    path: str
    short: str
    group: str | None = None
    structs: dict[str, list[str]] = field(default_factory=dict)  # struct -> its body's lines
    named: dict[str, str] = field(default_factory=dict)  # type X <underlying>
    imports: dict[str, dict[str, str]] = field(default_factory=dict)  # struct -> alias -> path
    kinds: list[str] = field(default_factory=list)


def _imports(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    block = re.search(r"^import \((.*?)^\)", text, re.S | re.M)
    lines = block.group(1).splitlines() if block else []
    lines += re.findall(r"^import (.+)$", text, re.M)
    for line in lines:
        m = IMPORT.match(line)
        if m:
            path = m.group(2)
            alias = m.group(1) or path.rsplit("/", 1)[-1]
            out[alias] = path
    return out


def _struct_fields(body: list[str], where: str) -> list[Field]:
    fields = []
    for raw in body:
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        tag_text = ""
        if "`" in line:
            line, _, rest = line.partition("`")
            tag_text = rest.rpartition("`")[0]
        tokens = line.split("//")[0].split()
        tags = dict(TAG.findall(tag_text))
        if len(tokens) == 1:
            go_type = tokens[0]
            fields.append(Field(go_type.lstrip("*").rsplit(".", 1)[-1], go_type, tags, True))
        elif len(tokens) == 2 and not tokens[0].endswith(","):
            fields.append(Field(tokens[0], tokens[1], tags, False))
        else:
            raise SystemExit(f"{where}: cannot read field line {raw!r}")
    return fields


def read_package(root: Path, path: str, short: str) -> Package:
    pkg = Package(path, short)
    for file in sorted(root.glob("*.go")):
        if file.name.endswith("_test.go") or file.name.startswith(("zz_generated", "generated.")):
            continue
        # block comments may hold anything, field-like lines too
        text = re.sub(r"/\*.*?\*/", "", file.read_text(), flags=re.S)
        imports = _imports(text)
        group = re.search(r'^const GroupName = "([^"]*)"', text, re.M)
        if group:
            pkg.group = group.group(1)
        lines = text.splitlines()
        i = 0
        while i < len(lines):
            m = TYPE_DECL.match(lines[i])
            i += 1
            if not m:
                continue
            name, rest = m.groups()
            if rest == "struct {":
                start = i
                while lines[i] != "}":
                    i += 1
                if name in pkg.structs:
                    continue  # a build-tagged twin (fieldsv1_byte.go / fieldsv1_string.go)
                pkg.structs[name] = lines[start:i]
                pkg.imports[name] = imports
            elif rest == "struct{}":
                pkg.structs[name] = []
                pkg.imports[name] = imports
            elif not rest.startswith(("interface", "func", "=")):
                pkg.named[name] = rest
                pkg.imports[name] = imports
    return pkg


def find_kinds(pkg: Package) -> None:
    """The package's kinds: structs embedding TypeMeta, but not lists (never a request body)."""
    for name, body in pkg.structs.items():
        fields = _struct_fields(body, f"{pkg.path}.{name}")
        typed = any(f.embedded and f.go_type.endswith("TypeMeta") for f in fields)
        is_list = name.endswith("List") and any(f.go_name == "Items" for f in fields)
        # lists and *Options (query parameters) are never a request's body
        if typed and not is_list and not name.endswith("Options"):
            pkg.kinds.append(name)


class Tables:
    def __init__(self, modcache: Path, version: str) -> None:
        self.modcache = modcache
        self.version = version
        self.packages: dict[str, Package] = {}
        self.messages: dict[str, dict[int, tuple[str, str, str]]] = {}
        self.pending: list[tuple[Package, str]] = []

    def package(self, path: str) -> Package:
        """A package of k8s.io/api or k8s.io/apimachinery, read on first use (one package's
        types may name another's: batch/v1 names scheduling/v1alpha3)."""
        if path not in self.packages:
            module = next((m for m in (API, MACHINERY) if path.startswith(f"{m}/")), None)
            if module is None:
                raise SystemExit(f"{path}: not in {API} or {MACHINERY}")
            sub = path[len(module) + 1 :]
            short = sub if module == API else "meta/v1" if path == META else sub.rsplit("/", 1)[-1]
            root = self.modcache / f"{module}@{self.version}" / sub
            self.packages[path] = read_package(root, path, short)
        return self.packages[path]

    def message_name(self, pkg: Package, name: str) -> str:
        qualified = f"{pkg.short}.{name}"
        if qualified not in self.messages:
            self.messages[qualified] = {}
            self.pending.append((pkg, name))
        return qualified

    def lookup(self, pkg: Package, scope: str, ident: str) -> tuple[Package, str]:
        if "." in ident:
            alias, name = ident.split(".", 1)
            path = pkg.imports[scope].get(alias)
            if path is None:
                raise SystemExit(f"{pkg.path}.{scope}: unknown package of {ident}")
            return self.package(path), name
        return pkg, ident

    def resolve(self, pkg: Package, scope: str, go_type: str, in_map: bool = False) -> tuple[str, bool]:
        """(type name for the decoder, repeated) of a Go type without its pointer."""
        if go_type == "[]byte":
            return "bytes", False
        if go_type.startswith("[]"):
            elem, repeated = self.resolve(pkg, scope, go_type[2:].lstrip("*"))
            if repeated:
                raise SystemExit(f"{pkg.path}.{scope}: nested list {go_type}")
            return elem, True
        if go_type.startswith("map["):
            key, _, value = go_type[4:].partition("]")
            if self.resolve(pkg, scope, key) != ("string", False):
                raise SystemExit(f"{pkg.path}.{scope}: map key {key} is not a string")
            value_type, repeated = self.resolve(pkg, scope, value, in_map=True)
            if repeated:
                raise SystemExit(f"{pkg.path}.{scope}: map of lists {go_type}")
            return f"map:{value_type}", False
        if go_type == "string":
            return "string", False
        if go_type == "bool":
            return "bool", False
        if go_type in INTS:
            return "int", False
        if go_type.startswith(("float", "complex", "interface", "*", "func", "chan")):
            raise SystemExit(f"{pkg.path}.{scope}: unsupported type {go_type}")
        owner, name = self.lookup(pkg, scope, go_type)
        special = SPECIAL.get((owner.path, name))
        if special:
            return special, False
        if name in owner.structs:
            return self.message_name(owner, name), False
        if name in owner.named:
            underlying = owner.named[name]
            if in_map and underlying == "[]string":
                # a named list as a map value is a message {repeated string items = 1}
                return "StringList", False
            return self.resolve(owner, name, underlying)
        raise SystemExit(f"{pkg.path}.{scope}: unknown type {go_type}")

    def fill(self) -> None:
        while self.pending:
            pkg, name = self.pending.pop()
            table = self.messages[f"{pkg.short}.{name}"]
            for f in _struct_fields(pkg.structs[name], f"{pkg.path}.{name}"):
                proto = f.tags.get("protobuf")
                if not proto or proto == "-":
                    continue
                number = int(proto.split(",")[1])
                json_name, *options = f.tags.get("json", f.go_name).split(",")
                if json_name == "-":
                    continue
                pointer = f.go_type.startswith("*")
                type_name, repeated = self.resolve(pkg, name, f.go_type.lstrip("*"))
                flags = ("r" if repeated else "") + ("p" if pointer else "")
                if not {"omitempty", "omitzero"} & set(options):
                    if pointer or repeated or type_name.startswith("map:"):
                        flags += "n"  # Go's JSON writes null for it when nil
                    elif type_name in ("string", "int", "bool"):
                        flags += "z"  # Go's JSON writes its zero value too ("port": 0)
                if f.embedded and not json_name:
                    flags += "i"
                elif not json_name:
                    raise SystemExit(f"{pkg.path}.{name}.{f.go_name}: no JSON name")
                if number in table:
                    raise SystemExit(f"{pkg.path}.{name}: field number {number} twice")
                table[number] = (json_name, type_name, flags)


def _q(text: str) -> str:
    return json.dumps(text)


def _entry(indent: str, key: str, value: tuple[str, ...]) -> list[str]:
    """`key: (parts),` on one line if it fits the line length, else each part on a line of its own
    (as `ruff format` writes it)."""
    line = f"{indent}{key}: ({', '.join(_q(part) for part in value)}),"
    if len(line) <= LINE:
        return [line]
    return [f"{indent}{key}: (", *(f"{indent}    {_q(part)}," for part in value), f"{indent}),"]


def render(
    tables: Tables, kinds: dict[tuple[str, str], str], any_version: dict[str, str], source: str
) -> str:
    out = [
        '"""Protobuf field tables of the Kubernetes built-in kinds localkube serves. GENERATED: do not edit.',
        "",
        "Generated by tools/protobuf_tables.py from the Go struct definitions of",
        f"{source}.",
        "Regenerate: python3 tools/protobuf_tables.py > src/localkube/apiserver/protobuf_messages.py",
        "",
        "MESSAGES: message -> {field number: (JSON name, type, flags)}; a type is a scalar (string, int,",
        "bool, bytes), `map:<value type>`, a message, or a type with its own JSON form (Time, MicroTime,",
        "Duration, FieldsV1, RawExtension, IntOrString, Quantity, StringList). Flags: r repeated, p Go",
        "pointer (its zero value is kept), z a scalar without omitempty (its zero value is kept, as Go's",
        "JSON writes it), n a pointer, slice or map without omitempty (Go writes null for nil), i embedded",
        "(its fields are the parent's in JSON).",
        "KINDS: (apiVersion, kind) -> message. ANY_VERSION_KINDS: kind -> message, whatever its apiVersion.",
        '"""',
        "",
        "MESSAGES: dict[str, dict[int, tuple[str, str, str]]] = {",
    ]
    for name in sorted(tables.messages):
        table = tables.messages[name]
        if not table:
            out.append(f"    {_q(name)}: {{}},")
            continue
        out.append(f"    {_q(name)}: {{")
        for number in sorted(table):
            out += _entry("        ", str(number), table[number])
        out.append("    },")
    out.append("}")
    out.append("")
    out.append("KINDS: dict[tuple[str, str], str] = {")
    for (api_version, kind), message in sorted(kinds.items()):
        line = f"    ({_q(api_version)}, {_q(kind)}): {_q(message)},"
        # the key's parts on lines of their own, as `ruff format` writes it
        out += (
            [line]
            if len(line) <= LINE
            else ["    (", f"        {_q(api_version)},", f"        {_q(kind)},", f"    ): {_q(message)},"]
        )
    out.append("}")
    out.append("")
    out.append("ANY_VERSION_KINDS: dict[str, str] = {")
    for kind, message in sorted(any_version.items()):
        out.append(f"    {_q(kind)}: {_q(message)},")
    out.append("}")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modcache", default=str(Path.home() / "go" / "pkg" / "mod"))
    parser.add_argument("--version", default="v0.37.2", help="of k8s.io/api and k8s.io/apimachinery")
    args = parser.parse_args()
    tables = Tables(Path(args.modcache), args.version)
    kinds: dict[tuple[str, str], str] = {}
    for short in API_PACKAGES:
        pkg = tables.package(f"{API}/{short}")
        find_kinds(pkg)
        if pkg.group is None:
            raise SystemExit(f"{pkg.path}: no GroupName")
        version = short.rsplit("/", 1)[-1]
        api_version = f"{pkg.group}/{version}" if pkg.group else version
        for kind in pkg.kinds:
            kinds[(api_version, kind)] = tables.message_name(pkg, kind)
    meta = tables.package(META)
    any_version = {kind: tables.message_name(meta, kind) for kind in META_KINDS}
    tables.fill()
    source = f"{API}@{args.version} and {MACHINERY}@{args.version}"
    sys.stdout.write(render(tables, kinds, any_version, source))


if __name__ == "__main__":
    main()
