"""Registry API benchmark: Assay (gunicorn, 2 workers, PostgreSQL) against an MLflow
tracking server (`mlflow server --workers 2`, SQLite), side by side in one run, with
the same httpx client, keep-alive and a new connection per request.

    make benchmark                     # or: .venv/bin/python benchmarks/registry_api.py --help

MLflow runs from its own virtualenv (benchmarks/.mlflow-venv, made on first use).
Results are printed and appended to benchmarks/RESULTS.md. This is not a test.
"""

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work"
MLFLOW_VENV = ROOT / "benchmarks" / ".mlflow-venv"
MLFLOW_VERSION = "3.17.2"
ASSAY_PORT, MLFLOW_PORT = 8701, 8702
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/assay_bench"
BENCHMARK_SECRET_KEY = "benchmark-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


# ---- servers --------------------------------------------------------------------------------

def _wait(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not come up")


def _assay_env() -> dict:
    return os.environ | {"DATABASE_URL": PG_BENCH, "SECRET_KEY": BENCHMARK_SECRET_KEY,
                         "ASSAY_VAR_DIR": str(WORK / "assay"), "ASSAY_LOG_LEVEL": "WARNING",
                         "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL",
                                                             "redis://127.0.0.1:6379/14"),
                         "DJANGO_SETTINGS_MODULE": "governance.settings"}


def start_assay() -> tuple[subprocess.Popen, str]:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS assay_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE assay_bench")
    env = _assay_env()
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    setup = ("from django.contrib.auth.models import User, Group\n"
             "u = User.objects.create_user('bench')\n"
             "u.groups.add(Group.objects.get(name='Model developer'))\n")
    subprocess.run([python, "manage.py", "shell", "-c", setup], cwd=ROOT, env=env, check=True)
    token = subprocess.run([python, "manage.py", "create_api_token", "--user", "bench",
                            "--scope", "read", "--scope", "register", "--scope", "manage"],
                           cwd=ROOT, env=env, check=True, capture_output=True,
                           text=True).stdout.strip()
    server = subprocess.Popen(
        [str(Path(python).parent / "gunicorn"), "governance.wsgi", "--workers", "2",
         "--bind", f"127.0.0.1:{ASSAY_PORT}", "--log-level", "warning"],
        cwd=ROOT, env=env)
    _wait(f"http://127.0.0.1:{ASSAY_PORT}/health/")
    return server, token


