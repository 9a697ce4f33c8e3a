"""The partner client: HTTP delivery of signed messages, over an injectable httpx transport
(tests run two nodes in one process through `httpx.ASGITransport`, or drop and duplicate).

Over https it checks the partner's server certificate (against `ca_bundle` when given, else
the system's) and, for partners that ask for mutual TLS, presents `client_cert`."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from pathlib import Path

import httpx
import orjson

from karakoram.services.exchange.config import DeliveryFailed
from karakoram.services.exchange.delivery import DELIVERY_HEADER
from karakoram.services.records import PartnerRefusal

JOSE = "application/jose"


def _answer(answer: object) -> str | PartnerRefusal | None:
    """One message's result in a batch answer: its receipt, the refusal, or None."""
    if not isinstance(answer, dict):
        return None
    if isinstance(answer.get("receipt"), str):
        return str(answer["receipt"])
    if isinstance(answer.get("refused"), str):
        return PartnerRefusal(str(answer["refused"]), str(answer.get("detail") or ""))
    return None


class HttpPeer:
    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        *,
        client_cert: tuple[Path, Path] | None = None,
        ca_bundle: Path | None = None,
    ) -> None:
        verify: ssl.SSLContext | bool = True
        if client_cert is not None or ca_bundle is not None:
            verify = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
            if client_cert is not None:
                verify.load_cert_chain(str(client_cert[0]), str(client_cert[1]))
        self._client = httpx.Client(transport=transport, timeout=timeout, verify=verify)

    def deliver(self, base_url: str, token: str, delivery: str) -> str:
        try:
            response = self._client.post(
                f"{base_url.rstrip('/')}/exchange/messages",
                content=token.encode(),
                headers={"Content-Type": JOSE, DELIVERY_HEADER: delivery},
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:300]}")
        return response.text

    def deliver_many(
        self, base_url: str, tokens: Sequence[str], delivery: str
    ) -> list[str | PartnerRefusal | None]:
        """Several messages in one request, with the relay's signed proof of this attempt; a
        receipt (or None when refused) for each."""
        try:
            response = self._client.post(
                f"{base_url.rstrip('/')}/exchange/batch",
                content=orjson.dumps({"delivery": delivery, "messages": list(tokens)}),
                headers={"Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:300]}")
        try:
            answers = orjson.loads(response.content).get("results", [])
        except (orjson.JSONDecodeError, AttributeError) as exc:
            raise DeliveryFailed("The partner's answer is not a batch's results.") from exc
        if not isinstance(answers, list) or len(answers) != len(tokens):
            raise DeliveryFailed("The partner answered for another number of messages.")
        return [_answer(a) for a in answers]

    def _ask(self, base_url: str, path: str, query: str) -> httpx.Response:
        """POST a signed question to the partner; `DeliveryFailed` when it cannot be asked."""
        try:
            return self._client.post(
                f"{base_url.rstrip('/')}{path}",
                content=query.encode(),
                headers={"Content-Type": JOSE},
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc

    def held(self, base_url: str, query: str) -> list[str]:
        """Ids of our messages the partner holds, for a signed reconciliation query."""
        response = self._ask(base_url, "/exchange/held", query)
        if response.status_code != 200:
            raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:300]}")
        ids = response.json()["message_ids"]
        return [str(i) for i in ids]

    def checkpoints(self, base_url: str, query: str) -> list[str]:
        """The tokens of our audit checkpoints the partner holds, for a signed question."""
        response = self._ask(base_url, "/exchange/checkpoints", query)
        if response.status_code != 200:
            raise DeliveryFailed(f"HTTP {response.status_code}: {_problem(response)}")
        try:
            tokens = response.json()["checkpoints"]
        except (ValueError, KeyError, TypeError) as exc:
            raise DeliveryFailed("The partner's answer is not a list of checkpoints.") from exc
        if not isinstance(tokens, list):
            raise DeliveryFailed("The partner's answer is not a list of checkpoints.")
        return [str(t) for t in tokens]

    def close(self) -> None:
        self._client.close()


def _problem(response: httpx.Response) -> str:
    """A refusal's code and detail (problem+json), else the start of the answer."""
    try:
        body = response.json()
        return f"{body['code']}: {body['detail']}"[:300]
    except (ValueError, KeyError, TypeError):
        return response.text[:300]
