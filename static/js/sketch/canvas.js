// The drawing surface: pen, eraser, rectangle and fill, undo/redo by whole
// operations, pointer events (mouse, touch, pen pressure). The canvas holds
// the model's input size; CSS scales it up, so pointer positions are rescaled.

export class SketchCanvas {
  constructor(canvas, { onChange }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.onChange = onChange;
    this.tool = "pen";
    this.size = 6;
    this.ink = "#000000";
    this.paper = "#ffffff";
    this.operations = [];
    this.undone = [];
    this.current = null;
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    for (const type of ["pointerup", "pointercancel", "pointerleave"]) canvas.addEventListener(type, (e) => this.up(e));
  }

  // Sketch models draw black lines on white; label-map models paint labels on a background label.
  configure({ size, paper, ink }) {
    this.canvas.width = this.canvas.height = size;
    this.paper = paper;
    this.ink = ink;
    this.operations = [];
    this.undone = [];
    this.redraw();
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
    this.ctx.fillStyle = this.paper;
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    for (const op of all) this.apply(op);
    this.onChange();
  }

  apply(op) {
    if (op.kind === "clear") {
      this.ctx.fillStyle = this.paper;
      this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    } else if (op.kind === "stroke") {
      this.drawStroke(op, 0);
    } else if (op.kind === "rect") {
      this.ctx.fillStyle = op.color;
      this.ctx.fillRect(Math.min(op.x0, op.x1), Math.min(op.y0, op.y1), Math.abs(op.x1 - op.x0), Math.abs(op.y1 - op.y0));
    } else if (op.kind === "fill") {
      floodFill(this.ctx, op.x, op.y, op.color);
    }
  }

  drawStroke(op, from) {
    const ctx = this.ctx;
    ctx.strokeStyle = ctx.fillStyle = op.color;
    ctx.lineCap = ctx.lineJoin = "round";
    const pts = op.points;
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

// Scanline flood fill over pixels of the clicked colour (close colours count, so
// anti-aliased edges do not leave halos).
function floodFill(ctx, x0, y0, color) {
  const { width, height } = ctx.canvas;
  if (x0 < 0 || y0 < 0 || x0 >= width || y0 >= height) return;
  const image = ctx.getImageData(0, 0, width, height);
  const data = image.data;
  const at = (x, y) => (y * width + x) * 4;
  const start = at(x0, y0);
  const target = [data[start], data[start + 1], data[start + 2]];
  const fill = hexToRgb(color);
  if (target.every((v, i) => v === fill[i])) return;
  const matches = (i) => Math.abs(data[i] - target[0]) + Math.abs(data[i + 1] - target[1]) + Math.abs(data[i + 2] - target[2]) < 48;
  const seen = new Uint8Array(width * height);
  const stack = [[x0, y0]];
  while (stack.length) {
    const [x, y] = stack.pop();
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
  ctx.putImageData(image, 0, 0);
}
