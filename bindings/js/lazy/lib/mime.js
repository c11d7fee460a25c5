// MIME types as the WHATWG specs have them: parse and serialize
// (https://mimesniff.spec.whatwg.org/#parsing-a-mime-type), and Fetch's "extract a MIME type" of
// a Content-Type header value (https://fetch.spec.whatwg.org/#concept-header-extract-mime-type),
// which gives Blob.type of body.blob() and the no-cors Headers guard's content-type check.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const QUOTED_STRING_TOKEN = /^[\t\u0020-\u007E\u0080-\u00FF]*$/;
const HTTP_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;
const TRAILING_WHITESPACE = /[\t\n\r ]+$/;

// https://fetch.spec.whatwg.org/#collect-an-http-quoted-string with "extract-value" set; the
// string starts at `position` (a quote) -> [value, position after it].
function collectQuoted(input, position) {
  let value = "";
  position++;
  while (position < input.length) {
    const c = input[position];
    if (c === '"') return [value, position + 1];
    if (c === "\\") {
      position++;
      if (position >= input.length) return [`${value}\\`, position];
    }
    value += input[position];
    position++;
  }
  return [value, position];
}

// -> { type, subtype, parameters: Map } or null (failure)
function parseMimeType(text) {
  const input = `${text}`.replace(HTTP_WHITESPACE, "");
  const slash = input.indexOf("/");
  if (slash === -1) return null;
  const type = input.slice(0, slash);
  if (!TOKEN.test(type)) return null;
  let position = input.indexOf(";", slash + 1);
  if (position === -1) position = input.length;
  const subtype = input.slice(slash + 1, position).replace(TRAILING_WHITESPACE, "");
  if (!TOKEN.test(subtype)) return null;
  const mimeType = { type: type.toLowerCase(), subtype: subtype.toLowerCase(), parameters: new Map() };
  while (position < input.length) {
    position++; // the ";"
    while (position < input.length && "\t\n\r ".includes(input[position])) position++;
    let end = position;
    while (end < input.length && input[end] !== ";" && input[end] !== "=") end++;
    const name = input.slice(position, end).toLowerCase();
    position = end;
    if (position < input.length) {
      if (input[position] === ";") continue;
      position++; // the "="
    }
    if (position >= input.length) break;
    let value;
    if (input[position] === '"') {
      [value, position] = collectQuoted(input, position);
      while (position < input.length && input[position] !== ";") position++;
    } else {
      end = input.indexOf(";", position);
      if (end === -1) end = input.length;
      value = input.slice(position, end).replace(TRAILING_WHITESPACE, "");
      position = end;
      if (value === "") continue;
    }
    if (name !== "" && TOKEN.test(name) && QUOTED_STRING_TOKEN.test(value) && !mimeType.parameters.has(name)) {
      mimeType.parameters.set(name, value);
    }
  }
  return mimeType;
}

function serializeMimeType(mimeType) {
  let text = `${mimeType.type}/${mimeType.subtype}`;
  for (const [name, value] of mimeType.parameters) {
    text += `;${name}=`;
    text += value !== "" && TOKEN.test(value) ? value : `"${value.replace(/(["\\])/g, "\\$1")}"`;
  }
  return text;
}

// https://fetch.spec.whatwg.org/#header-value-get-decode-and-split: a combined header value ->
// its values (commas inside quoted strings do not split).
function splitHeaderValue(value) {
  const values = [];
  let position = 0;
  let current = "";
  while (position < value.length) {
    const c = value[position];
    if (c === '"') {
      let close = position + 1;
      while (close < value.length && value[close] !== '"') close += value[close] === "\\" ? 2 : 1;
      current += value.slice(position, Math.min(close + 1, value.length));
      position = close + 1;
    } else if (c === ",") {
      values.push(current.replace(HTTP_WHITESPACE, ""));
      current = "";
      position++;
    } else {
      current += c;
      position++;
    }
  }
  values.push(current.replace(HTTP_WHITESPACE, ""));
  return values;
}

// https://fetch.spec.whatwg.org/#concept-header-extract-mime-type: the Content-Type value (all
// its values combined, or null) -> the MIME type record, or null.
function extractMimeType(contentType) {
  if (contentType === null) return null;
  let charset = null;
  let essence = null;
  let mimeType = null;
  for (const value of splitHeaderValue(contentType)) {
    const candidate = parseMimeType(value);
    if (candidate === null || (candidate.type === "*" && candidate.subtype === "*")) continue;
    mimeType = candidate;
    const candidateEssence = `${candidate.type}/${candidate.subtype}`;
    if (candidateEssence !== essence) {
      charset = null;
      if (candidate.parameters.has("charset")) charset = candidate.parameters.get("charset");
      essence = candidateEssence;
    } else if (!candidate.parameters.has("charset") && charset !== null) {
      candidate.parameters.set("charset", charset);
    }
  }
  return mimeType;
}

export { parseMimeType, serializeMimeType, extractMimeType };
