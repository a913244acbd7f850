"""Library versions recorded with every evidence run (a number is only reproducible
with the code that made it)."""

import functools
import platform
from importlib import metadata

PACKAGES = ("assay", "numpy", "pandas", "scipy", "shap", "xgboost-cpu", "xgboost", "lightgbm",
            "scikit-learn", "skops", "onnxruntime", "pyarrow", "matplotlib")


@functools.cache
def library_versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found
