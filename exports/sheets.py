"""The exports' tables, laid out from the records of db/exports.py, with Chinese headers as the
office reads them.

- 评分明细 (scores): per application, review stage and scorer, the points of each rubric item, the
  total and the written opinion. Experts appear by their seat number on the panel (专家1, 专家2 …),
  never by name: who sat where is in the panel composition, which only the office exports.
- 评审组组成 (panels): the seats of each panel, with the expert's name (office only).
- 表决与名单 (lists): each candidate's published tally in each ballot (plenary and run-offs), its
  scores, its place on the preliminary list (初选名单) and on the latest list proposed to the
  government (拟授奖名单), and its certificate.
- 审计日志 (audit log): every row of the log in chain order, with its hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from db import models as m
from db.exports import Candidate, ListsRecord, ScoreSheetRecord, Seat
from domain.audit_chain import canonical_json
from domain.rubric import Rubric, item_points
from domain.types import Award
from domain.work_report import CONFIRMATION_ZH
from exports.tables import Cell, Table

PURPOSE_ZH = {"DOCUMENT": "资料评审", "ONSITE": "现场评审", "REPLACEMENT": "更换"}
STATE_ZH = {"APPROVED": "区政府已批准", "RETURNED": "区政府退回", "PENDING": "待区政府审批"}
KIND_ZH = {"PLENARY": "全体会议表决", "RUNOFF": "决选投票"}


def _award(value: str) -> str:
    try:
        return Award(value).name_zh
    except ValueError:
        return value


def _score(value: str | None) -> Decimal | None:
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def _app_cells(c: Candidate | None, application_id: str) -> list[Cell]:
    if c is None:
        return [application_id, "", ""]
    return [c.application_id, c.enterprise_name, _award(c.award)]


def scores_table(rubric: Rubric, apps: Mapping[str, Candidate], sheets: Sequence[ScoreSheetRecord]) -> Table:
    items = rubric.items
    headers = [
        "申报编号",
        "申报单位",
        "奖项",
        "评审阶段",
        "评分人",
        "提交时间",
        *(f"{i.code} {i.name_zh}（满分{i.max_points}）" for i in items),
        "总分",
        "评审意见／主要优势",
        "改进建议",
        "现场评审日期",
        "企业确认",
    ]
    rows: list[list[Cell]] = []
    for r in sheets:
        scorer = "评审组（组长汇总）" if r.consolidated else (f"专家{r.seat_no}" if r.seat_no else "专家")
        points: list[Cell] = [item_points(i, r.scores[i.code]) if i.code in r.scores else None for i in items]
        rows.append(
            [
                *_app_cells(apps.get(r.application_id), r.application_id),
                PURPOSE_ZH.get(r.purpose, r.purpose),
                scorer,
                r.submitted_at,
                *points,
                _score(r.total),
                r.opinion if r.consolidated else r.strengths,
                r.improvements,
                r.visit_date,
                CONFIRMATION_ZH.get(r.confirmation, r.confirmation)
                if r.consolidated and r.purpose == "ONSITE"
                else "",
            ]
        )
    return Table("评分明细", headers, rows)


def panels_table(apps: Mapping[str, Candidate], seats: Sequence[Seat]) -> Table:
    headers = [
        "申报编号",
        "申报单位",
        "奖项",
        "评审阶段",
        "专家序号",
        "专家姓名",
        "专家编号",
        "组长",
        "在任",
        "抽取记录",
        "加入时间",
        "离开时间",
        "离开原因",
    ]
    rows: list[list[Cell]] = [
        [
            *_app_cells(apps.get(x.application_id), x.application_id),
            PURPOSE_ZH.get(x.purpose, x.purpose),
            f"专家{x.seat_no}",
            x.expert_name,
            x.expert_id,
            x.leader,
            x.active,
            x.draw_id,
            x.joined_at,
            x.left_at,
            x.left_reason,
        ]
        for x in seats
    ]
    return Table("评审组组成", headers, rows)


def lists_table(apps: Mapping[str, Candidate], record: ListsRecord) -> Table:
    headers = [
        "表决",
        "会议编号",
        "申报编号",
        "申报单位",
        "奖项",
        "资料评审得分",
        "最终得分",
        "可投票人数",
        "赞成",
        "反对",
        "弃权",
        "回避",
        "过半数赞成",
        "初选名单",
        "未列入初选名单的原因",
        "拟授奖名单",
        "未列入拟授奖名单的原因",
        "区政府审批",
        "证书编号",
    ]
    pre: Mapping[str, Any] = record.preliminary or {}
    pre_listed = {str(w["application_id"]) for w in pre.get("winners", [])}
    pre_excluded: Mapping[str, str] = pre.get("excluded", {})
    final = record.final
    final_listed = {str(w["application_id"]) for w in final.winners} if final else set()
    final_removed: Mapping[str, str] = final.removed if final else {}
    rows: list[list[Cell]] = []
    for meeting in record.meetings:
        for t in meeting.tally:
            a = str(t["candidate_id"])
            c = apps.get(a)
            approve, reject, eligible = int(t["approve"]), int(t["reject"]), int(t["eligible"])
            rows.append(
                [
                    KIND_ZH.get(meeting.kind, meeting.kind),
                    meeting.id,
                    *_app_cells(c, a),
                    _score(c.document_score) if c else None,
                    _score(c.onsite_score) if c else None,
                    eligible,
                    approve,
                    reject,
                    eligible - approve - reject,
                    int(t.get("recused", 0)),
                    bool(t["passed"]),
                    ("列入" if a in pre_listed else "未列入") if record.preliminary is not None else "",
                    pre_excluded.get(a, ""),
                    (f"列入（第{final.version}版）" if a in final_listed else "未列入") if final else "",
                    final_removed.get(a, ""),
                    STATE_ZH.get(final.state, final.state) if final else "",
                    record.certificates.get(a, ""),
                ]
            )
    return Table("表决与名单", headers, rows)


def audit_table(entries: Sequence[m.AuditEntry]) -> Table:
    headers = ["序号", "时间", "操作人", "角色", "操作", "对象类型", "对象编号", "理由", "详情", "行哈希"]
    rows: list[list[Cell]] = [
        [
            e.seq,
            e.at,
            e.actor,
            e.actor_role,
            e.action,
            e.entity_type,
            e.entity_id,
            e.reason,
            canonical_json(e.details),
            e.row_hash,
        ]
        for e in entries
    ]
    return Table("审计日志", headers, rows)
