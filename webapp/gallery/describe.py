"""A kept result in words: its title ("Sketch · landscape-sketch · 30 Nov 14:02") and its settings as
labels ("Normalisation: official"), from one table per tool.

Each tool's table names every key its `read_params` writes into `Job.params` (a test checks them all);
a key no table knows (a job from an older or newer version) still reads as "Key: value", never as a raw dict.
"""
from dataclasses import dataclass
from typing import Callable

from django.utils import timezone

from inference.errors import InferenceError
from inference.registry import get_spec
from webapp.studio.access import valid_uuids
from webapp.studio.models import StyleImage
from webapp.studio.tools import TOOLS

# How a value reads: text, or None when there is nothing worth showing (a default, a part shown elsewhere).
Show = Callable[[object, object], str | None]


def job_title(job) -> str:
    """What a result is, for headings, captions and alt text: tool · model · local date and time."""
    return f"{job_what(job)} · {job_when(job)}"


def job_what(job) -> str:
    """The title's first part: "Sketch · landscape-sketch"."""
    tool = TOOLS[job.tool].title if job.tool in TOOLS else job.tool.capitalize()
    return f"{tool} · {job.model_name}"


def job_when(job) -> str:
    """The title's date, "30 Nov 14:02", in the site's time zone (pages re-write it in the browser's)."""
    when = timezone.localtime(job.created_at)
    return f"{when.day} {when:%b %H:%M}"


def settings_labels(job) -> list[str]:
    """The job's settings as "Label: value" lines, in its tool's order; the unknown ones last."""
    table = SETTINGS.get(job.tool, {})
    params = job.params if isinstance(job.params, dict) else {}
    lines = []
    for key in [k for k in table if k in params] + [k for k in params if k not in table]:
        setting = table.get(key) or Setting(key.replace("_", " ").capitalize())
        text = setting.show(params[key], job)
        if text is not None:
            lines.append(f"{setting.label}: {text}")
    return lines


def _number(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return f"{value:g}"


def _plain(value, job=None) -> str | None:
    if value is None or value == {} or value == []:
        return None
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return str(len(value))
    if isinstance(value, dict):
        return ", ".join(f"{k} {_plain(v) or ''}".strip() for k, v in value.items())
    return _number(value)


@dataclass(frozen=True)
class Setting:
    label: str
    show: Show = _plain


def _choice(names: dict[str, str]) -> Show:
    return lambda value, job: names.get(value, str(value))


def _hidden(value, job) -> None:
    return None


def _count(value, job) -> str | None:
    return str(len(value)) if isinstance(value, (list, tuple)) and value else None


def _percent(value, job) -> str:
    return f"{round(float(value) * 100)} %" if isinstance(value, (int, float)) else str(value)


# Stylize

def _style_names(job) -> dict[str, str]:
    """A blend's style keys → names: the multi-style net's own styles, or the owner's style images."""
    try:
        spec = get_spec(job.params.get("model") or job.model_name)
    except InferenceError:
        return {}
    if spec.arch == "multistyle":
        return {str(i): style["name"] for i, style in enumerate(spec.options.get("styles", ()))}
    if spec.arch == "adain":
        keys = list((job.params.get("weights") or {}).keys())
        mine = StyleImage.objects.filter(pk__in=valid_uuids(keys), owner_id=job.owner_id, visitor=job.visitor)
        return {str(style.pk): style.name for style in mine}
    return {}


def _styles(value, job) -> str | None:
    if not isinstance(value, dict) or not value:
        # A single-style network: the style is the network's own.
        try:
            return get_spec(job.params.get("model") or job.model_name).options.get("style")
        except InferenceError:
            return None
    names, total = _style_names(job), sum(value.values()) or 1
    return ", ".join(f"{names.get(key, 'a deleted style')} {round(100 * weight / total)} %"
                     for key, weight in sorted(value.items(), key=lambda kv: -kv[1]))


# Edit

def _start(value, job) -> str:
    return "the photo" if value is None else f"random face (seed {value})"


def _mix(value, job) -> str | None:
    towards = job.params.get("mix_seed")
    if towards is None or not value:
        return None
    return f"{_percent(value, job)} towards random face (seed {towards})"


SETTINGS: dict[str, dict[str, Setting]] = {
    "colorize": {
        "hints": Setting("Colour hints", _count),
        "gamut": Setting("Out-of-gamut colours", _choice({"preserve-luminance": "keep the photo's lightness",
                                                          "clip": "clip each channel (official)"})),
    },
    "sketch": {
        "norm": Setting("Normalisation", _choice({"official": "official", "eval": "eval (running statistics)"})),
        "dropout": Setting("Dropout"),
        "direction": Setting("Direction", _choice({"AtoB": "A → B", "BtoA": "B → A"})),
        "seed": Setting("Seed"),
        "style": Setting("Colours"),  # "sky #7ea7dc, water #3c6e8c"; none given: not shown
    },
    "stylize": {
        "model": Setting("Model", _hidden),  # the same as the job's model, shown as such
        "weights": Setting("Styles", _styles),
        "strength": Setting("Strength", _percent),
        "preserve_colour": Setting("Colours", _choice({"none": "the style's", "luminance": "the photo's (luminance)",
                                                       "match": "the photo's (matched statistics)"})),
    },
    "upscale": {
        "temperature": Setting("Temperature"),
        "samples": Setting("Samples"),
        "seed": Setting("Seed"),
    },
    "edit": {
        "seed": Setting("Start", _start),
        "mix": Setting("Mix", _mix),
        "mix_seed": Setting("Mix towards", _hidden),  # read with the mix
        "strokes": Setting("Strokes", _count),
        "steps": Setting("Steps per stroke"),
        "step_size": Setting("Step size"),
        "mask_sigma": Setting("Mask blur", lambda value, job: f"{_number(value)} px"),
        "mask_gain": Setting("Mask gain"),
        "mask_floor": Setting("Mask floor"),
    },
}
