"""The release note as PDF: WeasyPrint lays out HTML with Pango, which shapes Arabic-script
(Urdu) text and finds CJK glyphs through fontconfig; segno draws the QR code as SVG.

The note is printed in the three languages of the crossing (English, Chinese, Urdu) whatever
the reader's choice, as a border document is: labels in all three, values as declared. Fonts
come from the system (Debian's fonts-noto-core and fonts-noto-cjk); nothing is downloaded.
"""

from __future__ import annotations

from html import escape

import segno

from karakoram.domain.declaration.release_note import ReleaseStatement, instant

#: each label in English, Chinese and Urdu
LABELS: dict[str, tuple[str, str, str]] = {
    "title": ("Release note", "放行通知书", "اجرا نامہ"),
    "mrn": ("MRN", "移动参考号", "ایم آر این"),
    "released_at": ("Released at (UTC)", "放行时间（协调世界时）", "اجرا کا وقت (یو ٹی سی)"),
    "issuer": ("Issued by", "签发海关", "جاری کنندہ"),
    "type": ("Declaration type", "申报类型", "گوشوارے کی قسم"),
    "ucr": ("UCR", "唯一货物参考号", "یو سی آر"),
    "lrn": ("LRN", "本地参考号", "ایل آر این"),
    "declarant": ("Declarant", "申报人", "گوشوارہ داخل کنندہ"),
    "exporter": ("Exporter", "出口商", "برآمد کنندہ"),
    "importer": ("Importer", "进口商", "درآمد کنندہ"),
    "office_of_lodgement": ("Office of lodgement", "申报海关", "داخلے کا دفتر"),
    "office_of_exit_entry": ("Office of exit or entry", "出入境海关", "خروج یا داخلے کا دفتر"),
    "crossing": ("Crossing", "口岸", "سرحدی گزرگاہ"),
    "vehicle": ("Vehicle", "车辆", "گاڑی"),
    "goods": ("Goods", "货物", "سامان"),
    "verify": (
        "Scan the QR code to verify this note: it holds the MRN, the release time, the hash "
        "of this statement and the customs node's signature.",
        "扫描二维码以验证本通知：其中包含移动参考号、放行时间、本声明的哈希值及海关节点的签名。",
        "اس نوٹ کی تصدیق کے لیے کیو آر کوڈ اسکین کریں: "
        "اس میں ایم آر این، اجرا کا وقت، اس بیان کا ہیش اور کسٹمز نوڈ کے دستخط ہیں۔",
    ),
}

_STYLE = """
@page { size: A4; margin: 16mm; }
body { font-family: "Noto Sans", "Noto Sans CJK SC", "Noto Naskh Arabic", sans-serif;
       font-size: 9.5pt; color: #111; }
h1, h2 { font-weight: normal; margin: 0 0 3mm; }
h1 { font-size: 16pt; }
h2 { font-size: 12pt; margin-top: 4mm; }
.ur { font-family: "Noto Naskh Arabic", sans-serif; }
.zh { font-family: "Noto Sans CJK SC", sans-serif; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border-bottom: 0.3pt solid #999; padding: 1.2mm 1.5mm; text-align: left;
         vertical-align: top; font-weight: normal; }
th { width: 70mm; color: #333; }
.qr { float: right; width: 46mm; height: 46mm; margin: 0 0 3mm 3mm; }
.hash { font-size: 7.5pt; }
"""


def _label(key: str) -> str:
    en, zh, ur = LABELS[key]
    return (
        f'{escape(en)} · <span class="zh" lang="zh-Hans">{escape(zh)}</span> · '
        f'<span class="ur" lang="ur" dir="rtl">{escape(ur)}</span>'
    )


def _row(key: str, value: str) -> str:
    return f"<tr><th>{_label(key)}</th><td><bdi>{escape(value)}</bdi></td></tr>"


def note_html(statement: ReleaseStatement, qr_text: str) -> str:
    """The note's HTML (kept apart from the PDF step so that it can be read in tests)."""
    # PNG rather than SVG: a QR code as SVG is thousands of path steps for the PDF to draw
    qr = segno.make(qr_text, error="m").png_data_uri(scale=4, border=2)
    s = statement
    rows = [
        _row("mrn", s.mrn),
        _row("released_at", instant(s.released_at)),
        _row("issuer", s.issuer),
        _row("type", s.type),
        _row("ucr", s.ucr),
        _row("lrn", s.lrn),
        _row("declarant", s.declarant),
        _row("exporter", s.exporter),
        _row("importer", s.importer),
        _row("office_of_lodgement", s.office_of_lodgement),
        _row("office_of_exit_entry", s.office_of_exit_entry),
        _row("crossing", s.crossing),
        _row("vehicle", s.vehicle),
    ]
    goods = "".join(
        f"<tr><td>{escape(i.hs_code)}</td><td><bdi>{escape(i.description)}</bdi></td>"
        f"<td>{escape(i.quantity)} {escape(i.unit)}</td><td>{escape(i.gross_mass_kg)} kg</td></tr>"
        for i in s.items
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><style>{_STYLE}</style>'
        f'</head><body><img class=qr src="{qr}" alt="QR">'
        f"<h1>{_label('title')}</h1><p>{escape(s.mrn)}</p>"
        f"<table>{''.join(rows)}</table><h2>{_label('goods')}</h2><table>{goods}</table>"
        f"<p>{_label('verify')}</p><p class=hash>SHA-256 {escape(s.digest())}</p></body></html>"
    )


class WeasyReleaseNotes:
    """`ReleaseNoteRenderer` with WeasyPrint."""

    def render(self, statement: ReleaseStatement, qr_text: str) -> bytes:
        from weasyprint import HTML  # loads Pango: only when a note is made, not at start-up

        pdf = HTML(string=note_html(statement, qr_text)).write_pdf()
        if not isinstance(pdf, bytes):  # write_pdf without a target returns the bytes
            raise TypeError("WeasyPrint returned no PDF")
        return pdf
