"""The typed message bodies: one parser for every type, and what it says of a bad body."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from karakoram.domain.exchange.bodies import (
    AuditCheckpoint,
    Body,
    CargoReportNotice,
    ControlResult,
    ExitConfirmation,
    ExportPreArrival,
    ImportClearanceResult,
    MalformedBody,
    MessageType,
    OriginCertificate,
    ReconcileRequest,
    UnknownMessageType,
    message_types,
    parse_body,
)
from karakoram.domain.exchange.envelope import Envelope, Refused, parse_envelope

AT = "2026-05-04T08:00:00+00:00"
DECLARATION = {"exporter": {"identifier": "CN-EXP"}, "importer": {"identifier": "PK-IMP"}}

EXAMPLES: list[Body] = [
    ExportPreArrival(DECLARATION, AT),
    ExitConfirmation(AT, "KHUNJERAB"),
    ControlResult("inspection", "compliant", {"seals": "intact"}, AT, ("CN-EXP", "PK-IMP")),
    ControlResult("documents", "discrepancy", {}, AT),
    ImportClearanceResult("refused", ("prohibited goods",), AT, ("CN-EXP", "PK-IMP")),
    ImportClearanceResult("accepted", ("",), AT, ("CN-EXP", "PK-IMP"), DECLARATION, AT),
    OriginCertificate("CN-COO-1", "CPFTA", "CN", ("847130", "854442"), AT),
    AuditCheckpoint(12, "a" * 64, AT, "header.payload.signature"),
    ReconcileRequest(AT, AT),
    CargoReportNotice("CN-HAUL-0001", {"reference": "CR-1", "consignments": []}, AT),
]


@pytest.mark.parametrize("body", EXAMPLES, ids=lambda b: b.type.value)
def test_every_body_type_round_trips_through_json(body):
    wire = json.loads(json.dumps(body.as_dict()))
    assert parse_body(body.type, wire) == body


def test_the_wire_keys_are_the_field_names_and_absent_options_are_left_out():
    refused = ImportClearanceResult("refused", ("late",), AT, ("A", "B"))
    assert refused.as_dict() == {
        "outcome": "refused",
        "reasons": ["late"],
        "at": AT,
        "parties": ["A", "B"],
    }


@pytest.mark.parametrize("since", ["yesterday", "2026-05-04T08:00:00", 20260504])
def test_a_reconcile_request_needs_a_time_with_its_zone(since):
    with pytest.raises(MalformedBody) as caught:
        parse_body(MessageType.RECONCILE_REQUEST, {"since": since, "asked_at": AT})
    assert caught.value.fields == ("since",)


def test_a_body_missing_a_field_names_it():
    with pytest.raises(MalformedBody) as caught:
        parse_body(MessageType.EXIT_CONFIRMATION, {"exited_at": AT})
    assert caught.value.fields == ("crossing",)
    assert "crossing" in caught.value.detail


def test_a_field_of_the_wrong_json_type_is_named():
    body = {"certificate": "C-1", "agreement": "CPFTA", "origin": "CN", "issued_at": AT}
    with pytest.raises(MalformedBody) as caught:
        parse_body(MessageType.ORIGIN_CERTIFICATE, body | {"hs_codes": "847130"})
    assert caught.value.fields == ("hs_codes",)


def test_an_import_outcome_outside_the_three_is_refused():
    with pytest.raises(MalformedBody) as caught:
        parse_body(
            MessageType.IMPORT_CLEARANCE_RESULT, {"outcome": "maybe", "reasons": [], "at": AT}
        )
    assert caught.value.fields == ("outcome",)


def test_an_envelope_with_a_malformed_body_is_refused_as_schema():
    envelope = Envelope(
        "m-1", MessageType.EXIT_CONFIRMATION, "CN-URC", "PK-GB", datetime.now(UTC), {}, EXAMPLES[1]
    ).as_dict()
    assert parse_envelope(envelope).body == EXAMPLES[1]
    del envelope["body"]["crossing"]
    with pytest.raises(Refused) as caught:
        parse_envelope(envelope)
    assert caught.value.code == "schema" and "crossing" in caught.value.detail


def test_what_every_body_answers():
    pre, _exit, control, *_ = EXAMPLES
    assert pre.declared == DECLARATION and pre.named_parties == ("CN-EXP", "PK-IMP")
    assert control.verdict == "compliant" and control.happened_at == AT
    assert EXAMPLES[5].declared == DECLARATION and EXAMPLES[4].declared is None


def test_message_types_default_to_all_and_refuse_unknown_names():
    assert message_types(None) == tuple(MessageType)
    assert message_types(["exit_confirmation"]) == (MessageType.EXIT_CONFIRMATION,)
    with pytest.raises(UnknownMessageType):
        message_types(["gossip"])


@pytest.mark.parametrize("size", ["12", -1, 1.5, True, None])
def test_an_audit_checkpoint_needs_a_whole_non_negative_size(size):
    body = {"size": size, "head": "a" * 64, "at": AT, "token": "t"}
    with pytest.raises(MalformedBody) as caught:
        parse_body(MessageType.AUDIT_CHECKPOINT, body)
    assert caught.value.fields == ("size",)
