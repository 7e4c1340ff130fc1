"""The tools a job can run: each maps a request onto job parameters and a Job onto one pipeline."""
import io
import json
import secrets
from dataclasses import dataclass, fields
from typing import Callable

from django.conf import settings
from PIL import Image

from inference.errors import ImageRejected, InferenceError
from inference.images import ImageHeader, LoadedImage, black_and_white, inspect_image, load_image
from inference.pipelines.colorize_options import check_gamut
from inference.pipelines.edit_options import EditOptions, strokes_from_json
from inference.pipelines.hints import parse_hints
from inference.pipelines.sketch_options import check_style
from inference.pipelines.upscale_options import check_output_size, is_sampler
from inference.registry import ModelSpec, get_spec, specs_for_task

from .access import valid_uuids

Progress = Callable[[float, str], None]

GREY_NOTICE = "This photo was in colour; it was converted to grey before colorizing."


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    task: str
    # (request POST data, request) -> job params (raises InferenceError with a message for the page)
    read_params: Callable[[dict, object], dict]
    # validated upload -> (image to keep as the job's original, notice for the page); runs in the worker
    # (open_original), never in the web process
    prepare: Callable[[LoadedImage], tuple[Image.Image, str]]
    # job, original, progress -> result image, or every picture a sampler drew (the first is the result);
    # runs in the worker
    render: Callable[["object", Image.Image, Progress], Image.Image | list[Image.Image]]
    # (the upload's (width, height) from its header, model spec) -> nothing; raises InferenceError with a
    # sentence when this image cannot go through this model (refused before anything is stored or queued)
    check_input: Callable[[tuple[int, int], ModelSpec], None] = lambda size, spec: None

    def models(self) -> list[ModelSpec]:
        return [spec for spec in specs_for_task(self.task) if "part_of" not in spec.options]

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
                f"The model {spec.name!r} is not installed. {spec.install_help}"
            )
        return spec


# Colorize

def _colorize_params(data: dict, request=None) -> dict:
    try:
        hints = parse_hints(json.loads(data.get("hints") or "[]"))
    except json.JSONDecodeError:
        raise InferenceError("The colour hints are not valid JSON.") from None
    params = {"gamut": check_gamut(data.get("gamut"))}
    if hints:
        params["hints"] = [h.as_dict() for h in hints]
    return params


def colorize_preview_settings(data: dict) -> dict:
    """Validated settings of one live Colorize preview (a socket message, frames.py): the model, the hints
    as a list, the gamut mapping, and "suggest": the index of the hint whose colours to suggest, or None."""
    spec = TOOLS["colorize"].check_model(str(data.get("model", "")))
    hints = parse_hints(data.get("hints"))
    suggest = data.get("suggest")
    if suggest is not None:
        if isinstance(suggest, bool) or not isinstance(suggest, int) or not 0 <= suggest < len(hints):
            raise InferenceError("\"suggest\" must be the number of one of the hints (counting from 0).")
        if spec.arch != "siggraph17":
            raise InferenceError(f"{spec.title} takes no colour hints, so it suggests no colours.")
    return {"model": spec.name, "hints": [h.as_dict() for h in hints], "gamut": check_gamut(data.get("gamut")),
            "suggest": suggest}


def _colorize_prepare(loaded: LoadedImage) -> tuple[Image.Image, str]:
    return black_and_white(loaded), GREY_NOTICE if loaded.was_colour else ""


def _render_colorize(job, image: Image.Image, progress: Progress) -> Image.Image:
    # torch loads here, in the worker child, never in the web process or before the fork.
    from inference.engine import load_nets
    from inference.pipelines.colorize import ColorizeOptions, render

    # Jobs from before the gamut option have none: they ran with the default.
    options = ColorizeOptions(hints=tuple(parse_hints(job.params.get("hints", []))),
                              gamut=check_gamut(job.params.get("gamut")))
    return render(image, load_nets(get_spec(job.model_name)), options, progress)


# Sketch

