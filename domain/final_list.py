"""The list the committee proposes to the government after the notice (Art. 14(5), 14(6); R14.7, R14.8).

审查: every investigation report goes to the committee. A SUBSTANTIATED finding about a candidate of
the published preliminary list does not remove it by itself: the committee decides, through its
chair (or a vice-chair), to REMOVE the candidate or to KEEP it, with its reasons. The first list
(version 1) is the preliminary list without the candidates the committee decided to remove; it
cannot be fixed while a finding about a listed candidate waits for a decision.

审定: the government approves a version or returns it with reasons. The version answering a return
starts from the returned one; the committee may remove candidates (with reasons) or reinstate a
candidate of the published preliminary list (with reasons). A candidate who was not on the
published list needs a new 7-day notice of its own (补充公示, domain/supplementary.py) first: a
direct addition is refused. After that notice the version answering the return takes in the added
candidates, unless the committee decided to REMOVE one on a substantiated finding, and takes off
the candidates the committee named to make room for them; each award stays within its quota.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from domain.errors import conflict, invalid, refuse_any
from domain.rules import LEGAL_MAX_WINNERS
from domain.types import Award


class Decision(StrEnum):
    REMOVE = "REMOVE"  # 不列入拟授奖名单
    KEEP = "KEEP"  # 维持列入

    @property
    def name_zh(self) -> str:
        return "不列入拟授奖名单" if self is Decision.REMOVE else "维持列入拟授奖名单"


@dataclass(frozen=True)
class Finding:
    """A substantiated finding of an investigation about one candidate (an objection may concern
    several, as scoped by the office)."""

    objection_id: str
    application_id: str
    findings: str


@dataclass(frozen=True)
class Ruling:
    """The committee's decision on one finding (审查)."""

    objection_id: str
    application_id: str
    decision: Decision
    reasons: str


@dataclass(frozen=True)
class Previous:
    """The version the government returned: what the next one starts from."""

    version: int
    winners: Sequence[str]
    removed: Mapping[str, str]


@dataclass(frozen=True)
class Supplement:
    """A supplementary notice (补充公示) published after the government returned a version."""

    notice_id: str  # "2027-SUPP-1"
    answers_version: int  # the returned version
    added: Mapping[str, str]  # candidates noticed -> the committee's reasons for adding them
    make_room: Mapping[str, str] = field(default_factory=dict)  # taken off for them -> reasons


@dataclass(frozen=True)
class Composed:
    winners: list[str]  # application ids, in the order of the published lists
    removed: dict[str, str]  # every published candidate not on this version -> reason
    reinstated: dict[str, str] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)  # kept despite a substantiated finding -> reasons
    supplemented: dict[str, str] = field(default_factory=dict)  # added after a 补充公示 -> how and why
    supplementary: str = ""  # the supplementary notice this version takes its additions from


def undecided(
    findings: Sequence[Finding], rulings: Sequence[Ruling], listed: Collection[str]
) -> list[Finding]:
    """The substantiated findings about a candidate of the list that still wait for the committee."""
    done = {(r.objection_id, r.application_id) for r in rulings}
    return [
        f for f in findings if f.application_id in listed and (f.objection_id, f.application_id) not in done
    ]


def check_decided(findings: Sequence[Finding], rulings: Sequence[Ruling], listed: Collection[str]) -> None:
    """Raise 409 FINDINGS_UNDECIDED while a substantiated finding about a listed candidate has no
    decision of the committee (no automatic removal)."""
    waiting = undecided(findings, rulings, listed)
    if waiting:
        ids = sorted({f.objection_id for f in waiting})
        raise conflict(
            "FINDINGS_UNDECIDED",
            "以下异议经调查属实，区评委会尚未作出审查决定，不能确定拟授奖名单：" + "、".join(ids),
            "The committee has not decided on these substantiated findings; the list cannot be fixed: "
            + ", ".join(ids),
            objections=ids,
            pending=[{"objection_id": f.objection_id, "application_id": f.application_id} for f in waiting],
        )