def start_mlflow() -> subprocess.Popen:
    if not (MLFLOW_VENV / "bin" / "mlflow").exists():
        subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True)
        subprocess.run([str(MLFLOW_VENV / "bin" / "pip"), "install", "-q",
                        f"mlflow=={MLFLOW_VERSION}"], check=True)
    store = WORK / "mlflow"
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True)
    server = subprocess.Popen(
        [str(MLFLOW_VENV / "bin" / "mlflow"), "server", "--workers", "2",
         "--host", "127.0.0.1", "--port", str(MLFLOW_PORT),
         "--backend-store-uri", f"sqlite:///{store / 'mlflow.db'}",
         "--artifacts-destination", str(store / "artifacts")],
        cwd=store, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(f"http://127.0.0.1:{MLFLOW_PORT}/health", 180)
    return server


# ---- clients: the same httpx code drives both ------------------------------------------------

def artifact_bytes(size: int, unique: str) -> bytes:
    """A valid XGBoost JSON document of about ``size`` bytes, different every time."""
    head = {"learner": {"feature_names": ["f0", "f1"], "feature_types": ["float", "float"],
                        "attributes": {"run": unique}}, "version": [3, 2, 0]}
    text = json.dumps(head)
    return (text[:-1] + ', "padding": "' + "x" * max(0, size - len(text) - 16) + '"}').encode()


class AssayClient:
    name = "Assay"

    def __init__(self, token):
        self.base = f"http://127.0.0.1:{ASSAY_PORT}"
        self.headers = {"Authorization": f"Bearer {token}"}

    def create_model(self, http, slug):
        http.post(f"{self.base}/api/v1/models/", headers=self.headers, json={
            "slug": slug, "name": slug, "purpose": "benchmark", "risk_tier": 3,
            "tier_rationale": "benchmark"}).raise_for_status()

    def register(self, http, slug, data, tags=()):
        response = http.post(
            f"{self.base}/api/v1/models/{slug}/versions/", headers=self.headers | {
                "Idempotency-Key": uuid.uuid4().hex},
            files={"artifact": ("model.json", data)},
            data={"metadata": json.dumps({"tags": list(tags)})})
        response.raise_for_status()
        return response.json()["number"]

    def numbers(self, http, slug):
        numbers, url = [], f"{self.base}/api/v1/models/{slug}/versions/?limit=1000"
        while url:
            page = http.get(url, headers=self.headers).json()
            numbers += [v["number"] for v in page["results"]]
            url = page["next"]
        return numbers

    def list_page(self, http, slug):
        return http.get(f"{self.base}/api/v1/models/{slug}/versions/?limit=100",
                        headers=self.headers)

    def by_tag(self, http, slug, tag):
        return http.get(f"{self.base}/api/v1/models/{slug}/versions/?limit=100&tag={tag}",
                        headers=self.headers)

    def one(self, http, slug, number):
        return http.get(f"{self.base}/api/v1/models/{slug}/versions/{number}/",
                        headers=self.headers)


class MlflowClientHttp:
    """What MlflowClient does for a registration: a run, the artifact upload through the
    tracking server's artifact proxy, then the model version pointing at it."""

    name = "MLflow"

    def __init__(self):
        self.base = f"http://127.0.0.1:{MLFLOW_PORT}"
        self.experiment = None

    def _post(self, http, path, body):
        response = http.post(f"{self.base}/api/2.0/mlflow/{path}", json=body)
        response.raise_for_status()
        return response.json()

    def create_model(self, http, name):
        if self.experiment is None:
            self.experiment = self._post(http, "experiments/create",
                                         {"name": "bench"})["experiment_id"]
        self._post(http, "registered-models/create", {"name": name})

    def register(self, http, name, data, tags=()):
        run = self._post(http, "runs/create", {"experiment_id": self.experiment})["run"]
        run_id = run["info"]["run_id"]
        path = f"{self.experiment}/{run_id}/artifacts/model/model.json"
        http.put(f"{self.base}/api/2.0/mlflow-artifacts/artifacts/{path}",
                 content=data).raise_for_status()
        version = self._post(http, "model-versions/create", {
            "name": name, "source": f"mlflow-artifacts:/{path}", "run_id": run_id,
            "tags": [{"key": t, "value": "1"} for t in tags]})["model_version"]
        return int(version["version"])

    def bare_version(self, http, name, tags=()):
        return self._post(http, "model-versions/create", {
            "name": name, "source": "s3://bucket/model",
            "tags": [{"key": t, "value": "1"} for t in tags]})

    def numbers(self, http, name):
        numbers, token = [], None
        while True:
            params = {"filter": f"name='{name}'", "max_results": 1000}
            if token:
                params["page_token"] = token
            page = http.get(f"{self.base}/api/2.0/mlflow/model-versions/search",
                            params=params).json()
            numbers += [int(v["version"]) for v in page.get("model_versions", [])]
            token = page.get("next_page_token")
            if not token:
                return numbers

    def list_page(self, http, name):
        return http.get(f"{self.base}/api/2.0/mlflow/model-versions/search",
                        params={"filter": f"name='{name}'", "max_results": 100})

    def by_tag(self, http, name, tag):
        return http.get(f"{self.base}/api/2.0/mlflow/model-versions/search",
                        params={"filter": f"name='{name}' and tags.{tag} = '1'",
                                "max_results": 100})

    def one(self, http, name, number):
        return http.get(f"{self.base}/api/2.0/mlflow/model-versions/get",
                        params={"name": name, "version": str(number)})


def _http(keep_alive: bool) -> httpx.Client:
    limits = httpx.Limits(max_keepalive_connections=8 if keep_alive else 0)
    headers = {} if keep_alive else {"Connection": "close"}
    return httpx.Client(limits=limits, headers=headers, timeout=120)


def timed(calls, clients: int, keep_alive: bool):
    """Run the callables (each takes an httpx client) with ``clients`` threads."""
    latencies = []

    def run(chunk):
        with _http(keep_alive) as http:
            for call in chunk:
                started = time.perf_counter()
                call(http)
                latencies.append(time.perf_counter() - started)

    chunks = [calls[i::clients] for i in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, chunks))
    wall = time.perf_counter() - started
    latencies.sort()
    return {"n": len(calls), "rps": len(calls) / wall,
            "p50_ms": 1000 * statistics.median(latencies),
            "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))]}


# ---- scenarios --------------------------------------------------------------------------------

def registration(system, prefix, versions, models, clients, keep_alive, size):
    slugs = [f"{prefix}-{i}" for i in range(models)]
    with _http(True) as http:
        for slug in slugs:
            system.create_model(http, slug)
    calls = [(lambda http, slug=slugs[i % models], i=i:
              system.register(http, slug, artifact_bytes(size, f"{prefix}-{i}")))
             for i in range(versions)]
    result = timed(calls, clients, keep_alive)
    with _http(True) as http:
        per_model = {slug: sorted(system.numbers(http, slug)) for slug in slugs}
    expected = {slug: list(range(1, len([i for i in range(versions) if i % models == n]) + 1))
                for n, slug in enumerate(slugs)}
    result["numbers_ok"] = per_model == expected
    return result


def seed_assay_versions(slug, count):
    """10k versions for the query benchmark, written straight into PostgreSQL."""
    code = f"""
from django.contrib.auth.models import User
from registry.models import Blob, ModelVersion, RegisteredModel, VersionTag
user = User.objects.get(username='bench')
model = RegisteredModel.objects.create(slug='{slug}', name='{slug}', purpose='q', owner=user,
                                       risk_tier=3, tier_rationale='q')
blobs = Blob.objects.bulk_create([Blob(sha256=f'{{i:064x}}', size=1, storage_name='x')
                                  for i in range({count})])
versions = ModelVersion.objects.bulk_create([ModelVersion(
    model=model, number=i + 1, artifact=blob, artifact_format='xgboost_json',
    framework='xgboost', feature_names=['f0'], registered_by=user)
    for i, blob in enumerate(blobs)], batch_size=2000)
VersionTag.objects.bulk_create([VersionTag(version=v, name='champion')
                                for v in versions if v.number % 100 == 0])
from django.db import connection
with connection.cursor() as cursor:  # what autovacuum would do soon after a bulk load
    cursor.execute('ANALYZE')
"""
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                   env=_assay_env(), check=True)


