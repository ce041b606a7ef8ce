"""The committee's decisions on major matters (Art. 7(1), R7.1): a vote of the members present
within the quorum, or the recorded consent of a majority of the committee; nothing else is taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.decisions import (
    CheckedDecision,
    DecisionMethod,
    MajorDecisionDraft,
    VoteCounts,
    check_major_decision,
)
from domain.errors import DomainError

ROSTER = [f"m{i}" for i in range(1, 10)]  # nine members
NOW = datetime(2027, 6, 1, 2, 0, tzinfo=UTC)
QUORUM, PASS = Fraction(2, 3), Fraction(1, 2)
SHA = "a" * 64


def vote(present: list[str], f: int, a: int, ab: int, **kw: object) -> MajorDecisionDraft:
    return MajorDecisionDraft(
        subject="关于延长现场评审期限的决定",
        decision="因汛期影响，现场评审期限延长10日",
        method="VOTE",
        present=present,
        votes=VoteCounts(f, a, ab),
        **kw,  # type: ignore[arg-type]
    )


def consent(consenting: list[str], **kw: object) -> MajorDecisionDraft:
    return MajorDecisionDraft(
        subject="关于更换评审专家的决定",
        decision="同意更换第二组评审专家",
        method="CONSENT",
        consenting=consenting,
        **kw,  # type: ignore[arg-type]
    )


def check(d: MajorDecisionDraft) -> CheckedDecision:
    return check_major_decision(d, roster=ROSTER, quorum=QUORUM, pass_ratio=PASS, now=NOW)


def refused(d: MajorDecisionDraft) -> DomainError:
    with pytest.raises(DomainError) as e:
        check(d)
    return e.value


@pytest.mark.req("R7.1")
def test_a_vote_of_the_members_present_is_adopted_by_more_than_half_of_them() -> None:
    c = check_major_decision(
        vote(ROSTER[:6], 4, 1, 1), roster=ROSTER, quorum=QUORUM, pass_ratio=PASS, now=NOW
    )
    assert c.method is DecisionMethod.VOTE and c.adopted is True and c.decided_at == NOW
    assert "出席6人" in c.basis and "同意4票" in c.basis and "通过" in c.basis
    tied = check_major_decision(
        vote(ROSTER[:6], 3, 2, 1), roster=ROSTER, quorum=QUORUM, pass_ratio=PASS, now=NOW
    )
    assert tied.adopted is False and "未通过" in tied.basis  # 3 of 6 is not more than half


@pytest.mark.req("R7.1")
def test_vote_counts_must_add_up_to_the_members_present() -> None:
    e = refused(vote(ROSTER[:6], 4, 1, 0))
    assert e.code == "DECISION_VOTE_COUNTS" and e.status == 422 and e.details == {"votes": 5, "present": 6}
    assert refused(vote(ROSTER[:6], 5, 1, 1)).code == "DECISION_VOTE_COUNTS"
    assert refused(vote(ROSTER[:6], -1, 6, 1)).code == "DECISION_VOTE_COUNTS"


@pytest.mark.req("R7.1")
def test_a_vote_needs_the_quorum_of_the_cycles_rules() -> None:
    e = refused(vote(ROSTER[:5], 5, 0, 0))  # 5 of 9 < 2/3
    assert e.code == "QUORUM_NOT_MET" and e.status == 409 and e.details["needed"] == 6
    ok = check_major_decision(
        vote(ROSTER[:5], 5, 0, 0), roster=ROSTER, quorum=Fraction(1, 2), pass_ratio=PASS, now=NOW
    )
    assert ok.adopted is True  # under rules with a lower quorum the same meeting may decide


@pytest.mark.req("R7.1")
def test_the_members_present_are_members_named_once() -> None:
    e = refused(vote([*ROSTER[:5], "stranger"], 6, 0, 0))
    assert e.code == "NOT_COMMITTEE_MEMBERS" and e.details["members"] == ["stranger"]
    e = refused(vote([*ROSTER[:5], "m1"], 6, 0, 0))
    assert e.code == "DECISION_PRESENT_DUPLICATE" and e.details["members"] == ["m1"]
    assert refused(vote([], 0, 0, 0)).code == "DECISION_PRESENT_REQUIRED"
    missing = MajorDecisionDraft(subject="x", decision="y", method="VOTE", present=ROSTER[:6])
    assert refused(missing).code == "DECISION_VOTES_REQUIRED"
    assert refused(vote(ROSTER[:6], 6, 0, 0, consenting=["m1"])).code == "DECISION_METHOD_MIXED"


@pytest.mark.req("R7.1")
def test_consent_needs_more_than_half_of_the_whole_committee() -> None:
    c = check(consent(ROSTER[:5]))  # 5 of 9
    assert c.adopted is True and "5人书面同意" in c.basis
    e = refused(consent(ROSTER[:4]))
    assert e.code == "DECISION_CONSENT_INSUFFICIENT" and e.status == 409 and e.details["needed"] == 5
    assert refused(consent(["m1", "nobody", "m2", "m3", "m4"])).code == "NOT_COMMITTEE_MEMBERS"
    assert refused(consent(["m1", "m1", "m2", "m3", "m4", "m5"])).code == "DECISION_CONSENTING_DUPLICATE"
    assert refused(consent([])).code == "DECISION_CONSENTING_REQUIRED"
    assert refused(consent(ROSTER[:5], present=["m1"])).code == "DECISION_METHOD_MIXED"


@pytest.mark.req("R7.1")
def test_subject_decision_method_attachments_and_time_are_checked() -> None:
    blank = MajorDecisionDraft(subject="  ", decision="d", method="CONSENT", consenting=ROSTER)
    assert refused(blank).code == "DECISION_SUBJECT_REQUIRED"
    empty = MajorDecisionDraft(subject="s", decision="\n", method="CONSENT", consenting=ROSTER)
    assert refused(empty).code == "DECISION_TEXT_REQUIRED"
    other = MajorDecisionDraft(subject="s", decision="d", method="SHOW_OF_HANDS", consenting=ROSTER)
    assert refused(other).code == "DECISION_METHOD"
    assert refused(consent(ROSTER, attachments=["not-a-hash"])).code == "DECISION_ATTACHMENTS"
    assert refused(consent(ROSTER, attachments=[SHA, SHA])).code == "DECISION_ATTACHMENTS"
    assert (
        refused(consent(ROSTER, attachments=[f"{i:064x}" for i in range(21)])).code == "DECISION_ATTACHMENTS"
    )
    assert refused(consent(ROSTER, decided_at=NOW + timedelta(hours=1))).code == "DECISION_IN_FUTURE"
    earlier = NOW - timedelta(days=2)
    assert check(consent(ROSTER, decided_at=earlier, attachments=[SHA])).decided_at == earlier


@pytest.mark.req("R7.1")
@given(
    present=st.integers(min_value=1, max_value=9),
    split=st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(0, 9)),
)
def test_a_recorded_vote_is_consistent_whatever_the_counts(present: int, split: tuple[int, int, int]) -> None:
    """Property: a vote is taken only when the counts add up and the quorum is met, and it is
    adopted exactly when more than half of the members present voted for it."""
    f, a, ab = split
    d = vote(ROSTER[:present], f, a, ab)
    try:
        c = check_major_decision(d, roster=ROSTER, quorum=QUORUM, pass_ratio=PASS, now=NOW)
    except DomainError as e:
        assert (f + a + ab != present and e.code == "DECISION_VOTE_COUNTS") or (
            f + a + ab == present and present * 3 < 2 * len(ROSTER) and e.code == "QUORUM_NOT_MET"
        )
        return
    assert f + a + ab == present and present * 3 >= 2 * len(ROSTER)
    assert c.adopted is (2 * f > present)