def check_ruling(
    *,
    substantiated: bool,
    in_scope: bool,
    decided: bool,
    reasons: str,
) -> None:
    """What a committee decision on a finding needs: a substantiated finding about that candidate,
    not decided before, and the reasons."""
    if not substantiated:
        raise conflict(
            "FINDING_NOT_SUBSTANTIATED",
            "只有经调查属实的异议需要区评委会作出是否列入的决定",
            "Only a substantiated finding is decided by the committee",
        )
    if not in_scope:
        raise invalid(
            "FINDING_NOT_ABOUT_CANDIDATE",
            "该异议不涉及所列单位",
            "The objection does not concern that candidate",
        )
    if decided:
        raise conflict(
            "FINDING_DECIDED", "区评委会已对该异议作出决定", "The committee has already decided this"
        )
    if not reasons.strip():
        raise invalid("DECISION_REASONS", "请说明审查决定的理由", "State the reasons of the decision")


def removals(winners: Sequence[str], rulings: Sequence[Ruling]) -> dict[str, str]:
    """Every candidate the committee decided to remove on a substantiated finding, with its reasons."""
    return _ruled(
        winners, rulings, Decision.REMOVE, "公示期间异议经调查属实，区评委会审查决定不列入拟授奖名单："
    )


def kept(winners: Sequence[str], rulings: Sequence[Ruling]) -> dict[str, str]:
    return _ruled(winners, rulings, Decision.KEEP, "公示期间异议经调查属实，区评委会审查决定维持列入：")


def _ruled(
    winners: Sequence[str], rulings: Sequence[Ruling], decision: Decision, lead: str
) -> dict[str, str]:
    """The winners the committee ruled `decision` on, in list order: `lead`, then every ruling's
    reasons (with its objection) in the order given."""
    out: dict[str, list[str]] = {}
    for r in rulings:
        if r.decision is decision and r.application_id in winners:
            out.setdefault(r.application_id, []).append(f"{r.reasons}（{r.objection_id}）")
    return {a: lead + "；".join(out[a]) for a in winners if a in out}


def check_revision_shape(
    remove: Mapping[str, str], reinstate: Mapping[str, str], *, answers_return: bool
) -> None:
    """What a revision needs before looking at any list: a return it answers, reasons, no candidate
    both removed and reinstated."""
    if not (remove or reinstate):
        return
    if not answers_return:
        raise conflict(
            "LIST_REVISION_NOT_OPEN",
            "首次确定拟授奖名单以初选公示名单和区评委会对异议的审查决定为准；区政府退回后方可调整名单",
            "The first list follows from the preliminary list and the committee's decisions on the "
            "findings; the list is revised after the government returns it",
        )
    both = sorted(set(remove) & set(reinstate))
    refuse_any(
        both,
        invalid,
        "LIST_REVISION_OVERLAP",
        "同一单位不能同时移出和恢复：",
        "A candidate cannot be both removed and reinstated: ",
    )
    blank = sorted(a for a, why in {**remove, **reinstate}.items() if not why.strip())
    refuse_any(
        blank,
        invalid,
        "LIST_REVISION_REASON",
        "调整名单须逐一说明理由：",
        "Each change of the list needs its reason: ",
    )


def published_candidates(preliminary: Sequence[str], supplements: Sequence[Supplement]) -> list[str]:
    """Every candidate of a published notice: the preliminary list, then each supplementary notice."""
    out = list(preliminary)
    for sup in supplements:
        out += [a for a in sup.added if a not in out]
    return out


