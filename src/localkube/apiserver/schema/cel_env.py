"""What kube-apiserver v1.37 declares for a CRD's validation rules: the functions (with the types
each overload takes), the macros and the names. Pure.

kube-apiserver compiles a new rule in its CEL base environment at its default compatibility
version, v1.36 for v1.37 (k8s.io/apiserver pkg/cel/environment/base.go,
`DefaultCompatibilityVersion`): Kubernetes' libraries (url, regex, lists v0, authz, quantity, ip,
cidr, format, semver v1) and cel-go's extensions strings v2, sets, lists v3, two-variable
comprehensions and optional types. It has no math, base64 (encoders), `cel.bind` (bindings),
string `reverse()` (strings v3) nor list `includes()` (Kubernetes' lists v1, from compatibility
version 1.37): a rule naming one fails the CRD with cel-go's "undeclared reference" or "found no
matching overload". FUNCTIONS is that environment's `cel.Env.Functions()` (operators left out),
printed by a Go program against k8s.io/apiserver v0.37.2; a type is cel-go's name with
`google.protobuf.` left out (`k8s.` for `kubernetes.`, `authz.` for its authorization types), `C`
any type lists can sort (min, max, sort, isSorted), `<A>` a type parameter."""

from __future__ import annotations

import functools

# each overload: G(args) a global function, M(receiver,args) a method
_SIGNATURES = {
    "add": "M(k8s.Quantity,k8s.Quantity) M(k8s.Quantity,int)",
    "allowed": "M(authz.Decision)",
    "asApproximateFloat": "M(k8s.Quantity)",
    "asInteger": "M(k8s.Quantity)",
    "bool": "G(bool) G(string)",
    "bytes": "G(bytes) G(string)",
    "charAt": "M(string,int)",
    "check": "M(authz.PathCheck,string) M(authz.ResourceCheck,string)",
    "cidr": "G(string)",
    "compareTo": "M(k8s.Quantity,k8s.Quantity) M(k8s.Semver,k8s.Semver)",
    "contains": "M(string,string)",
    "containsCIDR": "M(net.CIDR,string) M(net.CIDR,net.CIDR)",
    "containsIP": "M(net.CIDR,string) M(net.CIDR,net.IP)",
    "distinct": "M(list(<T>))",
    "double": "G(double) G(int) G(string) G(uint)",
    "duration": "G(Duration) G(string)",
    "dyn": "G(<A>)",
    "endsWith": "M(string,string)",
    "error": "M(authz.Decision)",
    "errored": "M(authz.Decision)",
    "family": "M(net.IP)",
    "fieldSelector": "M(authz.ResourceCheck,string)",
    "find": "M(string,string)",
    "findAll": "M(string,string) M(string,string,int)",
    "first": "M(list(<V>))",
    "flatten": "M(list(list(<T>))) M(list(dyn),int)",
    "format": "M(string,list(dyn))",
    "format.byte": "G()",
    "format.date": "G()",
    "format.datetime": "G()",
    "format.dns1035Label": "G()",
    "format.dns1035LabelPrefix": "G()",
    "format.dns1123Label": "G()",
    "format.dns1123LabelPrefix": "G()",
    "format.dns1123Subdomain": "G()",
    "format.dns1123SubdomainPrefix": "G()",
    "format.labelValue": "G()",
    "format.named": "G(string)",
    "format.qualifiedName": "G()",
    "format.uri": "G()",
    "format.uuid": "G()",
    "getDate": "M(Timestamp) M(Timestamp,string)",
    "getDayOfMonth": "M(Timestamp) M(Timestamp,string)",
    "getDayOfWeek": "M(Timestamp) M(Timestamp,string)",
    "getDayOfYear": "M(Timestamp) M(Timestamp,string)",
    "getEscapedPath": "M(k8s.URL)",
    "getFullYear": "M(Timestamp) M(Timestamp,string)",
    "getHost": "M(k8s.URL)",
    "getHostname": "M(k8s.URL)",
    "getHours": "M(Timestamp) M(Timestamp,string) M(Duration)",
    "getMilliseconds": "M(Timestamp) M(Timestamp,string) M(Duration)",
    "getMinutes": "M(Timestamp) M(Timestamp,string) M(Duration)",
    "getMonth": "M(Timestamp) M(Timestamp,string)",
    "getPort": "M(k8s.URL)",
    "getQuery": "M(k8s.URL)",
    "getScheme": "M(k8s.URL)",
    "getSeconds": "M(Timestamp) M(Timestamp,string) M(Duration)",
    "group": "M(authz.Authorizer,string)",
    "hasValue": "M(optional_type(<V>))",
    "indexOf": "M(list(<A>),<A>) M(string,string) M(string,string,int)",
    "int": "G(int) G(double) G(Duration) G(string) G(Timestamp) G(uint)",
    "ip": "G(string) M(net.CIDR)",
    "ip.isCanonical": "G(string)",
    "isCIDR": "G(string)",
    "isGlobalUnicast": "M(net.IP)",
    "isGreaterThan": "M(k8s.Quantity,k8s.Quantity) M(k8s.Semver,k8s.Semver)",
    "isIP": "G(string)",
    "isInteger": "M(k8s.Quantity)",
    "isLessThan": "M(k8s.Quantity,k8s.Quantity) M(k8s.Semver,k8s.Semver)",
    "isLinkLocalMulticast": "M(net.IP)",
    "isLinkLocalUnicast": "M(net.IP)",
    "isLoopback": "M(net.IP)",
    "isQuantity": "G(string)",
    "isSemver": "G(string) G(string,bool)",
    "isSorted": "M(list(C))",
    "isURL": "G(string)",
    "isUnspecified": "M(net.IP)",
    "join": "M(list(string)) M(list(string),string)",
    "labelSelector": "M(authz.ResourceCheck,string)",
    "last": "M(list(<V>))",
    "lastIndexOf": "M(list(<A>),<A>) M(string,string) M(string,string,int)",
    "lists.range": "G(int)",
    "lowerAscii": "M(string)",
    "major": "M(k8s.Semver)",
    "masked": "M(net.CIDR)",
    "matches": "G(string,string) M(string,string)",
    "max": "M(list(C))",
    "min": "M(list(C))",
    "minor": "M(k8s.Semver)",
    "name": "M(authz.ResourceCheck,string)",
    "namespace": "M(authz.ResourceCheck,string)",
    "optional.none": "G()",
    "optional.of": "G(<V>)",
    "optional.ofNonZeroValue": "G(<V>)",
    "optional.unwrap": "G(list(optional_type(<V>)))",
    "or": "M(optional_type(<V>),optional_type(<V>))",
    "orValue": "M(optional_type(<V>),<V>)",
    "patch": "M(k8s.Semver)",
    "path": "M(authz.Authorizer,string)",
    "prefixLength": "M(net.CIDR)",
    "quantity": "G(string)",
    "reason": "M(authz.Decision)",
    "replace": "M(string,string,string) M(string,string,string,int)",
    "resource": "M(authz.GroupCheck,string)",
    "reverse": "M(list(<T>))",
    "semver": "G(string) G(string,bool)",
    "serviceAccount": "M(authz.Authorizer,string,string)",
    "sets.contains": "G(list(<T>),list(<T>))",
    "sets.equivalent": "G(list(<T>),list(<T>))",
    "sets.intersects": "G(list(<T>),list(<T>))",
    "sign": "G(k8s.Quantity)",
    "size": (
        "G(bytes) M(bytes) G(list(<A>)) M(list(<A>)) G(map(<A>,<B>)) M(map(<A>,<B>)) G(string) M(string)"
    ),
    "slice": "M(list(<T>),int,int)",
    "sort": "M(list(C))",
    "split": "M(string,string) M(string,string,int)",
    "startsWith": "M(string,string)",
    "string": (
        "G(string) G(bool) G(bytes) G(double) G(Duration) G(int) G(Timestamp) G(uint) G(net.IP) G(net.CIDR)"
    ),
    "strings.quote": "G(string)",
    "sub": "M(k8s.Quantity,k8s.Quantity) M(k8s.Quantity,int)",
    "subresource": "M(authz.ResourceCheck,string)",
    "substring": "M(string,int) M(string,int,int)",
    "sum": "M(list(int)) M(list(uint)) M(list(double)) M(list(Duration))",
    "timestamp": "G(Timestamp) G(int) G(string)",
    "trim": "M(string)",
    "type": "G(<A>)",
    "uint": "G(uint) G(double) G(int) G(string)",
    "unwrapOpt": "M(list(optional_type(<V>)))",
    "upperAscii": "M(string)",
    "url": "G(string)",
    "validate": "M(k8s.NamedFormat,string)",
    "value": "M(optional_type(<V>))",
}

