"""Brazilian fiscal identifiers: CNPJ / CPF check digits and 44-digit access keys.

An NF-e / CT-e access key ("chave de acesso") is 44 digits::

    cUF(2) AAMM(4) CNPJ(14) mod(2) serie(3) nNF(9) tpEmis(1) cNF(8) cDV(1)

``cDV`` is a modulo-11 check digit over the first 43 digits, weights 2..9 cycling from the
right; a result of 10 or 11 becomes 0.
"""

from __future__ import annotations

import re

__all__ = [
    "access_key_check_digit",
    "build_access_key",
    "cnpj_check_digits",
    "cpf_check_digits",
    "is_valid_access_key",
    "is_valid_cnpj",
    "is_valid_cpf",
    "is_valid_national_register",
    "only_digits",
]

_NON_DIGITS = re.compile(r"\D")


def only_digits(value: str) -> str:
    """Strip punctuation (``12.345.678/0001-95`` -> ``12345678000195``)."""
    return _NON_DIGITS.sub("", value)


def _mod11_digit(digits: str, weights: list[int]) -> int:
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True))
    rest = total % 11
    return 0 if rest < 2 else 11 - rest


def cnpj_check_digits(base12: str) -> str:
    """Return the two check digits of a CNPJ given its first 12 digits."""
    if len(base12) != 12 or not base12.isdigit():
        raise ValueError("a CNPJ base has 12 digits")
    first = _mod11_digit(base12, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    second = _mod11_digit(base12 + str(first), [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    return f"{first}{second}"


def cpf_check_digits(base9: str) -> str:
    """Return the two check digits of a CPF given its first 9 digits."""
    if len(base9) != 9 or not base9.isdigit():
        raise ValueError("a CPF base has 9 digits")
    first = _mod11_digit(base9, list(range(10, 1, -1)))
    second = _mod11_digit(base9 + str(first), list(range(11, 1, -1)))
    return f"{first}{second}"


def is_valid_cnpj(value: str) -> bool:
    """True for a 14-digit CNPJ (punctuation allowed) with correct check digits."""
    digits = only_digits(value)
    if len(digits) != 14 or len(set(digits)) == 1:
        return False
    return cnpj_check_digits(digits[:12]) == digits[12:]


def is_valid_cpf(value: str) -> bool:
    """True for an 11-digit CPF (punctuation allowed) with correct check digits."""
    digits = only_digits(value)
    if len(digits) != 11 or len(set(digits)) == 1:
        return False
    return cpf_check_digits(digits[:9]) == digits[9:]


def is_valid_national_register(value: str) -> bool:
    """True for a valid CNPJ or CPF."""
    return is_valid_cnpj(value) or is_valid_cpf(value)


def access_key_check_digit(first43: str) -> int:
    """Modulo-11 check digit of an access key (weights 2..9 from the right)."""
    if len(first43) != 43 or not first43.isdigit():
        raise ValueError("an access key without its check digit has 43 digits")
    total = sum(int(d) * (2 + i % 8) for i, d in enumerate(reversed(first43)))
    rest = total % 11
    return 0 if rest < 2 else 11 - rest


def build_access_key(
    *,
    uf_code: int,
    year: int,
    month: int,
    cnpj: str,
    model: int,
    series: int,
    number: int,
    emission_type: int,
    numeric_code: int,
) -> str:
    """Assemble a 44-digit access key and append its check digit.

    Raises:
        ValueError: when a part does not fit its width.
    """
    parts = [
        f"{uf_code:02d}",
        f"{year % 100:02d}{month:02d}",
        only_digits(cnpj),
        f"{model:02d}",
        f"{series:03d}",
        f"{number:09d}",
        f"{emission_type:01d}",
        f"{numeric_code:08d}",
    ]
    first43 = "".join(parts)
    if len(first43) != 43:
        raise ValueError("access key parts do not add up to 43 digits")
    return first43 + str(access_key_check_digit(first43))


def is_valid_access_key(value: str) -> bool:
    """True for 44 digits whose last digit is the modulo-11 check digit of the rest."""
    if len(value) != 44 or not value.isdigit():
        return False
    return access_key_check_digit(value[:43]) == int(value[43])
