"""`manage.py models list|fetch NAME|import NAME FILE|verify`: the model registry from the shell."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inference import registry
from inference.errors import InferenceError


class Command(BaseCommand):
    help = "List, download, import and verify model weights."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every registry entry with its install state")
        fetch = sub.add_parser("fetch", help="download a model from its source URL and check its sha256")
        fetch.add_argument("names", nargs="*", metavar="NAME", help="model names (default: the default models)")
        imp = sub.add_parser("import", help="install a weights file you already have")
        imp.add_argument("name", metavar="NAME")
        imp.add_argument("file", metavar="FILE", type=Path)
        verify = sub.add_parser("verify", help="check installed files: hash and loadable layout")
        verify.add_argument("names", nargs="*", metavar="NAME")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except InferenceError as exc:
            raise CommandError(str(exc)) from exc

    def do_list(self, **_):
        for spec in registry.all_models():
            state = self.style.SUCCESS("installed") if spec.installed else self.style.WARNING("missing")
            sha = spec.sha256 or (f"{spec.sha256_prefix}… (prefix)" if spec.sha256_prefix else "unpublished")
            self.stdout.write(f"{spec.name:<14} {state:<20} {spec.family}/{spec.task}  input {spec.input_size}px  "
                              f"{spec.licence}\n    {spec.url}\n    sha256 {sha}")

    def do_fetch(self, names, **_):
        specs = [registry.get_spec(n) for n in names] or [s for s in registry.all_models() if s.default and not s.bundled]
        for spec in specs:
            if spec.installed and not names:
                continue
            self.stdout.write(f"Fetching {spec.name} from {spec.url}")
            path = registry.fetch(spec)
            self.stdout.write(self.style.SUCCESS(f"Installed {spec.name} at {path}"))

    def do_import(self, name, file, **_):
        spec = registry.get_spec(name)
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        path, official = registry.import_file(spec, file)
        self.stdout.write(self.style.SUCCESS(f"Installed {spec.name} at {path}"))
        if not official:
            self.stdout.write(self.style.WARNING(
                "Its sha256 differs from the published file: it loads in the right layout, "
                "but it is not the official release."))

    def do_verify(self, names, **_):
        specs = [registry.get_spec(n) for n in names] or registry.all_models()
        failed = False
        for spec in specs:
            ok, message = registry.verify(spec)
            style = self.style.SUCCESS if ok else self.style.ERROR
            self.stdout.write(f"{spec.name:<14} {style(message)}")
            failed |= not ok and spec.installed
        if failed:
            raise CommandError("Some installed models failed verification.")
