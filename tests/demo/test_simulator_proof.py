"""The demo's drivers deliver with a real-looking proof: the recipient's name, a doorstep photo and a signature."""

import pytest
from django.urls import reverse

from core.images import image_content_type
from demo.proof_images import PHOTO_SIZE, SIGNATURE_SIZE
from demo.simulator import FleetSimulator, SimConfig
from tests.factories import local
from tests.tracking.factories import build_route
from tracking.models import ProofOfDelivery

pytestmark = pytest.mark.django_db


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_a_simulated_delivery_shows_its_photo_and_signature_on_the_tracking_page(client, monkeypatch):
    world = build_route(points=[(48.8600, 2.3400), (48.8650, 2.3500)])
    simulator = FleetSimulator(config=SimConfig(seed=3, fail_rate=0.0), day=world.day, depots=[world.depot])
    simulator.run(start=local(world.day, 7, 55), end=local(world.day, 12))
    monkeypatch.setattr("core.clock.now", lambda: simulator.now)
    delivery = world.deliveries[0]

    proof = ProofOfDelivery.objects.get(delivery=delivery)
    html = client.get(reverse("tracking:page", args=[delivery.tracking_token]) + "?lang=en").content.decode()
    photo = client.get(reverse("tracking:proof-image", args=[delivery.tracking_token, "photo"]))
    signature = client.get(reverse("tracking:proof-image", args=[delivery.tracking_token, "signature"]))

    assert proof.recipient_name == "Customer 0 Lastname"
    assert "Received by Customer at" in html and "Lastname" not in html
    photo_bytes, signature_bytes = b"".join(photo.streaming_content), b"".join(signature.streaming_content)
    assert image_content_type(photo_bytes) == image_content_type(signature_bytes) == "image/png"
    assert _png_size(photo_bytes) == PHOTO_SIZE and _png_size(signature_bytes) == SIGNATURE_SIZE


def test_every_photo_and_signature_variant_is_an_image():
    # One variant's parcel once did not fit its doorstep, and the simulator died at the first stop drawing it.
    from demo import proof_images

    for variant in range(proof_images.VARIANTS):
        assert proof_images.doorstep_photo(variant).startswith(b"\x89PNG")
        assert proof_images.signature(variant).startswith(b"\x89PNG")