def seed_mlflow_versions(system, name, count):
    with _http(True) as http:
        system.create_model(http, name)
    calls = [(lambda http, i=i: system.bare_version(
        http, name, ("champion",) if (i + 1) % 100 == 0 else ())) for i in range(count)]
    return timed(calls, 8, True)


def queries(system, slug, total, n):
    ops = {
        "list 100 versions": lambda http: system.list_page(http, slug).raise_for_status(),
        "filter by tag": lambda http: system.by_tag(http, slug, "champion").raise_for_status(),
        "fetch one version": lambda http, k=[0]: system.one(
            http, slug, 1 + (k.__setitem__(0, k[0] + 7919) or k[0]) % total).raise_for_status(),
    }
    return {op: timed([call] * n, 1, True) for op, call in ops.items()}


def assay_query_counts(slug, total):
    code = f"""
import json
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from django.contrib.auth.models import User
client = APIClient(); client.force_authenticate(User.objects.get(username='bench'))
out = {{}}
for name, url in [('list 100 versions', '/api/v1/models/{slug}/versions/?limit=100'),
                  ('filter by tag', '/api/v1/models/{slug}/versions/?limit=100&tag=champion'),
                  ('fetch one version', '/api/v1/models/{slug}/versions/{total // 2}/'),
                  ('list 100 of a model with 100 versions',
                   '/api/v1/models/reg-ka1-0/versions/?limit=100')]:
    client.get(url)  # warm: the user's roles are looked up once per request user
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    out[name] = len(captured)
print(json.dumps(out))
"""
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                            env=_assay_env() | {"ALLOWED_HOSTS": "testserver"}, check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---- report -----------------------------------------------------------------------------------

