// Socket Lab capture helper: a separate Node process that owns libpcap (npm `cap`).
// Filled in by the capture issue; for now it answers `--version` so the build covers it.
import { version } from '../src/core/about';

if (process.argv.includes('--version')) {
  process.stdout.write(`${version}\n`);
}
