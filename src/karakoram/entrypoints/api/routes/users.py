"""Users and keys, for administrators."""

from __future__ import annotations

from fastapi import APIRouter

from karakoram.domain.access import Role, require_role
from karakoram.entrypoints.api.deps import NodeDep, PrincipalDep
from karakoram.entrypoints.api.schemas import NewUserOut, UserIn, UserOut
from karakoram.services import users

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[UserOut])
def list_users(node: NodeDep, principal: PrincipalDep) -> list[UserOut]:
    require_role(principal, Role.ADMINISTRATOR)
    return [UserOut.of(u) for u in users.list_users(node.ctx)]


@router.post("", response_model=NewUserOut, status_code=201)
def add_user(body: UserIn, node: NodeDep, principal: PrincipalDep) -> NewUserOut:
    """Create a user; the response carries its API key, which is never shown again."""
    require_role(principal, Role.ADMINISTRATOR)
    new = users.add_user(body.name, body.role, body.party, node.ctx, node.hasher)
    return NewUserOut(**UserOut.of(new.user).model_dump(), api_key=new.api_key)


@router.get("/me", response_model=dict[str, str | None], tags=["users"])
def whoami(principal: PrincipalDep) -> dict[str, str | None]:
    """Who the key you sent belongs to."""
    return {"name": principal.name, "role": principal.role.value, "party": principal.party}
