// Before/after slider: the original is drawn over the result and clipped at the handle.

export function initCompare(root) {
  const range = root.querySelector(".compare-range");
  const original = root.querySelector(".compare-original");
  const update = () => { original.style.clipPath = `inset(0 ${100 - range.value}% 0 0)`; };
  range.addEventListener("input", update);
  update();
}

export function initAllCompares(scope = document) {
  scope.querySelectorAll("[data-compare]:not([data-ready])").forEach((root) => {
    root.dataset.ready = "1";
    initCompare(root);
  });
}