# macros by (name, arguments): how many variables they bind (cel-go expands them when parsing)
MACROS: dict[tuple[str, int], int] = {
    ("all", 2): 1,
    ("exists", 2): 1,
    ("exists_one", 2): 1,
    ("map", 2): 1,
    ("map", 3): 1,
    ("filter", 2): 1,
    ("optMap", 2): 1,
    ("optFlatMap", 2): 1,
    ("sortBy", 2): 1,
    ("all", 3): 2,
    ("exists", 3): 2,
    ("existsOne", 3): 2,
    ("exists_one", 3): 2,
    ("transformList", 3): 2,
    ("transformList", 4): 2,
    ("transformMap", 3): 2,
    ("transformMap", 4): 2,
    ("transformMapEntry", 3): 2,
    ("transformMapEntry", 4): 2,
}
# the variables of a CRD rule (oldSelf is declared for every rule, not only transition rules)
VARIABLES = frozenset({"self", "oldSelf"})
# type names an expression may name (`type(self.x) == string`)
TYPE_NAMES = frozenset(
    {"int", "uint", "double", "string", "bytes", "bool", "list", "map", "null_type", "type", "dyn"}
    | {"optional_type", "google.protobuf.Timestamp", "google.protobuf.Duration", "net.IP", "net.CIDR"}
    | {"kubernetes.Quantity", "kubernetes.URL", "kubernetes.Semver", "kubernetes.NamedFormat"}
)
COMPARABLE = frozenset({"int", "uint", "double", "bool", "Duration", "Timestamp", "string", "bytes"})


