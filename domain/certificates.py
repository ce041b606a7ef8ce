"""Certificates and plaques of the winners (Art. 15; R15.1).

Each certificate has a number unique per (year, award, sequence): 鹿质奖证〔2027〕Q01号 for the
first 区政府质量奖 of 2027, 鹿质奖证〔2027〕C01号 for the first 质量管理创新奖.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from domain.calendar import format_cst_date
from domain.errors import invalid
from domain.types import Award

ISSUER = "鹿城区人民政府"
_PREFIX = {Award.QUALITY: "Q", Award.INNOVATION: "C"}
_NUMBER = re.compile(r"^鹿质奖证〔(\d{4})〕([QC])(\d{2})号$")
MAX_SEQ = 99


def award_title(award: Award) -> str:
    """The full title as printed: 鹿城区政府质量奖 / 鹿城区质量管理创新奖."""
    return "鹿城区" + award.name_zh.removeprefix("区")


def certificate_number(year: int, award: Award, seq: int) -> str:
    if not 2000 <= year <= 9999:
        raise invalid(
            "CERTIFICATE_YEAR",
            f"证书年度应为四位年份，收到{year}",
            f"The certificate year must be a four-digit year; got {year}",
        )
    if not 1 <= seq <= MAX_SEQ:
        raise invalid(
            "CERTIFICATE_SEQ",
            f"证书序号应在1至{MAX_SEQ}之间，收到{seq}",
            f"The certificate sequence must be 1 to {MAX_SEQ}; got {seq}",
        )
    return f"鹿质奖证〔{year}〕{_PREFIX[Award(award)]}{seq:02d}号"


def parse_certificate_number(number: str) -> tuple[int, Award, int]:
    """(year, award, seq) of a certificate number; the inverse of `certificate_number`."""
    match = _NUMBER.match(number.strip())
    if match is None or int(match.group(3)) == 0:
        raise invalid(
            "CERTIFICATE_NUMBER",
            f"证书编号格式不正确：{number}（应如 鹿质奖证〔2027〕Q01号）",
            f"Malformed certificate number {number!r} (expected e.g. 鹿质奖证〔2027〕Q01号)",
        )
    award = Award.QUALITY if match.group(2) == "Q" else Award.INNOVATION
    return int(match.group(1)), award, int(match.group(3))


def _require_name(enterprise_name: str) -> str:
    name = enterprise_name.strip()
    if not name:
        raise invalid("CERTIFICATE_ENTERPRISE", "请填写获奖单位名称", "The winner's name is required")
    return name


def certificate_text(
    *,
    enterprise_name: str,
    year: int,
    award: Award,
    number: str,
    issued_on: date | datetime,
) -> str:
    """The wording printed on the certificate."""
    number_year, number_award, _ = parse_certificate_number(number)
    if (number_year, number_award) != (year, Award(award)):
        raise invalid(
            "CERTIFICATE_NUMBER_MISMATCH",
            f"证书编号{number}与获奖年度{year}、奖项{Award(award).name_zh}不一致，请核对",
            f"Certificate number {number} does not match the year {year} and award {award}",
        )
    name = _require_name(enterprise_name)
    return (
        f"证书编号：{number}\n"
        f"{name}：\n"
        f"荣获{year}年度{award_title(award)}。\n"
        "特发此证。\n"
        f"{ISSUER}\n"
        f"{format_cst_date(issued_on)}"
    )


def plaque_text(*, enterprise_name: str, year: int, award: Award) -> str:
    """The wording on the plaque (奖牌)."""
    name = _require_name(enterprise_name)
    return f"{year}年度{award_title(award)}\n{name}\n{ISSUER}"


def revocation_note(*, revoked_on: date | datetime, document_no: str) -> str:
    """Printed across a revoked certificate (Art. 17: the certificate is recovered and void)."""
    approval = f"（{document_no}）" if document_no else ""
    return f"本证书已于{format_cst_date(revoked_on)}经区政府批准撤销{approval}，自撤销之日起作废。"
