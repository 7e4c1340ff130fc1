// Binary WebSocket frames of the live tools (webapp/studio/frames.py):
// a 4-byte big-endian header length, a JSON header, then the image bytes.

export async function packFrame(header, blob) {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const body = new Uint8Array(await blob.arrayBuffer());
  const frame = new Uint8Array(4 + head.length + body.length);
  new DataView(frame.buffer).setUint32(0, head.length);
  frame.set(head, 4);
  frame.set(body, 4 + head.length);
  return frame;
}

export function unpackFrame(data, type = "image/webp") {
  const length = new DataView(data).getUint32(0);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(data, 4, length)));
  return { header, image: new Blob([new Uint8Array(data, 4 + length)], { type }) };
}
