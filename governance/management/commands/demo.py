"""``make demo``: a working Assay on a laptop, seeded the way real users would seed it."""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.context import change_context
from audit.services import record_event
from governance.demo.training import PROTECTED, TARGET, category_labels, train_all
from registry import roles
from registry.models import ApiToken, RegisteredModel
from registry.services import DERIVED_FIELDS, create_api_token, revoke_api_token, update_model

DEMO_USERS = [
    # username, full name, global roles, superuser
    ("olivia", "Olivia Owen", [roles.MODEL_DEVELOPER], False),
    ("dan", "Dan Devlin", [roles.MODEL_DEVELOPER], False),
    ("victor", "Victor Vale", [roles.VALIDATOR], False),
    ("rita", "Rita Rossi", [roles.RISK_OFFICER, roles.APPROVER], False),
    ("alex", "Alex Abbott", [roles.APPROVER], False),
    ("ada", "Ada Auditor", [roles.AUDITOR], False),
    ("ci", "CI pipeline", [roles.CI_SERVICE], False),
    ("admin", "Site admin", [], True),
]


REASON_TEXTS = {
    "status_of_existing_checking_account": "Status of your current account",
    "duration_in_month": "Requested loan term is long",
    "credit_history": "Past repayment record",
    "purpose": "Purpose of the loan",
    "credit_amount": "Requested amount is high",
    "savings_account_and_bonds": "Low savings",
    "present_employment_since": "Short time with current employer",
    "installment_rate_in_percentage_of_disposable_income": "Instalment is high relative to "
                                                           "disposable income",
    "other_debtors_or_guarantors": "No guarantor or co-applicant",
    "present_residence_since": "Short time at current address",
    "property": "Little property or collateral",
    "other_installment_plans": "Other instalment plans",
    "housing": "Housing situation",
    "number_of_existing_credits_at_this_bank": "Number of existing credits with us",
    "job": "Type of employment",
}


def _inventory_entries(today: date) -> list[dict]:
    return [
        {"slug": "credit-pd-xgb", "name": "Retail credit PD (XGBoost)",
         "purpose": "Probability of default for unsecured retail loan applications.",
         "business_use": "Accept/decline and pricing of personal loans up to EUR 25k.",
         "owner": "olivia", "developer": "dan", "validator": "victor",
         "ci_accounts": ["ci"], "risk_tier": 1,
         "tier_rationale": "Automated credit decisions on consumers; material volume.",
         "regulatory_scope": ["fair_lending", "eu_ai_act_high_risk", "sr_11_7", "gdpr_art_22"],
         "inputs": "Application form and bureau attributes (German Credit layout).",
         "outputs": "PD in [0, 1]; decline above the cut-off.",
         "limitations": "Trained on 700 applicants; thin coverage of applicants under 25.",
         "restrictions_on_use": "Not for business lending or limit increases.",
         "next_review_date": str(today + timedelta(days=300))},
        {"slug": "credit-pd-lgbm", "name": "Retail credit PD challenger (LightGBM)",
         "purpose": "Challenger to the XGBoost PD model.", "owner": "olivia",
         "developer": "dan", "validator": "victor", "ci_accounts": ["ci"], "risk_tier": 2,
         "tier_rationale": "Challenger only; no decisions are taken on its output.",
         "regulatory_scope": ["sr_11_7"], "next_review_date": str(today + timedelta(days=120))},
        {"slug": "card-fraud-vendor", "name": "Card fraud score (vendor)",
         "purpose": "Real-time card fraud score.", "owner": "olivia", "risk_tier": 2,
         "tier_rationale": "Blocks transactions; vendor model with limited transparency.",
         "origin": "vendor", "vendor_name": "ScoreCo", "status": "in_production",
         "regulatory_scope": ["pra_ss1_23"],
         "next_review_date": str(today - timedelta(days=21))},
        {"slug": "collections-priority", "name": "Collections prioritisation",
         "purpose": "Orders delinquent accounts for collector calls.", "owner": "olivia",
         "risk_tier": 3, "tier_rationale": "Internal workflow ordering only.",
         "status": "retired"},
    ]