def compose(
    *,
    preliminary: Sequence[str],
    findings: Sequence[Finding],
    rulings: Sequence[Ruling],
    previous: Previous | None = None,
    remove: Mapping[str, str] | None = None,
    reinstate: Mapping[str, str] | None = None,
    supplements: Sequence[Supplement] = (),
    awards: Mapping[str, Award] | None = None,
    quota: Mapping[Award, int] | None = None,
) -> Composed:
    """The next version of the list: from the preliminary list and the committee's decisions (the
    first), or from the returned version, the supplementary notice that answered it, and the
    committee's revisions (after a return)."""
    remove, reinstate = dict(remove or {}), dict(reinstate or {})
    published = published_candidates(preliminary, supplements)
    check_decided(findings, rulings, published)
    check_revision_shape(remove, reinstate, answers_return=previous is not None)
    supplemented: dict[str, str] = {}
    supplementary = ""
    if previous is None:
        removed = removals(preliminary, rulings)
        base = [a for a in preliminary if a not in removed]
    else:
        base = [a for a in published if a in previous.winners]
        removed = {a: why for a, why in previous.removed.items() if a not in base}
        sup = next((x for x in supplements if x.answers_version == previous.version), None)
        if sup is not None:
            supplementary = sup.notice_id
            for a, why in sup.make_room.items():
                if a in base:
                    base.remove(a)
                    removed[a] = f"区政府退回后，区评委会决定移出拟授奖名单（由补充公示的单位替补）：{why}"
            ruled = removals(list(sup.added), rulings)
            for a, why in sup.added.items():
                if a in ruled:
                    removed[a] = ruled[a]
                else:
                    base.append(a)
                    supplemented[a] = f"经补充公示（{sup.notice_id}）后列入：{why}"
    strangers = sorted(a for a in reinstate if a not in published)
    refuse_any(
        strangers,
        conflict,
        "SUPPLEMENTARY_NOTICE_REQUIRED",
        "以下单位不在已公示的初选名单中，须先经7天补充公示（补充公示期间的异议经调查、区评委会审查）方可列入：",
        "These candidates were not on the published preliminary list: adding one needs a new "
        "7-day notice for it first (补充公示, with its objections investigated and decided): ",
        applications=strangers,
    )
    again = sorted(a for a in reinstate if a in base)
    refuse_any(
        again,
        invalid,
        "LIST_REVISION_ALREADY_LISTED",
        "以下单位已在名单中，无需恢复：",
        "Already on the list, nothing to reinstate: ",
    )
    absent = sorted(a for a in remove if a not in base)
    refuse_any(
        absent,
        invalid,
        "LIST_REVISION_NOT_LISTED",
        "以下单位不在被退回的名单中，不能移出：",
        "Not on the returned list, cannot be removed: ",
    )
    winners = [a for a in published if (a in base and a not in remove) or a in reinstate]
    for a in published:
        if a in remove:
            removed[a] = f"区政府退回后，区评委会决定移出拟授奖名单：{remove[a]}"
            supplemented.pop(a, None)
        elif a in reinstate:
            removed.pop(a, None)
    if awards is not None and quota is not None:
        check_quota(winners, awards, quota)
    return Composed(
        winners=winners,
        removed={a: removed[a] for a in published if a in removed},
        reinstated={
            a: f"区政府退回后，区评委会决定恢复列入：{reinstate[a]}" for a in published if a in reinstate
        },
        kept=kept(winners, rulings),
        supplemented={a: supplemented[a] for a in winners if a in supplemented},
        supplementary=supplementary,
    )


def check_quota(winners: Sequence[str], awards: Mapping[str, Award], quota: Mapping[Award, int]) -> None:
    """No award has more winners than its quota (never more than 5, Art. 3; R3.3)."""
    for award in (Award.QUALITY, Award.INNOVATION):
        n = sum(1 for a in winners if awards.get(a) is award)
        seats = min(quota.get(award, LEGAL_MAX_WINNERS), LEGAL_MAX_WINNERS)
        if n > seats:
            raise conflict(
                "FINAL_LIST_OVER_QUOTA",
                f"拟授奖名单中{award.name_zh}有{n}家，超出名额{seats}家",
                f"The list has {n} candidates for {award.value}, over its quota of {seats}",
                award=str(award),
                quota=seats,
                count=n,
            )


def check_pending_version(pending: int, named: int) -> None:
    """The government decides on the version waiting for it (0: not named, the pending one)."""
    if named and pending and named != pending:
        raise conflict(
            "LIST_VERSION_NOT_PENDING",
            f"待审批的是第{pending}版拟授奖名单，不是第{named}版",
            f"Version {pending} of the list is waiting for approval, not version {named}",
            pending=pending,
            named=named,
        )
