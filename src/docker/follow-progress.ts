import type Docker from 'dockerode';

export interface ProgressEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string; Digest?: string; Tag?: string };
}

/** Why a build or push was stopped: it went quiet for longer than its idle limit. */
export class StalledError extends Error {
  constructor(readonly idleMs: number) {
    super(`no progress for ${Math.round(idleMs / 1000)}s`);
    this.name = 'StalledError';
  }
}

/**
 * Follows a build or push stream to its end. A failure arrives inside the
 * stream as `errorDetail`, not as a rejected promise, so each event is
 * checked and the first error rejects. When `signal` aborts (Ctrl-C, or a
 * stall guard's timer), the stream is destroyed and the promise rejects with
 * the signal's reason, so a wedged daemon or registry cannot hang the run.
 */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent: (e: ProgressEvent) => void,
  signal?: AbortSignal,
): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    let failed: Error | undefined;
    const onAbort = () => {
      (stream as unknown as { destroy?: (e?: Error) => void }).destroy?.(signal!.reason as Error);
      reject(signal!.reason);
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: ProgressEvent[]) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) return reject(err);
        if (failed) return reject(failed);
        resolve(events);
      },
      (e: ProgressEvent) => {
        if ((e.error || e.errorDetail) && !failed) failed = new Error(e.errorDetail?.message ?? e.error ?? 'unknown error');
        onEvent(e);
      },
    );
  });
}
