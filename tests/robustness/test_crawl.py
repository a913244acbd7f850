"""Every role, over the demo's models and a model in every state, follows every link it
can reach from the dashboard, the inventory and the version pages: no 5xx, ever, and the
403/404 pages are the styled ones. Seeded once for the module."""

import logging

import pytest
from django.test import Client
from django.urls import path

from tests.robustness.crawl import crawl
from tests.robustness.seed import PEOPLE

ROLES = [*PEOPLE, "admin", None]  # None: anonymous


@pytest.mark.parametrize("username", ROLES, ids=[name or "anonymous" for name in ROLES])
def test_no_page_reachable_by_a_role_fails(db, seeded, username, caplog):
    caplog.set_level(logging.CRITICAL, logger="django.request")  # the report names them
    people, starts = seeded
    client = Client(raise_request_exception=False)
    if username:
        client.force_login(people[username])
    report = crawl(client, starts)
    assert not report.problems, "\n".join(report.problems)
    assert len(report.visited) > len(starts)


def _broken(request):
    raise RuntimeError("a page that fails")


urlpatterns = [path("broken/", _broken)]


def test_the_crawl_reports_a_server_error(db, settings, client):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    report = crawl(client, ["/broken/"])
    assert report.problems == ["500 at /broken/ (linked from (start)): a page that fails"]
