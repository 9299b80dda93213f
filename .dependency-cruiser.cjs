/**
 * The layering the code keeps (npm run lint checks it):
 *   steps/ depend on src/pipeline (the step contract) and src/ plumbing;
 *   src/ never imports steps/, except the one wiring point, src/session.ts,
 *   which takes the ordered list from steps/index.ts;
 *   nothing imports steps/index.ts but that wiring point;
 *   a step is a folder (steps/<id>/manifest.ts, apply.ts, teardown.ts) and
 *   never imports another step's folder (only its types): what two steps
 *   share lives in src/; a manifest imports no SDK package and loads its
 *   step's code only through a dynamic import;
 *   no import cycles.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes the load order matter and the layering meaningless.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-does-not-import-steps',
      severity: 'error',
      comment: 'Steps depend on the pipeline home, never the other way round; src/session.ts is the one wiring point.',
      from: { path: '^src/', pathNot: '^src/session\\.ts$' },
      to: { path: '^steps/' },
    },
    {
      name: 'no-step-to-step',
      severity: 'error',
      comment:
        'A step that imports another loads its module and SDK packages (alarms loaded RDS and ElastiCache for an app with neither), and ties the two together; what they share belongs in src/ or in a typed output.',
      from: { path: '^steps/([^/]+)/' },
      to: { path: '^steps/', pathNot: '^steps/$1/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'a-manifest-loads-no-sdk',
      severity: 'error',
      comment:
        'Manifests are read for every config (which steps run, the cost, the CI policy) before any step loads: an SDK import there would load its package for apps that never use it. The step code comes in through load().',
      from: { path: '^steps/[^/]+/manifest\\.ts$' },
      to: { path: '@aws-sdk/' },
    },
    {
      name: 'a-manifest-imports-its-code-only-lazily',
      severity: 'error',
      from: { path: '^steps/([^/]+)/manifest\\.ts$' },
      to: { path: '^steps/$1/(apply|teardown)\\.ts$', dependencyTypesNot: ['dynamic-import', 'type-only'] },
    },
    {
      name: 'a-command-calls-no-other-command',
      severity: 'error',
      comment: 'What two commands share is a function both call (src/deploy/deploy-app.ts, src/init/write-config.ts, src/state/shared-state.ts).',
      from: { path: '^src/commands/([^/]+)\\.ts$' },
      to: { path: '^src/commands/', pathNot: ['^src/commands/$1\\.ts$'] },
    },
    {
      name: 'a-command-makes-no-aws-call-itself',
      severity: 'error',
      comment: 'AWS calls live in the steps and in src/ (src/aws, src/secrets, src/logs...), where they are named once and tested; a command composes them.',
      from: { path: '^src/(commands|deploy)/' },
      to: { path: '@aws-sdk/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'a-command-file-loads-its-body-lazily',
      severity: 'error',
      comment: 'src/cli/<name>.ts is read for every run (its flags and help); the body, with the pipeline and the SDK, only when the command runs.',
      from: { path: '^src/cli' },
      to: { path: '^src/commands/', dependencyTypesNot: ['dynamic-import', 'type-only'] },
    },
    {
      name: 'only-the-wiring-point-imports-the-pipeline-list',
      severity: 'error',
      from: { path: '^(src|steps)/', pathNot: '^src/session\\.ts$' },
      to: { path: '^steps/index\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
