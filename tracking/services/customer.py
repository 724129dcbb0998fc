"""What the customer does from the tracking page: change instructions, rate the delivery."""

from django.db import IntegrityError, transaction

from scheduling.models import Delivery
from scheduling.services import delivery_update_instructions
from tracking.errors import TrackingError, TrackingErrorCode
from tracking.models import Rating

# Once the van has been, instructions can no longer reach the driver.
INSTRUCTIONS_CLOSED = (
    Delivery.Status.DELIVERED, Delivery.Status.ATTEMPTED, Delivery.Status.RETURNED, Delivery.Status.CANCELLED,
)


def delivery_instructions_edit(*, delivery: Delivery, access_notes: str, safe_drop: bool,
                               leave_with_neighbour: bool) -> Delivery:
    if delivery.status in INSTRUCTIONS_CLOSED:
        raise TrackingError(TrackingErrorCode.INSTRUCTIONS_CLOSED, "This delivery can no longer be changed.",
                            status_code=409)
    return delivery_update_instructions(delivery=delivery, access_notes=access_notes.strip(), safe_drop=safe_drop,
                                        leave_with_neighbour=leave_with_neighbour)


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
