"""Recognise a model artifact from its bytes and read its lineage facts.

Nothing here unpickles: pickle, joblib and cloudpickle files are refused, and
the formats we accept are parsed by their own safe loaders (JSON/UBJSON,
LightGBM's text format: loaded completely in a limited child process, see
tree_probe.py; skops with only its default trusted types, ONNX
protobuf).
"""

import io
import json
import zipfile
from dataclasses import dataclass, field

from registry.errors import (
    ArtifactFormatMismatch,
    ExternalDataRefused,
    PickleRefused,
    UnreadableArtifact,
)
from registry.onnx_tensors import external_tensors
from registry.tree_probe import TreeArtifactRefused, TreeFacts, probe_tree_artifact
from registry.upload_bounds import UploadLimits, check_zip

FORMATS = ("xgboost_json", "xgboost_ubj", "lightgbm_text", "skops", "onnx")
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav", ".pt", ".pth", ".cloudpickle")
_COMPRESSED_MAGIC = {
    b"\x1f\x8b": "gzip", b"\x78\x01": "zlib", b"\x78\x9c": "zlib", b"\x78\xda": "zlib",
    b"BZh": "bz2", b"\xfd7zXZ": "xz", b"\x04\x22\x4d\x18": "lz4", b"ZF": "joblib zlib",
}
USE_INSTEAD = ("Save the model as XGBoost JSON/UBJ (Booster.save_model('model.json')), LightGBM "
               "text (Booster.save_model('model.txt')), skops (skops.io.dump) or ONNX.")


@dataclass(frozen=True)
class ArtifactInfo:
    format: str
    framework: str
    framework_version: str = ""
    feature_names: list[str] = field(default_factory=list)
    feature_types: list[str] = field(default_factory=list)


def _looks_like_pickle(head: bytes, filename: str) -> str | None:
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return f"it starts with a pickle protocol {head[1]} header"
    if filename.lower().endswith(PICKLE_SUFFIXES):
        return f"its name ends in {filename[filename.rfind('.'):]!r}, a pickle-based format"
    for magic, kind in _COMPRESSED_MAGIC.items():
        if head.startswith(magic):
            return f"it is {kind}-compressed, the way joblib stores pickles"
    return None


