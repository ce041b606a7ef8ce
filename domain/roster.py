"""The committee roster (Art. 6, R6.1).

"区评委会主任由区政府分管副区长担任，副主任由区政府办公室联系副主任和区市场监管局局长担任，其他成员由
区评审办提出建议名单，报区政府批准后公布。" The chair and the two vice-chairs hold their seats by
their posts; every other member is named with their post. The office proposes the roster, the
district government approves it, and it is published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import invalid, refuse_any


class Position(StrEnum):
    CHAIR = "CHAIR"  # 主任
    VICE_CHAIR = "VICE_CHAIR"  # 副主任
    MEMBER = "MEMBER"  # 成员

    @property
    def name_zh(self) -> str:
        return {"CHAIR": "主任", "VICE_CHAIR": "副主任", "MEMBER": "成员"}[self.value]


CHAIR_POST = "区政府分管副区长"
VICE_CHAIR_POSTS = ("区政府办公室联系副主任", "区市场监管局局长")
_DISTRICT = "鹿城"
MAX_POST = 100


@dataclass(frozen=True)
class Seat:
    username: str
    position: Position
    post: str  # 职务, e.g. 区政府分管副区长


def normal_post(post: str) -> str:
    """A post as the roster compares it: trimmed, the district's name in front left out
    (鹿城区政府分管副区长 is the 区政府分管副区长)."""
    p = post.strip()
    return p[len(_DISTRICT) :] if p.startswith(_DISTRICT + "区") else p


def validate_roster(seats: Sequence[Seat]) -> None:
    """Raise DomainError (422, stable code) unless the roster is one Art. 6 allows: the chair
    (区政府分管副区长), both vice-chairs (区政府办公室联系副主任, 区市场监管局局长), and every member
    named with a post; nobody twice."""
    usernames = [x.username for x in seats]
    if len(set(usernames)) != len(usernames):
        raise invalid("ROSTER_DUPLICATE", "名单中有重复人员", "Someone is listed twice")
    missing = [x.username for x in seats if not x.post.strip()]
    refuse_any(
        missing,
        invalid,
        "ROSTER_POST_REQUIRED",
        "评委会名单须载明每位成员的职务，以下人员未填写：",
        "The roster names every member's post; missing for: ",
        members=missing,
    )
    if any(len(x.post) > MAX_POST for x in seats):
        raise invalid(
            "ROSTER_POST_TOO_LONG", f"职务不得超过{MAX_POST}字", f"A post has at most {MAX_POST} characters"
        )
    chairs = [x for x in seats if x.position is Position.CHAIR]
    if len(chairs) != 1:
        raise invalid(
            "ROSTER_CHAIR",
            f"评委会须有且仅有一名主任，由{CHAIR_POST}担任（办法第六条）",
            f"The committee has exactly one chair, the {CHAIR_POST} (deputy district head in charge; Art. 6)",
        )
    if normal_post(chairs[0].post) != CHAIR_POST:
        raise invalid(
            "ROSTER_CHAIR_POST",
            f"评委会主任由{CHAIR_POST}担任（办法第六条），名单中的主任职务为“{chairs[0].post.strip()}”",
            f"The chair is the {CHAIR_POST} (deputy district head in charge; Art. 6); "
            f"the roster's chair holds “{chairs[0].post.strip()}”",
        )
    vice = sorted(normal_post(x.post) for x in seats if x.position is Position.VICE_CHAIR)
    if vice != sorted(VICE_CHAIR_POSTS):
        wanted = "和".join(VICE_CHAIR_POSTS)
        raise invalid(
            "ROSTER_VICE_CHAIRS",
            f"评委会副主任由{wanted}担任（办法第六条），名单中的副主任为：" + ("、".join(vice) or "无"),
            "The vice-chairs are the 区政府办公室联系副主任 (deputy director of the district government "
            "office) and the 区市场监管局局长 (head of the market regulation bureau) (Art. 6); the roster "
            "names: " + (", ".join(vice) or "none"),
            vice_chairs=vice,
        )
    statutory = {CHAIR_POST, *VICE_CHAIR_POSTS}
    misplaced = [
        x.username for x in seats if x.position is Position.MEMBER and normal_post(x.post) in statutory
    ]
    refuse_any(
        misplaced,
        invalid,
        "ROSTER_POST_TWICE",
        "主任、副主任的职务只能各由一人担任，以下成员的职务与之重复：",
        "The chair's and vice-chairs' posts are held once each; these members repeat one: ",
        members=misplaced,
    )
