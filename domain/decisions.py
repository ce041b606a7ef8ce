"""The committee's decisions on major matters arising during the review (Art. 7(1), R7.1).

区评委会“研究决定评审过程出现的重大事项”: the chair or a vice-chair records each decision for the
cycle — its subject, the decision, how it was taken and the documents it rests on. Pure rules,
shared by the API and the tests:

- **by vote (表决)**: the members present are named; they must be members of the year's approved
  committee and make the quorum of the cycle's rules (the plenary's quorum, Art. 14(4)); every
  member present is counted once, as for, against or abstaining, so the three counts add up to the
  members present. The matter is adopted when more than the rules' pass mark of the members
  present vote for it (the plenary's pass mark: by default more than half).
- **by recorded consent (书面同意 / 传签)**: the members who consented are named; they must be
  members, and more than the pass mark of the whole committee (by default a majority of all its
  members: without a meeting, no smaller group decides for the committee). A decision by consent is
  adopted by definition.

Attachments are stored documents, named by their sha256 (the API checks that they exist).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction

from domain.ballot import check_quorum
from domain.errors import conflict, invalid, refuse_any, repeated

MAX_SUBJECT = 200
MAX_DECISION = 10000
MAX_ATTACHMENTS = 20
# A decision is recorded after it is taken, not before: a clock a little ahead is tolerated.
CLOCK_SKEW = timedelta(minutes=5)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class DecisionMethod(StrEnum):
    VOTE = "VOTE"  # 会议表决
    CONSENT = "CONSENT"  # 成员书面同意（传签）

    @property
    def name_zh(self) -> str:
        return "会议表决" if self is DecisionMethod.VOTE else "成员书面同意"


@dataclass(frozen=True)
class VoteCounts:
    in_favour: int
    against: int
    abstain: int

    @property
    def total(self) -> int:
        return self.in_favour + self.against + self.abstain


@dataclass(frozen=True)
class MajorDecisionDraft:
    """A decision as the chair or a vice-chair submits it."""

    subject: str
    decision: str
    method: str  # DecisionMethod
    present: Sequence[str] = ()  # usernames of the members present (a vote)
    votes: VoteCounts | None = None  # a vote
    consenting: Sequence[str] = ()  # usernames of the members who consented (consent)
    attachments: Sequence[str] = ()  # sha256 of stored documents
    decided_at: datetime | None = None  # when the committee took it (default: when recorded)


@dataclass(frozen=True)
class CheckedDecision:
    method: DecisionMethod
    adopted: bool
    decided_at: datetime
    basis: str  # how it was taken, in Chinese, for the record and the timeline


def check_major_decision(
    d: MajorDecisionDraft,
    *,
    roster: Collection[str],
    quorum: Fraction,
    pass_ratio: Fraction,
    now: datetime,
) -> CheckedDecision:
    """Check a decision against the year's committee (`roster`: usernames of its members) and the
    cycle's quorum and pass mark; raise DomainError (nothing is recorded) or return the outcome."""
    _text("DECISION_SUBJECT_REQUIRED", d.subject, MAX_SUBJECT, "重大事项的事由", "subject")
    _text("DECISION_TEXT_REQUIRED", d.decision, MAX_DECISION, "决定内容", "decision")
    try:
        method = DecisionMethod(d.method)
    except ValueError:
        raise invalid(
            "DECISION_METHOD",
            "决定方式须为会议表决（VOTE）或成员书面同意（CONSENT）",
            "The method is VOTE or CONSENT",
        ) from None
    _attachments(d.attachments)
    decided_at = d.decided_at or now
    if decided_at > now + CLOCK_SKEW:
        raise invalid(
            "DECISION_IN_FUTURE",
            "决定时间不能晚于登记时间",
            "A decision cannot be recorded before it is taken",
        )
    if method is DecisionMethod.VOTE:
        adopted, basis = _vote(d, roster, quorum, pass_ratio)
    else:
        adopted, basis = _consent(d, roster, pass_ratio)
    return CheckedDecision(method, adopted, decided_at, basis)


