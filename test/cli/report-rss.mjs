// Preloaded (--import) into a CLI process by the hostile-server tests: writes the process's
// peak resident set size (getrusage maxrss, KiB) to RSS_REPORT_FILE when it exits.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.RSS_REPORT_FILE)
    writeFileSync(process.env.RSS_REPORT_FILE, String(process.resourceUsage().maxRSS));
});
