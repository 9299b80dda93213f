/** A logger that replaces every registered secret value with **** before anything is printed. */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  debug(msg: string): void;
  /** Registers a value that must never be printed. */
  secret(value: string | undefined): void;
  redact(text: string): string;
}

export type LogSink = (level: 'info' | 'warn' | 'debug', msg: string) => void;

export class Redactor {
  private readonly values = new Set<string>();
  add(value: string | undefined): void {
    // Very short values would redact ordinary words; secrets are never that short.
    if (value && value.length >= 4) this.values.add(value);
  }
  redact(text: string): string {
    let out = text;
    for (const v of this.values) out = out.split(v).join('****');
    return out;
  }
}

export function createLogger(sink: LogSink, redactor: Redactor, verbose: boolean): Logger {
  return {
    info: (m) => sink('info', redactor.redact(m)),
    warn: (m) => sink('warn', redactor.redact(m)),
    debug: (m) => {
      if (verbose) sink('debug', redactor.redact(m));
    },
    secret: (v) => redactor.add(v),
    redact: (t) => redactor.redact(t),
  };
}
