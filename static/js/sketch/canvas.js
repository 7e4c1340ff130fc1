// The drawing surface: pen, eraser, rectangle and fill, undo/redo by whole
// operations, pointer events (mouse, touch, pen pressure). The canvas holds
// the model's input size; CSS scales it up, so pointer positions are rescaled.
//
// Two ways of painting, chosen by the model's input kind:
// - line drawings: the 2D context's anti-aliased strokes (soft edges, as in the
//   drawings those models learnt from);
// - label maps ("crisp"): every pixel is one palette colour. Canvas 2D strokes,
//   rectangles at fractional positions and fills are always anti-aliased, which
//   leaves rims of in-between colours, so discs, lines, rectangles and the flood
//   fill are written into the pixel buffer here and put on the canvas whole.
//
// A picture (an example drawing, or a file the person opens) is one operation
// too, scaled to the canvas; on a label map its pixels take the nearest palette
// colour, so what the model gets is still one label per pixel.

export class SketchCanvas {
  constructor(canvas, { onChange }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.onChange = onChange;
    this.tool = "pen";
    this.size = 6;
    this.ink = "#000000";
    this.paper = "#ffffff";
    this.crisp = false;
    this.palette = [];  // a label map's colours, as [r, g, b]
    this.image = null;  // the pixel buffer of a crisp canvas
    this.operations = [];
    this.undone = [];
    this.current = null;
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    for (const type of ["pointerup", "pointercancel", "pointerleave"]) canvas.addEventListener(type, (e) => this.up(e));
  }

  // A fresh, empty canvas for a model: line drawings are dark lines on white, label
  // maps paint labels (crisp) on a background label. Drops the drawing and its history.
  configure({ size, paper, ink, crisp, palette = [] }) {
    this.canvas.width = this.canvas.height = size;
    Object.assign(this, { paper, ink, crisp, image: null, operations: [], undone: [], current: null });
    this.palette = palette.map(hexToRgb);
    this.redraw();
  }

  // A picture (any image source, any size) over the whole drawing, as one operation that Undo
  // takes away; `example` marks one the page chose, not the person. Rejects when it cannot be decoded.
  async open(source, { example = false } = {}) {
    const bitmap = await createImageBitmap(source);
    this.commit({ kind: "picture", bitmap, example });
  }

  // Another model with the same kind of input: the drawing and its history stay; a
  // different input size scales them, so the drawing covers the same part of the picture
  // (a picture is drawn at the canvas's size whatever it is, so it needs nothing here).
  resize(size) {
    const scale = size / this.canvas.width;
    if (scale === 1) return;
    const at = (v) => v * scale;
    for (const op of [...this.operations, ...this.undone]) {
      if (op.kind === "stroke") {
        op.size = at(op.size);
        op.points = op.points.map(([x, y, p]) => [at(x), at(y), p]);
      } else if (op.kind === "rect") {
        Object.assign(op, { x0: at(op.x0), y0: at(op.y0), x1: at(op.x1), y1: at(op.y1) });
      } else if (op.kind === "fill") {
        Object.assign(op, { x: Math.min(size - 1, Math.floor(at(op.x))), y: Math.min(size - 1, Math.floor(at(op.y))) });
      }
    }
    this.canvas.width = this.canvas.height = size;
    this.image = null;
    this.redraw();
  }

  get blank() { return this.operations.length === 0 && this.current === null; }

  // Nothing on the canvas but examples, untouched: nothing of the person's own to lose.
  get onlyExample() {
    return this.operations.length > 0 && this.operations.every((op) => op.example === true) && this.current === null;
  }

  point(event) {
    const rect = this.canvas.getBoundingClientRect();
    const scale = this.canvas.width / rect.width;
    // Pen pressure widens the line; mouse and touch report 0.5 or 0.
    const pressure = event.pointerType === "pen" && event.pressure > 0 ? 0.4 + event.pressure * 1.2 : 1;
    return [(event.clientX - rect.left) * scale, (event.clientY - rect.top) * scale, pressure];
  }

  down(event) {
    event.preventDefault();
    this.canvas.setPointerCapture?.(event.pointerId);
    const [x, y, p] = this.point(event);
    const color = this.tool === "eraser" ? this.paper : this.ink;
    if (this.tool === "fill") {
      this.commit({ kind: "fill", x: Math.floor(x), y: Math.floor(y), color });
      return;
    }
    this.current = this.tool === "rect"
      ? { kind: "rect", x0: x, y0: y, x1: x, y1: y, color }
      : { kind: "stroke", color, size: this.size, points: [[x, y, p]] };
    this.redraw();
  }

