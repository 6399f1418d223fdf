/** Moved to lib/core/rate.ts (pure, shared with the check); kept for imports written before the move. */
export * from '../core/rate';
