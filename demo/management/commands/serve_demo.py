"""Serve the demo city under daphne, with the simulated fleet and periodic work in the same process.

With no Redis the channel layer lives in memory, so whatever publishes ETAs must
run in the server's own event loop: the simulator and the beat schedule run
here as asyncio tasks beside daphne. With REDIS_URL set they could equally run
as separate processes (`manage.py simulate`, `celery worker`, `celery beat`).
"""

import daphne.server  # noqa: F401  isort:skip  (installs the asyncio Twisted reactor first)

import asyncio
import logging
import threading

from asgiref.sync import sync_to_async
from celery import current_app as celery_app  # the project's app, set up with the settings
from django.conf import settings
from django.core.management.base import BaseCommand

logger = logging.getLogger(__name__)
# How long a stopping server waits for the simulator's and the periodic tasks' current step.
SHUTDOWN_GRACE_S = 20.0


async def run_beat_schedule(stop: threading.Event, fleet_caught_up: threading.Event | None = None) -> None:
    """Run each CELERY_BEAT_SCHEDULE entry at its interval, in-process, until `stop` is set.

    Not before `fleet_caught_up`: while the simulator replays the morning the vans are hours behind the clock,
    and the playbooks would open "no scan-out" and "GPS silent" exceptions for every van not replayed yet.
    """
    while fleet_caught_up is not None and not fleet_caught_up.is_set() and not stop.is_set():
        await asyncio.sleep(0.5)
    schedule = [(entry["task"], float(entry["schedule"])) for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    celery_app.loader.import_default_modules()
    next_run = dict.fromkeys((name for name, _ in schedule), 0.0)
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        now = loop.time()
        for name, every in schedule:
            if now >= next_run[name]:
                next_run[name] = now + every
                try:
                    await sync_to_async(celery_app.tasks[name].apply)()
                except Exception:
                    # One failing periodic job must not stop the others or the server; it is logged with its traceback.
                    logger.exception("periodic task %s failed", name)
        await asyncio.sleep(1.0)


async def run_simulator(speed: float, stop: threading.Event, caught_up: threading.Event | None = None) -> None:
    from demo.simulator import run_live

    while not stop.is_set():
        try:
            await run_live(speed=speed, stop=stop, caught_up=caught_up)
            return
        except Exception:
            # A task's exception is otherwise only reported when it is garbage-collected: the fleet would
            # simply stop. Say so, and carry on from where the vans were last seen.
            logger.exception("the fleet simulator failed; restarting it in 10 s")
            await asyncio.sleep(10)


class Command(BaseCommand):
    help = "Serve the portal on daphne (HTTP + websockets) with the simulated fleet and the periodic tasks running in-process."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--speed", type=float, default=10.0, help="Simulation speed-up (default 10x).")
        parser.add_argument("--no-simulate", action="store_true", help="Serve without moving the fleet.")

    def handle(self, *args, **options):
        from channels.routing import get_default_application
        from daphne.server import Server

        from demo.outbox import links_to_this_server, messages_to_the_demo_page

        messages_to_the_demo_page()
        links_to_this_server(host=options["host"], port=options["port"])
        application = get_default_application()  # settings.ASGI_APPLICATION: the demo never imports the wiring

        host, port = options["host"], options["port"]
        background: list[asyncio.Task] = []
        # The merchants' webhooks go to this server's inbox page, so the whole path can be watched.
        from demo.webhook_inbox import inbox_endpoints_install

        inbox_endpoints_install(base_url=f"http://{host}:{port}")

        stop = threading.Event()

        async def drain() -> None:
            # Background steps run in worker threads that publish through this loop: let them finish while it
            # still runs, or the process would hang at exit waiting for them (and ignore SIGTERM).
            stop.set()
            if background:
                await asyncio.wait(background, timeout=SHUTDOWN_GRACE_S)

        def on_ready() -> None:
            from twisted.internet import defer, reactor

            loop = asyncio.get_event_loop()
            caught_up = None if options["no_simulate"] else threading.Event()
            background.append(loop.create_task(run_beat_schedule(stop, caught_up)))
            if caught_up is not None:
                background.append(loop.create_task(run_simulator(options["speed"], stop, caught_up)))
            reactor.addSystemEventTrigger("before", "shutdown", lambda: defer.Deferred.fromFuture(
                asyncio.ensure_future(drain())))
            self.stdout.write(self.style.SUCCESS(f"Demo city served on http://{host}:{port}/  (Ctrl-C to stop)"))
            self.stdout.write("  staff pages (dispatch, care, admin): log in as demo / demo")
            self.stdout.write(f"  customers' SMS and emails, as their phone shows them: http://{host}:{port}/demo/messages/")
            self.stdout.write(f"  merchants' webhooks, as their receiver gets them: http://{host}:{port}/demo/webhook-inbox/")

        Server(
            application=application,
            endpoints=[f"tcp:port={port}:interface={host}"],
            ready_callable=on_ready,
            verbosity=1,
        ).run()
