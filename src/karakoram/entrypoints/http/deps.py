"""Dependencies for short route signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from karakoram.bootstrap import Node
from karakoram.domain.access import Principal


# Async on purpose: FastAPI runs sync dependencies in the thread pool, and two thread hops per
# request cost more than the work they do.
async def get_node(request: Request) -> Node:
    node = request.app.state.node
    assert isinstance(node, Node)
    return node


NodeDep = Annotated[Node, Depends(get_node)]


#: how API clients authenticate; as a dependency of `current_principal` it marks every route
#: that needs a key in the OpenAPI (its Authorize button), and only parses the header: a
#: missing or malformed one gives None, and `authenticate` refuses it
API_KEY = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    bearerFormat="kk_…",
    description="An API key the node's administrator issued, sent as "
    "`Authorization: Bearer <key>`; the key and its revocation are checked on every request.",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(API_KEY)]


async def current_principal(request: Request, node: NodeDep, bearer: BearerDep) -> Principal:
    """The caller of an API route, by its bearer key. The key and its revocation are checked
    in the database on every request (no cache: a revocation works at once in every worker);
    the query runs off the event loop."""
    api_key = bearer.credentials.strip() if bearer is not None else None
    address = request.client.host if request.client else None
    principal = await run_in_threadpool(node.authenticator.authenticate, api_key, address)
    request.state.principal = principal  # the error mapper counts this caller's refusals
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
