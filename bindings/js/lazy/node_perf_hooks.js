// node:perf_hooks (nodejs_compat; https://nodejs.org/api/perf_hooks.html): the context's own
// `performance` and its entry classes (lazy module scope: performance.now() is Date.now(), as in
// Workers), with unenv's PerformanceObserver, histograms and constants (pinned in package.json).
const perfHooks = require("./lib/esm_exports.js").esmExports(require("atoll-npm:unenv/node/perf_hooks"));
const scope = internal.require("scope");

perfHooks.performance = scope.performance;
perfHooks.Performance = scope.Performance;
perfHooks.PerformanceEntry = scope.PerformanceEntry;
perfHooks.PerformanceMark = scope.PerformanceMark;
perfHooks.PerformanceMeasure = scope.PerformanceMeasure;
module.exports = perfHooks;
