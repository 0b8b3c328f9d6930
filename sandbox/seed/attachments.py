"""Files attached to a request: the fiscal XML, a PDF rendition (DANFE / DACTE), a boleto.

Files are rendered on demand from the request's document, so they cost no memory.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Protocol
from xml.sax.saxutils import escape

__all__ = ["AttachedFile", "files_of"]

_NAMESPACE = uuid.UUID("6f1c1f0e-6a53-4d0e-9a3c-5a1b7b0c2d10")


class Source(Protocol):
    """What the files are rendered from (a :class:`sandbox.state.store.RequestRecord`)."""

    @property
    def entity(self) -> str: ...
    @property
    def type(self) -> str | None: ...
    @property
    def reference(self) -> str: ...
    @property
    def document(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class AttachedFile:
    name: str
    content_type: str
    content: bytes

    def describe(self, request_id: str, base_url: str) -> dict[str, Any]:
        """The file as the attachs endpoint lists it."""
        return {
            "id": str(uuid.uuid5(_NAMESPACE, f"{request_id}/{self.name}")),
            "fileName": self.name,
            "contentType": self.content_type,
            "size": len(self.content),
            "url": f"{base_url}/files/{request_id}/{self.name}",
        }


def _xml(record: Source) -> bytes:
    doc = record.document
    root = {"NFE": "nfeProc", "CTE": "cteProc", "NFSE": "CompNfse"}.get(record.type or "", "doc")
    issuer = doc.get("issuer") or doc.get("provider") or {}
    totals = doc.get("totals") or doc.get("values") or {}
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<{root} versao="{escape(str(doc.get("xmlVersion", "1.00")))}">',
        f"  <chave>{escape(str(doc.get('accessKey', '')))}</chave>",
        f"  <numero>{escape(str(doc.get('number', '')))}</numero>",
        f"  <dhEmi>{escape(str(doc.get('issueDate', '')))}</dhEmi>",
        f"  <emit><CNPJ>{escape(str(issuer.get('cnpj', '')))}</CNPJ>"
        f"<xNome>{escape(str(issuer.get('name', '')))}</xNome></emit>",
        "  <total>",
        *(f"    <{k}>{escape(str(v))}</{k}>" for k, v in totals.items() if not isinstance(v, dict)),
        "  </total>",
        f"</{root}>",
    ]
    return "\n".join(lines).encode()


def _pdf(title: str, record: Source) -> bytes:
    key = record.document.get("accessKey") or record.reference
    text = f"{title} {key}".replace("(", "[").replace(")", "]")
    stream = f"BT /F1 12 Tf 50 750 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def files_of(record: Source) -> list[AttachedFile]:
    """The 1-3 files attached to ``record``."""
    stem = record.document.get("accessKey") or record.reference
    if record.entity != "DOCUMENT":
        body = json.dumps(record.document, ensure_ascii=False, indent=2).encode()
        return [AttachedFile(f"{record.entity.lower()}-{stem}.json", "application/json", body)]
    files = [AttachedFile(f"{stem}.xml", "application/xml", _xml(record))]
    title = {"NFE": "DANFE", "CTE": "DACTE", "NFSE": "NFS-e"}.get(record.type or "", "DOC")
    files.append(
        AttachedFile(f"{stem}-{title.lower()}.pdf", "application/pdf", _pdf(title, record))
    )
    if (record.document.get("payment") or {}).get("method") == "BOLETO":
        files.append(AttachedFile(f"{stem}-boleto.pdf", "application/pdf", _pdf("BOLETO", record)))
    return files
