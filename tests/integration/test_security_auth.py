"""Issue 14, sessions and authentication: forged and captured cookies, session timeouts, key
revocation, unknown key ids, failed sign-ins slowed and locked, weak passwords, the security
log."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from karakoram.domain.errors import AuthenticationFailed, ValidationFailed
from karakoram.entrypoints.web.session import COOKIE, COOKIE_PATH, SessionCodec
from karakoram.services.authentication import Authenticator
from karakoram.services.security import SECURITY_LOGGER
from karakoram.services.throttle import TooManyAttempts
from karakoram.services.users import issue_key, revoke_user, set_password, unlock
from tests.integration.test_web import csrf_of, key_of, sign_in

PASSWORD = "granite cliffs at dawn"


class Clock:
    """The real time authentication measures, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(node) -> Clock:
    moved = Clock()
    node.ctx.security = dataclasses.replace(node.ctx.security, now=moved)
    return moved


def password_sign_in(client, name, password):
    token = csrf_of(client.get("/ui/sign-in"))
    return client.post("/ui/sign-in", data={"csrf": token, "name": name, "password": password})


def signed_in(client) -> bool:
    return client.get("/ui", follow_redirects=False).status_code == 200


def test_the_forged_admin_cookie_of_the_issue_opens_nothing(client, keys, node):
    # the attack: a cookie naming user 1 with stamp 0, signed with the old default key --
    # and, worse, with the node's own cookie key, as if it had leaked
    for secret in (b"change-me", node.settings.secret("csrf_secret")):
        codec = SessionCodec(secret)
        serializer: URLSafeTimedSerializer = codec._serializer
        forged = serializer.dumps(
            {"csrf": "x" * 43, "user_id": 1, "stamp": 0, "key_id": None, "sid": "guessed"}
        )
        client.cookies.set(COOKIE, forged, path=COOKIE_PATH)
        assert client.get("/ui/admin/users", follow_redirects=False).status_code == 303
        assert not signed_in(client)


def test_sign_out_ends_a_captured_cookie(client, keys, node):
    set_password("officer", PASSWORD, node.ctx, node.hasher)
    assert password_sign_in(client, "officer", PASSWORD).status_code == 200
    captured = client.cookies.get(COOKIE, path=COOKIE_PATH)
    token = csrf_of(client.get("/ui"))
    client.post("/ui/sign-out", data={"csrf": token})
    assert not signed_in(client)
    client.cookies.set(COOKIE, captured, path=COOKIE_PATH)  # the attacker replays it
    assert not signed_in(client)


def test_a_session_ends_when_idle_and_after_its_absolute_lifetime(client, keys, clock):
    sign_in(client, keys.officer)
    for _ in range(3):  # used every 29 minutes: still alive after 87 minutes
        clock.advance(minutes=29)
        assert signed_in(client)
    clock.advance(minutes=31)
    assert not signed_in(client)  # idle for more than 30 minutes
    sign_in(client, keys.officer)
    for _ in range(24):  # used every 25 minutes for ten hours
        clock.advance(minutes=25)
        assert signed_in(client)
    clock.advance(minutes=25 * 5)
    assert not signed_in(client)  # 12 hours after sign-in, however busy


def test_a_password_session_needs_a_password_and_the_cookie_holds_only_ids(client, keys, node):
    set_password("officer", PASSWORD, node.ctx, node.hasher)
    password_sign_in(client, "officer", PASSWORD)
    value = client.cookies.get(COOKIE, path=COOKIE_PATH)
    assert "officer" not in value and PASSWORD not in value
    with node.ctx.uow() as uow:
        user = uow.users.by_name("analyst")  # never had a password
    assert user is not None and user.password_hash is None
    assert password_sign_in(client, "analyst", "").status_code == 401


def test_a_revoked_or_replaced_key_fails_on_the_next_request(client, keys, node):
    assert client.get("/declarations", headers=keys.trader).status_code == 200
    revoke_user("kashgar", node.ctx)
    refused = client.get("/declarations", headers=keys.trader)
    assert refused.status_code == 401
    assert client.get("/queue", headers=keys.officer).status_code == 200
    fresh = issue_key("officer", node.ctx)
    assert client.get("/queue", headers=keys.officer).status_code == 401
    assert client.get("/queue", headers={"Authorization": f"Bearer {fresh.api_key}"}).is_success


def test_unknown_and_known_key_ids_fail_the_same_way(client, keys):
    known_id = key_of(keys.officer).split("_")[1]
    answers = [
        client.get("/queue", headers={"Authorization": f"Bearer kk_{key_id}_{'A' * 43}"})
        for key_id in (known_id, "0123456789ab")
    ]
    assert [a.status_code for a in answers] == [401, 401]
    assert answers[0].json()["detail"] == answers[1].json()["detail"]
    assert answers[0].headers.get("www-authenticate") == answers[1].headers.get("www-authenticate")


