"""The audit log names its actors the same way everywhere, and no one can change or delete an entry."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.audit import MASK, ActorKind, audit_actor, audit_event, audit_who, mask_value
from merchants.models import Merchant
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def entry(merchant):
    with audit_actor(label="carrier swiftpost", kind=ActorKind.CARRIER, ip="198.51.100.9"):
        return audit_event(instance=merchant, event="test.event", summary="Something happened")


def admin_url(name, *args):
    return reverse(f"admin:auditlog_logentry_{name}", args=args)


def test_an_inner_actor_ends_and_the_outer_one_is_named_again(merchant):
    with audit_actor(label="system: manage.py seed_demo"):
        with audit_actor(label="system: dispatch.tasks.replan_depot_day"):
            inner = audit_event(instance=merchant, event="test.inner", summary="inner")
        outer = audit_event(instance=merchant, event="test.outer", summary="outer")

    assert audit_who(inner) == "system: dispatch.tasks.replan_depot_day"
    assert audit_who(outer) == "system: manage.py seed_demo"
    assert inner.cid != outer.cid


def test_a_masked_value_keeps_nothing_of_itself_but_an_empty_one_stays_empty():
    assert mask_value("Door code 4821") == MASK
    assert mask_value("") == "" and mask_value("None") == "None"


def test_the_admin_lists_entries_with_who_and_what(client, superuser, entry):
    client.force_login(superuser)

    page = client.get(admin_url("changelist")).content.decode()

    assert "carrier swiftpost" in page and "Something happened" in page and "198.51.100.9" in page


def test_the_admin_filters_by_who_and_by_kind_of_actor(client, superuser, entry, merchant):
    with audit_actor(label="Alice Moreau", kind=ActorKind.USER):
        audit_event(instance=merchant, event="test.other", summary="Another thing")
    client.force_login(superuser)

    by_kind = client.get(admin_url("changelist"), {"actor_kind": ActorKind.CARRIER}).content.decode()
    by_who = client.get(admin_url("changelist"), {"who": "Alice Moreau"}).content.decode()

    assert "Something happened" in by_kind and "Another thing" not in by_kind
    assert "Another thing" in by_who and "Something happened" not in by_who


def test_not_even_a_superuser_can_add_change_or_delete_an_entry(client, superuser, entry):
    client.force_login(superuser)

    assert client.get(admin_url("add")).status_code == 403
    assert client.post(admin_url("delete", entry.pk), {"post": "yes"}).status_code == 403
    client.post(admin_url("change", entry.pk), {"additional_data": "{}"})
    bulk = client.post(admin_url("changelist"), {"action": "delete_selected", "_selected_action": [entry.pk],
                                                 "post": "yes"})

    assert bulk.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.additional_data["summary"] == "Something happened"
    assert LogEntry.objects.filter(pk=entry.pk).exists()
    page = client.get(admin_url("change", entry.pk)).content.decode()
    assert 'name="_save"' not in page and "deletelink" not in page


def test_deleting_the_changed_object_keeps_its_entries(merchant):
    other = MerchantFactory(slug="short-lived")
    Merchant.objects.filter(pk=other.pk).delete()

    assert LogEntry.objects.get_for_model(Merchant).filter(object_id=other.pk).count() == 2  # created, deleted


def test_what_a_management_command_changes_is_the_system_named_after_the_command(monkeypatch, merchant):
    import manage

    def run_command(argv):  # stands for the command: it renames the brand
        merchant.brand_name = "Renamed"
        merchant.save()

    monkeypatch.setattr("django.core.management.execute_from_command_line", run_command)
    monkeypatch.setattr("sys.argv", ["manage.py", "seed_demo", "--reset"])
    manage.main()

    [renamed] = LogEntry.objects.get_for_object(merchant).filter(action=LogEntry.Action.UPDATE)
    assert audit_who(renamed) == "system: manage.py seed_demo"
    assert renamed.changes_dict["brand_name"] == ["Fresh Basket", "Renamed"]


def test_an_entry_reads_at_the_services_clock_like_the_milestones_beside_it(merchant, clock_at):
    # The demo's fleet runs on a clock of its own; a trail on the wall clock read hours apart from its milestones.
    import datetime as dt

    moment = clock_at(dt.datetime(2026, 6, 2, 11, 8, tzinfo=dt.UTC))

    with audit_actor(label="fresh-care"):
        entry = audit_event(instance=merchant, event="test.event", summary="Something happened")

    assert LogEntry.objects.get(pk=entry.pk).timestamp == moment
