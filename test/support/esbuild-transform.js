// Jest's transform for TypeScript: esbuild strips the types, as tsx does for the app and the CLIs; `npm run lint` (tsc) checks them.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: filename.endsWith('.tsx') ? 'tsx' : 'ts',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: filename,
      sourcesContent: false,
    });
    return { code, map };
  },
};
