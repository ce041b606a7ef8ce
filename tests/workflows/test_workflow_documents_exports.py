"""The documents as PDF and the exports through the HTTP API, after a whole production cycle on the
time-skipping server (two winners): the certificate, the result letter, the public announcement
and the work report as PDF, each to the readers of its JSON and to nobody else; the scores,
panels, lists and audit log as CSV and XLSX, each to its own roles."""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from test_workflow_after_award import awarded, notices_of, owner, public
from timeskip import award_api, env

from config.settings import Settings
from db import models as m
from devstack.scenario import expect

__all__ = ["env"]  # the time-skipping server fixture


def pdf_text(content: bytes) -> str:
    """The text with white space and the NULs pypdf puts between CID glyphs taken out."""
    return re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages))


def pdf_of(r: Any) -> str:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    return pdf_text(r.content)


def xlsx_rows(content: bytes) -> list[list[Any]]:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return [[c.value for c in row] for row in wb.worksheets[0].iter_rows()]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())  # the BOM, for Excel
    return list(csv.reader(io.StringIO(content.decode("utf-8").removeprefix("\ufeff"), newline="")))


@pytest.mark.req("R15.1")
@pytest.mark.req("R14.8")
@pytest.mark.req("R7.1")
@pytest.mark.req("R14.6")
@pytest.mark.req("P4")
async def test_documents_as_pdf_and_exports_after_a_cycle(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    temporal_client: Client,
) -> None:
    async with award_api(env, settings, sessions, temporal_client) as api:
        sc, certs = await awarded(env, api, settings)
        year = sc.year
        a1, a2 = sorted(certs)
        c1 = certs[a1]
        ent1, ent2 = owner(sc, a1), owner(sc, a2)
        async with sessions() as s:
            name1 = await s.scalar(
                select(m.Enterprise.name)
                .join(m.Application, m.Application.enterprise_id == m.Enterprise.id)
                .where(m.Application.id == a1)
            )
        assert name1

        # --- the certificate (R15.1): its winner and the readers of its JSON
        url = f"/certificates/{quote(c1)}/pdf"
        r = await api.get(url, headers=ent1)
        text = pdf_of(r)
        for expected in (
            c1,
            f"{name1}：",
            f"荣获{year}年度鹿城区政府质量奖。",
            "鹿城区人民政府",
            f"鹿政发〔{year}〕8号",
        ):
            assert expected in text, expected
        disposition = r.headers["content-disposition"]
        assert disposition.startswith("inline;") and f'filename="certificate-{year}-' in disposition
        assert "filename*=UTF-8''" in disposition
        for reader in (sc.office, sc.government, sc.committee["member1"]):
            assert (await api.get(url, headers=reader)).status_code == 200
        refused = await api.get(url, headers=ent2)  # another winner does not see it
        assert refused.status_code == 404 and refused.json()["code"] == "NOT_FOUND"
        assert (await api.get(url, headers=next(iter(sc.expert_heads.values())))).status_code == 403
        assert (await api.get(url)).status_code == 401

        # --- the result letter (R14.8) to its enterprise, and only to it (and the office)
        letter = (await notices_of(api, ent1, "AWARD_RESULT"))[0]
        r = await api.get(f"/notices/{letter['id']}/pdf", headers=ent1)
        text = pdf_of(r)
        assert text.startswith("鹿城区政府质量奖评审委员会办公室" + letter["title"])
        assert f"{name1}：" in text and c1 in text and f"通知编号{letter['id']}" in text
        assert (await api.get(f"/notices/{letter['id']}/pdf", headers=sc.office)).status_code == 200
        other = await api.get(f"/notices/{letter['id']}/pdf", headers=ent2)
        assert other.status_code == 404 and other.json()["code"] == "NOT_FOUND"
        assert (await api.get(f"/notices/{letter['id']}/pdf", headers=sc.government)).status_code == 403
        assert (await api.get(f"/public/notices/{letter['id']}/pdf")).status_code == 404  # not public

        # --- the public announcement (R14.8), to anyone without signing in
        announcement = (await public(api, "AWARD_ANNOUNCEMENT"))[0]
        text = pdf_of(await api.get(f"/public/notices/{announcement['id']}/pdf"))
        assert text.startswith("鹿城区人民政府" + f"关于授予{year}年度鹿城区政府质量奖的决定")
        assert name1 in text and f"鹿政发〔{year}〕8号" in text

        # --- the work report (R7.1), to the committee's records readers
        report = expect(await api.get(f"/cycles/{year}/work-report", headers=sc.office), 200)
        r = await api.get(f"/cycles/{year}/work-report/pdf", headers=sc.committee["member2"])
        text = pdf_of(r)
        assert text.startswith(f"鹿城区政府质量奖{year}年度评审工作报告区评委会：")
        assert f"{name1}（{a1}）" in text and "—1—" in text
        assert report["text"].splitlines()[-1] in text  # the date it was presented
        assert f'filename="work-report-{year}.pdf"' in r.headers["content-disposition"]
        assert (await api.get(f"/cycles/{year}/work-report/pdf", headers=ent1)).status_code == 403

        # --- exports: the scores (experts by seat, not by name)
        r = await api.get(f"/cycles/{year}/exports/scores.xlsx", headers=sc.committee["member1"])
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml"
        )
        assert f'filename="scores-{year}.xlsx"' in r.headers["content-disposition"]
        rows = xlsx_rows(r.content)
        head = rows[0]
        assert head[:5] == ["申报编号", "申报单位", "奖项", "评审阶段", "评分人"]
        assert "4.1.1 高层领导的作用（满分50）" in head and "总分" in head
        mine = [row for row in rows[1:] if row[0] == a1]
        # document and on-site review: the panel's consolidated sheet, and each expert's on paper
        assert {(row[3], row[4]) for row in mine} >= {
            ("资料评审", "评审组（组长汇总）"),
            ("现场评审", "评审组（组长汇总）"),
        }
        assert {row[4] for row in mine if row[3] == "资料评审"} >= {"专家1", "专家2", "专家3"}
        panel = next(row for row in mine if row[3] == "资料评审" and row[4] == "评审组（组长汇总）")
        assert panel[head.index("4.1.1 高层领导的作用（满分50）")] == 40  # 80 % of 50 points
        assert panel[head.index("总分")] == 800
        experts = {e["name"] for e in sc.experts.values()}
        assert not experts & {v for row in rows for v in row if isinstance(v, str)}  # no expert's name

        csv_scores = csv_rows(
            (await api.get(f"/cycles/{year}/exports/scores.csv", headers=sc.office)).content
        )
        assert csv_scores[0] == head and len(csv_scores) == len(rows)
        assert (await api.get(f"/cycles/{year}/exports/scores.csv", headers=sc.government)).status_code == 403

        # panels: the office only, with the experts' names
        r = await api.get(f"/cycles/{year}/exports/panels.csv", headers=sc.office)
        panels = csv_rows(r.content)
        assert panels[0][:6] == ["申报编号", "申报单位", "奖项", "评审阶段", "专家序号", "专家姓名"]
        assert {row[5] for row in panels[1:]} <= experts and len(panels) > 6
        assert any(row[0] == a1 and row[7] == "是" for row in panels[1:])  # a leader
        for reader in (sc.committee["chair"], sc.government):
            assert (await api.get(f"/cycles/{year}/exports/panels.xlsx", headers=reader)).status_code == 403

        # lists: the published tally with the scores and both lists
        rows = xlsx_rows((await api.get(f"/cycles/{year}/exports/lists.xlsx", headers=sc.government)).content)
        head = rows[0]
        by_app = {row[head.index("申报编号")]: row for row in rows[1:]}
        assert set(by_app) == {a1, a2}
        row = by_app[a1]
        assert row[head.index("表决")] == "全体会议表决" and row[head.index("最终得分")] == 800
        assert row[head.index("赞成")] == len(sc.committee) and row[head.index("反对")] == 0
        assert row[head.index("初选名单")] == "列入" and row[head.index("拟授奖名单")] == "列入（第1版）"
        assert row[head.index("区政府审批")] == "区政府已批准" and row[head.index("证书编号")] == c1
        assert (await api.get(f"/cycles/{year}/exports/lists.csv", headers=ent1)).status_code == 403

        # the audit log (office, auditor), the exports themselves in it
        r = await api.get("/exports/audit-log.csv", headers=sc.office)
        log = csv_rows(r.content)
        assert log[0] == [
            "序号",
            "时间",
            "操作人",
            "角色",
            "操作",
            "对象类型",
            "对象编号",
            "理由",
            "详情",
            "行哈希",
        ]
        assert [int(x[0]) for x in log[1:]] == sorted(int(x[0]) for x in log[1:])
        assert any(x[4] == "DATA_EXPORTED" and x[6] == f"panels-{year}" for x in log[1:])
        assert (await api.get("/exports/audit-log.xlsx", headers=sc.committee["chair"])).status_code == 403

        # a format or an export that does not exist
        bad = await api.get(f"/cycles/{year}/exports/scores.pdf", headers=sc.office)
        assert bad.status_code == 422 and bad.json()["code"] == "EXPORT_FORMAT", bad.text
        unknown = await api.get(f"/cycles/{year}/exports/salaries.csv", headers=sc.office)
        assert unknown.status_code == 404 and unknown.json()["code"] == "NOT_FOUND", unknown.text
        missing = await api.get(f"/cycles/{year + 5}/exports/lists.csv", headers=sc.office)
        assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
