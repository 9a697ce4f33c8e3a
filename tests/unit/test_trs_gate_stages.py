"""The TRS's gate stages (docs/gate.md, "Clearance time"): presentation measured from the
truck's arrival, release from the presentation when the goods came later, cleared from
release, and the clearance time from the presentation."""

from datetime import UTC, datetime, timedelta

from karakoram.domain.statistics.stages import MEASURED, Stage, stage_times, timeline

T0 = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_the_gate_stages_are_measured():
    assert [s.value for s in MEASURED] == [
        "presentation", "lodgement", "acceptance", "assessment", "control", "payment",
        "release", "cleared", "exit",
    ]  # fmt: skip


def test_a_pre_lodged_green_import_released_at_presentation_took_no_clearance_time():
    events = [
        ("lodge", at(-600)),
        ("accept", at(-600)),
        ("assess", at(-599)),
        ("pay", at(-590)),
        ("release", at(20)),  # released by the presentation itself
        ("clear", at(20)),
    ]
    times = stage_times(events, at(0), at(20))
    assert times[Stage.PRESENTATION] == at(20) and times[Stage.CLEARED] == at(20)
    line = timeline(times, "cleared")
    assert line.pre_lodged and not line.out_of_order
    assert line.durations["presentation"] == 20 * 60  # the wait at the post
    assert line.durations["release"] == 0.0  # from presentation, not from the payment
    assert line.durations["cleared"] == 0.0
    assert line.total == 0.0  # clearance time runs from presentation


def test_a_red_import_is_timed_from_presentation_through_its_inspection():
    events = [
        ("lodge", at(-120)),
        ("assess", at(-119)),
        ("inspect", at(90)),
        ("release", at(100)),
        ("clear", at(130)),
    ]
    line = timeline(stage_times(events, at(0), at(10)), "cleared")
    assert line.durations["presentation"] == 10 * 60
    assert line.durations["control"] == (90 + 119) * 60  # from assessment, as before
    assert line.durations["release"] == 10 * 60  # from the inspection: it came after presentation
    assert line.durations["cleared"] == 30 * 60
    assert line.total == 90 * 60  # presentation (at 10) to release (at 100)
    assert not line.out_of_order


def test_without_a_presentation_the_clock_starts_at_arrival_as_before():
    events = [("lodge", at(5)), ("assess", at(6)), ("release", at(60))]
    line = timeline(stage_times(events, at(0)), "released")
    assert "presentation" not in line.durations and "cleared" not in line.durations
    assert line.total == 60 * 60
    assert line.durations["release"] == 54 * 60


def test_a_presentation_after_release_does_not_start_the_clock():
    # an import released before the gate rule, its truck presented later: arrival counts
    events = [("lodge", at(5)), ("release", at(60))]
    line = timeline(stage_times(events, at(0), at(90)), "released")
    assert line.total == 60 * 60
    assert line.durations["release"] == 55 * 60


def test_a_presentation_before_the_arrival_is_out_of_order_and_counts_zero():
    line = timeline(stage_times([("lodge", at(-5))], at(10), at(0)), "lodged")
    assert line.out_of_order and line.durations["presentation"] == 0.0
    assert line.open and line.total is None


def test_an_open_import_presented_shows_its_presentation():
    times = stage_times([("lodge", at(-60)), ("assess", at(-59))], at(0), at(15))
    line = timeline(times, "assessed")
    assert line.open and line.durations["presentation"] == 15 * 60
    assert "release" not in line.durations


def test_the_analysts_page_shows_every_stage_in_order():
    from karakoram.entrypoints.web.analyst_views import STAGE_LABELS

    assert list(STAGE_LABELS) == [s.value for s in MEASURED]
