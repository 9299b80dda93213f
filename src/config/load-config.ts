import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { InputError } from '../errors.js';
import { configSchema, envConfigSchema, type Config } from './schema.js';
import { deepMerge, hasPath } from './merge.js';
import { closest } from './suggest.js';

export interface LoadedConfig {
  config: Config;
  /** Directory of the config file: image paths are relative to it. */
  dir: string;
  path: string;
  env: string;
}

/** Reads, merges `environments.<env>` over the base, and validates; every problem is reported at once. */
export async function loadConfig(path: string, env: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InputError(`read config: ${path} does not exist`, [], {
        hint: 'Run `deploy-wizard init` to create it, or pass --config PATH.',
      });
    }
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      `read config: cannot read ${path} (${code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? (e as Error).message)})`,
      [`--config: ${path}`],
      {
        hint: code === 'EACCES' ? 'Make the file readable by this user, or pass --config PATH.' : 'Pass --config with the path of deploy-wizard.json.',
      },
    );
  }
  return { config: parseConfig(text, path, env), dir: dirname(resolve(path)), path: resolve(path), env };
}

export function parseConfig(text: string, source: string, env: string): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(`read config: ${source} is not valid JSON`, [(e as Error).message]);
  }
  const problems: string[] = [];
  const base = configSchema.safeParse(raw);
  if (!base.success) problems.push(...describeIssues(base.error.issues, []));

  const environments = (typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).environments : undefined) ?? {};
  const { environments: _drop, ...rawBase } = (raw ?? {}) as Record<string, unknown>;
  let selected: Config | undefined;
  const envNames = Object.keys(environments as object);
  if (!envNames.includes(env)) {
    // An env without an overlay just uses the base, but a near miss is likely a typo.
    const near = closest(env, envNames);
    if (near) problems.push(`--env ${env}: there is no environments.${env}; did you mean "${near}"?`);
  }
  // Validate every overlay, not just the selected one, so a typo in staging is found while deploying prod.
  for (const [name, overlay] of Object.entries(environments as Record<string, unknown>)) {
    if (typeof overlay !== 'object' || overlay === null) continue;
    const merged = envConfigSchema.safeParse(deepMerge(rawBase, overlay as Record<string, unknown>));
    if (!merged.success) {
      // Report only what the overlay itself sets; the base's own problems were reported above.
      const own = merged.error.issues.flatMap((i): z.core.$ZodIssue[] => {
        if (i.code !== 'unrecognized_keys') return hasPath(overlay, i.path) ? [i] : [];
        const keys = i.keys.filter((k) => hasPath(overlay, [...i.path, k]));
        return keys.length ? [{ ...i, keys }] : [];
      });
      problems.push(...describeIssues(own, ['environments', name]));
    } else if (name === env) selected = merged.data;
  }
  if (problems.length) {
    throw new InputError(`check config: ${source} has ${problems.length} problem${problems.length > 1 ? 's' : ''}`, problems, {
      hint: 'Fix each key named above; nothing has been created.',
    });
  }
  const config = selected ?? envConfigSchema.parse(rawBase);
  // Names that join app, env and a key must fit AWS's limits for this env.
  const long = Object.keys(config.schedules).filter((k) => `${config.app}-${env}-${k}`.length > 64);
  if (long.length) {
    throw new InputError(
      `check config: ${source} has ${long.length} problem${long.length > 1 ? 's' : ''}`,
      long.map(
        (k) =>
          `schedules.${k}: the schedule name ${config.app}-${env}-${k} is ${`${config.app}-${env}-${k}`.length} characters; EventBridge Scheduler allows 64, so shorten the key`,
      ),
      { hint: 'Fix each key named above; nothing has been created.' },
    );
  }
  return withPreviewAlias(config, env);
}

/**
 * The parent env of previews answers every NAME.<previews.domain>: its certificate and alias records cover
 * `*.<previews.domain>` (domain.aliases takes one wildcard label), so no preview waits for a certificate or DNS.
 */
function withPreviewAlias(config: Config, env: string): Config {
  const p = config.previews;
  if (!p || p.from !== env || !config.domain) return config;
  const wildcard = `*.${p.domain}`;
  if (config.domain.aliases.includes(wildcard)) return config;
  return { ...config, domain: { ...config.domain, aliases: [...config.domain.aliases, wildcard] } };
}

function keyPath(prefix: readonly PropertyKey[], path: readonly PropertyKey[]): string {
  const parts = [...prefix, ...path];
  return parts.length ? parts.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') : '(top level)';
}

function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(issue.path);
      for (const key of issue.keys) {
        const near = closest(key, known);
        out.push(`${keyPath(prefix, [...issue.path, key])}: unknown key${near ? `; did you mean "${near}"?` : `; known keys here: ${known.join(', ')}`}`);
      }
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      out.push(`${keyPath(prefix, issue.path)}: required but missing`);
    } else if (issue.code === 'invalid_key') {
      // A record key that breaks the key's own rule: say the rule, not "Invalid key in record".
      const inner = (issue as unknown as { issues?: { message: string }[] }).issues?.map((i) => i.message).join('; ');
      out.push(`${keyPath(prefix, issue.path)}: ${inner || issue.message}`);
    } else if (issue.code === 'invalid_union') {
      out.push(`${keyPath(prefix, issue.path)}: ${unionMessage(issue)}`);
    } else {
      out.push(`${keyPath(prefix, issue.path)}: ${issue.message}`);
    }
  }
  return out;
}

// A union's own message ("Invalid input") says nothing; the branch errors do.
// An unknown key is the likeliest cause, so name it with a suggestion first.
function unionMessage(issue: z.core.$ZodIssueInvalidUnion): string {
  const unknown = new Set(issue.errors.flat().flatMap((e) => (e.code === 'unrecognized_keys' && e.path.length === 0 ? e.keys : [])));
  if (unknown.size) {
    const known = knownKeys(issue.path);
    return [...unknown]
      .map((k) => `unknown key "${k}"${closest(k, known) ? `; did you mean "${closest(k, known)}"?` : `; use one of ${known.join(', ')}`}`)
      .join('; ');
  }
  const branches = issue.errors.map((errs) => errs.map((e) => `${e.path.length ? `${e.path.join('.')}: ` : ''}${e.message}`).join('; '));
  return `none of the accepted forms matched (${branches.join(' | ')})`;
}

type Def = {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  innerType?: { _zod: { def: Def } };
  valueType?: { _zod: { def: Def } };
  element?: { _zod: { def: Def } };
  in?: { _zod: { def: Def } };
  options?: { _zod: { def: Def } }[];
};

/** The keys the schema allows for the object at `path`, for "did you mean". */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let defs: Def[] = [(configSchema as unknown as { _zod: { def: Def } })._zod.def];
  for (const key of [...path, undefined]) {
    // Unwrap optional/default/pipe wrappers and fan out over union branches.
    const flat: Def[] = [];
    const visit = (d: Def): void => {
      if (d.innerType) visit(d.innerType._zod.def);
      else if (d.in) visit(d.in._zod.def);
      else if (d.options) for (const o of d.options) visit(o._zod.def);
      else flat.push(d);
    };
    defs.forEach(visit);
    if (key === undefined) return [...new Set(flat.flatMap((d) => Object.keys(d.shape ?? {})))];
    defs = flat.flatMap((d) => {
      if (d.type === 'object' && d.shape && typeof key === 'string' && d.shape[key]) return [d.shape[key]._zod.def];
      if (d.type === 'record' && d.valueType) return [d.valueType._zod.def];
      if (d.type === 'array' && d.element) return [d.element._zod.def];
      return [];
    });
  }
  return [];
}
