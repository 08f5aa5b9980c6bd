"""HTTP routing of the Kubernetes REST API onto the core verbs, discovery and subresources."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from aiohttp import web

from kubeschema.timestamps import now_time as now
from localkube.apiserver import (
    admission,
    authz,
    codec,
    componentstatus,
    discovery,
    errors,
    fielderrors,
    gojson,
    lists,
    openapi,
    openapi_v2,
    partial,
    protobuf,
    reviews,
    subresources,
    tables,
    tokens,
    versions,
    watchstream,
)
from localkube.apiserver import scale as scales
from localkube.apiserver.authz import RequestAttrs
from localkube.apiserver.core import (
    PATCH_TYPES,
    Core,
    DeleteOptions,
    Result,
    WriteOptions,
    patch_options_invalid,
)
from localkube.apiserver.errors import APIError
from localkube.apiserver.fielderrors import FieldError
from localkube.apiserver.kinds import ResourceInfo
from localkube.apiserver.requestcount import RequestCounter
from localkube.apiserver.store import dumps
from localkube.apiserver.tokens import TokenAuthority, User

log = logging.getLogger(__name__)

MAX_BODY = 3 * 1024 * 1024
USER_KEY = web.RequestKey("user", User)
ADMIT_KEY: web.RequestKey[admission.Check] = web.RequestKey("admit")
ProxyHandler = Callable[[web.Request, ResourceInfo, str, str, str], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    info: ResourceInfo
    namespace: str | None  # None: all namespaces (or cluster-scoped)
    name: str
    sub: str


def _sub_path_ok(segs: list[str], at: int) -> bool:
    """A path may go on past the subresource only for a proxy (pods/NAME/proxy/PATH...)."""
    return len(segs) <= at + 1 or segs[at] == "proxy"


def respond(
    body: bytes | dict[str, Any],
    status: int = 200,
    warnings: list[str] | tuple[str, ...] = (),
    content_type: str = "application/json",
) -> web.Response:
    raw = body if isinstance(body, bytes) else dumps(body)
    resp = web.Response(body=raw, status=status, content_type=content_type.split(";")[0])
    if ";" in content_type:
        resp.headers["Content-Type"] = content_type
    for w in warnings:
        resp.headers.add("Warning", '299 - "' + codec.header_text(w) + '"')
    return resp


def error_response(err: APIError) -> web.Response:
    # Go's json.Encoder ends the body with a newline; clients comparing bodies as text expect it
    return respond(dumps(err.status()) + b"\n", err.code)


async def read_body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise errors.too_large(MAX_BODY)
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(65536)
        if not chunk:
            break
        size += len(chunk)
        if size > MAX_BODY:
            raise errors.too_large(MAX_BODY)
        chunks.append(chunk)
    raw = b"".join(chunks)
    codec.refuse_duplicates(raw, request.query.get("fieldValidation"), _media_type(request))
    return raw


async def read_decoded(request: web.Request, *, empty: Any = None) -> tuple[bytes, Any]:
    """The request body, raw and decoded by its Content-Type; an empty body gives `empty` when the
    verb allows one (DELETE's options), else it is decoded (and refused) like any other."""
    raw = await read_body(request)
    if empty is not None and not raw.strip():
        return raw, empty
    return raw, decode(raw, _media_type(request))


_UNRECOGNIZED = "couldn't get version/kind"


async def read_object(request: web.Request, info: ResourceInfo) -> tuple[bytes, Any]:
    """A create's or update's body: one that is no object at all is refused as kube-apiserver's
    handler refuses it, naming the kind it wanted and the body's first bytes."""
    raw = await read_body(request)
    try:
        return raw, decode(raw, _media_type(request))
    except APIError as e:
        if e.code != 400 or not e.message.startswith(_UNRECOGNIZED):
            raise
        raise errors.bad_request(
            f"the object provided is unrecognized (must be of type {info.kind}): {e.message} "
            f"({gojson.summary(raw)})"
        ) from e


def _watching(q: Mapping[str, str]) -> bool:
    return q.get("watch") in ("true", "1", "True")


def _media_type(request: web.Request) -> str:
    return (request.headers.get("Content-Type") or "application/json").split(";")[0].strip().lower()


def decode(raw: bytes, media: str) -> Any:
    """JSON or YAML request bodies; anything else is 415, anything malformed 400."""
    if media in (
        "application/json",
        "",
        "*/*",
        "text/plain",
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
    ):
        try:
            return codec.loads(raw)
        except codec.CodecError as e:
            # malformed JSON in Go's words, as kube-apiserver passes them on; NaN, depth and the
            # like in ours
            raise errors.bad_request(
                f"{_UNRECOGNIZED}; json parse error: {gojson.syntax_error(raw) or e}"
            ) from e
    if media in ("application/yaml", "application/x-yaml", "text/yaml", "application/apply-patch+yaml"):
        try:
            value = yaml.safe_load(raw)
            # aliases share one object in memory; expanded they could be enormous ("billion laughs")
            if _expanded_size(value, MAX_BODY) > MAX_BODY:
                raise errors.too_large(MAX_BODY)
            # YAML timestamps and the like become the strings JSON would have carried
            return codec.from_yaml(value)
        except RecursionError as e:
            raise errors.bad_request(f"error converting YAML to JSON: {codec.too_deep()}") from e
        except (yaml.YAMLError, ValueError, UnicodeDecodeError) as e:
            raise errors.bad_request(f"error converting YAML to JSON: {e}") from e
    if media == "application/vnd.kubernetes.protobuf":
        try:
            return protobuf.decode(raw)
        except protobuf.ProtobufError as e:
            raise errors.APIError(415, "UnsupportedMediaType", str(e), {}) from e
    raise errors.unsupported_media_type(
        media, ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]
    )


