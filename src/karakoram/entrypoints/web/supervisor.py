"""The supervisor's pages: rule sets (edit, validate, back-test, activate, roll back), channel
overrides, the exchange."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Principal
from karakoram.domain.errors import KarakoramError, NotFound, ValidationFailed
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.http.errors import status_of
from karakoram.entrypoints.web.deps import CsrfDep, PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.officer import declaration_context
from karakoram.entrypoints.web.officer_forms import OverrideForm, override_form
from karakoram.entrypoints.web.refusals import FORM_ERRORS, pages_router
from karakoram.entrypoints.web.render import page_path
from karakoram.entrypoints.web.supervisor_forms import (
    PERIOD_FIELDS,
    ActivationForm,
    Period,
    RuleSetForm,
    activation_form,
    rule_set_form,
)
from karakoram.services import clearance as officer
from karakoram.services.exchange import overview as exchange_overview
from karakoram.services.policy import rule_sets as supervision
from karakoram.services.policy.rule_sets import Backtest

router = pages_router("/ui")

RuleSetFormDep = Annotated[RuleSetForm, Depends(rule_set_form)]
ActivationFormDep = Annotated[ActivationForm, Depends(activation_form)]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


class _Page:
    """One request's rendering: the page, with the refusal of the form it shows again."""

    def __init__(
        self,
        request: Request,
        node: NodeDep,
        pages: PagesDep,
        session: SessionDep,
        viewer: ViewerDep,
    ) -> None:
        self.request, self.node, self.pages, self.session = request, node, pages, session
        self.viewer: Principal = viewer
        self.ctx = node.ctx

    def show(
        self, template: str, failure: KarakoramError | None = None, **context: Any
    ) -> Response:
        status = status_of(failure) if failure else 200
        return self.pages.render(
            self.request,
            self.session,
            template,
            self.viewer,
            status_code=status,
            failure=failure,
            **context,
        )

    def url(self, name: str, **params: Any) -> str:
        return page_path(self.request, name, **params)


PageDep = Annotated[_Page, Depends(_Page)]


# ---- rule sets -------------------------------------------------------------------------------


@router.get("/rules", dependencies=[needs(Cap.READ_RULE_SETS)], name="ui-rules")
def rules(page: PageDep) -> Response:
    return _rules_page(page)


def _rules_page(page: _Page, failure: KarakoramError | None = None) -> Response:
    sets = supervision.rule_sets(page.viewer, page.ctx)
    return page.show("supervisor/rules.html", failure, sets=sets)


@router.get("/rules/new", dependencies=[needs(Cap.READ_RULE_SETS)], name="ui-rule-editor")
def editor(page: PageDep, start: Annotated[str, Query(alias="from")] = "") -> Response:
    """The editor, holding the text of version `from` (the active one by default)."""
    sets = supervision.rule_sets(page.viewer, page.ctx)
    base = int(start) if start.isascii() and start.isdigit() else sets.active
    text = supervision.rule_set(base, page.viewer, page.ctx).source if base else ""
    return _editor_page(page, RuleSetForm(text, "check", Period()), base=base)


def _editor_page(
    page: _Page,
    form: RuleSetForm,
    failure: KarakoramError | None = None,
    base: int | None = None,
    checked: str | None = None,
) -> Response:
    errors = failure.errors if isinstance(failure, ValidationFailed) else []
    return page.show(
        "supervisor/editor.html",
        failure,
        form=form,
        base=base,
        checked=checked,
        text_errors=[e for e in errors if e.pointer not in PERIOD_FIELDS],
        period_errors={e.pointer: e.message for e in errors if e.pointer in PERIOD_FIELDS},
    )


@router.post("/rules/new", dependencies=[needs(Cap.READ_RULE_SETS), CsrfDep], name="ui-rule-save")
def save(page: PageDep, form: RuleSetFormDep) -> Response:
    """Check the text (risk analysts too), or store it as a new draft version (editors of rule
    sets only); a refusal keeps the text."""
    try:
        if form.intent != "save":
            checked = supervision.check_rule_set(form.text, page.viewer, page.ctx)
            return _editor_page(page, form, checked=checked.name)
        doc = supervision.save_rule_set(form.text, page.viewer, page.ctx)
    except ValidationFailed as exc:
        return _editor_page(page, form, exc)
    return _see_other(page.url("ui-rule", version=doc.version))


@router.post(
    "/rules/backtest", dependencies=[needs(Cap.BACKTEST), CsrfDep], name="ui-rule-backtest-draft"
)
def backtest_draft(page: PageDep, form: RuleSetFormDep) -> Response:
    """Back-test the editor's text without storing it."""
    try:
        first, last = form.period.days()
        result = supervision.backtest_rule_set(form.text, page.viewer, page.ctx, first, last)
    except ValidationFailed as exc:
        return _editor_page(page, form, exc)
    return _backtest_page(page, result, form.period, draft=form.text)


