from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from merchants.auth import MERCHANT_KEY_AUTH, HasAnyMerchantKey


class BrandOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField(source="brand_name")
    logo = serializers.CharField(source="logo_src")
    primary_colour = serializers.CharField()
    accent_colour = serializers.CharField()
    time_zone = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    currency = serializers.CharField()


class MerchantBrandView(APIView):
    """The calling merchant's brand, so widgets can dress themselves."""

    authentication_classes = MERCHANT_KEY_AUTH
    permission_classes = [HasAnyMerchantKey]

    @extend_schema(responses=BrandOutput, summary="The calling merchant's brand", tags=["merchants"])
    def get(self, request):
        return Response(BrandOutput(request.auth.merchant).data)