def _zip_names(data: bytes) -> list[str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except zipfile.BadZipFile:
        return None


def detect_format(data: bytes, filename: str = "") -> str:
    head = data[:16]
    stripped = data[:64].lstrip()
    if head.startswith(b"PK"):
        names = _zip_names(data) or []
        if "schema.json" in names:
            return "skops"
        if any(name.endswith((".pkl", "data.pkl")) for name in names):
            raise PickleRefused("The artifact is a zip archive holding a pickle (a torch or "
                                f"joblib save). {USE_INSTEAD}")
    if stripped.startswith(b"{") and stripped[1:2] in (b'"', b"\n", b" ", b"\r", b"\t", b"}"):
        return "xgboost_json"
    if head.startswith(b"{") and len(head) > 1 and head[1:2] in b"LlIiUCSZTF#$[{":
        return "xgboost_ubj"
    if data.startswith(b"tree\n") or data.startswith(b"tree\r\n"):
        return "lightgbm_text"
    reason = _looks_like_pickle(head, filename)
    if reason:
        raise PickleRefused(f"The artifact was refused because {reason}: loading a pickle runs "
                            f"arbitrary code. {USE_INSTEAD}")
    if _parse_onnx(data, strict=False) is not None:
        return "onnx"
    raise UnreadableArtifact(f"The artifact is not a recognised model format. {USE_INSTEAD}")


def inspect_artifact(data: bytes, filename: str = "", declared: str | None = None) -> ArtifactInfo:
    if declared and declared not in FORMATS:
        raise UnreadableArtifact(f"Unknown artifact_format {declared!r}; use one of "
                                 f"{', '.join(FORMATS)}.")
    detected = detect_format(data, filename)
    if declared and declared != detected:
        raise ArtifactFormatMismatch(
            f"artifact_format is declared as {declared!r} but the file's content is "
            f"{detected!r}.", declared=declared, detected=detected)
    return _READERS[detected](data)


def _tree_facts(data: bytes, artifact_format: str) -> TreeFacts:
    """Load the whole model in a limited child process (never in the web process)."""
    from django.conf import settings

    try:
        return probe_tree_artifact(data, artifact_format,
                                   memory_bytes=settings.ASSAY_ARTIFACT_CHECK_MEMORY_BYTES,
                                   seconds=settings.ASSAY_ARTIFACT_CHECK_SECONDS)
    except TreeArtifactRefused as error:
        raise UnreadableArtifact(str(error)) from None


def _read_xgboost(artifact_format: str):
    def read(data: bytes) -> ArtifactInfo:
        facts = _tree_facts(data, artifact_format)
        return ArtifactInfo(artifact_format, "xgboost", facts.framework_version,
                            facts.feature_names, facts.feature_types)
    return read


def _read_lightgbm_text(data: bytes) -> ArtifactInfo:
    header: dict[str, str] = {}
    for raw_line in data[:1_000_000].decode("utf-8", errors="replace").splitlines():
        if raw_line.startswith("Tree="):
            break
        key, sep, value = raw_line.partition("=")
        if sep:
            header[key.strip()] = value.strip()
    if "feature_names" not in header or "version" not in header:
        raise UnreadableArtifact("Not a valid LightGBM text model: the header has no "
                                 "feature_names or version line.")
    names = _tree_facts(data, "lightgbm_text").feature_names
    infos = header.get("feature_infos", "").split(" ")
    types = ["categorical" if ":" not in info and info not in ("", "none") else "float"
             for info in infos] if len(infos) == len(names) else []
    return ArtifactInfo("lightgbm_text", "lightgbm", "", names, types)


# scikit-learn's internal types that skops does not trust by default but that a reviewed
# scikit-learn model needs (histogram gradient boosting's binner and tree predictor, the
# losses and links of gradient boosting, a numpy dtype kept by KBinsDiscretizer). Each is
# a plain data holder rebuilt from its state; none resolves paths or runs stored code.
# Anything else a skops file asks for is refused with its type named.
SKOPS_TRUSTED_TYPES = frozenset({
    "numpy.dtype",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.HalfLogitLink",
    "sklearn._loss.link.LogLink",
    "sklearn._loss.link.MultinomialLogit",
    "sklearn._loss.loss.AbsoluteError",
    "sklearn._loss.loss.ExponentialLoss",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.loss.HalfMultinomialLoss",
    "sklearn._loss.loss.HalfPoissonLoss",
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn._loss.loss.HuberLoss",
    "sklearn._loss.loss.PinballLoss",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
})


def skops_trusted_types(data: bytes) -> list[str]:
    """The types to trust when loading ``data``: skops's defaults plus those of the reviewed
    list it needs. Anything else is refused, naming the types."""
    import skops.io

    try:
        untrusted = skops.io.get_untrusted_types(data=data)
    except Exception as error:  # skops raises many kinds on a damaged archive
        raise UnreadableArtifact(f"Not a valid skops file: {error}") from None
    refused = sorted(set(untrusted) - SKOPS_TRUSTED_TYPES)
    if refused:
        raise UnreadableArtifact(
            "The skops file needs types that are not on Assay's reviewed list of "
            f"scikit-learn types: {', '.join(refused)}. Register the model in a format without "
            "custom code, or with only scikit-learn's own estimators and transformers.",
            untrusted_types=refused)
    return sorted(untrusted)


def _read_skops(data: bytes) -> ArtifactInfo:
    import skops.io

    check_zip(data, UploadLimits.from_settings())  # before skops inflates any member
    trusted = skops_trusted_types(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
    estimator = skops.io.loads(data, trusted=trusted or None)
    names = [str(name) for name in getattr(estimator, "feature_names_in_", [])]
    sklearn_version = schema.get("content", {}).get("_sklearn_version", {}).get("content", "")
    return ArtifactInfo("skops", "scikit-learn", str(sklearn_version).strip('"'), names,
                        ["float"] * len(names))


def refuse_external_data(model) -> None:
    """Refuse a model with any tensor stored outside the file, before the checker (which
    resolves the paths: an existence oracle) or onnxruntime (which reads them) sees it."""
    external = external_tensors(model)
    if external:
        shown = "; ".join(external[:5]) + (f" and {len(external) - 5} more"
                                           if len(external) > 5 else "")
        raise ExternalDataRefused(
            f"The ONNX model stores {len(external)} tensor(s) as external data ({shown}). "
            "Only self-contained models are accepted; external paths are never opened.",
            tensors=external[:50])


def _parse_onnx(data: bytes, strict: bool = True):
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as error:
        if strict:
            raise UnreadableArtifact(f"Not a valid ONNX model: {error}") from None
        return None
    if model.graph.node or model.graph.initializer:
        refuse_external_data(model)
    try:
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, ValueError, RuntimeError) as error:
        if strict:
            raise UnreadableArtifact(f"Not a valid ONNX model: {error}") from None
        return None
    return model if model.graph.node else None


def _read_onnx(data: bytes) -> ArtifactInfo:
    import onnx

    model = _parse_onnx(data)
    names, types = [], []
    for graph_input in model.graph.input:
        tensor = graph_input.type.tensor_type
        names.append(graph_input.name)
        types.append(onnx.TensorProto.DataType.Name(tensor.elem_type).lower())
    producer = f"{model.producer_name} {model.producer_version}".strip()
    return ArtifactInfo("onnx", "onnx", producer or str(model.ir_version), names, types)


_READERS = {
    "xgboost_json": _read_xgboost("xgboost_json"),
    "xgboost_ubj": _read_xgboost("xgboost_ubj"),
    "lightgbm_text": _read_lightgbm_text,
    "skops": _read_skops,
    "onnx": _read_onnx,
}
