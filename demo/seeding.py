"""Seeding the demo city. Every step upserts by a natural key, so a second run on the same day changes nothing."""

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction

from core import clock
from demo import city
from demo.history import HISTORY_DAYS, seed_history
from demo.keys import demo_key
from dispatch.models import Depot, Driver, Plan, Shift, Vehicle, Zone
from dispatch.services import plan_day
from dispatch.zones import point_in_polygon
from merchants.models import AllowedOrigin, ApiKey, Merchant, PlatformRole, StaffMembership
from merchants.services import api_key_create, api_key_digest
from scheduling.drop import Drop
from scheduling.errors import SchedulingError
from scheduling.models import Delivery, DropChoice, Window, WindowTemplate
from scheduling.services import delivery_create_for_seed, windows_materialize
from tracking.models import Carrier, CarrierAssignment, CarrierCodeMapping
from tracking.services.carrier_assignments import delivery_carrier_assign
from tracking.services.carriers import carrier_create

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"
# Each demo merchant's owner, who signs in to its settings page; the password is the user name.
DEMO_OWNERS = {"fresh-basket": "fresh-owner", "maison-meuble": "maison-owner"}
# One user per role besides the owners (the password is the username): (username, merchant slug, role), a
# merchant's staff; (username, None, role), the platform's.
DEMO_STAFF = (
    ("fresh-care", "fresh-basket", "care"),
    ("fresh-viewer", "fresh-basket", "viewer"),
    ("maison-dispatcher", "maison-meuble", "dispatcher"),
    ("platform-dispatcher", None, "dispatcher"),
    ("platform-care", None, "care"),
)


@dataclass
class SeedReport:
    merchants: list[dict] = field(default_factory=list)
    tracking_tokens: list[str] = field(default_factory=list)


def _ensure_key(merchant: Merchant, kind: str) -> str:
    raw = demo_key(kind=kind, slug=merchant.slug)
    if not ApiKey.objects.filter(digest=api_key_digest(raw)).exists():
        api_key_create(merchant=merchant, kind=kind, name="demo", raw_key=raw)
    return raw


def _zone_code_for(lat: float, lng: float) -> str | None:
    for code, _name, _depot, polygon in city.ZONES:
        if point_in_polygon(lat, lng, polygon):
            return code
    return None


LOGOS = Path(__file__).resolve().parent / "logos"


def _ensure_logo(merchant: Merchant) -> None:
    """The brand's logo, stored as a merchant's upload is.

    Each PNG in `demo/logos/` is its SVG beside it, rendered at twice its size: uploads take PNG, JPEG or WebP only.
    """
    source = LOGOS / f"{merchant.slug}.png"
    if merchant.logo:
        return
    merchant.logo.save(f"{merchant.slug}.png", ContentFile(source.read_bytes()), save=True)


def seed_merchants() -> list[tuple[Merchant, city.MerchantSpec]]:
    result = []
    for spec in city.MERCHANTS:
        merchant, _ = Merchant.objects.update_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name, "brand_name": spec.name, "primary_colour": spec.primary, "accent_colour": spec.accent,
                "time_zone": "Europe/Paris", "languages": list(spec.languages), "sms_sender": spec.sms_sender,
                "email_from": spec.email_from, "support_phone": spec.support_phone, "support_email": spec.support_email,
                "support_days": list(spec.support_hours[0]), "support_opens": spec.support_hours[1],
                "support_closes": spec.support_hours[2], "currency": "EUR", "country": "FR",
            },
        )
        _ensure_logo(merchant)
        for origin in (spec.origin, "http://127.0.0.1:8000", "http://localhost:8000"):
            AllowedOrigin.objects.get_or_create(merchant=merchant, origin=origin)
        for kind in (ApiKey.Kind.PUBLISHABLE, ApiKey.Kind.SECRET):
            _ensure_key(merchant, kind)
        result.append((merchant, spec))
    return result


