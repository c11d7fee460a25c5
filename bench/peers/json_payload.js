// The JSON workload's body (bench/run.sh with BENCH_WORKLOAD=json): what a small API endpoint
// does per request — parse the URL, read a header, JSON.stringify about 1 KB. Shared by every
// peer's handler, so each runs the same JavaScript.
export function payload(url, requestId) {
  const items = [];
  for (let i = 0; i < 8; i++) {
    items.push({ id: i, sku: `SKU-${1000 + i}`, name: `Item number ${i}`, price: 9.99 + i, tags: ["edge", "bench"], inStock: i % 2 === 0 });
  }
  return JSON.stringify({
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    host: url.hostname,
    requestId,
    served: "json-bench",
    items,
  });
}
