"""The styles a person can pick on the Stylize page, grouped by the network that paints them."""
from django.urls import reverse

from inference.pipelines.style_blend import STYLE_ARCHS

from .access import mine
from .models import StyleImage
from .tools import TOOLS


def style_bank(request) -> list[dict]:
    """One group per style network: its styles with names and thumbnails, as the page's JSON."""
    groups = []
    for spec in TOOLS["stylize"].models():
        if spec.arch not in STYLE_ARCHS:
            continue
        group = {"model": spec.name, "title": spec.title, "arch": spec.arch, "installed": spec.installed,
                 "install_command": spec.install_command, "description": spec.description, "styles": []}
        if spec.arch == "multistyle":
            group["styles"] = [{"key": str(i), "name": style.get("name", f"style {i + 1}"),
                                "thumbnail": (reverse("model_style_thumbnail", args=[spec.name, i])
                                              if style.get("thumbnail") else None)}
                               for i, style in enumerate(spec.options.get("styles", ()))]
        elif spec.arch == "single":
            group["styles"] = [{"key": "", "name": spec.options.get("style", spec.title), "thumbnail": None}]
        else:
            group["styles"] = [style.as_choice() for style in mine(request, StyleImage)]
            encoder = spec.options.get("encoder")
            if encoder:
                from inference.registry import get_spec

                encoder_spec = get_spec(encoder)
                group["installed"] = spec.installed and encoder_spec.installed
                if not encoder_spec.installed:
                    group["install_command"] = f"{spec.install_command} {encoder}"
        groups.append(group)
    return groups
