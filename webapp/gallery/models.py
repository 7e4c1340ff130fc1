"""Gallery items, albums and share links."""
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from webapp.accounts.ownership import OwnedQuerySet
from webapp.studio.models import Job

from .describe import job_title, job_what, job_when, settings_labels

CAPTION_MAX = 200


class ItemQuerySet(OwnedQuerySet):
    def filtered(self, *, tool: str = "", album: "Album | None" = None, oldest_first: bool = False) -> "ItemQuerySet":
        """These items of one tool and/or one album ("" and None: all), newest first unless asked otherwise."""
        items = self.select_related("job")
        if tool:
            items = items.filter(job__tool=tool)
        if album is not None:
            items = items.filter(albums=album)
        return items.order_by("created_at" if oldest_first else "-created_at")

    def remove(self) -> int:
        """Delete these items with their jobs and stored files (see Item.remove); returns how many."""
        with transaction.atomic():
            return Job.objects.filter(gallery_item__in=self).delete()[1].get(Item._meta.label, 0)


class Item(models.Model):
    """A kept result: one finished job of a signed-in user, with its inputs and settings."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gallery_items")
    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="gallery_item")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The owner's own words for it, shown with the title (and on share pages).
    caption = models.CharField(max_length=CAPTION_MAX, blank=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.job.tool} result {self.id}"

    @property
    def title(self) -> str:
        """What it is: "Sketch · landscape-sketch · 30 Nov 14:02"."""
        return job_title(self.job)

    @property
    def title_what(self) -> str:
        return job_what(self.job)

    @property
    def title_when(self) -> str:
        return job_when(self.job)

    def settings_labels(self) -> list[str]:
        return settings_labels(self.job)

    def set_caption(self, text: str) -> None:
        self.caption = " ".join(text.split())[:CAPTION_MAX]
        self.save(update_fields=["caption"])

    def get_absolute_url(self) -> str:
        return reverse("gallery:item", args=[self.pk])

    @classmethod
    def keep(cls, job: Job) -> "Item":
        item, _ = cls.objects.get_or_create(job=job, defaults={"owner_id": job.owner_id})
        return item

    def remove(self) -> None:
        """Delete the item with its job and stored files; its share links die with it."""
        with transaction.atomic():
            self.job.delete()

    def share(self) -> "ShareLink":
        return ShareLink.objects.create(owner=self.owner, item=self)

    def pictures(self) -> list[dict]:
        """Every picture of this result (several for a sampler's job), each with its address and
        the one that chains Upscale onto it."""
        return [{"index": index, "url": reverse("gallery:item_sample", args=[self.pk, index]),
                 "upscale_url": self.job.upscale_url(index)}
                for index in range(self.job.sample_count)]

    def chain(self) -> list["ChainStep"]:
        """How this result came about, oldest first: the first input, then each kept result it was
        chained from (the picture that was taken on), then this one. One step when it was not chained."""
        jobs = self.job.lineage() + [self.job]
        items = {item.job_id: item for item in Item.objects.filter(job__in=jobs, owner=self.owner)}
        steps = []
        if first := items.get(jobs[0].pk):
            steps.append(ChainStep(f"{jobs[0].tool} input", reverse("gallery:item_file", args=[first.pk, "original"]),
                                   first.get_absolute_url(), current=False))
        for job, taken_by in zip(jobs, jobs[1:] + [None]):
            if item := items.get(job.pk):
                picture = taken_by.parent_sample if taken_by else 0
                steps.append(ChainStep(job.tool, reverse("gallery:item_sample", args=[item.pk, picture]),
                                       item.get_absolute_url(), current=job.pk == self.job_id))
        return steps

    def made_from_this(self):
        """The kept results that took one of this result's pictures as their input."""
        return Item.objects.filter(owner=self.owner, job__parent_id=self.job_id).select_related("job")


@dataclass(frozen=True)
class ChainStep:
    title: str
    image_url: str
    url: str
    current: bool


class Album(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums")
    name = models.CharField(max_length=100)
    items = models.ManyToManyField(Item, related_name="albums", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="unique_album_name_per_owner")]

    def __str__(self) -> str:
        return self.name

    def share(self) -> "ShareLink":
        return ShareLink.objects.create(owner=self.owner, album=self)


def new_token() -> str:
    # 32 random bytes: 256 bits, far beyond guessing or enumeration.
    return secrets.token_urlsafe(32)


class ShareLinkQuerySet(OwnedQuerySet):
    def active(self) -> "ShareLinkQuerySet":
        return self.filter(revoked_at=None)


class ShareLink(models.Model):
    """A read-only link to one item or one album, valid until revoked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links")
    album = models.ForeignKey(Album, null=True, blank=True, on_delete=models.CASCADE, related_name="share_links")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(item__isnull=False, album__isnull=True) | Q(item__isnull=True, album__isnull=False)),
                name="share_link_targets_item_or_album",
            )
        ]

    def __str__(self) -> str:
        return f"share link to {'item' if self.item_id else 'album'}"

    @property
    def path(self) -> str:
        return reverse("shared", args=[self.token])

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def shared_items(self):
        """The items this link opens: its item, or the album's items."""
        if self.item_id:
            return Item.objects.filter(pk=self.item_id).select_related("job")
        return self.album.items.select_related("job").order_by("-created_at")
