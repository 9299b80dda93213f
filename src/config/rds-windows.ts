// RDS's backup and maintenance windows, checked as CreateDBInstance checks
// them (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html,
// PreferredBackupWindow and PreferredMaintenanceWindow): UTC, at least 30
// minutes each, and the daily backup window must not overlap the weekly
// maintenance window.

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY = 24 * 60;
const WEEK = 7 * DAY;

const clock = (hh: string, mm: string) => (Number(hh) > 23 || Number(mm) > 59 ? undefined : Number(hh) * 60 + Number(mm));

/** [start, end) in minutes of the day; end may pass midnight (end > DAY). */
function backupSpan(w: string): [number, number] | string {
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(w);
  const s = m && clock(m[1]!, m[2]!);
  const e = m && clock(m[3]!, m[4]!);
  if (s == null || e == null) return 'expected hh:mm-hh:mm in UTC, e.g. 03:00-04:00';
  const end = e <= s ? e + DAY : e;
  return end - s < 30 ? 'must be at least 30 minutes' : [s, end];
}

/** [start, end) in minutes of the week from Monday 00:00; end may pass Sunday midnight. */
function maintenanceSpan(w: string): [number, number] | string {
  const m = /^([a-z]{3}):(\d{2}):(\d{2})-([a-z]{3}):(\d{2}):(\d{2})$/.exec(w.toLowerCase());
  const d1 = m ? DAYS.indexOf(m[1]!) : -1;
  const d2 = m ? DAYS.indexOf(m[4]!) : -1;
  const s = m && d1 >= 0 ? clock(m[2]!, m[3]!) : undefined;
  const e = m && d2 >= 0 ? clock(m[5]!, m[6]!) : undefined;
  if (s == null || e == null) return 'expected ddd:hh:mm-ddd:hh:mm in UTC, e.g. sun:04:30-sun:05:30 (days mon to sun)';
  const start = d1 * DAY + s;
  let end = d2 * DAY + e;
  if (end <= start) end += WEEK;
  return end - start < 30 ? 'must be at least 30 minutes' : [start, end];
}

const overlaps = (a: [number, number], b: [number, number], period: number) => [-period, 0, period].some((shift) => a[0] < b[1] + shift && b[0] + shift < a[1]);

/** Problems with the windows, each as [key, message]. */
export function rdsWindowProblems(backupWindow: string | undefined, maintenanceWindow: string | undefined): [key: string, message: string][] {
  const out: [string, string][] = [];
  const b = backupWindow === undefined ? undefined : backupSpan(backupWindow);
  const m = maintenanceWindow === undefined ? undefined : maintenanceSpan(maintenanceWindow);
  if (typeof b === 'string') out.push(['backupWindow', `${backupWindow}: ${b}`]);
  if (typeof m === 'string') out.push(['maintenanceWindow', `${maintenanceWindow}: ${m}`]);
  if (Array.isArray(b) && Array.isArray(m)) {
    // The backup window recurs every day of the week.
    const clash = Array.from({ length: 7 }, (_, d) => [b[0] + d * DAY, b[1] + d * DAY] as [number, number]).some((day) => overlaps(day, m, WEEK));
    if (clash) out.push(['backupWindow', `${backupWindow} overlaps the maintenance window ${maintenanceWindow}; RDS refuses windows that overlap`]);
  }
  return out;
}
