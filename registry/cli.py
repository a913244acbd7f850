"""``assay``: the registry's REST API for CI scripts.

Reads ASSAY_URL and ASSAY_TOKEN from the environment. Every failure exits
non-zero with one line saying why (the server's problem detail when there is one).
"""

import argparse
import hashlib
import json
import os
import sys
import uuid
from pathlib import Path

import httpx

EXIT_USAGE, EXIT_FAILED = 2, 1


class CliError(Exception):
    pass


class GateClosed(Exception):
    """The answer was printed; only the exit status is left to give."""


def _client(args) -> httpx.Client:
    url = args.url or os.environ.get("ASSAY_URL")
    token = args.token or os.environ.get("ASSAY_TOKEN")
    if not url:
        raise CliError("ASSAY_URL is not set (e.g. export ASSAY_URL=http://127.0.0.1:8000)")
    if not token:
        raise CliError("ASSAY_TOKEN is not set (create one with manage.py create_api_token)")
    return httpx.Client(base_url=url.rstrip("/"), timeout=args.timeout,
                        headers={"Authorization": f"Bearer {token}",
                                 "User-Agent": "assay-cli/1"})


def _check(response: httpx.Response) -> dict:
    if response.status_code < 400:
        return response.json()
    try:
        problem = response.json()
        reason = problem.get("detail") or problem.get("title")
    except ValueError:
        reason = response.text[:200].strip() or response.reason_phrase
    raise CliError(f"HTTP {response.status_code}: {reason}")


def _json_argument(text: str | None, what: str):
    if text is None:
        return None
    if text.startswith("@"):
        text = Path(text[1:]).read_text()
    try:
        return json.loads(text)
    except ValueError as error:
        raise CliError(f"{what} is not valid JSON: {error}") from None


def cmd_register(args, client) -> None:
    path = Path(args.artifact)
    data = path.read_bytes()
    metadata = _json_argument(args.metadata, "--metadata") or {}
    if not isinstance(metadata, dict):
        raise CliError("--metadata must be a JSON object")
    for key in ("artifact_format", "framework_version", "git_commit", "ci_run_url",
                "description"):
        value = getattr(args, key)
        if value:
            metadata[key] = value
    for key in ("training_dataset", "validation_dataset"):
        if getattr(args, key) is not None:
            metadata[key] = getattr(args, key)
    if args.metric:
        metadata.setdefault("metrics", {}).update(_pairs(args.metric, float))
    if args.param:
        metadata.setdefault("params", {}).update(_pairs(args.param, str))
    if args.tag:
        metadata["tags"] = args.tag
    metadata["artifact_sha256"] = hashlib.sha256(data).hexdigest()
    key = args.idempotency_key or os.environ.get("ASSAY_IDEMPOTENCY_KEY") or str(uuid.uuid4())
    response = client.post(f"/api/v1/models/{args.model}/versions/",
                           files={"artifact": (path.name, data, "application/octet-stream")},
                           data={"metadata": json.dumps(metadata)},
                           headers={"Idempotency-Key": key})
    version = _check(response)
    verb = "registered" if response.status_code == 201 else "already registered as"
    _emit(args, version, f"{verb} {version['model']} v{version['number']} "
                         f"(sha256 {version['artifact']['sha256'][:12]})")


def _pairs(items: list[str], cast) -> dict:
    result = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"expected NAME=VALUE, got {item!r}")
        try:
            result[name] = cast(value)
        except ValueError:
            raise CliError(f"{name}: {value!r} is not a number") from None
    return result


def cmd_datasets_upload(args, client) -> None:
    path = Path(args.file)
    roles = _json_argument(args.roles, "--roles") or {}
    if args.target:
        roles["target"] = args.target
    if args.protected:
        roles["protected"] = args.protected
    if args.id_column:
        roles["id"] = args.id_column
    response = client.post("/api/v1/datasets/", files={"file": (path.name, path.read_bytes())},
                           data={"name": args.name or path.stem, "roles": json.dumps(roles),
                                 "description": args.description})
    dataset = _check(response)
    _emit(args, dataset, f"dataset {dataset['id']} {dataset['name']}: {dataset['row_count']} "
                         f"rows, sha256 {dataset['sha256'][:12]}")


