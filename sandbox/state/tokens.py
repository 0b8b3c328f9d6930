"""Token issuing and checking: HS256 JWTs signed with a per-process random key, or (with
``opaque`` set) random opaque tokens the authority remembers with their expiry.

Revocation is a generation counter: every token carries the generation it was issued in
(claim ``gen``, or kept beside an opaque token); "revoke all tokens" increments the
generation, so every token issued before it is rejected while tokens issued afterwards are
accepted. Both kinds stay valid until they expire whatever ``opaque`` is switched to later.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Literal

import jwt

__all__ = ["AuthError", "AuthScheme", "IssuedToken", "TokenAuthority"]

AuthScheme = Literal["raw", "bearer"]
_ALGORITHM = "HS256"
_ISSUER = "roit-sandbox"
_PRUNE_EVERY = 1024  # forget expired / revoked opaque tokens once this many more are held


class AuthError(Exception):
    """The request is not authenticated; the message says why (never echoes the token)."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int


class TokenAuthority:
    """Issues and verifies the sandbox's JWTs; thread-safe."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        lifetime_s: int,
        scheme: AuthScheme = "raw",
        opaque: bool = False,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.lifetime_s = lifetime_s
        self.scheme: AuthScheme = scheme
        self.opaque = opaque
        self._key = secrets.token_bytes(32)
        self._generation = 0
        self._lock = threading.Lock()
        # opaque token -> (expiry on the monotonic clock, generation)
        self._opaque: dict[str, tuple[float, int]] = {}
        self._next_prune = _PRUNE_EVERY

    def credentials_match(self, client_id: str, client_secret: str) -> bool:
        """Constant-time comparison of both credentials."""
        id_ok = secrets.compare_digest(client_id.encode(), self.client_id.encode())
        secret_ok = secrets.compare_digest(client_secret.encode(), self.client_secret.encode())
        return id_ok and secret_ok

    def issue(self) -> IssuedToken:
        """A new token for the configured client, valid for ``lifetime_s`` seconds."""
        now = time.time()
        with self._lock:
            generation = self._generation
        lifetime = self.lifetime_s
        if self.opaque:
            return self._issue_opaque(lifetime)
        claims = {
            "sub": self.client_id,
            "iss": _ISSUER,
            "iat": int(now),
            "exp": math.ceil(now + lifetime),
            "jti": str(uuid.uuid4()),
            "gen": generation,
        }
        return IssuedToken(jwt.encode(claims, self._key, algorithm=_ALGORITHM), lifetime)

    def _issue_opaque(self, lifetime: int) -> IssuedToken:
        token = secrets.token_urlsafe(32)  # no dots: never mistaken for a JWT
        with self._lock:
            self._opaque[token] = (time.monotonic() + lifetime, self._generation)
            if len(self._opaque) >= self._next_prune:
                now = time.monotonic()
                self._opaque = {
                    t: (exp, gen)
                    for t, (exp, gen) in self._opaque.items()
                    if exp > now and gen == self._generation
                }
                self._next_prune = len(self._opaque) + _PRUNE_EVERY
        return IssuedToken(token, lifetime)

    def _check_opaque(self, token: str) -> dict[str, object] | None:
        """The claims of a known opaque token, None if it is not one.

        Raises:
            AuthError: the token expired or was revoked.
        """
        with self._lock:
            known = self._opaque.get(token)
            if known is None:
                return None
            expires_at, generation = known
            if generation != self._generation:
                raise AuthError("token revoked")
            if time.monotonic() >= expires_at:
                del self._opaque[token]
                raise AuthError("token expired")
        return {"sub": self.client_id, "opaque": True}

    def revoke_all(self) -> None:
        """Invalidate every token issued so far."""
        with self._lock:
            self._generation += 1

    def check_header(self, header: str | None) -> dict[str, object]:
        """Verify an ``Authorization`` header value and return the token's claims.

        Raises:
            AuthError: missing header, wrong scheme, malformed / expired / revoked token.
        """
        if not header or not header.strip():
            raise AuthError("missing Authorization header")
        value = header.strip()
        has_bearer = value[:7].lower() == "bearer "
        if self.scheme == "raw":
            if has_bearer or " " in value:
                raise AuthError("wrong Authorization scheme: send the raw JWT, without a prefix")
            token = value
        else:
            if not has_bearer:
                raise AuthError("wrong Authorization scheme: expected 'Bearer <token>'")
            token = value[7:].strip()
        opaque_claims = self._check_opaque(token)
        if opaque_claims is not None:
            return opaque_claims
        try:
            claims: dict[str, object] = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                issuer=_ISSUER,
                options={"require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError("invalid token") from exc
        with self._lock:
            if claims.get("gen") != self._generation:
                raise AuthError("token revoked")
        return claims
