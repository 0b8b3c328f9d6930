"""Fiscal document payloads: NF-e (model 55), NFS-e and CT-e (model 57).

Money is computed in integer cents so every total is the exact sum of its parts.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any, Protocol

from sandbox.seed import catalog as cat
from sandbox.seed.money import money, pct

__all__ = ["Draws", "cte", "nfe", "nfse"]

JsonDict = dict[str, Any]


class Draws(Protocol):
    """What a document needs from the generator (:class:`sandbox.seed.generator.SeedGenerator`
    provides it; this module does not import it, so the two are no cycle)."""

    rng: random.Random
    companies: list[JsonDict]
    buyer: JsonDict

    def party(self, company: JsonDict) -> JsonDict: ...

    def issue_date(self) -> datetime: ...

    def access_key(
        self, issuer: JsonDict, issued: datetime, model: int, series: int, number: int
    ) -> str: ...


def nfe(gen: Draws) -> JsonDict:
    """An NF-e (model 55) with items, ICMS/IPI/PIS/COFINS and consistent totals."""
    issuer = gen.rng.choice(gen.companies)
    series, number = gen.rng.randrange(1, 10), gen.rng.randrange(1, 999_999)
    issued = gen.issue_date()
    key = gen.access_key(issuer, issued, 55, series, number)
    same_state = issuer["address"]["state"] == gen.buyer["address"]["state"]
    items, sums = [], dict.fromkeys(("products", "icms", "ipi", "pis", "cofins"), 0)
    for index in range(1, gen.rng.randrange(1, 6) + 1):
        description, ncm, unit = gen.rng.choice(cat.PRODUCTS)
        quantity = gen.rng.randrange(1, 50)
        unit_cents = gen.rng.randrange(500, 250_000)
        total = quantity * unit_cents
        icms_rate = 18.0 if same_state else gen.rng.choice((7.0, 12.0))
        ipi_rate = gen.rng.choice((0.0, 5.0, 10.0))
        # tax -> (CST, rate %)
        taxes = {
            "icms": ("00", icms_rate),
            "ipi": ("50", ipi_rate),
            "pis": ("01", 1.65),
            "cofins": ("01", 7.6),
        }
        item_taxes: JsonDict = {}
        for tax, (cst, rate) in taxes.items():
            value = pct(total, rate)
            sums[tax] += value
            item_taxes[tax] = {
                "cst": cst,
                "base": money(total),
                "rate": rate,
                "value": money(value),
            }
        sums["products"] += total
        items.append(
            {
                "itemNumber": index,
                "code": f"P{gen.rng.randrange(10**6):06d}",
                "description": description,
                "ncm": ncm,
                "cfop": "5102" if same_state else "6102",
                "unit": unit,
                "quantity": quantity,
                "unitValue": money(unit_cents),
                "totalValue": money(total),
                "taxes": item_taxes,
            }
        )
    freight = gen.rng.choice((0, 0, gen.rng.randrange(1000, 50_000)))
    discount = gen.rng.choice((0, 0, sums["products"] // 50))
    invoice = sums["products"] + freight + sums["ipi"] - discount
    return {
        "accessKey": key,
        "model": "55",
        "series": str(series),
        "number": str(number),
        "issueDate": issued.isoformat().replace("+00:00", "Z"),
        "operationNature": "VENDA DE MERCADORIA",
        "issuer": gen.party(issuer),
        "recipient": gen.party(gen.buyer),
        "items": items,
        "totals": {
            "products": money(sums["products"]),
            "freight": money(freight),
            "discount": money(discount),
            "icmsBase": money(sums["products"]),
            "icms": money(sums["icms"]),
            "ipi": money(sums["ipi"]),
            "pis": money(sums["pis"]),
            "cofins": money(sums["cofins"]),
            "invoice": money(invoice),
        },
        "payment": {"method": gen.rng.choice(cat.PAYMENT_METHODS), "value": money(invoice)},
        "protocol": {"number": f"1{gen.rng.randrange(10**14):014d}", "status": "100"},
        "xmlVersion": "4.00",
    }


def nfse(gen: Draws) -> JsonDict:
    """An NFS-e with ISS and federal withholdings; ``netValue`` = services - withheld."""
    provider = gen.rng.choice(gen.companies)
    code, description = gen.rng.choice(cat.SERVICES)
    services = gen.rng.randrange(50_000, 5_000_000)
    iss_rate = gen.rng.choice((2.0, 3.0, 5.0))
    iss, iss_withheld = pct(services, iss_rate), gen.rng.random() < 0.3
    withheld = {
        "pis": pct(services, 0.65),
        "cofins": pct(services, 3.0),
        "csll": pct(services, 1.0),
        "ir": pct(services, 1.5),
    }
    total_withheld = sum(withheld.values()) + (iss if iss_withheld else 0)
    return {
        "number": str(gen.rng.randrange(1, 99_999)),
        "verificationCode": f"{gen.rng.getrandbits(32):08X}",
        "rpsNumber": str(gen.rng.randrange(1, 99_999)),
        "issueDate": gen.issue_date().isoformat().replace("+00:00", "Z"),
        "municipalityCode": provider["address"]["cityCode"],
        "provider": gen.party(provider),
        "taker": gen.party(gen.buyer),
        "service": {"code": code, "description": description},
        "values": {
            "services": money(services),
            "deductions": 0.0,
            "iss": {"rate": iss_rate, "value": money(iss), "withheld": iss_withheld},
            **{k: money(v) for k, v in withheld.items()},
            "totalWithheld": money(total_withheld),
            "netValue": money(services - total_withheld),
        },
    }


def cte(gen: Draws) -> JsonDict:
    """A CT-e (model 57): carrier, sender, recipient, ICMS and the service value."""
    carrier = gen.rng.choice(gen.companies)
    sender = gen.rng.choice(gen.companies)
    series, number = gen.rng.randrange(1, 10), gen.rng.randrange(1, 999_999)
    issued = gen.issue_date()
    key = gen.access_key(carrier, issued, 57, series, number)
    freight = gen.rng.randrange(20_000, 2_000_000)
    tolls = gen.rng.choice((0, gen.rng.randrange(1000, 20_000)))
    service = freight + tolls
    icms_rate = gen.rng.choice((7.0, 12.0))
    return {
        "accessKey": key,
        "model": "57",
        "series": str(series),
        "number": str(number),
        "issueDate": issued.isoformat().replace("+00:00", "Z"),
        "cfop": gen.rng.choice(("5353", "6353")),
        "modal": "RODOVIARIO",
        "issuer": gen.party(carrier),
        "sender": gen.party(sender),
        "recipient": gen.party(gen.buyer),
        "taker": "RECIPIENT",
        "origin": {"city": sender["address"]["city"], "state": sender["address"]["state"]},
        "destination": {
            "city": gen.buyer["address"]["city"],
            "state": gen.buyer["address"]["state"],
        },
        "cargo": {
            "product": gen.rng.choice(cat.PRODUCTS)[0],
            "weightKg": gen.rng.randrange(10, 30_000),
            "value": money(gen.rng.randrange(100_000, 50_000_000)),
        },
        "components": [
            {"name": "FRETE PESO", "value": money(freight)},
            {"name": "PEDAGIO", "value": money(tolls)},
        ],
        "totals": {
            "service": money(service),
            "icmsBase": money(service),
            "icmsRate": icms_rate,
            "icms": money(pct(service, icms_rate)),
            "receivable": money(service),
        },
    }
