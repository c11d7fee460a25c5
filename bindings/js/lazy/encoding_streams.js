// TextEncoderStream and TextDecoderStream (https://encoding.spec.whatwg.org/#interface-textencoderstream):
// TransformStreams around the encoding module's TextDecoder and UTF-8 encoder. A module of its
// own, so that TextEncoder alone does not load the streams module.
const { exposeInterface } = internal;
const { TransformStream } = internal.require("streams");
const { TextDecoder } = internal.require("encoding");
const { utf8Encode } = native;
const $TypeError = TypeError;

class TextEncoderStream {
  #transform;

  constructor() {
    // A lead surrogate that ended the previous chunk (its trail may start the next one).
    let pending = "";
    this.#transform = new TransformStream({
      transform(chunk, controller) {
        let text = pending + `${chunk}`;
        pending = "";
        const last = text.charCodeAt(text.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) {
          pending = text.slice(-1);
          text = text.slice(0, -1);
        }
        if (text !== "") controller.enqueue(utf8Encode(text));
      },
      flush(controller) {
        if (pending !== "") controller.enqueue(new Uint8Array([0xef, 0xbf, 0xbd]));
      },
    });
  }

  get encoding() { return "utf-8"; }
  get readable() { return this.#transform.readable; }
  get writable() { return this.#transform.writable; }
}

class TextDecoderStream {
  #decoder;
  #transform;

  constructor(label = "utf-8", options = {}) {
    const decoder = new TextDecoder(label, options);
    this.#decoder = decoder;
    this.#transform = new TransformStream({
      transform(chunk, controller) {
        if (!ArrayBuffer.isView(chunk) && !(chunk instanceof ArrayBuffer)) {
          throw new $TypeError("TextDecoderStream: chunks must be ArrayBuffers or ArrayBufferViews");
        }
        const text = decoder.decode(chunk, { stream: true });
        if (text !== "") controller.enqueue(text);
      },
      flush(controller) {
        const text = decoder.decode();
        if (text !== "") controller.enqueue(text);
      },
    });
  }

  get encoding() { return this.#decoder.encoding; }
  get fatal() { return this.#decoder.fatal; }
  get ignoreBOM() { return this.#decoder.ignoreBOM; }
  get readable() { return this.#transform.readable; }
  get writable() { return this.#transform.writable; }
}

exposeInterface(TextEncoderStream, "TextEncoderStream", false);
exposeInterface(TextDecoderStream, "TextDecoderStream", false);

export { TextEncoderStream, TextDecoderStream };
