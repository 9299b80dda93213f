// Writes the JSON Schema for deploy-wizard.json from the zod schema, so editors
// complete and check the config. Runs as part of `npm run build`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema } from '../dist/src/config/schema.js';

const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
schema.title = 'deploy-wizard.json';
// One image and one service, or several of each: a rule zod checks in code, spelled out for editors.
schema.allOf = [{ oneOf: [{ required: ['image'] }, { required: ['images'] }] }, { oneOf: [{ required: ['service'] }, { required: ['services'] }] }];
schema.$id = 'https://deploy-wizard.dev/schema/deploy-wizard.schema.json';
mkdirSync(new URL('../schema/', import.meta.url), { recursive: true });
writeFileSync(new URL('../schema/deploy-wizard.schema.json', import.meta.url), JSON.stringify(schema, null, 2) + '\n');
