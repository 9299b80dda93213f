import type Docker from 'dockerode';

export interface ProgressEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string; Digest?: string; Tag?: string };
}

/** Thrown when a build or push stream goes quiet for longer than its idle limit. */
export class StalledError extends Error {
  constructor(readonly idleMs: number) {
    super(`no progress for ${Math.round(idleMs / 1000)}s`);
    this.name = 'StalledError';
  }
}

/**
 * Follows a build or push stream to its end. A failure arrives inside the
 * stream as `errorDetail`, not as a rejected promise, so each event is
 * checked and the first error rejects. With `idle`, a stream that sends
 * nothing for that long is destroyed and the promise rejects with
 * StalledError, so a wedged daemon or registry cannot hang the run.
 */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent: (e: ProgressEvent) => void,
  idle?: { ms: number; touch?: (reset: () => void) => void },
): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    let failed: Error | undefined;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (!idle) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        const err = new StalledError(idle.ms);
        (stream as unknown as { destroy?: (e?: Error) => void }).destroy?.(err);
        reject(err);
      }, idle.ms);
      timer.unref();
    };
    idle?.touch?.(arm);
    arm();
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: ProgressEvent[]) => {
        clearTimeout(timer);
        if (err) return reject(err);
        if (failed) return reject(failed);
        resolve(events);
      },
      (e: ProgressEvent) => {
        arm();
        if ((e.error || e.errorDetail) && !failed) failed = new Error(e.errorDetail?.message ?? e.error ?? 'unknown error');
        onEvent(e);
      },
    );
  });
}
