"""The committee roster of Art. 6 (R6.1): the chair is the 区政府分管副区长, the vice-chairs the
区政府办公室联系副主任 and the 区市场监管局局长, every other member is named with a post."""

from __future__ import annotations

import pytest

from domain.errors import DomainError
from domain.roster import CHAIR_POST, VICE_CHAIR_POSTS, Position, Seat, validate_roster

CHAIR, VICE, MEMBER = Position.CHAIR, Position.VICE_CHAIR, Position.MEMBER


def roster(**changes: tuple[Position, str] | None) -> list[Seat]:
    seats = {
        "chair": (CHAIR, CHAIR_POST),
        "vice1": (VICE, VICE_CHAIR_POSTS[0]),
        "vice2": (VICE, VICE_CHAIR_POSTS[1]),
        "member1": (MEMBER, "区发展和改革局副局长"),
        "member2": (MEMBER, "区经济和信息化局副局长"),
    }
    for name, seat in changes.items():
        if seat is None:
            seats.pop(name)
        else:
            seats[name] = seat
    return [Seat(u, p, post) for u, (p, post) in seats.items()]


def refused(seats: list[Seat], code: str) -> DomainError:
    with pytest.raises(DomainError) as e:
        validate_roster(seats)
    assert (e.value.code, e.value.status) == (code, 422)
    assert e.value.message_zh and e.value.message_en
    return e.value


@pytest.mark.req("R6.1")
def test_the_roster_of_article_6_is_accepted() -> None:
    validate_roster(roster())
    validate_roster(roster(chair=(CHAIR, "鹿城区政府分管副区长")))  # the district's name in front
    validate_roster(roster(member3=(MEMBER, "区财政局副局长")))


@pytest.mark.req("R6.1")
@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"chair": None}, "ROSTER_CHAIR"),
        ({"member1": (CHAIR, "区长")}, "ROSTER_CHAIR"),  # two chairs
        ({"chair": (CHAIR, "区市场监管局副局长")}, "ROSTER_CHAIR_POST"),
        ({"vice2": None}, "ROSTER_VICE_CHAIRS"),
        ({"vice1": (MEMBER, VICE_CHAIR_POSTS[0])}, "ROSTER_VICE_CHAIRS"),
        ({"vice2": (VICE, "区市场监管局副局长")}, "ROSTER_VICE_CHAIRS"),
        ({"member1": (VICE, "区发展和改革局副局长")}, "ROSTER_VICE_CHAIRS"),  # three vice-chairs
        ({"member1": (MEMBER, "  ")}, "ROSTER_POST_REQUIRED"),
        ({"member2": (MEMBER, CHAIR_POST)}, "ROSTER_POST_TWICE"),
    ],
    ids=[
        "no-chair",
        "two-chairs",
        "chair-not-the-deputy-head",
        "a-vice-chair-missing",
        "vice-chair-post-held-by-a-member",
        "wrong-vice-chair-post",
        "three-vice-chairs",
        "member-without-post",
        "statutory-post-twice",
    ],
)
def test_a_roster_missing_the_chair_or_a_vice_chair_post_is_refused(
    changes: dict[str, tuple[Position, str] | None], code: str
) -> None:
    refused(roster(**changes), code)


@pytest.mark.req("R6.1")
def test_someone_listed_twice_is_refused() -> None:
    seats = roster()
    refused([*seats, seats[-1]], "ROSTER_DUPLICATE")
