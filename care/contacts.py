""""Where is my order?" contacts: the care searches agents run and the customers' texts that ask it.

Both are counted by the KPIs (contacts per 100 deliveries). A search is recorded when the search page
runs one; a text is read from the inbound messages notifications already keeps.
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_

from django.db.models import Q

from care.models import CareSearch

# Words that make a customer's text a "where is my order?" question, compared case-insensitively. The
# keywords notifications acts on (STOP, START, HELP, R, digits) never contain them.
WISMO_WORDS = (
    "where", "when will", "still waiting", "not arrived", "not received", "hasn't arrived", "late",
    "où", "ou est", "quand", "toujours pas", "pas reçu", "pas arrivé", "retard",
)
# Searches that ran: an empty or over-long box is not a contact.
COUNTED_KINDS = frozenset({"link", "email", "phone", "reference", "name", "postcode"})


def wismo_sms_q(*, field: str = "body") -> Q:
    """Inbound texts whose words ask where an order is."""
    return reduce(or_, (Q(**{f"{field}__icontains": word}) for word in WISMO_WORDS))


def care_search_record(*, kind: str, delivery_ids: list[str], agent, now: dt.datetime) -> CareSearch | None:
    """Remember one search an agent ran (not what was typed), with its delivery when it found exactly one."""
    if kind not in COUNTED_KINDS:
        return None
    return CareSearch.objects.create(
        agent=agent if getattr(agent, "is_authenticated", False) else None, searched_at=now, kind=kind,
        hits=len(delivery_ids), delivery_id=delivery_ids[0] if len(delivery_ids) == 1 else None,
    )
