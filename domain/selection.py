"""The preliminary list (初选名单, Art. 3, 14(4); R3.3, R14.6), per award.

Who is eligible: a candidate that passed the committee's ballot AND whose final score reaches
its award's minimum (the award's own `min_total`, else the cycle's `min_final_score`) AND whose
final category points reach every minimum its award sets (Art. 2: e.g. 4.7 结果 for 质量奖; the
rules' `award_criteria`). Nothing else makes a candidate eligible — not even every vote in the
room. A candidate left out by a criterion is told which one, with its points.

Order: approve votes (most first), then final score, then document-review score. The
application id is appended only so that a listing displays in a stable order; it is never
used to decide who is selected.

Cut-off: at most min(quota, LEGAL_MAX_WINNERS) winners per award. The legal maximum of 5
(Art. 3) wins over any quota passed in; a negative quota is an error.

TIE RULE (宁缺毋滥): if the candidates on either side of the cut-off tie exactly on
(approve votes, final score, document score), none of the tied candidates at the boundary is
selected. The quota is never exceeded, and the order is never settled by chance, by id or by
the order of input. The tied group is reported in `Selection.ties` (with the seats it competes
for) so the committee can hold a run-off ballot (`domain/runoff.py`: the cycle's RUNOFF stage
completes the list before it is published); candidates ranked strictly above the group are
selected, those below it are over the quota.

Vacancy: an award may end with fewer winners than its quota, or none, when too few candidates
reach the bar.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from domain.errors import invalid, refuse_any, repeated
from domain.rubric import load_rubric
from domain.rules import KNOWN_CRITERIA_EDITIONS, LEGAL_MAX_WINNERS, AwardCriteria, CycleRules
from domain.types import Award

MAX_SCORE = Decimal(1000)


class ExclusionReason(StrEnum):
    """Reason codes of `Exclusion`."""

    BALLOT_NOT_PASSED = "BALLOT_NOT_PASSED"
    BELOW_MIN_SCORE = "BELOW_MIN_SCORE"
    BELOW_AWARD_CRITERIA = "BELOW_AWARD_CRITERIA"
    OVER_QUOTA = "OVER_QUOTA"
    TIE_AT_CUTOFF = "TIE_AT_CUTOFF"


@dataclass(frozen=True)
class Candidate:
    application_id: str
    award: Award
    enterprise_name: str
    final_score: Decimal
    document_score: Decimal
    approve: int  # approve votes in the committee's ballot
    passed: bool  # passed the ballot (domain.ballot.Tally.passed)
    # final points per rubric category (on-site scores), for the award's criteria; absent: 0
    category_points: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def rank_key(self) -> tuple[int, Decimal, Decimal]:
        """What the selection compares; two candidates with equal keys are tied."""
        return (self.approve, self.final_score, self.document_score)


@dataclass(frozen=True)
class SelectionRules:
    quota_quality: int
    quota_innovation: int
    min_final_score: int
    award_criteria: Mapping[Award, AwardCriteria] = field(default_factory=dict)
    criteria_edition: str = KNOWN_CRITERIA_EDITIONS[0]  # names the categories in the reasons

    @classmethod
    def from_cycle(cls, rules: CycleRules) -> SelectionRules:
        return cls(
            rules.quota_quality,
            rules.quota_innovation,
            rules.min_final_score,
            dict(rules.award_criteria),
            rules.criteria_edition,
        )

    def min_total(self, award: Award) -> int:
        c = self.award_criteria.get(award)
        return self.min_final_score if c is None or c.min_total is None else c.min_total

    def quota(self, award: Award) -> int:
        return self.quota_quality if award is Award.QUALITY else self.quota_innovation

    def seats(self, award: Award) -> int:
        """The seats actually available: the quota, never more than the legal maximum."""
        return min(self.quota(award), LEGAL_MAX_WINNERS)


@dataclass(frozen=True)
class Exclusion:
    application_id: str
    reason_code: str
    reason_zh: str


@dataclass(frozen=True)
class TieAtCutoff:
    """Candidates tied exactly across the cut-off: none selected, a run-off is needed."""

    award: Award
    application_ids: tuple[str, ...]  # sorted; the order means nothing
    seats: int  # seats still open that the tied group competes for (fewer than the group)
    approve: int
    final_score: Decimal
    document_score: Decimal


@dataclass(frozen=True)
class Selection:
    winners: dict[Award, tuple[Candidate, ...]]  # every award present; () is a vacancy
    excluded: tuple[Exclusion, ...]
    ties: tuple[TieAtCutoff, ...]

    def is_vacant(self, award: Award) -> bool:
        return not self.winners.get(award)


def final_score(onsite: Decimal) -> Decimal:
    """The final score (最终得分): the on-site review score as confirmed by the enterprise or settled
    by the office. Kept as one function so the rule lives in one place."""
    try:
        score = Decimal(onsite)
    except (InvalidOperation, TypeError, ValueError):
        score = Decimal("NaN")
    if not score.is_finite() or not 0 <= score <= MAX_SCORE:
        raise invalid(
            "FINAL_SCORE_RANGE",
            f"最终得分应在0至1000分之间，收到{onsite}；请核对现场评审得分",
            f"The final score must be 0 to 1000; got {onsite}; check the on-site review score",
        )
    return score


def _display_key(c: Candidate) -> tuple[int, Decimal, Decimal, str]:
    return (-c.approve, -c.final_score, -c.document_score, c.application_id)


def _rank(c: Candidate, eligible: list[Candidate]) -> int:
    """1 + how many rank strictly above (tied candidates share a rank)."""
    return 1 + sum(1 for o in eligible if o.rank_key > c.rank_key)


def _validate(candidates: list[Candidate], rules: SelectionRules) -> None:
    for award in Award:
        if rules.quota(award) < 0:
            raise invalid(
                "SELECTION_QUOTA",
                f"{award.name_zh}名额不能为负数，收到{rules.quota(award)}",
                f"The quota for {award.value} cannot be negative; got {rules.quota(award)}",
            )
    twice = repeated(c.application_id for c in candidates)
    refuse_any(
        twice,
        invalid,
        "SELECTION_DUPLICATE_CANDIDATE",
        "候选名单中有重复的申报：",
        "Applications listed more than once: ",
        applications=twice,
    )
    for c in candidates:
        if c.approve < 0:
            raise invalid(
                "SELECTION_VOTES_INVALID",
                f"申报{c.application_id}的同意票数不能为负数",
                f"The approve votes of {c.application_id} cannot be negative",
            )
        for score in (c.final_score, c.document_score):
            if not score.is_finite():
                raise invalid(
                    "SELECTION_SCORE_INVALID",
                    f"申报{c.application_id}的得分无效：{score}",
                    f"Application {c.application_id} has an invalid score: {score}",
                )


def unmet_category_minimums(
    criteria: AwardCriteria | None, category_points: Mapping[str, Decimal]
) -> list[tuple[str, int, Decimal]]:
    """(category, minimum, points) of every category minimum of the award the points fall short of
    (a category without points counts 0), by category code."""
    if criteria is None:
        return []
    return [
        (code, minimum, category_points.get(code, Decimal(0)))
        for code, minimum in sorted(criteria.min_category_points.items())
        if category_points.get(code, Decimal(0)) < minimum
    ]


def _award_criteria(
    award: Award, eligible: list[Candidate], rules: SelectionRules
) -> tuple[list[Candidate], list[Exclusion]]:
    """The candidates that meet every category minimum of their award (in the order given), and an
    exclusion naming each unmet minimum for the others (Art. 2; R2.1)."""
    criteria = rules.award_criteria.get(award)
    if criteria is None or not criteria.min_category_points:
        return eligible, []
    names = {c.code: c.name_zh for c in load_rubric(rules.criteria_edition).categories}
    kept: list[Candidate] = []
    excluded: list[Exclusion] = []
    for c in eligible:
        unmet = unmet_category_minimums(criteria, c.category_points)
        if not unmet:
            kept.append(c)
            continue
        what = "；".join(
            f"“{code} {names.get(code, '')}”得分{points}分，低于要求的{minimum}分"
            for code, minimum, points in unmet
        )
        excluded.append(
            Exclusion(
                c.application_id,
                ExclusionReason.BELOW_AWARD_CRITERIA,
                f"未达到{award.name_zh}的评定条件（办法第二条，经评委会审定的本年度实施细则）：{what}，"
                f"不列入{award.name_zh}初选名单",
            )
        )
    return kept, sorted(excluded, key=lambda x: x.application_id)


_T = TypeVar("_T")


def split_at_cutoff(
    ranked: Sequence[_T], seats: int, key: Callable[[_T], Hashable]
) -> tuple[list[_T], list[_T], list[_T]]:
    """`ranked` (best first) cut after `seats`: (chosen, tied, rest). When the last chosen and the
    first left out share their `key`, every candidate with that key is tied — neither chosen nor
    left out (宁缺毋滥) — and `tied` lists them in rank order; otherwise `tied` is empty."""
    chosen, rest = list(ranked[:seats]), list(ranked[seats:])
    if not (chosen and rest and key(chosen[-1]) == key(rest[0])):
        return chosen, [], rest
    boundary = key(chosen[-1])
    tied = [x for x in ranked if key(x) == boundary]
    return [x for x in chosen if key(x) != boundary], tied, [x for x in rest if key(x) != boundary]


def preliminary_list(candidates: Iterable[Candidate], rules: SelectionRules) -> Selection:
    """Fix the preliminary list for every award (see the module docstring for the rules)."""
    listed = list(candidates)
    _validate(listed, rules)
    winners: dict[Award, tuple[Candidate, ...]] = {}
    excluded: list[Exclusion] = []
    ties: list[TieAtCutoff] = []
    for award in Award:
        pool = sorted((c for c in listed if c.award is award), key=_display_key)
        not_passed = sorted((c for c in pool if not c.passed), key=lambda c: c.application_id)
        bar = rules.min_total(award)
        below = sorted(
            (c for c in pool if c.passed and c.final_score < bar),
            key=lambda c: c.application_id,
        )
        eligible = [c for c in pool if c.passed and c.final_score >= bar]
        eligible, short = _award_criteria(award, eligible, rules)
        excluded += [
            Exclusion(
                c.application_id,
                ExclusionReason.BALLOT_NOT_PASSED,
                f"评委会审查表决未获通过（同意{c.approve}票），不列入{award.name_zh}初选名单",
            )
            for c in not_passed
        ]
        excluded += [
            Exclusion(
                c.application_id,
                ExclusionReason.BELOW_MIN_SCORE,
                f"最终得分{c.final_score}分，低于最低入选分数{bar}分，"
                f"不列入{award.name_zh}初选名单（宁缺毋滥）",
            )
            for c in below
        ]
        excluded += short

        seats = rules.seats(award)
        chosen, tied, rest = split_at_cutoff(eligible, seats, lambda c: c.rank_key)
        if tied:
            boundary = tied[0].rank_key
            ties.append(
                TieAtCutoff(
                    award=award,
                    application_ids=tuple(sorted(c.application_id for c in tied)),
                    seats=seats - len(chosen),
                    approve=boundary[0],
                    final_score=boundary[1],
                    document_score=boundary[2],
                )
            )
            excluded += [
                Exclusion(
                    c.application_id,
                    ExclusionReason.TIE_AT_CUTOFF,
                    f"与另外{len(tied) - 1}家申报在同意票数（{boundary[0]}票）、最终得分（{boundary[1]}分）、"
                    f"资料评审得分（{boundary[2]}分）上完全相同，并列争夺{award.name_zh}剩余"
                    f"{seats - len(chosen)}个名额；宁缺毋滥，暂不列入，请评委会对并列申报再次表决",
                )
                for c in sorted(tied, key=lambda c: c.application_id)
            ]
        excluded += [
            Exclusion(
                c.application_id,
                ExclusionReason.OVER_QUOTA,
                f"按同意票数、最终得分排序位列第{_rank(c, eligible)}位，超出{award.name_zh}"
                f"名额{seats}家，不列入初选名单",
            )
            for c in rest
        ]
        winners[award] = tuple(chosen)
    return Selection(winners=winners, excluded=tuple(excluded), ties=tuple(ties))
