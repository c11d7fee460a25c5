#!/usr/bin/env python3
"""Two V8 heap snapshots side by side, by object kind: shallow KB in each and the difference.

  ATOLL_BENCH_HEAP_SNAPSHOT=/tmp/tenant.heapsnapshot build/bench/context_benchmark --benchmark_filter=BM_TenantHeapObjects
  ATOLL_BENCH_HEAP_SNAPSHOT=/tmp/bare.heapsnapshot build/bench/bare_v8_tenant
  python3 bench/heap_types.py /tmp/tenant.heapsnapshot /tmp/bare.heapsnapshot

Kinds are the snapshot's node types, with V8's internal objects ("system / Map", ScopeInfo,
BytecodeArray, ...) by their own name; functions' SharedFunctionInfos are "code:named".
"""
import json
import sys
from collections import Counter


def kinds(path):
    snap = json.load(open(path))
    meta = snap["snapshot"]["meta"]
    fields = meta["node_fields"]
    width = len(fields)
    type_names = meta["node_types"][0]
    strings, nodes = snap["strings"], snap["nodes"]
    at_type, at_name, at_size = fields.index("type"), fields.index("name"), fields.index("self_size")
    out = Counter()
    for k in range(0, len(nodes), width):
        kind = type_names[nodes[k + at_type]]
        name = strings[nodes[k + at_name]]
        if kind in ("code", "hidden", "array"):
            internal = name.startswith("system /") or name.startswith("(")
            kind += ":" + (name.removeprefix("system / ") if internal else "named")
        out[kind] += nodes[k + at_size]
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: heap_types.py A.heapsnapshot B.heapsnapshot")
    a, b = kinds(sys.argv[1]), kinds(sys.argv[2])
    print(f"{'A KB':>8} {'B KB':>8} {'A-B KB':>8}  kind")
    for kind in sorted(set(a) | set(b), key=lambda k: b[k] - a[k])[:30]:
        print(f"{a[kind] / 1024:8.1f} {b[kind] / 1024:8.1f} {(a[kind] - b[kind]) / 1024:8.1f}  {kind}")
    print(f"{sum(a.values()) / 1024:8.1f} {sum(b.values()) / 1024:8.1f} {(sum(a.values()) - sum(b.values())) / 1024:8.1f}  total")


if __name__ == "__main__":
    main()
