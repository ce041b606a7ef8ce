"""The run-off ballot (决选投票, Art. 3, Art. 14(4); R3.3, R14.6): the seats a tie left open.

When candidates tie exactly across an award's cut-off (`domain.selection`, TIE_AT_CUTOFF), the
plenary lists none of them. The committee votes again, by the same secret ballot (same quorum,
same pass mark), among the tied candidates only, for the seats left. From that run-off's tally:

- a candidate that does not pass the majority rule (`domain.ballot.Tally.passed`) is not selected;
- those that pass are ranked by approve votes (their scores are equal already: that is the tie);
- they fill the seats in that order; when fewer pass than there are seats, the rest stay vacant
  (宁缺毋滥: the quota is a maximum, "不超过");
- when candidates tie again across the remaining seats, none of that group is selected and the
  outcome names the group and the seats it competes for: the run-off is held again among them
  (`{year}-runoff-2`, ...), or the committee leaves the seats vacant.

The outcome depends only on the multiset of tallies (never on their order, on ids or on chance)
and never selects more candidates than there are seats.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.ballot import Tally, check_unique_candidates
from domain.errors import invalid
from domain.selection import split_at_cutoff
from domain.types import Award


@dataclass(frozen=True)
class RunoffOutcome:
    seats: int  # the seats the run-off was held for
    selected: tuple[str, ...]  # most approve votes first; equal votes never straddle a cut
    tied: tuple[str, ...]  # tied again across the remaining seats (sorted); empty when settled
    seats_left: int  # the seats the tied group still competes for (0 when settled)
    not_passed: tuple[str, ...]  # failed the majority rule (sorted)
    over: tuple[str, ...]  # passed, but ranked below the seats (sorted)
    approvals: dict[str, int]  # approve votes of every candidate of the run-off

    @property
    def settled(self) -> bool:
        return not self.tied

    @property
    def vacant(self) -> int:
        """Seats that stay empty because too few candidates passed (a settled run-off only)."""
        return 0 if self.tied else self.seats - len(self.selected)

    def rank(self, candidate_id: str) -> int:
        """1 + how many candidates of the run-off that passed got more approve votes."""
        mine = self.approvals[candidate_id]
        passed = set(self.selected) | set(self.tied) | set(self.over)
        return 1 + sum(1 for c in passed if self.approvals[c] > mine)


def runoff_result(tallies: Iterable[Tally], *, seats: int) -> RunoffOutcome:
    """Who of the tied candidates fills the `seats` left, from the run-off's tally (see the module)."""
    counted = list(tallies)
    if seats < 1:
        raise invalid(
            "RUNOFF_SEATS",
            f"决选投票的名额应至少为1个，收到{seats}",
            f"A run-off is held for at least one seat; got {seats}",
        )
    check_unique_candidates(t.candidate_id for t in counted)
    approvals = {t.candidate_id: t.approve for t in counted}
    passed = sorted((t for t in counted if t.passed), key=lambda t: (-t.approve, t.candidate_id))
    not_passed = tuple(sorted(t.candidate_id for t in counted if not t.passed))
    chosen, tied, rest = split_at_cutoff(passed, seats, lambda t: t.approve)
    return RunoffOutcome(
        seats=seats,
        selected=tuple(t.candidate_id for t in chosen),
        tied=tuple(sorted(t.candidate_id for t in tied)),
        seats_left=seats - len(chosen) if tied else 0,
        not_passed=not_passed,
        over=tuple(sorted(t.candidate_id for t in rest)),
        approvals=approvals,
    )


# --- what the office, the public and operators read ------------------------------------------------
def seats_word(n: int) -> str:
    return f"{n} seat" + ("" if n == 1 else "s")


def waiting_text(award: Award, candidates: int, seats: int, *, more: int = 0) -> str:
    """What the cycle waits for while seats are open (operators' text, with the Chinese term)."""
    others = f"; {more} more group(s) of tied candidates after it" if more else ""
    return (
        f"Run-off ballot (决选投票) among {candidates} tied candidates for {seats_word(seats)} of "
        f"{award.value} ({award.name_zh}): waiting for the office to convene it, or for the committee "
        f"to leave the {seats_word(seats)} vacant (宁缺毋滥){others}"
    )


def reason_not_passed(award: Award, meeting_id: str, approve: int) -> str:
    return f"评委会决选投票（{meeting_id}）未获通过（同意{approve}票），不列入{award.name_zh}初选名单"


def reason_over(award: Award, meeting_id: str, approve: int, rank: int, seats: int) -> str:
    return (
        f"评委会决选投票（{meeting_id}）同意{approve}票，位列第{rank}位，超出{award.name_zh}剩余名额"
        f"{seats}个，不列入初选名单"
    )


def reason_tied_again(award: Award, meeting_id: str, approve: int, others: int, seats: int) -> str:
    return (
        f"评委会决选投票（{meeting_id}）中与另外{others}家申报同意票数相同（{approve}票），并列争夺"
        f"{award.name_zh}剩余{seats}个名额；暂不列入，待评委会再次决选投票或决定名额空缺"
    )


def reason_vacated(award: Award, seats: int, reason: str) -> str:
    return f"评委会决定{award.name_zh}剩余{seats}个名额空缺（宁缺毋滥），不列入初选名单。理由：{reason}"


def check_vacancy_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise invalid(
            "VACANCY_REASON_REQUIRED",
            "决定名额空缺须说明理由",
            "Leaving seats vacant needs the committee's reasons",
        )
    return text