def _expanded_size(value: Any, limit: int) -> int:
    """How many values `value` holds once aliases are expanded, counting no further than `limit`."""
    count = 0
    stack = [value]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
            count += len(item)
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _write_options(q: Mapping[str, str], body_size: int | None = None) -> WriteOptions:
    """The write's query options; `body_size` is given for a body decoded for this request alone."""
    dry = q.getall("dryRun", []) if hasattr(q, "getall") else [q.get("dryRun", "")]
    for d in dry:
        if d and d != "All":
            raise errors.bad_request(f'dryRun: Unsupported value: "{d}": supported values: "All"')
    fv = q.get("fieldValidation") or "Warn"
    if fv not in ("Strict", "Warn", "Ignore"):
        raise errors.bad_request(
            f'fieldValidation: Unsupported value: {fv!r}: supported values: "Ignore", "Strict", "Warn"'
        )
    opts = WriteOptions(dry_run="All" in dry, field_validation=fv, field_manager=q.get("fieldManager", ""))
    if body_size is not None:
        opts.size_hint, opts.fresh_body = body_size, True
    return opts


def manager_from_user_agent(user_agent: str) -> str:
    """The field manager of a write that names none: its User-Agent up to the first "/", as
    kube-apiserver derives it ("kubectl/v1.37.0 (linux/amd64) ..." -> "kubectl")."""
    return user_agent.split("/")[0][:128] or "unknown"


def _opts(request: web.Request, body_size: int | None = None) -> WriteOptions:
    opts = _write_options(request.query, body_size)
    opts.admit = request.get(ADMIT_KEY)
    if not opts.field_manager and not _media_type(request).startswith("application/apply-patch"):
        # an apply must name its manager; other writes are recorded under their client's name
        opts.field_manager = manager_from_user_agent(request.headers.get("User-Agent", ""))
    force = request.query.get("force")
    if force is not None and request.method == "PATCH":
        if not _media_type(request).startswith("application/apply-patch"):
            raise patch_options_invalid(
                FieldError("force", fielderrors.FORBIDDEN, "may not be specified for non-apply patch")
            )
        opts.force = force.lower() in ("true", "1")
    return opts


def _delete_options(q: Mapping[str, str], body: Any) -> DeleteOptions:
    body = body if isinstance(body, dict) else {}
    policy = q.get("propagationPolicy") or body.get("propagationPolicy")
    orphan = q.get("orphanDependents") or body.get("orphanDependents")
    if policy is None and orphan is not None:
        policy = "Orphan" if str(orphan).lower() == "true" else "Background"
    if policy is not None and policy not in ("Orphan", "Background", "Foreground"):
        raise errors.invalid("DeleteOptions", "", "", [])
    grace_raw = q.get("gracePeriodSeconds", body.get("gracePeriodSeconds"))
    try:
        grace = None if grace_raw in (None, "") else int(grace_raw)
    except (TypeError, ValueError) as e:
        raise errors.bad_request(f"gracePeriodSeconds: invalid value {grace_raw!r}") from e
    pre = body.get("preconditions") or {}
    dry = q.get("dryRun") == "All" or "All" in (body.get("dryRun") or [])
    orphan_flag = None if orphan is None else str(orphan).lower() == "true"
    return DeleteOptions(policy, grace, pre.get("uid"), pre.get("resourceVersion"), dry, orphan_flag)


def _deleted_status(info: ResourceInfo, obj: dict[str, Any]) -> dict[str, Any]:
    """What kube-apiserver's registry answers a delete that removed the object, unless the kind
    returns the deleted object (its ReturnDeletedObject): a Status naming the resource as "kind"."""
    meta = obj.get("metadata") or {}
    details = {
        "name": meta.get("name", ""),
        "group": info.group,
        "kind": info.plural,
        "uid": meta.get("uid", ""),
    }
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {k: v for k, v in details.items() if v},
    }