def cmd_models_list(args, client) -> None:
    params = {key: value for key, value in (("q", args.search), ("tier", args.tier),
                                            ("status", args.status)) if value}
    page = _check(client.get("/api/v1/models/", params=params))
    if args.json:
        print(json.dumps(page["results"], indent=2))
        return
    for model in page["results"]:
        print(f"{model['slug']:<30} tier {model['risk_tier']}  {model['status']:<15} "
              f"{model['name']}")


def cmd_models_create(args, client) -> None:
    document = _json_argument(args.definition, "definition")
    model = _check(client.post("/api/v1/models/", json=document))
    _emit(args, model, f"created {model['slug']}")


def cmd_evidence_run(args, client) -> None:
    version = _check(client.get(f"/api/v1/models/{args.model}/versions/{args.version}/"))
    recipe = _json_argument(args.recipe, "--recipe") or {}
    if not isinstance(recipe, dict):
        raise CliError("--recipe must be a JSON object")
    runs = []
    for kind in args.kind:
        body = {"kind": kind, "recipe": recipe}
        for key in ("dataset", "reference_dataset"):
            if getattr(args, key) is not None:
                body[key] = getattr(args, key)
        response = client.post(f"/api/v1/versions/{version['id']}/evidence-runs/", json=body)
        run = _check(response)
        verb = "started" if response.status_code == 202 else "reusing identical"
        if not args.json:
            print(f"{verb} run {run['id']}: {kind} of {args.model} v{args.version} on "
                  f"{run['dataset']['name']} ({run['status']})")
        runs.append(run)
    if args.wait:
        runs = [_wait_for_run(args, client, run) for run in runs]
    if args.json:
        print(json.dumps(runs, indent=2))
    failed = [run for run in runs if run["status"] in ("failed", "cancelled")]
    if failed:
        raise CliError("; ".join(f"run {run['id']} ({run['kind']}) {run['status']}: "
                                 f"{run['error'] or 'cancelled'}" for run in failed))


def _wait_for_run(args, client, run: dict) -> dict:
    import time

    deadline = time.monotonic() + args.wait_timeout
    last = None
    while run["status"] in ("queued", "running"):
        if time.monotonic() > deadline:
            raise CliError(f"run {run['id']} still {run['status']} after {args.wait_timeout:g} s "
                           f"(see {run['url']})")
        line = f"run {run['id']} {run['kind']}: {run['status']} {run['progress']}% {run['stage']}"
        if line != last and not args.json:
            print(line, file=sys.stderr)
            last = line
        time.sleep(args.poll_seconds)
        run = _check(client.get(run["url"]))
    if not args.json:
        print(f"run {run['id']} {run['kind']}: {run['status']}"
              + (f" - {run['error']}" if run["error"] else ""))
    return run


def cmd_evidence_status(args, client) -> None:
    run = _check(client.get(f"/api/v1/evidence-runs/{args.run_id}/"))
    _emit(args, run, f"run {run['id']} {run['kind']} of {run['model']} v{run['version_number']}:"
                     f" {run['status']} {run['progress']}%" + (f" - {run['error']}"
                                                              if run["error"] else ""))


def cmd_gate(args, client) -> None:
    """Exit 0 only when deployable; otherwise print each reason and exit 1."""
    path = f"/api/v1/models/{args.model}" + (f"/versions/{args.version}" if args.version
                                             else "") + "/deployable/"
    response = client.get(path, params={"as_of": args.as_of} if args.as_of else None)
    # 409 is an answer (not deployable, with reasons), not a failure of the request.
    answer = response.json() if response.status_code == 409 else _check(response)
    version = answer.get("version") or {}
    where = f"{args.model} v{version['number']}" if version else args.model
    if answer.get("deployable"):
        conditions = (version.get("approval") or {}).get("conditions", [])
        overdue = " (revalidation overdue)" if answer["revalidation_overdue"] else ""
        _emit(args, answer, f"deployable: {where}{overdue}" + "".join(
            f"\n  {c['kind']}: {c['text']}" for c in conditions))
        return
    _emit(args, answer, f"NOT deployable: {where}" + "".join(
        f"\n  {r['code']}: {r['message']}" for r in answer["reasons"]))
    raise GateClosed


