"""Pages of at most ASSAY_API_MAX_PAGE_SIZE items; limit and offset stay within 64 bits."""

from django.conf import settings
from rest_framework.pagination import LimitOffsetPagination

_INT64_MAX = 2**63 - 1


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    @property
    def max_limit(self):  # read per request, so a deployment (or a test) may change it
        return settings.ASSAY_API_MAX_PAGE_SIZE

    def get_offset(self, request):
        return min(super().get_offset(request), _INT64_MAX)
