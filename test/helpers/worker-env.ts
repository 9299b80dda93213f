import { inject } from 'vitest';

// In-process tests construct SDK clients, which read credentials and
// AWS_ENDPOINT_URL from process.env: point them at the stand-ins.
Object.assign(process.env, inject('standins').env, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
