"""Small, well-formed samples of each document type the API accepts, and of some it refuses."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from devstack.scenario import pdf

CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="{part}"/></Relationships>'
)
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
POWERPOINT_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
WORD_MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def png() -> bytes:
    """A 1×1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg() -> bytes:
    """The start of a JFIF JPEG (SOI, APP0) and its end marker: enough to be told by its first bytes."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + b"\xff\xd9"


def ooxml(
    main_part: str, main_type: str, *, extra: dict[str, bytes] | None = None, with_main: bool = True
) -> bytes:
    """An Office Open XML package whose [Content_Types].xml names `main_part` as `main_type`."""
    types = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="{CONTENT_TYPES_NS}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/></Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", types)
        package.writestr("_rels/.rels", RELS.format(part=main_part))
        if with_main:
            package.writestr(main_part, '<?xml version="1.0"?><document/>')
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return buffer.getvalue()


def docx() -> bytes:
    return ooxml("word/document.xml", WORD_MAIN)


def xlsx() -> bytes:
    return ooxml("xl/workbook.xml", EXCEL_MAIN)


def pptx() -> bytes:
    return ooxml("ppt/presentation.xml", POWERPOINT_MAIN)


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("readme.txt", "not an office document")
    return buffer.getvalue()


ACCEPTED = {
    "application/pdf": pdf("申报材料"),
    "image/png": png(),
    "image/jpeg": jpeg(),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": docx(),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": xlsx(),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": pptx(),
}
REFUSED = {
    "html": b"<!doctype html><html><script>alert(document.cookie)</script></html>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "html after a PDF-like word": b"%PDF\n<html><script>alert(1)</script></html>",
    "text": "自我评价报告".encode(),
    "executable": b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64,
    "zip": plain_zip(),
    "macro-enabled Word": ooxml("word/document.xml", WORD_MACRO_MAIN),
    "Word with a VBA project": ooxml(
        "word/document.xml", WORD_MAIN, extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}
    ),
    "main part missing": ooxml("word/document.xml", WORD_MAIN, with_main=False),
    "legacy Word (OLE)": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
    "zip with data before it": b"junk" + docx(),
}
