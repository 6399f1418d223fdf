// Types of chunk-codec.mjs.
export declare function byteShuffle(src: Uint8Array, size: number, out: Uint8Array): Uint8Array;
export declare function shuffleDeflate(src: Uint8Array, elementSize: number, level: number, scratch: Uint8Array): Uint8Array;
