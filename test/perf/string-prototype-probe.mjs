// Preloaded into a gateway process by fast-string-prototype.test.ts (needs
// --allow-natives-syntax). On SIGUSR2 it prints one JSON line: whether V8 still keeps
// String.prototype in fast mode, and whether ioredis was loaded at all.
import { createRequire } from 'node:module';

const hasFastProperties = new Function('o', 'return %HasFastProperties(o)');
const loaded = createRequire(import.meta.url).cache;

process.on('SIGUSR2', () => {
  const ioredisLoaded = Object.keys(loaded).some((file) => file.includes('/node_modules/ioredis/'));
  process.stdout.write(
    JSON.stringify({
      probe: 'string-prototype',
      fast: hasFastProperties(String.prototype),
      ioredisLoaded,
    }) + '\n',
  );
});
