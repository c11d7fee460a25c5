// String response bodies of each kind V8 stores, written by the server as UTF-8 (http_test.cc):
// one byte per character (Latin-1), two bytes per unit (an astral character, a lone surrogate),
// and long ones on either side of the one-pass conversion's 1 M characters.
export default {
  fetch(request) {
    const kind = new URL(request.url).pathname.slice(1);
    const bodies = {
      latin1: "caf\u00e9 \u00ff\u00e0",
      astral: "a\u{1F600}b\u00e9",
      lone: "x\ud800y",
      long: "\u00e9".repeat(70000) + "\u{1F600}",
      huge: "\u00e9".repeat(1100000) + "z",
    };
    return new Response(bodies[kind]);
  },
};
