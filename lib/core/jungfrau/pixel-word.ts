/**
 * The raw pixel word and the frame header bits the conversion reads (§1, §4, §6).
 *
 *   bits 0..13  ADC value
 *   bits 14..15 gain bits: 00 G0, 01 G1, 11 G2, 10 invalid (converted with G2's constants)
 */
export const ADC_MASK = 0x3fff;
export const GAIN_SHIFT = 14;
/** The saturated word: gain bits 11, ADC 0 (0x3FFF in high-gain mode). */
export const SATURATED_WORD = 0xc000;
export const SATURATED_WORD_HIGHGAIN = 0x3fff;
/** Gain bits 10: "undefined" for the pedestal run, yet converted with G2 constants. */
export const INVALID_GAIN_BITS = 0b10;

/** Gain stage (0, 1, 2) whose constants convert a word with these gain bits. */
export const STAGE_OF_GAIN_BITS: readonly [0, 1, 2, 2] = [0, 1, 2, 2];

/** @example gainBitsOf(0xc123) // 3 */
export const gainBitsOf = (word: number): number => (word >>> GAIN_SHIFT) & 0b11;
/** @example adcOf(0xc123) // 0x123 */
export const adcOf = (word: number): number => word & ADC_MASK;
/** @example pixelWord(1, 2000) // 0x47d0 */
export const pixelWord = (gainBits: number, adc: number): number => ((gainBits & 0b11) << GAIN_SHIFT) | (adc & ADC_MASK);

/**
 * daq_rec bits (buffers.md, jungfrau.md §5/§6): bit 0 high G0, bits 12..13 the
 * gain a pedestal run forces (0, 1 or 3), bit 16 laser on, bit 17 dark shot,
 * bit 19 pulse picker open.
 */
export const DAQ_REC = {
  highG0: 1 << 0,
  forcedGainShift: 12,
  laserOn: 1 << 16,
  darkShot: 1 << 17,
  pulsePicker: 1 << 19,
} as const;

/** @example isHighGain(0x1) // true: convert with the high-gain planes */
export const isHighGain = (daqRec: number | bigint): boolean => (Number(BigInt.asUintN(32, BigInt(daqRec))) & DAQ_REC.highG0) !== 0;
/** @example forcedGainOf(3 << 12) // 3 */
export const forcedGainOf = (daqRec: number): number => (daqRec >>> DAQ_REC.forcedGainShift) & 0b11;
/** @example isPulsePickerEvent(1 << 19) // true */
export const isPulsePickerEvent = (daqRec: number): boolean => (daqRec & DAQ_REC.pulsePicker) !== 0;
/** Light shot for the CrystFEL lists: bit 16 set and bit 17 clear. @example isLaserLight(1 << 16) // true */
export const isLaserLight = (daqRec: number): boolean => (daqRec & DAQ_REC.laserOn) !== 0 && (daqRec & DAQ_REC.darkShot) === 0;
