// The gallery grid: filters apply as they change, and the bulk bar follows the selection
// (count announced, buttons off until something is ticked, Delete asks first).
// Without this script both forms still work with their own buttons.
import { localiseTimes } from "./local-time.js";

localiseTimes();

const filters = document.getElementById("gallery-filters");
filters?.querySelectorAll("select").forEach((select) => {
  select.addEventListener("change", () => filters.requestSubmit());
});

const form = document.getElementById("bulk-form");
if (form) {
  const boxes = [...form.querySelectorAll("input[name=items]")];
  const count = document.getElementById("selected-count");
  const actions = [...form.querySelectorAll("[data-needs-selection]")];

  const all = document.createElement("label");
  all.className = "pick-all";
  all.innerHTML = '<input type="checkbox" id="select-all"> Select all on this page';
  form.querySelector(".bulk-bar legend").after(all);
  const allBox = all.querySelector("input");

  const update = () => {
    const chosen = boxes.filter((box) => box.checked).length;
    count.textContent = chosen ? `${chosen} selected` : "Nothing selected: tick results to add them to an album or delete them.";
    actions.forEach((button) => { button.disabled = chosen === 0; });
    allBox.checked = chosen === boxes.length;
    allBox.indeterminate = chosen > 0 && chosen < boxes.length;
    boxes.forEach((box) => box.closest(".thumb-cell").classList.toggle("picked", box.checked));
  };
  boxes.forEach((box) => box.addEventListener("change", update));
  allBox.addEventListener("change", () => {
    boxes.forEach((box) => { box.checked = allBox.checked; });
    update();
  });
  form.addEventListener("submit", (event) => {
    const message = event.submitter?.dataset.confirm;
    if (message && !confirm(message)) event.preventDefault();
  });
  update();
}
