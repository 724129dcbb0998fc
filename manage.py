#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.core.management import execute_from_command_line

    from core.audit import audit_actor

    # What a command changes (a seed, the demo's simulator) is the system's doing, named after the command.
    with audit_actor(label=" ".join(["system: manage.py", *sys.argv[1:2]])):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