def sketch_options(data: dict) -> dict:
    """Validated pix2pix inference options from a request or a socket message."""
    norm = data.get("norm") or "official"
    if norm not in ("official", "eval"):
        raise InferenceError("norm must be 'official' (per-image statistics) or 'eval' (running statistics).")
    direction = data.get("direction") or "AtoB"
    if direction not in ("AtoB", "BtoA"):
        raise InferenceError("direction must be AtoB or BtoA.")
    # Dropout is only on when asked for: with norm "eval" that is test.py --eval;
    # with "official" it is the stable live picture (the page always sends its checkbox).
    dropout = data.get("dropout", False)
    if isinstance(dropout, str):
        dropout = dropout.lower() in ("1", "true", "on", "yes")
    elif not isinstance(dropout, bool) and dropout is not None:
        raise InferenceError("dropout must be true or false.")
    seed = data.get("seed")
    if seed in ("", None):
        seed = None
    else:
        if isinstance(seed, (bool, float, list, dict)):
            raise InferenceError("seed must be a whole number.")
        try:
            seed = int(seed)
        except (TypeError, ValueError, OverflowError):
            raise InferenceError("seed must be a whole number.") from None
        if not 0 <= seed < 2**31:
            raise InferenceError("seed must be between 0 and 2147483647.")
    # The colours of a style-conditioned model: an object on the socket, its JSON in a form; checked
    # against the materials the model knows (an unknown model is the model check's to refuse).
    style = data.get("style") or {}
    if isinstance(style, str):
        try:
            style = json.loads(style)
        except ValueError:
            raise InferenceError('style must map materials to colours, like {"sky": "#88aadd"}.') from None
    try:
        materials = get_spec(str(data.get("model") or "")).options.get("style") or ()
    except InferenceError:
        materials = None
    options = {"norm": norm, "dropout": bool(dropout), "direction": direction, "seed": seed}
    style = check_style(style, materials)
    if style:  # kept only when given: jobs and gallery settings of other models stay as they were
        options["style"] = style
    return options


def _sketch_prepare(loaded: LoadedImage) -> tuple[Image.Image, str]:
    return loaded.image.convert("RGB"), ""


def _render_sketch(job, image: Image.Image, progress: Progress) -> Image.Image:
    from inference.engine import load_nets
    from inference.pipelines.sketch import SketchOptions, render

    return render(image, load_nets(get_spec(job.model_name)), SketchOptions(**job.params), progress)


# Stylize

def stylize_blend(data, *, user, visitor: str | None):
    """A validated Blend whose style images all belong to this person."""
    from inference.pipelines.style_blend import parse_blend

    from .models import StyleImage

    blend = parse_blend(data, TOOLS["stylize"].check_model)
    spec = TOOLS["stylize"].check_model(blend.model)
    if spec.arch == "adain":
        TOOLS["stylize"].check_model(spec.options.get("encoder", "adain-vgg"))  # the decoder needs its encoder
        keys = blend.style_keys
        mine = StyleImage.objects.owned_by(user, visitor).filter(pk__in=valid_uuids(keys)).count()
        if mine != len(keys):
            raise InferenceError("One of the style images is not yours or no longer exists.")
    return blend


def _stylize_params(data: dict, request) -> dict:
    from .visitors import visitor_token

    try:
        raw = json.loads(data.get("blend") or "{}")
    except json.JSONDecodeError:
        raise InferenceError("The blend is not valid JSON.") from None
    return stylize_blend(raw, user=request.user, visitor=visitor_token(request)).as_dict()


def _stylize_prepare(loaded: LoadedImage) -> tuple[Image.Image, str]:
    return loaded.image, ""


def open_style_image(key: str) -> Image.Image:
    from .models import StyleImage

    style = StyleImage.objects.filter(pk__in=valid_uuids([key])).first()
    if style is None:
        raise InferenceError("A style image of this blend was deleted; choose the styles again.")
    return style.open()


def stylize_image(image: Image.Image, blend: dict, *, max_side: int | None = None, tile: int = 1024,
                  progress: Progress | None = None) -> Image.Image:
    """Paint ``image`` with a blend (as a job or a preview keeps it): full renders and live previews alike."""
    from inference.engine import load_nets, style_statistics
    from inference.pipelines.style_blend import blend_options, parse_blend
    from inference.pipelines.stylize import render

    parsed = parse_blend(blend, TOOLS["stylize"].check_model)
    nets = load_nets(get_spec(parsed.model))

    def statistics(key: str):
        return style_statistics(nets, key, lambda: open_style_image(key))

    return render(image, nets, blend_options(parsed, nets, statistics, max_side=max_side, tile=tile), progress)


def _render_stylize(job, image: Image.Image, progress: Progress) -> Image.Image:
    return stylize_image(image, job.params, progress=progress)


# Upscale