def seed_fleet(days: list[dt.date]) -> None:
    depots = {}
    for code, name, address, lat, lng in city.DEPOTS:
        depots[code], _ = Depot.objects.update_or_create(
            code=code, defaults={"name": name, "address": address, "lat": lat, "lng": lng, "time_zone": "Europe/Paris"}
        )
    for code, name, depot_code, polygon in city.ZONES:
        postcodes = [d.postcode for d in city.DISTRICTS if _zone_code_for(d.lat, d.lng) == code]
        Zone.objects.update_or_create(
            code=code, defaults={"name": name, "depot": depots[depot_code], "polygon": polygon, "postcodes": postcodes}
        )
    types = {t[0]: t for t in city.VEHICLE_TYPES}
    driver_index = 0
    for depot_code, depot in depots.items():
        number = 0
        for type_code, count in city.FLEET_PER_DEPOT:
            _suffix, type_name, parcels, kg, skills, range_km = types[type_code]
            for _ in range(count):
                number += 1
                vehicle_code = f"{depot_code}-{type_code}-{number}"
                vehicle, _ = Vehicle.objects.update_or_create(
                    code=vehicle_code,
                    defaults={
                        "name": f"{type_name} {number}", "depot": depot, "capacity_parcels": parcels,
                        "capacity_weight_kg": kg, "skills": skills, "is_electric": range_km is not None, "range_km": range_km,
                    },
                )
                first = city.DRIVER_FIRST_NAMES[driver_index % len(city.DRIVER_FIRST_NAMES)]
                last = city.DRIVER_LAST_NAMES[driver_index % len(city.DRIVER_LAST_NAMES)]
                device_digest = api_key_digest(city.driver_key(vehicle_code))
                driver, _ = Driver.objects.update_or_create(
                    device_key_digest=device_digest,
                    defaults={"first_name": first, "last_name": last, "phone": f"+3361000{driver_index:04d}"},
                )
                # Alternate early and late shifts so mornings and evenings are both covered.
                pattern = city.SHIFT_PATTERNS[number % 2]
                for day in days:
                    _name, start, end, break_from, break_to = pattern
                    Shift.objects.update_or_create(
                        vehicle=vehicle, date=day,
                        defaults={
                            "driver": driver, "depot": depot,
                            "starts_at": city.local_dt(day, start), "ends_at": city.local_dt(day, end),
                            "break_earliest": city.local_dt(day, break_from), "break_latest": city.local_dt(day, break_to),
                            "break_minutes": 30, "max_duration_minutes": 10 * 60,
                        },
                    )
                driver_index += 1


def seed_templates(merchants: list[tuple[Merchant, city.MerchantSpec]]) -> None:
    for merchant, spec in merchants:
        for zone in Zone.objects.all():
            for label, start, end, weekdays, price, cutoff_days, cutoff_time, max_stops in spec.templates:
                WindowTemplate.objects.update_or_create(
                    merchant=merchant, zone=zone, label=label, start_time=start, end_time=end,
                    defaults={
                        "weekdays": list(weekdays), "price_amount": price, "cutoff_days_before": cutoff_days,
                        "cutoff_time": cutoff_time, "max_stops": max_stops, "active": True,
                        "safe_drop_allowed": spec.slug == "fresh-basket",
                    },
                )


def seed_carriers() -> None:
    for code, name, fmt, mappings in city.CARRIERS:
        carrier = Carrier.objects.filter(code=code).first() or carrier_create(
            code=code, name=name, format=fmt, raw_secret=city.carrier_secret(code))
        for external_code, milestone, reason in mappings:
            CarrierCodeMapping.objects.get_or_create(
                carrier=carrier, external_code=external_code, defaults={"milestone": milestone, "reason": reason})


# The demo carriers' tracking numbers read <prefix>-<MMDD>-<merchant>-<n>, e.g. SP-0601-FR-1: a newcomer can
# type one in a carrier's post without looking up a delivery id.
CARRIER_REF_PREFIX = {"swiftpost": "SP", "parcelnet": "PN"}
CARRIER_PARCELS_PER_MERCHANT = 2


def carrier_ref(*, carrier_code: str, day: dt.date, merchant_slug: str, number: int) -> str:
    return f"{CARRIER_REF_PREFIX[carrier_code]}-{day:%m%d}-{merchant_slug[:2].upper()}-{number}"


def seed_carrier_parcels(merchants: list[tuple[Merchant, city.MerchantSpec]], today: dt.date) -> int:
    """Hand each merchant's last deliveries of the day to each demo carrier, so their feeds have parcels to report.

    The latest windows are taken, so the parcels are still on their way for most of the day. A tracking number
    already given, or a delivery already handed over, is left alone: a second run hands nothing new.
    """
    carriers = list(Carrier.objects.filter(code__in=CARRIER_REF_PREFIX).order_by("code"))
    handed = 0
    for merchant, spec in merchants:
        deliveries = list(
            Delivery.objects.filter(merchant=merchant, window__date=today)
            .exclude(status__in=(Delivery.Status.CANCELLED, Delivery.Status.DELIVERED))
            .exclude(carrier_assignment__isnull=False)
            .order_by("-window__starts_at", "-order_ref")[: CARRIER_PARCELS_PER_MERCHANT * len(carriers)]
        )
        for index, delivery in enumerate(deliveries):
            carrier = carriers[index % len(carriers)]
            ref = carrier_ref(carrier_code=carrier.code, day=today, merchant_slug=spec.slug,
                              number=index // len(carriers) + 1)
            if CarrierAssignment.objects.filter(carrier=carrier, external_ref=ref).exists():
                continue
            delivery_carrier_assign(delivery=delivery, carrier=carrier, external_ref=ref, actor_label="demo seed")
            handed += 1
    return handed


def seed_demo_user() -> None:
    user, created = get_user_model().objects.get_or_create(
        username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True, "email": "demo@example.com"}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])


