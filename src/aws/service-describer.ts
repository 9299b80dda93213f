import { DescribeServicesCommand, type ECSClient, type Service } from '@aws-sdk/client-ecs';

/** DescribeServices takes at most this many services a call. */
const PER_CALL = 10;
/** How long a request waits for others to join its call: polls that start together (every rollout of a deploy) share it. */
const WINDOW_MS = 25;

interface Pending {
  name: string;
  resolve: (s: Service | undefined) => void;
  reject: (e: unknown) => void;
}

/**
 * Describes ECS services one at a time for the caller, in shared calls: the
 * rollout waits of a deploy poll together, so ten services cost one
 * DescribeServices a poll instead of ten (ECS throttles service reads per
 * account), which lets each poll come sooner.
 */
export function serviceDescriber(ecs: Pick<ECSClient, 'send'>, cluster: string): (name: string) => Promise<Service | undefined> {
  let queue: Pending[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    const batch = queue;
    queue = [];
    for (let i = 0; i < batch.length; i += PER_CALL) {
      const part = batch.slice(i, i + PER_CALL);
      const names = [...new Set(part.map((p) => p.name))];
      ecs.send(new DescribeServicesCommand({ cluster, services: names })).then(
        (res) => {
          const found = res.services ?? [];
          for (const p of part) p.resolve(found.find((s) => s.serviceName === p.name || s.serviceArn?.endsWith(`/${p.name}`)));
        },
        (e: unknown) => part.forEach((p) => p.reject(e)),
      );
    }
  };
  return (name) =>
    new Promise<Service | undefined>((resolve, reject) => {
      queue.push({ name, resolve, reject });
      if (queue.length >= PER_CALL) {
        clearTimeout(timer);
        flush();
      } else timer ??= setTimeout(flush, WINDOW_MS);
    });
}
