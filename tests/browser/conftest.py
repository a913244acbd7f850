import pytest

from tests.browser.pages import browser_page

# The approval flow's fixtures: a reviewed tier-1 version and the people around it.
from tests.explain.conftest import credit_frame, validation  # noqa: F401
from tests.explain.conftest import version as evidence_version  # noqa: F401
from tests.workflow.conftest import amy, lenient_fairness, reviewed  # noqa: F401


@pytest.fixture
def page():
    with browser_page() as page:
        yield page
