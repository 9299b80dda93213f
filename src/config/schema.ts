import { z } from 'zod';
import { baseShape, resourceName } from './sections.js';
import { checkApp, normalizeApp } from './normalize.js';

// The one schema for deploy-wizard.json. Types are inferred from it and the
// shipped JSON Schema (schema/deploy-wizard.schema.json) is generated from it.
// Every object is strict so a typo is an error with a suggestion, not silence.
// The sections are in sections.ts; checks across keys and the one shape every
// config takes (images and services) are in normalize.ts.

/** Everything but `environments`: what a merged, per-env config must satisfy, normalized to images and services. */
export const envConfigSchema = z.strictObject(baseShape).superRefine(checkApp).transform(normalizeApp);

// Overlays are checked by merging them over the base and validating the result
// (see load-config.ts); here they only need to be objects keyed by env name.
export const configSchema = z
  .strictObject({ ...baseShape, environments: z.record(resourceName, z.record(z.string(), z.unknown())).optional() })
  .superRefine(checkApp);

export type { RawConfig } from './sections.js';
export type Config = z.output<typeof envConfigSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type { ServiceSpec, ImageSpec } from './normalize.js';