def _is_resource_path(path: str) -> bool:
    parts = [p for p in path.split("/") if p]
    return (len(parts) > 2 and parts[0] == "api") or (len(parts) > 3 and parts[0] == "apis")


def _verb(method: str, rt: Route, q: Mapping[str, str]) -> str:
    """The authorization verb of a request (Kubernetes' RequestInfo)."""
    if method == "GET":
        if _watching(q):
            return "watch"
        return "get" if rt.name else "list"
    if method == "DELETE" and not rt.name:
        return "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
        method, method.lower()
    )


def _accepted(request: web.Request, info: ResourceInfo, is_list: bool) -> partial.Accepted:
    """What the Accept header asks for (Table, PartialObjectMetadata[List] or the object), 406
    when nothing it names can be served or a list is asked for as one object (or the reverse)."""
    accepted = partial.negotiate(request.headers.get("Accept", ""))
    partial.check_shape(accepted, is_list, partial.go_type(info.group, info.kind, info.custom, is_list))
    return accepted


def _table(
    info: ResourceInfo,
    objects: list[dict[str, Any]],
    list_meta: dict[str, Any],
    q: Mapping[str, str],
    accepted: partial.Accepted,
    listed: bool = False,
) -> dict[str, Any]:
    include = q.get("includeObject", "")
    partial.check_include_object(include)
    doc = tables.to_table(
        info.strategy.printer,
        objects,
        include_object=include or "Metadata",
        printer_columns=list(info.printer_columns) if info.custom else None,
        now=dt.datetime.now(dt.UTC),
        listed=listed,
    )
    doc["apiVersion"] = accepted.api_version
    doc["metadata"] = list_meta
    return doc


def _as_requested(
    info: ResourceInfo, obj: dict[str, Any], q: Mapping[str, str], accepted: partial.Accepted
) -> dict[str, Any] | None:
    """One object as a one-row Table or as PartialObjectMetadata, if that was asked for."""
    if accepted.as_kind == partial.TABLE:
        rv = str((obj.get("metadata") or {}).get("resourceVersion", ""))
        return _table(info, [obj], {"resourceVersion": rv}, q, accepted)
    if accepted.as_kind == partial.PARTIAL_ONE:
        return {**partial.one(obj), "apiVersion": accepted.api_version}
    return None


