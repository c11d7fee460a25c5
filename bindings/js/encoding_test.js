// TextEncoder, TextDecoder (https://encoding.spec.whatwg.org/), atob and btoa
// (https://html.spec.whatwg.org/multipage/webappapis.html#atob). atob's conformance on the WPT
// data is in tests/wpt_test.cc.
import { test, assert, run } from "./testing/harness.js";

const bytes = (...values) => new Uint8Array(values);

test("shape", () => {
  for (const name of ["TextEncoder", "TextDecoder", "atob", "btoa"]) {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
    assert.equal(typeof descriptor.value, "function", name);
    assert.equal(descriptor.enumerable, false, `${name} is not enumerable`);
  }
  assert.equal(Object.prototype.toString.call(new TextEncoder()), "[object TextEncoder]");
  assert.equal(Object.prototype.toString.call(new TextDecoder()), "[object TextDecoder]");
  assert.throws(() => TextEncoder(), TypeError, "calling without new");
});

test("TextEncoder.encode", () => {
  const encoder = new TextEncoder();
  assert.equal(encoder.encoding, "utf-8");
  assert.deepEqual(encoder.encode("a€😀"), bytes(0x61, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80));
  assert.deepEqual(encoder.encode(), bytes(), "no argument is the empty string");
  assert.deepEqual(encoder.encode("\uD800x"), bytes(0xef, 0xbf, 0xbd, 0x78), "lone surrogate becomes U+FFFD");
  assert.deepEqual(encoder.encode(12), bytes(0x31, 0x32), "converted to a string");
});

test("TextEncoder.encodeInto", () => {
  const encoder = new TextEncoder();
  const target = new Uint8Array(5);
  assert.deepEqual(encoder.encodeInto("ab€", target), { read: 3, written: 5 });
  assert.deepEqual(target, bytes(0x61, 0x62, 0xe2, 0x82, 0xac));
  assert.deepEqual(encoder.encodeInto("é😀", new Uint8Array(4)), { read: 1, written: 2 }, "no partial sequence");
  assert.deepEqual(encoder.encodeInto("😀", new Uint8Array(4)), { read: 2, written: 4 }, "read counts UTF-16 units");
  const view = new Uint8Array(new ArrayBuffer(6), 2, 3);
  encoder.encodeInto("xyz", view);
  assert.deepEqual(new Uint8Array(view.buffer), bytes(0, 0, 0x78, 0x79, 0x7a, 0), "respects the view offset");
  assert.throws(() => encoder.encodeInto("a", new Uint16Array(2)), TypeError);
});

test("TextDecoder labels", () => {
  assert.equal(new TextDecoder().encoding, "utf-8");
  assert.equal(new TextDecoder(" \tUTF8\n").encoding, "utf-8", "ASCII whitespace trimmed, case-insensitive");
  assert.equal(new TextDecoder("unicode-1-1-utf-8").encoding, "utf-8");
  assert.equal(new TextDecoder("utf-16").encoding, "utf-16le");
  assert.equal(new TextDecoder("latin1").encoding, "windows-1252");
  assert.equal(new TextDecoder("ascii").encoding, "windows-1252");
  assert.equal(new TextDecoder("koi8-r").encoding, "koi8-r");
  assert.throws(() => new TextDecoder("replacement"), RangeError);
  assert.throws(() => new TextDecoder("iso-2022-kr"), RangeError, "a label of the replacement encoding");
  assert.throws(() => new TextDecoder("nope"), RangeError);
  assert.throws(() => new TextDecoder("utf-8\u00A0"), RangeError, "NBSP is not trimmed");
});

test("UTF-8 decoding, BOM and replacement", () => {
  assert.equal(new TextDecoder().decode(bytes(0xef, 0xbb, 0xbf, 0x61)), "a", "BOM stripped");
  assert.equal(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes(0xef, 0xbb, 0xbf, 0x61)), "\uFEFFa");
  assert.equal(new TextDecoder().decode(bytes(0x61, 0xff, 0x62)), "a\uFFFDb");
  assert.equal(new TextDecoder().decode(bytes(0xf0, 0x9f, 0x98)), "\uFFFD", "truncated sequence at the end");
  assert.equal(new TextDecoder().decode(bytes(0xe0, 0x80, 0x80)), "\uFFFD\uFFFD\uFFFD", "overlong: one U+FFFD per byte");
  assert.equal(new TextDecoder().decode(bytes(0xed, 0xa0, 0x80)), "\uFFFD\uFFFD\uFFFD", "surrogates are invalid");
  assert.equal(new TextDecoder().decode(), "");
  assert.equal(new TextDecoder().decode(new Uint8Array([0x68, 0x69]).buffer), "hi", "ArrayBuffer input");
  assert.equal(new TextDecoder().decode(new DataView(bytes(0, 0x68, 0x69).buffer, 1)), "hi", "DataView input");
  assert.throws(() => new TextDecoder().decode("text"), TypeError);
});

