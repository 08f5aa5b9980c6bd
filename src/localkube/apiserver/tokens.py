"""Bearer tokens: the admin token, and service-account tokens (JWTs signed with a server secret).

A token only names who is calling; RBAC (authz.py) decides what it may do. As kube-apiserver, the
server accepts a service-account token only when its audiences include the server's own (the
issuer URL) and it has not expired; deleting the account revokes it (checked by the caller).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ISSUER = "https://kubernetes.default.svc.cluster.local"
POD_NAME_EXTRA = "authentication.kubernetes.io/pod-name"
CREDENTIAL_ID_EXTRA = "authentication.kubernetes.io/credential-id"
POD_UID_EXTRA = "authentication.kubernetes.io/pod-uid"


@dataclass(frozen=True)
class User:
    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: dict[str, list[str]] = field(default_factory=dict, compare=False, hash=False)


# the same identity as the admin of `localkube up --control-plane kubernetes` (its token file
# gives every user a uid: the admin's is its name)
ADMIN = User("kubernetes-admin", "kubernetes-admin", ("system:masters", "system:authenticated"))
# a request with no credentials at all, as kube-apiserver's --anonymous-auth (on by default) names
# it: RBAC then decides (the public-info-viewer role lets it read /version and the health checks)
ANONYMOUS = User("system:anonymous", groups=("system:unauthenticated",))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenAuthority:
    def __init__(self, admin_token: str | None = None, key: bytes | None = None) -> None:
        self.admin_token = admin_token or secrets.token_urlsafe(32)
        self.key = key or secrets.token_bytes(32)

    @classmethod
    def kept_in(cls, path: Path) -> TokenAuthority:
        """The signing key and admin token stored in `path` (made there on first use, mode 0600),
        so tokens issued before a restart stay valid after it, as with kube-apiserver's
        --service-account-key-file."""
        try:
            saved = json.loads(path.read_text())
            return cls(str(saved["admin_token"]), _unb64(str(saved["key"])))
        except FileNotFoundError:
            pass
        made = cls()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"admin_token": made.admin_token, "key": _b64(made.key)}, f)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
        return made

    def issue(
        self,
        namespace: str,
        sa_name: str,
        sa_uid: str,
        audiences: list[str],
        seconds: int,
        bound: dict[str, Any] | None = None,
    ) -> tuple[str, int]:
        """A signed service-account JWT and its expiry (unix seconds)."""
        issued = int(time.time())
        exp = issued + seconds
        claims: dict[str, Any] = {
            "aud": audiences or [ISSUER],
            "exp": exp,
            "iat": issued,
            "nbf": issued,
            "iss": ISSUER,
            "sub": f"system:serviceaccount:{namespace}:{sa_name}",
            "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": sa_name, "uid": sa_uid}},
            "jti": str(uuid.uuid4()),
        }
        if bound:
            claims["kubernetes.io"].update(bound)
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        sig = _b64(hmac.new(self.key, f"{head}.{body}".encode(), hashlib.sha256).digest())
        return f"{head}.{body}.{sig}", exp

    def verify(self, token: str) -> dict[str, Any] | None:
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = _b64(hmac.new(self.key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, parts[2]):
            return None
        try:
            claims = json.loads(_unb64(parts[1]))
        except ValueError:
            return None
        if not isinstance(claims, dict) or claims.get("exp", 0) < time.time():
            return None
        if claims.get("nbf", 0) > time.time() + 60:
            return None
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if ISSUER not in audiences:
            # a token minted for another audience (spec.audiences) is not for this server
            return None
        return claims

    def authenticate(self, authorization: str | None) -> User | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        token = authorization[7:].strip()
        if not token.isascii():
            # a forged token; header bytes beyond ASCII cannot be compared as digests
            return None
        if hmac.compare_digest(token.encode(), self.admin_token.encode()):
            return ADMIN
        claims = self.verify(token)
        if claims is None:
            return None
        k8s = claims.get("kubernetes.io") or {}
        ns = k8s.get("namespace", "")
        sa = k8s.get("serviceaccount") or {}
        extra: dict[str, list[str]] = {}
        pod = k8s.get("pod")
        if isinstance(pod, dict):
            # a token bound to a pod names it, and stops working with it (checked by the caller)
            extra = {
                POD_NAME_EXTRA: [str(pod.get("name") or "")],
                POD_UID_EXTRA: [str(pod.get("uid") or "")],
            }
        if claims.get("jti"):
            # which token it was, for audit logs (kube-apiserver's service-account authenticator)
            extra[CREDENTIAL_ID_EXTRA] = [f"JTI={claims['jti']}"]
        return User(
            str(claims.get("sub", "")),
            str(sa.get("uid", "")),
            ("system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"),
            extra,
        )
