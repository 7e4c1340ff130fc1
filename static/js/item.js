import { initAllCompares } from "./compare.js";
import { initCopyButtons } from "./copy.js";

initAllCompares();
initCopyButtons();
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!confirm(form.dataset.confirm)) event.preventDefault();
  });
});
document.querySelectorAll(".share-url").forEach((input) => {
  input.addEventListener("focus", () => input.select());
});
