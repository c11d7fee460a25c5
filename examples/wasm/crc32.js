// A Wasm handler: answers the CRC-32 of the request body (hex), computed by crc32.wasm, which
// atoll binds as env.CRC (a WebAssembly.Module, compiled once per process).
//   make build && build/atoll serve --config examples/wasm/atoll.toml
//   curl --data-binary 123456789 127.0.0.1:8080/     -> cbf43926
let instance;

export default {
  async fetch(request, env) {
    instance ??= await WebAssembly.instantiate(env.CRC);
    const { memory, input_buffer, capacity, crc32_update } = instance.exports;
    const bytes = new Uint8Array(await request.arrayBuffer());
    const window = new Uint8Array(memory.buffer, input_buffer(), capacity());
    let crc = 0;
    for (let offset = 0; offset < bytes.length; offset += window.length) {
      const piece = bytes.subarray(offset, offset + window.length);
      window.set(piece);
      crc = crc32_update(crc, piece.length);
    }
    return new Response((crc >>> 0).toString(16).padStart(8, "0") + "\n", {
      headers: { "content-type": "text/plain" },
    });
  },
};
