"""Care listens to the journey: a problem tracking finds opens an exception on the queue."""

import datetime as dt

from care import services
from scheduling.models import Delivery


def on_problem_found(sender, *, delivery: Delivery, code: str, message: str, at: dt.datetime, **kwargs) -> None:
    services.exception_open_for_problem(delivery=delivery, code=code, message=message, now=at)
