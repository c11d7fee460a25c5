// The value formatter behind console and error reports: a compact port of node's util.inspect
// and the console formatter (https://console.spec.whatwg.org/#formatter). Lazy module "inspect":
// loaded on the first console call or uncaught error of a context (js/00_inspect.js).
const {
  ArrayBufferByteLength, ArrayIsArray, ArrayPrototypeIndexOf, ArrayPrototypeJoin,
  ArrayPrototypePop, ArrayPrototypePush, ArrayPrototypeSlice, BigIntPrototypeValueOf,
  BooleanPrototypeValueOf, DataViewByteLength, DataViewByteOffset, DateNow, DatePrototypeGetTime,
  DatePrototypeToISOString, $Error, ErrorPrototypeToString, FunctionPrototypeToString,
  JSONStringify, $Map, MapDelete, MapEntries, MapGet, MapIteratorNext, MapSize, MathFloor, MathMax,
  MathMin, MathRound, MathSqrt, $Number, NumberParseFloat, NumberParseInt, NumberPrototypeValueOf,
  ObjectDefineProperty, ObjectGetOwnPropertyDescriptor, ObjectGetOwnPropertySymbols,
  ObjectGetPrototypeOf, ObjectHasOwn, ObjectKeys, ObjectPropertyIsEnumerable, ObjectToString,
  $Promise, PromisePrototypeThen, ReflectApply, ReflectOwnKeys, RegExpPrototypeTest,
  RegExpPrototypeToString, RegExpSource, SetIteratorNext, SetSize, SetValues, $String,
  StringPrototypeCharCodeAt, StringPrototypeIncludes, StringPrototypeIndexOf,
  StringPrototypePadEnd, StringPrototypePadStart, StringPrototypeRepeat, StringPrototypeReplace,
  StringPrototypeSlice, StringPrototypeStartsWith, StringPrototypeToLowerCase,
  StringPrototypeToString, SymbolPrototypeToString, SymbolPrototypeValueOf, SymbolToStringTag,
  TypedArrayLength, TypedArrayPrototype, TypedArrayToStringTag, $Uint8Array, WeakMapHas,
  WeakSetHas,
} = internal.primordials;
const { uncurryThis } = internal;
const nativeLog = native.log;
const inspectHooks = internal.inspectHooks;

