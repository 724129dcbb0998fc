"""Proof of delivery files on their way to a browser: only images we recognise, never cached, never sniffed.

The files live in private storage (`tracking.models.proof_storage`) and have no URL of their own. The
tracking page serves them through its token, care through a staff view scoped by merchant; both answer
with `proof_image_response`, so both send the same headers and refuse the same files.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from django.http import FileResponse

from core.images import IMAGE_EXTENSIONS, file_head, image_content_type
from tracking.models import ProofOfDelivery

logger = logging.getLogger(__name__)


class ProofPart(StrEnum):
    PHOTO = "photo"
    SIGNATURE = "signature"


def proof_part(value: str) -> ProofPart | None:
    """The part a URL names, or None for anything else."""
    try:
        return ProofPart(value)
    except ValueError:
        return None


def proof_image_response(*, proof: ProofOfDelivery, part: ProofPart) -> FileResponse | None:
    """The stored photo or signature as an inline image, or None when there is none we may serve.

    The content type is ours, read from the file's first bytes (PNG, JPEG or WebP): a file of any other kind,
    whatever its name, is not served. `nosniff` keeps the browser to that type; `private, no-store` keeps the
    image out of shared caches and off the disk, so it is gone with the link.
    """
    field = getattr(proof, part.value)
    if not field:
        return None
    try:
        file = field.storage.open(field.name, "rb")
    except FileNotFoundError:
        logger.warning("proof %s of delivery %s is missing from storage: %s", part, proof.delivery_id, field.name)
        return None
    content_type = image_content_type(file_head(file))
    if content_type is None:
        file.close()
        logger.warning("proof %s of delivery %s is not an image we serve: %s", part, proof.delivery_id, field.name)
        return None
    response = FileResponse(file, content_type=content_type,
                            filename=f"{part.value}.{IMAGE_EXTENSIONS[content_type]}")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
