"""The award's documents as PDF: certificates (证书), letters and notices (通知、告知书、公告), the
committee's work report (评审工作报告). Pure layout: each renderer takes the text as the system
composed and stored it (domain/certificates.py, domain/notices.py, domain/work_report.py) and
returns the PDF's bytes; nothing here reads the database or composes wording of its own.

The font is Noto Serif SC (思源宋体, SIL OFL 1.1) from the `pylopdf-fonts-zh-cn` package, embedded
as a subset, so a PDF shows the same on a machine with no Chinese font at all.
"""

from documents_pdf.certificate import CertificateSheet, render_certificate
from documents_pdf.letter import Letter, letter_from_text, render_letter

__all__ = ["CertificateSheet", "Letter", "letter_from_text", "render_certificate", "render_letter"]
