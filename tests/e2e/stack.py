"""The portal as production runs it, started from scratch for tests and benchmarks.

`Stack` creates its own PostgreSQL database, starts its own Redis on a free port
(so a test may stop it without touching anyone else's), migrates, seeds the demo
city, collects the static files, then starts daphne processes, a Celery worker
and Celery beat, all with DJANGO_ENV=production. Every process writes its log to
a file under the stack's folder; `tail()` shows them when a check fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_admin_url() -> str | None:
    """The server of DATABASE_URL when it is PostgreSQL (its `postgres` database), else None."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))


def services_missing() -> str | None:
    """Why the stack cannot start here, or None."""
    if postgres_admin_url() is None:
        return "the production-topology tests need PostgreSQL: set DATABASE_URL=postgres://..."
    if not os.environ.get("REDIS_URL"):
        return "the production-topology tests run with the real services: set REDIS_URL"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (the tests start a Redis of their own to stop it)"
    return None


@dataclass
class Process:
    name: str
    args: list[str]
    log: Path
    env: dict[str, str]
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        handle = self.log.open("ab")
        self.popen = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if not self.alive:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def kill(self) -> None:
        """SIGKILL the process and its children at once: no cleanup, no acknowledgement."""
        self.stop(signal.SIGKILL)


@dataclass
class Stack:
    web_processes: int = 2
    worker_concurrency: int = 2
    settings: dict[str, str] = field(default_factory=dict)
    seed_days: int = 4

    def __post_init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="portal-stack-"))
        self.database = f"stack_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = urlsplit(postgres_admin_url() or "postgres://postgres@127.0.0.1:5432/postgres")
        self.admin_url = urlunsplit(admin)
        self.database_url = urlunsplit((admin.scheme, admin.netloc, f"/{self.database}", "", ""))
        self.redis_port = free_port()
        self.web_ports = [free_port() for _ in range(self.web_processes)]
        self.processes: dict[str, Process] = {}
        self.seed: dict = {}
        self.keep_logs = False  # set when a check failed: stop() then copies the logs under artifacts/
        self.metrics_folder = self.folder / "metrics"
        self.metrics_folder.mkdir()
        self.metrics_token = f"stack-metrics-{uuid.uuid4().hex}"

    # --- environment --------------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        # The stack's processes are not test workers: with PYTEST_XDIST_WORKER they would move off the stack's Redis database.
        env = {k: v for k, v in os.environ.items()
               if k not in ("DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER")}
        env.update({
            "DJANGO_ENV": "production",
            "SECRET_KEY": "stack-" + "k" * 60,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": ",".join(f"http://{h}:{p}" for p in self.web_ports for h in ("127.0.0.1", "localhost")),
            "SECURE_SSL_REDIRECT": "0",
            "PUBLIC_BASE_URL": self.base_url(0),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            # Its own static files: nothing else that runs from this checkout rewrites what the stack serves.
            "STATIC_ROOT": str(self.folder / "static"),
            "MEDIA_ROOT": str(self.folder / "media"),
            "PRIVATE_ROOT": str(self.folder / "private"),
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "info",
            # Every process counts into one folder; the web processes' /metrics sums it.
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_folder),
            "METRICS_TOKEN": self.metrics_token,
        })
        env.update(self.settings)
        return env

    def base_url(self, index: int = 0, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.web_ports[index]}"

    # --- life cycle ---------------------------------------------------------------

    def start(self) -> Stack:
        self._psql(f'CREATE DATABASE "{self.database}"')
        self.redis_start()
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput")
        out = self.manage("seed_demo", "--json", "--days", str(self.seed_days), "--plan-seconds", "1")
        self.seed = json.loads(out.strip().splitlines()[-1])
        self.seeded_plans = self.plans_served()  # before any test books or re-plans
        # The seed's first day, in the demo city's time zone: the tests count days from it, so a run that
        # crosses midnight still books the days the seed made.
        # The seed's first day is the city's today: the windows before it are the demo's closed history.
        self.seed_first_day = self.sql(
            "SELECT min(date) FROM scheduling_window WHERE date >= (now() AT TIME ZONE 'Europe/Paris')::date")[0][0]
        for index, port in enumerate(self.web_ports):
            # -v 0: no access log of daphne's own (raw paths hold tracking tokens and shoppers' coordinates);
            # the portal writes one line per request.
            self._process(f"daphne-{index}", [str(BIN / "daphne"), "-v", "0", "-b", "127.0.0.1", "-p", str(port),
                                              "portal.asgi:application"])
        self.worker_start()
        self._process("beat", [str(BIN / "celery"), "-A", "portal", "beat", "-l", "info",
                               "-s", str(self.folder / "beat-schedule")])
        for index in range(len(self.web_ports)):
            self.wait_http(f"{self.base_url(index)}/healthz", timeout=60)
        self.wait_worker_ready(timeout=120)
        return self

    def plans_served(self) -> list[tuple]:
        """(depot, day, jobs booked, jobs on the day's active plan) for every depot-day with shifts and jobs."""
        return self.sql(
            """
            SELECT j.depot_id, j.date, count(*) AS jobs,
                   (SELECT count(*) FROM dispatch_stop s JOIN dispatch_route r ON r.id = s.route_id
                      JOIN dispatch_plan p ON p.id = r.plan_id
                     WHERE p.depot_id = j.depot_id AND p.date = j.date AND p.status = 'active') AS planned
            FROM dispatch_job j
            WHERE j.status IN ('pending', 'planned')
              AND EXISTS (SELECT 1 FROM dispatch_shift sh WHERE sh.depot_id = j.depot_id AND sh.date = j.date)
            GROUP BY j.depot_id, j.date ORDER BY j.date, j.depot_id
            """)

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()
        self.redis_stop()
        with contextlib.suppress(Exception):
            self._psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.database}'")
            self._psql(f'DROP DATABASE IF EXISTS "{self.database}"')
        if self.keep_logs:
            kept = ROOT / "artifacts" / self.folder.name
            kept.parent.mkdir(exist_ok=True)
            for log in self.folder.glob("*.log"):
                kept.mkdir(exist_ok=True)
                shutil.copy(log, kept / log.name)
            print(f"the stack's logs are kept in {kept}")
        shutil.rmtree(self.folder, ignore_errors=True)

    def worker_start(self, name: str = "worker") -> Process:
        return self._process(name, [
            str(BIN / "celery"), "-A", "portal", "worker", "-l", "info", "--concurrency", str(self.worker_concurrency),
            "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h"])

    def wait_worker_ready(self, name: str = "worker", timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.processes[name].log.read_text(errors="replace"):
                return
            if not self.processes[name].alive:
                raise RuntimeError(f"{name} exited:\n{self.tail(name)}")
            time.sleep(0.5)
        raise TimeoutError(f"{name} not ready in {timeout} s:\n{self.tail(name)}")

    def redis_start(self) -> None:
        self._process("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "yes", "--dir", str(self.folder)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.5):
                return
            time.sleep(0.1)
        raise TimeoutError(f"redis did not start:\n{self.tail('redis')}")

    def redis_stop(self) -> None:
        if "redis" in self.processes:
            self.processes["redis"].stop(signal.SIGKILL)

    # --- helpers ------------------------------------------------------------------

    def manage(self, *args: str, timeout: float = 600) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                                text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result.stdout

    def sql(self, query: str, *params) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def _psql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(statement)

    def _process(self, name: str, args: list[str]) -> Process:
        process = Process(name, args, self.folder / f"{name}.log", self.env)
        process.start()
        self.processes[name] = process
        return process

    def tail(self, *names: str, lines: int = 40) -> str:
        chosen = names or tuple(self.processes)
        out = []
        for name in chosen:
            text = self.processes[name].log.read_text(errors="replace").splitlines()
            out.append(f"--- {name} (last {lines} lines) ---\n" + "\n".join(text[-lines:]))
        return "\n".join(out)

    @staticmethod
    def wait_http(url: str, timeout: float = 30, expect: int = 200) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == expect:
                        return
                    last = response.status
            except urllib.error.HTTPError as error:
                last = error.code
            except OSError as error:
                last = error
            time.sleep(0.3)
        raise TimeoutError(f"{url} did not answer {expect} in {timeout} s (last: {last})")
