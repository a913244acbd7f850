from django.conf import settings
from django.contrib.auth.backends import ModelBackend


def is_service_account(user) -> bool:
    group = settings.ASSAY_SERVICE_ACCOUNT_GROUP
    return bool(group) and user.groups.filter(name=group).exists()


class PeopleOnlyBackend(ModelBackend):
    """Password sign-in for people only: a service account (CI) uses its API tokens and
    cannot sign in to the web or the admin even if a password was set on it."""

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not is_service_account(user)
