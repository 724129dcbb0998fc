"""How the merchant key authenticators appear in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SecretKeyScheme(OpenApiAuthenticationExtension):
    target_class = "merchants.auth.SecretKeyAuthentication"
    name = "secretKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A merchant secret key: `Authorization: Bearer sk_…` (servers only)."}


class PublishableKeyScheme(OpenApiAuthenticationExtension):
    target_class = "merchants.auth.PublishableKeyAuthentication"
    name = "publishableKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "header", "name": "X-Api-Key",
            "description": "A merchant publishable key `pk_…`, accepted only from the merchant's registered origins.",
        }
