"""Small image helpers for the sandbox's photos, built on Pillow.

Telegram stores every photo as JPEG and offers it in several sizes; the sandbox does the
same with `as_jpeg` and `thumbnail`, reads dimensions with `image_size` and makes up a
picture with `generated_jpeg` when a test sends a photo without giving its bytes.
"""

import io

from PIL import Image, UnidentifiedImageError

JPEG_QUALITY = 80
_PLACEHOLDER_COLOUR = (86, 140, 180)


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of an image, or None if Pillow cannot read it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def is_jpeg(data: bytes) -> bool:
    """Whether the bytes start like a JPEG file."""
    return data.startswith(b"\xff\xd8\xff")


def as_jpeg(data: bytes) -> bytes | None:
    """The image re-encoded as JPEG (JPEG input is kept as is); None if unreadable."""
    if is_jpeg(data):
        return data
    try:
        with Image.open(io.BytesIO(data)) as image:
            return _encode(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def thumbnail(data: bytes, max_side: int) -> tuple[bytes, int, int] | None:
    """A JPEG copy whose longer side is at most `max_side`, with its size; None if unreadable."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (max_side, max_side))
            small = image.convert("RGB")
            small.thumbnail((max_side, max_side))
            return _encode(small), small.width, small.height
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def generated_jpeg(width: int, height: int) -> bytes:
    """A plain JPEG picture of the given size, for photos a test sends without bytes."""
    return _encode(Image.new("RGB", (width, height), _PLACEHOLDER_COLOUR))


def _encode(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()