  move(event) {
    if (!this.current) return;
    event.preventDefault();
    const [x, y, p] = this.point(event);
    if (this.current.kind === "rect") {
      this.current.x1 = x;
      this.current.y1 = y;
      this.redraw();
    } else {
      this.current.points.push([x, y, p]);
      this.drawStroke(this.current, this.current.points.length - 2);
      if (this.crisp) this.ctx.putImageData(this.image, 0, 0);
      this.onChange();
    }
  }

  up() {
    if (!this.current) return;
    const op = this.current;
    this.current = null;
    this.commit(op);
  }

  commit(op) {
    this.operations.push(op);
    this.undone = [];
    this.redraw();
  }

  undo() { if (this.operations.length) { this.undone.push(this.operations.pop()); this.redraw(); } }
  redo() { if (this.undone.length) { this.operations.push(this.undone.pop()); this.redraw(); } }
  clear() { if (this.operations.length) this.commit({ kind: "clear" }); }

  redraw() {
    const all = this.current ? [...this.operations, this.current] : this.operations;
    const { width, height } = this.canvas;
    if (this.crisp) {
      if (!this.image || this.image.width !== width) this.image = this.ctx.createImageData(width, height);
      fillPixels(this.image, 0, 0, width, height, hexToRgb(this.paper));
    } else {
      this.ctx.fillStyle = this.paper;
      this.ctx.fillRect(0, 0, width, height);
    }
    for (const op of all) this.apply(op);
    if (this.crisp) this.ctx.putImageData(this.image, 0, 0);
    this.onChange();
  }

  apply(op) {
    const { width, height } = this.canvas;
    if (op.kind === "clear") {
      if (this.crisp) fillPixels(this.image, 0, 0, width, height, hexToRgb(this.paper));
      else {
        this.ctx.fillStyle = this.paper;
        this.ctx.fillRect(0, 0, width, height);
      }
    } else if (op.kind === "stroke") {
      this.drawStroke(op, 0);
    } else if (op.kind === "rect") {
      // Whole pixels only: a rectangle covers the pixels whose centres it contains.
      const x0 = Math.round(Math.min(op.x0, op.x1)), x1 = Math.round(Math.max(op.x0, op.x1));
      const y0 = Math.round(Math.min(op.y0, op.y1)), y1 = Math.round(Math.max(op.y0, op.y1));
      if (this.crisp) fillPixels(this.image, x0, y0, x1, y1, hexToRgb(op.color));
      else {
        this.ctx.fillStyle = op.color;
        this.ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
      }
    } else if (op.kind === "picture") {
      if (this.crisp) this.image.data.set(this.labelPixels(op));
      else this.ctx.drawImage(op.bitmap, 0, 0, width, height);
    } else if (op.kind === "fill") {
      if (this.crisp) floodFill(this.image, op.x, op.y, hexToRgb(op.color), 0);
      else {
        const image = this.ctx.getImageData(0, 0, width, height);
        // Anti-aliased line edges are close to the colour they border: fill those too.
        floodFill(image, op.x, op.y, hexToRgb(op.color), 48);
        this.ctx.putImageData(image, 0, 0);
      }
    }
  }

  // A picture's pixels at the canvas's size, each the nearest palette colour (transparent ones the
  // paper's); kept on the operation, since every redraw applies it again.
  labelPixels(op) {
    const { width, height } = this.canvas;
    if (op.pixels?.width === width) return op.pixels.data;
    const scratch = new OffscreenCanvas(width, height).getContext("2d", { willReadFrequently: true });
    scratch.imageSmoothingEnabled = false;  // no blended colours between labels
    scratch.drawImage(op.bitmap, 0, 0, width, height);
    const data = scratch.getImageData(0, 0, width, height).data;
    const paper = hexToRgb(this.paper);
    for (let i = 0; i < data.length; i += 4) {
      let best = paper;
      if (data[i + 3] >= 128) {
        let distance = Infinity;
        for (const colour of this.palette) {
          const d = (data[i] - colour[0]) ** 2 + (data[i + 1] - colour[1]) ** 2 + (data[i + 2] - colour[2]) ** 2;
          if (d < distance) { distance = d; best = colour; }
        }
      }
      data[i] = best[0]; data[i + 1] = best[1]; data[i + 2] = best[2]; data[i + 3] = 255;
    }
    op.pixels = { width, data };
    return data;
  }

