"""Read an uploaded CSV or Parquet dataset and check its declared column roles."""

import io
from dataclasses import dataclass

import pandas as pd

from registry.errors import DatasetSchemaMismatch, UnreadableDataset
from registry.upload_bounds import UploadLimits, check_csv, check_parquet

ROLES = ("target", "protected", "feature", "id", "ignored")
_PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True)
class DatasetProfile:
    format: str
    row_count: int
    columns: list[dict]


def detect_dataset_format(data: bytes, filename: str) -> str:
    if data[:4] == _PARQUET_MAGIC and data[-4:] == _PARQUET_MAGIC:
        return "parquet"
    if filename.lower().endswith((".parquet", ".pq")):
        raise UnreadableDataset(f"{filename} is named as Parquet but is not a Parquet file.")
    if b"\x00" in data[:8192]:
        raise UnreadableDataset("The dataset is binary but not Parquet; upload CSV or Parquet.")
    return "csv"


def read_frame(data: bytes, fmt: str) -> pd.DataFrame:
    try:
        if fmt == "parquet":
            return pd.read_parquet(io.BytesIO(data))
        return pd.read_csv(io.BytesIO(data), skipinitialspace=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, OSError) as error:
        raise UnreadableDataset(f"The {fmt} file could not be parsed: {error}") from None


def assign_roles(columns: list[str], roles: dict) -> dict[str, str]:
    """Map each column to one role. ``roles`` is {"target": name, "protected": [...],
    "id": name or [...], "features": [...] (default: every other column)}."""
    if not isinstance(roles, dict):
        raise DatasetSchemaMismatch("roles must be a JSON object such as "
                                    '{"target": "y", "protected": ["sex"]}.')
    unknown_keys = set(roles) - {"target", "protected", "id", "features", "categories"}
    if unknown_keys:
        raise DatasetSchemaMismatch(f"Unknown role keys: {', '.join(sorted(unknown_keys))}; "
                                    "use target, protected, id, features, categories.")

    def as_list(key):
        value = roles.get(key) or []
        return [value] if isinstance(value, str) else list(value)

    declared = {"target": as_list("target"), "protected": as_list("protected"),
                "id": as_list("id"), "feature": as_list("features")}
    if len(declared["target"]) > 1:
        raise DatasetSchemaMismatch("Only one target column may be declared.")
    present = set(columns)
    missing = sorted({name for names in declared.values() for name in names} - present)
    if missing:
        raise DatasetSchemaMismatch(
            f"Declared column(s) not in the file: {', '.join(missing)}. "
            f"The file has: {', '.join(columns)}.", missing_columns=missing)
    assignment: dict[str, str] = {}
    for role in ("target", "id", "protected", "feature"):
        for name in declared[role]:
            if name in assignment and not (role == "feature" and assignment[name] == "protected"):
                raise DatasetSchemaMismatch(
                    f"Column {name!r} is declared as both {assignment[name]} and {role}.")
            assignment.setdefault(name, role)
    default_role = "ignored" if declared["feature"] else "feature"
    return {name: assignment.get(name, default_role) for name in columns}


def profile_dataset(data: bytes, filename: str, roles: dict,
                    limits: UploadLimits | None = None) -> DatasetProfile:
    """Checks the shape from metadata (or by streaming a CSV) before pandas decodes it."""
    fmt = detect_dataset_format(data, filename)
    limits = limits or UploadLimits.from_settings()
    if fmt == "parquet":
        check_parquet(data, limits)
    else:
        check_csv(data, limits)
    frame = read_frame(data, fmt)
    if frame.columns.duplicated().any():
        duplicated = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise DatasetSchemaMismatch(f"Duplicate column names: {', '.join(duplicated)}.")
    names = [str(name) for name in frame.columns]
    assignment = assign_roles(names, roles)
    categories = category_labels(names, roles.get("categories"))
    columns = [{"name": name, "dtype": str(frame[name].dtype), "role": assignment[name],
                "missing": int(frame[name].isna().sum())}
               | ({"categories": categories[name]} if name in categories else {})
               for name in names]
    return DatasetProfile(fmt, len(frame), columns)


def category_labels(columns: list[str], declared) -> dict[str, list[str]]:
    """``roles.categories``: {column: [label of code 0, label of code 1, ...]} for
    categorical columns stored as integer codes, so charts and packs can show the labels."""
    if declared is None:
        return {}
    if not isinstance(declared, dict) or not all(
            isinstance(labels, list) and labels and all(isinstance(x, str) for x in labels)
            for labels in declared.values()):
        raise DatasetSchemaMismatch("roles.categories maps a column to the list of its "
                                    'category labels in code order, e.g. {"housing": '
                                    '["free", "own", "rent"]}.')
    missing = sorted(set(declared) - set(columns))
    if missing:
        raise DatasetSchemaMismatch(f"roles.categories names column(s) not in the file: "
                                    f"{', '.join(missing)}.", missing_columns=missing)
    return {name: list(labels) for name, labels in declared.items()}
