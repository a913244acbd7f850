"""Audit packs: every section with the stored numbers, attachments equal to the stored
evidence, byte-reproducible, gaps stated, and an offline verification that catches
any change."""

import io
import json

import pytest
from pypdf import PdfReader, PdfWriter

from governance.reports.services import build_pack
from registry.packfile import verify
from tests.explain.conftest import execute

_CACHE: dict = {}


@pytest.fixture
def pack(reviewed, signing_key, public_pem):
    """One sealed pack for the module (rendering takes seconds); its bytes and key are
    all the verification tests need."""
    if "pack" not in _CACHE:
        sealed = build_pack(reviewed)
        runs = {run.kind: run.summary for run in reviewed.evidence_runs.all()}
        _CACHE["pack"] = (sealed, public_pem, runs)
    return _CACHE["pack"]


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pack_has_every_section_and_the_stored_numbers(pack):
    sealed, _, runs = pack
    text = _text(sealed.pdf)
    for title in ("Model card", "Data and lineage", "Performance", "Explainability",
                  "Fairness", "Drift and data quality", "Validation", "Decisions",
                  "Audit trail excerpt", "Regulatory mapping", "Integrity and verification"):
        assert title in text, title
    assert sealed.content.pack_id in text
    assert f"{runs['performance']['metrics']['auc']:.4f}" in text
    psi = next(iter(runs["drift"]["features"].values()))["psi"]
    assert f"{psi:.4f}" in text
    assert sealed.content.version.artifact.sha256 in text.replace("\n", "")


def test_attachments_equal_the_stored_evidence(pack):
    sealed, _, runs = pack
    files = {name: data[0] for name, data in PdfReader(io.BytesIO(sealed.pdf)).attachments.items()}
    for kind in ("performance", "shap", "reason_codes", "fairness", "drift"):
        attached = json.loads(files[f"evidence-{kind}.json"])
        assert attached["summary"] == runs[kind] and attached["recipe"]
    excerpt = json.loads(files["audit-excerpt.json"])
    assert [e["sequence"] for e in excerpt["events"]] == [e.sequence for e in sealed.content.events]
    assert json.loads(files["manifest.json"])["pack_id"] == sealed.content.pack_id


def test_a_fresh_pack_verifies_offline(pack):
    sealed, public_pem, _ = pack
    result = verify(sealed.pdf, public_pem)
    assert result.ok, result.problems
    assert result.manifest["key_id"] == sealed.key_id


def test_one_changed_byte_anywhere_fails_verification(pack):
    sealed, public_pem, _ = pack
    for position in (100, len(sealed.pdf) // 2, len(sealed.pdf) - 10):
        tampered = bytearray(sealed.pdf)
        tampered[position] ^= 0x01
        assert not verify(bytes(tampered), public_pem).ok, position
    manifest_at = sealed.pdf.find(b'"pack_id":"') + 12
    tampered = bytearray(sealed.pdf)
    tampered[manifest_at] ^= 0x01
    assert not verify(bytes(tampered), public_pem).ok


def test_an_edited_attachment_is_named(pack):
    sealed, public_pem, _ = pack
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(sealed.pdf)))
    names = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    spec = names[names.index("evidence-performance.json") + 1].get_object()
    stream = spec["/EF"]["/F"].get_object()
    data = json.loads(stream.get_data())
    data["summary"]["metrics"]["auc"] = 0.99  # a better model, on paper
    stream.set_data(json.dumps(data).encode())
    buffer = io.BytesIO()
    writer.write(buffer)
    problems = verify(buffer.getvalue(), public_pem).problems
    assert "attachment evidence-performance.json differs from the signed one" in problems


def test_another_key_is_refused(pack):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from registry.packfile import public_pem

    sealed, _, _ = pack
    other = public_pem(Ed25519PrivateKey.generate().public_key())
    problems = verify(sealed.pdf, other).problems
    assert problems and "signed with key" in problems[0]


def test_two_renders_are_byte_identical(reviewed, signing_key):
    first, second = build_pack(reviewed), build_pack(reviewed)
    assert first.pdf == second.pdf and first.content.pack_id == second.content.pack_id


def test_a_version_without_evidence_renders_with_the_gaps_stated(evidence_version,
                                                                   signing_key):
    execute(evidence_version.evidence_runs.get(kind="scoring"))
    text = _text(build_pack(evidence_version).pdf)
    assert "Performance evidence: not provided" in text
    assert "Fairness evidence: not provided" in text
    assert "Signatures: not provided" in text
