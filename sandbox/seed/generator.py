"""Deterministic generator of realistic Brazilian seed data.

Fiscal documents (NF-e model 55, NFS-e, CT-e model 57) with valid access keys and CNPJs,
items, taxes and totals that add up; suppliers and purchase orders for master data.
Money is computed in integer cents and emitted as numbers with two decimals.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.seed import catalog as cat
from sandbox.seed import documents
from sandbox.seed.fiscal import build_access_key, cnpj_check_digits, cpf_check_digits
from sandbox.seed.money import money

__all__ = ["DOCUMENT_TYPES", "SeedGenerator"]

DOCUMENT_TYPES: tuple[str, ...] = ("NFE", "NFSE", "CTE")
_TYPE_WEIGHTS = (60, 25, 15)

JsonDict = dict[str, Any]


class SeedGenerator:
    """Produces documents and master data from one ``random.Random``."""

    def __init__(self, rng: random.Random, *, now: datetime | None = None) -> None:
        self.rng = rng
        today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
        self.now = now or today
        self.companies = [self._company(name) for name in cat.COMPANY_NAMES]
        self.buyer = self._company(cat.BUYER_NAME)

    # -- identifiers ---------------------------------------------------------------------
    def cnpj(self) -> str:
        """A random CNPJ (headquarters ``0001``) with valid check digits."""
        base = f"{self.rng.randrange(10**8):08d}0001"
        return base + cnpj_check_digits(base)

    def cpf(self) -> str:
        """A random CPF with valid check digits."""
        base = f"{self.rng.randrange(1, 10**9):09d}"
        return base + cpf_check_digits(base)

    def uuid(self) -> str:
        """A version-4 UUID drawn from the generator's RNG (reproducible)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _company(self, name: str) -> JsonDict:
        city, city_code, uf, uf_code = self.rng.choice(cat.CITIES)
        return {
            "cnpj": self.cnpj(),
            "name": name,
            "tradeName": name.split(" ", maxsplit=1)[0].title(),
            "stateRegistration": f"{self.rng.randrange(10**11, 10**12)}",
            "address": {
                "street": self.rng.choice(cat.STREETS),
                "number": str(self.rng.randrange(1, 3000)),
                "district": "Centro",
                "city": city,
                "cityCode": city_code,
                "state": uf,
                "zipCode": f"{self.rng.randrange(10**7, 10**8)}",
                "country": "BR",
            },
            "_ufCode": uf_code,
        }

    @staticmethod
    def party(company: JsonDict) -> JsonDict:
        return {k: v for k, v in company.items() if not k.startswith("_")}

    def issue_date(self) -> datetime:
        return (self.now - timedelta(days=self.rng.randrange(0, 60))).replace(microsecond=0)

    def access_key(
        self, issuer: JsonDict, issued: datetime, model: int, series: int, number: int
    ) -> str:
        """A valid 44-digit access key for a document of ``issuer`` issued at ``issued``."""
        return build_access_key(
            uf_code=issuer["_ufCode"],
            year=issued.year,
            month=issued.month,
            cnpj=issuer["cnpj"],
            model=model,
            series=series,
            number=number,
            emission_type=1,
            numeric_code=self.rng.randrange(10**8),
        )

    # -- documents -----------------------------------------------------------------------
    def document_type(self, types: tuple[str, ...] = DOCUMENT_TYPES) -> str:
        """Pick a document type, weighted like a typical inbox (NF-e most common)."""
        weights = [_TYPE_WEIGHTS[DOCUMENT_TYPES.index(t)] for t in types]
        return self.rng.choices(types, weights=weights)[0]

    def document(self, doc_type: str) -> JsonDict:
        """A document payload of the given type (``NFE``, ``NFSE`` or ``CTE``)."""
        if doc_type == "NFE":
            return documents.nfe(self)
        if doc_type == "NFSE":
            return documents.nfse(self)
        if doc_type == "CTE":
            return documents.cte(self)
        raise ValueError(f"unknown document type {doc_type!r}")

    # -- master data ---------------------------------------------------------------------
    def supplier(self) -> JsonDict:
        """A supplier registration (a company with a CNPJ, or a person with a CPF)."""
        if self.rng.random() < 0.15:
            name = self.rng.choice(cat.PERSON_NAMES)
            return {
                "code": f"{self.rng.randrange(10**8):08d}",
                "name": name,
                "nationalRegister": self.cpf(),
                "personType": "PF",
                "email": name.split(" ")[0].lower() + "@example.com.br",
            }
        company = self._company(self.rng.choice(cat.COMPANY_NAMES))
        return {
            "code": f"{self.rng.randrange(10**8):08d}",
            "name": company["name"],
            "tradeName": company["tradeName"],
            "nationalRegister": company["cnpj"],
            "personType": "PJ",
            "stateRegistration": company["stateRegistration"],
            "address": company["address"],
            "bank": {"code": "341", "agency": "0001", "account": f"{self.rng.randrange(10**6)}"},
        }

    def purchase_order(self) -> JsonDict:
        """A purchase order shaped like the contract's delivery example."""
        provider = self.rng.choice(self.companies)
        items, total = [], 0
        for index in range(1, self.rng.randrange(1, 4) + 1):
            description, ncm, unit = self.rng.choice(cat.PRODUCTS)
            quantity = self.rng.randrange(1, 100)
            unit_cents = self.rng.randrange(500, 100_000)
            total += quantity * unit_cents
            items.append(
                {
                    "itemCode": f"P{self.rng.randrange(10**7):07d}",
                    "orderItem": f"{index:04d}",
                    "description": description,
                    "ncm": ncm,
                    "unitMeasure": unit,
                    "costCenter": f"{self.rng.randrange(10**7, 10**8)}",
                    "quantity": quantity,
                    "unitValue": money(unit_cents),
                    "totalValue": money(quantity * unit_cents),
                }
            )
        ordered = self.issue_date()
        buyer = self.buyer
        return {
            "purchaseNumber": f"PO{self.rng.randrange(10**8):08d}",
            "beneficiary": {
                "code": "00000001",
                "name": buyer["name"],
                "nationalRegister": buyer["cnpj"],
            },
            "provider": {
                "code": f"{self.rng.randrange(10**8):08d}",
                "name": provider["name"],
                "nationalRegister": provider["cnpj"],
            },
            "documentDate": ordered.isoformat().replace("+00:00", "Z"),
            "deliveryDate": (ordered + timedelta(days=15)).isoformat().replace("+00:00", "Z"),
            "items": items,
            "totalValue": money(total),
            "payment": {"method": self.rng.choice(cat.PAYMENT_METHODS), "condition": "001"},
        }
