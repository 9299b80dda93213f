import type Docker from 'dockerode';

export interface ProgressEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string; Digest?: string; Tag?: string };
}

/**
 * Follows a build or push stream to its end. A failure arrives inside the
 * stream as `errorDetail`, not as a rejected promise, so each event is
 * checked and the first error rejects.
 */
export function followProgress(docker: Docker, stream: NodeJS.ReadableStream, onEvent: (e: ProgressEvent) => void): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    let failed: Error | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: ProgressEvent[]) => {
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
