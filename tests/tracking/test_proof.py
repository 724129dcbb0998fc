"""Proof of delivery on the tracking page: the time, the recipient's first name, the photo and the signature,
served only through the link's token and gone with it."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.views.static import serve

from core.private_storage import PrivateFileHasNoUrl
from demo.proof_images import png
from tests.factories import local
from tests.tracking.factories import build_route
from tracking.models import ProofOfDelivery
from tracking.services import scan_record

pytestmark = pytest.mark.django_db

PHOTO = png(2, 1, [bytearray(b"\xc4\x96\x62\x80\x80\x80")])
SIGNATURE = png(1, 1, [bytearray(b"\x16\x28\x78")])


@pytest.fixture
def world(monkeypatch):
    world = build_route()
    moment = [local(world.day, 8, 30)]
    monkeypatch.setattr("core.clock.now", lambda: moment[0])
    world.clock = moment
    scan_record(driver=world.driver, kind="scanned_out", client_id="out", recorded_at=local(world.day, 8, 0),
                now=local(world.day, 8, 30))
    return world


@pytest.fixture
def delivered(world):
    """Jade Martin took the parcel in at 08:20; the driver's phone sent a photo and her signature."""
    delivery = world.deliveries[0]
    scan_record(driver=world.driver, kind="delivered", client_id="d0", job_id=delivery.job_id,
                recorded_at=local(world.day, 8, 20), recipient_name="Jade Martin", now=local(world.day, 8, 30),
                photo=SimpleUploadedFile("IMG_0042.png", PHOTO, "image/png"),
                signature=SimpleUploadedFile("sig.png", SIGNATURE, "image/png"))
    return delivery


def _image(delivery, part: str) -> str:
    return reverse("tracking:proof-image", args=[delivery.tracking_token, part])


def test_the_page_shows_when_and_who_with_the_photo_and_signature_served_through_the_link(client, delivered):
    html = client.get(reverse("tracking:page", args=[delivered.tracking_token]) + "?lang=en").content.decode()
    photo = client.get(_image(delivered, "photo"))
    signature = client.get(_image(delivered, "signature"))

    assert "Received by Jade at 08:20." in html
    assert f'src="{_image(delivered, "photo")}"' in html and f'src="{_image(delivered, "signature")}"' in html
    assert 'alt="Photo of your parcel where it was left"' in html
    assert 'alt="Signature of the person who received your parcel"' in html
    assert "/media/" not in html
    assert (photo.status_code, photo["Content-Type"], b"".join(photo.streaming_content)) == (200, "image/png", PHOTO)
    assert b"".join(signature.streaming_content) == SIGNATURE
    for response in (photo, signature):
        assert response["Cache-Control"] == "private, no-store"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


def test_the_page_names_the_recipient_by_first_name_only_in_both_languages(client, delivered):
    page = reverse("tracking:page", args=[delivered.tracking_token])
    english = client.get(page + "?lang=en").content.decode()
    french = client.get(page + "?lang=fr").content.decode()
    status = client.get(reverse("tracking:status", args=[delivered.tracking_token])).content.decode()

    assert "Reçu par Jade à 08:20." in french and "Signature de la personne" in french
    for body in (english, french, status):
        assert "Martin" not in body
    assert '"recipient_first_name": "Jade"' in status


def test_a_wrong_or_expired_link_gets_no_proof_and_the_same_404_as_the_page(client, world, delivered):
    not_found = client.get("/t/" + "x" * 43 + "/")
    wrong = client.get("/t/" + "x" * 43 + "/proof/photo/")
    another_parcels_link = client.get(_image(world.deliveries[1], "photo"))  # not delivered: no proof to show
    not_a_part = client.get(reverse("tracking:proof-image", args=[delivered.tracking_token, "address"]))
    delivered.tracking_expires_at = world.clock[0] - dt.timedelta(minutes=1)
    delivered.save()
    expired = client.get(_image(delivered, "photo"))

    for response in (wrong, another_parcels_link, not_a_part, expired):
        assert response.status_code == 404
        assert response.content == not_found.content
        assert response["Cache-Control"] == "no-store"


def test_the_proof_files_have_no_address_of_their_own_and_media_does_not_serve_them(delivered):
    proof = ProofOfDelivery.objects.get(delivery=delivered)
    stored = Path(proof.photo.path)

    assert stored.read_bytes() == PHOTO
    assert stored.name != "IMG_0042.png" and len(stored.stem) >= 32  # a random name
    assert not stored.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    with pytest.raises(PrivateFileHasNoUrl):
        _ = proof.photo.url
    # What DEBUG mounts at /media/ (portal.urls) answers 404 for the proof's name: the file is not there.
    with pytest.raises(Http404):
        serve(RequestFactory().get(f"/media/{proof.photo.name}"), proof.photo.name,
              document_root=settings.MEDIA_ROOT)


def test_a_stored_file_that_is_not_an_image_is_never_served(client, world, delivered):
    proof = ProofOfDelivery.objects.get(delivery=delivered)
    proof.signature.save("sig.png", ContentFile(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'))

    response = client.get(_image(delivered, "signature"))

    assert response.status_code == 404
    assert client.get(_image(delivered, "photo")).status_code == 200