def _upscale_params(data: dict, request=None) -> dict:
    spec = TOOLS["upscale"].check_model(data.get("model") or "")
    if not is_sampler(spec):
        return {}
    temperature = _number(data, "temperature", 0.8, float, "The temperature")
    if not 0.0 <= temperature <= 2.0:
        raise InferenceError("The temperature must be between 0 and 2.")
    samples = _number(data, "samples", 4, int, "The number of samples")
    if not 1 <= samples <= 8:
        raise InferenceError("The number of samples must be between 1 and 8.")
    # A seed chosen now and kept: a re-run draws the same samples.
    seed = _number(data, "seed", secrets.randbelow(2**31 - 8), int, "The seed")
    if not 0 <= seed < 2**31 - 8:
        raise InferenceError("The seed must be between 0 and 2147483639.")
    return {"temperature": temperature, "samples": samples, "seed": seed}


def _number(data: dict, key: str, default, kind, label: str):
    value = data.get(key)
    if value in ("", None):
        return default
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise InferenceError(f"{label} must be a {'whole ' if kind is int else ''}number.") from None
    if number != number:  # NaN
        raise InferenceError(f"{label} must be a number.")
    return number


def _check_upscale_input(size: tuple[int, int], spec: ModelSpec) -> None:
    if is_sampler(spec):
        return  # PRSR draws a fixed small size whatever the input
    # The header's size: EXIF orientation may swap the sides, never change their product.
    check_output_size(size, int(spec.options.get("scale", 4)),
                      int(settings.UPSCALE_MAX_OUTPUT_MEGAPIXELS * 1_000_000))


def _render_upscale(job, image: Image.Image, progress: Progress) -> list[Image.Image]:
    import torch

    from inference.engine import load_nets
    from inference.pipelines.upscale import UpscaleOptions, render_samples

    spec = get_spec(job.model_name)
    threads = torch.get_num_threads()
    if is_sampler(spec):
        # Thousands of tiny steps: on a busy 2-core CPU two intra-op threads measured 16x slower than one.
        torch.set_num_threads(1)
    try:
        return render_samples(image, load_nets(spec), UpscaleOptions(**job.params), progress)
    finally:
        torch.set_num_threads(threads)


# Edit

# Strokes a saved edit may hold: each is a few gradient steps in the worker, so this bounds a job's time.
EDIT_MAX_STROKES = 2000
# Brush settings a request may choose (EditOptions' names), with their bounds; the rest keep their defaults.
EDIT_SETTINGS = {"steps": (int, 1, 20), "step_size": (float, 0.0, 100.0)}


def edit_settings(data: dict) -> dict:
    """Every EditOptions setting but the strokes and the start, validated (defaults filled in, so a
    re-run uses the settings of its day even if the defaults change)."""
    settings_ = _edit_defaults()
    for key, (kind, low, high) in EDIT_SETTINGS.items():
        label = key.replace("_", " ").capitalize()
        value = _number(data, key, settings_[key], kind, label)
        if not low <= value <= high:
            raise InferenceError(f"{label} must be between {low:g} and {high:g}.")
        settings_[key] = value
    return settings_


def _edit_defaults() -> dict:
    return {f.name: f.default for f in fields(EditOptions) if f.name not in ("strokes", "seed", "mix_seed", "mix")}


def edit_seed(data: dict, key: str = "seed") -> int | None:
    """The random face an edit starts from (or, with key "mix_seed", mixes towards), or None (it starts from its
    photo; no mix)."""
    label = "The seed" if key == "seed" else "The second face's seed"
    seed = data.get(key)
    if seed in ("", None):
        return None
    if isinstance(seed, (bool, float, list, dict)):
        raise InferenceError(f"{label} must be a whole number.")
    seed = _number(data, key, None, int, label)
    if not 0 <= seed < 2**31:
        raise InferenceError(f"{label} must be between 0 and 2147483647.")
    return seed


def edit_mix(data: dict) -> dict:
    """The interpolation slider: {"mix_seed": the second random face or None, "mix": 0 (the start) to 1 (that face)}."""
    mix_seed = edit_seed(data, "mix_seed")
    mix = data.get("mix")
    if isinstance(mix, (bool, list, dict)):
        raise InferenceError("The mix must be a number from 0 to 1.")
    mix = _number(data, "mix", 0.0, float, "The mix")
    if not 0.0 <= mix <= 1.0:
        raise InferenceError("The mix must be a number from 0 to 1.")
    return {"mix_seed": mix_seed, "mix": mix if mix_seed is not None else 0.0}


