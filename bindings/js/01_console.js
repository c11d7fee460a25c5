"use strict";
// 01_console.js: the global `console` (https://console.spec.whatwg.org/): formats with
// 00_inspect.js and writes one JSON log line per call through native.log (tenant name added in C++).

const {
  ArrayPrototypePush, StringPrototypeIndexOf, StringPrototypeSlice, MapGet,
  MapSet, MapDelete,
} = internal.primordials;
const ObjectDefineProperty = Object.defineProperty;
const DateNow = Date.now;
const MathMax = Math.max;
const MathRound = Math.round;
const SymbolToStringTag = Symbol.toStringTag;
const $Error = Error;
const $Map = Map;
const $Number = Number;
const nativeLog = native.log;
const { defineGlobal, formatArgs, formatNumber, inspect, quoteString } = internal;

// ---------------------------------------------------------------------------------------------
// console

let groupIndent = "";

function emit(level, args) {
  let message;
  try {
    message = formatArgs(args);
  } catch (e) {
    message = "[console: the arguments could not be formatted]";
  }
  if (groupIndent !== "") {
    message = indentLines(message, groupIndent);
  }
  nativeLog(level, message);
}

// Every line of `message` indented (no RegExp: a tenant may have patched RegExp.prototype).
function indentLines(message, indent) {
  let out = indent;
  let from = 0;
  for (;;) {
    const at = StringPrototypeIndexOf(message, "\n", from);
    if (at === -1) return out + StringPrototypeSlice(message, from);
    out += StringPrototypeSlice(message, from, at + 1) + indent;
    from = at + 1;
  }
}

const counts = new $Map();
const timers = new $Map();
// console.count/time/group state is per use in a reused per_request context (js/lazy/lockdown.js).
internal.resetConsole = () => { counts.clear(); timers.clear(); groupIndent = ""; };

function label(value) {
  return value === undefined ? "default" : `${value}`;
}

function now() {
  const perf = globalThis.performance;
  if (perf !== undefined && perf !== null && typeof perf.now === "function") return perf.now();
  return DateNow();
}

function formatDuration(ms) {
  return `${formatNumber(MathRound(ms * 1000) / 1000)}ms`;
}

// A Web IDL namespace object (https://console.spec.whatwg.org/#console-namespace): its
// prototype is an empty object of its own, its operations own enumerable properties.
const console = {
  __proto__: {},
  log(...args) { emit("info", args); },
  info(...args) { emit("info", args); },
  warn(...args) { emit("warn", args); },
  error(...args) { emit("error", args); },
  debug(...args) { emit("debug", args); },
  trace(...args) {
    let stack = "";
    try {
      // Drop the "Error" line and the frame of trace() itself.
      stack = `${new $Error().stack}`;
      for (let n = 0; n < 2; n++) {
        const eol = StringPrototypeIndexOf(stack, "\n");
        stack = eol === -1 ? "" : StringPrototypeSlice(stack, eol + 1);
      }
    } catch {}
    const message = args.length === 0 ? "" : formatArgs(args);
    emit("debug", [`Trace${message === "" ? "" : `: ${message}`}${stack === "" ? "" : `\n${stack}`}`]);
  },
  assert(condition, ...data) {
    if (condition) return;
    if (data.length === 0) {
      emit("error", ["Assertion failed"]);
    } else if (typeof data[0] === "string") {
      data[0] = `Assertion failed: ${data[0]}`;
      emit("error", data);
    } else {
      const args = ["Assertion failed"];
      for (let i = 0; i < data.length; i++) ArrayPrototypePush(args, data[i]);
      emit("error", args);
    }
  },
  // The log is a stream of lines: there is no screen to clear, only the group stack to empty.
  clear() {
    groupIndent = "";
  },
  dir(item, options) {
    let depth = 2;
    if (options !== null && typeof options === "object" && options.depth !== undefined) {
      depth = options.depth === null ? Infinity : $Number(options.depth);
    }
    emit("info", [typeof item === "string" ? quoteString(item) : inspect(item, depth)]);
  },
  dirxml(...args) { emit("info", args); },
  table(tabularData, properties) {
    if (tabularData === null || typeof tabularData !== "object") {
      emit("info", [tabularData]);
      return;
    }
    emit("info", [internal.require("console_table").renderTable(tabularData, properties)]);
  },
  count(countLabel) {
    const key = label(countLabel);
    const n = (MapGet(counts, key) || 0) + 1;
    MapSet(counts, key, n);
    emit("info", [`${key}: ${n}`]);
  },
  countReset(countLabel) {
    const key = label(countLabel);
    if (!MapDelete(counts, key)) emit("warn", [`Count for '${key}' does not exist`]);
  },
  group(...args) {
    if (args.length > 0) emit("info", args);
    groupIndent += "  ";
  },
  groupCollapsed(...args) {
    if (args.length > 0) emit("info", args);
    groupIndent += "  ";
  },
  groupEnd() {
    groupIndent = StringPrototypeSlice(groupIndent, 0, MathMax(0, groupIndent.length - 2));
  },
  time(timerLabel) {
    const key = label(timerLabel);
    if (MapGet(timers, key) !== undefined) {
      emit("warn", [`Timer '${key}' already exists`]);
      return;
    }
    MapSet(timers, key, now());
  },
  timeLog(timerLabel, ...data) {
    const key = label(timerLabel);
    const start = MapGet(timers, key);
    if (start === undefined) {
      emit("warn", [`Timer '${key}' does not exist`]);
      return;
    }
    const args = [`${key}: ${formatDuration(now() - start)}`];
    for (let i = 0; i < data.length; i++) ArrayPrototypePush(args, data[i]);
    emit("info", args);
  },
  timeEnd(timerLabel) {
    const key = label(timerLabel);
    const start = MapGet(timers, key);
    if (start === undefined) {
      emit("warn", [`Timer '${key}' does not exist`]);
      return;
    }
    MapDelete(timers, key);
    emit("info", [`${key}: ${formatDuration(now() - start)}`]);
  },
};
ObjectDefineProperty(console, SymbolToStringTag, { value: "console", writable: false, enumerable: false, configurable: true });
defineGlobal("console", console);

