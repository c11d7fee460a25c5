// The no-HTTP floor for bench/churn.sh: vm.createContext + running one tenant script, in a
// loop, for SECONDS (default 2). Prints "floor_ctx_per_s<TAB>N" and "floor_us<TAB>median µs".
//   node node_floor.mjs [SECONDS]
import vm from "node:vm";

const seconds = Number(process.argv[2] || 2);
const script = new vm.Script('globalThis.__default = { fetch() { return new Response("tenant 1\\n") } }');
const times = [];
for (let i = 0; i < 50; i++) script.runInContext(vm.createContext({ Response })); // warm-up
const start = process.hrtime.bigint();
const end = start + BigInt(Math.round(seconds * 1e9));
let now = start;
while (now < end) {
  const t = now;
  const ctx = vm.createContext({ Response });
  script.runInContext(ctx);
  ctx.__default.fetch();
  now = process.hrtime.bigint();
  times.push(Number(now - t) / 1000);
}
times.sort((a, b) => a - b);
console.log(`floor_ctx_per_s\t${(times.length / (Number(now - start) / 1e9)).toFixed(0)}`);
console.log(`floor_us\t${times[times.length >> 1].toFixed(1)}`);
