/**
 * Module origins and rotations of the facility's detectors: numbers of the
 * public jungfrau_utils geometry table (jungfrau_utils/geometry.py), taken as
 * facts. Origins are the top-left corner of each module (with gap pixels,
 * 514 x 1030) on the detector canvas; `modRot90` rotates a module
 * counter-clockwise in quarter turns, `detRot90` the whole canvas.
 *
 * Left out on purpose (jungfrau.md §2): stripsel detectors and JF02T09V01,
 * whose modules are stacked side by side in the raw data; see UNSUPPORTED.
 */
export interface GeometryEntry {
  originY: readonly number[];
  originX: readonly number[];
  /** Per module; absent = no module rotated. */
  modRot90?: readonly number[];
  detRot90?: number;
}

const ONE_MODULE: GeometryEntry = { originY: [0], originX: [0] };
const THREE_STACKED: GeometryEntry = { originY: [0, 550, 1100], originX: [0, 0, 0] };

const JF02T09_REVERSED: GeometryEntry = {
  originY: [0, 0, 0, 0, 0, 0, 0, 0, 0],
  originX: [8288, 7252, 6216, 5180, 4144, 3108, 2072, 1036, 0],
  detRot90: 2,
};

const JF06T32: GeometryEntry = {
  originY: [
    68, 0, 618, 618, 550, 550, 1168, 1168, 1100, 1100, 1718, 1718, 1650, 1650, 2268, 2268,
    2200, 2200, 2818, 2818, 2750, 2750, 3368, 3368, 3300, 3300, 3918, 3918, 3850, 3850, 4468, 4400,
  ],
  originX: [
    972, 2011, 0, 1039, 2078, 3117, 0, 1039, 2078, 3117, 0, 1039, 2078, 3117, 66, 1106,
    2145, 3184, 66, 1106, 2145, 3184, 66, 1106, 2145, 3184, 66, 1106, 2145, 3184, 1106, 2145,
  ],
  detRot90: 1,
};

const JF06T08: GeometryEntry = {
  originY: [68, 0, 618, 550, 1168, 1100, 1718, 1650],
  originX: [0, 1039, 0, 1039, 67, 1106, 67, 1106],
  detRot90: 1,
};

const JF07T32: GeometryEntry = {
  originY: [
    0, 0, 68, 68, 550, 550, 618, 618, 1100, 1100, 1168, 1168, 1650, 1650, 1718, 1718,
    2200, 2200, 2268, 2268, 2750, 2750, 2818, 2818, 3300, 3300, 3368, 3368, 3850, 3850, 3918, 3918,
  ],
  originX: [
    68, 1107, 2146, 3185, 68, 1107, 2146, 3185, 68, 1107, 2146, 3185, 68, 1107, 2146, 3185,
    0, 1039, 2078, 3117, 0, 1039, 2078, 3117, 0, 1039, 2078, 3117, 0, 1039, 2078, 3117,
  ],
};

/** Looked up by full name, else by the name without `V..` (jungfrau.md §2). */
export const GEOMETRY_TABLE: Readonly<Record<string, GeometryEntry>> = {
  JF01T03V01: THREE_STACKED,
  JF02T09V02: JF02T09_REVERSED,
  JF02T09V03: JF02T09_REVERSED,
  JF02T01V02: { ...ONE_MODULE, detRot90: 2 },
  JF03T01V01: ONE_MODULE,
  JF03T01V02: ONE_MODULE,
  JF04T01V01: ONE_MODULE,
  JF06T32V01: JF06T32,
  JF06T32V02: JF06T32,
  JF06T32V03: JF06T32,
  JF06T32V04: JF06T32,
  JF06T08V01: JF06T08,
  JF06T08V02: JF06T08,
  JF06T08V03: JF06T08,
  JF06T08V04: JF06T08,
  JF06T08V05: JF06T08,
  JF06T04V01: { originY: [68, 0, 618, 550], originX: [0, 1039, 67, 1106], detRot90: 1 },
  JF07T32V01: JF07T32,
  JF07T32V02: JF07T32,
  JF07T03V01: THREE_STACKED,
  JF08T01V01: ONE_MODULE,
  JF09T01V01: ONE_MODULE,
  JF13T01V01: ONE_MODULE,
  JF14T01V01: ONE_MODULE,
  JF15T08V01: {
    originY: [0, 149, 550, 699, 1100, 1249, 1649, 1798],
    originX: [149, 1185, 149, 1185, 0, 1037, 0, 1037],
  },
  JF16T03V01: THREE_STACKED,
  JF16T03V02: THREE_STACKED,
  JF17T16V01: {
    originY: [0, 69, 550, 619, 1100, 1169, 1650, 1719, 2200, 2269, 2750, 2819, 597, 667, 1636, 1706],
    originX: [607, 1646, 607, 1646, 607, 1646, 538, 1577, 538, 1577, 538, 1577, 583, 3212, 514, 3143],
    modRot90: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 3],
  },
};

/** Detectors of the table this broker does not convert, and why (jungfrau.md §2). */
export const UNSUPPORTED_GEOMETRY: Readonly<Record<string, string>> = {
  JF02T09V01: 'its modules are stacked side by side in the raw data',
  JF05T01V01: 'it is a stripsel detector',
  JF10T01V01: 'it is a stripsel detector',
  JF11T04V01: 'it is a stripsel detector',
  JF12T04V01: 'it is a stripsel detector',
  JF18T01V01: 'it is a stripsel detector',
};
