// node:buffer and the Buffer global under nodejs_compat (js/lazy/node_buffer.js).
import { test, assert, run } from "./testing/harness.js";
import buffer, { Buffer, constants, isUtf8, kMaxLength } from "node:buffer";
import bare from "buffer";

test("Buffer.from / toString round trips the usual encodings", () => {
  assert.equal(Buffer.from("hello world").toString("base64"), "aGVsbG8gd29ybGQ=");
  assert.equal(Buffer.from("aGVsbG8gd29ybGQ=", "base64").toString(), "hello world");
  assert.equal(Buffer.from("héllo").toString("hex"), "68c3a96c6c6f");
  assert.equal(Buffer.from("68c3a96c6c6f", "hex").toString("utf8"), "héllo");
  assert.equal(Buffer.from("hi?", "utf8").toString("base64url"), "aGk_");
  assert.equal(Buffer.from("caf\u00e9", "latin1").length, 4);
});

test("a Buffer is a Uint8Array with Node's methods", () => {
  const b = Buffer.alloc(8);
  assert.ok(b instanceof Uint8Array);
  b.writeUInt32BE(0xdeadbeef, 0);
  b.writeInt16LE(-2, 4);
  assert.equal(b.readUInt32BE(0), 0xdeadbeef);
  assert.equal(b.readInt16LE(4), -2);
  assert.ok(Buffer.isBuffer(b));
  assert.ok(!Buffer.isBuffer(new Uint8Array(2)));
  assert.equal(Buffer.concat([Buffer.from("ab"), Buffer.from("cd")]).toString(), "abcd");
  assert.equal(Buffer.compare(Buffer.from("a"), Buffer.from("b")), -1);
  assert.ok(Buffer.from("abc").equals(Buffer.from("abc")));
  assert.equal(Buffer.from("hello").subarray(1, 3).toString(), "el");
  assert.equal(Buffer.from("a,b").indexOf(","), 1);
  assert.equal(Buffer.byteLength("€"), 3);
  assert.deepEqual(Buffer.from("ab").toJSON(), { type: "Buffer", data: [97, 98] });
});

test("the module's other exports", () => {
  assert.equal(constants.MAX_LENGTH, kMaxLength);
  assert.ok(isUtf8(Buffer.from("ok €")));
  assert.ok(!isUtf8(Buffer.from([0xff, 0xfe])));
  assert.equal(buffer.Blob, globalThis.Blob);
  assert.equal(buffer.atob("aGk="), "hi");
});

test("the global Buffer, bare `buffer` and node:buffer are one class", () => {
  assert.equal(globalThis.Buffer, Buffer);
  assert.equal(bare.Buffer, Buffer);
  assert.equal(global, globalThis);
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
