// Colour hints for the SIGGRAPH17 coloriser: click the photo where a colour belongs.
// Hints are kept in relative coordinates (0..1) so they apply at any resolution.

export class HintCanvas {
  constructor(canvas, colorInput, countLabel) {
    this.canvas = canvas;
    this.colorInput = colorInput;
    this.countLabel = countLabel;
    this.hints = [];
    this.image = null;
    canvas.addEventListener("pointerdown", (event) => this.add(event));
  }

  async show(file) {
    this.hints = [];
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 640 / Math.max(bitmap.width, bitmap.height));
    this.canvas.width = Math.round(bitmap.width * scale);
    this.canvas.height = Math.round(bitmap.height * scale);
    this.image = bitmap;
    this.draw();
  }

  add(event) {
    if (!this.image) return;
    const rect = this.canvas.getBoundingClientRect();
    const x = (event.clientX - rect.left) / rect.width;
    const y = (event.clientY - rect.top) / rect.height;
    this.hints.push({ x: +x.toFixed(4), y: +y.toFixed(4), color: this.colorInput.value });
    this.draw();
  }

  clear() { this.hints = []; this.draw(); }

  draw() {
    const ctx = this.canvas.getContext("2d");
    if (this.image) {
      ctx.filter = "grayscale(1)";
      ctx.drawImage(this.image, 0, 0, this.canvas.width, this.canvas.height);
      ctx.filter = "none";
    }
    for (const hint of this.hints) {
      ctx.beginPath();
      ctx.arc(hint.x * this.canvas.width, hint.y * this.canvas.height, 6, 0, 2 * Math.PI);
      ctx.fillStyle = hint.color;
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    }
    this.countLabel.textContent = `${this.hints.length} hint${this.hints.length === 1 ? "" : "s"}`;
  }
}
