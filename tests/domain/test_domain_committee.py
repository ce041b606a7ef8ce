"""The committee's rules beside the roster's (domain/committee.py): committee accounts only on the
roster, the published order of the roster, and recusals declared by the member, before the
plenary, once."""

from __future__ import annotations

import pytest

from domain.committee import check_recusal, check_roster_accounts, own_interest_only, roster_listing
from domain.errors import DomainError


@pytest.mark.req("R6.1")
def test_a_roster_names_committee_accounts_only() -> None:
    check_roster_accounts(["wang", "li"], {"wang": "committee", "li": "committee"})
    with pytest.raises(DomainError) as e:
        check_roster_accounts(["wang", "zhao", "qian"], {"wang": "committee", "zhao": "office"})
    assert e.value.code == "ROSTER_ACCOUNTS" and e.value.status == 422
    assert "zhao、qian" in e.value.message_zh and "wang" not in e.value.message_zh


@pytest.mark.req("R6.1")
def test_the_published_roster_lists_chair_then_vice_chairs_then_members_in_the_order_entered() -> None:
    members = [
        ("MEMBER", "甲", "区发展和改革局副局长"),
        ("VICE_CHAIR", "乙", "区市场监管局局长"),
        ("CHAIR", "丙", "区政府分管副区长"),
        ("MEMBER", "丁", "区经济和信息化局副局长"),
        ("VICE_CHAIR", "戊", "区政府办公室联系副主任"),
    ]
    assert roster_listing(members) == [
        ("主任", "丙（区政府分管副区长）"),
        ("副主任", "乙（区市场监管局局长）"),
        ("副主任", "戊（区政府办公室联系副主任）"),
        ("成员", "甲（区发展和改革局副局长）"),
        ("成员", "丁（区经济和信息化局副局长）"),
    ]


@pytest.mark.req("R14.6")
def test_a_member_declares_only_their_own_interest() -> None:
    own_interest_only("wang", "wang")
    with pytest.raises(DomainError) as e:
        own_interest_only("wang", "li")
    assert e.value.code == "FORBIDDEN" and e.value.status == 403


@pytest.mark.req("R14.6")
def test_a_recusal_is_declared_before_the_plenary_and_once() -> None:
    check_recusal(meeting_convened=False, recorded=False)
    with pytest.raises(DomainError) as e:
        check_recusal(meeting_convened=True, recorded=False)
    assert e.value.code == "MEETING_CONVENED" and e.value.status == 409
    with pytest.raises(DomainError) as e:
        check_recusal(meeting_convened=False, recorded=True)
    assert e.value.code == "RECUSAL_EXISTS" and e.value.status == 409
    with pytest.raises(DomainError) as e:  # a convened meeting is the answer, recorded or not
        check_recusal(meeting_convened=True, recorded=True)
    assert e.value.code == "MEETING_CONVENED"
