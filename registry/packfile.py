"""The audit pack file format: seal a rendered PDF with a signed manifest, and verify
one offline. No Django: ``assay verify-pack`` (the CLI ships with registry) and
``governance.reports`` (which seals) both use it, and a regulator needs only this
module, ``cryptography``, ``pypdf`` and the bank's public key.

How a pack is sealed. The PDF is rendered with an uncompressed embedded file
``manifest.json`` whose content is a fixed-size placeholder (``placeholder(size)``).
The manifest lists the sha256 of every other embedded file and of the whole
rendered file *with the placeholder in place* (``body_sha256``), and is signed with
Ed25519 over its canonical JSON without the ``signature`` field. The signed
manifest, padded with spaces to the placeholder's size, then replaces the
placeholder bytes: nothing else moves, so the file stays a valid PDF.

How a pack is verified: find the one manifest, check that its region holds exactly
its canonical JSON and padding, put the placeholder back and hash the file, check
the signature with the given public key (or, failing that, the one in the manifest),
and hash every embedded file. Any changed byte anywhere fails one of these checks,
and the problem names what differs.
"""

import base64
import hashlib
import io
import json
from dataclasses import dataclass, field

MANIFEST_NAME = "manifest.json"
FORMAT = "assay-audit-pack/1"
REGION_BYTES = 32_768
_PREFIX = b'{"_assay_pack":'  # "_" sorts before every other (lowercase) key


class PackFormatError(ValueError):
    """The pack cannot be sealed (no placeholder, manifest too large)."""


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def placeholder(size: int = REGION_BYTES) -> bytes:
    """The manifest file's content at rendering time; the seal overwrites it."""
    head = _PREFIX + b'"pending"}'
    return head + b" " * (size - len(head))


def key_id(public_key) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "ed25519-" + hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(pem: bytes | str):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key = load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return key


def seal(pdf: bytes, manifest: dict, private_key) -> tuple[bytes, dict]:
    """The PDF with its signed manifest in place of the placeholder; (pdf, manifest)."""
    size = REGION_BYTES
    start = pdf.find(placeholder(size))
    if start < 0 or pdf.find(placeholder(size), start + 1) >= 0:
        raise PackFormatError("the rendered PDF must hold exactly one manifest placeholder "
                              "(embedded uncompressed)")
    public_key = private_key.public_key()
    signed = {**manifest, "_assay_pack": FORMAT, "body_sha256": sha256_hex(pdf),
              "region_bytes": size, "key_id": key_id(public_key),
              "public_key": public_pem(public_key)}
    signed["signature"] = base64.b64encode(private_key.sign(canonical(signed))).decode()
    text = canonical(signed)
    if len(text) > size:
        raise PackFormatError(f"the manifest ({len(text)} bytes) exceeds its {size}-byte region")
    return pdf[:start] + text + b" " * (size - len(text)) + pdf[start + size:], signed


def describe(manifest: dict) -> str:
    if manifest.get("version") is None:
        return f"inventory report {manifest.get('pack_id')}"
    return f"audit pack {manifest.get('pack_id')} of {manifest.get('model')} " \
           f"v{manifest.get('version')}"


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    key_source: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def _find_manifest(pdf: bytes, result: Verification) -> tuple[int, dict] | None:
    start = pdf.find(_PREFIX)
    if start < 0:
        result.problems.append("no Assay manifest in the file (not a sealed audit pack, or "
                               "the manifest was removed)")
        return None
    if pdf.find(_PREFIX, start + 1) >= 0:
        result.problems.append("more than one manifest in the file")
        return None
    try:
        # The JSON is ASCII; what follows the region is binary (latin-1 decodes any byte).
        manifest, _ = json.JSONDecoder().raw_decode(pdf[start:start + REGION_BYTES * 4]
                                                    .decode("latin-1"))
    except ValueError as error:
        result.problems.append(f"the manifest is not valid JSON ({error})")
        return None
    if not isinstance(manifest, dict) or manifest.get("_assay_pack") != FORMAT:
        result.problems.append("the manifest is unsealed or of an unknown format")
        return None
    return start, manifest


def _check_signature(manifest: dict, public_key_pem, result: Verification) -> None:
    from cryptography.exceptions import InvalidSignature

    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    try:
        if public_key_pem is not None:
            key = load_public_key(public_key_pem)
            result.key_source = f"the given public key {key_id(key)}"
        else:
            key = load_public_key(manifest["public_key"])
            result.key_source = (f"the public key printed in the pack ({key_id(key)}); compare "
                                 "it with the bank's published key")
        if key_id(key) != manifest.get("key_id"):
            result.problems.append(f"signed with key {manifest.get('key_id')}, not with "
                                   f"{key_id(key)}")
            return
        key.verify(base64.b64decode(manifest["signature"], validate=True), canonical(unsigned))
    except (InvalidSignature, KeyError, ValueError, TypeError):
        result.problems.append("the manifest's signature is not valid for this key")


def _embedded_files(pdf: bytes, result: Verification) -> dict[str, bytes] | None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        files = {}
        for name, contents in reader.attachments.items():
            if len(contents) != 1:
                result.problems.append(f"attachment {name}: {len(contents)} files of that name")
            files[name] = contents[0]
        return files
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        result.problems.append(f"the PDF cannot be read ({error})")
        return None


def verify(pdf: bytes, public_key_pem: bytes | str | None = None) -> Verification:
    """Every check of a pack; ``problems`` names each difference found."""
    result = Verification()
    found = _find_manifest(pdf, result)
    if found is None:
        return result
    start, manifest = found
    result.manifest = manifest
    size = manifest.get("region_bytes")
    if not isinstance(size, int) or size <= 0:
        result.problems.append("the manifest has no region size")
        return result
    region = pdf[start:start + size]
    text = canonical(manifest)
    if region != text + b" " * (size - len(text)):
        result.problems.append("the manifest's bytes were altered (its region is not its "
                               "canonical JSON)")
    body = pdf[:start] + placeholder(size) + pdf[start + size:]
    if sha256_hex(body) != manifest.get("body_sha256"):
        result.problems.append("the document body differs from the signed one "
                               "(sha256 of the rendered file)")
    _check_signature(manifest, public_key_pem, result)
    files = _embedded_files(pdf, result)
    if files is not None:
        listed = manifest.get("attachments", {})
        for name, digest in sorted(listed.items()):
            if name not in files:
                result.problems.append(f"attachment {name} is missing")
            elif sha256_hex(files[name]) != digest:
                result.problems.append(f"attachment {name} differs from the signed one")
        for name in sorted(set(files) - set(listed) - {MANIFEST_NAME}):
            result.problems.append(f"attachment {name} is not in the manifest")
    return result
