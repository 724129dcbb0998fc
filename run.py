#!/usr/bin/env python3
"""Set up and run the portal with nothing but Python 3.11.

    python3 run.py demo   # install, migrate, seed the demo city, serve it with a simulated fleet
    python3 run.py test   # install, then run the whole test suite
    python3 run.py lock   # after changing pyproject.toml's dependencies: resolve requirements.lock again

demo and test create .venv/ in this folder and install there exactly the versions in
requirements.lock (hash-checked), again whenever the lock changes. They refuse a lock
that no longer satisfies pyproject.toml, so a dependency cannot be added or moved
without locking it.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
LOCK = ROOT / "requirements.lock"
TEST_WORKERS_MAX = 4
LOCK_COMMAND = ["pip-compile", "--quiet", "--extra", "dev", "--generate-hashes", "--allow-unsafe", "--strip-extras",
                "--no-emit-index-url", "--no-emit-find-links", "-o", "requirements.lock", "pyproject.toml"]


def _run(*args: str | Path, **kwargs) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True, **kwargs)


def lock_stale_requirements() -> list[str]:
    """pyproject.toml's requirements (with the dev extra) that requirements.lock does not pin, or pins outside
    their range. Read with the venv's `packaging`, which the locked install brings."""
    check = r"""
import re, sys, tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
wanted = project["dependencies"] + project.get("optional-dependencies", {}).get("dev", [])
pins = {canonicalize_name(m[0]): m[1] for m in re.findall(r"^([A-Za-z0-9_.-]+)==([^ \\]+)", open("requirements.lock").read(), re.M)}
for line in wanted:
    req = Requirement(line)
    pinned = pins.get(canonicalize_name(req.name))
    if pinned is None or not req.specifier.contains(pinned, prereleases=True):
        print(f"{line} (locked: {pinned or 'missing'})")
"""
    result = subprocess.run([str(PYTHON), "-c", check], cwd=ROOT, capture_output=True, text=True, check=True)
    return result.stdout.splitlines()


def ensure_installed() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036  (this script may be started by an older python3)
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV.name}/", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".installed"
    wanted = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not (stamp.exists() and stamp.read_text().strip() == wanted):
        # Exactly the locked versions, each checked against its hash; the project itself adds nothing.
        _run(PYTHON, "-m", "pip", "install", "--quiet", "--require-hashes", "-r", LOCK)
        _run(PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", ".")
        stamp.write_text(wanted)
    stale = lock_stale_requirements()
    if stale:
        sys.exit("requirements.lock does not satisfy pyproject.toml; run `python3 run.py lock` and commit it:\n  "
                 + "\n  ".join(stale))


def _demo_address(extra: list[str]) -> str:
    """The address serve_demo will listen on, from its --host and --port (as given to `run.py demo`)."""
    found = {"--host": "127.0.0.1", "--port": "8000"}
    for i, arg in enumerate(extra):
        name, equals, value = arg.partition("=")
        if name in found:
            found[name] = value if equals else (extra[i + 1] if i + 1 < len(extra) else found[name])
    return f"http://{found['--host']}:{found['--port']}"


def demo(extra: list[str]) -> None:
    ensure_installed()
    # The seed's messages link to the server about to run, on whatever port it is given.
    os.environ.setdefault("PUBLIC_BASE_URL", _demo_address(extra))
    _run(PYTHON, "manage.py", "migrate", "--noinput")
    _run(PYTHON, "manage.py", "seed_demo")
    _run(PYTHON, "manage.py", "serve_demo", *extra)


def test_workers() -> int:
    """The suite runs in one process per core (pytest-xdist), at most TEST_WORKERS_MAX: each has its own test
    database and Redis database (see core.env.redis_url_for_test_worker)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(TEST_WORKERS_MAX, cores))


def test(extra: list[str]) -> None:
    ensure_installed()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    parallel = [] if any(a in ("-n", "--numprocesses") or a.startswith(("-n", "--numprocesses=")) for a in extra) \
        else ["-n", str(test_workers()), "--dist", "loadgroup"]
    result = subprocess.run([str(PYTHON), "-m", "pytest", *parallel, *extra], cwd=ROOT, env=env)
    sys.exit(result.returncode)


def lock(extra: list[str]) -> None:
    """Resolve pyproject.toml again into requirements.lock (keeping current pins where they still fit).

    pip-tools lives in a virtual environment of its own, so it never changes the project's locked one.
    """
    tools = ROOT / ".venv-lock"
    tools_bin = tools / BIN.name
    if not (tools_bin / "pip-compile").exists():
        venv.EnvBuilder(with_pip=True).create(tools)
        _run(tools_bin / "python", "-m", "pip", "install", "--quiet", "pip-tools")
    _run(tools_bin / LOCK_COMMAND[0], *LOCK_COMMAND[1:], *extra)


def main() -> None:
    commands = {"demo": demo, "test": test, "lock": lock}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    try:
        commands[sys.argv[1]](sys.argv[2:])
    except KeyboardInterrupt:
        pass
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)


if __name__ == "__main__":
    main()
