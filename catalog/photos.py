"""Product photos: checked, resized and re-encoded on the server, then served by the app."""

from __future__ import annotations

import io
import uuid
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
# Checked from the header, before decoding: a small PNG can announce 13000 × 13000 pixels and
# take gigabytes once decoded (a decompression bomb).
MAX_PIXELS = 40_000_000
PHOTO_MAX_SIDE = 800
THUMBNAIL_MAX_SIDE = 120
JPEG_QUALITY = 85


def _to_jpeg(image: Image.Image, max_side: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # JPEG re-encoding drops every metadata block (EXIF, GPS position) from the upload.
    copy.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def process_photo(upload: IO[bytes]) -> tuple[bytes, bytes]:
    """The (photo, thumbnail) JPEG bytes of an uploaded file, or a French ValidationError."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("La photo est trop lourde (%(size)s Mo) : 8 Mo au maximum.")
            % {"size": f"{size / 1024 / 1024:.1f}".replace(".", ",")}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as source:
            width, height = source.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    _(
                        "L'image est trop grande (%(width)s × %(height)s pixels) : "
                        "40 mégapixels au maximum."
                    )
                    % {"width": width, "height": height}
                )
            source.load()
            image = ImageOps.exif_transpose(source)
            image = _flatten(image)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as exc:
        raise ValidationError(
            _("Ce fichier n'est pas une image lisible (JPEG, PNG, WebP ou GIF).")
        ) from exc
    return _to_jpeg(image, PHOTO_MAX_SIDE), _to_jpeg(image, THUMBNAIL_MAX_SIDE)


def photo_names(shop_id: int) -> tuple[str, str]:
    # Unguessable names in a per-shop folder; the files are only served through the app.
    token = uuid.uuid4().hex
    return f"products/{shop_id}/{token}.jpg", f"products/{shop_id}/{token}-mini.jpg"


def save_photo_files(shop_id: int, photo: bytes, thumbnail: bytes) -> tuple[str, str]:
    photo_name, thumb_name = photo_names(shop_id)
    return (
        default_storage.save(photo_name, ContentFile(photo)),
        default_storage.save(thumb_name, ContentFile(thumbnail)),
    )


def delete_photo_files(*names: str) -> None:
    for name in names:
        if name:
            default_storage.delete(name)