def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    import django
    import psycopg

    mlflow_version = subprocess.run([str(MLFLOW_VENV / "bin" / "python"), "-c",
                                     "import mlflow; print(mlflow.__version__)"],
                                    capture_output=True, text=True).stdout.strip()
    pg = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "show server_version"],
                        capture_output=True, text=True).stdout.strip()
    return (f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, Django {django.__version__}, psycopg "
            f"{psycopg.__version__}, PostgreSQL {pg}, MLflow {mlflow_version} (SQLite store); "
            "client and both servers on the same machine; device: CPU only")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=1000,
                        help="registrations per scenario (default %(default)s)")
    parser.add_argument("--new-connection-versions", type=int, default=200,
                        help="registrations in the new-connection-per-request scenarios")
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--artifact-bytes", type=int, default=1024 * 1024)
    parser.add_argument("--query-versions", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)

    assay_server, token = start_assay()
    mlflow_server = start_mlflow()
    systems = [AssayClient(token), MlflowClientHttp()]
    rows = []
    try:
        scenarios = [("register + 1 MB artifact, 1 client, keep-alive", "ka1", 1, True,
                      args.versions),
                     ("register + 1 MB artifact, 8 clients, keep-alive", "ka8", 8, True,
                      args.versions),
                     ("register + 1 MB artifact, 1 client, new connection", "nc1", 1, False,
                      args.new_connection_versions),
                     ("register + 1 MB artifact, 8 clients, new connection", "nc8", 8, False,
                      args.new_connection_versions)]
        for label, prefix, clients, keep_alive, count in scenarios:
            results = [registration(system, f"reg-{prefix}", count, args.models, clients,
                                    keep_alive, args.artifact_bytes) for system in systems]
            rows.append((label, *results))
            print(label, results, flush=True)
        seed_assay_versions("query-model", args.query_versions)
        seed_mlflow_versions(systems[1], "query-model", args.query_versions)
        assay_q = queries(systems[0], "query-model", args.query_versions, args.queries)
        mlflow_q = queries(systems[1], "query-model", args.query_versions, args.queries)
        for op in assay_q:
            rows.append((f"{op} (at {args.query_versions} versions)", assay_q[op], mlflow_q[op]))
            print(op, assay_q[op], mlflow_q[op], flush=True)
        counts = assay_query_counts("query-model", args.query_versions)
    finally:
        for server in (assay_server, mlflow_server):
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)

    lines = [f"## Registry API vs MLflow — {dt.date.today().isoformat()}", "",
             machine(), "",
             f"Registrations: {args.versions} (keep-alive) / {args.new_connection_versions} "
             f"(new connection) versions over {args.models} models, "
             f"{args.artifact_bytes} byte artifacts; queries: {args.queries} each.", "",
             "| operation | Assay req/s | p50 ms | p95 ms | MLflow req/s | p50 ms | p95 ms "
             "| Assay/MLflow throughput | numbers 1..N exactly once (Assay / MLflow) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for label, assay, mlflow in rows:
        ok = (f"{'yes' if assay.get('numbers_ok') else 'NO'} / "
              f"{'yes' if mlflow.get('numbers_ok') else 'NO'}") if "numbers_ok" in assay else "—"
        lines.append(f"| {label} | {assay['rps']:.1f} | {assay['p50_ms']:.1f} | "
                     f"{assay['p95_ms']:.1f} | {mlflow['rps']:.1f} | {mlflow['p50_ms']:.1f} | "
                     f"{mlflow['p95_ms']:.1f} | {assay['rps'] / mlflow['rps']:.1f}x | {ok} |")
    lines += ["", f"SQL queries per Assay request (model with {args.query_versions} versions "
              "unless named): " + ", ".join(f"{k}: {v}" for k, v in counts.items()), ""]
    text = "\n".join(lines)
    print("\n" + text)
    if not args.no_record:
        results = ROOT / "benchmarks" / "RESULTS.md"
        if not results.exists():
            results.write_text("# Benchmark results\n\nAppended by the scripts in this "
                               "folder; newest last.\n\n")
        with results.open("a") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
