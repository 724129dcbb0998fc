"""The owner's changes to keys, brand, origins and webhook endpoints are recorded as the owner's, secrets left out."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from core.audit import MASK, audit_who
from merchants.models import AllowedOrigin, ApiKey, Merchant, WebhookEndpoint
from merchants.services import api_key_create, webhook_endpoint_create

pytestmark = pytest.mark.django_db

OWNER_IP = "203.0.113.80"


def entries(model, **filters):
    return [e for e in LogEntry.objects.get_for_model(model).filter(**filters).order_by("timestamp", "pk")]


def stored_text(entry) -> str:
    return str(LogEntry.objects.filter(pk=entry.pk).values_list("changes", "additional_data").get())


def test_a_new_key_is_the_owners_and_its_digest_is_not_kept(as_owner, owner, merchant):
    as_owner.post(reverse("merchants:settings-keys", args=[merchant.slug]), {"kind": "secret", "name": "Checkout"},
                  REMOTE_ADDR=OWNER_IP)

    key = ApiKey.objects.get(merchant=merchant, name="Checkout")
    [created] = entries(ApiKey, object_id=key.pk)
    assert (created.actor, created.remote_addr, audit_who(created)) == (owner, OWNER_IP, "olivia")
    assert created.action == LogEntry.Action.CREATE and created.changes_dict["name"] == ["None", "Checkout"]
    assert "digest" not in created.changes_dict and key.digest not in stored_text(created)


def test_revoking_a_key_is_the_owners(as_owner, owner, merchant):
    key, _raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET, name="Server")

    as_owner.post(reverse("merchants:settings-key-revoke", args=[merchant.slug, key.pk]), REMOTE_ADDR=OWNER_IP)

    [revoked] = entries(ApiKey, object_id=key.pk, action=LogEntry.Action.UPDATE)
    assert revoked.actor == owner and revoked.additional_data["summary"] == f"Key {key.prefix}… revoked"
    assert revoked.changes_dict["revoked_at"][0] == "None"


def test_rolling_a_key_reads_as_one_action_of_the_owner(as_owner, owner, merchant):
    key, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET, name="Server")

    as_owner.post(reverse("merchants:settings-key-roll", args=[merchant.slug, key.pk]))

    new_key = ApiKey.objects.get(merchant=merchant, name="Server", revoked_at__isnull=True)
    [rolled] = entries(ApiKey, object_id=key.pk, action=LogEntry.Action.UPDATE)
    [created] = entries(ApiKey, object_id=new_key.pk)
    assert rolled.additional_data["event"] == "api_key.rolled"
    assert rolled.actor == created.actor == owner
    assert rolled.cid == created.cid and rolled.cid
    assert raw not in stored_text(rolled) and new_key.digest not in stored_text(created)


def test_a_brand_edit_is_the_owners_with_before_and_after(as_owner, owner, merchant):
    as_owner.post(reverse("merchants:settings-brand", args=[merchant.slug]), {
        "brand_name": "Fresh Basket Paris", "primary_colour": "#2e7d32", "accent_colour": "#f9a825",
        "languages": ["fr", "en"], "default_language": "fr"}, REMOTE_ADDR=OWNER_IP)

    [edit] = entries(Merchant, object_id=merchant.pk, action=LogEntry.Action.UPDATE)
    assert (edit.actor, edit.remote_addr) == (owner, OWNER_IP)
    assert edit.changes_dict["brand_name"] == ["Fresh Basket", "Fresh Basket Paris"]
    assert edit.changes_dict["primary_colour"][1] == "#2e7d32"


def test_an_origin_added_and_removed_is_the_owners(as_owner, owner, merchant):
    as_owner.post(reverse("merchants:settings-origins", args=[merchant.slug]), {"origin": "https://shop.example.com"})
    origin = AllowedOrigin.objects.get(merchant=merchant)
    as_owner.post(reverse("merchants:settings-origin-remove", args=[merchant.slug, origin.pk]))

    added, removed = entries(AllowedOrigin, object_id=origin.pk)
    assert (added.action, removed.action) == (LogEntry.Action.CREATE, LogEntry.Action.DELETE)
    assert added.actor == removed.actor == owner


def test_webhook_endpoints_created_rotated_and_deleted_are_the_owners_without_their_secrets(as_owner, owner,
                                                                                            merchant):
    as_owner.post(reverse("notifications:settings-webhooks", args=[merchant.slug]),
                  {"url": "https://shop.example.com/hooks"}, REMOTE_ADDR=OWNER_IP)
    endpoint = WebhookEndpoint.objects.get(merchant=merchant)
    first_secret = endpoint.secret
    as_owner.post(reverse("notifications:settings-webhook-rotate", args=[merchant.slug, endpoint.pk]))
    endpoint.refresh_from_db()
    as_owner.post(reverse("notifications:settings-webhook-delete", args=[merchant.slug, endpoint.pk]))

    created, rotated, deleted = entries(WebhookEndpoint, object_id=endpoint.pk)
    assert [e.action for e in (created, rotated, deleted)] == [
        LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE]
    assert {e.actor for e in (created, rotated, deleted)} == {owner}
    assert created.remote_addr == OWNER_IP
    assert rotated.changes_dict["secret"] == [MASK, MASK]
    for entry in (created, rotated, deleted):
        text = stored_text(entry)
        assert first_secret not in text and endpoint.secret not in text and "whsec_" not in text


def test_turning_an_endpoint_off_and_on_is_recorded(as_owner, owner, merchant):
    endpoint = webhook_endpoint_create(merchant=merchant, url="https://shop.example.com/hooks")
    switch = reverse("notifications:settings-webhook-switch", args=[merchant.slug, endpoint.pk])

    as_owner.post(switch, {"active": "off"})
    as_owner.post(switch, {"active": "on"})

    off, on = (e for e in entries(WebhookEndpoint, object_id=endpoint.pk) if e.action == LogEntry.Action.UPDATE)
    assert (off.additional_data["event"], on.additional_data["event"]) == ("webhook.turned_off", "webhook.turned_on")
    assert off.actor == on.actor == owner
