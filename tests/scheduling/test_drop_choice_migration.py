"""The migration turns the two old boxes into the one drop choice, and back."""


from tests.factories import WindowFactory

BEFORE = [("scheduling", "0005_hold_requester")]
AFTER = [("scheduling", "0006_delivery_drop_choice")]


def test_safe_drop_becomes_a_safe_place_and_a_ticked_neighbour_box_any_neighbour(migrator):
    migrator.migrate(BEFORE)
    old = migrator.loader.project_state(BEFORE).apps.get_model("scheduling", "Delivery")
    window = WindowFactory()
    for ref, safe, neighbour in [("NONE", False, False), ("SAFE", True, False), ("NEXT", False, True),
                                 ("BOTH", True, True)]:
        old.objects.create(merchant_id=window.merchant_id, window_id=window.pk, order_ref=ref, recipient_name="Camille",
                           address_line1="12 Rue de Rivoli", address_city="Paris", address_postcode="75004",
                           lat=48.8556, lng=2.36, safe_drop=safe, leave_with_neighbour=neighbour)

    migrator.loader.build_graph()
    migrator.migrate(AFTER)
    new = migrator.loader.project_state(AFTER).apps.get_model("scheduling", "Delivery")
    assert dict(new.objects.values_list("order_ref", "drop_choice")) == {
        "NONE": "door", "SAFE": "safe_place", "NEXT": "neighbour", "BOTH": "safe_place"}

    migrator.loader.build_graph()
    migrator.migrate(BEFORE)
    old = migrator.loader.project_state(BEFORE).apps.get_model("scheduling", "Delivery")
    assert {ref: (safe, neighbour) for ref, safe, neighbour in
            old.objects.values_list("order_ref", "safe_drop", "leave_with_neighbour")} == {
        "NONE": (False, False), "SAFE": (True, False), "NEXT": (False, True), "BOTH": (True, False)}
