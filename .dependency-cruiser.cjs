/**
 * The layering the code keeps (npm run lint checks it):
 *   steps/ depend on src/pipeline (the step contract) and src/ plumbing;
 *   src/ never imports steps/, except the one wiring point, src/session.ts,
 *   which takes the ordered list from steps/index.ts;
 *   nothing imports steps/index.ts but that wiring point;
 *   a step never imports another step (only its types): what two steps share
 *   lives in src/ (a teardown imports its own step);
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
        'A step that imports another loads its module and SDK packages (alarms loaded RDS and ElastiCache for an app with neither), and ties the two together; what they share belongs in src/.',
      from: { path: '^steps/([^/]+)\\.ts$', pathNot: '^steps/index\\.ts$' },
      to: { path: '^steps/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'a-teardown-imports-only-its-own-step',
      severity: 'error',
      from: { path: '^steps/teardown/([^/]+)\\.ts$' },
      to: { path: '^steps/', pathNot: ['^steps/$1\\.ts$'], dependencyTypesNot: ['type-only'] },
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
