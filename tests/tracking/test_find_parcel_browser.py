"""Find my parcel and the proof's images in Chromium: the form passes CSRF as itself and the images load."""

import pytest
from django.core.files.base import ContentFile

from demo.proof_images import doorstep_photo, signature
from scheduling.models import Delivery
from tests.browser import BROWSER_MARKS
from tests.factories import DeliveryFactory, MerchantFactory, WindowFactory, WindowTemplateFactory
from tracking.models import ProofOfDelivery

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def parcel() -> Delivery:
    shop = MerchantFactory(slug="fresh-basket", brand_name="Fresh Basket", languages=["en", "fr"])
    window = WindowFactory(template=WindowTemplateFactory(merchant=shop))
    return DeliveryFactory(window=window, merchant=shop, order_ref="ORD-1042", address_postcode="SW1A 1AA",
                           recipient_name="Jade Martin", status=Delivery.Status.SCHEDULED)


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    posts: list[dict] = []
    page.on("request", lambda request: posts.append(request.all_headers()) if request.method == "POST" else None)
    page.posts = posts
    yield page
    context.close()


def test_the_customer_finds_their_parcel_by_order_number_and_postcode(parcel, page, live_server):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/find/fresh-basket/?lang=en")
    expect(page.get_by_role("heading", name="Find your parcel")).to_be_visible()

    page.get_by_label("Order number").fill("ord-1042")
    page.get_by_label("Delivery postcode or email address").fill("sw1a 1aa")
    page.get_by_role("button", name="Find my parcel").click()

    page.wait_for_url(f"{live_server.url}/t/{parcel.tracking_token}/?lang=en")
    expect(page.get_by_text("Delivery scheduled").first).to_be_visible()
    assert page.posts[-1]["origin"] == live_server.url  # Django's CSRF check saw the page's own origin


def test_the_proofs_photo_and_signature_load_on_the_tracking_page(parcel, page, live_server):
    from playwright.sync_api import expect

    Delivery.objects.filter(pk=parcel.pk).update(status=Delivery.Status.DELIVERED)
    proof = ProofOfDelivery(delivery=parcel, recipient_name="Jade Martin", captured_at=parcel.window.starts_at)
    proof.photo.save("door.png", ContentFile(doorstep_photo(0)), save=False)
    proof.signature.save("sig.png", ContentFile(signature(0)))

    page.goto(f"{live_server.url}/t/{parcel.tracking_token}/?lang=en")

    for name in ("Photo of your parcel where it was left", "Signature of the person who received your parcel"):
        image = page.get_by_role("img", name=name)
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.get_by_text("Received by Jade at")).to_be_visible()
