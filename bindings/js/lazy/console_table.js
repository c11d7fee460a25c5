// console.table (https://console.spec.whatwg.org/#table) as node draws it: a row per own
// enumerable key of `data` (entries for a Map, values for a Set), a column per key of the rows
// that are objects, and "Values" for rows that are not. Loaded on the first console.table().
const { inspect } = internal;
const {
  ArrayPrototypePush, ArrayPrototypeIndexOf, StringPrototypeRepeat, StringPrototypePadEnd, MapGet, MapSet,
} = internal.primordials;
const ObjectKeys = Object.keys;
const ArrayIsArray = Array.isArray;
const MathMax = Math.max;
const $Map = Map;
const $Set = Set;
const kValues = Symbol("values");

export function renderTable(data, properties) {
  const rows = [];
  if (data instanceof $Map) {
    for (const [key, value] of data) ArrayPrototypePush(rows, [inspect(key, 0), value]);
  } else if (data instanceof $Set) {
    let i = 0;
    for (const value of data) ArrayPrototypePush(rows, [`${i++}`, value]);
  } else {
    for (const key of ObjectKeys(data)) ArrayPrototypePush(rows, [key, data[key]]);
  }
  const columns = [];
  let hasValues = false;
  const cells = [];
  for (const [, value] of rows) {
    const cell = new $Map();
    if (value !== null && typeof value === "object") {
      for (const key of ObjectKeys(value)) {
        if (properties !== undefined && !ArrayIsArray(properties)) break;
        if (properties !== undefined && ArrayPrototypeIndexOf(properties, key) === -1) continue;
        if (ArrayPrototypeIndexOf(columns, key) === -1) ArrayPrototypePush(columns, key);
        MapSet(cell, key, inspect(value[key], 0));
      }
    } else {
      hasValues = true;
      MapSet(cell, kValues, inspect(value, 0));
    }
    ArrayPrototypePush(cells, cell);
  }
  if (ArrayIsArray(properties)) {
    for (const key of properties) if (ArrayPrototypeIndexOf(columns, `${key}`) === -1) ArrayPrototypePush(columns, `${key}`);
  }
  const header = ["(index)", ...columns];
  if (hasValues) ArrayPrototypePush(header, "Values");
  const table = [header];
  for (let i = 0; i < rows.length; i++) {
    const line = [rows[i][0]];
    for (const column of columns) ArrayPrototypePush(line, MapGet(cells[i], column) ?? "");
    if (hasValues) ArrayPrototypePush(line, MapGet(cells[i], kValues) ?? "");
    ArrayPrototypePush(table, line);
  }
  const widths = header.map((_, c) => MathMax(...table.map((line) => line[c].length)) + 2);
  const rule = (left, middle, right) => left + widths.map((w) => StringPrototypeRepeat("─", w)).join(middle) + right;
  const row = (line) => "│" + line.map((text, c) => ` ${StringPrototypePadEnd(text, widths[c] - 1)}`).join("│") + "│";
  const out = [rule("┌", "┬", "┐"), row(header), rule("├", "┼", "┤")];
  for (let i = 1; i < table.length; i++) ArrayPrototypePush(out, row(table[i]));
  ArrayPrototypePush(out, rule("└", "┴", "┘"));
  return out.join("\n");
}
