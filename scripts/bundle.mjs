// The published package: src/cli.ts and everything it loads, the AWS SDK and
// every other runtime dependency included, bundled by esbuild into bundle/.
// Code splitting keeps what the steps and commands load lazily in chunks of
// their own, so `--help` parses the small entry alone; the package then has
// no dependencies to download on the first `npx deploy-wizard`.
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * src/aws/clients.ts loads each SDK client package when the client is first built, through a createRequire of
 * its own (`sdk('@aws-sdk/client-x')`), which no bundler can follow. In the bundle the same calls become plain
 * `require('@aws-sdk/client-x')` of a literal name, which esbuild resolves to the bundled package: still
 * synchronous, still run only when that client is first built.
 */
const sdkRequires = {
  name: 'sdk-requires',
  setup(b) {
    b.onLoad({ filter: /src[\\/]aws[\\/]clients\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const contents = source.replace(/\bsdk\('(@aws-sdk\/client-[a-z0-9-]+)'\)\.(\w+Client)\b/g, "require('$1/dist-es/$2.js').$2");
      if (contents === source) throw new Error('bundle: src/aws/clients.ts no longer calls sdk(...) with a literal package name; update scripts/bundle.mjs');
      return { contents, loader: 'ts' };
    });
  },
};

await rm(`${root}/bundle`, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.12',
  // The SDK's ES module builds (one file per command, sideEffects: false), so only the commands the wizard sends
  // are kept: the EC2 package alone is some 2 MB of CommonJS with every one of its 700 commands.
  mainFields: ['module', 'main'],
  chunkNames: 'chunks/[name]-[hash]',
  // Whitespace and syntax only: names stay readable in a stack trace even without the maps.
  minifyWhitespace: true,
  minifySyntax: true,
  // Linked maps without the sources: file and line in --verbose stack traces (cli.ts turns them on), at a tenth of the size.
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  // CommonJS inside the bundle (the SDK, dockerode) calls require() for what stays outside (node's builtins) and
  // reads __dirname (ssh2); an ES module has neither, so each output file defines them.
  banner: {
    js: [
      "import { createRequire as __dwCreateRequire } from 'node:module';",
      "import { fileURLToPath as __dwFileURLToPath } from 'node:url';",
      'const require = __dwCreateRequire(import.meta.url);',
      'const __filename = __dwFileURLToPath(import.meta.url);',
      "const __dirname = __dwFileURLToPath(new URL('.', import.meta.url));",
    ].join(' '),
  },
  // ssh2 (under dockerode, for ssh:// engines) tries native speed-ups inside try/catch and falls back to JavaScript.
  external: ['*.node', 'cpu-features'],
  plugins: [sdkRequires],
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`bundle: ${Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js')).length} files, ${(bytes / 1e6).toFixed(1)} MB with maps`);
