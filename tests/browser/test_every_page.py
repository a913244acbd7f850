"""Each page for each role at 1400 px and 400 px, over the robustness seed (a model in
every state): screenshots into test-artifacts/screenshots/pages/, and at 400 px the
dashboard and inventory never scroll sideways (tables scroll inside their cards)."""

import pytest

from tests.browser.pages import SHOTS, browser_page, log_in
from tests.robustness.seed import PEOPLE, seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PAGES = {"dashboard": "/dashboard/", "inventory": "/", "model": "/models/credit-pd-xgb/",
         "version": "/models/credit-pd-xgb/versions/2/", "halted": "/models/halted-model/",
         "vendor": "/models/card-fraud-vendor/", "policies": "/policies/", "audit": "/audit/"}
NARROW = ("dashboard", "inventory")


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_every_page_for_every_role_at_two_widths(live_server, training_frame, xgb_json,
                                                 xgb_ubj):
    frame = training_frame.copy()
    frame["age_years"] = frame["age"]
    seed(frame, (xgb_json, xgb_ubj))
    folder = SHOTS / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    sideways = []
    with browser_page(javascript=False) as page:
        for username in [*PEOPLE, "admin"]:
            page.context.clear_cookies()
            page.set_viewport_size({"width": 1400, "height": 900})
            log_in(page, live_server, username)
            for name, path in PAGES.items():
                for width in (1400, 400):
                    page.set_viewport_size({"width": width, "height": 900})
                    page.goto(f"{live_server.url}{path}")
                    page.screenshot(path=folder / f"{username}-{name}-{width}.png",
                                    full_page=True)
                    if width == 400 and name in NARROW and _overflow(page) > 0:
                        sideways.append(f"{username} {name}: {_overflow(page)} px")
    assert not sideways, sideways
