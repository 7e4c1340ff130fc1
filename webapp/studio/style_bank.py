"""The styles a person can pick on the Stylize page, grouped by the network that paints them."""
import logging

from django.core.cache import cache
from django.urls import reverse

from inference.modelspec import install_help
from inference.pipelines.style_blend import STYLE_ARCHS
from inference.style_previews import missing_previews, preview_path, style_keys

from .access import mine
from .models import StyleImage
from .tools import TOOLS

log = logging.getLogger(__name__)


def style_bank(request) -> list[dict]:
    """One group per style network: its styles with names and thumbnails, as the page's JSON."""
    groups = []
    for spec in TOOLS["stylize"].models():
        if spec.arch not in STYLE_ARCHS:
            continue
        group = {"model": spec.name, "title": spec.title, "arch": spec.arch, "installed": spec.installed,
                 "state": spec.state, "state_label": spec.state_label,
                 "install_command": spec.install_command, "install_help": spec.install_help,
                 "description": spec.description, "styles": []}
        previews = _previews(spec)
        if spec.arch == "multistyle":
            group["styles"] = [{"key": str(i), "name": style.get("name", f"style {i + 1}"),
                                "thumbnail": (reverse("model_style_thumbnail", args=[spec.name, i])
                                              if style.get("thumbnail") else None),
                                **previews.get(str(i), {})}
                               for i, style in enumerate(spec.options.get("styles", ()))]
        elif spec.arch == "single":
            group["styles"] = [{"key": "", "name": spec.options.get("style", spec.title), "thumbnail": None,
                                **previews.get("", {})}]
        else:
            group["styles"] = [style.as_choice() for style in mine(request, StyleImage)]
            encoder = spec.options.get("encoder")
            if encoder:
                from inference.registry import get_spec

                encoder_spec = get_spec(encoder)
                group["installed"] = spec.installed and encoder_spec.installed
                if not encoder_spec.installed:
                    group["install_command"] = f"{spec.install_command} {encoder}"
                    group["install_help"] = install_help([s for s in (spec, encoder_spec) if not s.installed])
        groups.append(group)
    return groups


def _previews(spec) -> dict[str, dict]:
    """Per style of an installed model: {"preview": its address, "preview_ready": whether it is rendered}.
    A worker is asked to render the missing ones (a model trained here, or installed before previews
    existed); the page loads them when they are there."""
    if not spec.installed or not style_keys(spec):
        return {}
    missing = missing_previews(spec)
    if missing:
        _ask_for_previews(spec)
    version = preview_path(spec, style_keys(spec)[0]).parent.name[:12]  # the weights' hash: a new file, a new URL
    return {key: {"preview": f"{reverse('model_style_preview', args=[spec.name, key or 'style'])}?v={version}",
                  "preview_ready": key not in missing}
            for key in style_keys(spec)}


def _ask_for_previews(spec) -> None:
    from .tasks import render_style_previews

    try:
        # Once per weights file and ten minutes, whatever the number of page views.
        if cache.add(f"style-previews:{preview_path(spec, style_keys(spec)[0]).parent.name}", True, timeout=600):
            render_style_previews.apply_async(args=[spec.name], queue="batch")
    except Exception:  # a broker or cache outage must not stop the page: the cards show no preview yet
        log.warning("could not ask for the style previews of %s", spec.name, exc_info=True)