test("fatal", () => {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  assert.equal(decoder.fatal, true);
  assert.equal(decoder.decode(bytes(0xe2, 0x82, 0xac)), "€");
  assert.throws(() => decoder.decode(bytes(0xc0, 0x80)), TypeError, "overlong");
  assert.throws(() => decoder.decode(bytes(0xf4, 0x90, 0x80, 0x80)), TypeError, "past U+10FFFF");
  assert.throws(() => decoder.decode(bytes(0xe2, 0x82)), TypeError, "truncated");
  assert.equal(decoder.decode(bytes(0x6f, 0x6b)), "ok", "usable after an error");
  assert.throws(() => new TextDecoder("utf-16le", { fatal: true }).decode(bytes(0x00, 0xd8)), TypeError);
  assert.throws(() => new TextDecoder("iso-8859-3", { fatal: true }).decode(bytes(0xa5)), TypeError, "unmapped byte");
});

test("streaming UTF-8 across every split point", () => {
  const text = "a€😀ß\u{10FFFF}z";
  const encoded = new TextEncoder().encode(text);
  for (let split = 0; split <= encoded.length; split++) {
    const decoder = new TextDecoder();
    const joined = decoder.decode(encoded.subarray(0, split), { stream: true }) + decoder.decode(encoded.subarray(split));
    assert.equal(joined, text, `split at ${split}`);
  }
  const decoder = new TextDecoder();
  let out = "";
  for (const b of encoded) out += decoder.decode(bytes(b), { stream: true });
  out += decoder.decode();
  assert.equal(out, text, "one byte at a time");
  const fatal = new TextDecoder("utf-8", { fatal: true });
  assert.equal(fatal.decode(bytes(0xe2, 0x82), { stream: true }), "", "an incomplete tail is held, not an error");
  assert.throws(() => fatal.decode(), TypeError, "and is an error at the end");
  const bom = new TextDecoder();
  assert.equal(bom.decode(bytes(0xef, 0xbb), { stream: true }) + bom.decode(bytes(0xbf, 0x41)), "A", "split BOM");
});

test("UTF-16", () => {
  assert.equal(new TextDecoder("utf-16le").decode(bytes(0x68, 0, 0x3d, 0xd8, 0, 0xde)), "h😀");
  assert.equal(new TextDecoder("utf-16be").decode(bytes(0, 0x68, 0xd8, 0x3d, 0xde, 0)), "h😀");
  assert.equal(new TextDecoder("utf-16le").decode(bytes(0xff, 0xfe, 0x41, 0)), "A", "BOM stripped");
  assert.equal(new TextDecoder("utf-16le").decode(bytes(0x41, 0, 0x42)), "A\uFFFD", "odd byte at the end");
  assert.equal(new TextDecoder("utf-16le").decode(bytes(0x00, 0xdc, 0x41, 0)), "\uFFFDA", "lone trail surrogate");
  assert.equal(new TextDecoder("utf-16le").decode(bytes(0x3d, 0xd8, 0x41, 0)), "\uFFFDA", "lead surrogate then a letter");
  const decoder = new TextDecoder("utf-16le");
  const parts = [bytes(0x3d), bytes(0xd8, 0x00), bytes(0xde, 0x41), bytes(0x00)];
  assert.equal(parts.map((p) => decoder.decode(p, { stream: true })).join("") + decoder.decode(), "😀A");
});

test("single-byte legacy encodings", () => {
  assert.equal(new TextDecoder("windows-1252").decode(bytes(0x80, 0x81, 0xe9, 0x9f)), "€\u0081éŸ");
  assert.equal(new TextDecoder("iso-8859-2").decode(bytes(0xa1, 0xb1)), "Ąą");
  assert.equal(new TextDecoder("koi8-r").decode(bytes(0xc1, 0xc2)), "аб");
  assert.equal(new TextDecoder("windows-1251").decode(bytes(0xc0, 0xff)), "Ая");
  assert.equal(new TextDecoder("x-user-defined").decode(bytes(0x41, 0x80, 0xff)), "A\uF780\uF7FF");
  assert.equal(new TextDecoder("iso-8859-3").decode(bytes(0xa5)), "\uFFFD", "unmapped byte");
  assert.equal(new TextDecoder("ibm866").decode(bytes(0x80)), "А");
});

