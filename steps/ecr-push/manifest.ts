import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { cacheRepositoryName, repositoryName } from '../../src/aws/names.js';
import { round } from '../../src/pricing.js';

export const manifest = defineStep({
  id: 'ecr-push',
  title: 'Build and push the images to ECR',
  dependsOn: [],
  resources: (w, c) =>
    Object.keys(c.images).flatMap((i) => {
      const name = repositoryName({ app: w.app, env: w.env, ...(w.preview ? { preview: w.preview } : {}), config: c }, i);
      return [
        { kind: 'repository', arn: arnIn(w, 'ecr', `repository/${name}`) },
        // A CI runner's build cache (steps/ecr-push/build-cache.ts): pushed and pulled like the image.
        { kind: 'build-cache', arn: arnIn(w, 'ecr', `repository/${cacheRepositoryName(name)}`) },
      ];
    }),
  grants: [
    { sid: 'RegistryLogin', calls: ['ECR:GetAuthorizationToken'], on: '*' },
    {
      sid: 'Repositories',
      calls: [
        'ECR:DescribeRepositories',
        'ECR:CreateRepository',
        'ECR:ListTagsForResource',
        'ECR:GetLifecyclePolicy',
        'ECR:PutLifecyclePolicy',
        'ECR:PutImageScanningConfiguration',
        'ECR:PutImageTagMutability',
        'ECR:DescribeImages',
        'ECR:BatchGetImage',
      ],
      // What `docker push` calls on the registry, and tagging the repository as it is made.
      actions: [
        'ecr:TagResource',
        'ecr:BatchCheckLayerAvailability',
        'ecr:InitiateLayerUpload',
        'ecr:UploadLayerPart',
        'ecr:CompleteLayerUpload',
        'ecr:PutImage',
        'ecr:GetDownloadUrlForLayer',
      ],
      on: ['repository', 'build-cache'],
    },
  ],
  cost(config) {
    const n = Object.keys(config.images).length;
    return [{ component: 'ECR', size: `~${n} GB of images`, monthly: round(0.1 * n) }];
  },
  load: async () => (await import('./apply.js')).ecrPush,
  loadTeardown: async () => (await import('./teardown.js')).destroyRepositories,
});
