// node:stream/consumers (nodejs_compat; https://nodejs.org/api/webstreams.html#utility-consumers):
// a whole stream read into one value. Takes what Node's does: a Node Readable, a WHATWG
// ReadableStream or any async iterable of strings and bytes.
const { Buffer } = internal.require("node_buffer");
const { Blob } = internal.require("blob");

async function chunks(stream) {
  const out = [];
  for await (const chunk of stream) {
    out.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return out;
}

async function buffer(stream) {
  return Buffer.concat(await chunks(stream));
}

async function arrayBuffer(stream) {
  const bytes = await buffer(stream);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

async function blob(stream) {
  return new Blob(await chunks(stream));
}

async function text(stream) {
  return (await buffer(stream)).toString("utf8");
}

async function json(stream) {
  return JSON.parse(await text(stream));
}

module.exports = { arrayBuffer, blob, buffer, json, text };
