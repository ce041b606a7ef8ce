"""The committee's rules beside the roster's own (domain/roster.py, Art. 6): whose accounts the
roster names, how the published roster lists them, and who declares an interest in a candidate,
and until when (R6.1, R14.6). Pure: the caller reads the records and passes what they say."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.errors import DomainError, conflict, invalid, refuse_any
from domain.roster import Position
from domain.types import Role


def check_roster_accounts(usernames: Sequence[str], roles: Mapping[str, str]) -> None:
    """Every member on the roster is a committee account (`roles`: the role of each account
    that exists, by username)."""
    wrong = [u for u in usernames if roles.get(u) != Role.COMMITTEE]
    refuse_any(
        wrong,
        invalid,
        "ROSTER_ACCOUNTS",
        "以下账号不存在或不是评委会成员账号：",
        "These are not committee accounts: ",
    )


def roster_listing(members: Sequence[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """The roster as its public notice lists it: the chair, the vice-chairs, then the members,
    each group in the order entered. `members`: (position, name, post) in the order entered;
    the answer: (the position in Chinese, "name（post）")."""
    ranked = sorted(members, key=lambda x: list(Position).index(Position(x[0])))  # stable: entry order kept
    return [(Position(p).name_zh, f"{name}（{post}）") for p, name, post in ranked]


def own_interest_only(declarant: str, member: str) -> None:
    """A member declares their own interest; the office records anyone's."""
    if declarant != member:
        raise DomainError(
            "FORBIDDEN", "只能为本人申报回避", "You may only declare your own interest", status=403
        )


def check_recusal(*, meeting_convened: bool, recorded: bool) -> None:
    """A recusal is declared before the plenary is convened (the count takes the members recused
    from a candidate out of those present, R14.6), and once."""
    if meeting_convened:
        raise conflict(
            "MEETING_CONVENED",
            "审查表决会议已召开，回避须在会前申报",
            "Recusals are declared before the plenary is convened",
        )
    if recorded:
        raise conflict("RECUSAL_EXISTS", "该回避已登记", "This recusal is already recorded")
