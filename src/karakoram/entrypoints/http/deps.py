"""Dependencies for short route signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from karakoram.bootstrap import Node
from karakoram.domain.access import Principal


# Both dependencies are async on purpose: FastAPI runs sync dependencies in the thread pool,
# and two thread hops per request cost more than the work they do.
async def get_node(request: Request) -> Node:
    node = request.app.state.node
    assert isinstance(node, Node)
    return node


NodeDep = Annotated[Node, Depends(get_node)]


async def current_principal(request: Request, node: NodeDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    api_key = key.strip() if scheme.lower() == "bearer" else None
    known = node.authenticator.remembered(api_key)
    if known is not None:
        return known
    # argon2 and a query: off the event loop
    return await run_in_threadpool(node.authenticator.authenticate, api_key)


PrincipalDep = Annotated[Principal, Depends(current_principal)]
