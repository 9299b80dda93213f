import { parseDuration } from '../parse-duration.js';

/**
 * `--since`: a duration back from now (30s, 15m, 2h, 3d) or a moment
 * (2026-11-20T10:00, taken as UTC unless it names a zone). Undefined when it
 * is neither, so the caller can name the flag.
 */
export function parseSince(value: string, now: Date): Date | undefined {
  if (/^0+\s*[smhd]$/.test(value.trim())) return now;
  const ms = parseDuration(value);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(value)) {
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(value) || !value.includes('T');
    const t = Date.parse(zoned ? value : `${value}Z`);
    return Number.isNaN(t) ? undefined : new Date(t);
  }
  return undefined;
}