@router.post(
    "/rules/rollback", dependencies=[needs(Cap.EDIT_RULE_SETS), CsrfDep], name="ui-rule-rollback"
)
def rollback(page: PageDep, form: ActivationFormDep) -> Response:
    try:
        supervision.roll_back_rule_set(form.seen_active(), page.viewer, page.ctx, form.reason)
    except FORM_ERRORS as exc:
        return _rules_page(page, exc)
    return _see_other(page.url("ui-rules"))


@router.get("/rules/{version:int}", dependencies=[needs(Cap.READ_RULE_SETS)], name="ui-rule")
def rule(version: int, page: PageDep) -> Response:
    return _rule_page(page, version)


def _rule_page(
    page: _Page,
    version: int,
    failure: KarakoramError | None = None,
    period: Period | None = None,
) -> Response:
    sets = supervision.rule_sets(page.viewer, page.ctx)
    doc = supervision.rule_set(version, page.viewer, page.ctx)
    errors = failure.errors if isinstance(failure, ValidationFailed) else []
    return page.show(
        "supervisor/rule.html",
        failure,
        doc=doc,
        sets=sets,
        period=period or Period(),
        period_errors={e.pointer: e.message for e in errors},
    )


@router.get(
    "/rules/{version:int}/backtest", dependencies=[needs(Cap.BACKTEST)], name="ui-rule-backtest"
)
def backtest_version(
    version: int,
    page: PageDep,
    lodged_from: str = "",
    lodged_to: str = "",
) -> Response:
    """Back-test a stored version over a period (changes nothing, so a GET)."""
    period = Period(lodged_from, lodged_to)
    try:
        first, last = period.days()
        result = supervision.backtest_rule_set(version, page.viewer, page.ctx, first, last)
    except ValidationFailed as exc:
        return _rule_page(page, version, exc, period)
    return _backtest_page(page, result, period, version=version)


def _backtest_page(
    page: _Page,
    result: Backtest,
    period: Period,
    version: int | None = None,
    draft: str | None = None,
) -> Response:
    sets = supervision.rule_sets(page.viewer, page.ctx)
    chart = {
        "channels": [s.channel for s in result.shares],
        "tested": [s.share for s in result.shares],
        "actual": [s.actual_share for s in result.shares],
    }
    return page.show(
        "supervisor/backtest.html",
        result=result,
        report=result.report,
        chart=chart,
        sets=sets,
        period=period,
        version=version,
        draft=draft,
    )


@router.post(
    "/rules/{version:int}/activate",
    dependencies=[needs(Cap.EDIT_RULE_SETS), CsrfDep],
    name="ui-rule-activate",
)
def activate(version: int, page: PageDep, form: ActivationFormDep) -> Response:
    """Activate a version, unless the active one changed since the page was shown."""
    try:
        supervision.activate_rule_set(
            version, form.seen_active(), page.viewer, page.ctx, form.reason
        )
    except FORM_ERRORS as exc:
        return _rules_page(page, exc)
    return _see_other(page.url("ui-rules"))


# ---- channel override on the declaration page ------------------------------------------------


@router.post(
    "/declarations/{mrn}/channel",
    dependencies=[needs(Cap.OVERRIDE_CHANNEL), CsrfDep],
    name="ui-override",
)
def override(
    mrn: str,
    page: PageDep,
    form: Annotated[OverrideForm, Depends(override_form)],
) -> Response:
    """A supervisor sets another channel with a reason (POST /declarations/{mrn}/channel)."""
    try:
        officer.override_channel(mrn, form.channel, form.reason, page.viewer, page.ctx)
    except FORM_ERRORS as exc:
        return _declaration_page(page, mrn, exc, form)
    return _see_other(page.url("ui-declaration", mrn=mrn))


def _declaration_page(
    page: _Page, mrn: str, failure: KarakoramError, form: OverrideForm
) -> Response:
    """The declaration page again (as officer.py renders it), with the refused override."""
    context = declaration_context(mrn, page.viewer, page.ctx)
    return page.show("declaration.html", failure, form=None, override_form=form, **context)


# ---- the exchange ----------------------------------------------------------------------------


@router.get("/exchange", dependencies=[needs(Cap.WATCH_EXCHANGE)], name="ui-exchange")
def exchange(page: PageDep, replayed: int | None = None) -> Response:
    return _exchange_page(page, replayed=replayed)


def _exchange_page(
    page: _Page, failure: KarakoramError | None = None, replayed: int | None = None
) -> Response:
    seen = exchange_overview.overview(page.viewer, page.ctx)
    return page.show(
        "supervisor/exchange.html", failure, x=seen, replayed=replayed, now=page.ctx.clock()
    )


@router.post(
    "/exchange/replay", dependencies=[needs(Cap.WATCH_EXCHANGE), CsrfDep], name="ui-exchange-replay"
)
def replay(page: PageDep, message_id: Annotated[str, Form()] = "") -> Response:
    """Put one dead letter (or all) back in the outbox, as POST /exchange/replay does."""
    try:
        count = exchange_overview.replay(page.viewer, page.ctx, message_id.strip() or None)
    except (*FORM_ERRORS, NotFound) as exc:  # an unknown message is the form's mistake
        return _exchange_page(page, exc)
    return _see_other(page.url("ui-exchange") + f"?replayed={count}")
