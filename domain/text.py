"""The one rule for text that people send us (P6): what a form, a JSON body, a path or a query may carry.

Refused anywhere: the C0 control characters U+0000-U+001F (except tab and newline in multi-line
text), DEL U+007F, the C1 controls U+0080-U+009F and lone surrogates U+D800-U+DFFF. PostgreSQL
cannot store U+0000 and asyncpg cannot encode a lone surrogate (JSON can carry "\\ud800"), so
either would otherwise fail deep in a request, an activity or a workflow; the other controls are
invisible, garble notices and certificates and have no place in a name or a report.

Browser forms send line breaks as CRLF: multi-line text is normalised to LF before the check, so
what is stored is the same whichever client sent it. Single-line values (names, numbers, ids,
usernames, path and query parameters) refuse every control character, tab and newline included.

Pure standard library; the API's schemas and parameter checks are built on it.
"""

from __future__ import annotations

from dataclasses import dataclass

_MULTI_LINE_ALLOWED = frozenset("\t\n")
_C0_NAMES = {0x00: "NUL", 0x09: "TAB", 0x0A: "LF", 0x0D: "CR", 0x1B: "ESC", 0x7F: "DEL"}


@dataclass
class RefusedCharacter(ValueError):
    """A character the rule refuses: where it is (0-based, after normalisation) and which it is."""

    position: int
    char: str

    @property
    def codepoint(self) -> str:
        return f"U+{ord(self.char):04X}"

    @property
    def name(self) -> str:
        """A short name: NUL, CR, DEL, C1 control, lone surrogate ... (controls have no Unicode name)."""
        c = ord(self.char)
        if 0xD800 <= c <= 0xDFFF:
            return "lone surrogate"
        if 0x80 <= c <= 0x9F:
            return "C1 control"
        return _C0_NAMES.get(c, "control")

    @property
    def message_en(self) -> str:
        return f"character {self.codepoint} ({self.name}) at position {self.position} is not allowed"

    @property
    def message_zh(self) -> str:
        return f"第{self.position + 1}个字符 {self.codepoint} 是不可见的控制字符或无效字符，不允许输入"

    def __str__(self) -> str:
        return f"{self.message_en} / {self.message_zh}"


def is_refused(ch: str, *, single_line: bool = False) -> bool:
    """Whether one character is refused (after CRLF normalisation for multi-line text)."""
    c = ord(ch)
    if c < 0x20:
        return single_line or ch not in _MULTI_LINE_ALLOWED
    return 0x7F <= c <= 0x9F or 0xD800 <= c <= 0xDFFF


def first_refused(value: str, *, single_line: bool = False) -> RefusedCharacter | None:
    """The first refused character of `value` as given (no normalisation), or None."""
    for i, ch in enumerate(value):
        if is_refused(ch, single_line=single_line):
            return RefusedCharacter(i, ch)
    return None


def normalise_newlines(value: str) -> str:
    """CRLF and a lone CR become LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def clean_text(value: str) -> str:
    """Multi-line text: newlines normalised to LF, then refused if it holds a forbidden character.

    Raises RefusedCharacter (a ValueError). Returns the normalised text.
    """
    text = normalise_newlines(value)
    if (bad := first_refused(text)) is not None:
        raise bad
    return text


def clean_line(value: str) -> str:
    """Single-line text (names, ids, codes, usernames, parameters): no control character at all.

    Raises RefusedCharacter (a ValueError). Returns the value unchanged.
    """
    if (bad := first_refused(value, single_line=True)) is not None:
        raise bad
    return value


def printable(value: str) -> str:
    """`value` with every refused character shown as an escape (\\u0000), safe to echo in a message or
    a log line (a lone surrogate cannot even be encoded as UTF-8)."""
    if first_refused(value, single_line=True) is None:
        return value
    return "".join(f"\\u{ord(ch):04x}" if is_refused(ch, single_line=True) else ch for ch in value)
