// Result titles carry their date in the site's time zone; the browser knows the reader's, so it
// re-writes each <time data-local-time> in the same "30 Nov 14:02" form.

const MONTH = new Intl.DateTimeFormat("en-GB", { month: "short" });
const pad = (n) => String(n).padStart(2, "0");

export function localiseTimes(scope = document) {
  scope.querySelectorAll("time[data-local-time]").forEach((node) => {
    const when = new Date(node.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) return;
    node.textContent = `${when.getDate()} ${MONTH.format(when)} ${pad(when.getHours())}:${pad(when.getMinutes())}`;
  });
}
