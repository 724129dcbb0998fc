"""DRF authentication for the disruptions API: a weather or traffic feed's key, or a signed-in platform dispatcher.

Feeds send `Authorization: Bearer fk_…`, matched against `DisruptionFeed.key_digest` (SHA-256);
`request.auth` is then the `DisruptionFeed`. A platform dispatcher may call the same endpoints from
a signed-in browser session (DRF's session authentication, with its CSRF check).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from core.audit import ActorKind, audit_actor_name
from dispatch.disruptions import FEED_KEY_PREFIX
from dispatch.models import DisruptionFeed
from merchants.access import Perm, access_of_user
from merchants.services import api_key_digest


class DisruptionFeedAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        raw = raw.strip()
        if scheme.lower() != "bearer" or not raw.startswith(FEED_KEY_PREFIX):
            raise exceptions.AuthenticationFailed("Send the feed's key as 'Authorization: Bearer fk_…'.")
        feed = DisruptionFeed.objects.select_related("depot").filter(key_digest=api_key_digest(raw), active=True).first()
        if feed is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked feed key.")
        audit_actor_name(label=f"disruption feed {feed.code}", kind=ActorKind.FEED)
        return (None, feed)

    def authenticate_header(self, request):
        return 'Bearer realm="disruption-feeds"'


class IsFeedOrFleetDispatcher(permissions.BasePermission):
    """A disruption feed's key, or a signed-in user who may change the fleet (the platform's dispatchers)."""

    message = "Only the platform's dispatchers and disruption feeds set disruptions."

    def has_permission(self, request, view):
        if isinstance(request.auth, DisruptionFeed):
            return True
        user = request.user
        if user is None or not user.is_authenticated:
            raise exceptions.NotAuthenticated(
                "This endpoint needs a feed key ('Authorization: Bearer fk_…') or a signed-in dispatcher.")
        return access_of_user(user).may(Perm.FLEET_ACT)


class DisruptionFeedScheme(OpenApiAuthenticationExtension):
    target_class = "dispatch.auth.DisruptionFeedAuthentication"
    name = "disruptionFeedKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A disruption feed's key: `Authorization: Bearer fk_…`."}
