// Module state: with context = "shared" it persists across requests (Workers semantics); with
// context = "per_request" every request starts from zero.
let count = 0;
export default {
  fetch() {
    count++;
    return new Response(`request ${count} in this context\n`);
  },
};
