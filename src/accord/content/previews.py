"""Previews: a small PNG of a version's file, so reps recognise an asset before they open
it. A PDF's first page is drawn with pdfium (pypdfium2, the engine Chromium uses); a PNG
or JPEG is scaled down with Pillow. Office files and videos get none.

A preview is a courtesy, never a reason to refuse an upload: a file that cannot be drawn
(damaged, encrypted, enormous) simply has no preview. Images are decoded only up to
MAX_PIXELS, so a small file that claims a huge canvas cannot exhaust memory.
"""

import io
import logging

import pypdfium2
from PIL import Image

from accord.content.uploads import JPEG, PDF, PNG

logger = logging.getLogger(__name__)

SIZE = 480  # the longer side, in pixels
MAX_PIXELS = 40_000_000
DRAWN = (PDF, PNG, JPEG)


def preview(data: bytes, content_type: str) -> bytes | None:
    """The PNG preview of a file's bytes, or None when there is none to make."""
    if content_type not in DRAWN:
        return None
    try:
        image = _first_page(data) if content_type == PDF else _image(data)
        image.thumbnail((SIZE, SIZE))
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG", optimize=True)
        return out.getvalue()
    except Exception as error:  # noqa: BLE001 (any file that cannot be drawn has no preview)
        logger.info("no preview (%s): %s", content_type, error)
        return None


def _first_page(data: bytes) -> Image.Image:
    document = pypdfium2.PdfDocument(data)
    try:
        page = document[0]
        width, height = page.get_size()
        scale = SIZE / max(width, height, 1)
        return page.render(scale=scale).to_pil()
    finally:
        document.close()


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    if image.width * image.height > MAX_PIXELS:
        raise ValueError(f"{image.width}x{image.height} is too large to draw")
    image.draft("RGB", (SIZE, SIZE))  # JPEG: decode at a reduced size
    image.load()
    return image
