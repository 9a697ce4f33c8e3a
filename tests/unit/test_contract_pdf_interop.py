"""The PDF's signatures are plain CMS that other software verifies, not only pyHanko: OpenSSL's
`cms -verify` (the library behind many PDF validators) checks each P-256 signature over its
/ByteRange against the trader CA. (OpenSSL 3.0 refuses Ed25519 with signed attributes, one
reason the PDF uses P-256: docs/contracts-pdf.md.)"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader

from karakoram.expo.adapters.contract_pdf import render_contract_pdf
from tests.unit.pdf_pki import make_ca, make_party
from tests.unit.test_contract_pdf import BUYER, CONTRACT_JSON, CREATED, SELLER, sign_in_turn

OPENSSL_VERIFY = [
    *("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "cms.der"),
    *("-content", "signed.bin", "-CAfile", "ca.pem", "-purpose", "any", "-out", "out"),
]

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl here")


def test_openssl_verifies_both_p256_signatures(tmp_path: Path) -> None:
    ca = make_ca()
    pdf = sign_in_turn(
        render_contract_pdf(CONTRACT_JSON, created=CREATED),
        ca,
        ("seller", make_party(ca, SELLER)),
        ("buyer", make_party(ca, BUYER)),
    )
    (tmp_path / "ca.pem").write_bytes(ca.cert.public_bytes(serialization.Encoding.PEM))
    sigs = list(PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures)
    assert len(sigs) == 2
    for sig in sigs:
        r = sig.sig_object["/ByteRange"]
        (tmp_path / "signed.bin").write_bytes(pdf[r[0] : r[0] + r[1]] + pdf[r[2] : r[2] + r[3]])
        (tmp_path / "cms.der").write_bytes(sig.sig_object["/Contents"])
        done = subprocess.run(
            OPENSSL_VERIFY,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
