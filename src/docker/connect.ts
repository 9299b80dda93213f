import Docker from 'dockerode';
import { InputError } from '../errors.js';

/** dockerode options for a DOCKER_HOST value (unix://, tcp://, http://) or the default socket. */
export function dockerOptions(dockerHost: string | undefined): Docker.DockerOptions {
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: url.protocol === 'https:' ? 'https' : 'http' };
}

/** Connects and pings Docker, failing with an error that names DOCKER_HOST (exit 2) before any AWS call. */
export async function connectDocker(dockerHost: string | undefined): Promise<Docker> {
  const docker = new Docker({ ...dockerOptions(dockerHost), timeout: 0 });
  const where = dockerHost ?? 'unix:///var/run/docker.sock (the default; DOCKER_HOST is not set)';
  try {
    await Promise.race([docker.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5000).unref())]);
  } catch (e) {
    throw new InputError(`connect to Docker: cannot reach the Docker engine at ${where}: ${(e as Error).message}`, [], {
      hint: 'Start Docker (or `podman system service`), or set DOCKER_HOST to its socket, e.g. DOCKER_HOST=unix:///run/podman/podman.sock.',
    });
  }
  return docker;
}
