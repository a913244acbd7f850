"""A reviewed, approved tier-1 version with its evidence, a signing key, and packs."""

import pytest

from governance.reports.signing_keys import create_signing_key
from tests.explain.conftest import credit_frame, validation  # noqa: F401 fixtures
from tests.explain.conftest import version as evidence_version  # noqa: F401 fixture
from tests.workflow.conftest import (  # noqa: F401 fixtures
    amy,
    lenient_fairness,
    reviewed,
)


@pytest.fixture
def signing_key(db, settings, tmp_path):
    settings.ASSAY_SIGNING_KEY_DIR = tmp_path / "signing-keys"
    return create_signing_key(actor=None, reason="tests")


@pytest.fixture
def public_pem(signing_key) -> bytes:
    return signing_key.public_key_pem.encode()


@pytest.fixture
def approved(reviewed, victor, rita, amy, lenient_fairness):  # noqa: F811
    from tests.workflow.conftest import approve

    return approve(reviewed, victor, rita, amy)


def pdf_attachment_names(data: bytes) -> list[str]:
    import io

    from pypdf import PdfReader

    return sorted(PdfReader(io.BytesIO(data)).attachments)
