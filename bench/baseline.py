"""The naive baseline endpoint: an unpaginated DRF ListAPIView with a ModelSerializer over one row per reading,
authenticated with django-oauth-toolkit's own DRF class (the same bearer tokens as the real API)."""

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import generics, permissions, serializers

from bench.models import BaselineReading
from usage.models import Premise


class ReadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = BaselineReading
        fields = ["id", "premise_id", "start", "kwh", "estimated"]


class BaselineReadings(generics.ListAPIView):
    serializer_class = ReadingSerializer
    authentication_classes = [OAuth2Authentication]
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None

    def get_queryset(self):
        premise = Premise.objects.get(esiid=self.kwargs["esiid"])
        return BaselineReading.objects.filter(
            premise_id=premise.pk,
            start__date__gte=self.request.query_params["start"],
            start__date__lte=self.request.query_params["end"],
        ).order_by("start")
