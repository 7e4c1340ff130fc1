"""`manage.py train NAME ...`: the same trainers, options and exit codes as `python -m inference train NAME ...`."""
from django.core.management.base import BaseCommand, CommandError

from inference.cli import main as inference_main


class Command(BaseCommand):
    help = ("Train a network (pix2pix, stylize, adain) and install it into the model registry. "
            "Exit codes: 0 trained, 1 the run failed, 2 bad option, 130 interrupted (--resume continues); "
            "see 'python manage.py train NAME --help'.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("args", nargs="...", help="trainer name and its options; see --help of each")
        return parser

    def run_from_argv(self, argv):
        # Options belong to the trainer, so skip Django's parsing and hand them over whole.
        code = inference_main(["train", *argv[2:]])
        if code:
            raise SystemExit(code)

    def handle(self, *args, **options):
        raise CommandError("Run as: python manage.py train NAME [options]")
