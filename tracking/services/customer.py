"""What the customer does from the tracking page: change instructions, rate the delivery."""

from django.db import IntegrityError, transaction

from scheduling.drop import Drop
from scheduling.models import Delivery
from scheduling.services import delivery_update_instructions
from tracking.errors import TrackingError, TrackingErrorCode
from tracking.models import Rating


def delivery_instructions_edit(*, delivery: Delivery, access_notes: str, drop: Drop) -> Delivery:
    """The customer's notes and drop choice from the tracking page. Scheduling owns the rules: a named
    neighbour, a safe place only where the merchant offers it, and nothing changes once the van is out
    (`instructions_locked`, 409)."""
    return delivery_update_instructions(delivery=delivery, access_notes=access_notes.strip(), drop=drop)


def rating_create(*, delivery: Delivery, stars: int, comment: str = "") -> Rating:
    if delivery.status != Delivery.Status.DELIVERED:
        raise TrackingError(TrackingErrorCode.NOT_DELIVERED_YET, "You can rate a delivery once it has arrived.",
                            status_code=409)
    if not 1 <= stars <= 5:
        raise TrackingError(TrackingErrorCode.INVALID_RATING, "Choose between 1 and 5 stars.",
                            fields={"stars": ["Choose between 1 and 5 stars."]})
    try:
        with transaction.atomic():
            return Rating.objects.create(delivery=delivery, stars=stars, comment=comment.strip()[:1000])
    except IntegrityError:
        raise TrackingError(TrackingErrorCode.ALREADY_RATED, "This delivery has already been rated.", status_code=409)
