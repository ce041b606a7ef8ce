"""The committee's plenary secret ballot (审查表决, Art. 14(4), R14.6).

Secrecy: a `Vote` says what was voted (candidate, approve or reject) and never who voted it.
Who voted (turnout) is a separate record kept elsewhere; nothing here takes a voter id.

Counting: for each candidate, the members present who are not recused from it are its eligible
voters; a candidate passes if strictly more than `pass_ratio` of them approve (by default more
than half). A member present who did not mark the candidate counts as not approving. The tally
is a pure function of the multiset of votes: the order in which ballots are counted does not
matter, so anyone can recompute it from the stored votes.

Quorum: the meeting may vote only if at least `quorum` of the committee's members are present
(by default two thirds).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from domain.errors import conflict, invalid, refuse_any, repeated

DEFAULT_PASS_RATIO = Fraction(1, 2)
DEFAULT_QUORUM = Fraction(2, 3)


class Choice(StrEnum):
    APPROVE = "APPROVE"  # 同意
    REJECT = "REJECT"  # 不同意

    @property
    def name_zh(self) -> str:
        return "同意" if self is Choice.APPROVE else "不同意"


@dataclass(frozen=True)
class Vote:
    """One mark on one ballot. Deliberately carries no voter identity."""

    candidate_id: str
    choice: Choice


@dataclass(frozen=True)
class Tally:
    candidate_id: str
    approve: int
    reject: int
    recused: int  # members present who are recused from this candidate
    eligible: int  # members present who may vote on it: present - recused
    passed: bool

    @property
    def abstain(self) -> int:
        """Eligible members who did not mark this candidate (they count as not approving)."""
        return self.eligible - self.approve - self.reject


def _parse_choice(value: Choice | str, candidate_id: str) -> Choice:
    try:
        return Choice(value)
    except ValueError:
        raise invalid(
            "BALLOT_INVALID_CHOICE",
            f"对候选申报{candidate_id}的表决意见无效（{value}），只能为同意（APPROVE）或不同意（REJECT）",
            f"Invalid choice {value!r} for candidate {candidate_id}: use APPROVE or REJECT",
            candidate_id=candidate_id,
        ) from None


def _check_ratio(name: str, ratio: Fraction) -> None:
    if not 0 <= ratio < 1:
        raise invalid(
            "BALLOT_RULE_RATIO",
            f"表决规则{name}应不小于0且小于1，收到{ratio}",
            f"The ballot rule {name} must be at least 0 and below 1; got {ratio}",
            rule=name,
            value=str(ratio),
        )


def check_unique_candidates(candidates: Iterable[str]) -> None:
    """A candidate list names each application once (the plenary's ballot and its run-off)."""
    twice = repeated(candidates)
    refuse_any(
        twice,
        invalid,
        "BALLOT_DUPLICATE_CANDIDATE",
        "候选名单中有重复的申报：",
        "The candidate list repeats: ",
        candidates=twice,
    )


def tally(
    votes: Iterable[Vote],
    *,
    candidates: Sequence[str],
    present: int,
    recusals: Mapping[str, int],
    pass_ratio: Fraction = DEFAULT_PASS_RATIO,
) -> list[Tally]:
    """Count the votes; one `Tally` per candidate, sorted by candidate id.

    `recusals` gives, per candidate, how many members present are recused from it (missing = 0).
    """
    _check_ratio("pass_ratio", pass_ratio)
    if present < 0:
        raise invalid(
            "BALLOT_PRESENT_INVALID",
            f"出席人数不能为负数，收到{present}",
            f"The number of members present cannot be negative; got {present}",
        )
    known = set(candidates)
    check_unique_candidates(candidates)
    stray = sorted(set(recusals) - known)
    refuse_any(
        stray,
        invalid,
        "BALLOT_UNKNOWN_CANDIDATE",
        "回避记录中的申报不在候选名单中：",
        "Recusals name candidates not on the list: ",
        candidates=stray,
    )
    for candidate_id, recused in recusals.items():
        if not 0 <= recused <= present:
            raise invalid(
                "BALLOT_RECUSAL_COUNT",
                f"申报{candidate_id}的回避人数应在0至出席人数{present}之间，收到{recused}",
                f"Recusals for {candidate_id} must be 0 to the {present} members present; got {recused}",
                candidate_id=candidate_id,
            )

    counts: Counter[tuple[str, Choice]] = Counter()
    unknown: set[str] = set()
    for vote in votes:
        if vote.candidate_id not in known:
            unknown.add(vote.candidate_id)
            continue
        counts[(vote.candidate_id, _parse_choice(vote.choice, vote.candidate_id))] += 1
    if unknown:
        names = sorted(unknown)
        raise invalid(
            "BALLOT_UNKNOWN_CANDIDATE",
            f"选票中有不在候选名单中的申报：{'、'.join(names)}，请核对候选名单后重新计票",
            f"Votes name candidates not on the list: {', '.join(names)}; check the list and recount",
            candidates=names,
        )

    result: list[Tally] = []
    for candidate_id in sorted(known):
        recused = recusals.get(candidate_id, 0)
        eligible = present - recused
        approve = counts[(candidate_id, Choice.APPROVE)]
        reject = counts[(candidate_id, Choice.REJECT)]
        if approve + reject > eligible:
            raise conflict(
                "BALLOT_COUNT_MISMATCH",
                f"申报{candidate_id}的有效票数{approve + reject}张多于有表决权的出席委员{eligible}人"
                f"（出席{present}人、回避{recused}人），计票无效，请核对选票与出席记录",
                f"Candidate {candidate_id} has {approve + reject} votes but only {eligible} eligible "
                f"members ({present} present, {recused} recused); the count is void, check the ballots "
                "against the attendance record",
                candidate_id=candidate_id,
                votes=approve + reject,
                eligible=eligible,
            )
        passed = eligible > 0 and approve > pass_ratio * eligible
        result.append(Tally(candidate_id, approve, reject, recused, eligible, passed))
    return result


def quorum_met(present: int, roster: int, quorum: Fraction = DEFAULT_QUORUM) -> bool:
    """True if `present` of `roster` members make a quorum (present >= quorum x roster)."""
    return roster > 0 and 0 <= present <= roster and present >= quorum * roster


def check_quorum(present: int, roster: int, quorum: Fraction = DEFAULT_QUORUM) -> None:
    """Raise DomainError unless the meeting may vote."""
    if not 0 < quorum <= 1:
        raise invalid(
            "BALLOT_RULE_RATIO",
            f"法定出席比例应大于0且不超过1，收到{quorum}",
            f"The quorum must be above 0 and at most 1; got {quorum}",
            rule="quorum",
            value=str(quorum),
        )
    if roster <= 0 or not 0 <= present <= roster:
        raise invalid(
            "QUORUM_INVALID",
            f"出席人数应在0至评委会委员总数之间（出席{present}人，委员{roster}人）",
            f"The members present must be 0 to the committee size ({present} present, {roster} members)",
            present=present,
            roster=roster,
        )
    if not quorum_met(present, roster, quorum):
        needed = -((-quorum.numerator * roster) // quorum.denominator)  # ceil(quorum x roster)
        raise conflict(
            "QUORUM_NOT_MET",
            f"出席委员{present}人，未达到评委会委员{roster}人的{quorum}（至少{needed}人），不能进行表决",
            f"{present} of {roster} members present; a vote needs {quorum} of the committee "
            f"(at least {needed})",
            present=present,
            roster=roster,
            needed=needed,
            quorum=str(quorum),
        )


def validate_ballot(
    choices: Mapping[str, Choice | str],
    *,
    candidates: Collection[str],
    recused: Collection[str],
) -> list[Vote]:
    """Check one member's ballot and return its votes (sorted by candidate, no voter identity).

    The ballot marks every candidate the member may vote on exactly once (a mapping cannot mark a
    candidate twice), and none the member is recused from.
    """
    known = set(candidates)
    unknown = sorted(set(choices) - known)
    refuse_any(
        unknown,
        invalid,
        "BALLOT_UNKNOWN_CANDIDATE",
        "选票上的申报不在候选名单中：",
        "The ballot marks candidates not on the list: ",
        candidates=unknown,
    )
    barred = sorted(set(choices) & set(recused))
    refuse_any(
        barred,
        invalid,
        "BALLOT_RECUSED_CANDIDATE",
        "您已对以下申报回避，不能对其表决，请删除这些标记：",
        "You are recused from these candidates and may not vote on them; remove the marks: ",
        candidates=barred,
    )
    missing = sorted(known - set(recused) - set(choices))
    refuse_any(
        missing,
        invalid,
        "BALLOT_INCOMPLETE",
        "选票不完整，请对以下申报逐一选择同意或不同意：",
        "The ballot is incomplete; mark APPROVE or REJECT for: ",
        candidates=missing,
    )
    return [Vote(c, _parse_choice(choices[c], c)) for c in sorted(choices)]


# --- a ballot paper, as it is sealed (R14.6) ------------------------------------------------------
BALLOT_FORMAT = 1
_MARKS = {Choice.APPROVE: ord("A"), Choice.REJECT: ord("R")}
_UNMARKED = ord("-")  # a candidate the member is recused from


def encode_ballot(votes: Iterable[Vote], *, candidates: Sequence[str]) -> bytes:
    """One member's ballot as bytes to be sealed: a format byte, then one byte per candidate in
    the meeting's order (`A` approve, `R` reject, `-` not marked). Every ballot of a meeting has
    the same length, whatever it says, so the size of a sealed ballot tells nothing."""
    marks = {v.candidate_id: _MARKS[Choice(v.choice)] for v in votes}
    stray = sorted(set(marks) - set(candidates))
    refuse_any(
        stray,
        invalid,
        "BALLOT_UNKNOWN_CANDIDATE",
        "选票上的申报不在候选名单中：",
        "The ballot marks candidates not on the list: ",
        candidates=stray,
    )
    return bytes([BALLOT_FORMAT, *(marks.get(c, _UNMARKED) for c in candidates)])


def decode_ballot(paper: bytes, *, candidates: Sequence[str]) -> list[Vote]:
    """The votes of an opened ballot (see `encode_ballot`); a paper of another shape is refused."""
    choices = {code: choice for choice, code in _MARKS.items()}
    if (
        len(paper) != 1 + len(candidates)
        or paper[0] != BALLOT_FORMAT
        or not set(paper[1:])
        <= {
            *choices,
            _UNMARKED,
        }
    ):
        raise conflict(
            "BALLOT_PAPER_INVALID",
            "一张选票开启后格式不符，计票中止，请核对投票箱",
            "An opened ballot has the wrong form; the count stops: check the ballot box",
        )
    return [Vote(c, choices[code]) for c, code in zip(candidates, paper[1:], strict=True) if code in choices]
