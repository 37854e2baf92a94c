// Bundles src/index.js and @microsoft/signalr into one minified IIFE: the only file a page needs.
//   npm ci && npm run build   (scripts/setup.sh does both, only when something changed)
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = path.resolve(here, '../../src/NotebookGateway.Server/wwwroot/static/live-cells.js');

await build({
  entryPoints: [path.join(here, 'src/index.js')],
  outfile,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  logLevel: 'warning',
});
console.log(`live-cells: wrote ${path.relative(process.cwd(), outfile)}`);
