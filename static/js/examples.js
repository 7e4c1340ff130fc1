// The pages' example buttons: a model's example inputs (inference/examples.py), served at the
// address its <option> carries in data-examples (example 0; webapp/studio/views.py: model_example).

/**
 * A function that fetches, at each call, the next of `count` examples of the model whose first
 * example is at `firstUrl`: { blob, index, style }, or null when it cannot be had. `style` is the
 * example scene's colours for a style-conditioned model ({ material: "#rrggbb" }), else null.
 */
export function exampleCycle(count) {
  let next = 0;
  return async (firstUrl) => {
    const index = next;
    next = (index + 1) % count;
    const response = await fetch(firstUrl.replace(/\/0\/$/, `/${index}/`)).catch(() => null);
    if (!response?.ok) return null;
    const style = response.headers.get("X-Example-Style");
    return { blob: await response.blob(), index, style: style ? JSON.parse(style) : null };
  };
}
