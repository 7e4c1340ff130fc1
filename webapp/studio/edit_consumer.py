"""/ws/edit/: the Neural Photo Editor's live socket (messages in frames.py).

A start (a random face's seed, or a photo frame), then stroke messages that
carry only their strokes: this consumer keeps the client's current state
(z_start, z, the photo) between requests and hands it to the stateless worker
with each one (webapp/studio/edit_live.py says why there and not a worker cache).

Newest wins as for Sketch and Stylize (LatestWinsConsumer), with one
difference that painting needs: strokes are not replaceable, each moves z
further, so a stroke request that arrives while another waits is merged into
the waiting one (its strokes appended) instead of replacing it. A new start
replaces whatever waits, and an answer computed from an earlier start is
passed on (it ends the client's request) without touching the state.
"""
import base64
import json

from inference.errors import InferenceError

from .frames import FrameError, check_seq, pack, unpack
from .live_consumers import LatestWinsConsumer
from .tools import TOOLS, edit_mix, edit_seed, edit_settings, edit_strokes

# Strokes one request may carry: a message is at most MAX_TEXT_BYTES anyway; this bounds a request's steps.
MAX_STROKES_PER_REQUEST = 64


class EditConsumer(LatestWinsConsumer):
    """/ws/edit/: start, then strokes; each request answered with the edited picture."""

    model: str | None = None
    settings: dict | None = None
    start: dict | None = None  # the start; computed by the first request answered after it
    state: dict | None = None  # {"z_start", "z", "photo"} after the answers so far
    epoch = 0  # which start the state belongs to
    strokes = 0  # strokes applied since the start

    async def on_message(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "start":
            await self._begin(message, {"seed": self._seed(message)})
        elif kind == "stroke":
            await self._strokes(message)
        else:
            raise FrameError("Unknown message type.")

    async def on_frame(self, data: bytes) -> None:
        header, payload = unpack(data)
        if header.get("type") != "photo":
            raise FrameError("Binary frames carry the photo to edit: header {\"type\": \"photo\", \"model\"}.")
        await self._begin(header, {"photo": base64.b64encode(payload).decode()})

    @staticmethod
    def _seed(message: dict) -> int:
        seed = edit_seed(message)
        if seed is None:
            raise FrameError("A start needs a \"seed\" (a random face) or a photo frame.")
        return seed

    async def _begin(self, message: dict, start: dict) -> None:
        spec = TOOLS["edit"].check_model(str(message.get("model", "")))
        self.model, self.settings = spec.name, edit_settings(message)
        start = {**start, **edit_mix(message)}
        self.start, self.state, self.strokes = start, None, 0
        self.epoch += 1
        self.pending = None  # strokes waiting for the previous start are for a picture no longer shown
        await self.send(text_data=json.dumps({"type": "start", "model": spec.name, "seed": start.get("seed"),
                                              "mix_seed": start["mix_seed"], "mix": start["mix"],
                                              "settings": self.settings}))

    async def _strokes(self, message: dict) -> None:
        if self.model is None:
            raise FrameError("Start first: send a start message or a photo frame.")
        seq = check_seq(message.get("seq"))
        first = message.get("from")
        if isinstance(first, bool) or not isinstance(first, int) or first < 0:
            await self.error("A stroke message needs \"from\": how many strokes came before its own.", seq=seq)
            return
        raw = message.get("strokes")
        if not isinstance(raw, list) or len(raw) > MAX_STROKES_PER_REQUEST:
            await self.error(f"\"strokes\" must be a list of at most {MAX_STROKES_PER_REQUEST} strokes.", seq=seq)
            return
        try:
            strokes = edit_strokes(raw)
        except InferenceError as exc:
            await self.error(str(exc), seq=seq)
            return
        if seq <= self.last_seq:
            self.dropped += 1
            return
        if self.pending is not None and self.pending[1][0] + len(self.pending[1][1]) == first:
            first, strokes = self.pending[1][0], self.pending[1][1] + strokes  # cumulative: merged, not replaced
            self.pending = None
        await self.submit(seq, (first, strokes))

    async def start_work(self, seq: int, work) -> None:
        from .tasks import edit_update

        first, strokes = work
        if first != self.strokes:
            # Built on strokes the server never applied (a request that failed): the client sends again from here.
            await self.send(text_data=json.dumps({"type": "error", "seq": seq, "strokes": self.strokes,
                                                  "message": "Out of step; sending the strokes again."}))
            await self._settle()
            return
        start = self.start if self.state is None else None  # until a start has been computed, send it
        params = {**self.settings, "strokes": strokes}
        await self.queue_task(edit_update, [self.model, params, start, self.state, self.channel_name, seq, self.epoch],
                              seq)

    async def edit_result(self, event: dict) -> None:
        if not await self.answered(event["seq"]):
            return  # too late (timed out): its strokes count as never applied, on both sides
        if event["epoch"] == self.epoch:
            self.state = event["state"]
            self.strokes += event["strokes"]
        header = {"seq": event["seq"], "server_ms": event["server_ms"], "dropped": self.dropped,
                  "strokes": self.strokes, "model": self.model}
        await self.send(bytes_data=pack(header, event["image"]))
        await self._settle()
