"""The documents as PDF (documents_pdf/) and the exports' file formats (exports/tables.py), without
servers: the text a PDF carries read back with pypdf, the first page of a certificate rendered
to PNG with poppler's pdftoppm, the XLSX read back with openpyxl, the CSV parsed."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from PIL import Image
from pypdf import PdfReader

from documents_pdf import CertificateSheet, letter_from_text, render_certificate, render_letter
from domain import notices
from domain.certificates import award_title, certificate_number, certificate_text, revocation_note
from domain.types import Award
from domain.work_report import CycleFigures, ReportRow, compose_work_report
from exports.tables import BOM, Table, to_csv, to_xlsx

AT = datetime(2027, 11, 20, 2, 0, tzinfo=UTC)  # 2027年11月20日 in Beijing
NAME = "温州鹿城智能装备制造股份有限公司"
ARTEFACTS = Path(
    os.environ.get("AWARD_TEST_ARTEFACTS", Path(__file__).resolve().parents[2] / "test-artefacts")
)


def pdf_text(content: bytes) -> str:
    """The PDF's text with the white space taken out. pypdf reads the two-byte codes of the
    embedded CID font (fpdf2 writes an embedded encoding CMap for an OpenType/CFF font) with a NUL
    or a space between the characters; poppler's pdftotext, as viewers do, reads them clean."""
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in reader.pages))


def certificate(**kw: object) -> bytes:
    number = certificate_number(2027, Award.QUALITY, 1)
    text = certificate_text(enterprise_name=NAME, year=2027, award=Award.QUALITY, number=number, issued_on=AT)
    sheet = CertificateSheet(
        text=text,
        award_title=award_title(Award.QUALITY),
        approval_document_no="鹿政发〔2027〕8号",
        issued_at=AT,
    )
    return render_certificate(CertificateSheet(**{**sheet.__dict__, **kw}))  # type: ignore[arg-type]


@pytest.mark.req("R15.1")
def test_a_certificate_pdf_carries_its_number_winner_award_year_approval_and_date() -> None:
    content = certificate()
    text = pdf_text(content)
    for expected in (
        "证书",
        "鹿质奖证〔2027〕Q01号",
        NAME,
        "荣获2027年度鹿城区政府质量奖。",
        "特发此证。",
        "鹿城区人民政府",
        "2027年11月20日",
        "批准文号：鹿政发〔2027〕8号",
    ):
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # A4 landscape
    fonts = {
        str(f["/BaseFont"])
        for f in reader.pages[0]["/Resources"]["/Font"].values()  # type: ignore[index, union-attr]
    }
    assert any("NotoSerifSC" in f for f in fonts), fonts  # the font is embedded, not the reader's
    assert content == certificate()  # the same record renders to the same bytes


@pytest.mark.req("R15.1")
@pytest.mark.req("R17.2")
def test_a_revoked_certificate_says_so_across_it() -> None:
    note = revocation_note(revoked_on=datetime(2029, 5, 1, 4, tzinfo=UTC), document_no="鹿政发〔2029〕3号")
    text = pdf_text(certificate(revoked_note=note))
    assert (
        "已撤销" in text
        and "本证书已于2029年5月1日经区政府批准撤销（鹿政发〔2029〕3号），自撤销之日起作废。" in text
    )


