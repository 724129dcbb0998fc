"""Create a feed allowed to set disruptions through the API, and print its key once."""

from django.core.management.base import BaseCommand, CommandError

from dispatch.disruptions import disruption_feed_create
from dispatch.models import Depot, DisruptionFeed


class Command(BaseCommand):
    help = "Create a disruption feed (a weather or traffic service) and print its API key; it is shown only once."

    def add_arguments(self, parser):
        parser.add_argument("code", help="A slug naming the feed, e.g. meteo-paris.")
        parser.add_argument("--name", default="", help="A readable name (defaults to the code).")
        parser.add_argument("--depot", default="", help="Code of the only depot whose zones the feed may slow.")

    def handle(self, *args, code, name, depot, **options):
        if DisruptionFeed.objects.filter(code=code).exists():
            raise CommandError(f"A feed with the code {code!r} exists already.")
        depot_row = None
        if depot:
            depot_row = Depot.objects.filter(code=depot).first()
            if depot_row is None:
                raise CommandError(f"No depot has the code {depot!r}.")
        feed, key = disruption_feed_create(code=code, name=name or code, depot=depot_row)
        self.stdout.write(f"Feed {feed.code} created. Its key (shown once): {key}")
