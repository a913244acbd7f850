"""Print a benchmark's table and append it to benchmarks/RESULTS.md."""

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def publish(text: str, record: bool = True) -> None:
    print("\n" + text)
    if record:
        with RESULTS.open("a") as handle:
            handle.write("\n" + text)
