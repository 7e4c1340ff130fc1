"""Jobs: one run of one tool on one uploaded image, from queued to done."""
import io
import logging
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from inference.images import encode_image, thumbnail
from webapp.accounts.ownership import OwnedQuerySet, owner_fields

from .signals import job_done
from .uploads import STYLE_SIDE

log = logging.getLogger(__name__)


# Where originals are stored: prepared ones (PNG, decoded by a worker or made by our own code),
# and checked uploads kept as they came until their job's worker prepares them.
ORIGINALS, UPLOADS = "originals", "uploads"


def _random_name(folder: str, ext: str) -> str:
    # Random names: nothing about the user or the upload leaks through a path.
    token = secrets.token_hex(16)
    return f"{folder}/{token[:2]}/{token}.{ext}"


class JobCancelled(Exception):
    """Raised inside a running job when its owner cancelled it."""


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    queue_unreachable = False  # set by send(): the row is kept, the sweeper queues it later

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    # Anonymous visitors are known by a random token kept in their session.
    visitor = models.CharField(max_length=64, blank=True, db_index=True)
    tool = models.CharField(max_length=20)
    model_name = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    message = models.TextField(blank=True)
    notice = models.CharField(max_length=200, blank=True)
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=40, blank=True)
    original = models.FileField(max_length=200)
    original_name = models.CharField(max_length=255, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    result = models.FileField(max_length=200, blank=True)
    thumbnail = models.FileField(max_length=200, blank=True)
    # The job whose result this one took as its input ("Upscale this"), and which of its samples.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    parent_sample = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The running task's claim on the job: a random token it holds while its heartbeat
    # stays fresher than JOB_LEASE_S. Only the holder may write progress or the outcome.
    lease = models.CharField(max_length=32, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When a message for this job last reached the queue; empty if the queue could not be reached.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.tool} job {self.id} ({self.status})"

    # Creation

    @classmethod
    def submit(cls, *, owner, visitor: str, tool: str, model_name: str, params: dict,
               image: Image.Image | None = None, upload: File | None = None, upload_ext: str = "",
               size: tuple[int, int] = (0, 0), original_name: str = "", notice: str = "",
               parent: "Job | None" = None, parent_sample: int = 0) -> "Job":
        """Store the original and the row in one transaction, then queue the job.

        The original is either a prepared picture (``image``, kept as PNG) or a checked
        upload kept as it came (``upload``, its format's ``upload_ext`` and header ``size``):
        the web process never decodes that one; the worker decodes and prepares it when
        the job runs (``tools.open_original``) and then keeps the PNG in its place.
        """
        if (image is None) == (upload is None):
            raise ValueError("submit() takes an image or an upload")
        width, height = image.size if image is not None else size
        with transaction.atomic():
            job = cls(
                **owner_fields(owner, visitor),
                tool=tool, model_name=model_name, params=params,
                original_name=original_name[:255], notice=notice, parent=parent, parent_sample=parent_sample,
                width=width, height=height,
            )
            if image is not None:
                # PNG keeps every pixel of the upload and carries no metadata.
                job.original.save(_random_name(ORIGINALS, "png"), ContentFile(encode_image(image, "PNG")),
                                  save=False)
            else:
                # A spooled upload is moved, not copied; nothing here reads its pixels.
                job.original.save(_random_name(UPLOADS, upload_ext), upload, save=False)
            job.save()
            job.enqueue()
        return job

    @property
    def original_prepared(self) -> bool:
        """False while the original is the upload as it came (not yet decoded by a worker)."""
        return not self.original.name.startswith(f"{UPLOADS}/")

    def keep_prepared_original(self, image: Image.Image, notice: str) -> bool:
        """Put the worker's prepared picture (PNG, no metadata) in place of the upload as it came;
        False, with nothing changed, if this task no longer holds the job."""
        raw = self.original.name
        name = self.original.storage.save(_random_name(ORIGINALS, "png"), ContentFile(encode_image(image, "PNG")))
        notice = (notice or self.notice)[:200]
        if not self._held().update(original=name, width=image.width, height=image.height, notice=notice):
            self.original.storage.delete(name)
            return False
        self.original.storage.delete(raw)
        self.original.name, self.width, self.height, self.notice = name, image.width, image.height, notice
        return True

    def enqueue(self) -> None:
        """Hand the job to the queue once the surrounding transaction commits."""
        # on_commit: the worker must see the row and the stored original.
        transaction.on_commit(self.send)

    def send(self) -> bool:
        """Put a message for this job on the queue now. When the broker cannot be reached the
        row stays queued with no `enqueued_at`, `queue_unreachable` is set, and the sweeper
        sends it once the queue is back: the database, not the queue, is what must not lose it."""
        from .tasks import run_job

        try:
            run_job.apply_async(args=[str(self.id)], queue="batch")
        except Exception:  # kombu's OperationalError, a refused or reset connection, a timeout
            log.warning("job %s: the job queue cannot be reached; the sweeper will queue it", self.id, exc_info=True)
            Job.objects.filter(pk=self.pk).update(enqueued_at=None)
            self.enqueued_at, self.queue_unreachable = None, True
            return False
        self.enqueued_at, self.queue_unreachable = timezone.now(), False
        Job.objects.filter(pk=self.pk).update(enqueued_at=self.enqueued_at)
        return True

    def rerun(self, *, owner, visitor: str = "") -> "Job":
        """A new job on the same original with the same tool, model and settings (and the same parent).

        The stored file is copied, never decoded here: a prepared original stays prepared,
        an upload still as it came is prepared by the new job's worker."""
        folder, ext = (ORIGINALS, "png") if self.original_prepared else (UPLOADS, self.original.name.rsplit(".", 1)[-1])
        with transaction.atomic():
            job = Job(**owner_fields(owner, visitor), tool=self.tool, model_name=self.model_name, params=self.params,
                      original_name=self.original_name, notice=self.notice, parent=self.parent,
                      parent_sample=self.parent_sample, width=self.width, height=self.height)
            with self.original.open("rb") as f:
                job.original.save(_random_name(folder, ext), File(f), save=False)
            job.save()
            job.enqueue()
        return job

    # State changes, each one guarded so a redelivered or cancelled job stays consistent

    def mark_running(self) -> bool:
        """Claim the job for this worker; False if it was cancelled, finished, or is held by a live task.

        A compare-and-set on the row: a queued job, or a running one whose lease ran out
        (its worker stopped beating), gets a new lease token; so a job runs at most once
        at a time, however many messages for it the queue hands out.
        """
        now = timezone.now()
        claimed = Job.objects.filter(self._claimable(now), pk=self.pk).update(
            status=self.Status.RUNNING, lease=secrets.token_hex(16), heartbeat_at=now,
            attempts=F("attempts") + 1, started_at=now, progress=0.0, stage="starting", message="",
        )
        self.refresh_from_db()
        return bool(claimed)

    @classmethod
    def _lease_expired(cls, now) -> Q:
        end = now - timedelta(seconds=settings.JOB_LEASE_S)
        return Q(status=cls.Status.RUNNING) & (Q(heartbeat_at__lt=end) | Q(heartbeat_at__isnull=True))

    @classmethod
    def _claimable(cls, now) -> Q:
        return Q(status=cls.Status.QUEUED) | cls._lease_expired(now)

    def _held(self):
        """This row while this task still holds its lease."""
        return Job.objects.filter(pk=self.pk, status=self.Status.RUNNING, lease=self.lease)

    def heartbeat(self) -> bool:
        """Renew the lease; False once the job was cancelled or its lease passed to another task."""
        return bool(self._held().update(heartbeat_at=timezone.now()))

    def report_progress(self, fraction: float, stage: str) -> None:
        """Record progress; raises JobCancelled once the owner cancelled or the lease was lost."""
        updated = self._held().update(progress=max(0.0, min(1.0, fraction)), stage=stage[:40])
        if not updated:
            raise JobCancelled(str(self.pk))
        self.progress, self.stage = fraction, stage

    @classmethod
    def stranded(cls, now=None):
        """Active jobs with no live task behind them: running with an expired lease (the worker
        died), queued but never handed to the queue (the broker was down), or handed over more
        than JOB_REQUEUE_AFTER_S ago and still waiting (the queue may have lost the message)."""
        now = now or timezone.now()
        requeue_after = timedelta(seconds=settings.JOB_REQUEUE_AFTER_S)
        # A few seconds' grace: a row just committed is sent by its on_commit callback.
        never_sent = Q(status=cls.Status.QUEUED, enqueued_at__isnull=True,
                       created_at__lt=now - min(requeue_after, timedelta(seconds=10)))
        waited_long = Q(status=cls.Status.QUEUED, enqueued_at__lt=now - requeue_after)
        return cls.objects.filter(cls._lease_expired(now) | never_sent | waited_long)

    def requeue(self) -> bool:
        """Queue a stranded job again (see `stranded`); False if a worker or another sweeper
        got to it first. A duplicate message is harmless: `mark_running` lets one through."""
        now = timezone.now()
        updated = Job.stranded(now).filter(pk=self.pk).update(
            status=self.Status.QUEUED, lease="", heartbeat_at=None, enqueued_at=now, progress=0.0, stage="",
        )
        self.refresh_from_db()
        if updated:
            self.enqueue()
        return bool(updated)

    def store_samples(self, images: list[Image.Image]) -> None:
        """Store every picture a job drew: the first is its result, the others its extra samples."""
        self.store_result(images[0])
        # An earlier attempt that died after storing its samples left rows (and files) behind.
        for stale in self.samples.all():
            stale.delete()
        for index, image in enumerate(images[1:], start=1):
            sample = JobSample(job=self, index=index)
            sample.image.save(_random_name("results", "png"), ContentFile(encode_image(image, "PNG")), save=False)
            sample.save()

    def store_result(self, image: Image.Image) -> None:
        self.result.save(_random_name("results", "png"), ContentFile(encode_image(image, "PNG")), save=False)
        thumb = thumbnail(image)
        self.thumbnail.save(_random_name("thumbnails", "webp"), ContentFile(encode_image(thumb, "WEBP", quality=85)),
                            save=False)

    def mark_done(self, timings: dict) -> bool:
        """Record the stored result and tell listeners (job_done); False if the job was cancelled."""
        with transaction.atomic():
            updated = self._held().update(
                status=self.Status.DONE, progress=1.0, stage="done", result=self.result.name,
                thumbnail=self.thumbnail.name, timings=timings, finished_at=timezone.now(),
            )
            self.refresh_from_db()
            if updated:
                # In the same transaction: nobody sees the job done without what listeners made of it.
                job_done.send(sender=Job, job=self)
        if not updated:
            # Cancelled (or taken over) while the last step ran: this result is not wanted.
            self._delete_outputs()
        return bool(updated)

    def mark_failed(self, message: str) -> None:
        self._held().update(status=self.Status.FAILED, message=message[:2000], finished_at=timezone.now())
        self.refresh_from_db()

    def cancel(self) -> bool:
        """Cancel this job if it is still queued or running; the worker notices at its next step."""
        updated = Job.objects.filter(pk=self.pk, status__in=self.ACTIVE).update(
            status=self.Status.CANCELLED, finished_at=timezone.now(), stage="cancelled", lease=""
        )
        self.refresh_from_db()
        return bool(updated)

    @classmethod
    def hand_over(cls, visitor: str, user) -> None:
        """A visitor signed in: their jobs become the account's, and their finished results are kept."""
        with transaction.atomic():
            moved = list(cls.objects.owned_by(None, visitor).values_list("pk", flat=True))
            cls.objects.hand_over(visitor, user)
            # Done ones are read after the move: a job that finishes meanwhile already sees its owner.
            for job in cls.objects.filter(pk__in=moved, status=cls.Status.DONE):
                job_done.send(sender=Job, job=job)

    # Reading

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def group_name(self) -> str:
        return owner_group(self.owner_id, self.visitor)

    def as_event(self) -> dict:
        """What the page needs to draw this job's card; sent over the WebSocket and the JSON API."""
        done = self.status == self.Status.DONE
        return {
            "id": str(self.id),
            "tool": self.tool,
            "model": self.model_name,
            "status": self.status,
            "progress": round(self.progress, 3),
            "stage": self.stage,
            "message": self.message,
            "notice": self.notice,
            "name": self.original_name,
            "width": self.width,
            "height": self.height,
            "params": self.params,
            "attempts": self.attempts,
            "timings": self.timings,
            "created_at": self.created_at.isoformat(),
            "url": reverse("job_detail", args=[self.id]),
            "original_url": self.file_url("original"),
            "result_url": self.file_url("result") if done else None,
            "thumbnail_url": self.file_url("thumbnail") if done else None,
            "cancel_url": reverse("job_cancel", args=[self.id]),
            "item_url": self._item_url(),
            "samples": self.sample_links() if done else [],
            "edit_url": self.edit_url(),
            "parent_id": str(self.parent_id) if self.parent_id else None,
        }

    def file_url(self, kind: str) -> str:
        return reverse("job_file", args=[self.id, kind])

    @property
    def sample_count(self) -> int:
        """How many pictures this job drew: its result and its extra samples."""
        return 1 + self.samples.count() if self.result else 0

    def sample_links(self) -> list[dict]:
        """Each picture of a done job, the result first, with the address that chains Upscale onto it."""
        return [{"index": index, "url": reverse("job_sample", args=[self.id, index]),
                 "upscale_url": self.upscale_url(index)}
                for index in range(self.sample_count)]

    def upscale_url(self, index: int = 0) -> str:
        """The Upscale page with picture `index` of this job as its input ("Upscale this")."""
        return f"{reverse('tool', args=['upscale'])}?from={self.id}&sample={index}"

    def edit_url(self) -> str:
        """The Edit page with this saved edit's start and strokes loaded ("Continue editing"); "" for other tools."""
        return f"{reverse('tool', args=['edit'])}?from={self.id}" if self.tool == "edit" else ""

    def sample_file(self, index: int):
        """The stored file of picture `index` (0 is the result), or None."""
        if index == 0:
            return self.result if self.result else None
        sample = self.samples.filter(index=index).first()
        return sample.image if sample else None

    def open_sample(self, index: int) -> Image.Image | None:
        field = self.sample_file(index)
        return _open_image(field) if field else None

    def lineage(self, limit: int = 20) -> list["Job"]:
        """The jobs this one was chained from, oldest first (at most `limit`, and only the same owner's)."""
        steps, job, seen = [], self, {self.pk}
        while job.parent_id and len(steps) < limit:
            parent = Job.objects.filter(pk=job.parent_id, owner_id=self.owner_id, visitor=self.visitor).first()
            if parent is None or parent.pk in seen:
                break
            steps.append(parent)
            seen.add(parent.pk)
            job = parent
        return steps[::-1]

    def _item_url(self) -> str | None:
        # The gallery's item, when it kept one: known by its reverse accessor, never by import.
        item = getattr(self, "gallery_item", None) if self.owner_id else None
        return item.get_absolute_url() if item else None

    # Files

    def _delete_outputs(self) -> None:
        for field in (self.result, self.thumbnail):
            if field.name:
                field.storage.delete(field.name)
        self.samples.all().delete()  # their files go with them (receivers.delete_stored_files)


class JobSample(models.Model):
    """One more picture of a job that draws several (Upscale's PRSR samples); picture 0 is the job's result."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="samples")
    index = models.PositiveSmallIntegerField()
    image = models.FileField(max_length=200)

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="unique_sample_index_per_job")]

    def __str__(self) -> str:
        return f"sample {self.index} of job {self.job_id}"


def _open_image(field) -> Image.Image:
    with field.open("rb") as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image


def owner_group(user_id: int | None, visitor: str) -> str:
    """The channel-layer group whose sockets receive this owner's job events."""
    return f"user.{user_id}" if user_id else f"visitor.{visitor}"


class StyleImage(models.Model):
    """A picture someone uploaded to paint in its style (AdaIN); private to its owner."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="style_images")
    visitor = models.CharField(max_length=64, blank=True, db_index=True)
    name = models.CharField(max_length=100)
    image = models.FileField(max_length=200)
    thumbnail = models.FileField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def add(cls, *, owner, visitor: str, name: str, image: Image.Image) -> "StyleImage":
        # Styles are looked at by the network at 512 px at most: keep a copy of sensible size.
        style = image.convert("RGB")
        style.thumbnail((STYLE_SIDE, STYLE_SIDE))
        row = cls(**owner_fields(owner, visitor), name=name[:100])
        row.image.save(_random_name("styles", "png"), ContentFile(encode_image(style, "PNG")), save=False)
        row.thumbnail.save(_random_name("styles", "webp"), ContentFile(encode_image(thumbnail(style, 160), "WEBP")),
                           save=False)
        row.save()
        return row

    def open(self) -> Image.Image:
        with self.image.open("rb") as f:
            picture = Image.open(io.BytesIO(f.read()))
            picture.load()
        return picture

    def as_choice(self) -> dict:
        """This style as the Stylize page lists it."""
        return {"key": str(self.pk), "name": self.name,
                "thumbnail": reverse("style_file", args=[self.pk, "thumbnail"])}
