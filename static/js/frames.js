// The browser half of the studio's WebSocket protocol, which webapp/studio/frames.py
// defines (binary frames, message types, newest-wins rules). Every page packs and
// reads frames through this module; static/js/stream.js does the newest-wins part.

const IMAGE_TYPES = [
  ["image/png", [0x89, 0x50, 0x4e, 0x47]],
  ["image/jpeg", [0xff, 0xd8, 0xff]],
  ["image/webp", [0x52, 0x49, 0x46, 0x46]],  // RIFF (…WEBP)
];

// 4-byte big-endian header length, the JSON header, then the image (a Blob or bytes).
export async function packFrame(header, image) {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const body = new Uint8Array(image instanceof Blob ? await image.arrayBuffer() : image);
  const frame = new Uint8Array(4 + head.length + body.length);
  new DataView(frame.buffer).setUint32(0, head.length);
  frame.set(head, 4);
  frame.set(body, 4 + head.length);
  return frame;
}

// { header, image }: the image as a Blob typed from its own signature (JPEG for Sketch, WebP for Stylize).
export function unpackFrame(data) {
  const length = new DataView(data).getUint32(0);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(data, 4, length)));
  const bytes = new Uint8Array(data, 4 + length);
  const [type] = IMAGE_TYPES.find(([, magic]) => magic.every((b, i) => bytes[i] === b)) ?? ["application/octet-stream"];
  return { header, image: new Blob([bytes], { type }) };
}
