"""Dependencies for short route signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from karakoram.bootstrap import Node
from karakoram.domain.access import Principal


def get_node(request: Request) -> Node:
    node = request.app.state.node
    assert isinstance(node, Node)
    return node


NodeDep = Annotated[Node, Depends(get_node)]


def current_principal(request: Request, node: NodeDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    return node.authenticator.authenticate(key.strip() if scheme.lower() == "bearer" else None)


PrincipalDep = Annotated[Principal, Depends(current_principal)]