def edit_strokes(raw) -> list[dict]:
    """Strokes from their JSON form (inference.pipelines.edit_options.strokes_from_json), in canonical form:
    [{"points": [[x, y], ...], "colour": [r, g, b], "radius": r}, ...]."""
    try:
        strokes = strokes_from_json(raw)
    except ValueError as exc:
        raise InferenceError(f"The strokes are not valid: {exc}.") from None
    if len(strokes) > EDIT_MAX_STROKES:
        raise InferenceError(f"An edit holds at most {EDIT_MAX_STROKES} strokes.")
    return [{"points": [list(p) for p in s.points], "colour": list(s.colour), "radius": s.radius} for s in strokes]


def _edit_params(data: dict, request=None) -> dict:
    try:
        raw = json.loads(data.get("strokes") or "[]")
    except json.JSONDecodeError:
        raise InferenceError("The strokes are not valid JSON.") from None
    return {"seed": edit_seed(data), **edit_mix(data), "strokes": edit_strokes(raw), **edit_settings(data)}


def edit_options(params: dict):
    """EditOptions from a job's (or a live socket's) validated parameters."""
    settings_ = {key: value for key, value in params.items() if key not in ("strokes", "seed")}
    return EditOptions(strokes=strokes_from_json(params.get("strokes", [])), seed=params.get("seed"), **settings_)


def _edit_prepare(loaded: LoadedImage) -> tuple[Image.Image, str]:
    return loaded.image.convert("RGB"), ""


def _render_edit(job, image: Image.Image, progress: Progress) -> Image.Image:
    from inference.engine import load_nets
    from inference.pipelines.edit import render

    return render(image, load_nets(get_spec(job.model_name)), edit_options(job.params), progress)


TOOLS: dict[str, Tool] = {
    "colorize": Tool(name="colorize", title="Colorize", task="colorize", read_params=_colorize_params,
                     prepare=_colorize_prepare, render=_render_colorize),
    "sketch": Tool(name="sketch", title="Sketch", task="sketch", read_params=lambda data, request: sketch_options(data),
                   prepare=_sketch_prepare, render=_render_sketch),
    "stylize": Tool(name="stylize", title="Stylize", task="stylize", read_params=_stylize_params,
                    prepare=_stylize_prepare, render=_render_stylize),
    "upscale": Tool(name="upscale", title="Upscale", task="upscale", read_params=_upscale_params,
                    prepare=_sketch_prepare, render=_render_upscale, check_input=_check_upscale_input),
    "edit": Tool(name="edit", title="Edit", task="edit", read_params=_edit_params, prepare=_edit_prepare,
                 render=_render_edit),
}


# Chaining: a finished result becomes the input of another tool, without leaving the server.

def chained_input(parent, sample: int) -> tuple[bytes, ImageHeader]:
    """Picture `sample` of the finished job `parent` (already checked to be the requester's), checked as an
    upload is (no pixels decoded here: the new job's worker does that), with its header; InferenceError with
    a sentence when there is no such picture or it would not be accepted."""
    from .uploads import limits

    field = parent.sample_file(sample) if parent.status == parent.Status.DONE else None
    if field is None:
        raise InferenceError("That result does not exist (yet): only a finished job's pictures can be chained.")
    try:
        with field.open("rb") as f:
            data = f.read(limits()["max_bytes"] + 1)
        return data, inspect_image(data, **limits())
    except ImageRejected as exc:
        raise InferenceError(f"That result cannot be used as an input: {exc}") from None


def open_original(job) -> Image.Image:
    """The job's picture, ready for its tool. An upload still as it came is decoded and prepared
    here, in the worker (the web process only checked its header and structure), and its prepared
    PNG then replaces it. A file that fails to decode raises ImageRejected, whose sentence the job
    fails with (an InferenceError, so ``tasks._render`` shows it as it is)."""
    if job.original_prepared:
        with job.original.open("rb") as f:
            image = Image.open(io.BytesIO(f.read()))
            image.load()
        return image
    from .models import JobCancelled
    from .uploads import limits

    with job.original.open("rb") as f:
        loaded = load_image(f, **limits())
    image, notice = TOOLS[job.tool].prepare(loaded)
    del loaded
    if not job.keep_prepared_original(image, notice):
        raise JobCancelled(str(job.pk))
    return image
