"""The links on the home page: one per surface, so a newcomer finds the way."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from scheduling.models import Delivery


@dataclass(frozen=True)
class Link:
    title: str
    url: str
    audience: str
    description: str


def _url(name: str, *args: str) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _sample_tracking_url() -> str | None:
    today = timezone.localdate()
    delivery = (
        Delivery.objects.filter(window__date=today)
        .exclude(status=Delivery.Status.CANCELLED)
        .order_by("window__starts_at", "created_at")
        .only("tracking_token")
        .first()
    ) or Delivery.objects.only("tracking_token").order_by("-created_at").first()
    return _url("tracking:page", delivery.tracking_token) if delivery else None


def home_links() -> list[Link]:
    candidates = [
        ("Demo checkout", _url("demo:checkout"), "Shoppers",
         "A merchant's checkout with the embedded delivery-window picker: only windows the fleet can serve."),
        ("Sample tracking page", _sample_tracking_url(), "Customers",
         "A branded tracking page for one of today's deliveries, with a live micro-ETA."),
        ("Dispatch console", _url("dispatch:console"), "Dispatchers",
         "Today's routes on a map, a timeline per vehicle, unassigned jobs and re-planning."),
        ("Care console", _url("care:home"), "Care agents",
         "One journey per order, the exception queue with owners and timers, and the KPIs."),
        ("Messages sent", _url("demo:messages"), "Staff",
         "The SMS and emails customers got, as their phone and mail client show them."),
        ("Webhook inbox", _url("demo:webhook-inbox"), "Staff",
         "The demo shops' webhooks as their receiver gets them, each signature checked."),
        ("Shop settings", _url("merchants:settings"), "Merchants",
         "For a shop's owner: brand, embed origins, API keys, the messages customers get, and webhooks."),
        ("Admin", _url("admin:index"), "Staff", "Merchants, brands, API keys, fleet, windows and deliveries."),
        ("Embedding guide", _url("scheduling:embed-docs"), "Merchants",
         "Put the delivery-window picker in your checkout: snippets with your key, events, theming, origins."),
        ("API docs", _url("api-docs"), "Merchants and carriers", "The REST API, browsable, with its OpenAPI schema."),
        ("Health", _url("healthz-ready"), "Operators",
         "Readiness: database, channel layer and broker reachability as JSON (liveness at /healthz/live)."),
    ]
    return [Link(title, url, audience, description) for title, url, audience, description in candidates if url]
