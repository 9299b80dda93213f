// EventBridge Scheduler expressions: cron(min hour day-of-month month day-of-week year),
// rate(N unit) and at(yyyy-mm-ddThh:mm:ss). Checked before any AWS call so a
// typo is an exit 2 naming the schedule, not a ValidationException halfway
// through a deploy. The rules are the Scheduler user guide's "Schedule types":
// six fields; one of day-of-month and day-of-week must be "?"; day-of-week is
// 1-7 (SUN-SAT); L, W and # only where AWS allows them.

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: FieldSpec[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS },
  { name: 'year', min: 1970, max: 2199 },
];

export type ParsedSchedule =
  | { kind: 'cron'; expression: string; fields: (Set<number> | 'any' | 'special')[] }
  | { kind: 'rate'; expression: string; seconds: number }
  | { kind: 'at'; expression: string; at: string };

function value(token: string, f: FieldSpec): number | undefined {
  const upper = token.toUpperCase();
  const named = f.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^\d+$/.test(token)) return undefined;
  const n = Number(token);
  return n >= f.min && n <= f.max ? n : undefined;
}

/** One field into the set of values it allows; 'special' for L/W/# forms we accept but do not expand. */
function parseField(text: string, f: FieldSpec): Set<number> | 'any' | 'special' | string {
  if (text === '*' || text === '?') return text === '?' ? 'any' : new Set(range(f.min, f.max, 1));
  if (f.name === 'day-of-month' && /^(L|LW|\d{1,2}W|L-\d{1,2})$/i.test(text)) return 'special';
  if (f.name === 'day-of-week' && /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5])$/i.test(text)) return 'special';
  if (f.name === 'day-of-week' && /^L$/i.test(text)) return 'special';
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [base = '', stepText, extra] = part.split('/');
    if (extra !== undefined || base === '') return `"${part}" is not a value, range or step`;
    if (stepText !== undefined && !/^\d+$/.test(stepText)) return `"${part}" has a step that is not a number`;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) return `"${part}" has a step below 1`;
    const [a = '', b, more] = base.split('-');
    if (more !== undefined) return `"${part}" is not a value, range or step`;
    const from = base === '*' ? f.min : value(a, f);
    const to = base === '*' ? f.max : b !== undefined ? value(b, f) : stepText !== undefined ? f.max : from;
    if (from === undefined || to === undefined) {
      return `"${part}" is outside ${f.min}-${f.max}${f.names ? ` (or ${f.names[0]}-${f.names[f.names.length - 1]})` : ''}`;
    }
    if (to < from) return `"${part}" runs backwards`;
    for (const v of range(from, to, step)) out.add(v);
  }
  return out;
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** The expression EventBridge gets (a bare cron is wrapped), or why it is not valid. */
export function parseSchedule(input: string): ParsedSchedule | { problem: string } {
  const text = input.trim();
  const rate = /^rate\((.*)\)$/.exec(text);
  if (rate) {
    const m = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(rate[1]!.trim());
    if (!m) return { problem: `"${text}" is not rate(N minutes|hours|days)` };
    const n = Number(m[1]);
    if (n < 1) return { problem: `"${text}": the rate must be at least 1` };
    if ((n === 1) !== !m[2]!.endsWith('s'))
      return { problem: `"${text}": write rate(1 ${m[2]!.replace(/s$/, '')}) or rate(${n} ${m[2]!.replace(/s?$/, 's')})` };
    const unit = m[2]!.startsWith('minute') ? 60 : m[2]!.startsWith('hour') ? 3600 : 86400;
    return { kind: 'rate', expression: `rate(${n} ${m[2]})`, seconds: n * unit };
  }
  const at = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(text);
  if (at) return { kind: 'at', expression: text, at: at[1]! };
  if (/^at\(/.test(text)) return { problem: `"${text}" is not at(yyyy-mm-ddThh:mm:ss)` };
  const body = /^cron\((.*)\)$/.exec(text)?.[1] ?? text;
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) {
    return {
      problem: `"${text}" has ${parts.length} field${parts.length === 1 ? '' : 's'}; EventBridge cron has 6 (minutes hours day-of-month month day-of-week year), e.g. "0 2 * * ? *"`,
    };
  }
  const fields: (Set<number> | 'any' | 'special')[] = [];
  for (const [i, f] of FIELDS.entries()) {
    const r = parseField(parts[i]!, f);
    if (r === 'any' || r === 'special') {
      if (r === 'any' && i !== 2 && i !== 4) return { problem: `"${text}": "?" is only for day-of-month or day-of-week` };
      fields.push(r);
    } else if (typeof r === 'string') return { problem: `"${text}": ${f.name} ${r}` };
    else fields.push(r);
  }
  if ((parts[2] === '?') === (parts[4] === '?')) {
    return { problem: `"${text}": exactly one of day-of-month and day-of-week must be "?" (e.g. "0 2 * * ? *" for every day)` };
  }
  return { kind: 'cron', expression: `cron(${parts.join(' ')})`, fields };
}

