/**
 * JSON.parse that also takes the bare `NaN`, `Infinity` and `-Infinity` the
 * appliance writes for non-finite doubles: its JSON answer prints a scalar
 * with Java's `Double.toString` (ScalarValue.toJSONString in epicsarchiverap),
 * so a PV reading NaN makes the whole answer invalid JSON.
 */

/** Marker a non-finite token becomes while parsing; EPICS strings are C strings and never hold NUL. */
const MARK = '\u0000';
const TOKENS = ['-Infinity', 'Infinity', 'NaN'] as const;

/**
 * Parse appliance JSON; throws SyntaxError when it is malformed even with
 * non-finite tokens allowed. Non-finite numbers come back as NaN / ±Infinity.
 *
 * @example
 *   parseLenientJson('[{"val": NaN}]') // [{ val: NaN }]
 */
export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const marked = markNonFiniteTokens(text);
    if (marked === text) throw error;
    return JSON.parse(marked, (_key, value: unknown) =>
      typeof value === 'string' && value.startsWith(MARK) ? Number(value.slice(1)) : value,
    );
  }
}

/** Replace bare non-finite tokens outside strings by marked JSON strings (`"\u0000NaN"`). */
function markNonFiniteTokens(text: string): string {
  const parts: string[] = [];
  let copiedUpTo = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* backslash: skip the escaped char */) i++;
      else if (c === 0x22 /* quote */) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    if (c !== 0x4e /* N */ && c !== 0x49 /* I */ && c !== 0x2d /* - */) continue;
    const token = TOKENS.find((t) => text.startsWith(t, i));
    if (!token) continue;
    parts.push(text.slice(copiedUpTo, i), `"\\u0000${token}"`);
    i += token.length - 1;
    copiedUpTo = i + 1;
  }
  if (parts.length === 0) return text;
  parts.push(text.slice(copiedUpTo));
  return parts.join('');
}
