"""?as_of= renders the model page as of that moment, labels today's record apart, and
refuses a future moment."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

M = "/models/credit-pd/"


def _page(user, **params) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(M, params)
    assert response.status_code == 200
    return response.content.decode()


def test_before_the_first_version_the_page_shows_no_version_and_labels_today(reviewed, rita):
    page = _page(rita, as_of="2020-01-01")
    assert "Credit PD as of 1 Jan 2020" in page and "No version existed then." in page
    assert "today: " in page and 'id="versions-heading">Versions <span class="badge">today' \
        in page
    assert "version.registered" not in page.split('id="timeline-heading"')[1]
    states = page.split('id="states"')[1].split("</table>")[0]
    assert "In validation" not in states and "in_validation" not in states


def test_now_the_page_shows_the_versions_as_they_are(reviewed, rita):
    page = _page(rita)
    assert "Versions now" in page and "in_validation" in page.split('id="states"')[1]
    assert "as-of-banner" not in page


def test_a_future_moment_is_refused(reviewed, rita):
    future = (timezone.now() + timedelta(days=30)).date().isoformat()
    page = _page(rita, as_of=future)
    assert "That moment is in the future" in page and "as-of-banner" not in page
