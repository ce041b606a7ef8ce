"""The supplementary notice (补充公示) of a candidate added to the list after a return (Art. 14(5),
14(6); R14.7, R14.8).

Only a candidate of the published preliminary list may be reinstated when the government returns
the proposed list. A candidate who was not on it may be added only after a new 7-day notice of its
own, with objections taken during that notice, investigated, and decided by the committee like
those of the preliminary notice.

Who may be proposed: a candidate of the plenary (every run-off candidate is one) who passed the
secret ballot's majority and whose final score reaches the rules' minimum, but who was left off the
published list (by the quota, or by a tie a run-off settled for another) and was not on an earlier
supplementary notice either. Added to the returned list, less the candidates the committee takes
off to make room, each award stays within its quota (never more than 5, Art. 3).

Pure rules: the activity and the API give the facts read from PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal

from domain.errors import conflict, invalid, refuse_any
from domain.rules import LEGAL_MAX_WINNERS
from domain.types import Award

MAX_ADDITIONS = 5  # never more than an award's seats can take


@dataclass(frozen=True)
class Standing:
    """Where a candidate of the plenary stands after the ballot."""

    application_id: str
    award: Award
    passed: bool  # passed the plenary's secret ballot (more than half of the members present)
    final_score: Decimal


def seats(quota: int) -> int:
    return min(quota, LEGAL_MAX_WINNERS)


def check_proposal_shape(add: Mapping[str, str], make_room: Mapping[str, str]) -> None:
    """What a proposal needs before looking at any list: candidates, each with its reasons."""
    if not add:
        raise invalid(
            "SUPPLEMENTARY_CANDIDATES_REQUIRED",
            "请列明拟补充公示的单位及理由",
            "Name the candidates to add, each with its reasons",
        )
    if len(add) > MAX_ADDITIONS:
        raise invalid(
            "SUPPLEMENTARY_TOO_MANY",
            f"一次补充公示至多{MAX_ADDITIONS}家单位",
            f"At most {MAX_ADDITIONS} candidates per supplementary notice",
        )
    blank = sorted(a for a, why in {**add, **make_room}.items() if not why.strip())
    refuse_any(
        blank,
        invalid,
        "SUPPLEMENTARY_REASON",
        "补充列入或移出的单位须逐一说明理由：",
        "Each candidate added or taken off needs its reasons: ",
        applications=blank,
    )
    both = sorted(set(add) & set(make_room))
    refuse_any(
        both,
        invalid,
        "LIST_REVISION_OVERLAP",
        "同一单位不能同时补充列入和移出：",
        "A candidate cannot be both added and taken off: ",
    )


def check_proposal(
    *,
    add: Mapping[str, str],
    make_room: Mapping[str, str],
    standings: Mapping[str, Standing],
    published: Collection[str],
    listed: Mapping[str, Award],
    quota: Mapping[Award, int],
    min_final_score: int,
) -> None:
    """Refuse a proposal to add `add` (application id -> reasons) by a supplementary notice.

    `standings`: every candidate of the plenary; `published`: the candidates of the preliminary list
    and of earlier supplementary notices; `listed`: the returned version's winners and their award;
    `make_room`: candidates of the returned version the committee takes off (-> reasons)."""
    check_proposal_shape(add, make_room)
    strangers = sorted(a for a in add if a not in standings)
    refuse_any(
        strangers,
        invalid,
        "SUPPLEMENTARY_NOT_A_CANDIDATE",
        "以下申报未经区评委会全体会议审查表决，不能补充列入：",
        "Not candidates of the committee's plenary ballot: ",
        applications=strangers,
    )
    again = sorted(a for a in add if a in published)
    refuse_any(
        again,
        conflict,
        "SUPPLEMENTARY_ALREADY_PUBLISHED",
        "以下单位已经公示，无需补充公示，可直接恢复列入：",
        "Already on a published notice: reinstate them instead: ",
        applications=again,
    )
    failed = sorted(a for a in add if not standings[a].passed)
    refuse_any(
        failed,
        conflict,
        "SUPPLEMENTARY_BALLOT_NOT_PASSED",
        "以下单位在评委会审查表决中未获半数以上同意，不能补充列入：",
        "These candidates did not pass the committee's secret ballot: ",
        applications=failed,
    )
    low = sorted(a for a in add if standings[a].final_score < min_final_score)
    refuse_any(
        low,
        conflict,
        "SUPPLEMENTARY_BELOW_MIN_SCORE",
        f"以下单位最终得分低于最低入选分数{min_final_score}分，不能补充列入（宁缺毋滥）：",
        f"Final score below the minimum of {min_final_score}: ",
        applications=low,
    )
    absent = sorted(a for a in make_room if a not in listed)
    refuse_any(
        absent,
        invalid,
        "LIST_REVISION_NOT_LISTED",
        "以下单位不在被退回的名单中，不能移出：",
        "Not on the returned list, cannot be taken off: ",
        applications=absent,
    )
    after = Counter(award for a, award in listed.items() if a not in make_room)
    after.update(standings[a].award for a in add)
    for award in (Award.QUALITY, Award.INNOVATION):
        if after[award] > seats(quota.get(award, LEGAL_MAX_WINNERS)):
            n = seats(quota.get(award, LEGAL_MAX_WINNERS))
            raise conflict(
                "SUPPLEMENTARY_OVER_QUOTA",
                f"补充列入后{award.name_zh}将有{after[award]}家，超出名额{n}家；"
                "如需替换，请同时说明移出的单位及理由",
                f"With the additions {award.value} would have {after[award]} candidates, over its "
                f"quota of {n}; to replace a candidate, name the one taken off with its reasons",
                award=str(award),
                quota=n,
                count=after[award],
            )


def check_objection_target(application_id: str, candidates: Collection[str]) -> None:
    """During a supplementary notice only its candidates may be objected to (an objection that
    names none is about the notice itself and is scoped by the office)."""
    if application_id and application_id not in candidates:
        raise invalid(
            "OBJECTION_NOT_IN_SUPPLEMENTARY_NOTICE",
            "补充公示期间，异议对象须为补充公示名单中的单位",
            "During the supplementary notice, object only to a candidate of that notice",
            candidates=sorted(candidates),
        )
