"""The tools a job can run: each one maps a Job onto one `inference` pipeline."""
import io
from dataclasses import dataclass
from typing import Callable

from PIL import Image

from inference.errors import InferenceError
from inference.pipelines.hints import parse_hints
from inference.registry import ModelSpec, get_spec, specs_for_task

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    task: str
    render: Callable[["object", Image.Image, Progress], Image.Image]

    def models(self) -> list[ModelSpec]:
        return specs_for_task(self.task)

    def default_model(self) -> ModelSpec | None:
        specs = self.models()
        installed = [s for s in specs if s.installed]
        return (installed or specs or [None])[0]

    def check_model(self, name: str) -> ModelSpec:
        """The spec of an installed model of this tool; InferenceError with the fix otherwise."""
        try:
            spec = get_spec(name)
        except InferenceError:
            raise InferenceError(f"Unknown model {name!r} for {self.title}.") from None
        if spec.task != self.task:
            raise InferenceError(f"The model {name!r} is not a {self.title} model.")
        if not spec.installed:
            raise InferenceError(
                f"The model {spec.name!r} is not installed. Install it with: {spec.install_command}"
            )
        return spec


def _render_colorize(job, image: Image.Image, progress: Progress) -> Image.Image:
    # torch loads here, in the worker child, never in the web process or before the fork.
    from inference.engine import load_net
    from inference.pipelines.colorize import colorize

    spec = get_spec(job.model_name)
    net = load_net(spec)
    hints = parse_hints(job.params.get("hints", []))
    return colorize(image, net, hints=hints, input_size=spec.input_size, progress=progress)


TOOLS: dict[str, Tool] = {
    "colorize": Tool(name="colorize", title="Colorize", task="colorize", render=_render_colorize),
}


def open_original(job) -> Image.Image:
    with job.original.open("rb") as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image
