"""The care journey shows the proof's photo and signature, through a staff view scoped by the viewer's merchants."""

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from demo.proof_images import png
from merchants.models import StaffMembership
from tests.care.conftest import TODAY, make_agent
from tests.care.factories import ProofFactory
from tests.factories import MerchantFactory
from tests.tracking.factories import build_route

pytestmark = pytest.mark.django_db

PHOTO = png(1, 1, [bytearray(b"\xc4\x96\x62")])
SIGNATURE = png(1, 1, [bytearray(b"\x16\x28\x78")])


@pytest.fixture
def proof():
    """The doorstep photo and signature of a delivery of Fresh Basket's."""
    delivery = build_route(day=TODAY, merchant=MerchantFactory(slug="fresh-basket")).deliveries[0]
    proof = ProofFactory(delivery=delivery, recipient_name="Jade Martin")
    proof.photo.save("door.png", ContentFile(PHOTO), save=False)
    proof.signature.save("sig.png", ContentFile(SIGNATURE))
    return proof


def _staff_of(merchant, username: str) -> Client:
    user = make_agent(username)
    user.platform_role.delete()
    StaffMembership.objects.create(user=user, merchant=merchant, role=StaffMembership.Role.CARE)
    client = Client()
    client.force_login(user)
    return client


def test_the_journey_shows_the_photo_and_signature_through_the_care_view(console, proof):
    url = f"/care/deliveries/{proof.delivery_id}/proof/"

    body = console.get(f"/care/deliveries/{proof.delivery_id}/").content.decode()
    photo = console.get(url + "photo/")
    signature = console.get(url + "signature/")

    assert f'src="{url}photo/"' in body and f'src="{url}signature/"' in body and "/media/" not in body
    assert "Received by Jade Martin" in body  # staff see the whole name
    assert (photo.status_code, photo["Content-Type"], b"".join(photo.streaming_content)) == (200, "image/png", PHOTO)
    assert b"".join(signature.streaming_content) == SIGNATURE
    assert photo["Cache-Control"] == "private, no-store" and photo["X-Content-Type-Options"] == "nosniff"


def test_the_merchants_own_staff_see_it_and_another_merchants_get_a_404(proof):
    url = f"/care/deliveries/{proof.delivery_id}/proof/photo/"
    own = _staff_of(proof.delivery.merchant, "fiona")
    other = _staff_of(MerchantFactory(slug="other-shop"), "mallory")

    assert own.get(url).status_code == 200
    assert other.get(url).status_code == 404
    assert other.get(url.replace("photo", "signature")).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in_and_unknown_parts_are_404(console, client, proof):
    url = f"/care/deliveries/{proof.delivery_id}/proof/"

    signed_out = client.get(url + "photo/")

    assert signed_out.status_code == 302 and "/accounts/login/" in signed_out["Location"]
    assert console.get(url + "address/").status_code == 404