/** Is this an IANA time zone the runtime knows (the list EventBridge accepts)? */
export function timezoneProblem(tz: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(tz) ? undefined : `"${tz}" is not an IANA time zone such as Europe/Paris`;
  } catch {
    return `"${tz}" is not an IANA time zone such as Europe/Paris or UTC`;
  }
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

function wallClock(at: Date, tz: string): Wall {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' })
      .formatToParts(at)
      .map((p) => [p.type, Number(p.value)]),
  );
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute! };
}

/** The instant a wall-clock time in `tz` names (the earlier one when clocks go back). */
function instantOf(w: Wall, tz: string): Date {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  let guess = asUtc;
  for (let i = 0; i < 3; i++) {
    const seen = wallClock(new Date(guess), tz);
    const diff = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute) - asUtc;
    if (diff === 0) break;
    guess -= diff;
  }
  return new Date(guess);
}

/** When a schedule next fires after `now`, or undefined when that cannot be worked out here (L/W/# forms, rates, past at()). */
export function nextRun(expression: string, tz: string, now: Date): Date | undefined {
  const p = parseSchedule(expression);
  if ('problem' in p) return undefined;
  if (p.kind === 'at') {
    const [d, t] = p.at.split('T') as [string, string];
    const [y, mo, da] = d.split('-').map(Number) as [number, number, number];
    const [h, mi] = t.split(':').map(Number) as [number, number];
    const when = instantOf({ year: y, month: mo, day: da, hour: h, minute: mi }, tz);
    return when > now ? when : undefined;
  }
  if (p.kind === 'rate') return undefined;
  if (p.fields.includes('special')) return undefined;
  const [minutes, hours, dom, months, dow, years] = p.fields as (Set<number> | 'any')[];
  const start = wallClock(now, tz);
  // Walk local calendar days for up to five years; each matching day tries its hours and minutes in order.
  const day0 = Date.UTC(start.year, start.month - 1, start.day);
  for (let d = 0; d < 366 * 5; d++) {
    const date = new Date(day0 + d * 86_400_000);
    const y = date.getUTCFullYear();
    const mo = date.getUTCMonth() + 1;
    const da = date.getUTCDate();
    if (years !== 'any' && !years!.has(y)) continue;
    if (months !== 'any' && !months!.has(mo)) continue;
    if (dom !== 'any' && !dom!.has(da)) continue;
    if (dow !== 'any' && !dow!.has(date.getUTCDay() + 1)) continue;
    for (const h of [...(hours as Set<number>)].sort((a, b) => a - b)) {
      for (const mi of [...(minutes as Set<number>)].sort((a, b) => a - b)) {
        const when = instantOf({ year: y, month: mo, day: da, hour: h, minute: mi }, tz);
        if (when > now) return when;
      }
    }
  }
  return undefined;
}
