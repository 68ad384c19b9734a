"""Previews: a PDF's first page and an image are drawn as a small PNG when uploaded; a file
that cannot be drawn is still stored, without a preview."""

import io

import pytest
from PIL import Image

from accord.content import actions
from accord.content.models import AssetVersion
from tests.content.conftest import PDF_BYTES, upload  # PDF_BYTES: a PDF with no page
from tests.factories import one_page_pdf

pytestmark = pytest.mark.django_db


def real_png(width=1200, height=800) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "size"),
    [("case.pdf", one_page_pdf, (371, 480)), ("chart.png", real_png, (480, 320))],
)
def test_an_uploaded_pdf_or_image_gets_a_small_png_preview_on_the_asset_page(
    client, cast, make_asset, name, data, size
):
    asset = make_asset(owner="mike")
    version = actions.add_version(cast["mike"], asset, file=upload(name, data()))

    client.force_login(cast["alice"])
    page = client.get(f"/content/{asset.pk}/")
    image = client.get(version.get_preview_url())

    assert version.get_preview_url() in page.text
    assert image["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(image.streaming_content))).size == size


def test_a_pdf_that_cannot_be_drawn_is_stored_without_a_preview(client, cast, make_asset):
    asset = make_asset(owner="mike")
    version = actions.add_version(cast["mike"], asset, file=upload("broken.pdf", PDF_BYTES))

    client.force_login(cast["alice"])
    assert AssetVersion.objects.get(pk=version.pk).file and not version.preview
    assert client.get(f"/content/{asset.pk}/v{version.number}/preview.png").status_code == 404