def _vote(
    d: MajorDecisionDraft, roster: Collection[str], quorum: Fraction, pass_ratio: Fraction
) -> tuple[bool, str]:
    if d.consenting:
        raise invalid(
            "DECISION_METHOD_MIXED",
            "会议表决的决定不填写书面同意成员",
            "A decision by vote names no consenting members",
        )
    present = _members("DECISION_PRESENT", d.present, roster, "出席会议的委员", "members present")
    v = d.votes
    if v is None:
        raise invalid(
            "DECISION_VOTES_REQUIRED",
            "会议表决须填写同意、反对、弃权票数",
            "A decision by vote needs the counts for, against and abstaining",
        )
    if min(v.in_favour, v.against, v.abstain) < 0:
        raise invalid("DECISION_VOTE_COUNTS", "票数不能为负数", "Vote counts cannot be negative")
    if v.total != len(present):
        raise invalid(
            "DECISION_VOTE_COUNTS",
            f"同意{v.in_favour}票、反对{v.against}票、弃权{v.abstain}票，合计{v.total}票，"
            f"与出席委员{len(present)}人不符（每位出席委员计一票）",
            f"{v.in_favour} for, {v.against} against and {v.abstain} abstaining make {v.total}, "
            f"not the {len(present)} members present (each member present counts once)",
            votes=v.total,
            present=len(present),
        )
    check_quorum(len(present), len(roster), quorum)
    adopted = v.in_favour > pass_ratio * len(present)
    basis = (
        f"评委会委员{len(roster)}人，出席{len(present)}人；同意{v.in_favour}票，反对{v.against}票，"
        f"弃权{v.abstain}票，{'通过' if adopted else '未通过'}"
    )
    return adopted, basis


def _consent(d: MajorDecisionDraft, roster: Collection[str], pass_ratio: Fraction) -> tuple[bool, str]:
    if d.present or d.votes is not None:
        raise invalid(
            "DECISION_METHOD_MIXED",
            "书面同意的决定不填写出席委员和票数",
            "A decision by consent names no members present and no vote counts",
        )
    consenting = _members("DECISION_CONSENTING", d.consenting, roster, "书面同意的委员", "consenting members")
    if not len(consenting) > pass_ratio * len(roster):
        needed = int(pass_ratio * len(roster)) + 1  # the least count strictly above the mark
        raise conflict(
            "DECISION_CONSENT_INSUFFICIENT",
            f"书面同意的委员{len(consenting)}人，未超过评委会委员{len(roster)}人的{pass_ratio}"
            f"（至少须{needed}人），不能以书面同意方式作出决定",
            f"{len(consenting)} of {len(roster)} members consented; a decision by consent needs more "
            f"than {pass_ratio} of the committee (at least {needed})",
            consenting=len(consenting),
            roster=len(roster),
            needed=needed,
        )
    return True, f"评委会委员{len(roster)}人，{len(consenting)}人书面同意"


def _members(code: str, names: Sequence[str], roster: Collection[str], zh: str, en: str) -> list[str]:
    if not names:
        raise invalid(f"{code}_REQUIRED", f"请填写{zh}", f"The {en} are required")
    twice = repeated(names)
    refuse_any(
        twice,
        invalid,
        f"{code}_DUPLICATE",
        f"{zh}中有重复：",
        f"Named more than once among the {en}: ",
        members=twice,
    )
    strangers = sorted(set(names) - set(roster))
    refuse_any(
        strangers,
        invalid,
        "NOT_COMMITTEE_MEMBERS",
        "以下人员不是本年度评委会成员：",
        "Not members of this year's committee: ",
        members=strangers,
    )
    return list(names)


def request_digest(year: int, recorder: str, key: str | None) -> str | None:
    """The caller's idempotency key, namespaced by year and caller, as a fixed-length digest."""
    return hashlib.sha256(f"{year}\n{recorder}\n{key}".encode()).hexdigest() if key else None


def check_attachments_stored(attachments: Sequence[str], stored: Collection[str]) -> None:
    """The attachments are stored documents (`stored`: those of them that are)."""
    missing = [x for x in attachments if x not in stored]
    if missing:
        raise invalid(
            "DECISION_ATTACHMENT_NOT_FOUND",
            "附件须为已上传的材料，以下材料不存在：" + "、".join(missing),
            "Attachments must be stored documents; not found: " + ", ".join(missing),
            missing=missing,
        )


def _attachments(shas: Sequence[str]) -> None:
    if len(shas) > MAX_ATTACHMENTS:
        raise invalid(
            "DECISION_ATTACHMENTS",
            f"附件不得超过{MAX_ATTACHMENTS}份",
            f"At most {MAX_ATTACHMENTS} attachments",
        )
    bad = [s for s in shas if not _SHA256.match(s)]
    if bad:
        raise invalid(
            "DECISION_ATTACHMENTS",
            "附件须以已上传材料的sha256（64位小写十六进制）标识",
            "Attachments are named by the sha256 (64 lower-case hex digits) of stored documents",
        )
    if len(set(shas)) != len(shas):
        raise invalid("DECISION_ATTACHMENTS", "附件重复", "An attachment is named twice")


def _text(code: str, value: str, limit: int, zh: str, en: str) -> None:
    if not value.strip():
        raise invalid(code, f"请填写{zh}", f"The {en} is required")
    if len(value) > limit:
        raise invalid(code, f"{zh}不得超过{limit}字", f"The {en} may not exceed {limit} characters")
