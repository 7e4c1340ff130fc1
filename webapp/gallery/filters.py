"""What the gallery grid shows: one tool and/or one album, newest or oldest first.

Read from the query string (the filter form) and from the hidden fields of the bulk form, so an
action on selected results comes back to the same filtered page; unknown values mean "all".
"""
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from webapp.studio.access import valid_uuids
from webapp.studio.tools import TOOLS

from .models import Album, Item

SORTS = {"newest": "Newest first", "oldest": "Oldest first"}


@dataclass(frozen=True)
class Filters:
    tool: str = ""
    album: Album | None = None
    sort: str = "newest"

    @classmethod
    def read(cls, data, user) -> "Filters":
        tool = data.get("tool", "")
        album_ids = valid_uuids([data.get("album", "")])
        album = Album.objects.owned_by(user).filter(pk__in=album_ids).first() if album_ids else None
        sort = data.get("sort", "")
        return cls(tool=tool if tool in TOOLS else "", album=album, sort=sort if sort in SORTS else "newest")

    def items(self, user):
        return Item.objects.owned_by(user).filtered(tool=self.tool, album=self.album,
                                                    oldest_first=self.sort == "oldest")

    @property
    def active(self) -> bool:
        return bool(self.tool or self.album)

    @property
    def query_prefix(self) -> str:
        """The filters as query parameters, ending in "&" when there are any: "?{prefix}page=2" keeps them."""
        pairs = {"tool": self.tool, "album": str(self.album.pk) if self.album else "",
                 "sort": "" if self.sort == "newest" else self.sort}
        query = urlencode({key: value for key, value in pairs.items() if value})
        return f"{query}&" if query else ""

    def url(self, page=None) -> str:
        """The gallery page with these filters (and this page number, when a whole number)."""
        query = self.query_prefix + (f"page={int(page)}" if str(page or "").isdigit() else "")
        return f"{reverse('gallery:index')}?{query.rstrip('&')}" if query else reverse("gallery:index")
