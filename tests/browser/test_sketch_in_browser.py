"""Live Sketch in a real browser: strokes on the canvas turn into a picture that follows them."""
import pytest

from .test_sketch_page import VISITED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Mean absolute difference between the output image now and a reference copy, in the
# bottom-left quadrant (where the test draws) and the top-right one (where it does not).
QUADRANT_CHANGE = """(ref) => {
  const img = document.getElementById('sketch-output');
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const now = ctx.getImageData(0, 0, c.width, c.height).data;
  if (!ref) return Array.from(now);
  let drawn = 0, far = 0;
  for (let i = 0; i < now.length; i += 4) {
    const x = (i / 4) % c.width, y = Math.floor(i / 4 / c.width);
    const d = Math.abs(now[i] - ref[i]) + Math.abs(now[i+1] - ref[i+1]) + Math.abs(now[i+2] - ref[i+2]);
    if (x < c.width / 2 && y >= c.height / 2) drawn += d;
    if (x >= c.width / 2 && y < c.height / 2) far += d;
  }
  return [drawn / (now.length / 16), far / (now.length / 16)];
}"""


# A newer picture is on screen, and nothing is in flight or waiting: it shows the newest drawing.
SETTLED = """(after) => {
  const img = document.getElementById('sketch-output');
  return Number(img.dataset.seq || -1) > after && img.dataset.stream === 'idle' && img.complete && img.naturalWidth > 0;
}"""


def wait_for_new_output(page, after_seq: int) -> int:
    page.wait_for_function(SETTLED, arg=after_seq, timeout=120_000)
    return int(page.get_attribute("#sketch-output", "data-seq"))


def test_strokes_turn_into_a_picture_that_follows_them(chromium, daphne_server):
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    page.add_init_script(VISITED)  # been here before: a blank start
    page.goto(f"{daphne_server}/tools/sketch/")
    page.select_option("#model-select", "landscape-sketch")
    seq = wait_for_new_output(page, -1)  # the blank canvas renders too
    blank = page.evaluate(QUADRANT_CHANGE, None)
    box = page.locator("#sketch-canvas").bounding_box()

    def stroke(points):
        page.mouse.move(box["x"] + box["width"] * points[0][0], box["y"] + box["height"] * points[0][1])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + box["width"] * x, box["y"] + box["height"] * y, steps=4)
        page.mouse.up()

    stroke([(0.02, 0.45), (0.5, 0.4), (0.98, 0.45)])  # a horizon: the scene now has land and sky
    seq = wait_for_new_output(page, seq)
    first, _ = page.evaluate(QUADRANT_CHANGE, blank)
    assert first > 2.0  # strokes turn into a different picture
    scene = page.evaluate(QUADRANT_CHANGE, None)

    stroke([(0.1 + 0.25 * (i % 2), 0.62 + 0.02 * i) for i in range(16)])  # a thicket, bottom-left only
    seq = wait_for_new_output(page, seq)
    drawn, far = page.evaluate(QUADRANT_CHANGE, scene)
    assert drawn > 2.0, (drawn, far)  # the picture changed where we drew…
    assert drawn > 2 * far, (drawn, far)  # …much more than far away from it
    assert "fps" in page.inner_text("#readout") and "round trip" in page.inner_text("#readout")

    page.click("#undo")
    wait_for_new_output(page, seq)
    drawn_after_undo, _ = page.evaluate(QUADRANT_CHANGE, scene)
    assert drawn_after_undo < drawn / 2  # undo removes the whole last stroke, and the output follows


# The stream module on its own: a request lost with its socket goes out again after the reconnect.
# The socket is closed in the same task as the send, so no answer can slip in between, on any schedule.
RECONNECT = """async () => {
  const { LiveStream, backoff } = await import('/static/js/stream.js');
  const { packFrame } = await import('/static/js/frames.js');
  const canvas = Object.assign(document.createElement('canvas'), { width: 64, height: 64 });
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  const states = [], replies = [], errors = [];
  let answered = null;
  const stream = new LiveStream('/ws/sketch/', {
    onReply: (image, info) => { replies.push([info.seq, image.type]); answered?.(); },
    onState: (state) => states.push(state),
    onError: (message) => errors.push(message),
  });
  const reply = () => Promise.race([new Promise((resolve) => { answered = resolve; }),
    new Promise((_, reject) => setTimeout(() => reject(new Error('no reply: ' + states + errors)), 120000))]);
  stream.setup(JSON.stringify({ type: 'config', model: 'landscape-sketch', dropout: false }), 'config');
  let next = reply();
  stream.offer((seq) => packFrame({ seq }, blob));
  await next;
  const socket = stream.socket, send = socket.send.bind(socket);
  socket.send = (data) => { send(data); if (typeof data !== 'string') socket.close(); };
  next = reply();
  stream.offer((seq) => packFrame({ seq }, blob));
  await next;
  return { states, replies, errors, idle: stream.idle, sockets: stream.socket !== socket,
           waits: [backoff(0, () => 0), backoff(0, () => 1), backoff(3, () => 1), backoff(10, () => 0), backoff(10, () => 1)] };
}"""


def test_a_frame_lost_with_its_socket_goes_out_again_after_the_reconnect(chromium, daphne_server):
    page = chromium.new_page()
    page.goto(f"{daphne_server}/")
    result = page.evaluate(RECONNECT)
    assert result["replies"] == [[1, "image/jpeg"], [3, "image/jpeg"]], result  # 2 was lost, resent as 3
    assert result["sockets"] and result["idle"] and not result["errors"]
    offline = result["states"].index("offline, reconnecting in 1 s…")
    assert result["states"][offline + 1:] == ["connecting…", "connected"]
    assert result["waits"] == [250, 500, 4000, 7500, 15000]  # doubling, jittered in the upper half, capped
