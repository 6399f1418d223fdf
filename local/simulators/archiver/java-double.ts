/**
 * Java's `Double.toString(double)`, as the Archiver Appliance prints every
 * double it serves (ScalarValue and VectorValue call `value.toString()`).
 * Clients type a PV from its first value, so `9250` instead of `9250.0`
 * would turn a double PV into an integer one.
 *
 * The rules (JDK 19+ javadoc, Raffaello Giulietti's algorithm, which also
 * gives the same text as older JDKs for every value a simulator produces):
 * - NaN, Infinity, -Infinity, 0.0 and -0.0 as such;
 * - digits: the shortest decimal that rounds to the double (ties: closest to
 *   it, then even), as ECMAScript's Number::toString chooses them; but when
 *   that shortest has one digit, the closest among the decimals of one *or
 *   two* digits (so Double.MIN_VALUE is `4.9E-324`, not `5.0E-324`);
 * - layout by the decimal's exponent e (value = d.ddd x 10^e): for
 *   -3 <= e < 7 plain notation with at least one digit after the point
 *   (`0.001`, `9250.0`, `9999999.0`); else computerized scientific notation,
 *   one digit before the point, at least one after, `E` and the exponent
 *   (`1.0E-4`, `1.0E7`, `1.4277E-8`, `1.23456789E8`).
 *
 * @example
 *   javaDoubleToString(9250)      // '9250.0'
 *   javaDoubleToString(1.4277e-8) // '1.4277E-8'
 *   javaDoubleToString(-0)        // '-0.0'
 */
export function javaDoubleToString(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const a = Math.abs(x);
  let { digits, exponent } = shortestDecimal(a);
  if (digits.length === 1) ({ digits, exponent } = closestOfOneOrTwoDigits(a, digits, exponent));
  return sign + layout(digits, exponent);
}

interface Decimal {
  /** Significant digits, no leading or trailing zeros. */
  digits: string;
  /** Value = digits[0].digits[1..] x 10^exponent. */
  exponent: number;
}

/** The shortest round-tripping digits, read off Number::toString (closest, ties even: fully specified by ECMAScript). */
function shortestDecimal(a: number): Decimal {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(a));
  if (!m) throw new Error(`unexpected number text ${String(a)}`);
  const whole = m[1]!;
  const all = whole + (m[2] ?? '');
  const first = all.search(/[1-9]/);
  const digits = all.slice(first).replace(/0+$/, '');
  // The point sits after `whole`: the first significant digit's power of ten is whole.length - first - 1.
  return { digits, exponent: whole.length - first - 1 + Number(m[3] ?? 0) };
}

/**
 * Java's rule when the shortest decimal has one digit: among the decimals of
 * length one or two that round to `a`, the one closest to `a` (ties: even
 * last digit). A one-digit decimal d x 10^e is the two-digit (10d) x 10^(e-1).
 */
function closestOfOneOrTwoDigits(a: number, digits: string, exponent: number): Decimal {
  const exact = exactValue(a);
  let best: { s: bigint; q: number } = { s: BigInt(digits) * 10n, q: exponent - 1 };
  // Rare (one-digit shortest), so simply try every two-digit decimal of the two decades around a.
  for (const q of [exponent - 2, exponent - 1]) {
    for (let s = 10; s <= 99; s++) {
      if (Number(`${s}e${q}`) !== a) continue;
      const candidate = { s: BigInt(s), q };
      const order = compareDistance(exact, candidate, best);
      if (order < 0 || (order === 0 && candidate.s % 2n === 0n && best.s % 2n !== 0n)) best = candidate;
    }
  }
  const text = best.s.toString();
  return text.endsWith('0') ? { digits: text[0]!, exponent: best.q + 1 } : { digits: text, exponent: best.q + 1 };
}

/** A double as an exact fraction num / den (den a power of two). */
function exactValue(a: number): { num: bigint; den: bigint } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, a);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const power = (biased === 0 ? 1 : biased) - 1075; // value = mantissa x 2^power
  return power >= 0 ? { num: mantissa << BigInt(power), den: 1n } : { num: mantissa, den: 1n << BigInt(-power) };
}

/** Sign of |x - c1| - |x - c2| for decimals c = s x 10^q. */
function compareDistance(x: { num: bigint; den: bigint }, c1: { s: bigint; q: number }, c2: { s: bigint; q: number }): number {
  const distance = (c: { s: bigint; q: number }) => {
    // c = s x 10^q as cn / cd; |x - c| = |x.num * cd - cn * x.den| / (x.den * cd)
    const cn = c.q >= 0 ? c.s * 10n ** BigInt(c.q) : c.s;
    const cd = c.q >= 0 ? 1n : 10n ** BigInt(-c.q);
    const diff = x.num * cd - cn * x.den;
    return { num: diff < 0n ? -diff : diff, den: x.den * cd };
  };
  const d1 = distance(c1);
  const d2 = distance(c2);
  const left = d1.num * d2.den;
  const right = d2.num * d1.den;
  return left < right ? -1 : left > right ? 1 : 0;
}

function layout(digits: string, e: number): string {
  if (e >= 0 && e < 7) {
    const whole = digits.slice(0, e + 1).padEnd(e + 1, '0');
    return `${whole}.${digits.slice(e + 1) || '0'}`;
  }
  if (e < 0 && e >= -3) return `0.${'0'.repeat(-e - 1)}${digits}`;
  return `${digits[0]}.${digits.slice(1) || '0'}E${e}`;
}
