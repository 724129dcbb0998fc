"""The demo city's well-known API keys.

`seed_demo` installs these so the demo checkout page and the README examples work
on every machine; they are ordinary keys (stored hashed) and exist only where the
demo was seeded.
"""


def demo_key(*, kind: str, slug: str) -> str:
    prefix = {"publishable": "pk", "secret": "sk"}[kind]
    return f"{prefix}_demo_{slug.replace('-', '_')}_0123456789abcdef"