def _demo_user(username: str):
    user, created = get_user_model().objects.get_or_create(username=username,
                                                           defaults={"email": f"{username}@example.com"})
    if created:
        user.set_password(username)
        user.save(update_fields=["password"])
    return user


def seed_demo_owners() -> None:
    """The owners, then one user per other role, each signing in with their username as password."""
    staff = [(username, slug, StaffMembership.Role.OWNER) for slug, username in DEMO_OWNERS.items()]
    for username, slug, role in [*staff, *DEMO_STAFF]:
        if slug is None:
            PlatformRole.objects.get_or_create(user=_demo_user(username), defaults={"role": role})
            continue
        merchant = Merchant.objects.filter(slug=slug).first()
        if merchant is not None:
            StaffMembership.objects.get_or_create(user=_demo_user(username), merchant=merchant, defaults={"role": role})


def sample_address(spec: city.MerchantSpec) -> dict:
    rng = random.Random(f"sample-{spec.slug}")
    return city.address_in(rng, city.DISTRICTS[3 if spec.slug == "fresh-basket" else 10])


@transaction.atomic
def seed_static(today: dt.date, days: int) -> list[tuple[Merchant, city.MerchantSpec]]:
    day_list = [today + dt.timedelta(days=i) for i in range(days)]
    merchants = seed_merchants()
    seed_fleet(day_list)
    seed_templates(merchants)
    seed_carriers()
    seed_demo_user()
    seed_demo_owners()
    return merchants


def report_for(merchants: list[tuple[Merchant, city.MerchantSpec]], today: dt.date) -> SeedReport:
    report = SeedReport()
    for merchant, spec in merchants:
        report.merchants.append(
            {
                "slug": merchant.slug,
                "name": merchant.name,
                "publishable_key": demo_key(kind="publishable", slug=merchant.slug),
                "secret_key": demo_key(kind="secret", slug=merchant.slug),
                "sample_address": sample_address(spec),
            }
        )
    report.tracking_tokens = list(
        Delivery.objects.filter(window__date=today)
        .exclude(status=Delivery.Status.CANCELLED)
        .order_by("window__starts_at", "order_ref")
        .values_list("tracking_token", flat=True)[:5]
    )
    return report


def plans_missing(today: dt.date, days: int) -> list[tuple[Depot, dt.date]]:
    missing = []
    for depot in Depot.objects.order_by("code"):
        for offset in range(days):
            day = today + dt.timedelta(days=offset)
            if not Plan.objects.filter(depot=depot, date=day, status=Plan.Status.ACTIVE).exists():
                missing.append((depot, day))
    return missing


def _recipient(rng: random.Random, index: int) -> tuple[str, str, str]:
    name = rng.choice(city.RECIPIENT_NAMES)
    # Addresses in plain ASCII, as mail servers without SMTPUTF8 require: "Inès" writes "ines".
    handle = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode().replace(" ", ".")
    return name, f"+336{rng.randint(10000000, 99999999)}", f"{handle}{index}@example.com"


SEED_SAFE_PLACES = ("behind the side gate", "in the porch", "in the green box by the door", "")
SEED_NEIGHBOURS = (("M. Martin", "12"), ("Mme Petit", "flat 3B"), ("J. Moreau", "14 bis"))


def _seed_drop(number: int, *, safe_place: bool) -> Drop:
    """Some customers chose a safe place (where the merchant offers it), a few a named neighbour. Picked from the
    shopper's number rather than the random stream, so adding choices did not change the rest of the seed."""
    if safe_place:
        return Drop(choice=DropChoice.SAFE_PLACE, safe_place=SEED_SAFE_PLACES[number % len(SEED_SAFE_PLACES)])
    if number % 9 == 4:
        name, door = SEED_NEIGHBOURS[number % len(SEED_NEIGHBOURS)]
        return Drop(choice=DropChoice.NEIGHBOUR, neighbour_name=name, neighbour_door=door)
    return Drop()


