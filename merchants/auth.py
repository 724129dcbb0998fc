"""DRF authentication by merchant API key.

Servers send `Authorization: Bearer sk_…`. Browsers send `X-Api-Key: pk_…` and
are accepted only from an origin the merchant registered. After authentication
`request.auth` is the ApiKey and `request.user` is None.
"""

from rest_framework import authentication, exceptions, permissions

from core.audit import ActorKind, audit_actor_name
from core.log_context import log_bind
from merchants.models import ApiKey
from merchants.services import api_key_authenticate, merchant_origin_allowed


class SecretKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise exceptions.AuthenticationFailed("Send the secret key as 'Authorization: Bearer sk_…'.")
        key = api_key_authenticate(raw_key=raw.strip(), kind=ApiKey.Kind.SECRET)
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked secret API key.")
        log_bind(merchant=key.merchant.slug)
        audit_actor_name(label=f"api key {key.prefix}… of {key.merchant.name}", kind=ActorKind.API_KEY)
        return (None, key)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class PublishableKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw = request.headers.get("X-Api-Key", "").strip()
        if not raw:
            return None
        key = api_key_authenticate(raw_key=raw, kind=ApiKey.Kind.PUBLISHABLE)
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked publishable API key.")
        origin = request.headers.get("Origin", "")
        # Same-origin requests (our own demo pages, the iframe) send no Origin on GET.
        own_origin = f"{request.scheme}://{request.get_host()}"
        if origin and origin != own_origin and not merchant_origin_allowed(merchant=key.merchant, origin=origin):
            raise exceptions.PermissionDenied(f"Origin {origin} is not registered for this merchant's publishable key.")
        log_bind(merchant=key.merchant.slug)
        audit_actor_name(label=f"api key {key.prefix}… of {key.merchant.name}", kind=ActorKind.API_KEY)
        return (None, key)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class HasSecretKey(permissions.BasePermission):
    message = "This endpoint needs a secret key: 'Authorization: Bearer sk_…'."

    def has_permission(self, request, view):
        if request.auth is None:
            raise exceptions.NotAuthenticated(self.message)
        return isinstance(request.auth, ApiKey) and request.auth.kind == ApiKey.Kind.SECRET


class HasAnyMerchantKey(permissions.BasePermission):
    message = "Send a publishable key (X-Api-Key: pk_…) or a secret key (Authorization: Bearer sk_…)."

    def has_permission(self, request, view):
        if request.auth is None:
            raise exceptions.NotAuthenticated(self.message)
        return isinstance(request.auth, ApiKey)


MERCHANT_KEY_AUTH = [SecretKeyAuthentication, PublishableKeyAuthentication]
