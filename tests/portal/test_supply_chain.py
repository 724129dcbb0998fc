"""The lock file lets nothing in that it does not pin with its hash (the README's "Supply chain")."""

import re

from django.conf import settings


def locked_requirements() -> dict[str, list[str]]:
    """Each requirement line of requirements.lock (`name==version`) with the hashes that follow it."""
    requirements: dict[str, list[str]] = {}
    current = None
    for line in (settings.BASE_DIR / "requirements.lock").read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9_.\-\[\]]+)(==|@| )", line):
            current = line.split(" \\")[0].strip()
            requirements[current] = []
        elif current and (match := re.match(r"^\s+--hash=(\S+)", line)):
            requirements[current].append(match.group(1))
    return requirements


def test_every_locked_package_is_pinned_to_one_version_with_its_hashes():
    requirements = locked_requirements()

    assert len(requirements) > 50  # the whole tree, not only pyproject.toml's direct dependencies
    unpinned = [line for line in requirements if not re.fullmatch(r"[A-Za-z0-9_.\-]+==[^\s;]+", line)]
    unhashed = [line for line, hashes in requirements.items() if not hashes]
    weak = [line for line, hashes in requirements.items() if any(not h.startswith("sha256:") for h in hashes)]
    assert not unpinned, f"pinned by something else than ==version: {unpinned}"
    assert not unhashed, f"without a hash, pip --require-hashes refuses the whole install: {unhashed}"
    assert not weak, f"hashed by something weaker than SHA-256: {weak}"
