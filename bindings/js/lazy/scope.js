// The small globals of the WinterTC list: structuredClone
// (https://html.spec.whatwg.org/multipage/structured-data.html#dom-structuredclone, V8's
// ValueSerializer in C++) and performance (https://w3c.github.io/hr-time/), with user timing
// marks and measures (navigator is lazy module navigator). As in Cloudflare Workers, performance.timeOrigin is 0 and
// performance.now() is Date.now(): coarse, and frozen between I/O events (SPEC §3).
// Written against internal.primordials, as dom_exception.js (no method call on a built-in, no
// spread or for...of): harden.mjs leaves it as it is, so a first performance.now() or
// structuredClone() loads no safe-calls runtime (BM_FirstUse performance: ~1.5 ms and ~96 KB of
// heap with it), and DOMException is loaded only to throw one.
const { exposeInterface, newDOMException: domException } = internal;
const { $Error, $Number, $TypeError, ArrayPrototypePush, ArrayPrototypeSlice, DateNow, sequence } = internal.primordials;
const nativeStructuredClone = native.structuredClone;
const kCreate = { __proto__: null };  // the constructors' token

function structuredClone(value, options = undefined) {
  if (arguments.length === 0) throw new $TypeError("Failed to execute 'structuredClone': 1 argument required, but only 0 present.");
  let transfer;
  if (options !== undefined && options !== null) {
    if (typeof options !== "object") throw new $TypeError("structuredClone: options must be an object");
    if (options.transfer !== undefined) transfer = sequence(options.transfer, "structuredClone: transfer");
  }
  try {
    // internal.cloneHost: set by lazy module blob, loaded before any Blob exists.
    return nativeStructuredClone(value, transfer, internal.cloneHost);
  } catch (error) {
    if (error instanceof $Error && error.name === "DataCloneError") throw domException(error.message, "DataCloneError");
    throw error;
  }
}

const timeOrigin = 0;

// https://w3c.github.io/performance-timeline/#the-performanceentry-interface
class PerformanceEntry {
  #name;
  #entryType;
  #startTime;
  #duration;

  constructor(token, name, entryType, startTime, duration) {
    if (token !== kCreate) throw new $TypeError("Illegal constructor");
    this.#name = name;
    this.#entryType = entryType;
    this.#startTime = startTime;
    this.#duration = duration;
  }

  get name() { return this.#name; }
  get entryType() { return this.#entryType; }
  get startTime() { return this.#startTime; }
  get duration() { return this.#duration; }

  toJSON() {
    return { name: this.#name, entryType: this.#entryType, startTime: this.#startTime, duration: this.#duration };
  }
}

// https://w3c.github.io/user-timing/#performancemark
class PerformanceMark extends PerformanceEntry {
  #detail;

  constructor(markName, markOptions = undefined) {
    if (arguments.length < 1) throw new $TypeError("Failed to construct 'PerformanceMark': 1 argument required, but only 0 present.");
    const startTime = markOptions?.startTime === undefined ? DateNow() : $Number(markOptions.startTime);
    if (!(startTime >= 0)) throw new $TypeError("Failed to construct 'PerformanceMark': startTime cannot be negative.");
    super(kCreate, `${markName}`, "mark", startTime, 0);
    this.#detail = markOptions?.detail === undefined ? null : structuredClone(markOptions.detail);
  }

  get detail() { return this.#detail; }
}

class PerformanceMeasure extends PerformanceEntry {
  #detail;

  constructor(token, name, startTime, duration, detail) {
    super(token, name, "measure", startTime, duration);
    this.#detail = detail;
  }

  get detail() { return this.#detail; }
}

const entries = [];

function markTime(nameOrTime, what) {
  if (typeof nameOrTime === "number") return nameOrTime;
  const name = `${nameOrTime}`;
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i].entryType === "mark" && entries[i].name === name) return entries[i].startTime;
  }
  throw domException(`Failed to execute 'measure' on 'Performance': The mark '${name}' does not exist (${what}).`, "SyntaxError");
}

class Performance {
  constructor(token) {
    if (token !== kCreate) throw new $TypeError("Illegal constructor");
  }

  mark(markName, markOptions = undefined) {
    const mark = new PerformanceMark(markName, markOptions);
    ArrayPrototypePush(entries, mark);
    return mark;
  }

  // https://w3c.github.io/user-timing/#dom-performance-measure
  measure(measureName, startOrMeasureOptions = undefined, endMark = undefined) {
    let start = 0, end = DateNow(), detail = null;
    if (startOrMeasureOptions !== null && typeof startOrMeasureOptions === "object") {
      const options = startOrMeasureOptions;
      if (endMark !== undefined) throw new $TypeError("Failed to execute 'measure': endMark cannot be given with options.");
      if (options.start !== undefined) start = markTime(options.start, "start");
      if (options.end !== undefined) end = markTime(options.end, "end");
      else if (options.duration !== undefined) end = start + $Number(options.duration);
      if (options.start === undefined && options.duration !== undefined && options.end !== undefined) {
        start = end - $Number(options.duration);
      }
      if (options.detail !== undefined) detail = structuredClone(options.detail);
    } else {
      if (startOrMeasureOptions !== undefined) start = markTime(startOrMeasureOptions, "start");
      if (endMark !== undefined) end = markTime(endMark, "end");
    }
    const measure = new PerformanceMeasure(kCreate, `${measureName}`, start, end - start, detail);
    ArrayPrototypePush(entries, measure);
    return measure;
  }

  getEntries() {
    return ArrayPrototypeSlice(entries);
  }

  getEntriesByType(type) {
    return entriesWhere(undefined, `${type}`);
  }

  getEntriesByName(name, type = undefined) {
    return entriesWhere(`${name}`, type === undefined ? undefined : `${type}`);
  }

  clearMarks(markName = undefined) {
    clearEntries("mark", markName);
  }

  clearMeasures(measureName = undefined) {
    clearEntries("measure", measureName);
  }

  get timeOrigin() {
    return timeOrigin;
  }

  now() {
    return DateNow();
  }

  toJSON() {
    return { timeOrigin };
  }
}

// The entries of that name and type (undefined: any), in order.
function entriesWhere(name, type) {
  const out = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if ((name === undefined || entry.name === name) && (type === undefined || entry.entryType === type)) {
      ArrayPrototypePush(out, entry);
    }
  }
  return out;
}

function clearEntries(type, name) {
  let kept = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry.entryType === type && (name === undefined || entry.name === `${name}`)) continue;
    entries[kept++] = entry;
  }
  entries.length = kept;
}

exposeInterface(Performance, "Performance", false);
exposeInterface(PerformanceEntry, "PerformanceEntry", false);
exposeInterface(PerformanceMark, "PerformanceMark", false);
exposeInterface(PerformanceMeasure, "PerformanceMeasure", false);
const performance = new Performance(kCreate);

// A reused per_request context forgets the marks and measures of the previous use (lockdown.js).
function resetForUse() {
  entries.length = 0;
}

module.exports = {
  resetForUse, structuredClone, performance, Performance, PerformanceEntry, PerformanceMark, PerformanceMeasure,
};
