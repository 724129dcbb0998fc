"""Finding an order from whatever the caller has: a reference, a phone number, an email, a tracking link, a name
(any part, any case, with or without accents) or a postcode."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from care.search import delivery_search
from care.search_key import search_key
from merchants.models import StaffMembership
from tests.care.conftest import make_agent
from tests.factories import DeliveryFactory, MerchantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def camille():
    merchant = MerchantFactory(slug="fresh-basket", name="Fresh Basket")
    return DeliveryFactory(window__template__merchant=merchant, order_ref="FB-20931", recipient_name="Camille Durand",
                           recipient_phone="+33612345678", recipient_email="camille@example.com")


@pytest.fixture
def someone_else():
    return DeliveryFactory(order_ref="OT-77", recipient_name="Jules Verne", recipient_phone="+33698765432",
                           recipient_email="jules@example.com")


def test_an_order_reference_finds_the_delivery_whatever_the_case(console, camille, someone_else):
    response = console.get("/care/", {"q": "fb-20931"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "FB-20931" in body and "Fresh Basket" in body
    assert "Camille D." in body
    assert "Durand" not in body  # the list shows a first name and an initial only
    assert "OT-77" not in body
    assert f"/care/deliveries/{camille.pk}/" in body


def test_a_phone_number_read_out_the_french_way_finds_the_delivery(console, camille, someone_else):
    body = console.get("/care/", {"q": "06 12 34 56 78"}).content.decode()
    assert "FB-20931" in body
    assert "OT-77" not in body
    assert "+33612345678" in body  # the agent sees which number was looked for


def test_an_international_phone_number_finds_the_delivery_too(console, camille):
    assert "FB-20931" in console.get("/care/", {"q": "+33 6 12 34 56 78"}).content.decode()


def test_a_uk_number_read_out_the_british_way_finds_a_uk_merchants_delivery(console, camille, someone_else):
    merchant = MerchantFactory(slug="tea-and-crumpets", name="Tea and Crumpets", country="GB",
                               time_zone="Europe/London")
    DeliveryFactory(window__template__merchant=merchant, order_ref="TC-1066", recipient_name="Oliver Twist",
                    recipient_phone="+447700900123")
    body = console.get("/care/", {"q": "07700 900123"}).content.decode()
    assert "TC-1066" in body
    assert "FB-20931" not in body and "OT-77" not in body
    assert "+447700900123" in body


def test_a_french_number_is_still_read_as_french_beside_a_uk_merchant(console, camille):
    MerchantFactory(slug="tea-and-crumpets", name="Tea and Crumpets", country="GB", time_zone="Europe/London")
    body = console.get("/care/", {"q": "06 12 34 56 78"}).content.decode()
    assert "FB-20931" in body
    assert "+33612345678" in body and "+44612345678" not in body


def test_a_uk_number_without_a_uk_merchant_is_not_read_as_british(console, camille):
    DeliveryFactory(order_ref="TC-1066", recipient_phone="+447700900123")
    body = console.get("/care/", {"q": "07700 900123"}).content.decode()
    assert "TC-1066" not in body


def test_an_email_finds_the_delivery(console, camille, someone_else):
    body = console.get("/care/", {"q": "Camille@Example.com"}).content.decode()
    assert "FB-20931" in body and "OT-77" not in body


def test_a_pasted_tracking_link_finds_the_delivery(console, camille, someone_else):
    link = f"https://track.example.com/t/{camille.tracking_token}/?lang=fr"
    body = console.get("/care/", {"q": link}).content.decode()
    assert "FB-20931" in body and "OT-77" not in body


def test_a_bare_tracking_token_finds_the_delivery(console, camille, someone_else):
    body = console.get("/care/", {"q": camille.tracking_token}).content.decode()
    assert "FB-20931" in body and "OT-77" not in body


def test_an_unknown_search_says_nothing_matches(console, camille):
    response = console.get("/care/", {"q": "NOPE-404"})
    assert response.status_code == 200
    assert "No order matches" in response.content.decode()


def test_an_empty_search_asks_for_something_to_look_for(console, camille):
    response = console.get("/care/", {"q": "   "})
    assert response.status_code == 200
    assert "Type a name, an order reference" in response.content.decode()


def test_a_huge_or_odd_search_is_answered_not_a_500(console, camille):
    assert console.get("/care/", {"q": "x" * 5000}).status_code == 200
    assert console.get("/care/", {"q": "+++"}).status_code == 200
    assert console.get("/care/", {"q": "/t/"}).status_code == 200


def test_a_signed_in_user_without_a_care_role_is_refused_with_the_reason(client, outsider, camille):
    client.force_login(outsider)
    for url in ("/care/", f"/care/deliveries/{camille.pk}/", "/care/exceptions/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Your role does not include the care console." in response.content.decode()
        assert camille.recipient_name not in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, camille):
    response = client.get("/care/", {"q": "FB-20931"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- By name and postcode ---------------------------------------------------------------------------------------


@pytest.fixture
def people():
    """Three customers of Fresh Basket and one of another shop, with the names callers misspell."""
    merchant = MerchantFactory(slug="fresh-basket", name="Fresh Basket")
    other = MerchantFactory(slug="corner-shop", name="Corner Shop")

    def delivery(ref, name, postcode="75011", shop=merchant):
        return DeliveryFactory(window__template__merchant=shop, order_ref=ref, recipient_name=name,
                               address_postcode=postcode)

    return {
        "jade": delivery("FB-1001", "Jade Moreau"),
        "louis": delivery("FB-1002", "Louis Moreau", postcode="75020"),
        "heloise": delivery("FB-1003", "Héloïse Lefèvre"),
        "oliver": delivery("FB-1004", "Oliver Twist", postcode="SW1A 1AA"),
        "other_jade": delivery("CS-2001", "Jade Moreau", postcode="69001", shop=other),
    }


def _refs(client, query) -> set[str]:
    body = client.get("/care/", {"q": query}).content.decode()
    return {ref for ref in ("FB-1001", "FB-1002", "FB-1003", "FB-1004", "CS-2001") if ref in body}


def test_a_full_name_finds_that_customer_whatever_the_case_and_order(console, people):
    assert _refs(console, "jade moreau") == {"FB-1001", "CS-2001"}
    assert _refs(console, "MOREAU Jade") == {"FB-1001", "CS-2001"}
    assert _refs(console, "Moreau, Jade") == {"FB-1001", "CS-2001"}


def test_a_surname_alone_finds_everyone_of_that_name(console, people):
    assert _refs(console, "moreau") == {"FB-1001", "FB-1002", "CS-2001"}


def test_a_first_name_alone_finds_the_customer(console, people):
    assert _refs(console, "Jade") == {"FB-1001", "CS-2001"}


def test_a_name_typed_without_its_accents_finds_it(console, people):
    assert _refs(console, "heloise") == {"FB-1003"}
    assert _refs(console, "heloise lefevre") == {"FB-1003"}


def test_a_name_typed_with_accents_it_does_not_have_or_in_capitals_finds_it_too(console, people):
    assert _refs(console, "HÉLOÏSE") == {"FB-1003"}
    assert _refs(console, "Jadé Moréau") == {"FB-1001", "CS-2001"}


def test_part_of_a_name_finds_it(console, people):
    assert _refs(console, "helo") == {"FB-1003"}
    assert _refs(console, "lefev") == {"FB-1003"}
    assert _refs(console, "mor") == {"FB-1001", "FB-1002", "CS-2001"}


def test_a_part_from_the_middle_of_a_name_finds_it_too(console, people):
    assert _refs(console, "oise") == {"FB-1003"}
    assert _refs(console, "reau jad") == {"FB-1001", "CS-2001"}


def test_a_name_and_a_postcode_together_narrow_it_down(console, people):
    assert _refs(console, "moreau 75020") == {"FB-1002"}
    assert _refs(console, "75011 jade") == {"FB-1001"}


def test_a_postcode_finds_the_deliveries_there_and_the_results_show_it(console, people):
    response = console.get("/care/", {"q": "75011"})
    body = response.content.decode()
    assert _refs(console, "75011") == {"FB-1001", "FB-1003"}
    assert "<th>Postcode</th>" in body and '<td data-label="Postcode">75011</td>' in body


def test_a_british_postcode_is_found_with_or_without_its_space(console, people):
    assert _refs(console, "SW1A 1AA") == {"FB-1004"}
    assert _refs(console, "sw1a1aa") == {"FB-1004"}


def test_the_results_show_a_first_name_and_an_initial_only(console, people):
    body = console.get("/care/", {"q": "heloise lefevre"}).content.decode()
    assert "Héloïse L." in body
    assert "Lefèvre" not in body


def test_every_word_must_match_so_a_wrong_surname_finds_nobody(console, people):
    response = console.get("/care/", {"q": "jade lefevre"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "No order matches" in body
    assert "names containing every word you typed" in body


def test_a_partial_reference_is_still_looked_for_before_names(console, people):
    assert _refs(console, "1003") == {"FB-1003"}


def test_a_merchants_staff_find_only_their_own_customers_by_name(people):
    user = make_agent("fiona")
    user.platform_role.delete()
    StaffMembership.objects.create(user=user, merchant=people["jade"].merchant, role=StaffMembership.Role.CARE)
    client = Client()
    client.force_login(user)

    assert _refs(client, "jade moreau") == {"FB-1001"}
    assert _refs(client, "69001") == set()


def test_when_more_match_than_fit_the_most_recent_windows_come_first_and_it_says_so(people):
    moreaus = sorted((people[key] for key in ("jade", "louis", "other_jade")),
                     key=lambda d: (-d.window.starts_at.timestamp(), d.order_ref))

    result = delivery_search(query="moreau", limit=2)

    assert result.kind == "name"
    assert [hit.order_ref for hit in result.hits] == [d.order_ref for d in moreaus[:2]]
    assert result.more
    assert not delivery_search(query="moreau", limit=3).more


def test_the_page_says_when_more_match_than_it_shows(console, people):
    window = people["jade"].window
    DeliveryFactory.create_batch(51, window=window, recipient_name="Louise Moreau")

    body = console.get("/care/", {"q": "louise moreau"}).content.decode()

    assert body.count('href="/care/deliveries/') == 50
    assert "50 deliveries" in body and "more match: add a first name or the postcode" in body


def test_wildcards_typed_in_a_name_are_plain_characters(console, people):
    assert _refs(console, "%") == set()
    assert _refs(console, "ja_e") == set()


@pytest.mark.parametrize("name, postcode", [
    ("Héloïse Lefèvre", "75011"), ("Zoë Cœur", "75020"), ("Jürgen Weiß", "10115"), ("Søren Łukasz", "SW1A 1AA"),
    ("ÆTHEL ÉPÉE", "69001"), ("Ana-María Núñez", ""),
])
def test_postgresql_and_python_fold_a_name_the_same_way(name, postcode):
    """SQLite runs the Python fold and PostgreSQL its own function: a query folded in Python must meet both."""
    if connection.vendor != "postgresql":
        pytest.skip("on SQLite the SQL function is the Python fold itself")
    with connection.cursor() as cursor:
        cursor.execute("SELECT care_search_key(%s, %s)", [name, postcode])
        assert cursor.fetchone()[0] == search_key(name, postcode)


@pytest.mark.parametrize("query, index", [
    ("heloise moreau", "care_delivery_search_key_trgm"),
    ("75011", "care_delivery_search_key_trgm"),
    ("FB-10", "care_delivery_order_ref_trgm"),
    ("fb-1001", "care_delivery_order_ref_upper"),
])
def test_on_postgresql_a_name_postcode_or_reference_search_reads_its_trigram_index(people, query, index):
    if connection.vendor != "postgresql":
        pytest.skip("the trigram indexes exist on PostgreSQL only")
    with CaptureQueriesContext(connection) as captured:
        delivery_search(query=query)
    [rows_query] = [q["sql"] for q in captured.captured_queries if "ORDER BY" in q["sql"]]
    with connection.cursor() as cursor:
        # A handful of rows is cheaper to read whole, or through any index, than through the search's index: ask
        # whether the planner can use it at all, which it cannot when the query's expression differs from the index's.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {rows_query}")
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert index in plan


# --- SQLite's own index ------------------------------------------------------------------------------------------


def _sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL indexes the key expression itself")


def test_short_words_beside_long_ones_are_looked_for_too(console, people):
    """Words of one or two letters cannot be read from a trigram index; they still narrow the search."""
    assert _refs(console, "jade mo") == {"FB-1001", "CS-2001"}
    assert _refs(console, "mo jade 11") == {"FB-1001"}
    assert _refs(console, "le he") == {"FB-1003"}


@pytest.mark.parametrize("query", ["heloise moreau", "75011", "lefevre he"])
def test_on_sqlite_a_name_or_postcode_search_reads_its_trigram_index_not_every_delivery(people, query):
    _sqlite_only()
    with CaptureQueriesContext(connection) as captured:
        delivery_search(query=query)
    [rows_query] = [q["sql"] for q in captured.captured_queries if "ORDER BY" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {rows_query}")
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "care_delivery_search VIRTUAL TABLE" in plan
    assert "care_search_key" not in rows_query  # the fold is not called per delivery any more


def test_on_sqlite_the_index_follows_every_write_bulk_and_raw_ones_too(console, people):
    _sqlite_only()
    from scheduling.models import Delivery

    Delivery.objects.filter(pk=people["jade"].pk).update(recipient_name="Jade Lefèvre")
    Delivery.objects.filter(pk=people["louis"].pk).delete()
    merchant = people["jade"].merchant
    Delivery.objects.bulk_create([DeliveryFactory.build(window=people["jade"].window, merchant=merchant,
                                                        order_ref="FB-1009", recipient_name="Zoé Cœur")])

    assert _refs(console, "lefevre") == {"FB-1001", "FB-1003"}
    assert _refs(console, "moreau") == {"CS-2001"}
    assert "FB-1009" in console.get("/care/", {"q": "zoe coeur"}).content.decode()


def test_on_sqlite_keys_written_while_the_triggers_were_gone_are_built_again_after_migrate(console, people):
    """Django rebuilds a table to alter it on SQLite, which drops the table's triggers."""
    _sqlite_only()
    from care import search_index
    from scheduling.models import Delivery

    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER care_delivery_search_key_au")
    Delivery.objects.filter(pk=people["jade"].pk).update(recipient_name="Jade Lefèvre")
    assert _refs(console, "lefevre") == {"FB-1003"}  # not indexed: what a missing trigger costs

    search_index.install_after_migrate(sender=None, using="default")

    assert _refs(console, "lefevre") == {"FB-1001", "FB-1003"}
    assert _refs(console, "jade") == {"FB-1001", "CS-2001"}
    assert not search_index.install(connection)  # everything in place: nothing built again
