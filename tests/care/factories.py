"""Journey rows for care tests: milestones, ETA snapshots, proof and exceptions."""

import datetime as dt

import factory

from care.models import JourneyException
from tests.factories import DeliveryFactory
from tracking.models import EtaSnapshot, Event, ProofOfDelivery


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    delivery = factory.SubFactory(DeliveryFactory)
    milestone = "scheduled"
    source = Event.Source.SYSTEM
    recorded_at = factory.LazyAttribute(lambda o: o.delivery.window.starts_at - dt.timedelta(hours=3))


class EtaSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EtaSnapshot

    delivery = factory.SubFactory(DeliveryFactory)
    computed_at = factory.LazyAttribute(lambda o: o.eta - dt.timedelta(hours=1))
    eta = factory.LazyAttribute(lambda o: o.delivery.window.starts_at + dt.timedelta(minutes=40))
    band_start = factory.LazyAttribute(lambda o: o.eta - dt.timedelta(minutes=10))
    band_end = factory.LazyAttribute(lambda o: o.eta + dt.timedelta(minutes=10))


class ProofFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProofOfDelivery

    delivery = factory.SubFactory(DeliveryFactory)
    recipient_name = "C. Durand"
    captured_at = factory.LazyAttribute(lambda o: o.delivery.window.starts_at + dt.timedelta(minutes=30))


class JourneyExceptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JourneyException

    delivery = factory.SubFactory(DeliveryFactory)
    code = "failed_attempt"
    message = "Delivery attempted: nobody_home."
    opened_at = factory.LazyFunction(lambda: dt.datetime(2026, 6, 2, 15, 0, tzinfo=dt.UTC))
    due_at = factory.LazyAttribute(lambda o: o.opened_at + dt.timedelta(hours=2))
