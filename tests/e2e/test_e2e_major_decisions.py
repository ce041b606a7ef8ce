"""Art. 7(1) through the HTTP API on real servers: the committee decides the major matters that
arise during the review (研究决定评审过程出现的重大事项). The chair or a vice-chair records each
decision — by a vote of the members present, checked against the roster and the quorum of the
cycle's rules, or by the members' recorded consent — with its attachments; a refused record leaves
nothing behind; the decisions are audited, read by the committee, office, government and auditor,
and appear in the cycle's timeline among its other steps (R7.1, P4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import ADMIN, OFFICE
from support import expect_list, in_seconds

from devstack.scenario import Scenario, expect, password_of, pdf


def refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["code"] == code and body["message_zh"] and body["message_en"], body
    return body


@pytest.mark.req("R7.1")
@pytest.mark.req("P4")
async def test_the_committee_records_its_decisions_on_major_matters(api: httpx.AsyncClient) -> None:
    office = await Scenario.login(api, *OFFICE)
    year = datetime.now(UTC).year + 1
    sc = Scenario(api, office, year, admin=await Scenario.login(api, *ADMIN))
    await sc.enterprise(1, "鹿城重大事项测试有限公司")  # an uploader of the attachment
    # The cycle's rules ask every member to be present for a vote (a quorum of 1/1).
    await sc.open_cycle(application_deadline=in_seconds(3600), quorum_numerator=1, quorum_denominator=1)
    chair, vice, member = sc.committee["chair"], sc.committee["vice1"], sc.committee["member1"]
    auditor = await sc.account("auditor1", "auditor", password_of("auditor1"), "区纪委监委派驻纪检组")
    minutes = await sc.upload(1, pdf("评委会会议纪要"), "会议纪要.pdf")
    everyone = ["chair", "vice1", "vice2", "member1", "member2"]
    url = f"/cycles/{year}/committee/decisions"
    vote = {
        "subject": "关于因汛期延长现场评审期限的决定",
        "decision": "受台风影响，本年度现场评审期限顺延10个工作日，由区评审办通知各申报企业。",
        "method": "VOTE",
        "present": everyone,
        "votes": {"in_favour": 4, "against": 0, "abstain": 1},
        "attachments": [minutes],
    }

    # Who records: the chair or a vice-chair of the year's committee, nobody else.
    assert (await api.post(url, headers=member, json=vote)).status_code == 403
    assert (await api.post(url, headers=office, json=vote)).status_code == 403
    assert (await api.post(url, headers=sc.government, json=vote)).status_code == 403

    # Refused records: each with its code, and nothing is stored.
    refused(
        await api.post(url, headers=chair, json={**vote, "subject": " "}), 422, "DECISION_SUBJECT_REQUIRED"
    )
    refused(
        await api.post(
            url, headers=chair, json={**vote, "votes": {"in_favour": 4, "against": 0, "abstain": 0}}
        ),
        422,
        "DECISION_VOTE_COUNTS",
    )
    body = refused(
        await api.post(url, headers=chair, json={**vote, "present": [*everyone[:4], "gov"]}),
        422,
        "NOT_COMMITTEE_MEMBERS",
    )
    assert body["details"]["members"] == ["gov"]
    four = {**vote, "present": everyone[:4], "votes": {"in_favour": 4, "against": 0, "abstain": 0}}
    body = refused(await api.post(url, headers=chair, json=four), 409, "QUORUM_NOT_MET")  # the cycle's 1/1
    assert body["details"] == {"present": 4, "roster": 5, "needed": 5, "quorum": "1"}
    refused(
        await api.post(url, headers=chair, json={**vote, "attachments": ["0" * 64]}),
        422,
        "DECISION_ATTACHMENT_NOT_FOUND",
    )
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    refused(
        await api.post(url, headers=chair, json={**vote, "decided_at": future}), 422, "DECISION_IN_FUTURE"
    )
    refused(await api.post(url, headers=chair, json={**vote, "method": "PHONE"}), 422, "DECISION_METHOD")
    assert expect_list(await api.get(url, headers=office)) == []

    # A vote of all five: adopted (4 of 5 for); retried with the same key it is recorded once.
    first = expect(await api.post(url, headers={**chair, "Idempotency-Key": "d-1"}, json=vote), 201)
    again = expect(await api.post(url, headers={**chair, "Idempotency-Key": "d-1"}, json=vote), 201)
    assert again["id"] == first["id"] == f"{year}-D1"
    assert first["adopted"] is True and first["method"] == "VOTE" and first["recorded_by"] == "chair"
    assert first["votes"] == {"in_favour": 4, "against": 0, "abstain": 1} and first["roster_size"] == 5
    assert first["attachments"] == [minutes] and first["recorded_position"] == "CHAIR"
    assert "出席5人" in first["basis"] and "通过" in first["basis"]

    # By consent, recorded by a vice-chair: a majority of the committee is needed.
    consent = {
        "subject": "关于更换第二评审组组长的决定",
        "decision": "同意由专家102接任第二评审组组长。",
        "method": "CONSENT",
        "consenting": ["chair", "vice1"],
        "decided_at": (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
    }
    body = refused(await api.post(url, headers=vice, json=consent), 409, "DECISION_CONSENT_INSUFFICIENT")
    assert body["details"]["needed"] == 3
    second = expect(
        await api.post(url, headers=vice, json={**consent, "consenting": ["chair", "vice1", "member2"]}), 201
    )
    assert second["id"] == f"{year}-D2" and second["adopted"] is True and second["votes"] is None
    assert second["recorded_by"] == "vice1" and second["consenting"] == ["chair", "vice1", "member2"]

    # Read by the committee's members, the office, the government and the auditor; not by an enterprise.
    for reader in (member, office, sc.government, auditor):
        listed = expect_list(await api.get(url, headers=reader))
        assert [d["id"] for d in listed] == [first["id"], second["id"]]
    assert (await api.get(url, headers=sc.enterprise_heads[1])).status_code == 403
    one = expect(await api.get(f"{url}/{second['id']}", headers=auditor), 200)
    assert one["subject"] == consent["subject"]
    assert (await api.get(f"{url}/{year}-D9", headers=office)).status_code == 404

    # The cycle's timeline: its steps in order, the decisions among them.
    timeline = expect_list(await api.get(f"/cycles/{year}/timeline", headers=member))
    actions = [e["action"] for e in timeline]
    for step in ("ROSTER_PROPOSED", "ROSTER_APPROVED", "RULES_APPROVED", "CYCLE_STARTED"):
        assert step in actions, actions
    assert actions.index("CYCLE_STARTED") < actions.index("MAJOR_DECISION_RECORDED")
    decided = [e for e in timeline if e["action"] == "MAJOR_DECISION_RECORDED"]
    assert [(e["decision"]["decision_id"], e["summary"]) for e in decided] == [
        (first["id"], vote["subject"]),
        (second["id"], consent["subject"]),
    ]
    assert decided[0]["decision"]["adopted"] is True and decided[1]["actor"] == "vice1"
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
    assert (await api.get(f"/cycles/{year}/timeline", headers=sc.enterprise_heads[1])).status_code == 403
    assert (await api.get(f"/cycles/{year + 5}/timeline", headers=office)).status_code == 404

    # Audited: once each, on the cycle (the retried request wrote nothing).
    audit = expect_list(
        await api.get(
            "/audit", headers=auditor, params={"action": "MAJOR_DECISION_RECORDED", "page_size": 100}
        )
    )
    assert [(e["entity_id"], e["actor"]) for e in audit] == [(str(year), "chair"), (str(year), "vice1")]
    assert expect(await api.get("/audit/verify", headers=auditor), 200)["ok"] is True
