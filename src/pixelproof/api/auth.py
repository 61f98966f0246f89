"""Bearer-token authentication against the Store's API keys."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from ..storage import KeyInfo

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer pp_<key id>_<secret>`")


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> KeyInfo | None:
    """The caller's key; None on an open-access server."""
    if request.app.state.open_access:
        return None
    if credentials is None:
        raise _unauthorized("an API key is required: send 'Authorization: Bearer <token>'")
    key = request.app.state.store.verify_token(credentials.credentials)
    if key is None:
        raise _unauthorized("this API key is not valid or has been revoked")
    return key


ApiKey = Annotated[KeyInfo | None, Depends(authenticate)]
