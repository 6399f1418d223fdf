import { expect, test } from 'vitest';
import { decodeSlotHeader, encodeSlotHeader, slotStatus, type ModuleFrameHeader } from '../../../../../lib/adapters/buffers/detector/slot';

const header: ModuleFrameHeader = { pulseId: 18_940_426_916n, frameIndex: 2n ** 63n + 5n, daqRec: 1n << 19n, nRecvPackets: 128n, moduleId: 7n };

test('header round trip at an odd offset', () => {
  const buf = new Uint8Array(100);
  encodeSlotHeader(buf, 3, header);
  expect(buf[3]).toBe(0xbe);
  expect(Buffer.from(buf).readBigUInt64LE(4)).toBe(header.pulseId);
  expect(decodeSlotHeader(buf, 3)).toEqual(header);
});

test.for([
  ['good', 1000n, 128n, 1000n],
  ['bad-packets', 1000n, 127n, 1000n],
  ['bad-packets', 1000n, 129n, 1000n],
  ['stale', 0n, 128n, 1000n],
  ['stale', 1000n, 128n, 2000n],
] as const)('%s: slot holds %s with %s packets, asked %s', ([status, held, packets, asked]) => {
  expect(slotStatus({ ...header, pulseId: held, nRecvPackets: packets }, asked)).toBe(status);
});

test('a slot without the 0xBE marker is missing', () => {
  const zeros = new Uint8Array(41);
  expect(decodeSlotHeader(zeros, 0)).toBeUndefined();
  expect(slotStatus(undefined, 5n)).toBe('missing');
});
