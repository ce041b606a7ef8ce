"""Objections to the list on public notice and the committee's decisions on their findings
(R14.7, Art. 14(5)): whether an objection is taken now and as what, which candidate a decision on a
finding is about, and the reason the committee owes when it leaves anonymous objections
uninvestigated. Pure: the caller reads the notice, the cycle's rules and the records, and passes
what they say (domain/publicity.py and domain/supplementary.py hold the single checks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.errors import invalid
from domain.publicity import check_objection, check_objection_window, needs_investigation, objection_digest
from domain.rules import CycleRules
from domain.supplementary import check_objection_target


@dataclass(frozen=True)
class NoticeWindow:
    """The notice objections are taken during: the preliminary list's, or after a return the latest
    supplementary notice's (补充公示), with its candidates."""

    published_at: datetime
    closes_at: datetime
    closed: bool  # the cycle's timer has fired
    supplementary: bool
    listed: Mapping[str, str]  # application id -> enterprise name


@dataclass(frozen=True)
class ObjectionDraft:
    """An objection as filed."""

    application_id: str  # empty: a problem of the notice itself
    facts: str
    evidence: str
    anonymous: bool
    name: str
    contact: str


@dataclass(frozen=True)
class AdmittedObjection:
    """An objection taken: what is recorded of it."""

    application_id: str
    concerns: list[str]
    anonymous: bool
    name: str  # blank when anonymous
    contact: str  # blank when anonymous
    facts: str
    evidence: str
    digest: str  # the same objection twice counts once
    investigate: bool

    @property
    def state(self) -> str:
        return "INVESTIGATING" if self.investigate else "RECORDED"


def listed_candidates(winners: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The candidates of a notice (its winners or a supplementary notice's candidates), by id."""
    return {w["application_id"]: w["enterprise_name"] for w in winners}


def admit_objection(
    draft: ObjectionDraft, window: NoticeWindow, rules: CycleRules, now: datetime
) -> AdmittedObjection:
    """Raise DomainError unless the objection may be filed at `now` during `window` (R14.7): the
    window open (and not closed by the cycle's timer), during a supplementary notice only against
    its candidates, what it must say; the answer is what is recorded of it (duplicates are checked
    where it is stored)."""
    period, calendar = rules.public_notice_period, rules.holiday_calendar
    check_objection_window(window.published_at, now, period, calendar)
    if window.closed:  # the cycle's timer has fired: whatever the clock says, it is closed
        check_objection_window(window.published_at, window.closes_at, period, calendar)
    if window.supplementary:
        check_objection_target(draft.application_id, window.listed)
    check_objection(
        application_id=draft.application_id,
        listed=window.listed,
        facts=draft.facts,
        anonymous=draft.anonymous,
        name=draft.name,
        contact=draft.contact,
    )
    return AdmittedObjection(
        application_id=draft.application_id,
        concerns=[draft.application_id] if draft.application_id else [],
        anonymous=draft.anonymous,
        name="" if draft.anonymous else draft.name,
        contact="" if draft.anonymous else draft.contact,
        facts=draft.facts,
        evidence=draft.evidence,
        digest=objection_digest(draft.application_id, draft.facts, draft.contact, draft.anonymous),
        investigate=needs_investigation(draft.anonymous, rules.investigate_anonymous),
    )


def check_rules_approval(year: int, rules_year: int, *, investigate_anonymous: bool, note: str) -> None:
    """The rules the committee approves are the year's; rules that leave anonymous objections
    uninvestigated carry the committee's reason in the note. Art. 14(5) has every problem raised
    during the notice investigated; leaving anonymous objections uninvestigated is the committee's
    choice, recorded with its reason (R14.7)."""
    if rules_year != year:
        raise invalid("RULES_YEAR", "细则年度与周期年度不一致", "The rules are for another year")
    if not investigate_anonymous and not note.strip():
        raise invalid(
            "RULES_ANONYMOUS_REASON",
            "细则规定匿名异议不予调查的，须由评委会在审定说明中写明理由",
            "Rules that leave anonymous objections uninvestigated need the committee's reason in the note",
        )


def finding_candidate(named: str, concerns: Sequence[str]) -> str:
    """The candidate a decision on a finding is about: the one named, else the objection's only
    concern; an objection that concerns several needs it named (empty: none, refused by
    final_list.check_ruling as out of scope)."""
    if named:
        return named
    if len(concerns) == 1:
        return concerns[0]
    if len(concerns) > 1:
        raise invalid(
            "DECISION_CANDIDATE_REQUIRED",
            "该异议涉及多个单位，请逐一指明所决定的单位",
            "The objection concerns several candidates: name the one decided",
            concerns=list(concerns),
        )
    return ""
