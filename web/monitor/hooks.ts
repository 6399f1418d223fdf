import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

export interface Polled<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** When the last good answer came. */
  at: Date | undefined;
  loading: boolean;
}

/**
 * Call `fetcher` now and again every `intervalMs` while `keepGoing(data)` says
 * so (errors: again after a longer pause, the last good data stays shown).
 * Restarts when `key` changes.
 */
export function usePoll<T>(fetcher: () => Promise<T>, intervalMs: number, key: string, keepGoing: (data: T) => boolean = () => true): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ data: undefined, error: undefined, at: undefined, loading: true });
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const keepRef = useRef(keepGoing);
  keepRef.current = keepGoing;
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ data: undefined, error: undefined, at: undefined, loading: true });
    let failures = 0;
    const tick = async () => {
      let again = true;
      try {
        const data = await fetcherRef.current();
        if (cancelled) return;
        failures = 0;
        setState({ data, error: undefined, at: new Date(), loading: false });
        again = keepRef.current(data);
      } catch (error) {
        if (cancelled) return;
        failures++;
        const apiError = error instanceof ApiError ? error : new ApiError('unavailable', `The page could not read the answer: ${(error as Error).message}`);
        setState((s) => ({ ...s, error: apiError, loading: false }));
        // A refusal will not change by itself: ask again slowly; a network problem: back off to 5 s.
        if (apiError.kind === 'no-run' || apiError.kind === 'forbidden' || apiError.kind === 'key' || apiError.kind === 'refused') again = true;
      }
      if (again && !cancelled) timer = setTimeout(tick, failures === 0 ? intervalMs : Math.min(5000, intervalMs * (1 + failures)));
    };
    void tick();
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
    };
  }, [key, intervalMs]);
  return state;
}

/** The current hash route: `#/p12345` or `#/p12345/12`. */
export function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}
