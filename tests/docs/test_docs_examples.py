"""Every message example in the guides validates against its generated JSON Schema and model.

An example is a fenced ```json block right after ``<!-- example: <schema file> -->``; the schema
is docs/schemas/<schema file>, and a data example is also read by the model the schema comes from
(so the schema and what the functions accept agree on it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from docs_scripts import load

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "docs" / "schemas"
GEN = load("gen_docs")
_EXAMPLE = re.compile(r"<!-- example: ([\w.-]+\.json) -->\n```json\n(.*?)\n```", re.DOTALL)


def _examples() -> list[tuple[str, str, str]]:
    found = []
    for page in sorted((REPO / "docs").glob("*.md")):
        for schema, text in _EXAMPLE.findall(page.read_text(encoding="utf-8")):
            found.append((page.name, schema, text))
    return found


EXAMPLES = _examples()


def _validator(schema_file: str) -> Any:
    schema = json.loads((SCHEMAS / schema_file).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_the_guides_show_an_example_of_every_message() -> None:
    shown = {schema for _, schema, _ in EXAMPLES}
    for topic in ("roit-pending", "roit-status", "roit-deliveries"):
        assert f"{topic}.data.json" in shown
    assert "roit-pending.attributes.json" in shown
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize(
    ("page", "schema", "text"),
    EXAMPLES,
    ids=[f"{p}:{s}:{i}" for i, (p, s, _) in enumerate(EXAMPLES)],
)
def test_example_validates(page: str, schema: str, text: str) -> None:
    document = json.loads(text)
    errors = [e.message for e in _validator(schema).iter_errors(document)]
    assert errors == [], f"{page}: example for {schema} does not validate"
    if schema in GEN.SCHEMAS:
        module, name, _ = GEN.SCHEMAS[schema]
        model = getattr(__import__(module, fromlist=[name]), name)
        model.model_validate_json(text)


@pytest.mark.parametrize(
    ("schema", "document"),
    [
        ("roit-status.data.json", {"requestId": "r", "reference": "x", "status": "DONE"}),
        (
            "roit-status.data.json",
            {"requestId": "r", "reference": "x", "status": "FINE", "message": ""},
        ),
        (
            "roit-status.data.json",
            {"requestId": "r", "reference": "x", "status": "DONE", "message": "", "extra": 1},
        ),
        ("roit-deliveries.data.json", {"entity": "COST_CENTER", "data": []}),
        ("roit-deliveries.data.json", {"entity": "NOT_AN_ENTITY", "data": [{}]}),
        ("roit-pending.data.json", {"entity": "DOCUMENT"}),
        ("roit-pending.attributes.json", {"requestId": "r", "integrationId": "i"}),
    ],
)
def test_schemas_refuse_what_the_functions_refuse(schema: str, document: Any) -> None:
    assert list(_validator(schema).iter_errors(document)) != []
