"""Norwegian organisation numbers (9 digits, MOD11 check digit)."""

from __future__ import annotations

_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def mod11_check_digit(first_eight: str) -> int | None:
    total = sum(int(d) * w for d, w in zip(first_eight, _WEIGHTS, strict=True))
    remainder = 11 - total % 11
    if remainder == 11:
        return 0
    if remainder == 10:
        return None
    return remainder


def is_valid_org_no(value: str) -> bool:
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        return False
    return mod11_check_digit(value[:8]) == int(value[8])
