"""Unit tests: check digits and the seeded data (no process)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.models import RequestStatus
from sandbox.seed.fiscal import (
    access_key_check_digit,
    build_access_key,
    cnpj_check_digits,
    is_valid_access_key,
    is_valid_cnpj,
    is_valid_cpf,
    is_valid_national_register,
)
from sandbox.seed.generator import SeedGenerator
from sandbox.state.seeding import seed
from sandbox.state.store import Store

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "cnpj", ["11.222.333/0001-81", "11222333000181", "00.000.000/0001-91", "33000167000101"]
)
def test_known_valid_cnpjs(cnpj: str) -> None:
    assert is_valid_cnpj(cnpj)


@pytest.mark.parametrize(
    "cnpj", ["11222333000182", "11222333000191", "00000000000000", "1122233300018", "abc"]
)
def test_invalid_cnpjs(cnpj: str) -> None:
    assert not is_valid_cnpj(cnpj)


def test_known_cpfs() -> None:
    assert is_valid_cpf("529.982.247-25")
    assert not is_valid_cpf("529.982.247-26")
    assert not is_valid_cpf("111.111.111-11")
    assert is_valid_national_register("52998224725")
    assert not is_valid_national_register("123")


def test_access_key_check_digit_matches_the_nfe_manual_example() -> None:
    # The NF-e manual's (MOC) worked example: weighted sum 644, 644 % 11 = 6, DV = 11 - 6.
    first43 = "5206043300991100250655012000000780026730161"
    assert access_key_check_digit(first43) == 5
    assert is_valid_access_key(first43 + "5")
    assert not is_valid_access_key(first43 + "4")
    assert not is_valid_access_key(first43)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_cnpj_with_computed_digits_is_valid(base: str) -> None:
    cnpj = base + cnpj_check_digits(base)
    if len(set(cnpj)) > 1:
        assert is_valid_cnpj(cnpj)
        wrong = cnpj[:-1] + str((int(cnpj[-1]) + 1) % 10)
        assert not is_valid_cnpj(wrong)


@given(
    uf=st.integers(11, 53),
    year=st.integers(2006, 2099),
    month=st.integers(1, 12),
    series=st.integers(0, 999),
    number=st.integers(1, 999_999_999),
    numeric=st.integers(0, 99_999_999),
    position=st.integers(0, 42),
    delta=st.integers(1, 9),
)
def test_access_key_detects_any_single_digit_change(
    uf: int,
    year: int,
    month: int,
    series: int,
    number: int,
    numeric: int,
    position: int,
    delta: int,
) -> None:
    key = build_access_key(
        uf_code=uf,
        year=year,
        month=month,
        cnpj="11222333000181",
        model=55,
        series=series,
        number=number,
        emission_type=1,
        numeric_code=numeric,
    )
    assert len(key) == 44
    assert is_valid_access_key(key)
    assert key[20:22] == "55"
    assert key[6:20] == "11222333000181"
    changed = key[:position] + str((int(key[position]) + delta) % 10) + key[position + 1 :]
    # mod 11 with weights 2..9 catches every single-digit substitution
    # unless the check digit collapses 10 / 11 to 0.
    if access_key_check_digit(changed[:43]) != int(key[43]):
        assert not is_valid_access_key(changed)


@given(st.integers(0, 2**32))
def test_generated_documents_are_consistent(random_seed: int) -> None:
    gen = SeedGenerator(random.Random(random_seed))
    nfe, nfse, cte = gen.document("NFE"), gen.document("NFSE"), gen.document("CTE")
    for doc, model in ((nfe, "55"), (cte, "57")):
        key = doc["accessKey"]
        assert is_valid_access_key(key)
        assert key[20:22] == model
        assert key[6:20] == doc["issuer"]["cnpj"]
        assert key[2:6] == doc["issueDate"][2:4] + doc["issueDate"][5:7]
        assert key[25:34] == f"{int(doc['number']):09d}"
        assert is_valid_cnpj(doc["issuer"]["cnpj"])
        assert is_valid_cnpj(doc["recipient"]["cnpj"])
    cents = lambda v: round(v * 100)  # noqa: E731
    totals = nfe["totals"]
    assert sum(cents(i["totalValue"]) for i in nfe["items"]) == cents(totals["products"])
    for item in nfe["items"]:
        assert cents(item["quantity"] * item["unitValue"]) == cents(item["totalValue"])
        assert len(item["ncm"]) == 8 and item["cfop"] in {"5102", "6102"}
    for tax in ("icms", "ipi", "pis", "cofins"):
        assert sum(cents(i["taxes"][tax]["value"]) for i in nfe["items"]) == cents(totals[tax])
    expected_invoice = (
        cents(totals["products"])
        + cents(totals["freight"])
        + cents(totals["ipi"])
        - cents(totals["discount"])
    )
    assert cents(totals["invoice"]) == expected_invoice
    values = nfse["values"]
    assert cents(values["netValue"]) == cents(values["services"]) - cents(values["totalWithheld"])
    assert is_valid_cnpj(nfse["provider"]["cnpj"])
    assert sum(cents(c["value"]) for c in cte["components"]) == cents(cte["totals"]["service"])
    assert is_valid_national_register(gen.supplier()["nationalRegister"])
    order = gen.purchase_order()
    assert order["purchaseNumber"]
    assert sum(cents(i["totalValue"]) for i in order["items"]) == cents(order["totalValue"])


def test_same_random_seed_same_data() -> None:
    def ids(seed_value: int) -> list[str]:
        store = Store()
        gen = SeedGenerator(random.Random(seed_value))
        return seed(store, gen, "integration", documents=20, master=2, received=1)

    assert ids(42) == ids(42)
    assert ids(42) != ids(43)


def test_seed_counts_and_types() -> None:
    store = Store()
    gen = SeedGenerator(random.Random(1))
    created = seed(store, gen, "i", documents=30, master=4, received=2, types=["NFSE"])
    assert len(created) == 30 + 4 * 2 + 2
    rows = store.select()
    documents = [r for r in rows if r["entity"] == "DOCUMENT"]
    assert {r["type"] for r in documents} == {"NFSE"}
    assert sum(r["entity"] == "SUPPLIER" for r in rows) == 4
    assert sum(r["entity"] == "PURCHASE_ORDER" for r in rows) == 4
    assert store.counts_by_status()[RequestStatus.RECEIVED.value] == 2
    with pytest.raises(ValueError, match="unknown document types"):
        seed(store, gen, "i", documents=1, types=["BOLETO"])
