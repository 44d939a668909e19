"""Norwegian organisation numbers: 9 ASCII digits with a MOD11 check digit."""

from __future__ import annotations

import pytest

from shared.orgno import is_valid_org_no, mod11_check_digit

CAST_ORG_NOS = {
    "tiger": "310614289",
    "smartcloud": "314000110",
    "flink": "313222225",
    "trygg": "311543210",
    "stille-elv": "315555000",
}

# Eight-digit prefixes whose weighted sum leaves MOD11 remainder 10: no check digit exists.
REMAINDER_TEN_PREFIXES = ("31000006", "31000023", "91234567")


@pytest.mark.parametrize("org_no", list(CAST_ORG_NOS.values()), ids=list(CAST_ORG_NOS))
def test_every_cast_org_no_is_valid(org_no: str) -> None:
    assert is_valid_org_no(org_no)


@pytest.mark.parametrize(
    "org_no",
    [
        pytest.param(org_no[:8] + str(d), id=f"{name}-check-{d}")
        for name, org_no in CAST_ORG_NOS.items()
        for d in range(10)
        if str(d) != org_no[8]
    ],
)
def test_wrong_check_digit_is_invalid(org_no: str) -> None:
    assert not is_valid_org_no(org_no)


@pytest.mark.parametrize(
    "org_no",
    [
        pytest.param("", id="empty"),
        pytest.param("31061428", id="8-digits"),
        pytest.param("3106142890", id="10-digits"),
        pytest.param("0310614289", id="10-digits-leading-zero"),
        pytest.param("31061428A", id="letter-check-digit"),
        pytest.param("A10614289", id="letter-first"),
        pytest.param("31O614289", id="letter-O-for-zero"),
        pytest.param("abcdefghi", id="all-letters"),
        pytest.param("\u0663\u0661\u0660\u0666\u0661\u0664\u0662\u0668\u0669", id="arabic-indic"),
        pytest.param("\u06f3\u06f1\u06f0\u06f6\u06f1\u06f4\u06f2\u06f8\u06f9", id="persian-digits"),
        pytest.param("\uff13\uff11\uff10\uff16\uff11\uff14\uff12\uff18\uff19", id="fullwidth"),
        pytest.param("\u0968\u0967\u0966\u0966\u0966\u0966\u0967\u0967\u0966", id="devanagari"),
        pytest.param("31061428\u0669", id="arabic-indic-check-digit"),
        pytest.param("\u00b310614289", id="superscript-three"),
        pytest.param(" 310614289", id="leading-space"),
        pytest.param("310614289 ", id="trailing-space"),
        pytest.param("310 614 289", id="grouped-with-spaces"),
        pytest.param("310\u00a0614289", id="nbsp-inside"),
        pytest.param("31061428\t", id="tab"),
        pytest.param("310614289\n", id="newline"),
        pytest.param(" 31061428", id="space-makes-nine-chars"),
        pytest.param("31061428\n", id="newline-makes-nine-chars"),
        pytest.param("-31061428", id="minus-sign"),
        pytest.param("+31061428", id="plus-sign"),
        pytest.param("3106142.9", id="dot"),
        pytest.param("310614289\x00", id="nul"),
    ],
)
def test_malformed_org_no_is_invalid(org_no: str) -> None:
    assert not is_valid_org_no(org_no)


@pytest.mark.parametrize(
    "org_no",
    [
        pytest.param(prefix + str(d), id=f"{prefix}-{d}")
        for prefix in REMAINDER_TEN_PREFIXES
        for d in range(10)
    ],
)
def test_remainder_ten_has_no_valid_check_digit(org_no: str) -> None:
    assert mod11_check_digit(org_no[:8]) is None
    assert not is_valid_org_no(org_no)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        pytest.param("31061428", 9, id="tiger"),
        pytest.param("31400011", 0, id="smartcloud-remainder-11-gives-0"),
        pytest.param("31322222", 5, id="flink"),
        pytest.param("31154321", 0, id="trygg"),
        pytest.param("31555500", 0, id="stille-elv"),
        pytest.param("98765432", 5, id="other"),
        pytest.param("31000006", None, id="remainder-10"),
    ],
)
def test_mod11_check_digit(prefix: str, expected: int | None) -> None:
    assert mod11_check_digit(prefix) == expected


def test_exactly_one_check_digit_is_valid_per_prefix() -> None:
    for prefix in ("31061428", "31400011", "12345678", "98765432"):
        valid = [d for d in range(10) if is_valid_org_no(f"{prefix}{d}")]
        assert len(valid) == 1, prefix
