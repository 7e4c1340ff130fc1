// Colour hints for the SIGGRAPH17 coloriser, edited on a canvas laid over the
// live preview: click to add a hint, drag one to move it, select one to recolour
// or delete it (Delete key), arrow keys nudge the selected hint; every hint can
// also be added and chosen without a pointer (colorize.js wires the form and list).
// Hints are kept in relative coordinates (0..1) so they apply at any resolution.

const MARKER_RADIUS = 6;
const GRAB_RADIUS = 12;     // CSS pixels around a marker that pick it up
const NUDGE = 0.01;         // arrow key step, a fraction of the side (Shift: ten times)

const clamp01 = (value) => Math.min(1, Math.max(0, value));
const rounded = (value) => +clamp01(value).toFixed(4);

export class HintCanvas {
  // onChange(hints, selected): after every add, move, recolour, delete or selection.
  constructor(canvas, colorInput, { onChange = () => {} } = {}) {
    Object.assign(this, { canvas, colorInput, onChange });
    this.hints = [];
    this.selected = null;   // index into hints
    this.dragging = null;   // pointerId of the drag in progress
    this.moved = false;
    canvas.addEventListener("pointerdown", (event) => this.pointerDown(event));
    canvas.addEventListener("pointermove", (event) => this.pointerMove(event));
    for (const type of ["pointerup", "pointercancel"]) canvas.addEventListener(type, (event) => this.pointerUp(event));
    canvas.addEventListener("keydown", (event) => this.keyDown(event));
    colorInput.addEventListener("input", () => this.recolour(colorInput.value));
  }

  // Size the canvas to the photo shown under it (the same aspect ratio), and start without hints.
  reset(width, height) {
    Object.assign(this.canvas, { width, height });
    this.hints = [];
    this.selected = null;
    this.changed();
  }

  add(x, y, color = this.colorInput.value) {
    this.hints.push({ x: rounded(x), y: rounded(y), color });
    this.selected = this.hints.length - 1;
    this.changed();
  }

  select(index) {
    this.selected = index === null || index < 0 || index >= this.hints.length ? null : index;
    if (this.selected !== null) this.colorInput.value = this.hints[this.selected].color;
    this.changed();
  }

  recolour(color) {
    if (this.selected === null) return;  // the picker then only sets the colour of the next hint
    this.hints[this.selected].color = color;
    this.changed();
  }

  move(index, x, y) {
    Object.assign(this.hints[index], { x: rounded(x), y: rounded(y) });
    this.changed();
  }

  remove(index = this.selected) {
    if (index === null) return;
    this.hints.splice(index, 1);
    this.selected = null;
    this.changed();
  }

  clear() { this.hints = []; this.selected = null; this.changed(); }

  changed() {
    this.draw();
    this.onChange(this.hints, this.selected);
  }

  // The hint under a pointer event, if any, and the event's position relative to the canvas.
  locate(event) {
    const rect = this.canvas.getBoundingClientRect();
    const x = (event.clientX - rect.left) / rect.width;
    const y = (event.clientY - rect.top) / rect.height;
    let found = null;
    let best = GRAB_RADIUS ** 2;
    this.hints.forEach((hint, index) => {
      const distance = ((hint.x - x) * rect.width) ** 2 + ((hint.y - y) * rect.height) ** 2;
      if (distance <= best) { best = distance; found = index; }
    });
    return { x, y, index: found };
  }

  pointerDown(event) {
    if (!this.canvas.width) return;
    event.preventDefault();
    this.canvas.focus();
    const { x, y, index } = this.locate(event);
    if (index === null) this.add(x, y);
    else this.select(index);
    this.dragging = event.pointerId;
    this.canvas.setPointerCapture(event.pointerId);
  }

  pointerMove(event) {
    if (this.dragging !== event.pointerId || this.selected === null) return;
    const { x, y } = this.locate(event);
    this.move(this.selected, x, y);
  }

  pointerUp(event) {
    if (this.dragging !== event.pointerId) return;
    this.dragging = null;
    if (this.canvas.hasPointerCapture(event.pointerId)) this.canvas.releasePointerCapture(event.pointerId);
  }

  keyDown(event) {
    if (this.selected === null) return;
    const step = event.shiftKey ? 10 * NUDGE : NUDGE;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const hint = this.hints[this.selected];
    if (event.key in moves) {
      const [dx, dy] = moves[event.key];
      this.move(this.selected, hint.x + dx, hint.y + dy);
    } else if (event.key === "Delete" || event.key === "Backspace") {
      this.remove();
    } else if (event.key === "Escape") {
      this.select(null);
    } else {
      return;
    }
    event.preventDefault();
  }

  draw() {
    const ctx = this.canvas.getContext("2d");
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.hints.forEach((hint, index) => {
      const x = hint.x * this.canvas.width;
      const y = hint.y * this.canvas.height;
      if (index === this.selected) {
        ctx.beginPath();
        ctx.arc(x, y, MARKER_RADIUS + 4, 0, 2 * Math.PI);
        ctx.lineWidth = 2;
        ctx.strokeStyle = "#111";
        ctx.setLineDash([3, 3]);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.beginPath();
      ctx.arc(x, y, MARKER_RADIUS, 0, 2 * Math.PI);
      ctx.fillStyle = hint.color;
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    });
  }
}
