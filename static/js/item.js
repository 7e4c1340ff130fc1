import { initAllCompares } from "./compare.js";
import { initCopyButtons } from "./copy.js";
import { localiseTimes } from "./local-time.js";

initAllCompares();
initCopyButtons();
localiseTimes();
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!confirm(form.dataset.confirm)) event.preventDefault();
  });
});
document.querySelectorAll(".share-url").forEach((input) => {
  input.addEventListener("focus", () => input.select());
});
