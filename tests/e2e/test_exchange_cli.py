"""`karakoram exchange refusals` lists what was refused, counted and sampled;
`karakoram partners revoke-key` ends a partner's key at once."""

from __future__ import annotations

from datetime import UTC, datetime

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.exchange.signing import new_key, public_jwk
from karakoram.bootstrap import bootstrap
from karakoram.config import load_settings
from karakoram.services.records import Partner, PartnerKey
from tests.e2e.test_cli import run

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _node(workdir):
    url = f"sqlite:///{workdir / 'node.db'}"
    return bootstrap(load_settings(database_url=url), engine=build_engine(url))


def test_refusals_are_listed_and_a_key_is_revoked_from_the_cli(tmp_path):
    run(tmp_path, "db", "upgrade")
    node = _node(tmp_path)
    with node.ctx.uow() as uow:
        uow.exchange.add_partner(Partner("PK-GB", "Sost", "PK", "http://pk", ("exit",)), AT)
        uow.exchange.add_key("PK-GB", PartnerKey("pk-1", public_jwk(new_key("pk-1")), AT, None))
        for _ in range(7):
            uow.exchange.count_refusal("", "malformed", AT.replace(minute=0))
        uow.exchange.add_refusal(None, "malformed", "Not a compact JWS", "ab" * 32, 12, AT)
        uow.commit()
    listed = run(tmp_path, "exchange", "refusals", "--hours", "1000000").stdout
    assert "malformed" in listed and "(not a partner)" in listed and "7" in listed
    assert "Not a compact JWS" in listed
    revoked = run(tmp_path, "partners", "revoke-key", "PK-GB", "pk-1")
    assert "revoked" in revoked.stdout
    with node.ctx.uow() as uow:
        (key,) = uow.exchange.keys("PK-GB")
    assert key.revoked_at is not None
    unknown = run(tmp_path, "partners", "revoke-key", "PK-GB", "nope", check=False)
    assert unknown.returncode != 0 and "no key" in unknown.stdout + unknown.stderr
    node.close()


def test_the_types_shared_with_a_partner_are_set_from_the_cli(tmp_path):
    run(tmp_path, "db", "upgrade")
    node = _node(tmp_path)
    with node.ctx.uow() as uow:
        uow.exchange.add_partner(Partner("PK-GB", "Sost", "PK", "http://pk", ("exit",)), AT)
        uow.commit()
    shared = run(
        tmp_path, "partners", "share", "PK-GB", "--type", "joint_inspection_proposed",
        "--type", "document_shared",
    )  # fmt: skip
    assert "joint_inspection_proposed, document_shared" in shared.stdout
    with node.ctx.uow() as uow:
        partner = uow.exchange.partner("PK-GB")
    assert partner is not None
    assert partner.message_types == ("joint_inspection_proposed", "document_shared")
    wrong = run(tmp_path, "partners", "share", "PK-GB", "--type", "gossip", check=False)
    assert wrong.returncode != 0 and "gossip" in wrong.stdout + wrong.stderr
    stranger = run(tmp_path, "partners", "share", "XX-NONE", check=False)
    assert stranger.returncode != 0 and "not a partner" in stranger.stdout + stranger.stderr
    node.close()
