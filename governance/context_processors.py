from django.utils import timezone

from registry.permissions import can_search_audit


def navigation(request):
    user = getattr(request, "user", None)
    return {"today": timezone.localdate(),
            "can_search_audit": bool(user and can_search_audit(user))}
