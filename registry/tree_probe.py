"""Load a tree-ensemble artifact completely, in a child process with memory and time limits.

LightGBM and XGBoost parse models in native code: a malformed file can abort or crash
the process that loads it (LightGBM throws from an OpenMP region: SIGABRT), or make it
allocate without bound. Registration must not do that in the web process, and a model
that the worker cannot load must never be accepted. So the bytes are handed to a child
process forked from a clean fork server (started once, with the frameworks imported,
before any thread or OpenMP pool exists), which sets its own address-space and CPU
limits, loads the booster, scores two rows (zeros and all-missing) through every tree,
and sends back what the registry records. The parent waits at most ``seconds``.

No Django import: the child must stay small, and the worker may reuse it.
"""

import multiprocessing
import resource
import signal
from dataclasses import dataclass, field

_PRELOAD = ["registry.tree_probe", "numpy", "xgboost", "lightgbm"]
_context = None


class TreeArtifactRefused(ValueError):
    """The artifact does not load as a usable tree ensemble; the message says why."""


@dataclass(frozen=True)
class TreeFacts:
    trees: int
    feature_names: list[str] = field(default_factory=list)
    feature_types: list[str] = field(default_factory=list)
    framework_version: str = ""


def _mp_context():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(_PRELOAD)
    return _context


def _address_space_in_use() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _limit_self(memory_bytes: int, seconds: int) -> None:
    # The fork server's own mappings (the interpreter, numpy, the frameworks) are
    # already in the address space; the limit is what loading the model may add.
    limit = _address_space_in_use() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds + 1, seconds + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _xgboost_facts(data: bytes) -> TreeFacts:
    import json

    import numpy as np
    import xgboost

    booster = xgboost.Booster(params={"nthread": 1}, model_file=bytearray(data))
    config = json.loads(booster.save_config())
    name = config["learner"]["gradient_booster"]["name"]
    trees = booster.num_boosted_rounds() if name in ("gbtree", "dart") else 0
    if trees:
        features = booster.num_features()
        rows = np.vstack([np.zeros(features), np.full(features, np.nan)])
        booster.inplace_predict(rows, predict_type="margin")
    version = ".".join(str(part) for part in config.get("version", []))
    return TreeFacts(trees, list(booster.feature_names or []),
                     list(booster.feature_types or []), version)


def _lightgbm_facts(data: bytes) -> TreeFacts:
    import lightgbm
    import numpy as np

    booster = lightgbm.Booster(model_str=data.decode("utf-8"), params={"num_threads": 1})
    trees = booster.num_trees()
    if trees:
        features = booster.num_feature()
        rows = np.vstack([np.zeros(features), np.full(features, np.nan)])
        booster.predict(rows, raw_score=True, num_threads=1)
    return TreeFacts(trees, list(booster.feature_name()))


_LOADERS = {"xgboost_json": _xgboost_facts, "xgboost_ubj": _xgboost_facts,
            "lightgbm_text": _lightgbm_facts}


def _child(connection, data: bytes, artifact_format: str, memory_bytes: int,
           seconds: int) -> None:
    try:
        _limit_self(memory_bytes, seconds)
        facts = _LOADERS[artifact_format](data)
        connection.send(("ok", facts))
    except MemoryError:
        connection.send(("memory", ""))
    except BaseException as error:  # the frameworks raise their own types; report any
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        connection.send(("error", lines[0][:500] if lines else type(error).__name__))
    finally:
        connection.close()


def _signal_name(exitcode: int) -> str:
    try:
        return signal.Signals(-exitcode).name
    except ValueError:
        return f"signal {-exitcode}"


def probe_tree_artifact(data: bytes, artifact_format: str, *, memory_bytes: int,
                        seconds: float) -> TreeFacts:
    """Load the artifact in a limited child process; raise TreeArtifactRefused with the
    reason when it does not load, crashes the loader, exceeds a limit, or has no trees."""
    what = {"lightgbm_text": "LightGBM", "xgboost_json": "XGBoost",
            "xgboost_ubj": "XGBoost"}[artifact_format]
    context = _mp_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, daemon=True, name="assay-tree-probe",
                            args=(sender, data, artifact_format, memory_bytes,
                                  max(1, int(seconds))))
    child.start()
    sender.close()
    answer = None
    try:
        timed_out = not receiver.poll(seconds)
        if not timed_out:
            answer = receiver.recv()
    except EOFError:  # the child died before answering
        pass
    finally:
        receiver.close()
    if timed_out:
        child.kill()
    child.join(5)
    if answer is None:
        if timed_out:
            raise TreeArtifactRefused(f"Loading the {what} model took longer than {seconds} s.")
        if child.exitcode == -signal.SIGXCPU:
            raise TreeArtifactRefused(f"Loading the {what} model used more than {seconds} s "
                                      "of CPU.")
        if child.exitcode is not None and child.exitcode < 0:
            raise TreeArtifactRefused(f"The {what} model crashed its loader "
                                      f"({_signal_name(child.exitcode)}); the file is "
                                      "malformed or truncated.")
        raise TreeArtifactRefused(f"The {what} model could not be loaded (loader exit code "
                                  f"{child.exitcode}).")
    status, payload = answer
    if status == "memory":
        raise TreeArtifactRefused(f"Loading the {what} model needs more than "
                                  f"{memory_bytes} bytes of memory.")
    if status == "error":
        raise TreeArtifactRefused(f"The {what} model could not be loaded: {payload}")
    if payload.trees == 0:
        raise TreeArtifactRefused(f"The {what} model has no trees.")
    return payload
