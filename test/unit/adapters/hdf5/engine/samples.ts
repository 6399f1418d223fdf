/** Realistic test content: camera-like images (a moving spot on a noisy pedestal) and hashes. */
import { createHash } from 'node:crypto';

/** A deterministic h x w uint16 image: pedestal ~1000, a Gaussian spot moving with `seed`, Poisson-ish noise. */
export function cameraImage(h: number, w: number, seed: number): Uint16Array {
  const img = new Uint16Array(h * w);
  let s = (seed * 2_654_435_761) >>> 0 || 1;
  const cx = (w / 4 + seed * 13) % w;
  const cy = (h / 2 + seed * 7) % h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
      const noise = (s & 31) - 16;
      const spot = 3000 * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 2000);
      img[y * w + x] = Math.max(0, Math.round(1000 + spot + noise));
    }
  }
  return img;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
