"""The experts' undertaking (评审专家承诺书, Art. 20(3)–(5)) through the HTTP API on the real servers:
an expert who has not signed the cycle's undertaking sees none of its assignments and is skipped by
the panel draw with that reason; each signature names the version and the hash of the text signed,
and is audited; a breach recorded by the office goes down the discipline path (R20.3)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import ADMIN, OFFICE
from support import expect_list, login

from devstack.scenario import Headers, Scenario, expect, password_of


async def unsigned_expert(sc: Scenario, k: int) -> tuple[dict[str, Any], Headers]:
    """An expert the office registers, who signs in but has not signed the undertaking."""
    body = {
        "name": f"专家{k:02d}",
        "qualifications": ["高级工程师"],
        "fields": ["INDUSTRY"],
        "username": f"expert{k}",
    }
    e = expect(await sc.api.post("/experts", headers=sc.office, json=body), 201)
    await Scenario.accept(sc.api, e.pop("invitation"), password_of(f"expert{k}"))
    return e, await Scenario.login(sc.api, f"expert{k}", password_of(f"expert{k}"))


def refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    assert body["message_zh"] and body["message_en"]
    return body


@pytest.mark.req("R20.1")
@pytest.mark.req("R20.2")
@pytest.mark.req("R20.3")
@pytest.mark.req("R9.1")
@pytest.mark.req("P2")
@pytest.mark.req("P4")
async def test_an_expert_who_has_not_signed_the_undertaking_sees_nothing_and_is_not_drawn(
    api: httpx.AsyncClient,
) -> None:
    sc = Scenario(api, await login(api, *OFFICE), datetime.now(UTC).year + 1, admin=await login(api, *ADMIN))
    year = sc.year
    await sc.open_cycle(
        application_deadline=(datetime.now(UTC) + timedelta(seconds=8)).isoformat(),
        demo=True,
        document_review_period=600,
        review_reminder_before=60,
    )
    await sc.enterprise(91, "鹿城承诺测试有限公司")
    signed = [await sc.expert(k, fields=("INDUSTRY",)) for k in (91, 92, 93)]  # each signs (Scenario)
    late, late_heads = await unsigned_expert(sc, 94)

    # The undertaking an expert reads: the default text, version 1, with its hash.
    text = expect(await api.get(f"/cycles/{year}/undertaking", headers=late_heads), 200)
    assert text["version"] == 1 and text["my_signature"] is None
    assert text["text_sha256"] == hashlib.sha256(text["text"].encode()).hexdigest()
    for clause in ("咨询", "礼品", "保守评审秘密", "利害关系"):
        assert clause in text["text"]

    # Until they sign, the expert's assignments are refused with a code that tells them to sign.
    body = refused(await api.get("/expert/assignments", headers=late_heads), 409, "UNDERTAKING_NOT_SIGNED")
    assert body["details"]["years"] == [year]
    mine = expect(await api.get(f"/cycles/{year}/undertaking", headers=sc.expert_heads[signed[0]["id"]]), 200)
    assert mine["my_signature"]["version"] == 1
    assert mine["my_signature"]["text_sha256"] == text["text_sha256"]
    assert expect_list(await api.get("/expert/assignments", headers=sc.expert_heads[signed[0]["id"]])) == []

    # Bad input changes nothing: a signature without consent, of an unknown year, of a forged hash.
    sign = f"/cycles/{year}/undertaking/signature"
    r = await api.post(sign, headers=late_heads, json={"version": 1, "text_sha256": text["text_sha256"]})
    assert r.status_code == 422, r.text
    refused(
        await api.post(
            "/cycles/1999/undertaking/signature",
            headers=late_heads,
            json={"version": 1, "text_sha256": text["text_sha256"], "agree": True},
        ),
        422,
        "UNDERTAKING_YEAR",
    )
    refused(
        await api.post(sign, headers=late_heads, json={"version": 1, "text_sha256": "0" * 64, "agree": True}),
        409,
        "UNDERTAKING_TEXT_CHANGED",
    )
    listed = expect_list(await api.get(f"/cycles/{year}/undertaking/signatures", headers=sc.office))
    assert sorted(x["expert_id"] for x in listed) == sorted(e["id"] for e in signed)
    assert {(x["version"], x["text_sha256"]) for x in listed} == {(1, text["text_sha256"])}

    # The signatures are audited: who, which version, which text.
    audited = expect_list(await api.get("/audit", headers=sc.office, params={"action": "UNDERTAKING_SIGNED"}))
    assert sorted(int(a["entity_id"]) for a in audited) == sorted(e["id"] for e in signed)
    assert all(
        a["details"] == {"year": year, "version": 1, "text_sha256": text["text_sha256"]} for a in audited
    )

    # The draw seats the three who signed and lists the one who did not, with the reason.
    app_id = await sc.apply(91, "QUALITY")
    await asyncio.sleep(8)
    assert (await sc.qualify(app_id))["qualified"] is True
    await sc.wait_cycle("DOCUMENT_REVIEW")
    draw = await sc.draw()
    assert sorted(x["expert_id"] for x in draw["panels"][app_id]) == sorted(e["id"] for e in signed)
    assert [(x["expert_id"], x["reason_code"]) for x in draw["skipped"]] == [
        (late["id"], "UNDERTAKING_NOT_SIGNED")
    ]
    assert "承诺书" in draw["skipped"][0]["reason_zh"]
    record = expect(await api.get(f"/draws/{draw['draw_id']}", headers=sc.office), 200)
    pool = {x["expert_id"]: x for x in record["inputs"]["pool"]}
    assert pool[late["id"]]["unsigned"] is True and "unsigned" not in pool[signed[0]["id"]]
    verified = expect(await api.get(f"/draws/{draw['draw_id']}/verify", headers=sc.committee["chair"]), 200)
    assert verified["matches"] is True and verified["recorded_hash"] == verified["recomputed_hash"]
    # ... and the unsigned expert reads nothing of the cycle: 409 that says why, not the application
    refused(await api.get(f"/applications/{app_id}", headers=late_heads), 409, "UNDERTAKING_NOT_SIGNED")

    # A breach of the undertaking of someone who never signed it cannot be recorded as one.
    refused(
        await api.post(
            f"/experts/{late['id']}/discipline",
            headers=sc.office,
            json={
                "kind": "WARNING",
                "reason": "为申报单位提供咨询",
                "breach": {"year": year, "clause": "NO_CONSULTING"},
            },
        ),
        409,
        "UNDERTAKING_NOT_SIGNED",
    )

    # The office publishes a revised text: who signs from now on signs version 2 (what the earlier
    # signers undertook stays on record with its hash).
    revised = text["text"] + "\n六、评审期间不与申报单位私下接触。"
    v2 = expect(
        await api.post(
            f"/cycles/{year}/undertaking",
            headers=sc.office,
            json={"text": revised, "note": "增加不私下接触的承诺"},
        ),
        201,
    )
    assert v2["version"] == 2 and v2["published"] is True
    refused(
        await api.post(
            sign, headers=late_heads, json={"version": 1, "text_sha256": text["text_sha256"], "agree": True}
        ),
        409,
        "UNDERTAKING_TEXT_CHANGED",
    )
    sig = await Scenario.sign_undertaking(api, late_heads, year)
    assert (sig["version"], sig["text_sha256"]) == (2, hashlib.sha256(revised.encode()).hexdigest())
    assert sig == await Scenario.sign_undertaking(api, late_heads, year)  # signing again acts once
    assert expect_list(await api.get("/expert/assignments", headers=late_heads)) == []

    # A breach recorded by the office feeds the discipline path: disqualified, replaced on the open
    # panel by a reproducibly drawn alternate — now the expert who has signed.
    culprit = signed[0]
    r = await api.post(
        f"/experts/{culprit['id']}/discipline",
        headers=sc.office,
        json={
            "kind": "DISQUALIFICATION",
            "reason": "收受申报单位礼品",
            "breach": {"year": year, "clause": "NO_GIFTS"},
        },
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "DISQUALIFIED"
    assert out["discipline"][-1] | {"decided_at": None} == {
        "kind": "DISQUALIFICATION",
        "reason": "收受申报单位礼品",
        "decided_by": OFFICE[0],
        "decided_at": None,
        "breach_year": year,
        "breach_clause": "NO_GIFTS",
        "breach_clause_zh": "不收受礼品礼金",
    }
    panel = (await sc.app(app_id))["panels"]["DOCUMENT"]
    assert culprit["id"] not in {x["expert_id"] for x in panel} and late["id"] in {
        x["expert_id"] for x in panel
    }
    audited = expect_list(
        await api.get("/audit", headers=sc.office, params={"action": "EXPERT_DISQUALIFICATION"})
    )
    assert [a["details"]["breach_clause"] for a in audited if a["entity_id"] == str(culprit["id"])] == [
        "NO_GIFTS"
    ]
    assert [a["details"]["undertaking_version"] for a in audited if a["entity_id"] == str(culprit["id"])] == [
        1
    ]
    assert expect(await api.get(f"/applications/{app_id}", headers=late_heads), 200)["id"] == app_id
