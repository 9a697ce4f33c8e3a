"""A signed sales contract's PDF rendition: WeasyPrint lays the contract out in English, Chinese
and Urdu (as the release note does, with the system's Noto fonts) and embeds the contract's
RFC 8785 canonical JSON, byte for byte, as the attachment `contract.json`.

The PDF is PDF/A-3b: the archival profile made for a human-readable document that carries its
machine-readable source (as Factur-X invoices do), with the file listed in the catalogue's /AF
array and marked /AFRelationship /Source. The JSON stays the contract; the PDF is its rendition,
and `embedded_json` reads the attachment back for the verifier to compare byte for byte.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from html import escape
from typing import Any

#: the attachment's name inside the PDF
ATTACHMENT_NAME = "contract.json"

#: each label in English, Chinese and Urdu
LABELS: dict[str, tuple[str, str, str]] = {
    "title": ("Sales contract", "销售合同", "معاہدۂ فروخت"),
    "contract": ("Contract", "合同编号", "معاہدہ"),
    "version": ("Version", "版本", "نسخہ"),
    "parties": ("Parties", "当事方", "فریقین"),
    "seller": ("Seller", "卖方", "فروخت کنندہ"),
    "buyer": ("Buyer", "买方", "خریدار"),
    "lines": ("Goods", "货物", "سامان"),
    "hs_code": ("HS code", "海关编码", "ایچ ایس کوڈ"),
    "description": ("Description", "品名", "تفصیل"),
    "origin": ("Origin", "原产地", "ملکِ اصل"),
    "quantity": ("Quantity", "数量", "مقدار"),
    "unit_price": ("Unit price", "单价", "فی اکائی قیمت"),
    "incoterms": ("Incoterms® 2020", "国际贸易术语 2020", "انکوٹرمز 2020"),
    "shipments": ("Shipments", "装运", "ترسیلات"),
    "payment": ("Payment terms", "付款条件", "ادائیگی کی شرائط"),
    "governing": ("Governing terms", "适用条款", "نافذ شرائط"),
    "attached": (
        "The contract is the JSON file attached to this PDF (contract.json); this page renders it. "
        "Each party's signature covers both.",
        "合同以本PDF所附的JSON文件（contract.json）为准；本页为其呈现。各方签名同时涵盖二者。",
        "معاہدہ اس پی ڈی ایف کے ساتھ منسلک جے ایس او این فائل (contract.json) ہے؛ یہ صفحہ "
        "اسی کی نمائش ہے۔ ہر فریق کے دستخط دونوں پر لاگو ہیں۔",
    ),
}

_STYLE = """
@page { size: A4; margin: 16mm; }
body { font-family: "Noto Sans", "Noto Sans CJK SC", "Noto Naskh Arabic", sans-serif;
       font-size: 9pt; color: #111; }
h1, h2 { font-weight: normal; margin: 0 0 3mm; }
h1 { font-size: 16pt; }
h2 { font-size: 11.5pt; margin-top: 5mm; }
.ur { font-family: "Noto Naskh Arabic", sans-serif; }
.zh { font-family: "Noto Sans CJK SC", sans-serif; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 0.3pt solid #999; padding: 1.2mm 1.5mm; text-align: left;
         vertical-align: top; font-weight: normal; }
th { color: #333; }
.hash { font-size: 7.5pt; word-break: break-all; }
"""


class ContractJsonInvalid(ValueError):
    """The bytes given are not a contract: not UTF-8 JSON, or not a JSON object."""


def parse(contract_json: bytes) -> dict[str, Any]:
    try:
        value = json.loads(contract_json.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContractJsonInvalid(f"the contract is not UTF-8 JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ContractJsonInvalid("the contract is not a JSON object")
    return value


def _label(key: str) -> str:
    en, zh, ur = LABELS[key]
    return (
        f'{escape(en)} · <span class="zh" lang="zh-Hans">{escape(zh)}</span> · '
        f'<span class="ur" lang="ur" dir="rtl">{escape(ur)}</span>'
    )


def _text(value: Any) -> str:
    """A value as escaped HTML: a {language: text} mapping becomes one line per language."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        parts = []
        for lang, text in value.items():
            cls = {"zh": "zh", "ur": "ur"}.get(str(lang)[:2], "")
            rtl = ' dir="rtl"' if cls == "ur" else ""
            parts.append(f'<div class="{cls}" lang="{escape(str(lang))}"{rtl}>{_text(text)}</div>')
        return "".join(parts)
    if isinstance(value, list):
        return "<br>".join(_text(v) for v in value)
    return f"<bdi>{escape(str(value))}</bdi>"


def _party(role: str, party: Mapping[str, Any]) -> str:
    label = role if role in LABELS else "parties"
    rest = ", ".join(
        f"{escape(str(k))}: {_text(v)}"
        for k, v in party.items()
        if k not in ("role", "name") and not isinstance(v, Mapping | list)
    )
    return f"<tr><th>{_label(label)}</th><td>{_text(party.get('name'))}<br>{rest}</td></tr>"


def _parties(contract: Mapping[str, Any]) -> str:
    parties = contract.get("parties") or []
    if isinstance(parties, Mapping):  # {"seller": {...}, "buyer": {...}}
        return "".join(_party(str(role), p) for role, p in parties.items())
    return "".join(_party(str(p.get("role", "")), p) for p in parties)


def _lines(contract: Mapping[str, Any]) -> str:
    head = "".join(
        f"<th>{_label(k)}</th>"
        for k in ("hs_code", "description", "origin", "quantity", "unit_price")
    )
    rows = "".join(
        f"<tr><td>{_text(line.get('hs_code'))}</td><td>{_text(line.get('description'))}</td>"
        f"<td>{_text(line.get('origin'))}</td>"
        f"<td>{_text(line.get('quantity'))} {_text(line.get('unit'))}</td>"
        f"<td>{_text(line.get('unit_price'))} {_text(line.get('currency'))}</td></tr>"
        for line in contract.get("lines") or []
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def _mapping_rows(value: Any) -> str:
    if isinstance(value, Mapping):
        return "".join(
            f"<tr><th>{escape(str(k))}</th><td>{_text(v)}</td></tr>" for k, v in value.items()
        )
    return f"<tr><td>{_text(value)}</td></tr>"


def _shipments(contract: Mapping[str, Any]) -> str:
    return "".join(f"<table>{_mapping_rows(s)}</table>" for s in contract.get("shipments") or [])


def contract_html(contract_json: bytes) -> str:
    """The rendition's HTML (apart from the PDF step so that tests can read it)."""
    c = parse(contract_json)
    digest = hashlib.sha256(contract_json).hexdigest()
    ident = _text(c.get("contract_id") or c.get("id"))
    payment = c.get("payment_terms", c.get("payment"))
    governing = c.get("governing_terms", c.get("governing"))
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Sales contract {escape(str(c.get('contract_id') or c.get('id') or ''))}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{_label('title')}</h1>"
        f"<table><tr><th>{_label('contract')}</th><td>{ident}</td></tr>"
        f"<tr><th>{_label('version')}</th><td>{_text(c.get('version'))}</td></tr></table>"
        f"<h2>{_label('parties')}</h2><table>{_parties(c)}</table>"
        f"<h2>{_label('lines')}</h2>{_lines(c)}"
        f"<h2>{_label('incoterms')}</h2><table>{_mapping_rows(c.get('incoterms'))}</table>"
        f"<h2>{_label('shipments')}</h2>{_shipments(c)}"
        f"<h2>{_label('payment')}</h2><table>{_mapping_rows(payment)}</table>"
        f"<h2>{_label('governing')}</h2><table>{_mapping_rows(governing)}</table>"
        f"<p>{_label('attached')}</p>"
        f"<p class=hash>SHA-256 {ATTACHMENT_NAME} {digest}</p></body></html>"
    )


def render_contract_pdf(contract_json: bytes, *, created: datetime | None = None) -> bytes:
    """The unsigned PDF/A-3b rendition with `contract_json` attached as `contract.json`.

    `created` dates the attachment (default: now); giving it makes the output repeatable."""
    from weasyprint import HTML, Attachment  # loads Pango: only when a PDF is made

    when = created or datetime.now(UTC)
    attachment = Attachment(
        file_obj=io.BytesIO(contract_json),
        name=ATTACHMENT_NAME,
        description="Sales contract, RFC 8785 canonical JSON",
        created=when,
        modified=when,
        relationship="Source",
    )
    with warnings.catch_warnings():
        # PDF/A's output intent: WeasyPrint opens its sRGB profile and leaves closing the file
        # to the garbage collector (a ResourceWarning, an error under the tests' filter)
        warnings.simplefilter("ignore", ResourceWarning)
        pdf = HTML(string=contract_html(contract_json)).write_pdf(
            pdf_variant="pdf/a-3b", attachments=[attachment]
        )
    if not isinstance(pdf, bytes):  # write_pdf without a target returns the bytes
        raise TypeError("WeasyPrint returned no PDF")
    return pdf
