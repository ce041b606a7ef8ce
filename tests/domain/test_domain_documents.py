"""Which uploads are documents, told by their content, and the names downloads are saved under (P6)."""

from __future__ import annotations

import pytest
from documents_samples import ACCEPTED, REFUSED
from hypothesis import given
from hypothesis import strategies as st

from domain import documents as kinds


@pytest.mark.req("P6")
@pytest.mark.parametrize("media_type", sorted(ACCEPTED))
def test_each_allowed_type_is_told_by_its_content(media_type: str) -> None:
    kind = kinds.detect(ACCEPTED[media_type])
    assert kind is not None and kind.media_type == media_type


@pytest.mark.req("P6")
@pytest.mark.parametrize("what", sorted(REFUSED))
def test_anything_else_is_refused(what: str) -> None:
    assert kinds.detect(REFUSED[what]) is None


@pytest.mark.req("P6")
@given(st.binary(max_size=2048))
def test_random_bytes_are_never_taken_for_an_office_document_or_crash_the_check(data: bytes) -> None:
    kind = kinds.detect(b"PK\x03\x04" + data)
    assert kind is None or kind in (kinds.DOCX, kinds.XLSX, kinds.PPTX)
    kinds.detect(data)


@pytest.mark.parametrize(
    ("uploaded", "kind", "saved"),
    [
        ("自我评价报告.pdf", kinds.PDF, "自我评价报告.pdf"),
        ("report.PDF", kinds.PDF, "report.PDF"),
        ("invoice.html", kinds.PDF, "invoice.html.pdf"),
        ("photo", kinds.JPEG, "photo.jpg"),
        ("photo.jpeg", kinds.JPEG, "photo.jpeg"),
        ("../../etc/passwd", kinds.PDF, "passwd.pdf"),
        ("C:\\Users\\x\\申报表.docx", kinds.DOCX, "申报表.docx"),
        ('a"b;c.pdf', kinds.PDF, "a_b_c.pdf"),
        (".hidden.pdf", kinds.PDF, "hidden.pdf"),
        ("", kinds.PDF, "document.pdf"),
        ("legacy.svg", None, "legacy.svg.bin"),
    ],
)
def test_a_download_is_saved_under_a_safe_name_with_the_right_extension(
    uploaded: str, kind: kinds.DocumentType | None, saved: str
) -> None:
    assert kinds.download_name(uploaded, kind) == saved


@pytest.mark.parametrize(
    ("name", "ascii"),
    [
        ("自我评价报告.pdf", "document.pdf"),
        ("2027年自我评价报告.pdf", "2027.pdf"),
        ("report (final).docx", "report (final).docx"),
        ("报告-v2.pdf", "-v2.pdf"),
    ],
)
def test_the_ascii_stand_in_keeps_what_it_can(name: str, ascii: str) -> None:
    assert kinds.ascii_name(name) == ascii


@given(st.text(max_size=400))
def test_any_uploaded_name_gives_a_name_without_folders_or_controls(name: str) -> None:
    saved = kinds.download_name(name, kinds.PDF)
    assert saved.lower().endswith(".pdf") and len(saved) <= 150
    assert not any(c in saved for c in '/\\"<>|:*?;') and not saved.startswith(".")
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F for c in saved)
    assert kinds.ascii_name(saved).isascii()
