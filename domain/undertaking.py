"""The expert's undertaking (评审承诺书) of a cycle (Art. 20(3)–(5); R20.x).

Before an expert sees any assignment of a cycle, they sign that cycle's undertaking: no
consulting for applicants, no gifts, confidentiality, declaring every interest. The text is data:
the office publishes versions per cycle; until it does, the default text below is the cycle's
version 1. A signature names the version and the sha256 of the exact text signed, so what was
undertaken can be shown later, whatever versions followed. An expert who has signed any version of
the cycle's undertaking has undertaken it; a later version is signed by those who sign after it.

An expert who has not signed is never drawn onto a panel of the cycle (domain/panel.py) and reads
none of its assignments. A breach of a clause, recorded by the office, is handled on the expert
discipline path (R20.3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from enum import StrEnum

from domain.errors import DomainError, conflict, invalid

MIN_YEAR, MAX_YEAR = 2000, 2100
DEFAULT_TITLE = "鹿城区政府质量奖评审专家承诺书"


class Clause(StrEnum):
    """The undertakings of Art. 20; a breach names the one it broke."""

    NO_CONSULTING = "NO_CONSULTING"  # Art. 20(3)
    NO_GIFTS = "NO_GIFTS"  # Art. 20(4)
    CONFIDENTIALITY = "CONFIDENTIALITY"  # Art. 20(5)
    DECLARE_CONFLICTS = "DECLARE_CONFLICTS"  # Art. 20(1)-(2), R20.1

    @property
    def name_zh(self) -> str:
        return {
            "NO_CONSULTING": "不为申报单位提供咨询",
            "NO_GIFTS": "不收受礼品礼金",
            "CONFIDENTIALITY": "保守评审秘密",
            "DECLARE_CONFLICTS": "主动申报利害关系并回避",
        }[self.value]


def default_text(year: int) -> str:
    """The undertaking the office issues when it publishes no text of its own for the cycle."""
    return "\n".join(
        [
            DEFAULT_TITLE,
            "",
            f"本人自愿担任鹿城区政府质量奖{year}年度评审专家，已认真学习《鹿城区政府质量奖评审管理办法"
            "（2023年修订）》，现郑重承诺：",
            "一、不为申报单位提供与本年度质量奖申报、评审有关的咨询、辅导或代写材料服务，"
            "不以任何形式参与申报单位的申报准备工作。",
            "二、不收受申报单位及其相关人员的礼品、礼金、有价证券、宴请或其他利益，不利用评审专家身份谋取私利。",
            "三、严格保守评审秘密，不泄露申报单位的商业秘密、申报材料、评审意见、评分及评审工作情况，"
            "评审材料不复制、不外传，评审结束后按要求交回或销毁。",
            "四、与申报单位存在任职、咨询、亲属等利害关系的，主动向区评审办申报并回避；"
            "评审期间新发现利害关系的，立即报告。",
            "五、独立、客观、公正地评审，按评价准则和评分指南打分，对本人出具的评审意见负责。",
            "如有违反，本人自愿接受区评审办的批评、警告直至取消评审专家资格，并承担相应责任。",
        ]
    )


def text_hash(text: str) -> str:
    """sha256 of the text exactly as published (UTF-8): what a signature refers to."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise invalid(
            "UNDERTAKING_YEAR",
            f"评审年度应在{MIN_YEAR}至{MAX_YEAR}年之间，收到{year}",
            f"The award year must be {MIN_YEAR} to {MAX_YEAR}; got {year}",
            year=year,
        )


def check_signing(year: int, version: int, sha256: str, *, current_version: int, current_sha256: str) -> None:
    """The expert signs the version they read: a signature of another version or of a text that
    differs from the published one is refused (409), nothing is recorded."""
    if version != current_version or sha256.lower() != current_sha256:
        raise conflict(
            "UNDERTAKING_TEXT_CHANGED",
            f"您签署的不是{year}年度评审专家承诺书的现行文本（现行为第{current_version}版），请重新阅读后签署",
            f"What you signed is not the current text of the {year} undertaking (version {current_version}); "
            "read it again and sign that",
            current_version=current_version,
            current_sha256=current_sha256,
        )


def not_signed(years: Collection[int]) -> DomainError:
    """409: the expert has to sign the undertaking of these cycles first (Art. 20)."""
    ys = sorted(set(years))
    zh = "、".join(f"{y}年度" for y in ys)
    return conflict(
        "UNDERTAKING_NOT_SIGNED",
        f"请先签署{zh}评审专家承诺书（POST /cycles/{{年度}}/undertaking/signature），签署前不能查阅本年度的评审任务",
        f"Sign the expert undertaking of {', '.join(map(str, ys))} first "
        "(POST /cycles/{year}/undertaking/signature): until then no assignment of that cycle is shown",
        years=ys,
    )


def breach_without_signature(year: int) -> DomainError:
    return conflict(
        "UNDERTAKING_NOT_SIGNED",
        f"该专家未签署{year}年度评审专家承诺书，不能按违反承诺处理；可不引用承诺书直接给予处理",
        f"This expert has not signed the {year} undertaking, so no breach of it can be recorded; "
        "record the discipline without naming the undertaking",
        year=year,
    )
