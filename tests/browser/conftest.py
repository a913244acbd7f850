import pytest

from tests.browser.pages import browser_page


@pytest.fixture
def page():
    with browser_page() as page:
        yield page