def seed_deliveries(merchants: list[tuple[Merchant, city.MerchantSpec]], today: dt.date, days: int, scale: float) -> int:
    """Book each merchant's deliveries day by day into windows of the address's zone, through the booking service.

    Order references are natural keys (merchant, date, number), and a merchant's day that has any of them was
    seeded by an earlier run: it is left alone, so a second run books nothing new, even where a window that was
    full then has room now (a parcel handed to a carrier frees its place). A full window is skipped, exactly as
    a shopper would be turned away.
    """
    zones = {zone.code: zone for zone in Zone.objects.all()}
    created = 0
    for merchant, spec in merchants:
        existing = set(Delivery.objects.filter(merchant=merchant).values_list("order_ref", flat=True))
        windows = {}
        for window in Window.objects.filter(merchant=merchant, date__gte=today, date__lt=today + dt.timedelta(days=days)):
            windows.setdefault((window.zone_id, window.date), []).append(window)
        for offset in range(days):
            day = today + dt.timedelta(days=offset)
            day_refs = f"{spec.slug[:2].upper()}-{day:%m%d}-"
            if any(ref.startswith(day_refs) for ref in existing):
                continue
            rng = random.Random(f"{spec.slug}-{day.isoformat()}")
            count = round(spec.deliveries_per_day * scale * (0.6 if day.isoweekday() == 7 else 1.0))
            for number in range(1, count + 1):
                district = city.district_for(rng)
                address = city.address_in(rng, district)
                name, phone, email = _recipient(rng, number)
                skills = tuple(skill for skill, share in spec.skill_share if rng.random() < share)
                size = rng.choice(("small", "small", "medium", "large")) if spec.slug == "fresh-basket" else rng.choice(("large", "bulky"))
                order_ref = f"{day_refs}{number:04d}"
                zone = zones.get(_zone_code_for(address["lat"], address["lng"]))
                candidates = windows.get((zone.pk, day), []) if zone else []
                if not candidates:
                    continue
                window = rng.choice(candidates)
                try:
                    delivery_create_for_seed(
                        merchant=merchant, window=window, order_ref=order_ref, recipient_name=name,
                        recipient_phone=phone, recipient_email=email, address_line1=address["line1"],
                        address_city=address["city"], address_postcode=address["postcode"], lat=address["lat"],
                        lng=address["lng"], access_notes=rng.choice(("", "", "Digicode 4821B, 3rd floor", "Ring twice", "Gate code 1934")),
                        drop=_seed_drop(number, safe_place=merchant.safe_drop_allowed and rng.random() < 0.3),
                        size=size, skills=skills,
                        language=merchant.default_language,
                    )
                except SchedulingError:
                    continue  # the window is full: this shopper would have picked another day
                created += 1
    return created


def demo_seed(*, today: dt.date, days: int = 7, scale: float = 1.0, plan: bool = True, plan_seconds: float = 2.0,
              history_days: int = HISTORY_DAYS, log=print) -> SeedReport:
    """Seed the demo city for `days` days from `today`; returns the keys and links a newcomer needs."""
    merchants = seed_static(today, days)
    log(f"Merchants, fleet and templates ready ({Vehicle.objects.count()} vehicles, {Zone.objects.count()} zones).")
    for merchant, _spec in merchants:
        windows_materialize(merchant=merchant, start=today, days=days)
    # The week's orders were placed before the first day starts, as real ones would have been: their
    # journeys then begin before the simulated fleet's first scan of the day.
    with clock.frozen_at(city.local_dt(today - dt.timedelta(days=1), dt.time(19, 30))):
        booked = seed_deliveries(merchants, today, days, scale)
    log(f"{booked} new deliveries booked ({Delivery.objects.count()} in all).")
    if plan:
        # Planned that same evening too: the plans' ETAs are then planned ones (vans leaving at their shifts'
        # start), not guesses stamped on whatever wall-clock hour the seed happens to run.
        with clock.frozen_at(city.local_dt(today - dt.timedelta(days=1), dt.time(19, 45))):
            for depot, day in plans_missing(today, days):
                result = plan_day(depot=depot, date=day, trigger="seed", time_limit_s=plan_seconds)
                log(f"  planned {depot.code} {day}: {result.routes.count()} routes, {len(result.unassigned)} unassigned")
    if history_days:
        # The past fortnight, closed, so the KPI charts and the exception rules have days to show.
        written = seed_history(today=today, days=history_days, scale=scale)
        log(f"{written} past deliveries written for the last {history_days} days.")
    handed = seed_carrier_parcels(merchants, today)
    log(f"{handed} of today's deliveries handed to the demo carriers ({CarrierAssignment.objects.count()} in all).")
    return report_for(merchants, today)
