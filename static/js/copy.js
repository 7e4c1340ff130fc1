// Copy a share link: the clipboard API where the page may use it, else select the text and ask the
// browser to copy it; either way the result is announced in a live region ("Copied").

async function copyText(input) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(input.value);
      return true;
    } catch {
      // Refused (no permission, page not focused): fall through to the selection.
    }
  }
  input.focus();
  input.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

export function initCopyButtons(scope = document) {
  const status = scope.querySelector("#copy-status");
  scope.querySelectorAll("button[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const input = document.getElementById(button.dataset.copy);
      const copied = await copyText(input);
      if (!copied) {
        input.focus();
        input.select();
      }
      if (status) {
        // Emptied first, so a second click is announced again.
        status.textContent = "";
        status.textContent = copied ? "Copied" : "Selected: press Ctrl+C (⌘C) to copy";
      }
    });
  });
}
