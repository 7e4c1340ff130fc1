from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from webapp.studio.access import valid_uuids
from webapp.studio.events import publish
from webapp.studio.files import download_stem, image_response

from .access import owned
from .models import Album, Item, ShareLink

PAGE_SIZE = 24


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    items = Item.objects.owned_by(request.user).select_related("job")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "gallery/index.html", {"page": page})


@require_GET
@owned(Item, "item_id")
def item_detail(request: HttpRequest, item: Item) -> HttpResponse:
    return render(request, "gallery/item.html", {
        "item": item,
        "job": item.job,
        "albums": Album.objects.owned_by(request.user),
        "item_albums": set(item.albums.values_list("pk", flat=True)),
        "links": item.share_links.active(),
        "pictures": item.pictures(),
        "chain": item.chain(),
        "made_from_this": item.made_from_this(),
    })


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
        return render(request, "gallery/shared_item.html", {"link": link, "item": link.item, "job": link.item.job,
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
