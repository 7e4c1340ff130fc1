"""`manage.py models list|fetch NAME|import NAME FILE|verify`: the model registry from the shell.

`import --json` prints one JSON object instead of sentences: the Models page's
upload runs this very command on the uploaded file (the web process never
loads torch), and reads the outcome from it.
"""
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inference import registry
from inference.errors import CheckpointError, InferenceError
from inference.style_previews import render_previews_or_warn


class Command(BaseCommand):
    help = "List, download, import and verify model weights."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every registry entry with its install state")
        fetch = sub.add_parser("fetch", help="download a model from its source URL and check its sha256")
        fetch.add_argument("names", nargs="*", metavar="NAME", help="model names (default: the default models)")
        imp = sub.add_parser("import", help="install a weights file you already have (e.g. downloaded by hand)")
        imp.add_argument("name", metavar="NAME")
        imp.add_argument("file", metavar="FILE", type=Path)
        imp.add_argument("--json", dest="as_json", action="store_true", help="print the outcome as one JSON object")
        verify = sub.add_parser("verify", help="check installed files: hash and loadable layout (exit 1 when a "
                                               "file is broken or a model named here is missing)")
        verify.add_argument("names", nargs="*", metavar="NAME")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except InferenceError as exc:
            if options.get("as_json"):
                self.stdout.write(json.dumps({"ok": False, "message": str(exc)}))
                raise SystemExit(1) from None
            raise CommandError(str(exc)) from exc

    def do_list(self, **_):
        for spec in registry.all_models():
            state = spec.state_label
            state = self.style.SUCCESS(state) if spec.state in ("official", "installed") else self.style.WARNING(state)
            sha = spec.sha256 or (f"{spec.sha256_prefix}… (prefix)" if spec.sha256_prefix else "unpublished")
            where = f"\n    file {spec.path.name}" if spec.state == "not official" else ""
            source = spec.url or ("bundled with Atelier" if spec.bundled else "trained on this machine")
            self.stdout.write(f"{spec.name:<19} {state:<32} {spec.family}/{spec.task}  input {spec.input_size}px  "
                              f"{spec.licence}\n    {source}\n    sha256 {sha}{where}")

    def do_fetch(self, names, **_):
        specs = [registry.get_spec(n) for n in names] or [s for s in registry.all_models() if s.default and not s.bundled]
        for spec in specs:
            if spec.installed and not names:
                continue
            self.stdout.write(f"Fetching {spec.name} from {spec.url}")
            try:
                path = registry.fetch(spec)
            except InferenceError as exc:
                raise CommandError(f"{exc} {spec.install_help}") from exc
            self.stdout.write(self.style.SUCCESS(f"Installed {spec.name} at {path}"))
            self.previews(spec)

    def do_import(self, name, file, as_json=False, **_):
        spec = registry.get_spec(name)
        if not file.is_file():
            raise InferenceError(f"No such file: {file}")
        try:
            path, official = registry.import_file(spec, file)
        except CheckpointError as exc:
            raise InferenceError(f"This file cannot be installed as {spec.title} ({spec.name}): {exc}") from exc
        warning = render_previews_or_warn(spec)
        if official or not spec.has_published_hash:
            message = f"Installed {spec.name} at {path}."
        else:
            message = (f"Installed {spec.name} at {path}: installed, not the official file. Its sha256 differs "
                       f"from the published file; it loads in the right layout, so it is kept under its own hash.")
        if as_json:
            self.stdout.write(json.dumps({"ok": True, "message": message, "state": spec.state,
                                           "state_label": spec.state_label, "path": str(path),
                                           "warning": warning or ""}))
            return
        self.stdout.write(self.style.SUCCESS(message) if official else self.style.WARNING(message))
        if warning:
            self.stderr.write(self.style.WARNING(warning))

    def previews(self, spec):
        warning = render_previews_or_warn(spec)
        if warning:
            self.stderr.write(self.style.WARNING(warning))

    def do_verify(self, names, **_):
        specs = [registry.get_spec(n) for n in names] or registry.all_models()
        failed = False
        for spec in specs:
            result = registry.verify(spec)
            style = {"official": self.style.SUCCESS, "installed": self.style.SUCCESS,
                     "not official": self.style.WARNING}.get(result.state, self.style.ERROR)
            self.stdout.write(f"{spec.name:<14} {style(result.message)}")
            # A model not named is listed as missing but does not fail: most are optional.
            failed |= result.state == "broken" or (result.state == "missing" and bool(names))
        if failed:
            raise CommandError("Some models failed verification: a file does not load, or a model named is missing.")