test("multi-byte legacy encodings (ICU)", () => {
  const decode = (label, ...values) => new TextDecoder(label).decode(bytes(...values));
  assert.equal(decode("shift_jis", 0x93, 0xfa, 0x96, 0x7b, 0x41, 0xb1), "日本Aｱ");
  assert.equal(decode("sjis", 0x82, 0xa0), "あ", "a label of shift_jis");
  assert.equal(decode("euc-jp", 0xc6, 0xfc, 0xcb, 0xdc, 0x8e, 0xb1), "日本ｱ");
  assert.equal(decode("iso-2022-jp", 0x1b, 0x24, 0x42, 0x46, 0x7c, 0x4b, 0x5c, 0x1b, 0x28, 0x42, 0x41), "日本A");
  assert.equal(decode("gbk", 0xc4, 0xe3, 0xba, 0xc3), "你好");
  assert.equal(decode("gb18030", 0x94, 0x39, 0xfc, 0x36, 0x81, 0x30, 0x81, 0x30, 0xa2, 0xe3), "😀\u0080€", "four-byte sequences");
  assert.equal(decode("gb2312", 0xc4, 0xe3), "你", "gb2312 is a label of gbk");
  assert.equal(decode("big5", 0xa4, 0xa4, 0xa4, 0xe5), "中文");
  assert.equal(decode("euc-kr", 0xc7, 0xd1, 0xb1, 0xdb, 0x81, 0x41), "한글갂", "windows-949's extension too");
  assert.equal(new TextDecoder("ms_kanji").encoding, "shift_jis");
  assert.equal(new TextDecoder("x-gbk").encoding, "gbk");
});

test("multi-byte legacy encodings: streaming, errors and fatal", () => {
  const sjis = new TextDecoder("shift_jis");
  assert.equal(sjis.decode(bytes(0x41, 0x93), { stream: true }), "A", "a cut-off sequence waits");
  assert.equal(sjis.decode(bytes(0xfa), { stream: true }), "日");
  assert.equal(sjis.decode(bytes(0x96)), "\uFFFD", "a cut-off sequence at the end is an error");
  assert.equal(sjis.decode(bytes(0x41)), "A", "the decoder starts afresh after a flush");
  const jis = new TextDecoder("iso-2022-jp");
  assert.equal(jis.decode(bytes(0x1b, 0x24, 0x42), { stream: true }), "");
  assert.equal(jis.decode(bytes(0x46, 0x7c), { stream: true }), "日", "the mode carries over");
  assert.equal(jis.decode(bytes(0x4b, 0x5c, 0x1b, 0x28, 0x42)), "本");
  const gb = new TextDecoder("gb18030");
  assert.equal(gb.decode(bytes(0x94, 0x39), { stream: true }) + gb.decode(bytes(0xfc, 0x36)), "😀");
  assert.equal(new TextDecoder("euc-kr").decode(bytes(0x41, 0xff, 0x42)), "A\uFFFDB");
  assert.equal(new TextDecoder("big5").decode(bytes(0xa4)), "\uFFFD");
  const fatal = new TextDecoder("shift_jis", { fatal: true });
  assert.throws(() => fatal.decode(bytes(0x93)), TypeError, "cut off");
  assert.equal(fatal.decode(bytes(0x93, 0xfa)), "日", "usable after the error");
  assert.throws(() => new TextDecoder("euc-kr", { fatal: true }).decode(bytes(0xff)), TypeError);
  assert.throws(() => new TextDecoder("euc-jp", { fatal: true }).decode(bytes(0xa4)), TypeError);
  assert.equal(new TextDecoder("gbk", { fatal: true }).decode(bytes(0xc4, 0xe3)), "你");
});

test("atob and btoa", () => {
  assert.equal(btoa("hello"), "aGVsbG8=");
  assert.equal(btoa("\xff\xfe"), "//4=");
  assert.equal(btoa(""), "");
  assert.equal(atob("aGVsbG8="), "hello");
  assert.equal(atob(" aGVs\nbG8 "), "hello", "ASCII whitespace skipped");
  assert.equal(atob("aGVsbG8"), "hello", "padding optional");
  assert.equal(atob("//4="), "\xff\xfe");
  const error = assert.throws(() => btoa("€"), DOMException);
  assert.equal(error.name, "InvalidCharacterError");
  assert.equal(assert.throws(() => atob("a"), DOMException).name, "InvalidCharacterError");
  assert.throws(() => atob("aGVsbG8=="), DOMException, "too much padding");
  assert.throws(() => atob("a-b_"), DOMException, "base64url is not accepted");
  assert.throws(() => atob(), TypeError);
  assert.equal(atob(null), "\x9e\xe9\x65", "null is the string 'null'");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
