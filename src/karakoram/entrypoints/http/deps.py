"""Dependencies for short route signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
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


async def current_principal(request: Request, node: NodeDep) -> Principal:
    """The caller of an API route, by its bearer key. The key and its revocation are checked
    in the database on every request (no cache: a revocation works at once in every worker);
    the query runs off the event loop."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    api_key = key.strip() if scheme.lower() == "bearer" else None
    address = request.client.host if request.client else None
    principal = await run_in_threadpool(node.authenticator.authenticate, api_key, address)
    request.state.principal = principal  # the error mapper counts this caller's refusals
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
