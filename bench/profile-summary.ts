// `tsx bench/profile-summary.ts DIR [FROM_US TO_US]`: summarises a CPU profile written by
// `node --cpu-prof --cpu-prof-dir=DIR` (e.g. `npm run bench -- --profile --keep-logs`), optionally
// only the samples between two readings of the monotonic clock in µs
// (`node -p "String(process.hrtime.bigint() / 1000n)"`).
import { summarizeProfile } from './lib/profile.js';

const [dir, from, to] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: tsx bench/profile-summary.ts DIR [FROM_US TO_US]\n');
  process.exit(2);
}
process.stdout.write(
  `${summarizeProfile(dir, from && to ? { from: Number(from), to: Number(to) } : undefined)}\n`,
);