def cmd_transition(args, client) -> None:
    version = _check(client.post(
        f"/api/v1/models/{args.model}/versions/{args.version}/transitions/",
        json={"action": args.action, "reason": args.reason}))
    _emit(args, version, f"{args.model} v{args.version} is now {version['status']}")


def _emit(args, document: dict, line: str) -> None:
    print(json.dumps(document, indent=2) if args.json else line)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="server URL (default: $ASSAY_URL)")
    parser.add_argument("--token", help="API token (default: $ASSAY_TOKEN)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per request")
    parser.add_argument("--json", action="store_true", help="print the server's JSON")
    commands = parser.add_subparsers(dest="command", required=True)

    register = commands.add_parser("register", help="register a model version")
    register.add_argument("--model", required=True, help="model slug")
    register.add_argument("--artifact", required=True, help="model file (never a pickle)")
    register.add_argument("--artifact-format", choices=["xgboost_json", "xgboost_ubj",
                                                        "lightgbm_text", "skops", "onnx"])
    register.add_argument("--framework-version", default="")
    register.add_argument("--training-dataset", type=int, help="dataset id")
    register.add_argument("--validation-dataset", type=int, help="dataset id")
    register.add_argument("--git-commit", default=os.environ.get("CI_COMMIT_SHA", ""))
    register.add_argument("--ci-run-url", default=os.environ.get("CI_JOB_URL", ""))
    register.add_argument("--metric", action="append", help="NAME=NUMBER, repeatable")
    register.add_argument("--param", action="append", help="NAME=VALUE, repeatable")
    register.add_argument("--tag", action="append", help="repeatable")
    register.add_argument("--description", default="")
    register.add_argument("--metadata", help="JSON object or @file with more metadata")
    register.add_argument("--idempotency-key",
                          help="makes retries safe (default: $ASSAY_IDEMPOTENCY_KEY or random)")
    register.set_defaults(handler=cmd_register)

    datasets = commands.add_parser("datasets", help="datasets").add_subparsers(
        dest="datasets_command", required=True)
    upload = datasets.add_parser("upload", help="upload a CSV or Parquet dataset")
    upload.add_argument("file")
    upload.add_argument("--name")
    upload.add_argument("--description", default="")
    upload.add_argument("--target", help="target column")
    upload.add_argument("--protected", action="append", help="protected attribute, repeatable")
    upload.add_argument("--id-column", help="row id column")
    upload.add_argument("--roles", help="roles as JSON or @file (overridden by the flags)")
    upload.set_defaults(handler=cmd_datasets_upload)

    models = commands.add_parser("models", help="the inventory").add_subparsers(
        dest="models_command", required=True)
    listing = models.add_parser("list", help="list inventory entries")
    listing.add_argument("--search")
    listing.add_argument("--tier", type=int, choices=[1, 2, 3])
    listing.add_argument("--status")
    listing.set_defaults(handler=cmd_models_list)
    create = models.add_parser("create", help="create an inventory entry")
    create.add_argument("definition", help="JSON object or @file")
    create.set_defaults(handler=cmd_models_create)

    evidence = commands.add_parser("evidence", help="evidence runs").add_subparsers(
        dest="evidence_command", required=True)
    run = evidence.add_parser("run", help="start evidence runs for a version",
                              description="Start one run per --kind; an identical earlier "
                              "run (same inputs and recipe) is reused. Exits 1 if a run "
                              "failed (with --wait).")
    run.add_argument("--model", required=True, help="model slug")
    run.add_argument("--version", required=True, type=int, help="version number")
    run.add_argument("--kind", required=True, action="append",
                     choices=["scoring", "performance", "shap", "reason_codes", "fairness",
                              "drift"], help="repeatable")
    run.add_argument("--dataset", type=int, help="dataset id (default: the version's "
                     "validation dataset)")
    run.add_argument("--reference-dataset", type=int, help="drift baseline / SHAP background")
    run.add_argument("--recipe", help="recipe overrides as JSON or @file")
    run.add_argument("--wait", action="store_true", help="poll until every run finished")
    run.add_argument("--poll-seconds", type=float, default=2.0)
    run.add_argument("--wait-timeout", type=float, default=3600.0, help="seconds")
    run.set_defaults(handler=cmd_evidence_run)
    status = evidence.add_parser("status", help="show one evidence run")
    status.add_argument("run_id", type=int)
    status.set_defaults(handler=cmd_evidence_status)

    gate = commands.add_parser(
        "gate", help="may this be deployed? exit 0 yes, 1 no",
        description="Asks the deploy gate. Exits 0 only when the model (or the given "
        "version) is approved, unexpired, not halted and its approval still covers the "
        "artifact and evidence; otherwise prints the reasons and exits 1.")
    gate.add_argument("--model", required=True, help="model slug")
    gate.add_argument("--version", type=int, help="version number (default: the version "
                      "to deploy: the deployed one, else the newest approved)")
    gate.add_argument("--as-of", help="ISO 8601 date or date-time: the answer as it was then")
    gate.set_defaults(handler=cmd_gate)
    for action, text in (("submit", "submit a version for validation"),
                         ("deploy", "mark an approved version deployed"),
                         ("halt", "emergency stop of a live version (needs --reason)"),
                         ("rollback", "roll back: the previous approved version takes over"),
                         ("retire", "retire a version")):
        command = commands.add_parser(action, help=text, description=text + ". Needs a token "
                                      "with the 'operate' scope and the owner or risk-officer "
                                      "role.")
        command.add_argument("--model", required=True, help="model slug")
        command.add_argument("--version", required=True, type=int, help="version number")
        command.add_argument("--reason", default="", help="why (recorded in the audit trail)")
        command.set_defaults(handler=cmd_transition, action=action)
    verify_pack = commands.add_parser(
        "verify-pack", help="verify an audit pack offline (no server needed)",
        description="Checks the pack's Ed25519 signature, the sha256 of the document and "
        "of every embedded file against its signed manifest. Exits 0 when everything "
        "matches; otherwise names each difference and exits 1. Without --key the key "
        "printed in the pack is used, which proves integrity only: compare its id with "
        "the bank's published key (GET /api/v1/signing-keys/).")
    verify_pack.add_argument("pack", help="the audit pack PDF")
    verify_pack.add_argument("--key", help="the bank's public key (PEM file)")
    verify_pack.set_defaults(handler=cmd_verify_pack, offline=True)
    return parser


