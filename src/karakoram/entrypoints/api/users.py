"""Users and keys, for administrators."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Role, require_role
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.api.schemas import NewUserOut, UserIn, UserOut
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services import users

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[UserOut], dependencies=[needs(Cap.ADMINISTER_USERS)])
def list_users(node: NodeDep, principal: PrincipalDep) -> list[UserOut]:
    require_role(principal, Role.ADMINISTRATOR)
    return [UserOut.of(u) for u in users.list_users(node.ctx)]


@router.post(
    "", response_model=NewUserOut, status_code=201, dependencies=[needs(Cap.ADMINISTER_USERS)]
)
def add_user(body: UserIn, node: NodeDep, principal: PrincipalDep) -> NewUserOut:
    """Create a user; the response carries its API key, which is never shown again."""
    require_role(principal, Role.ADMINISTRATOR)
    new = users.add_user(body.name, body.role, body.party, node.ctx, node.hasher)
    return NewUserOut(**UserOut.of(new.user).model_dump(), api_key=new.api_key)


class PasswordIn(BaseModel):
    password: str = Field(description="At least 12 characters, not containing the user name.")


@router.put(
    "/{name}/password",
    status_code=204,
    response_class=Response,
    dependencies=[needs(Cap.ADMINISTER_USERS)],
)
async def set_password(
    name: str, body: PasswordIn, node: NodeDep, principal: PrincipalDep
) -> Response:
    """Set or reset a user's password (for the web sign-in); their password sessions end."""
    require_role(principal, Role.ADMINISTRATOR)
    # argon2 is slow on purpose: off the event loop
    await run_in_threadpool(users.set_password, name, body.password, node.ctx, node.hasher)
    return Response(status_code=204)


@router.post("/{name}/revoke", response_model=UserOut, dependencies=[needs(Cap.ADMINISTER_USERS)])
def revoke_user(name: str, node: NodeDep, principal: PrincipalDep) -> UserOut:
    """Deactivate a user: its key and password stop working and its web sessions end."""
    require_role(principal, Role.ADMINISTRATOR)
    return UserOut.of(users.revoke_user(name, node.ctx))


@router.get("/me", response_model=dict[str, str | None], tags=["users"])
def whoami(principal: PrincipalDep) -> dict[str, str | None]:
    """Who the key you sent belongs to."""
    return {"name": principal.name, "role": principal.role.value, "party": principal.party}
