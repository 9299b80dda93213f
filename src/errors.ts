// Few error types, each carrying what to do next; src/cli.ts is the one place
// that catches them and picks the exit code.

export const EXIT = { ok: 0, stepFailed: 1, badInput: 2, locked: 3, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class WizardError extends Error {
  readonly exitCode: ExitCode = EXIT.stepFailed;
  /** What the user should do next, printed under the message. */
  readonly hint?: string;
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
  }
}

/** Bad config, flags or missing values: exit 2, before anything is created. */
export class InputError extends WizardError {
  override readonly exitCode = EXIT.badInput;
  /** Every problem found, each naming its key or flag. */
  readonly problems: string[];
  constructor(message: string, problems: string[] = [], opts: { hint?: string } = {}) {
    super(message, opts);
    this.problems = problems;
  }
}

/** State locked by another run, or state that belongs to another account/region or a newer wizard. */
export class StateError extends WizardError {
  override readonly exitCode = EXIT.locked;
}

/** A step failed; running the same command again resumes at it. */
export class StepError extends WizardError {
  override readonly exitCode = EXIT.stepFailed;
  constructor(
    readonly stepId: string,
    message: string,
    opts: { hint?: string; cause?: unknown } = {},
  ) {
    super(message, opts);
  }
}

/** Ctrl-C or SIGTERM: nothing new starts, state is saved, exit 130. */
export class InterruptedError extends WizardError {
  override readonly exitCode = EXIT.interrupted;
  constructor(message = 'interrupted', hint = 'Run the same command again to resume.') {
    super(message, { hint });
  }
}

export function exitCodeOf(err: unknown): ExitCode {
  return err instanceof WizardError ? err.exitCode : EXIT.stepFailed;
}