def cmd_verify_pack(args, client=None) -> None:
    from registry.packfile import describe, verify

    data = Path(args.pack).read_bytes()
    key = Path(args.key).read_bytes() if args.key else None
    result = verify(data, key)
    if args.json:
        print(json.dumps({"ok": result.ok, "problems": result.problems,
                          "pack_id": result.manifest.get("pack_id"),
                          "key_id": result.manifest.get("key_id"),
                          "checked_with": result.key_source}, indent=2))
    elif result.ok:
        manifest = result.manifest
        print(f"OK: {describe(manifest)} is intact; signature by {manifest['key_id']} checked "
              f"with {result.key_source}; {len(manifest.get('attachments', {}))} embedded "
              "files match.")
    for problem in result.problems:
        print(f"assay: {args.pack}: {problem}", file=sys.stderr)
    if not result.ok:
        raise GateClosed


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "offline", False):
            args.handler(args)
            return 0
        with _client(args) as client:
            args.handler(args, client)
    except CliError as error:
        print(f"assay: {error}", file=sys.stderr)
        return EXIT_FAILED
    except GateClosed:
        return EXIT_FAILED
    except httpx.HTTPError as error:
        print(f"assay: cannot reach the server: {error}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        print(f"assay: {error.strerror}: {error.filename}", file=sys.stderr)
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
