"""Bearer keys on every route but the open ones; each route names the scopes it needs."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hearflow.http.errors import ApiError
from hearflow.http.keys import ApiKey, find_key

bearer = HTTPBearer(auto_error=False, description="an API key from `hearflow keys create`")


def require(*scopes: str):
    def authorized(request: Request,
                   credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> ApiKey:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise ApiError("send an API key as 'Authorization: Bearer <key>'", code="unauthorized",
                           hint="create one with: hearflow keys create --scope hear:transcribe")
        key = find_key(request.app.state.api.db, credentials.credentials)
        if key is None or key.revoked_at:
            raise ApiError("this API key is unknown or revoked", code="unauthorized")
        request.state.key_id = key.id
        missing = [scope for scope in scopes if scope not in key.scopes]
        if missing:
            raise ApiError(f"this key lacks the scope {', '.join(missing)}", code="forbidden",
                           hint=f"create a key with --scope {' --scope '.join(scopes)}")
        return key

    return authorized
