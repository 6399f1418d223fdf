/**
 * The palette of the image plots: index 0 = no data (dark grey), 1..255 =
 * viridis (perceptually uniform, readable by colour-blind people), linearly
 * interpolated from 9 anchors of matplotlib's table.
 */
const VIRIDIS: Array<[number, number, number]> = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** 256 RGB triplets, flattened (768 bytes): the PLTE chunk of a PNG. */
export function palette(): Uint8Array {
  const out = new Uint8Array(256 * 3);
  out.set([40, 40, 40], 0);
  for (let i = 1; i < 256; i++) {
    const t = ((i - 1) / 254) * (VIRIDIS.length - 1);
    const a = Math.floor(t);
    const b = Math.min(VIRIDIS.length - 1, a + 1);
    const f = t - a;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(VIRIDIS[a]![c]! * (1 - f) + VIRIDIS[b]![c]! * f);
  }
  return out;
}
