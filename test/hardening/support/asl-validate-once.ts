/**
 * aws-local-stepfunctions validates the whole ASL definition (asl-validator,
 * ~90 ms of CPU on this machine) every time a StateMachine is constructed,
 * and the local Step Functions service constructs one per execution. Under
 * the suites' load (1,000 executions) that alone is ~2 minutes of CPU, so
 * suites that start many runs validate each distinct definition once and
 * construct later machines with `noValidate` (same definition, same
 * behaviour). The one-line fix belongs in local/emulators/stepfunctions.ts
 * (construct once in register()); see the hardening report.
 *
 * Use: vi.mock('aws-local-stepfunctions', async (original) => validateOnce(await original()));
 */
export function validateOnce<M extends { StateMachine: new (definition: any, options?: any) => any }>(mod: M): M {
  const validated = new Set<string>();
  const Original = mod.StateMachine;
  class ValidatedOnce extends Original {
    constructor(definition: unknown, options: { validationOptions?: Record<string, unknown> } = {}) {
      const key = JSON.stringify(definition);
      const seen = validated.has(key);
      super(definition, seen ? { ...options, validationOptions: { ...options.validationOptions, noValidate: true } } : options);
      validated.add(key);
    }
  }
  return { ...mod, StateMachine: ValidatedOnce };
}