@pytest.mark.req("R15.1")
def test_the_first_page_of_a_certificate_renders_to_an_image_with_its_chinese_text(tmp_path: Path) -> None:
    """pdftoppm (poppler, as most Linux viewers draw PDFs) on a machine with no Chinese font of its
    own: the embedded font draws the red 证书 and the black wording."""
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm is missing: install Debian's poppler-utils (.ci/run does)"
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(certificate())
    subprocess.run(
        [pdftoppm, "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True
    )
    png = next(tmp_path.glob("page*.png"))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(png, ARTEFACTS / "certificate-page-1.png")
    img = Image.open(png).convert("RGB")
    w, h = img.size
    assert w > h

    def share(box: tuple[int, int, int, int], test: object) -> float:
        raw = img.crop(box).tobytes()
        pixels = [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]
        return sum(1 for p in pixels if test(p)) / len(pixels)  # type: ignore[operator]

    red = lambda p: p[0] > 150 and p[1] < 90 and p[2] < 90  # noqa: E731
    dark = lambda p: max(p) < 100  # noqa: E731
    # the title 证书 (red, large) in the upper middle; the winner's name (black) under it
    assert share((int(w * 0.35), int(h * 0.12), int(w * 0.65), int(h * 0.28)), red) > 0.03
    assert share((int(w * 0.15), int(h * 0.38), int(w * 0.75), int(h * 0.47)), dark) > 0.02
    # and nothing in the margins between the border and the text but the border
    assert share((int(w * 0.06), int(h * 0.30), int(w * 0.12), int(h * 0.60)), dark) < 0.01


@pytest.mark.req("R14.8")
def test_a_result_letter_is_laid_out_with_addressee_body_issuer_and_date() -> None:
    n = notices.award_result(
        enterprise_name=NAME,
        year=2027,
        award=Award.QUALITY,
        awarded=True,
        reason="",
        number="鹿质奖证〔2027〕Q01号",
        issued_at=AT,
    )
    letter = letter_from_text(n.body, title=n.title, reference="通知编号 42")
    assert letter.addressee == f"{NAME}："
    assert letter.issuer == notices.OFFICE_NAME and letter.date == "2027年11月20日"
    assert letter.masthead == notices.OFFICE_NAME
    assert len(letter.paragraphs) == 1 and "证书编号鹿质奖证〔2027〕Q01号" in letter.paragraphs[0]
    text = pdf_text(render_letter(letter))
    assert text.startswith(notices.OFFICE_NAME + n.title)  # the masthead, then the title
    assert re.sub(r"\s+", "", n.body.replace("\n", "")) in text.replace("—1—", "").replace("通知编号42", "")


@pytest.mark.req("R14.8")
def test_a_public_notice_without_addressee_keeps_its_opening_sentence_as_body() -> None:
    winners = [SimpleNamespace(enterprise_name=NAME, award=Award.QUALITY)]
    n = notices.award_announcement(2027, winners, "鹿政发〔2027〕8号", AT)
    letter = letter_from_text(n.body, title=n.title)
    assert letter.addressee == "" and letter.paragraphs[0].startswith("经区政府批准（鹿政发〔2027〕8号）")
    assert letter.issuer == "鹿城区人民政府" and letter.masthead == "鹿城区人民政府"
    text = pdf_text(render_letter(letter))
    assert "关于授予2027年度鹿城区政府质量奖的决定" in text and f"区政府质量奖：{NAME}" in text


@pytest.mark.req("R7.1")
def test_a_long_work_report_runs_over_pages_with_page_numbers_and_keeps_every_line() -> None:
    rows = [
        ReportRow(
            application_id=f"2027-{i:04d}",
            enterprise_name=f"鹿城测试第{i}号有限公司",
            award=Award.QUALITY,
            document_total="812.50",
            document_opinion="卓越绩效管理体系较完善，结果指标良好。" * 3,
            onsite_total="820.00",
            onsite_opinion="现场核实了质量管理体系运行情况。",
            confirmation="CONFIRMED",
        )
        for i in range(1, 13)
    ]
    _, report = compose_work_report(CycleFigures(2027, 30, 25, 25, 12, 75, 2), rows, AT)
    letter = letter_from_text(report, masthead=False)
    assert letter.title == "鹿城区政府质量奖2027年度评审工作报告" and letter.addressee == "区评委会："
    content = render_letter(letter)
    pages = PdfReader(io.BytesIO(content)).pages
    assert len(pages) >= 3
    text = pdf_text(content)
    for i in range(1, len(pages) + 1):
        assert f"—{i}—" in text
    for r in rows:
        assert f"{r.enterprise_name}（{r.application_id}）" in text
    assert text.endswith(f"请区评委会审查。鹿城区政府质量奖评审委员会办公室2027年11月20日—{len(pages)}—")


TRICKY = 'a "quoted", comma\nand a line break'
TABLE = Table(
    "评分明细",
    ["申报编号", "申报单位", "总分", "意见", "提交时间", "组长"],
    [
        ["2027-0001", NAME, Decimal("812.50"), TRICKY, AT, True],
        ["2027-0002", '=HYPERLINK("http://x")', Decimal("-3"), "+1 cmd|' /C calc'!A0", None, False],
        ["2027-0003", "@SUM(A1:A2)", 700, "-2+3", None, False],
    ],
)


@pytest.mark.req("P4")
def test_a_csv_export_has_a_bom_quotes_what_needs_it_and_neutralises_formulas() -> None:
    content = to_csv(TABLE)
    assert content.startswith(BOM.encode("utf-8"))
    text = content.decode("utf-8").removeprefix(BOM)
    assert '"a ""quoted"", comma\nand a line break"' in text
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["申报编号", "申报单位", "总分", "意见", "提交时间", "组长"]
    assert rows[1] == ["2027-0001", NAME, "812.50", TRICKY, "2027-11-20 10:00:00", "是"]
    assert rows[2][1] == '\'=HYPERLINK("http://x")' and rows[2][3] == "'+1 cmd|' /C calc'!A0"
    assert rows[2][2] == "-3"  # a number keeps its sign
    assert rows[3][1] == "'@SUM(A1:A2)" and rows[3][3] == "'-2+3"


@pytest.mark.req("P4")
def test_an_xlsx_export_reads_back_with_numbers_times_and_no_formula() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(TABLE)))
    ws = wb["评分明细"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == ["申报编号", "申报单位", "总分", "意见", "提交时间", "组长"]
    assert values[1] == ["2027-0001", NAME, 812.5, TRICKY, datetime(2027, 11, 20, 10, 0), "是"]
    assert values[2][1] == '\'=HYPERLINK("http://x")' and values[2][2] == -3
    assert values[3][1] == "'@SUM(A1:A2)" and values[3][2] == 700
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)  # nothing is a formula
    assert ws.freeze_panes == "A2" and ws["A1"].font.b
