// Buttons that choose one of several (a zoom, a brush size, a drawing tool, a colour):
// the chosen one looks pressed and says so to screen readers (aria-pressed); the rest do not.
export function pressOnly(buttons, chosen) {
  for (const button of buttons) {
    button.classList.toggle("active", button === chosen);
    button.setAttribute("aria-pressed", String(button === chosen));
  }
}

// Brush-size buttons (data-size, in CSS pixels) show a dot of their size. Sized here: the
// Content-Security-Policy allows no inline styles.
export function sizeDots(buttons) {
  for (const button of buttons) {
    const dot = button.querySelector("span");
    if (dot) dot.style.width = dot.style.height = `${button.dataset.size}px`;
  }
}
