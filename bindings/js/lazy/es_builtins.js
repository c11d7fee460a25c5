// ES2023+ built-ins that V8 10.2 lacks, from core-js (pinned in package.json): loaded by the
// first read of any of their placeholders (bindings/es_builtins.cc), it installs each on the
// built-in object as the engine would (non-enumerable, writable, configurable).
// https://tc39.es/ecma262/ ; https://github.com/tc39/proposal-iterator-helpers ;
// https://github.com/tc39/proposal-set-methods ; https://github.com/tc39/proposal-arraybuffer-transfer
import "./lib/es_builtins_prelude.js";
import "core-js/modules/es.promise.with-resolvers.js";
import "core-js/modules/es.object.group-by.js";
import "core-js/modules/es.map.group-by.js";
import "core-js/modules/es.array.from-async.js";
import "core-js/modules/es.array.to-sorted.js";
import "core-js/modules/es.array.to-reversed.js";
import "core-js/modules/es.array.to-spliced.js";
import "core-js/modules/es.array.with.js";
import "core-js/modules/es.typed-array.to-sorted.js";
import "core-js/modules/es.typed-array.to-reversed.js";
import "core-js/modules/es.typed-array.with.js";
import "core-js/modules/es.set.union.v2.js";
import "core-js/modules/es.set.intersection.v2.js";
import "core-js/modules/es.set.difference.v2.js";
import "core-js/modules/es.set.symmetric-difference.v2.js";
import "core-js/modules/es.set.is-subset-of.v2.js";
import "core-js/modules/es.set.is-superset-of.v2.js";
import "core-js/modules/es.set.is-disjoint-from.v2.js";
import "core-js/modules/es.string.is-well-formed.js";
import "core-js/modules/es.string.to-well-formed.js";
import "core-js/modules/es.array-buffer.detached.js";
import "core-js/modules/es.array-buffer.transfer.js";
import "core-js/modules/es.array-buffer.transfer-to-fixed-length.js";
import "core-js/modules/es.iterator.constructor.js";
import "core-js/modules/es.iterator.from.js";
import "core-js/modules/es.iterator.map.js";
import "core-js/modules/es.iterator.filter.js";
import "core-js/modules/es.iterator.take.js";
import "core-js/modules/es.iterator.drop.js";
import "core-js/modules/es.iterator.flat-map.js";
import "core-js/modules/es.iterator.reduce.js";
import "core-js/modules/es.iterator.to-array.js";
import "core-js/modules/es.iterator.for-each.js";
import "core-js/modules/es.iterator.some.js";
import "core-js/modules/es.iterator.every.js";
import "core-js/modules/es.iterator.find.js";
