// `npm run build [-- OUT_DIR]`: the compiled service that the image runs with plain `node`
// (Dockerfile), in `dist/` or OUT_DIR. tsc compiles the TypeScript of tsconfig.build.json once;
// every other file in those folders (a page's HTML, CSS and browser scripts) is copied beside
// the compiled modules, so code that finds its files relative to its own module
// (`import.meta.url`) finds them in the output as in the sources. Packages' files
// (swagger-ui-dist, bull-board's UI) are resolved from node_modules, which the output's parent
// folder holds, as /app does in the image.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsconfig = path.join(root, 'tsconfig.build.json');
const outDir = path.resolve(process.argv[2] ?? path.join(root, 'dist'));
const sourceDirs: string[] = JSON.parse(readFileSync(tsconfig, 'utf8')).include;

const inside = (dir: string, parent: string) => {
  const relative = path.relative(parent, dir);
  return !relative.startsWith('..') && !path.isAbsolute(relative);
};
// The output is emptied first (a deleted migration must not linger there for umzug to run),
// so it must not be the project itself or hold any of its sources.
if (inside(root, outDir) || sourceDirs.some((dir) => inside(outDir, path.join(root, dir)))) {
  console.error(`evently: build: refusing to write to ${outDir}, which holds sources`);
  process.exit(2);
}
rmSync(outDir, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', tsconfig, '--outDir', outDir], {
  stdio: 'inherit',
});
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

for (const dir of sourceDirs) {
  for (const entry of readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
    const target = path.join(outDir, path.relative(root, entry.parentPath), entry.name);
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(path.join(entry.parentPath, entry.name), target);
  }
}
