"""Which API budgets each credential spends (settings.THROTTLE_RATES; counting in core.throttle).

The wiring names the credentials, which live in several apps: a merchant's secret key (its servers), its
publishable key (every shopper's browser at once, and each shopper's address alone), a driver's device,
a carrier's system, a disruption feed, and nobody (the schema and the ping).
"""

from core.client_address import client_ip
from core.throttle import CredentialRateThrottle


class ApiThrottle(CredentialRateThrottle):
    def budgets(self, request) -> list[tuple[str, str]]:
        # Imported here: DRF loads this class while its views module loads, before the apps' modules can be.
        from dispatch.models import DisruptionFeed
        from merchants.models import ApiKey
        from tracking.auth import DriverDevice
        from tracking.models import Carrier

        credential = request.auth
        if isinstance(credential, ApiKey):
            if credential.kind == ApiKey.Kind.SECRET:
                return [("api_secret_key", f"key:{credential.pk}")]
            # One shopper is one address behind the key; all of them together are the key.
            return [("api_browser", f"key:{credential.pk}:client:{client_ip(request)}"),
                    ("api_publishable_key", f"key:{credential.pk}")]
        if isinstance(credential, DriverDevice):
            return [("api_driver", f"driver:{credential.driver.pk}")]
        if isinstance(credential, Carrier):
            return [("api_carrier", f"carrier:{credential.pk}")]
        if isinstance(credential, DisruptionFeed):
            return [("api_feed", f"feed:{credential.pk}")]
        return [("api_anonymous", f"client:{client_ip(request)}")]
