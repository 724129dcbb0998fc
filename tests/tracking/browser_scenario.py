"""Build a tracking scenario in the database named by SQLITE_PATH and print what the browser test needs.

Run as `python -m tests.tracking.browser_scenario` (the browser test does) so the
ASGI server started next to it reads the same file-based database.
"""

import json
import os

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.utils import timezone

    from tests.factories import PARIS
    from tests.tracking.factories import build_route, device_key_for
    from tracking.services import scan_record

    now = timezone.now()
    worlds = []
    for index in range(2):  # one van per browser viewport, so the runs do not move each other's van
        # Routes start at midnight so that the van is on its way whatever the hour the suite runs at.
        world = build_route(start_hour=0, window_hours=(0, 23))
        merchant = world.deliveries[0].merchant
        merchant.brand_name, merchant.primary_colour, merchant.accent_colour = "Fresh Basket", "#2e7d32", "#8a5a00"
        merchant.save()
        key = device_key_for(world.driver, f"dk_browser_test_device_{index}")
        scan_record(driver=world.driver, kind="scanned_out", client_id=f"browser-out-{index}", recorded_at=now, now=now)
        worlds.append({
            "tokens": [d.tracking_token for d in world.deliveries],
            "device_key": key,
            "vehicle": world.vehicle.code,
            "stops": [[s.job.lat, s.job.lng] for s in world.stops],
        })
    print(json.dumps({"worlds": worlds, "today": timezone.localdate(timezone=PARIS).isoformat()}))


if __name__ == "__main__":
    main()
