import { defineStep } from '../../src/pipeline/manifest.js';

export const manifest = defineStep({
  id: 'first-boot',
  title: 'Prove the app answers (first boot)',
  dependsOn: ['service', 'load-balancer', 'task-definition', 'site', 'dns'],
  grants: [
    {
      sid: 'FirstBootChecks',
      calls: ['ECS:DescribeServices', 'ECS:DescribeTasks', 'ECS:ListTasks', 'ELBv2:DescribeTargetHealth', 'ACM:DescribeCertificate'],
      on: '*',
    },
    { sid: 'FirstBootLogs', calls: ['Logs:GetLogEvents'], on: ['log-stream'] },
  ],
  load: async () => (await import('./apply.js')).firstBoot,
});
