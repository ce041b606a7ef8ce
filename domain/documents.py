"""Which files an enterprise may upload, told by their content, and the name a download is saved under
(issue 8 point 6, P6).

An upload is one of a short list of document types, recognised by its first bytes ("magic numbers")
and, for Office documents, by the parts inside the ZIP package: never by the name or the media type
the uploader's browser claims. Anything else (HTML, SVG, scripts, executables, archives, macro-enabled
Office files, legacy binary Word/Excel files that may carry macros) is refused. The media type stored
and served is the one detected here.

Pure standard library: `zipfile` reads only the package's directory and its `[Content_Types].xml`
(bounded), never the documents inside, so a ZIP bomb costs nothing.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class DocumentType:
    media_type: str
    extensions: tuple[str, ...]  # the first one is what a download is saved as
    label: str

    @property
    def extension(self) -> str:
        return self.extensions[0]


PDF = DocumentType("application/pdf", (".pdf",), "PDF")
PNG = DocumentType("image/png", (".png",), "PNG")
JPEG = DocumentType("image/jpeg", (".jpg", ".jpeg"), "JPEG")
DOCX = DocumentType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), "Word (DOCX)"
)
XLSX = DocumentType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), "Excel (XLSX)"
)
PPTX = DocumentType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    (".pptx",),
    "PowerPoint (PPTX)",
)
ALLOWED: tuple[DocumentType, ...] = (PDF, PNG, JPEG, DOCX, XLSX, PPTX)
BY_MEDIA_TYPE = {t.media_type: t for t in ALLOWED}

# The content type of the main part of each Office Open XML package (ECMA-376 Part 1, 11.3.10,
# 12.3.23, 13.3.6). Macro-enabled (…macroEnabled.main+xml) and template packages have other main
# types, so they are not recognised.
_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
}
_CONTENT_TYPES = "[Content_Types].xml"
_MAX_CONTENT_TYPES_BYTES = 1024 * 1024
_MAX_ZIP_ENTRIES = 10_000
_OVERRIDE = re.compile(rb"<(?:\w+:)?Override\b[^>]*>")
_ATTRIBUTE = re.compile(rb"""\b(PartName|ContentType)\s*=\s*(?:"([^"]*)"|'([^']*)')""")

_PDF = re.compile(rb"%PDF-\d\.\d")  # ISO 32000: the header is the first line
_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"  # signature, then the IHDR chunk (RFC 2083)
_JPEG = b"\xff\xd8\xff"  # SOI, then the first marker
_ZIP = b"PK\x03\x04"  # a local file header at offset 0: no data may precede the package


def detect(content: bytes) -> DocumentType | None:
    """The document type `content` is, or None when it is none of the allowed types."""
    if _PDF.match(content):
        return PDF
    if content.startswith(_PNG):
        return PNG
    if content.startswith(_JPEG) and len(content) > 3:
        return JPEG
    if content.startswith(_ZIP):
        return _office_document(content)
    return None


def _office_document(content: bytes) -> DocumentType | None:
    """DOCX, XLSX or PPTX: a ZIP package whose [Content_Types].xml names the main part of one of
    them, that part present, and no VBA project anywhere."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            entries = package.infolist()
            if len(entries) > _MAX_ZIP_ENTRIES:
                return None
            names = {e.filename for e in entries}
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                return None  # macros, whatever the package claims to be
            info = package.getinfo(_CONTENT_TYPES)
            if info.file_size > _MAX_CONTENT_TYPES_BYTES:
                return None
            with package.open(info) as f:
                declared = f.read(_MAX_CONTENT_TYPES_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, OSError, EOFError, RuntimeError):
        return None  # not a readable package (RuntimeError: encrypted entries)
    if len(declared) > _MAX_CONTENT_TYPES_BYTES:
        return None
    found: DocumentType | None = None
    for tag in _OVERRIDE.findall(declared):
        attributes = {m[1]: (m[2] or m[3]) for m in _ATTRIBUTE.finditer(tag)}
        kind = _OOXML_MAIN.get(attributes.get(b"ContentType", b"").decode("ascii", "replace"))
        part = attributes.get(b"PartName", b"").decode("utf-8", "replace").lstrip("/")
        if kind is None:
            continue
        if found is not None and found is not kind:
            return None  # two main parts of different kinds: not a document we know
        if part not in names:
            return None
        found = kind
    return found


def allowed_list() -> str:
    return ", ".join(t.label for t in ALLOWED)


# --- the name a download is saved under -----------------------------------------------------------
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|;]')
_ASCII_KEEP = re.compile(r"[^A-Za-z0-9._()\- ]+")
_MAX_NAME = 150


def download_name(filename: str, kind: DocumentType | None) -> str:
    """The name a browser saves the document as: no folders, no characters a file system or a header
    would misread, not hidden, and ending in the extension of the detected type (so `invoice.html`
    holding a PDF is saved as `invoice.html.pdf` and opened as a PDF)."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_IN_NAME.sub("_", name).strip().lstrip(".").strip() or "document"
    extension = kind.extension if kind is not None else ".bin"
    allowed = kind.extensions if kind is not None else (".bin",)
    if not name.lower().endswith(allowed):
        name += extension
    if len(name) > _MAX_NAME:  # keep the extension
        dot = name.rfind(".")
        name = name[: _MAX_NAME - (len(name) - dot)] + name[dot:]
    return name


def ascii_name(name: str) -> str:
    """An ASCII stand-in for `name` (the `filename=` parameter of Content-Disposition, for clients
    that do not read `filename*`): non-ASCII runs become `_`; a name left with nothing readable
    becomes `document` with its extension."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem = _ASCII_KEEP.sub("_", stem).strip("_ .")
    extension = _ASCII_KEEP.sub("", extension)
    if not stem or not stem.strip("_"):
        stem = "document"
    return f"{stem}.{extension}" if extension else stem
