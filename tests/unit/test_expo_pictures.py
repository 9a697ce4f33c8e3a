"""A picture's type comes from its own first bytes: PNG, JPEG, WebP; never SVG, text or a
RIFF that is not WebP; the limits are said with their codes, all at once."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from karakoram.domain.errors import ValidationFailed
from karakoram.expo.domain.pictures import MAX_PICTURE_BYTES, check_picture, sniff_image


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 90, 0)).save(out, kind)
    return out.getvalue()


@pytest.mark.parametrize(("kind", "media"), [("PNG", "image/png"), ("JPEG", "image/jpeg"),
                                             ("WEBP", "image/webp")])  # fmt: skip
def test_the_first_bytes_tell_the_type(kind, media):
    assert sniff_image(_image(kind)) == media
    assert check_picture(_image(kind), held=0) == media


@pytest.mark.parametrize(
    "content",
    [b"", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"<?xml version='1.0'?><svg/>",
     b"RIFF\x00\x00\x00\x00WAVEfmt ", b"GIF89a", b"plain text called photo.png"],
)  # fmt: skip
def test_anything_else_is_no_picture(content):
    assert sniff_image(content) is None


def test_every_limit_broken_is_said_at_once():
    with pytest.raises(ValidationFailed) as refused:
        check_picture(b"<svg/>" + b" " * MAX_PICTURE_BYTES, held=4)
    codes = [e.code for e in refused.value.errors]
    assert codes == ["too_large", "not_an_image", "too_many_pictures"]
