// Buttons that choose one of several (a zoom, a brush size, a drawing tool, a colour):
// the chosen one looks pressed and says so to screen readers (aria-pressed); the rest do not.
export function pressOnly(buttons, chosen) {
  for (const button of buttons) {
    button.classList.toggle("active", button === chosen);
    button.setAttribute("aria-pressed", String(button === chosen));
  }
}
