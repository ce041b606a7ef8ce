"""Unified social credit code (统一社会信用代码), GB 32100-2015."""

from __future__ import annotations

from domain.errors import invalid

# Code characters: digits and upper-case letters without I, O, Z, S, V (31 symbols).
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    """The 18th character for the first 17: C18 = 31 - (sum(Ci * Wi) mod 31), 31 -> '0'."""
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueError("need 17 code characters")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def normalize_credit_code(raw: str) -> str:
    """Return the upper-cased code, or raise a DomainError saying what is wrong with it."""
    code = (raw or "").strip().upper()
    if len(code) != 18:
        raise invalid(
            "CREDIT_CODE_LENGTH",
            f"统一社会信用代码应为18位，收到{len(code)}位：{code}",
            f"A unified social credit code has 18 characters; got {len(code)}: {code}",
            credit_code=code,
        )
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        raise invalid(
            "CREDIT_CODE_CHARACTERS",
            f"统一社会信用代码含有不允许的字符：{''.join(bad)}（不使用I、O、Z、S、V）",
            f"The credit code contains characters that are not allowed: {''.join(bad)} (I, O, Z, S, V are never used)",
            credit_code=code,
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise invalid(
            "CREDIT_CODE_CHECK",
            f"统一社会信用代码校验码错误：第18位应为{expected}，实际为{code[17]}，请核对营业执照",
            f"The credit code's check character is wrong: the 18th character should be {expected}, "
            f"not {code[17]}; please check the business licence",
            credit_code=code,
            expected=expected,
        )
    return code
