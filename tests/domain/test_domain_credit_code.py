"""Unified social credit code (统一社会信用代码, GB 32100-2015): input validation (P2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.credit_code import CHARSET, WEIGHTS, check_character, normalize_credit_code
from domain.errors import DomainError

# The standard's alphabet, written out independently of domain/: 0-9 and A-Z without I, O, Z, S, V.
GB_CHARSET = "".join(c for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in "IOZSV")


def gb32100_check(first17: str) -> str:
    """Independent oracle: W_i = 3^(i-1) mod 31, C18 = 31 - (sum C_i*W_i mod 31), 31 -> '0'."""
    total = sum(GB_CHARSET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return GB_CHARSET[(31 - total % 31) % 31]


# Published codes of real companies, each verified with the GB 32100-2015 algorithm.
# (Codes quoted in the wild that do NOT validate, e.g. 91330000142918237C, were left out.)
PUBLIC_CODES = [
    "91110000600037341L",
    "91330100716105852F",
    "9144030071526726XG",
    "914403001922038216",
    "91110108551385082Q",
    "91440300708461136T",
    "91110000710925243K",
    "913301007166043868",
]


def raises_domain(code: str, raw: str) -> DomainError:
    with pytest.raises(DomainError) as info:
        normalize_credit_code(raw)
    assert info.value.code == code
    assert info.value.status == 422
    assert info.value.message_zh and info.value.message_en
    return info.value


@pytest.mark.req("P2")
def test_charset_and_weights_match_the_standard() -> None:
    assert CHARSET == GB_CHARSET
    assert len(CHARSET) == 31
    assert WEIGHTS == tuple(pow(3, i, 31) for i in range(17))


@pytest.mark.req("P2")
@pytest.mark.parametrize("code", PUBLIC_CODES)
def test_published_codes_validate(code: str) -> None:
    assert normalize_credit_code(code) == code
    assert check_character(code[:17]) == code[17]


@pytest.mark.req("P2")
def test_check_character_worked_by_hand() -> None:
    # 9 1 3 3 0 1 0 2 M A 2 H 3 K 5 P 7 -> values 9 1 3 3 0 1 0 2 21 10 2 17 3 19 5 23 7
    # weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    # sum = 9+3+27+81+0+26+0+34+420+290+50+221+24+456+50+690+196 = 2577; 2577 mod 31 = 4;
    # 31 - 4 = 27 -> CHARSET[27] = 'U'
    assert check_character("91330102MA2H3K5P7") == "U"
    assert normalize_credit_code("91330102MA2H3K5P7U") == "91330102MA2H3K5P7U"
    # 91110000600037341: sum = 538, 538 mod 31 = 11, 31 - 11 = 20 -> 'L'
    assert check_character("91110000600037341") == "L"


@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("91330102720000002", "0"),  # sum mod 31 == 0: 31 is written as '0'
        ("9133010272000000C", "Y"),  # the last symbol of the alphabet
        ("91330102MA2H3K5P7", "U"),
    ],
)
def test_check_character_edges_agree_with_the_oracle(first17: str, expected: str) -> None:
    assert gb32100_check(first17) == expected
    assert check_character(first17) == expected


@pytest.mark.req("P2")
def test_wrong_check_character_names_the_expected_one() -> None:
    err = raises_domain("CREDIT_CODE_CHECK", "91110000600037341X")
    assert err.details["expected"] == "L"
    assert err.details["credit_code"] == "91110000600037341X"
    assert "L" in err.message_zh and "X" in err.message_zh
    assert "营业执照" in err.message_zh
    assert err.to_dict()["details"]["expected"] == "L"


@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("raw", "length"),
    [("", 0), ("9111000060003734", 16), ("91110000600037341", 17), ("91110000600037341L0", 19)],
)
def test_wrong_length_is_refused(raw: str, length: int) -> None:
    err = raises_domain("CREDIT_CODE_LENGTH", raw)
    assert f"{length}位" in err.message_zh
    assert f"got {length}" in err.message_en


@pytest.mark.req("P2")
def test_none_is_treated_as_empty() -> None:
    raises_domain("CREDIT_CODE_LENGTH", None)  # type: ignore[arg-type]


@pytest.mark.req("P2")
@pytest.mark.parametrize("letter", list("IOZSV"))
def test_forbidden_letters_are_refused(letter: str) -> None:
    raw = "91110000" + letter + "00037341L"
    err = raises_domain("CREDIT_CODE_CHARACTERS", raw)
    assert letter in err.message_zh
    assert err.details["credit_code"] == raw


@pytest.mark.req("P2")
@pytest.mark.parametrize("raw", ["91110000-00037341L", "91110000６00037341L", "91110000 00037341L"])
def test_other_characters_are_refused(raw: str) -> None:
    raises_domain("CREDIT_CODE_CHARACTERS", raw)


@pytest.mark.req("P2")
def test_lower_case_and_surrounding_blanks_are_normalised() -> None:
    assert normalize_credit_code("91110108551385082q") == "91110108551385082Q"
    assert normalize_credit_code("  9144030071526726xg\n") == "9144030071526726XG"
    # a lower-case forbidden letter is still forbidden once upper-cased
    raises_domain("CREDIT_CODE_CHARACTERS", "91110000o00037341l")


@pytest.mark.req("P2")
@pytest.mark.parametrize("first17", ["9111000060003734", "911100006000373412", "9111000060003734I"])
def test_check_character_needs_17_code_characters(first17: str) -> None:
    with pytest.raises(ValueError):
        check_character(first17)


first17s = st.text(alphabet=CHARSET, min_size=17, max_size=17)


@pytest.mark.req("P2")
@given(first17s)
def test_property_code_with_its_check_character_validates(first17: str) -> None:
    check = check_character(first17)
    assert check == gb32100_check(first17)
    assert normalize_credit_code(first17 + check) == first17 + check
    assert normalize_credit_code((first17 + check).lower()) == first17 + check


@pytest.mark.req("P2")
@given(first17s, st.sampled_from(CHARSET))
def test_property_any_other_check_character_fails(first17: str, last: str) -> None:
    expected = check_character(first17)
    if last == expected:
        return
    with pytest.raises(DomainError) as info:
        normalize_credit_code(first17 + last)
    assert info.value.code == "CREDIT_CODE_CHECK"
    assert info.value.details["expected"] == expected


@pytest.mark.req("P2")
@given(first17s, st.integers(min_value=0, max_value=16), st.sampled_from(CHARSET))
def test_property_single_substitution_is_detected(first17: str, pos: int, new: str) -> None:
    """Weights are distinct non-zero residues mod the prime 31, so any one changed character is caught."""
    code = first17 + check_character(first17)
    if code[pos] == new:
        return
    typo = code[:pos] + new + code[pos + 1 :]
    with pytest.raises(DomainError) as info:
        normalize_credit_code(typo)
    assert info.value.code == "CREDIT_CODE_CHECK"