@functools.cache
def _overloads(name: str) -> tuple[tuple[bool, tuple[str, ...]], ...]:
    """(a method?, its parameter types, the receiver first) of each overload of `name`."""
    found = []
    for sig in _SIGNATURES[name].split():
        params = _split(sig[2:-1])
        found.append((sig[0] == "M", tuple(params)))
    return tuple(found)


def _split(types: str) -> list[str]:
    """Comma-separated types, commas inside list(...) and map(...) kept."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(types):
        depth += (c == "(") - (c == ")")
        if c == "," and depth == 0:
            parts.append(types[start:i])
            start = i + 1
    return [*parts, types[start:]] if types else parts


def declared(name: str) -> bool:
    """Whether a function of that (qualified) name is declared."""
    return name in _SIGNATURES


def _takes(param: str, actual: str, bound: dict[str, str]) -> bool:
    """Whether a parameter of type `param` takes a value of type `actual`; a type parameter takes
    one type throughout an overload (`bound`: list(<A>).indexOf(<A>))."""
    if param.startswith("<"):
        return bound.setdefault(param, actual) == actual
    if param == "dyn":
        return True
    if param == "C":
        return actual in COMPARABLE
    for kind in ("list(", "map("):
        if param.startswith(kind) and actual.startswith(kind):
            params, actuals = _split(param[len(kind) : -1]), _split(actual[len(kind) : -1])
            pairs = zip(params, actuals, strict=False)
            return len(params) == len(actuals) and all(_takes(p, a, bound) for p, a in pairs)
    return param == actual


def no_overload(name: str, types: list[str], method: bool) -> str:
    """cel-go's error when no overload of declared `name` takes `types` (a method's receiver
    first), "" when one does. Types are in this module's notation."""
    for is_method, params in _overloads(name):
        bound: dict[str, str] = {}
        if (
            is_method == method
            and len(params) == len(types)
            and all(_takes(p, t, bound) for p, t in zip(params, types, strict=True))
        ):
            return ""
    shown = [display(t) for t in types]
    signature = f"{shown[0]}.({', '.join(shown[1:])})" if method else f"({', '.join(shown)})"
    return f"found no matching overload for '{name}' applied to '{signature}'"


def display(t: str) -> str:
    """A type as cel-go prints it."""
    for short in ("Timestamp", "Duration"):
        t = t.replace(short, f"google.protobuf.{short}")
    return t.replace(",", ", ")
