"""Factories for the whole data model. A default object is valid and lives in Paris."""

import datetime as dt
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from dispatch.models import Depot, Driver, Job, Shift, Vehicle, Zone
from merchants.models import AllowedOrigin, Merchant
from scheduling.models import Delivery, Window, WindowTemplate

PARIS = ZoneInfo("Europe/Paris")

# A square around central Paris (lat, lng), used as the default zone polygon.
PARIS_CENTRE_POLYGON = [[48.80, 2.25], [48.80, 2.42], [48.91, 2.42], [48.91, 2.25]]


def local(day: dt.date, hour: int, minute: int = 0, tz: ZoneInfo = PARIS) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"shop-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    brand_name = factory.LazyAttribute(lambda o: o.name)
    time_zone = "Europe/Paris"
    languages = factory.LazyFunction(lambda: ["en", "fr"])
    currency = "EUR"


class AllowedOriginFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AllowedOrigin

    merchant = factory.SubFactory(MerchantFactory)
    origin = "https://shop.example.com"


class DepotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Depot

    code = factory.Sequence(lambda n: f"depot-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())
    lat = 48.8566
    lng = 2.3522


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    code = factory.Sequence(lambda n: f"zone-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())
    depot = factory.SubFactory(DepotFactory)
    polygon = factory.LazyFunction(lambda: [list(p) for p in PARIS_CENTRE_POLYGON])
    postcodes = factory.LazyFunction(lambda: ["75001", "75002", "75003", "75004"])


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    code = factory.Sequence(lambda n: f"van-{n}")
    name = factory.LazyAttribute(lambda o: o.code.upper())
    depot = factory.SubFactory(DepotFactory)
    capacity_parcels = 80
    capacity_weight_kg = 800
    skills = factory.LazyFunction(list)


class DriverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Driver

    first_name = factory.Sequence(lambda n: f"Driver{n}")
    last_name = "Martin"


class ShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shift

    driver = factory.SubFactory(DriverFactory)
    vehicle = factory.SubFactory(VehicleFactory)
    depot = factory.LazyAttribute(lambda o: o.vehicle.depot)
    date = factory.LazyFunction(lambda: timezone.localdate(timezone=PARIS))
    starts_at = factory.LazyAttribute(lambda o: local(o.date, 8))
    ends_at = factory.LazyAttribute(lambda o: local(o.date, 20))


class WindowTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WindowTemplate

    merchant = factory.SubFactory(MerchantFactory)
    zone = factory.SubFactory(ZoneFactory)
    label = "standard"
    start_time = dt.time(10, 0)
    end_time = dt.time(12, 0)
    weekdays = factory.LazyFunction(lambda: [1, 2, 3, 4, 5, 6, 7])
    price_amount = "3.90"
    cutoff_days_before = 1
    cutoff_time = dt.time(22, 0)


class WindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Window

    template = factory.SubFactory(WindowTemplateFactory)
    merchant = factory.LazyAttribute(lambda o: o.template.merchant)
    zone = factory.LazyAttribute(lambda o: o.template.zone)
    date = factory.LazyFunction(lambda: timezone.localdate(timezone=PARIS) + dt.timedelta(days=1))
    starts_at = factory.LazyAttribute(lambda o: local(o.date, o.template.start_time.hour, o.template.start_time.minute))
    ends_at = factory.LazyAttribute(lambda o: local(o.date, o.template.end_time.hour, o.template.end_time.minute))
    cutoff_at = factory.LazyAttribute(lambda o: local(o.date - dt.timedelta(days=1), 22))
    label = factory.LazyAttribute(lambda o: o.template.label)
    price_amount = factory.LazyAttribute(lambda o: o.template.price_amount)
    currency = "EUR"
    capacity = 20
    booked = 0


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    zone = factory.SubFactory(ZoneFactory)
    depot = factory.LazyAttribute(lambda o: o.zone.depot)
    date = factory.LazyFunction(lambda: timezone.localdate(timezone=PARIS) + dt.timedelta(days=1))
    lat = 48.86
    lng = 2.35
    window_start = factory.LazyAttribute(lambda o: local(o.date, 10))
    window_end = factory.LazyAttribute(lambda o: local(o.date, 12))


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    window = factory.SubFactory(WindowFactory)
    merchant = factory.LazyAttribute(lambda o: o.window.merchant)
    order_ref = factory.Sequence(lambda n: f"ORD-{n:05d}")
    recipient_name = "Camille Durand"
    recipient_phone = "+33612345678"
    recipient_email = "camille@example.com"
    address_line1 = "12 Rue de Rivoli"
    address_city = "Paris"
    address_postcode = "75004"
    lat = 48.8556
    lng = 2.3600


def platform_staff(username: str, role: str = "care", **fields):
    """A user of the platform's own staff (`care` or `dispatcher`), whose role holds for every merchant."""
    from django.contrib.auth import get_user_model

    from merchants.models import PlatformRole

    user = get_user_model().objects.create_user(username, f"{username}@example.com", "pw", **fields)
    PlatformRole.objects.create(user=user, role=role)
    return user
