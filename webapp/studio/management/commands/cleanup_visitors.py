from django.conf import settings
from django.core.management.base import BaseCommand

from webapp.studio.cleanup import cleanup_visitors


class Command(BaseCommand):
    help = "Delete anonymous visitors' unclaimed jobs and style images (and their files) once they are idle."

    def add_arguments(self, parser):
        parser.add_argument("--max-age-days", type=float, default=settings.VISITOR_MAX_AGE_S / 86400,
                            help="idle time after which a visitor's work goes (VISITOR_MAX_AGE_DAYS)")

    def handle(self, *args, max_age_days: float, **options):
        deleted = cleanup_visitors(max_age_days * 86400)
        self.stdout.write(", ".join(f"{count} {kind}" for kind, count in deleted.items()) + " deleted.")