  drawStroke(op, from) {
    const pts = op.points;
    if (this.crisp) {
      const rgb = hexToRgb(op.color);
      if (pts.length === 1) stampSegment(this.image, pts[0], pts[0], (op.size * pts[0][2]) / 2, rgb);
      for (let i = Math.max(from, 0); i < pts.length - 1; i++) {
        stampSegment(this.image, pts[i], pts[i + 1], (op.size * pts[i + 1][2]) / 2, rgb);
      }
      return;
    }
    const ctx = this.ctx;
    ctx.strokeStyle = ctx.fillStyle = op.color;
    ctx.lineCap = ctx.lineJoin = "round";
    if (pts.length === 1) {
      ctx.beginPath();
      ctx.arc(pts[0][0], pts[0][1], (op.size * pts[0][2]) / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    for (let i = Math.max(from, 0); i < pts.length - 1; i++) {
      ctx.lineWidth = op.size * pts[i + 1][2];
      ctx.beginPath();
      ctx.moveTo(pts[i][0], pts[i][1]);
      ctx.lineTo(pts[i + 1][0], pts[i + 1][1]);
      ctx.stroke();
    }
  }
}

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

// Pixels x0 <= x < x1, y0 <= y < y1 (clipped to the image) set to `rgb`, opaque.
function fillPixels(image, x0, y0, x1, y1, rgb) {
  const { width, height, data } = image;
  for (let y = Math.max(0, y0); y < Math.min(height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(width, x1); x++) {
      const i = (y * width + x) * 4;
      data[i] = rgb[0]; data[i + 1] = rgb[1]; data[i + 2] = rgb[2]; data[i + 3] = 255;
    }
  }
}

// A round-capped line of radius `r` from a to b, without anti-aliasing: every pixel
// whose centre lies within `r` of the segment takes the colour. At least the pixel
// under the pointer is painted, so the thinnest brush never vanishes.
function stampSegment(image, a, b, r, rgb) {
  const { width, height, data } = image;
  const radius = Math.max(r, 0.5);
  const [ax, ay] = a, [bx, by] = b;
  const dx = bx - ax, dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const left = Math.max(0, Math.floor(Math.min(ax, bx) - radius));
  const right = Math.min(width - 1, Math.ceil(Math.max(ax, bx) + radius));
  const top = Math.max(0, Math.floor(Math.min(ay, by) - radius));
  const bottom = Math.min(height - 1, Math.ceil(Math.max(ay, by) + radius));
  const r2 = radius * radius;
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      const px = x + 0.5, py = y + 0.5;
      const t = length2 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / length2)) : 0;
      const ex = px - (ax + t * dx), ey = py - (ay + t * dy);
      if (ex * ex + ey * ey > r2) continue;
      const i = (y * width + x) * 4;
      data[i] = rgb[0]; data[i + 1] = rgb[1]; data[i + 2] = rgb[2]; data[i + 3] = 255;
    }
  }
  // The pixel under the pointer, for a radius too small to cover any centre.
  for (const [x, y] of [[ax, ay], [bx, by]]) {
    const xi = Math.floor(x), yi = Math.floor(y);
    if (xi < 0 || yi < 0 || xi >= width || yi >= height) continue;
    const i = (yi * width + xi) * 4;
    data[i] = rgb[0]; data[i + 1] = rgb[1]; data[i + 2] = rgb[2]; data[i + 3] = 255;
  }
}

// Scanline flood fill of the region of the clicked pixel's colour, in place. `tolerance`
// (sum of channel differences) lets a line drawing's anti-aliased edges count as the
// region; a crisp label map uses 0: its regions are exact colours.
function floodFill(image, x0, y0, fill, tolerance) {
  const { width, height, data } = image;
  if (x0 < 0 || y0 < 0 || x0 >= width || y0 >= height) return;
  const at = (x, y) => (y * width + x) * 4;
  const start = at(x0, y0);
  const target = [data[start], data[start + 1], data[start + 2]];
  if (target.every((v, i) => v === fill[i])) return;
  const matches = (i) =>
    Math.abs(data[i] - target[0]) + Math.abs(data[i + 1] - target[1]) + Math.abs(data[i + 2] - target[2]) <= tolerance;
  const seen = new Uint8Array(width * height);
  const stack = [[x0, y0]];
  while (stack.length) {
    const [x, y] = stack.pop();
    if (seen[y * width + x]) continue;
    let left = x;
    while (left > 0 && !seen[y * width + left - 1] && matches(at(left - 1, y))) left--;
    let right = x;
    while (right < width - 1 && !seen[y * width + right + 1] && matches(at(right + 1, y))) right++;
    for (let xi = left; xi <= right; xi++) {
      const i = at(xi, y);
      seen[y * width + xi] = 1;
      data[i] = fill[0]; data[i + 1] = fill[1]; data[i + 2] = fill[2]; data[i + 3] = 255;
      for (const yn of [y - 1, y + 1]) {
        if (yn >= 0 && yn < height && !seen[yn * width + xi] && matches(at(xi, yn))) stack.push([xi, yn]);
      }
    }
  }
}