class Command(BaseCommand):
    help = ("Run the demo: migrate, create a user per role, start the web server and a "
            "Celery worker, train two credit models and register them over the REST API.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("ASSAY_PORT", 8000)))
        parser.add_argument("--no-serve", action="store_true",
                            help="seed and register, then stop the server and worker")

    def handle(self, *args, **options):
        demo_dir = Path(settings.VAR_DIR) / "demo"
        demo_dir.mkdir(parents=True, exist_ok=True)
        mail_dir = self._mail_to_files(demo_dir)
        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
        passwords = self._seed_users()
        owner_token, ci_token = self._tokens()
        url = f"http://127.0.0.1:{options['port']}"
        # `kill` (SIGTERM) stops the demo as cleanly as Ctrl-C: the server and worker too.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        children = self._start_services(options["port"], demo_dir)
        try:
            self._wait_healthy(url, children)
            self._register_like_ci(url, owner_token, ci_token, demo_dir)
            self._seed_review_history(passwords)
            self._print_welcome(url, passwords, ci_token, demo_dir, mail_dir)
            if options["no_serve"]:
                return
            self.stdout.write("Press Ctrl-C to stop.")
            while all(child.poll() is None for child in children):
                time.sleep(1)
            raise CommandError("the web server or the worker stopped; see var/demo/*.log")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping.")
        finally:
            for child in children:
                child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()

    def _mail_to_files(self, demo_dir: Path) -> Path | None:
        """The demo's e-mails go to files (this process, the web server and the worker),
        not to the console, unless a real backend was configured."""
        if settings.EMAIL_BACKEND != "django.core.mail.backends.console.EmailBackend":
            return None
        mail_dir = demo_dir / "mail"
        mail_dir.mkdir(parents=True, exist_ok=True)
        backend = "django.core.mail.backends.filebased.EmailBackend"
        os.environ |= {"ASSAY_EMAIL_BACKEND": backend, "ASSAY_EMAIL_FILE_PATH": str(mail_dir)}
        settings.EMAIL_BACKEND, settings.EMAIL_FILE_PATH = backend, str(mail_dir)
        return mail_dir

    def _seed_users(self) -> dict[str, str]:
        User = get_user_model()
        passwords = {}
        for username, full_name, group_names, superuser in DEMO_USERS:
            first, _, last = full_name.partition(" ")
            # A service account signs in with tokens only: no password at all.
            service = roles.CI_SERVICE in group_names
            password = "" if service else secrets.token_urlsafe(9)
            with change_context("cli"), transaction.atomic():
                user, _ = User.objects.get_or_create(username=username)
                user.first_name, user.last_name = first, last
                user.email = f"{username}@bank.example"
                user.is_superuser = user.is_staff = superuser
                if service:
                    user.set_unusable_password()
                else:
                    user.set_password(password)
                user.save()
                user.groups.set(Group.objects.filter(name__in=group_names))
                record_event(actor=None, action="auth.user.seeded", target=user,
                             after={"username": username, "groups": sorted(group_names),
                                    "is_superuser": superuser}, reason="make demo")
            passwords[username] = password
        return passwords

    def _tokens(self) -> tuple[str, str]:
        User = get_user_model()
        with change_context("cli"):
            # A re-run replaces the demo tokens: revoked (audited), never deleted.
            for token in ApiToken.objects.filter(name__startswith="demo ", revoked_at=None):
                revoke_api_token(actor=None, token=token, reason="demo restarted")
            _, owner_token = create_api_token(
                actor=None, user=User.objects.get(username="olivia"), name="demo olivia",
                scopes=["read", "register", "manage"], lifetime=timedelta(days=7))
            _, ci_token = create_api_token(
                actor=None, user=User.objects.get(username="ci"), name="demo ci",
                scopes=["read", "register"], lifetime=timedelta(days=90))
        return owner_token, ci_token

    def _start_services(self, port: int, demo_dir: Path) -> list[subprocess.Popen]:
        bin_dir = Path(sys.executable).parent
        env = os.environ | {"PYTHONUNBUFFERED": "1"}
        web_log = (demo_dir / "web.log").open("ab")
        worker_log = (demo_dir / "worker.log").open("ab")
        web = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "governance.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--access-logfile", "-"],
            cwd=settings.BASE_DIR, env=env, stdout=web_log, stderr=subprocess.STDOUT)
        worker = subprocess.Popen(
            [str(bin_dir / "celery"), "-A", "governance", "worker", "-Q", "cpu,gpu,reports",
             "--concurrency", "1", "--loglevel", "INFO", "--beat",
             "--schedule", str(demo_dir / "celerybeat-schedule")],
            cwd=settings.BASE_DIR, env=env, stdout=worker_log, stderr=subprocess.STDOUT)
        return [web, worker]

    def _wait_healthy(self, url: str, children) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(child.poll() is not None for child in children):
                raise CommandError("the web server or the worker failed to start; see "
                                   "var/demo/web.log and var/demo/worker.log")
            try:
                if httpx.get(f"{url}/health/", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise CommandError(f"{url}/health/ did not report healthy within 60 s")

    def _cli(self, url: str, token: str, *arguments: str) -> str:
        result = subprocess.run(
            [str(Path(sys.executable).parent / "assay"), "--json", *arguments],
            env=os.environ | {"ASSAY_URL": url, "ASSAY_TOKEN": token},
            capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise CommandError(f"assay {' '.join(arguments[:2])} failed: {result.stderr.strip()}")
        return result.stdout

    def _register_like_ci(self, url: str, owner_token: str, ci_token: str, demo_dir: Path):
        self.stdout.write("Training the demo models on German Credit…")
        train_csv, valid_csv, trained = train_all(demo_dir / "models")
        headers = {"Authorization": f"Bearer {owner_token}"}
        for entry in _inventory_entries(date.today()):
            # Status and review date are derived from versions and approvals: the owner
            # creates the entry, and a risk officer records the state it had in the
            # spreadsheet inventory before Assay (an audited override with a reason).
            carried_over = {name: entry.pop(name) for name in DERIVED_FIELDS if name in entry}
            response = httpx.post(f"{url}/api/v1/models/", json=entry, headers=headers)
            if response.status_code not in (201, 409):
                raise CommandError(f"creating {entry['slug']} failed: {response.text}")
            if response.status_code == 201 and carried_over:
                with change_context("cli"):
                    update_model(actor=get_user_model().objects.get(username="rita"),
                                 model=RegisteredModel.objects.get(slug=entry["slug"]),
                                 changes=carried_over,
                                 reason="carried over from the spreadsheet inventory")
        self._set_reason_texts()
        dataset_ids = []
        for path in (train_csv, valid_csv):
            dataset = json.loads(self._cli(
                url, ci_token, "datasets", "upload", str(path), "--name", path.stem,
                "--target", TARGET, "--id-column", "applicant_id",
                "--roles", json.dumps({"categories": category_labels()}),
                *[arg for name in PROTECTED for arg in ("--protected", name)]))
            dataset_ids.append(str(dataset["id"]))
        for model in trained:
            arguments = ["register", "--model", model.slug, "--artifact", str(model.artifact),
                         "--artifact-format", model.artifact_format,
                         "--framework-version", model.framework_version,
                         "--training-dataset", dataset_ids[0],
                         "--validation-dataset", dataset_ids[1],
                         "--git-commit", "3f2c9e1a7b",
                         "--ci-run-url", "https://ci.bank.example/pipelines/1042",
                         "--idempotency-key", f"demo-{model.slug}", "--tag", "demo"]
            for name, value in model.metrics.items():
                arguments += ["--metric", f"{name}={value}"]
            for name, value in model.params.items():
                arguments += ["--param", f"{name}={value}"]
            version = json.loads(self._cli(url, ci_token, *arguments))
            self.stdout.write(f"  registered {model.slug} v{version['number']} "
                              f"(AUC {model.metrics['auc_valid']:.3f})")

    def _seed_review_history(self, passwords):
        from governance.demo.workflow import seed_review_history

        self.stdout.write("Waiting for the evidence runs, then seeding the reviews…")
        with change_context("system"):
            for line in seed_review_history(passwords):
                self.stdout.write(f"  {line}")

    def _set_reason_texts(self):
        """The owner's adverse-action texts; protected attributes are never reasons."""
        from explain.services import set_reason_texts
        from registry.models import RegisteredModel

        owner = get_user_model().objects.get(username="olivia")
        with change_context("system"):
            for model in RegisteredModel.objects.filter(slug__in=["credit-pd-xgb",
                                                                  "credit-pd-lgbm"]):
                set_reason_texts(actor=owner, model=model, texts=REASON_TEXTS,
                                 excluded=["personal_status_and_sex", "age_in_years"],
                                 reason="demo seed")

    def _print_welcome(self, url, passwords, ci_token, demo_dir, mail_dir):
        lines = [f"Assay is running at {url}/  (API docs: {url}/api/docs/)", "", "Logins:"]
        for username, full_name, group_names, superuser in DEMO_USERS:
            role = ", ".join(group_names) or ("superuser (admin site)" if superuser else "")
            password = passwords[username] or "(no login)"
            lines.append(f"  {username:<8} {password:<14} {full_name} — {role}")
        lines += ["", f"Start at {url}/dashboard/ (log in as rita: a tier-1 model waits for "
                  "her signature).", "", "CI token (register + read):", f"  export ASSAY_URL={url} "
                  f"ASSAY_TOKEN={ci_token}", "  .venv/bin/assay models list"]
        if mail_dir:
            lines += ["", f"E-mails the demo sends are written to {mail_dir}/ (one file each)."]
        text = "\n".join(lines)
        (demo_dir / "credentials.txt").write_text(text + "\n")
        self.stdout.write("\n" + text + f"\n\n(also saved to {demo_dir / 'credentials.txt'})")
