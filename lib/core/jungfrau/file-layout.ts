/**
 * The converted Jungfrau file, described as data (jungfrau.md §5, jungfrau_utils File.export):
 *
 *   general/detector_name                    copied from the raw file
 *   data/<DET>/pulse_id        uint64 (n, 1)  rows of the kept frames
 *   data/<DET>/daq_rec         uint32 (n, 1)
 *   data/<DET>/is_good_frame   uint8  (n, 1)
 *   data/<DET>/data            (n, H, W) float32 keV | int32 (factor) | uint16 (no conversion),
 *                                       one frame per chunk, bitshuffle+LZ4 with compression
 *   data/<DET>/meta/module_map            int64 (modules,)  place in the raw stack, -1 disabled
 *                  conversion, mask, gap_pixels, geometry   bool (stored uint8 0/1: h5wasm has no enums)
 *                  double_pixels, module_edge_pixels       string
 *                  downsample                               int64 (2,)  [1, 1] when not downsampled
 *                  pixel_mask                               bool (H, W), 1 = good (uint8)
 *                  pixel_mask_reasons                       int64 (H, W), MASK_BITS
 *                  good_pixels_fraction                     float64
 *                  conversion_factor                        float64, the factor or NaN (marks the file processed)
 *
 * With roi, each ROI is a group `data/<DET>:ROI_<label>` holding the same
 * per-frame datasets, `data` cut to the ROI, and meta/ with the ROI's
 * pixel_mask and pixel_mask_reasons plus meta/roi int64 [[y1, y2], [x1, x2]];
 * `data/<DET>` itself is not written. frame_index, module_map and pixel_mask
 * of the raw file are not copied.
 */
import type { Converter } from './converter';
import type { ResolvedDetectorOptions } from './options';

export type LayoutDType = 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'int32' | 'int64' | 'float32' | 'float64' | 'string';

/** bitshuffle (32008) with LZ4, 32768-element blocks. */
export const CONVERTED_COMPRESSION = { filter: 32008, options: [32768, 2] } as const;

export type LayoutContent =
  /** Frames of converter image `image` (the retriever writes them block by block). */
  | { kind: 'image'; image: number }
  /** The kept rows of a per-frame dataset of the raw file. */
  | { kind: 'frames'; from: 'pulse_id' | 'daq_rec' | 'is_good_frame' }
  /** Copied from the raw file as is. */
  | { kind: 'copy'; from: string }
  /** Known now: a scalar, a string, or typed-array values (row-major). */
  | { kind: 'value'; value: number | string | ArrayLike<number> };

export interface LayoutDataset {
  path: string;
  dtype: LayoutDType;
  /** [] for a scalar. */
  shape: number[];
  chunks?: number[];
  compression?: typeof CONVERTED_COMPRESSION;
  content: LayoutContent;
}

/**
 * Every dataset of the converted file for `frames` kept frames.
 *
 * @example
 *   convertedFileLayout(resolved, converter, 1000).map((d) => d.path)
 *   // ['general/detector_name', 'data/JF06T08V04/pulse_id', ..., 'data/JF06T08V04/data', 'data/JF06T08V04/meta/module_map', ...]
 */
export function convertedFileLayout(resolved: ResolvedDetectorOptions, converter: Pick<Converter, 'images' | 'moduleMap'>, frames: number): LayoutDataset[] {
  const out: LayoutDataset[] = [{ path: 'general/detector_name', dtype: 'string', shape: [], content: { kind: 'copy', from: 'general/detector_name' } }];
  converter.images.forEach((image, index) => {
    const g = image.group;
    const [h, w] = image.shape;
    out.push(
      { path: `${g}/pulse_id`, dtype: 'uint64', shape: [frames, 1], content: { kind: 'frames', from: 'pulse_id' } },
      { path: `${g}/daq_rec`, dtype: 'uint32', shape: [frames, 1], content: { kind: 'frames', from: 'daq_rec' } },
      { path: `${g}/is_good_frame`, dtype: 'uint8', shape: [frames, 1], content: { kind: 'frames', from: 'is_good_frame' } },
      {
        path: `${g}/data`,
        dtype: image.dtype,
        shape: [frames, h, w],
        chunks: [1, h, w],
        ...(resolved.compression ? { compression: CONVERTED_COMPRESSION } : {}),
        content: { kind: 'image', image: index },
      },
    );
    const meta = (name: string, dtype: LayoutDType, shape: number[], value: number | string | ArrayLike<number>): LayoutDataset => ({
      path: `${g}/meta/${name}`,
      dtype,
      shape,
      content: { kind: 'value', value },
    });
    out.push(
      meta('module_map', 'int64', [converter.moduleMap.length], converter.moduleMap),
      meta('conversion', 'uint8', [], resolved.conversion ? 1 : 0),
      meta('mask', 'uint8', [], resolved.mask ? 1 : 0),
      meta('gap_pixels', 'uint8', [], resolved.gapPixels ? 1 : 0),
      meta('geometry', 'uint8', [], resolved.geometry ? 1 : 0),
      meta('double_pixels', 'string', [], resolved.doublePixels),
      meta('module_edge_pixels', 'string', [], resolved.moduleEdgePixels),
      meta('downsample', 'int64', [2], resolved.downsample ?? [1, 1]),
      meta('pixel_mask', 'uint8', [h, w], image.pixelMask),
      meta('pixel_mask_reasons', 'int64', [h, w], image.pixelMaskReasons),
      meta('good_pixels_fraction', 'float64', [], image.goodPixelsFraction),
      meta('conversion_factor', 'float64', [], resolved.factor ?? Number.NaN),
    );
    if (image.roi) out.push(meta('roi', 'int64', [2, 2], [image.roi.y1, image.roi.y2, image.roi.x1, image.roi.x2]));
  });
  return out;
}