def test_api_keys_are_stored_as_hmacs_not_argon2(keys, node):
    with node.ctx.uow() as uow:
        user = uow.users.by_name("officer")
    assert user is not None and len(user.key_hash) == 64 and not user.key_hash.startswith("$")
    assert key_of(keys.officer).split("_", 2)[2] not in user.key_hash


def test_failed_sign_ins_slow_then_lock_the_account_until_unlocked(node, keys, clock, caplog):
    caplog.set_level(logging.INFO, logger=SECURITY_LOGGER)
    set_password("officer", PASSWORD, node.ctx, node.hasher)
    auth: Authenticator = node.authenticator
    for attempt in range(5):
        with pytest.raises(AuthenticationFailed):
            auth.sign_in_with_password("officer", "wrong password", "10.0.0.1")
        if attempt == 3:  # after three free failures, the next one must wait
            with pytest.raises(TooManyAttempts):
                auth.sign_in_with_password("officer", PASSWORD, "10.0.0.1")
        clock.advance(seconds=40)
    # locked: even the right password from another address is refused, for minutes
    with pytest.raises(TooManyAttempts):
        auth.sign_in_with_password("officer", PASSWORD, "10.0.0.2")
    clock.advance(minutes=5)
    with pytest.raises(TooManyAttempts):
        auth.sign_in_with_password("officer", PASSWORD, "10.0.0.2")
    assert unlock("officer", None, node.ctx) == 1
    assert auth.sign_in_with_password("officer", PASSWORD, "10.0.0.2").user.name == "officer"
    events = [r.security["event"] for r in caplog.records if r.name == SECURITY_LOGGER]
    assert events.count("sign_in_failed") == 5
    assert {"locked", "attempt_throttled", "unlocked", "signed_in"} <= set(events)


def test_an_account_lock_ends_by_itself_after_minutes(node, keys, clock):
    set_password("officer", PASSWORD, node.ctx, node.hasher)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            node.authenticator.sign_in_with_password("officer", "nope nope nope", None)
        clock.advance(seconds=40)
    with pytest.raises(TooManyAttempts):
        node.authenticator.sign_in_with_password("officer", PASSWORD, None)
    clock.advance(minutes=16)
    assert node.authenticator.sign_in_with_password("officer", PASSWORD, None)


def test_an_address_that_keeps_failing_is_locked_for_every_account(node, keys, clock):
    set_password("officer", PASSWORD, node.ctx, node.hasher)
    for n in range(20):
        with pytest.raises(AuthenticationFailed):
            node.authenticator.sign_in_with_password(f"guess-{n}", "x", "192.0.2.7")
        clock.advance(seconds=31)
    with pytest.raises(TooManyAttempts):
        node.authenticator.sign_in_with_password("officer", PASSWORD, "192.0.2.7")
    with pytest.raises(TooManyAttempts):  # keys too, from that address
        node.authenticator.authenticate(key_of(keys.officer), "192.0.2.7")
    assert node.authenticator.sign_in_with_password("officer", PASSWORD, "192.0.2.8")
    unlock(None, "192.0.2.7", node.ctx)
    assert node.authenticator.authenticate(key_of(keys.officer), "192.0.2.7").name == "officer"


def test_a_key_s_owner_is_not_shut_out_by_failures_with_its_id(node, keys, clock):
    known_id = key_of(keys.officer).split("_")[1]
    for n in range(8):
        with pytest.raises(AuthenticationFailed):
            node.authenticator.authenticate(f"kk_{known_id}_{'B' * 43}", f"198.51.100.{n}")
    assert node.authenticator.authenticate(key_of(keys.officer), "203.0.113.1").name == "officer"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("aaaaaaaaaaaa", "one_character"),
        (" " * 12, "one_character"),
        ("password1234", "common"),
        ("Qwertyuiop123", "common"),
        ("short one", "too_short"),
        ("officer on duty", "contains_name"),
    ],
)
def test_weak_passwords_are_refused(node, keys, password, code):
    with pytest.raises(ValidationFailed) as refused:
        set_password("officer", password, node.ctx, node.hasher)
    assert code in [e.code for e in refused.value.errors]


def test_abandoned_sessions_are_swept_at_the_next_sign_in(client, keys, node, clock):
    sign_in(client, keys.officer)
    clock.advance(minutes=31)
    client.cookies.clear()
    sign_in(client, keys.analyst)
    with node.ctx.uow() as uow:
        # sweep everything that is left: only the analyst's session, just started
        left = uow.auth.delete_expired_sessions(clock.now + timedelta(seconds=1), clock.now)
    assert left == 1