class RestAPI:
    def __init__(
        self,
        core: Core,
        tokens: TokenAuthority,
        server_address: str,
        proxy: ProxyHandler | None = None,
        http_proxy: ProxyHandler | None = None,
    ) -> None:
        self.core = core
        self.tokens = tokens
        self.server_address = server_address
        self.proxy = proxy
        # pods/proxy, services/proxy, nodes/proxy (httpproxy.py)
        self.http_proxy = http_proxy
        self.openapi = openapi.Documents(core.registry)
        self._openapi_built = False
        # The authorizer (RBAC) and what it grants; None allows everything.
        self.decide: reviews.Decide | None = None
        self.rules: reviews.Rules = None
        self.requests = RequestCounter()

    def install(self, app: web.Application) -> None:
        app.middlewares.append(self.middleware)
        r = app.router
        for path in ("/healthz", "/livez", "/readyz"):
            r.add_get(path, self.health)
        r.add_get("/version", self.version)
        r.add_get("/metrics", self.metrics)
        r.add_get("/version/", self.version)
        r.add_get("/openapi/v2", self.openapi_v2)
        r.add_get("/openapi/v3", self.openapi_root)
        r.add_get("/openapi/v3/{tail:.*}", self.openapi_doc)
        r.add_route("*", "/api", self.api_root)
        r.add_route("*", "/apis", self.apis_root)
        r.add_route("*", "/api/{tail:.*}", self.api)
        r.add_route("*", "/apis/{tail:.*}", self.apis)
        r.add_route("*", "/{tail:.*}", self.not_found)

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        code = 0  # no answer: the client went away first
        try:
            resp = await self._answer(request, handler)
            code = resp.status
            return resp
        except web.HTTPException as e:
            code = e.status
            raise
        finally:
            # counted once answered, as kube-apiserver counts (a watch when it ends)
            agent = request.headers.get("User-Agent", "")
            self.requests.count(request.method, request.path, request.query, agent, code)

    async def _answer(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            if request.path not in ("/healthz", "/livez", "/readyz"):
                authorization = request.headers.get("Authorization")
                if authorization is None:
                    user = tokens.ANONYMOUS
                else:
                    found = self.tokens.authenticate(authorization)
                    if found is None or not self._still_valid(found):
                        raise errors.unauthorized()
                    user = found
                user = self._impersonate(request, user)
                request[USER_KEY] = user
                if not _is_resource_path(request.path):
                    self._authorize(
                        user, RequestAttrs(request.method.lower(), path=request.path, resource_request=False)
                    )
            return await handler(request)
        except APIError as e:
            return error_response(e)
        except web.HTTPException:
            raise
        except (ConnectionResetError, TimeoutError):
            raise
        except RecursionError:  # input nested past what the checks foresaw: still the client's
            return error_response(errors.bad_request(codec.too_deep()))
        except Exception as e:  # a bug must answer 500, never take the server down
            log.exception("internal error on %s %s", request.method, request.path)
            return error_response(errors.internal(f"{type(e).__name__}: {e}"))

    def _decision(self, user: User, attrs: RequestAttrs) -> tuple[bool, str]:
        return (True, "") if self.decide is None else self.decide(user, attrs)

    def _authorize(self, user: User, attrs: RequestAttrs) -> None:
        """403 Forbidden, worded as kube-apiserver words it, unless the authorizer allows."""
        allowed, reason = self._decision(user, attrs)
        if allowed:
            return
        details: dict[str, Any] = {"kind": attrs.resource} if attrs.resource else {}
        if attrs.name:
            details["name"] = attrs.name
        if attrs.api_group:
            details["group"] = attrs.api_group
        message = authz.forbidden_message(authz.UserInfo(user.name, user.groups), attrs)
        raise APIError(403, "Forbidden", f"{message}: {reason}" if reason else message, details)

    def _authenticate_token(self, token: str) -> User | None:
        user = self.tokens.authenticate(f"Bearer {token}")
        return user if user is not None and self._still_valid(user) else None

    def _impersonate(self, request: web.Request, user: User) -> User:
        """Impersonate-User/-Group headers (kubectl --as/--as-group), when the caller may impersonate."""
        target = request.headers.get("Impersonate-User")
        if not target:
            return user
        groups = tuple(request.headers.getall("Impersonate-Group", []))
        if target.startswith("system:serviceaccount:"):
            ns, _, name = target.removeprefix("system:serviceaccount:").partition(":")
            self._authorize(
                user, RequestAttrs("impersonate", resource="serviceaccounts", namespace=ns, name=name)
            )
            groups = groups or ("system:serviceaccounts", f"system:serviceaccounts:{ns}")
        else:
            self._authorize(user, RequestAttrs("impersonate", resource="users", name=target))
        for group in groups:
            self._authorize(user, RequestAttrs("impersonate", resource="groups", name=group))
        if "system:authenticated" not in groups:
            groups += ("system:authenticated",)
        return User(target, request.headers.get("Impersonate-Uid", ""), groups)

    def _still_valid(self, user: User) -> bool:
        """A service account's token stops working when the account is deleted (or recreated)."""
        if not user.name.startswith("system:serviceaccount:"):
            return True
        ns, _, name = user.name.removeprefix("system:serviceaccount:").partition(":")
        sa = self.core.find(("", "serviceaccounts"), ns, name)
        if sa is None or sa["metadata"]["uid"] != user.uid:
            return False
        pod_uid = user.extra.get(tokens.POD_UID_EXTRA)
        if pod_uid:
            pod_name = (user.extra.get(tokens.POD_NAME_EXTRA) or [""])[0]
            pod = self.core.find(("", "pods"), ns, pod_name)
            return pod is not None and pod["metadata"]["uid"] == pod_uid[0]
        return True

    async def health(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="ok")

    async def openapi_root(self, request: web.Request) -> web.StreamResponse:
        await self._openapi_ready()
        return respond(self.openapi.root())

    async def openapi_v2(self, request: web.Request) -> web.StreamResponse:
        form = openapi_v2.negotiate(request.headers.get("Accept", ""))
        if form is None:
            return web.Response(status=406)  # kube-openapi's handler answers with no body
        await self._openapi_ready()
        if form == "json":
            return respond(self.openapi.v2())
        return respond(self.openapi.v2_protobuf(), content_type=openapi_v2.PROTOBUF_MEDIA_TYPES[1])

    async def _openapi_ready(self) -> None:
        """Build the built-in definitions (a second of work) off the event loop, when first needed."""
        if not self._openapi_built:
            await asyncio.to_thread(openapi.warm_up)
            self._openapi_built = True

    async def openapi_doc(self, request: web.Request) -> web.StreamResponse:
        await self._openapi_ready()
        raw = self.openapi.get(request.match_info["tail"].strip("/"))
        if raw is None:
            raise errors.resource_not_found()
        resp = respond(raw)
        if request.query.get("hash"):
            # a hashed URL names immutable content, as kube-apiserver says
            resp.headers["Cache-Control"] = "public, immutable"
        return resp

    async def metrics(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text=self.requests.render(), content_type="text/plain")

    async def version(self, request: web.Request) -> web.StreamResponse:
        return respond(discovery.version_info())

    async def not_found(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/openapi"):
            raise errors.resource_not_found()
        raise errors.resource_not_found()

    def _aggregated(self, request: web.Request) -> bool:
        accept = request.headers.get("Accept", "")
        first = accept.split(",")[0]
        return "as=APIGroupDiscoveryList" in first and "v=v2;" in first.replace(" ", "") + ";"

    async def api_root(self, request: web.Request) -> web.StreamResponse:
        if self._aggregated(request):
            return respond(
                discovery.aggregated(self.core.registry, core=True), content_type=discovery.AGGREGATED_TYPE
            )
        return respond(discovery.api_versions(self.server_address))

    async def apis_root(self, request: web.Request) -> web.StreamResponse:
        if self._aggregated(request):
            return respond(
                discovery.aggregated(self.core.registry, core=False), content_type=discovery.AGGREGATED_TYPE
            )
        return respond(discovery.api_group_list(self.core.registry))

    async def api(self, request: web.Request) -> web.StreamResponse:
        segs = [s for s in request.match_info["tail"].split("/") if s]
        if not segs:
            return await self.api_root(request)
        if segs[0] != "v1":
            raise errors.resource_not_found()
        if len(segs) == 1:
            doc = discovery.api_resource_list(self.core.registry, "", "v1")
            return respond(doc or {})
        return await self.resource(request, "", "v1", segs[1:])

    async def apis(self, request: web.Request) -> web.StreamResponse:
        segs = [s for s in request.match_info["tail"].split("/") if s]
        if not segs:
            return await self.apis_root(request)
        group = segs[0]
        if len(segs) == 1:
            g = discovery.api_group(self.core.registry, group)
            if g is None:
                raise errors.resource_not_found()
            return respond(g)
        version = segs[1]
        if len(segs) == 2:
            doc = discovery.api_resource_list(self.core.registry, group, version)
            if doc is None:
                raise errors.resource_not_found()
            return respond(doc)
        return await self.resource(request, group, version, segs[2:])

    # ------------------------------------------------------------------ resources

    def route(self, group: str, version: str, segs: list[str]) -> Route:
        reg = self.core.registry
        if segs[0] == "namespaces" and len(segs) >= 3 and segs[2] not in ("status", "finalize"):
            ns = segs[1]
            info = reg.get(group, version, segs[2])
            if info is None or not info.namespaced or not _sub_path_ok(segs, 4):
                raise errors.resource_not_found()
            return Route(info, ns, segs[3] if len(segs) > 3 else "", segs[4] if len(segs) > 4 else "")
        info = reg.get(group, version, segs[0])
        if info is None or not _sub_path_ok(segs, 2):
            raise errors.resource_not_found()
        if info.namespaced and len(segs) > 1:
            raise errors.resource_not_found()
        return Route(info, None, segs[1] if len(segs) > 1 else "", segs[2] if len(segs) > 2 else "")

    async def resource(
        self, request: web.Request, group: str, version: str, segs: list[str]
    ) -> web.StreamResponse:
        rt = self.route(group, version, segs)
        try:
            resp = await self._resource(request, rt)
        except APIError as e:
            if e.code == 405 and not e.details:  # refused before the resource's handler: no warning
                raise
            resp = error_response(e)
        warning = rt.info.deprecation_warning
        if warning and not resp.prepared:
            # a deprecated version warns on every request, reads included
            resp.headers.add("Warning", '299 - "' + warning.replace('"', '\\"') + '"')
        return resp

    async def _resource(self, request: web.Request, rt: Route) -> web.StreamResponse:
        m = request.method
        q = request.query
        info = rt.info
        ns = rt.namespace if rt.namespace is not None else ""
        attrs = RequestAttrs(
            _verb(m, rt, q),
            api_group=info.group,
            resource=info.plural,
            subresource=rt.sub,
            namespace=ns,
            name=rt.name,
        )
        self._authorize(request[USER_KEY], attrs)
        request[ADMIT_KEY] = admission.checks(self.core.reads, self.decide, self.rules, request[USER_KEY])
        if info.group in reviews.REVIEW_GROUPS:
            if m != "POST" or rt.name:
                raise errors.method_not_allowed()
            _, body = await read_decoded(request)
            answer = reviews.review(
                info, ns, body, request[USER_KEY], self._decision, self.rules, self._authenticate_token, now()
            )
            asked = {k: v for k, v in answer.items() if k != "status"}
            return respond(self._owned_as_created(request, answer, asked), 201)
        if rt.sub and rt.sub not in info.subresources:
            raise errors.resource_not_found()
        if rt.sub in PROXIED:
            return await self.proxied(request, rt)
        if rt.sub == "proxy":
            return await self.http_proxied(request, rt)
        part = rt.sub or ("object" if rt.name else "collection")
        if info.route:  # a resource that is no stored kind: its own handlers
            part = info.route + ("/object" if rt.name else "")
        handler = ROUTES.get((part, m))
        if handler is None:
            if info.route and rt.name and not any(key[0] == part for key in ROUTES):
                raise errors.resource_not_found()
            raise errors.method_not_allowed()
        return await handler(self, request, rt)

    # ------------------------------------------------------------------ verbs on a collection

    async def list_or_watch(self, request: web.Request, rt: Route) -> web.StreamResponse:
        q = request.query
        if _watching(q):
            render = self._watch_render(request, rt.info, q)
            return await watchstream.serve(request, self.core.reads, rt.info, rt.namespace, q, render)
        return self.list(request, rt.info, rt.namespace, q)

    async def create(self, request: web.Request, rt: Route) -> web.StreamResponse:
        if rt.namespace is None and rt.info.namespaced:
            raise errors.method_not_allowed()
        accepted = _accepted(request, rt.info, is_list=False)
        raw, body = await read_object(request, rt.info)
        res = self.core.create(rt.info, rt.namespace or "", body, _opts(request, len(raw)))
        return self._result(rt.info, res, 201, request.query, accepted)

    async def delete_collection(self, request: web.Request, rt: Route) -> web.StreamResponse:
        if rt.namespace is None and rt.info.namespaced:
            raise errors.method_not_allowed()
        _, body = await read_decoded(request, empty={})
        info, q = rt.info, request.query
        match = lists.matcher(info, q.get("labelSelector"), q.get("fieldSelector"))
        opts = _delete_options(q, body)
        items = []
        for obj in self.core.stored_items(info, rt.namespace):
            if match is not None and not match(obj):
                continue
            meta = obj["metadata"]
            try:
                res = self.core.delete(info, meta.get("namespace", ""), meta["name"], opts)
            except APIError as e:
                if e.code == 404:
                    continue
                raise
            items.append(lists.item(info, versions.present(info, res.obj)))
        return respond(
            {
                "kind": info.list_kind,
                "apiVersion": info.api_version,
                "metadata": {"resourceVersion": str(self.core.resource_version)},
                "items": items,
            }
        )

    # ------------------------------------------------------------------ verbs on one object

    async def get_or_watch(self, request: web.Request, rt: Route) -> web.StreamResponse:
        info, q = rt.info, request.query
        if _watching(q):
            params = dict(q)
            params["fieldSelector"] = f"metadata.name={rt.name}"
            render = self._watch_render(request, info, q)
            return await watchstream.serve(request, self.core.reads, info, rt.namespace, params, render)
        accepted = _accepted(request, info, is_list=False)
        obj, raw = self.core.served(info, self.core.get(info, rt.namespace or "", rt.name))
        shown = _as_requested(info, obj, q, accepted)
        return respond(raw if shown is None else shown)

    async def update(self, request: web.Request, rt: Route) -> web.StreamResponse:
        """PUT of the object, or of its status, finalize or approval subresource."""
        accepted = None if rt.sub else _accepted(request, rt.info, is_list=False)
        raw, body = await read_object(request, rt.info)
        # finalize takes only spec.finalizers from its body, which is no measure of the object
        opts = _opts(request) if rt.sub == "finalize" else _opts(request, len(raw))
        res = self.core.update(rt.info, rt.namespace or "", rt.name, body, opts, rt.sub or None)
        return self._result(rt.info, res, 200, request.query, accepted)

    async def patch(self, request: web.Request, rt: Route) -> web.StreamResponse:
        """PATCH of the object, or of its status or approval subresource."""
        media = _media_type(request)
        if media not in PATCH_TYPES:
            # not a patch type at all: kube-apiserver's content negotiation answers before its patcher
            raise errors.APIError(415, "UnsupportedMediaType", "415: Unsupported Media Type", {})
        if media == "application/apply-patch+cbor":
            raise errors.unsupported_media_type(media, [t for t in PATCH_TYPES if not t.endswith("cbor")])
        accepted = None if rt.sub else _accepted(request, rt.info, is_list=False)
        raw, body = await read_decoded(request)
        opts = _opts(request, len(raw))
        res = self.core.patch(rt.info, rt.namespace or "", rt.name, media, body, opts, rt.sub or None)
        return self._result(rt.info, res, 201 if res.created and not rt.sub else 200, request.query, accepted)

    async def delete(self, request: web.Request, rt: Route) -> web.StreamResponse:
        _, body = await read_decoded(request, empty={})
        opts = _delete_options(request.query, body)
        res = self.core.delete(rt.info, rt.namespace or "", rt.name, opts)
        if res.removed and not rt.info.strategy.returns_deleted_object:
            return respond(_deleted_status(rt.info, res.obj), 200, res.warnings)
        # kube-apiserver answers 202 only to a delete that asked orphanDependents=false and left
        # the object in place; a pod waiting for its kubelet or a terminating namespace is a 200
        return self._result(rt.info, res, 202 if not res.removed and opts.orphan_dependents is False else 200)

    def _watch_render(
        self, request: web.Request, info: ResourceInfo, q: Mapping[str, str]
    ) -> watchstream.Render | None:
        """`kubectl get -w` asks for Tables: each event then carries a one-row Table, the first
        with the column definitions, the later ones with `"columnDefinitions": null`, as
        kube-apiserver sends them."""
        accepted = partial.negotiate(request.headers.get("Accept", ""))
        if accepted.as_kind in (partial.PARTIAL_ONE, partial.PARTIAL_LIST):
            return lambda obj: {**partial.one(obj), "apiVersion": accepted.api_version}
        if accepted.as_kind != partial.TABLE:
            return None
        partial.check_include_object(q.get("includeObject", ""))
        headed = False

        def render(obj: dict[str, Any]) -> dict[str, Any]:
            nonlocal headed
            served = versions.present(info, obj)
            rv = str((obj.get("metadata") or {}).get("resourceVersion", ""))
            doc = _table(info, [served], {"resourceVersion": rv}, q, accepted)
            if headed:
                doc["columnDefinitions"] = None
            headed = True
            return doc

        return render

    def _result(
        self,
        info: ResourceInfo,
        res: Result,
        status: int,
        q: Mapping[str, str] | None = None,
        accepted: partial.Accepted | None = None,
    ) -> web.Response:
        if accepted is not None and accepted.as_kind:
            # a write answered as a Table or as PartialObjectMetadata, as kube-apiserver does
            shown = _as_requested(info, versions.present(info, res.obj), q or {}, accepted)
            if shown is not None:
                return respond(shown, status, res.warnings)
        if res.raw is not None and res.obj.get("apiVersion") == info.api_version:
            return respond(res.raw, status, res.warnings)
        return respond(versions.present(info, res.obj), status, res.warnings)

    def list(
        self, request: web.Request, info: ResourceInfo, ns: str | None, q: Mapping[str, str]
    ) -> web.Response:
        accepted = _accepted(request, info, is_list=True)
        raw = lists.build_list(self.core.reads, info, ns, q, typed_items=bool(accepted.as_kind))
        if accepted.as_kind == partial.PARTIAL_LIST:
            doc = codec.loads(raw)
            metadata_only = partial.many(doc["items"], doc["metadata"])
            return respond({**metadata_only, "apiVersion": accepted.api_version})
        if accepted.as_kind == partial.TABLE:
            doc = codec.loads(raw)
            return respond(_table(info, doc["items"], doc["metadata"], q, accepted, listed=True))
        return respond(raw)

    # ------------------------------------------------------------------ subresources

    async def status(self, request: web.Request, rt: Route) -> web.StreamResponse:
        """GET of the status (or approval) subresource: the whole object, as Kubernetes answers."""
        return respond(self.core.served(rt.info, self.core.get(rt.info, rt.namespace or "", rt.name))[1])

    async def binding(self, request: web.Request, rt: Route) -> web.StreamResponse:
        _, body = await read_decoded(request)
        dry_run = _opts(request).dry_run
        return respond(subresources.bind(self.core, rt.info, rt.namespace or "", rt.name, body, dry_run), 201)

    async def eviction(self, request: web.Request, rt: Route) -> web.StreamResponse:
        _, body = await read_decoded(request)
        options = _delete_options(request.query, subresources.eviction_options(body))
        return respond(subresources.evict(self.core, rt.info, rt.namespace or "", rt.name, options), 201)

    async def token(self, request: web.Request, rt: Route) -> web.StreamResponse:
        _, body = await read_decoded(request)
        ns = rt.namespace or ""
        answer = subresources.request_token(self.core, self.tokens, rt.info, ns, rt.name, body)
        spec = body.get("spec") if isinstance(body, dict) else None
        asked = {"apiVersion": answer["apiVersion"], "kind": answer["kind"], "spec": spec or {}}
        return respond(self._owned_as_created(request, answer, asked, "token"), 201)

    def _owned_as_created(
        self, request: web.Request, answer: dict[str, Any], asked: dict[str, Any], subresource: str = ""
    ) -> dict[str, Any]:
        """`answer` (a create nothing stores: a review, a TokenRequest) with the managedFields
        kube-apiserver's field manager gives it: the request's writer owns what `asked` set."""
        managed = self.core.created_fields(
            answer["apiVersion"], answer["kind"], asked, _opts(request).field_manager, subresource
        )
        if managed:
            answer["metadata"]["managedFields"] = managed
        return answer

    async def proxied(self, request: web.Request, rt: Route) -> web.StreamResponse:
        """log, exec, attach, portforward: streams from the pod's kubelet."""
        if self.proxy is None:
            raise errors.APIError(503, "ServiceUnavailable", "no kubelet proxy is configured")
        self.core.get(rt.info, rt.namespace or "", rt.name)
        if rt.sub == "log" and request.method != "GET":
            raise errors.method_not_allowed()
        return await self.proxy(request, rt.info, rt.namespace or "", rt.name, rt.sub)

    async def http_proxied(self, request: web.Request, rt: Route) -> web.StreamResponse:
        """pods/proxy, services/proxy, nodes/proxy: an HTTP request relayed to the target."""
        if self.http_proxy is None:
            raise errors.APIError(503, "ServiceUnavailable", "no proxy is configured")
        return await self.http_proxy(request, rt.info, rt.namespace or "", rt.name, rt.sub)

    async def bindings(self, request: web.Request, rt: Route) -> web.StreamResponse:
        """POST of a Binding to the namespace's bindings: the pod it names is bound as by pods/binding."""
        _, body = await read_decoded(request)
        meta = body.get("metadata") if isinstance(body, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        name, ns = str(meta.get("name") or ""), rt.namespace or ""
        if rt.namespace is None:
            raise errors.method_not_allowed()
        if not name:
            raise errors.APIError(400, "BadRequest", "Name parameter required.")
        if meta.get("namespace") and meta["namespace"] != ns:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        pods = self.core.registry.get("", "v1", "pods")
        assert pods is not None
        dry_run = _opts(request).dry_run
        return respond(subresources.bind(self.core, pods, ns, name, body, dry_run), 201)

    async def component_statuses(self, request: web.Request, rt: Route) -> web.StreamResponse:
        """GET of componentstatuses (list) or of one; no watch, as kube-apiserver."""
        if _watching(request.query):
            raise errors.APIError(
                405,
                "MethodNotAllowed",
                'watch is not supported on resources of kind "componentstatuses"',
                {"kind": "componentstatuses"},
            )
        info, q = rt.info, request.query
        if rt.name:
            accepted = _accepted(request, info, is_list=False)
            found = componentstatus.one(rt.name)
            if found is None:
                raise errors.APIError(
                    404,
                    "NotFound",
                    f'componentstatus "{rt.name}" not found',
                    {"name": rt.name, "kind": "componentstatus"},
                )
            if accepted.as_kind == partial.TABLE:  # computed objects carry no resourceVersion
                return respond(_table(info, [found], {}, q, accepted))
            shown = _as_requested(info, found, q, accepted)
            return respond(found if shown is None else shown)
        accepted = _accepted(request, info, is_list=True)
        doc = componentstatus.listed()
        if accepted.as_kind == partial.TABLE:
            return respond(_table(info, doc["items"], {}, q, accepted))
        if accepted.as_kind == partial.PARTIAL_LIST:
            return respond({**partial.many(doc["items"], {}), "apiVersion": accepted.api_version})
        return respond(doc)

    async def scale(self, request: web.Request, rt: Route) -> web.StreamResponse:
        info, ns, m = rt.info, rt.namespace or "", request.method
        if info.scale is None:
            raise errors.resource_not_found()
        current = scales.scale_of(info, self.core.get(info, ns, rt.name).obj)
        if m == "GET":
            return respond(current)
        if m not in ("PUT", "PATCH"):
            raise errors.method_not_allowed()
        _, body = await read_decoded(request)
        new_scale = body if m == "PUT" else scales.patched(current, _media_type(request), body)
        res = self.core.scale(info, ns, rt.name, new_scale, _opts(request))
        return respond(scales.scale_of(info, res.obj))


# What serves each (part of the path, method): "collection", "object" or a subresource. The
# subresources streamed from the kubelet (PROXIED) take any method and are answered by `proxied`.
PROXIED = ("log", "exec", "attach", "portforward")
_Handler = Callable[[RestAPI, web.Request, Route], Awaitable[web.StreamResponse]]
ROUTES: dict[tuple[str, str], _Handler] = {
    ("collection", "GET"): RestAPI.list_or_watch,
    ("collection", "POST"): RestAPI.create,
    ("collection", "DELETE"): RestAPI.delete_collection,
    ("object", "GET"): RestAPI.get_or_watch,
    ("object", "PUT"): RestAPI.update,
    ("object", "PATCH"): RestAPI.patch,
    ("object", "DELETE"): RestAPI.delete,
    **{(sub, "GET"): RestAPI.status for sub in ("status", "approval", "ephemeralcontainers", "resize")},
    **{
        (sub, "PUT"): RestAPI.update
        for sub in ("status", "approval", "finalize", "ephemeralcontainers", "resize")
    },
    **{(sub, "PATCH"): RestAPI.patch for sub in ("status", "approval", "ephemeralcontainers", "resize")},
    **{("scale", m): RestAPI.scale for m in ("GET", "PUT", "PATCH")},
    ("binding", "POST"): RestAPI.binding,
    ("eviction", "POST"): RestAPI.eviction,
    ("token", "POST"): RestAPI.token,
    # resources that are no stored kind (ResourceInfo.route)
    ("bindings", "POST"): RestAPI.bindings,
    ("componentstatuses", "GET"): RestAPI.component_statuses,
    ("componentstatuses/object", "GET"): RestAPI.component_statuses,
}
