// The JSON workload's body (bench/run.sh with BENCH_WORKLOAD=json): what a small API endpoint
// does per request — parse the URL, read a header, JSON.stringify about 1 KB. Shared by every
// peer's handler, so each runs the same JavaScript. A `rows` query parameter (run.sh's
// BENCH_JSON_ROWS: `/?rows=20`) builds that many items instead of 8 (at most 1000).
export function payload(url, requestId) {
  const query = Object.fromEntries(url.searchParams);
  const rows = query.rows === undefined ? 8 : Math.min(Math.max(Math.trunc(Number(query.rows)) || 0, 0), 1000);
  const items = [];
  for (let i = 0; i < rows; i++) {
    items.push({ id: i, sku: `SKU-${1000 + i}`, name: `Item number ${i}`, price: 9.99 + i, tags: ["edge", "bench"], inStock: i % 2 === 0 });
  }
  return JSON.stringify({
    path: url.pathname,
    query,
    host: url.hostname,
    requestId,
    served: "json-bench",
    items,
  });
}
