import { inject } from 'vitest';

// In-process tests construct SDK clients, which read credentials and
// AWS_ENDPOINT_URL from process.env: point them at the stand-ins.
Object.assign(process.env, inject('standins').env, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });

// The sample app's Dockerfile takes APP_VERSION from this variable (a required build arg).
process.env.SAMPLE_APP_VERSION ??= '1.0.0';

// No test reaches GitHub: ci github asks this stand-in (or, unset, a closed port on loopback) instead of its API.
process.env.DEPLOY_WIZARD_GITHUB_API ??= 'http://127.0.0.1:9';
delete process.env.GITHUB_TOKEN;
delete process.env.GH_TOKEN;