function findInspectHook(value) {
  let proto = value;
  for (let i = 0; i < 8; i++) {
    proto = ObjectGetPrototypeOf(proto);
    if (proto === null) return undefined;
    const hook = MapGet(inspectHooks, proto);
    if (hook !== undefined) return hook;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// inspect: a compact port of the parts of node's util.inspect that matter for logs.

const kObjectType = 0;
const kArrayType = 1;
const kArrayExtrasType = 2;
const kMaxArrayLength = 100;
const kMaxStringLength = 10000;
const kBreakLength = 80;
const kCompact = 3;
const kMaxExtraKeysScan = 10000; // arrays longer than this do not list their non-index keys
const kIdentifier = /^[a-zA-Z_][a-zA-Z_0-9]*$/;
const kArrayIndex = /^(?:0|[1-9][0-9]*)$/;
const kClassSource = /^class(?:\s|\{)/;
const kNewline = /\n/g;
const kStrEscape = /[\x00-\x1f\x27\x5c\x7f-\x9f]/;
const kStrEscapeGlobal = /[\x00-\x1f\x27\x5c\x7f-\x9f]/g;
const meta = [
  "\\x00", "\\x01", "\\x02", "\\x03", "\\x04", "\\x05", "\\x06", "\\x07",
  "\\b", "\\t", "\\n", "\\x0B", "\\f", "\\r", "\\x0E", "\\x0F",
  "\\x10", "\\x11", "\\x12", "\\x13", "\\x14", "\\x15", "\\x16", "\\x17",
  "\\x18", "\\x19", "\\x1A", "\\x1B", "\\x1C", "\\x1D", "\\x1E", "\\x1F",
];
function escapeChar(ch) {
  const c = StringPrototypeCharCodeAt(ch, 0);
  if (c < 0x20) return meta[c];
  if (c === 0x27) return "\\'";
  if (c === 0x5c) return "\\\\";
  return `\\x${StringPrototypePadStart(c.toString(16).toUpperCase(), 2, "0")}`;
}

function quoteString(str) {
  let trailer = "";
  if (str.length > kMaxStringLength) {
    const remaining = str.length - kMaxStringLength;
    str = StringPrototypeSlice(str, 0, kMaxStringLength);
    trailer = `... ${remaining} more character${remaining > 1 ? "s" : ""}`;
  }
  let quote = "'";
  if (StringPrototypeIncludes(str, "'")) {
    if (!StringPrototypeIncludes(str, '"')) quote = '"';
    else if (!StringPrototypeIncludes(str, "`") && !StringPrototypeIncludes(str, "${")) quote = "`";
  }
  if (quote !== "'" || !RegExpPrototypeTest(kStrEscape, str)) {
    if (quote !== "'") {
      // Only control characters and backslashes need escaping with the other quotes.
      str = StringPrototypeReplace(str, /[\x00-\x1f\x5c\x7f-\x9f]/g, escapeChar);
    }
    return `${quote}${str}${quote}${trailer}`;
  }
  return `'${StringPrototypeReplace(str, kStrEscapeGlobal, escapeChar)}'${trailer}`;
}

function formatNumber(n) {
  return n === 0 && 1 / n < 0 ? "-0" : `${n}`;
}

function formatPrimitive(value) {
  switch (typeof value) {
    case "string": return quoteString(value);
    case "number": return formatNumber(value);
    case "bigint": return `${value}n`;
    case "boolean": return value ? "true" : "false";
    case "undefined": return "undefined";
    case "symbol": return SymbolPrototypeToString(value);
    default: return $String(value);
  }
}

function is(check, value) {
  try {
    check(value);
    return true;
  } catch {
    return false;
  }
}

function getConstructorName(obj) {
  let o = obj;
  for (let i = 0; i < 1000 && o !== null; i++) {
    const desc = ObjectGetOwnPropertyDescriptor(o, "constructor");
    if (desc !== undefined && typeof desc.value === "function") {
      const nameDesc = ObjectGetOwnPropertyDescriptor(desc.value, "name");
      if (nameDesc !== undefined && typeof nameDesc.value === "string" && nameDesc.value !== "") {
        return nameDesc.value;
      }
    }
    o = ObjectGetPrototypeOf(o);
  }
  return null;
}

function getPrefix(constructor, tag, fallback, size = "") {
  if (constructor === null) {
    if (tag !== "" && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
    return `[${fallback}${size}: null prototype] `;
  }
  if (tag !== "" && constructor !== tag) return `${constructor}${size} [${tag}] `;
  return `${constructor}${size} `;
}

function getKeys(value) {
  const keys = ObjectKeys(value);
  const symbols = ObjectGetOwnPropertySymbols(value);
  for (let i = 0; i < symbols.length; i++) {
    if (ObjectPropertyIsEnumerable(value, symbols[i])) ArrayPrototypePush(keys, symbols[i]);
  }
  return keys;
}

function getNonIndexKeys(value, length) {
  if (length > kMaxExtraKeysScan) return [];
  const all = getKeys(value);
  const keys = [];
  for (let i = 0; i < all.length; i++) {
    const key = all[i];
    if (typeof key === "symbol" || !RegExpPrototypeTest(kArrayIndex, key)) ArrayPrototypePush(keys, key);
  }
  return keys;
}

function functionBase(value, constructor, tag) {
  let source = "";
  try {
    source = FunctionPrototypeToString(value);
  } catch {}
  const nameDesc = ObjectGetOwnPropertyDescriptor(value, "name");
  const name = nameDesc !== undefined && typeof nameDesc.value === "string" ? nameDesc.value : "";
  if (RegExpPrototypeTest(kClassSource, source)) {
    let base = `[class ${name === "" ? "(anonymous)" : name}`;
    const superClass = ObjectGetPrototypeOf(value);
    if (superClass !== null && superClass !== Function.prototype) {
      const superName = ObjectGetOwnPropertyDescriptor(superClass, "name");
      if (superName !== undefined && typeof superName.value === "string" && superName.value !== "") {
        base += ` extends ${superName.value}`;
      }
    }
    return `${base}]`;
  }
  let type = "Function";
  if (constructor === "AsyncFunction" || constructor === "GeneratorFunction" ||
      constructor === "AsyncGeneratorFunction") {
    type = constructor;
  }
  let base = `[${type}`;
  if (constructor === null) base += " (null prototype)";
  base += name === "" ? " (anonymous)" : `: ${name}`;
  base += "]";
  if (constructor !== type && constructor !== null && constructor !== "Function") base += ` ${constructor}`;
  if (tag !== "" && constructor !== tag) base += ` [${tag}]`;
  return base;
}

function formatError(ctx, err) {
  let stack;
  try {
    stack = err.stack;
  } catch {}
  let text;
  if (typeof stack === "string" && stack !== "") {
    text = stack;
  } else {
    try {
      text = `[${ErrorPrototypeToString(err)}]`;
    } catch {
      text = "[Error]";
    }
  }
  if (ctx.indentationLvl !== 0) {
    text = StringPrototypeReplace(text, kNewline, `\n${StringPrototypeRepeat(" ", ctx.indentationLvl)}`);
  }
  return text;
}

function isError(value) {
  return ObjectToString(value) === "[object Error]" || value instanceof $Error;
}

function formatValue(ctx, value, recurseTimes) {
  if (typeof value !== "object" && typeof value !== "function") return formatPrimitive(value);
  if (value === null) return "null";
  if (ArrayPrototypeIndexOf(ctx.seen, value) !== -1) return "[Circular]";
  return formatRaw(ctx, value, recurseTimes);
}

function formatRaw(ctx, value, recurseTimes) {
  let target = value; // where formatProperty reads the keys from
  let keys;
  let base = "";
  let braces;
  let formatter = formatNothing;
  let extrasType = kObjectType;
  let constructor;
  let tag = "";

  const hook = findInspectHook(value);
  if (hook !== undefined) {
    target = hook.view(value);
    constructor = hook.name;
    keys = getKeys(target);
    braces = [`${constructor} {`, "}"];
    if (keys.length === 0) return `${constructor} {}`;
  } else {
    constructor = getConstructorName(value);
    const t = value[SymbolToStringTag];
    if (typeof t === "string" && t !== "" && !ObjectPropertyIsEnumerable(value, SymbolToStringTag)) tag = t;

    if (ArrayIsArray(value)) {
      const length = value.length;
      const prefix = constructor !== "Array" || tag !== "" ? getPrefix(constructor, tag, "Array", `(${length})`) : "";
      keys = getNonIndexKeys(value, length);
      braces = [`${prefix}[`, "]"];
      if (length === 0 && keys.length === 0) return `${braces[0]}]`;
      extrasType = kArrayExtrasType;
      formatter = formatArray;
    } else if (is(MapSize, value)) {
      const size = MapSize(value);
      const prefix = getPrefix(constructor, tag, "Map", `(${size})`);
      keys = getKeys(value);
      if (size === 0 && keys.length === 0) return `${prefix}{}`;
      braces = [`${prefix}{`, "}"];
      formatter = formatMap;
    } else if (is(SetSize, value)) {
      const size = SetSize(value);
      const prefix = getPrefix(constructor, tag, "Set", `(${size})`);
      keys = getKeys(value);
      if (size === 0 && keys.length === 0) return `${prefix}{}`;
      braces = [`${prefix}{`, "}"];
      formatter = formatSet;
    } else if (TypedArrayToStringTag(value) !== undefined) {
      const length = TypedArrayLength(value);
      const fallback = TypedArrayToStringTag(value);
      const prefix = getPrefix(constructor, tag === fallback ? "" : tag, fallback, `(${length})`);
      keys = getNonIndexKeys(value, length);
      braces = [`${prefix}[`, "]"];
      if (length === 0 && keys.length === 0) return `${braces[0]}]`;
      extrasType = kArrayExtrasType;
      formatter = formatTypedArray;
    } else {
      keys = getKeys(value);
      braces = ["{", "}"];
      if (typeof value === "function") {
        base = functionBase(value, constructor, tag);
        if (keys.length === 0) return base;
      } else if (is(RegExpSource, value) && value !== RegExp.prototype) {
        base = RegExpPrototypeToString(value);
        if (keys.length === 0) return base;
      } else if (is(DatePrototypeGetTime, value)) {
        const time = DatePrototypeGetTime(value);
        base = time !== time ? "Invalid Date" : DatePrototypeToISOString(value);
        if (keys.length === 0) return base;
      } else if (isError(value)) {
        base = formatError(ctx, value);
        if (keys.length === 0) return base;
      } else if (is(ArrayBufferByteLength, value)) {
        const length = ArrayBufferByteLength(value);
        const bytes = new $Uint8Array(value, 0, MathMin(length, 50));
        let hex = "";
        for (let i = 0; i < bytes.length; i++) {
          hex += `${i === 0 ? "" : " "}${StringPrototypePadStart(bytes[i].toString(16), 2, "0")}`;
        }
        if (length > 50) hex += ` ... ${length - 50} more byte${length - 50 > 1 ? "s" : ""}`;
        return `${getPrefix(constructor, tag, "ArrayBuffer")}{ [Uint8Contents]: <${hex}>, byteLength: ${length} }`;
      } else if (is(DataViewByteLength, value)) {
        return `${getPrefix(constructor, tag, "DataView")}{ byteLength: ${DataViewByteLength(value)}, byteOffset: ${DataViewByteOffset(value)} }`;
      } else if (is(WeakMapHas, value)) {
        return `${getPrefix(constructor, tag, "WeakMap")}{ <items unknown> }`;
      } else if (is(WeakSetHas, value)) {
        return `${getPrefix(constructor, tag, "WeakSet")}{ <items unknown> }`;
      } else if (value instanceof $Promise) {
        // The state of a promise is not observable from JS.
        braces[0] = `${getPrefix(constructor, tag, "Promise")}{`;
        if (keys.length === 0) return `${braces[0]} <unknown> }`;
      } else if (is(NumberPrototypeValueOf, value)) {
        base = `[Number: ${formatNumber(NumberPrototypeValueOf(value))}]`;
        if (keys.length === 0) return base;
      } else if (is(StringPrototypeToString, value)) {
        base = `[String: ${quoteString(StringPrototypeToString(value))}]`;
        keys = getNonIndexKeys(value, 0);
        if (keys.length === 0) return base;
      } else if (is(BooleanPrototypeValueOf, value)) {
        base = `[Boolean: ${BooleanPrototypeValueOf(value)}]`;
        if (keys.length === 0) return base;
      } else if (is(SymbolPrototypeValueOf, value)) {
        base = `[Symbol: ${SymbolPrototypeToString(SymbolPrototypeValueOf(value))}]`;
        if (keys.length === 0) return base;
      } else if (is(BigIntPrototypeValueOf, value)) {
        base = `[BigInt: ${BigIntPrototypeValueOf(value)}n]`;
        if (keys.length === 0) return base;
      } else {
        if (constructor !== "Object" || tag !== "") braces[0] = `${getPrefix(constructor, tag, "Object")}{`;
        if (keys.length === 0) return `${braces[0]}}`;
      }
    }
  }

  if (recurseTimes > ctx.depth) {
    let name = constructor === null ? "Object: null prototype" : constructor;
    if (extrasType === kArrayExtrasType && constructor === null) name = "Array";
    return `[${name}]`;
  }
  recurseTimes += 1;
  ArrayPrototypePush(ctx.seen, value);
  ctx.currentDepth = recurseTimes;
  const output = formatter(ctx, target, recurseTimes);
  for (let i = 0; i < keys.length; i++) {
    ArrayPrototypePush(output, formatProperty(ctx, target, recurseTimes, keys[i], extrasType));
  }
  ArrayPrototypePop(ctx.seen);
  return reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value);
}

function formatNothing() {
  return [];
}

function formatProperty(ctx, value, recurseTimes, key, type) {
  let desc = ObjectGetOwnPropertyDescriptor(value, key);
  if (desc === undefined) desc = { value: value[key] };
  let str;
  if (desc.value !== undefined || !("get" in desc || "set" in desc)) {
    ctx.indentationLvl += 2;
    str = formatValue(ctx, desc.value, recurseTimes);
    ctx.indentationLvl -= 2;
  } else if (desc.get !== undefined) {
    str = desc.set !== undefined ? "[Getter/Setter]" : "[Getter]";
  } else if (desc.set !== undefined) {
    str = "[Setter]";
  } else {
    str = "undefined";
  }
  if (type === kArrayType) return str;
  let name;
  if (typeof key === "symbol") name = `[${SymbolPrototypeToString(key)}]`;
  else if (RegExpPrototypeTest(kIdentifier, key)) name = key;
  else name = quoteString(key);
  return `${name}: ${str}`;
}

function formatArray(ctx, value, recurseTimes) {
  const length = value.length;
  const output = [];
  let i = 0;
  while (i < length && output.length < kMaxArrayLength) {
    if (!ObjectHasOwn(value, i)) {
      let j = i + 1;
      while (j < length && j - i < 1e6 && !ObjectHasOwn(value, j)) j++;
      const holes = j - i;
      ArrayPrototypePush(output, `<${holes} empty item${holes > 1 ? "s" : ""}>`);
      i = j;
      continue;
    }
    ArrayPrototypePush(output, formatProperty(ctx, value, recurseTimes, i, kArrayType));
    i++;
  }
  const remaining = length - i;
  if (remaining > 0) ArrayPrototypePush(output, `... ${remaining} more item${remaining > 1 ? "s" : ""}`);
  return output;
}

function formatTypedArray(ctx, value) {
  const length = TypedArrayLength(value);
  const shown = MathMin(length, kMaxArrayLength);
  const output = [];
  for (let i = 0; i < shown; i++) ArrayPrototypePush(output, formatPrimitive(value[i]));
  if (length > shown) {
    const remaining = length - shown;
    ArrayPrototypePush(output, `... ${remaining} more item${remaining > 1 ? "s" : ""}`);
  }
  return output;
}

function formatMap(ctx, value, recurseTimes) {
  const output = [];
  const it = MapEntries(value);
  ctx.indentationLvl += 2;
  for (;;) {
    const next = MapIteratorNext(it);
    if (next.done) break;
    if (output.length >= kMaxArrayLength) {
      const remaining = MapSize(value) - output.length;
      ArrayPrototypePush(output, `... ${remaining} more item${remaining > 1 ? "s" : ""}`);
      break;
    }
    const entry = next.value;
    ArrayPrototypePush(output, `${formatValue(ctx, entry[0], recurseTimes)} => ${formatValue(ctx, entry[1], recurseTimes)}`);
  }
  ctx.indentationLvl -= 2;
  return output;
}

function formatSet(ctx, value, recurseTimes) {
  const output = [];
  const it = SetValues(value);
  ctx.indentationLvl += 2;
  for (;;) {
    const next = SetIteratorNext(it);
    if (next.done) break;
    if (output.length >= kMaxArrayLength) {
      const remaining = SetSize(value) - output.length;
      ArrayPrototypePush(output, `... ${remaining} more item${remaining > 1 ? "s" : ""}`);
      break;
    }
    ArrayPrototypePush(output, formatValue(ctx, next.value, recurseTimes));
  }
  ctx.indentationLvl -= 2;
  return output;
}

// Packs the entries of long arrays of short items into aligned columns (node's algorithm).
function groupArrayElements(ctx, output, value) {
  let totalLength = 0;
  let maxLength = 0;
  let outputLength = output.length;
  if (outputLength > 0 && StringPrototypeStartsWith(output[outputLength - 1], "... ")) outputLength--;
  const separatorSpace = 2;
  const dataLen = [];
  for (let i = 0; i < outputLength; i++) {
    const len = output[i].length;
    if (StringPrototypeIncludes(output[i], "\n")) return output;
    dataLen[i] = len;
    totalLength += len + separatorSpace;
    if (maxLength < len) maxLength = len;
  }
  const actualMax = maxLength + separatorSpace;
  if (actualMax * 3 + ctx.indentationLvl < kBreakLength &&
      (totalLength / actualMax > 5 || maxLength <= 6)) {
    const averageBias = MathSqrt(actualMax - totalLength / output.length);
    const biasedMax = MathMax(actualMax - 3 - averageBias, 1);
    const columns = MathMin(
      MathRound(MathSqrt(2.5 * biasedMax * outputLength) / biasedMax),
      MathFloor((kBreakLength - ctx.indentationLvl) / actualMax),
      kCompact * 4,
      15,
    );
    if (columns <= 1) return output;
    const tmp = [];
    const maxLineLength = [];
    for (let i = 0; i < columns; i++) {
      let lineLength = 0;
      for (let j = i; j < outputLength; j += columns) {
        if (dataLen[j] > lineLength) lineLength = dataLen[j];
      }
      ArrayPrototypePush(maxLineLength, lineLength + separatorSpace);
    }
    let pad = StringPrototypePadStart;
    if (value !== undefined) {
      for (let i = 0; i < outputLength; i++) {
        if (typeof value[i] !== "number" && typeof value[i] !== "bigint") {
          pad = StringPrototypePadEnd;
          break;
        }
      }
    }
    for (let i = 0; i < outputLength; i += columns) {
      const max = MathMin(i + columns, outputLength);
      let str = "";
      let j = i;
      for (; j < max - 1; j++) str += pad(`${output[j]}, `, maxLineLength[j - i], " ");
      if (pad === StringPrototypePadStart) {
        str += StringPrototypePadStart(output[j], maxLineLength[j - i] - separatorSpace, " ");
      } else {
        str += output[j];
      }
      ArrayPrototypePush(tmp, str);
    }
    if (outputLength < output.length) ArrayPrototypePush(tmp, output[outputLength]);
    return tmp;
  }
  return output;
}

function isBelowBreakLength(output, start, base) {
  let totalLength = output.length + start;
  if (totalLength + output.length > kBreakLength) return false;
  for (let i = 0; i < output.length; i++) {
    totalLength += output[i].length;
    if (totalLength > kBreakLength) return false;
  }
  return base === "" || !StringPrototypeIncludes(base, "\n");
}

function reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value) {
  const entries = output.length;
  if (extrasType === kArrayExtrasType && entries > 6) output = groupArrayElements(ctx, output, value);
  if (ctx.currentDepth - recurseTimes < kCompact && entries === output.length) {
    const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
    if (isBelowBreakLength(output, start, base)) {
      const joined = ArrayPrototypeJoin(output, ", ");
      if (!StringPrototypeIncludes(joined, "\n")) {
        return `${base ? `${base} ` : ""}${braces[0]} ${joined} ${braces[1]}`;
      }
    }
  }
  const indentation = `\n${StringPrototypeRepeat(" ", ctx.indentationLvl)}`;
  return `${base ? `${base} ` : ""}${braces[0]}${indentation}  ${ArrayPrototypeJoin(output, `,${indentation}  `)}${indentation}${braces[1]}`;
}

function inspect(value, depth = 2) {
  const ctx = { depth, seen: [], indentationLvl: 0, currentDepth: 0 };
  try {
    return formatValue(ctx, value, 0);
  } catch (e) {
    // A Proxy trap or a getter on a prototype threw; do not let logging throw.
    return "[uninspectable value]";
  }
}

// ---------------------------------------------------------------------------------------------
// Format specifiers (https://console.spec.whatwg.org/#formatter, node flavour).

const builtinPrototypes = [
  Object.prototype, Error.prototype, Array.prototype, Date.prototype, RegExp.prototype,
  Function.prototype, Number.prototype, String.prototype, Boolean.prototype, Symbol.prototype,
  BigInt.prototype, Map.prototype, Set.prototype, Promise.prototype,
];

// True unless the object (or a non-built-in prototype) defines its own toString: such objects
// are shown with String() by %s, the rest with inspect().
function hasBuiltInToString(value) {
  if (ObjectHasOwn(value, "toString")) return false;
  let pointer = value;
  for (;;) {
    pointer = ObjectGetPrototypeOf(pointer);
    if (pointer === null) return true;
    if (ObjectHasOwn(pointer, "toString")) break;
  }
  return ArrayPrototypeIndexOf(builtinPrototypes, pointer) !== -1;
}

function tryStringify(value) {
  try {
    return JSONStringify(value);
  } catch (e) {
    if (isError(e) && StringPrototypeIncludes(`${e.message}`, "circular")) return "[Circular]";
    throw e;
  }
}

function formatArgs(args) {
  const first = args[0];
  let a = 0;
  let str = "";
  let join = "";
  if (typeof first === "string") {
    if (args.length === 1) return first;
    let tempStr;
    let lastPos = 0;
    for (let i = 0; i < first.length - 1; i++) {
      if (StringPrototypeCharCodeAt(first, i) !== 37) continue; // '%'
      const nextChar = StringPrototypeCharCodeAt(first, ++i);
      if (a + 1 !== args.length) {
        switch (nextChar) {
          case 115: { // 's'
            const arg = args[++a];
            if (typeof arg === "number") tempStr = formatNumber(arg);
            else if (typeof arg === "bigint") tempStr = `${arg}n`;
            else if (typeof arg === "symbol") tempStr = SymbolPrototypeToString(arg);
            else if (typeof arg !== "object" || arg === null || !hasBuiltInToString(arg)) tempStr = $String(arg);
            else tempStr = inspect(arg, 0);
            break;
          }
          case 106: // 'j'
            tempStr = `${tryStringify(args[++a])}`;
            break;
          case 100: { // 'd'
            const arg = args[++a];
            if (typeof arg === "bigint") tempStr = `${arg}n`;
            else if (typeof arg === "symbol") tempStr = "NaN";
            else tempStr = formatNumber($Number(arg));
            break;
          }
          case 79: // 'O'
            tempStr = inspect(args[++a]);
            break;
          case 111: // 'o'
            tempStr = inspect(args[++a], 4);
            break;
          case 105: { // 'i'
            const arg = args[++a];
            if (typeof arg === "bigint") tempStr = `${arg}n`;
            else if (typeof arg === "symbol") tempStr = "NaN";
            else tempStr = formatNumber(NumberParseInt(arg));
            break;
          }
          case 102: { // 'f'
            const arg = args[++a];
            tempStr = typeof arg === "symbol" ? "NaN" : formatNumber(NumberParseFloat(arg));
            break;
          }
          case 99: // 'c': CSS, ignored
            a += 1;
            tempStr = "";
            break;
          case 37: // '%'
            str += StringPrototypeSlice(first, lastPos, i);
            lastPos = i + 1;
            continue;
          default:
            continue;
        }
        if (lastPos !== i - 1) str += StringPrototypeSlice(first, lastPos, i - 1);
        str += tempStr;
        lastPos = i + 1;
      } else if (nextChar === 37) {
        str += StringPrototypeSlice(first, lastPos, i);
        lastPos = i + 1;
      }
    }
    if (lastPos !== 0) {
      a++;
      join = " ";
      if (lastPos < first.length) str += StringPrototypeSlice(first, lastPos);
    }
  }
  while (a < args.length) {
    const value = args[a];
    str += join;
    str += typeof value !== "string" ? inspect(value) : value;
    join = " ";
    a++;
  }
  return str;
}

// ---------------------------------------------------------------------------------------------

export { inspect, formatArgs, formatNumber, quoteString };
