"""Small files that decode into huge ones, for tests and benchmarks/upload_bombs.py.
Each is built in bounded memory and written to ``path``."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def csv_with_columns(path: Path, columns: int = 200_000) -> Path:
    header = ",".join(f"c{i}" for i in range(columns))
    path.write_text(header + "\n" + ",".join("1" for _ in range(columns)) + "\n")
    return path


def parquet_of_constant_rows(path: Path, rows: int = 200_000_000) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    block = 10_000_000
    table = pa.table({"x": pa.array([7] * 1, pa.int64()).take(pa.array([0] * block))})
    with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:
        for start in range(0, rows, block):
            writer.write_table(table.slice(0, min(block, rows - start)),
                               row_group_size=block)
    return path


def skops_expanding_to(path: Path, expanded: int = 1 << 30) -> Path:
    """A zip named like a skops file whose schema.json inflates to ``expanded`` bytes."""
    chunk = b" " * (16 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=9) as archive, \
            archive.open("schema.json", "w", force_zip64=True) as member:
        member.write(b'{"__class__": "dict", "content": {}, "padding": "')
        left = expanded - 64
        while left > 0:
            member.write(chunk[:min(left, len(chunk))])
            left -= len(chunk)
        member.write(b'"}')
    return path


_MEASURE = """
import json, resource, sys, time
import django
django.setup()
from registry.errors import RegistryError
from registry.artifacts import inspect_artifact
from registry.tabular import profile_dataset
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    if sys.argv[2] == "artifact":
        inspect_artifact(data, sys.argv[1])
    else:
        profile_dataset(data, sys.argv[1], {})
    outcome = {"refused": None}
except RegistryError as error:
    outcome = {"refused": error.problem_type, "status": error.status, "detail": error.detail}
seconds = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(outcome | {"peak_before_kib": before, "peak_after_kib": after,
                            "seconds": seconds, "file_bytes": len(data)}))
"""


def measure_inspection(path: Path, what: str, env: dict) -> dict:
    """Inspect the file in a fresh process; its peak RSS before and after (KiB)."""
    result = subprocess.run([sys.executable, "-c", _MEASURE, str(path), what], cwd=ROOT,
                            env=env | {"DJANGO_SETTINGS_MODULE": "governance.settings"},
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])

