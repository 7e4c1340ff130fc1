from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from webapp.studio.access import valid_uuids
from webapp.studio.events import publish
from webapp.studio.files import download_stem, image_response
from webapp.studio.tools import TOOLS

from .access import owned
from .filters import SORTS, Filters
from .models import CAPTION_MAX, Album, Item, ShareLink

PAGE_SIZE = 24


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    filters = Filters.read(request.GET, request.user)
    page = Paginator(filters.items(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "gallery/index.html", {
        "page": page, "filters": filters, "tools": TOOLS.values(), "sorts": SORTS.items(),
        "albums": Album.objects.owned_by(request.user),
    })


@require_POST
@login_required
def bulk(request: HttpRequest) -> HttpResponse:
    """Delete the selected results, or add them to (or take them out of) an album. Only the requester's
    own results are touched: anyone else's ids in the form are ignored."""
    filters = Filters.read(request.POST, request.user)
    back = redirect(filters.url(request.POST.get("page")))
    items = Item.objects.owned_by(request.user).filter(pk__in=valid_uuids(request.POST.getlist("items")))
    count = items.count()
    if not count:
        messages.error(request, "Select at least one result first.")
        return back
    action = request.POST.get("action")
    if action == "delete":
        count = items.remove()
        messages.success(request, f"Deleted {_results(count)}.")
    elif action == "add_to_album":
        album = _chosen_album(request)
        if album is not None:
            album.items.add(*items)
            messages.success(request, f"Added {_results(count)} to “{album.name}”.")
    elif action == "remove_from_album" and filters.album is not None:
        filters.album.items.remove(*items)
        messages.success(request, f"Took {_results(count)} out of “{filters.album.name}”.")
    else:
        messages.error(request, "Choose what to do with the selected results.")
    return back


def _results(count: int) -> str:
    return f"{count} result{pluralize(count)}"


def _chosen_album(request: HttpRequest) -> Album | None:
    """The requester's album named in the bulk form: an existing one, or a new one by name; None
    (with a message) when neither was given."""
    name = " ".join(request.POST.get("new_album", "").split())[:100]
    if name:
        album, _ = Album.objects.get_or_create(owner=request.user, name=name)
        return album
    album = Album.objects.owned_by(request.user).filter(pk__in=valid_uuids([request.POST.get("to_album", "")])).first()
    if album is None:
        messages.error(request, "Choose one of your albums, or give a new album a name.")
    return album


@require_GET
@owned(Item, "item_id")
def item_detail(request: HttpRequest, item: Item) -> HttpResponse:
    return render(request, "gallery/item.html", {
        **_described(item),
        "caption_max": CAPTION_MAX,
        "albums": Album.objects.owned_by(request.user),
        "item_albums": set(item.albums.values_list("pk", flat=True)),
        "links": item.share_links.active(),
        "pictures": item.pictures(),
        "chain": item.chain(),
        "made_from_this": item.made_from_this(),
    })


def _described(item: Item) -> dict:
    """What the item pages say about a result: its title, tool and settings in words."""
    tool = TOOLS.get(item.job.tool)
    return {"item": item, "job": item.job, "tool_title": tool.title if tool else item.job.tool,
            "settings_labels": item.settings_labels()}


@require_GET
@owned(Item, "item_id")
def item_sample(request: HttpRequest, item: Item, index: int) -> HttpResponse:
    return _item_sample(request, item, index)


@require_GET
@owned(Item, "item_id")
def item_file(request: HttpRequest, item: Item, kind: str) -> HttpResponse:
    return _item_file(request, item, kind)


@require_POST
@owned(Item, "item_id")
def item_delete(request: HttpRequest, item: Item) -> HttpResponse:
    item.remove()
    messages.success(request, "The result was deleted.")
    return redirect("gallery:index")


@require_POST
@owned(Item, "item_id")
def item_rerun(request: HttpRequest, item: Item) -> HttpResponse:
    job = item.job.rerun(owner=request.user)
    publish(job)
    messages.success(request, "Re-running with the same settings: the new result appears below.")
    return redirect("tool", tool_name=job.tool)


@require_POST
@owned(Item, "item_id")
def item_share(request: HttpRequest, item: Item) -> HttpResponse:
    item.share()
    return redirect("gallery:item", item_id=item.pk)


@require_POST
@owned(Item, "item_id")
def item_caption(request: HttpRequest, item: Item) -> HttpResponse:
    item.set_caption(request.POST.get("caption", ""))
    messages.success(request, "Caption saved." if item.caption else "Caption removed.")
    return redirect("gallery:item", item_id=item.pk)


@require_POST
@owned(Item, "item_id")
def item_albums(request: HttpRequest, item: Item) -> HttpResponse:
    chosen = request.POST.getlist("albums")
    item.albums.set(Album.objects.owned_by(request.user).filter(pk__in=valid_uuids(chosen)))
    messages.success(request, "Albums updated.")
    return redirect("gallery:item", item_id=item.pk)


@login_required
def album_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        name = request.POST.get("name", "").strip()[:100]
        if not name:
            messages.error(request, "Give the album a name.")
        else:
            try:
                with transaction.atomic():  # a savepoint, so the duplicate doesn't poison the request
                    album = Album.objects.create(owner=request.user, name=name)
                return redirect("gallery:album", album_id=album.pk)
            except IntegrityError:
                messages.error(request, f"You already have an album called “{name}”.")
    albums = Album.objects.owned_by(request.user)
    return render(request, "gallery/albums.html", {"albums": albums})


@require_GET
@owned(Album, "album_id")
def album_detail(request: HttpRequest, album: Album) -> HttpResponse:
    return render(request, "gallery/album.html", {
        "album": album,
        "items": album.items.select_related("job").order_by("-created_at"),
        "links": album.share_links.active(),
    })


@require_POST
@owned(Album, "album_id")
def album_delete(request: HttpRequest, album: Album) -> HttpResponse:
    album.delete()
    messages.success(request, "The album was deleted; its results stay in your gallery.")
    return redirect("gallery:albums")


@require_POST
@owned(Album, "album_id")
def album_share(request: HttpRequest, album: Album) -> HttpResponse:
    album.share()
    return redirect("gallery:album", album_id=album.pk)


@require_POST
@owned(ShareLink, "link_id")
def link_revoke(request: HttpRequest, link: ShareLink) -> HttpResponse:
    link.revoke()
    messages.success(request, "The link was revoked: it now opens nothing.")
    if link.item_id:
        return redirect("gallery:item", item_id=link.item_id)
    return redirect("gallery:album", album_id=link.album_id)


# Read-only views behind a share link: no login, no ids that reach beyond the link.

def _active_link(token: str) -> ShareLink:
    link = ShareLink.objects.active().filter(token=token).select_related("item__job", "album").first()
    if link is None:
        raise Http404("This link does not exist or was revoked.")
    return link


# Shared pages and images are never kept by a browser or proxy: a revoked link must stop working at once.
@never_cache
@require_GET
def shared(request: HttpRequest, token: str) -> HttpResponse:
    link = _active_link(token)
    if link.item_id:
        pictures = [{"url": reverse("shared_sample", args=[token, link.item_id, index])}
                    for index in range(link.item.job.sample_count)]
        return render(request, "gallery/shared_item.html", {**_described(link.item), "link": link,
                                                            "pictures": pictures})
    return render(request, "gallery/shared_album.html", {"link": link, "album": link.album,
                                                          "items": link.shared_items()})


@never_cache
@require_GET
def shared_file(request: HttpRequest, token: str, item_id, kind: str) -> HttpResponse:
    return _item_file(request, _shared_item(token, item_id), kind)


@never_cache
@require_GET
def shared_sample(request: HttpRequest, token: str, item_id, index: int) -> HttpResponse:
    return _item_sample(request, _shared_item(token, item_id), index)


def _shared_item(token: str, item_id) -> Item:
    item = _active_link(token).shared_items().filter(pk=item_id).first()
    if item is None:
        raise Http404("Not part of this link.")
    return item


def _item_sample(request: HttpRequest, item: Item, index: int) -> HttpResponse:
    job = item.job
    field = job.sample_file(index)
    if field is None:
        raise Http404("No such picture.")
    download = download_stem(job.original_name, f"{job.tool}-{index + 1}") if request.GET.get("download") else None
    return image_response(field, fmt=request.GET.get("format"), download_name=download)


def _item_file(request: HttpRequest, item: Item, kind: str) -> HttpResponse:
    job = item.job
    field = {"original": job.original, "result": job.result, "thumbnail": job.thumbnail}.get(kind)
    if field is None:
        raise Http404("No such file.")
    download = download_stem(job.original_name, job.tool) if request.GET.get("download") else None
    return image_response(field, fmt=request.GET.get("format"), download_name=download)
