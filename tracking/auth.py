"""DRF authentication for the fleet: driver devices and third-party carriers.

Driver devices send `Authorization: Bearer dk_…`, matched against
`Driver.device_key_digest` (SHA-256); `request.auth` is then a `DriverDevice`.
Carriers send their shared secret in `X-Carrier-Secret` to
`/api/v1/carriers/<code>/events/`; `request.auth` is then the `Carrier`.
"""

from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from core.audit import ActorKind, audit_actor_name
from dispatch.models import Driver
from merchants.services import api_key_digest
from tracking.models import Carrier
from tracking.services.carriers import carrier_authenticate

DEVICE_KEY_PREFIX = "dk_"


@dataclass(frozen=True)
class DriverDevice:
    driver: Driver


class DriverDeviceAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        raw = raw.strip()
        if scheme.lower() != "bearer" or not raw.startswith(DEVICE_KEY_PREFIX):
            raise exceptions.AuthenticationFailed("Send the device key as 'Authorization: Bearer dk_…'.")
        driver = Driver.objects.filter(device_key_digest=api_key_digest(raw), active=True).first()
        if driver is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked device key.")
        audit_actor_name(label=f"driver device of {driver} (driver {driver.pk})", kind=ActorKind.DRIVER_DEVICE)
        return (None, DriverDevice(driver=driver))

    def authenticate_header(self, request):
        return 'Bearer realm="drivers"'


class CarrierSecretAuthentication(authentication.BaseAuthentication):
    header = "X-Carrier-Secret"

    def authenticate(self, request):
        raw = request.headers.get(self.header, "").strip()
        if not raw:
            return None
        code = request.parser_context["kwargs"].get("code", "") if request.parser_context else ""
        carrier = carrier_authenticate(code=code, raw_secret=raw)
        if carrier is None:
            raise exceptions.AuthenticationFailed("Unknown carrier or wrong shared secret.")
        audit_actor_name(label=f"carrier {carrier.code}", kind=ActorKind.CARRIER)
        return (None, carrier)

    def authenticate_header(self, request):
        return 'Secret realm="carriers"'


class IsDriverDevice(permissions.BasePermission):
    message = "This endpoint needs a driver device key: 'Authorization: Bearer dk_…'."

    def has_permission(self, request, view):
        if request.auth is None:
            raise exceptions.NotAuthenticated(self.message)
        return isinstance(request.auth, DriverDevice)


class IsCarrier(permissions.BasePermission):
    message = "This endpoint needs the carrier's shared secret in X-Carrier-Secret."

    def has_permission(self, request, view):
        if request.auth is None:
            raise exceptions.NotAuthenticated(self.message)
        return isinstance(request.auth, Carrier)


class DriverDeviceScheme(OpenApiAuthenticationExtension):
    target_class = "tracking.auth.DriverDeviceAuthentication"
    name = "driverDeviceKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A driver device key, dk_…"}


class CarrierSecretScheme(OpenApiAuthenticationExtension):
    target_class = "tracking.auth.CarrierSecretAuthentication"
    name = "carrierSecret"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Carrier-Secret"}
