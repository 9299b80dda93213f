import type { Config } from '../config/schema.js';
import { ciInputs, configFlag } from './github-workflow.js';

/** Where the previews' workflow goes: one per parent env. */
export const previewWorkflowPath = (parent: string) => `.github/workflows/deploy-wizard-${parent}-previews.yml`;

export interface PreviewWorkflowOptions {
  app: string;
  parent: string;
  region: string;
  roleArn: string;
  /** The default branch, whose scheduled runs prune. */
  branch: string;
  version: string;
  configPath: string;
}

const q = (s: string) => JSON.stringify(s);
/** The marker that finds the workflow's own comment on a pull request, to update it in place. */
export const PREVIEW_COMMENT_MARKER = '<!-- deploy-wizard-preview -->';

/**
 * The previews' workflow: a pull request opened, pushed to or reopened brings its preview up (pr-<number>) and
 * says where in one comment, updated in place; closed takes it down; every night, previews not brought up for
 * previews.ttlDays go. One run per pull request at a time, queued (a push during an up waits; a close after it
 * takes down what the up made). Pull requests from forks get no OIDC token from GitHub (and a read-only
 * GITHUB_TOKEN, which cannot comment), so they get no preview: the run says so in its summary.
 * https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
 */
export function previewWorkflow(config: Config, o: PreviewWorkflowOptions): string {
  const { secrets, variables } = ciInputs(config);
  const env = [...secrets, ...variables].map((k) => `          ${k}: \${{ secrets.${k} }}`);
  const cfg = configFlag(o.configPath);
  const cli = `npx --yes deploy-wizard@${o.version}`;
  const same = 'github.event.pull_request.head.repo.full_name == github.repository';
  const setup = (cond: string) => [
    '      - uses: actions/checkout@v4',
    ...(cond ? [`        if: ${cond}`] : []),
    '      - uses: actions/setup-node@v4',
    ...(cond ? [`        if: ${cond}`] : []),
    '        with:',
    '          node-version: 20',
    '      - name: AWS credentials from the OIDC token',
    ...(cond ? [`        if: ${cond}`] : []),
    '        uses: aws-actions/configure-aws-credentials@v4',
    '        with:',
    `          role-to-assume: ${o.roleArn}`,
    `          aws-region: ${o.region}`,
    '          role-duration-seconds: 3600',
  ];
  return [
    `# Written by deploy-wizard ci github --previews: a preview of ${o.app} (${o.parent}) per pull request.`,
    `# AWS access comes from GitHub's OIDC token and the role ${o.roleArn.split('/').pop()}; no keys are stored.`,
    ...(secrets.length ? [`# Set these repository secrets first: ${secrets.join(', ')}.`] : []),
    `name: ${q(`deploy-wizard previews of ${o.app} (${o.parent})`)}`,
    '',
    'on:',
    '  pull_request:',
    '    types: [opened, synchronize, reopened, closed]',
    '  schedule:',
    "    - cron: '23 3 * * *'",
    '  workflow_dispatch:',
    '',
    'permissions:',
    '  id-token: write',
    '  contents: read',
    '  pull-requests: write',
    '',
    'jobs:',
    '  preview:',
    "    if: github.event_name == 'pull_request'",
    '    runs-on: ubuntu-latest',
    '    timeout-minutes: 60',
    '    # One run per pull request at a time: a push while its preview comes up waits, and so does the close.',
    '    concurrency:',
    `      group: deploy-wizard-preview-${o.app}-\${{ github.event.pull_request.number }}`,
    '      cancel-in-progress: false',
    '    env:',
    '      PREVIEW: pr-${{ github.event.pull_request.number }}',
    '    steps:',
    '      - name: No preview for a pull request from a fork',
    `        if: \${{ !(${same}) }}`,
    '        run: |',
    '          echo "::notice::No preview: GitHub gives workflows of pull requests from forks no OIDC token, so they cannot reach AWS."',
    '          echo "No preview for this pull request: it comes from a fork, and GitHub gives those no OIDC token (nor a token that may comment)." >> "$GITHUB_STEP_SUMMARY"',
    ...setup(same),
    '      - name: Preview up',
    '        id: up',
    `        if: ${same} && github.event.action != 'closed'`,
    ...(env.length ? ['        env:', ...env] : []),
    '        run: |',
    '          set -o pipefail',
    `          ${cli} preview up "$PREVIEW" --non-interactive --json${cfg} | tee preview.jsonl`,
    `          echo "url=$(tail -n 1 preview.jsonl | jq -r '.url // empty')" >> "$GITHUB_OUTPUT"`,
    '      - name: Say where, in one comment updated in place',
    `        if: ${same} && github.event.action != 'closed'`,
    '        env:',
    '          GH_TOKEN: ${{ github.token }}',
    '          URL: ${{ steps.up.outputs.url }}',
    '          SHA: ${{ github.event.pull_request.head.sha }}',
    '          NUMBER: ${{ github.event.pull_request.number }}',
    '          REPO: ${{ github.repository }}',
    '        run: |',
    `          body="$(printf '%s\\nPreview **%s** is up: %s\\n\\nLast brought up for %s.' '${PREVIEW_COMMENT_MARKER}' "$PREVIEW" "$URL" "$SHA")"`,
    `          id="$(gh api "repos/$REPO/issues/$NUMBER/comments" --paginate --jq '.[] | select(.body | startswith("${PREVIEW_COMMENT_MARKER}")) | .id' | head -n 1)"`,
    '          if [ -n "$id" ]; then gh api -X PATCH "repos/$REPO/issues/comments/$id" -f body="$body" > /dev/null',
    '          else gh api "repos/$REPO/issues/$NUMBER/comments" -f body="$body" > /dev/null; fi',
    '      - name: Preview down',
    `        if: ${same} && github.event.action == 'closed'`,
    `        run: ${cli} preview down "$PREVIEW" --non-interactive${cfg}`,
    '',
    '  prune:',
    "    if: github.event_name != 'pull_request'",
    '    runs-on: ubuntu-latest',
    '    timeout-minutes: 60',
    '    concurrency:',
    `      group: deploy-wizard-preview-${o.app}-prune`,
    '      cancel-in-progress: false',
    '    steps:',
    ...setup(''),
    '      - name: Take down previews not brought up for previews.ttlDays',
    `        run: ${cli} preview prune --non-interactive${cfg}`,
    '',
  ].join('\n');
}
