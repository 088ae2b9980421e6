// Preloaded into a benchmarked process (`node --require bench/peakRss.js …`): as the process exits, writes its peak
// resident memory to stderr as a last line {"peakRssMiB": N}, so that the process itself runs unchanged.
'use strict';
process.on('exit', () => require('node:fs').writeSync(2, `\n${JSON.stringify({ peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`));
