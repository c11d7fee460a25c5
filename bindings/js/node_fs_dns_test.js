// node:fs, node:fs/promises and node:dns (nodejs_compat): modules that npm code imports (node-postgres
// does both) and that answer as a process without files or a resolver would: ENOENT for reads,
// EROFS for writes, ENOTSUP for names; an IP address looks up as itself.
import fs from "node:fs";
import { readFile } from "node:fs/promises";
import dns from "node:dns";
import { test, assert, run } from "./testing/harness.js";

test("every read is ENOENT and every write EROFS, in Node's form", async () => {
  assert.equal(fs.existsSync("/etc/passwd"), false);
  const error = assert.throws(() => fs.readFileSync("/etc/passwd"), Error);
  assert.equal(error.code, "ENOENT");
  assert.equal(error.errno, -2);
  assert.equal(error.syscall, "open");
  assert.equal(error.path, "/etc/passwd");
  assert.equal(error.message, "ENOENT: no such file or directory, open '/etc/passwd'");
  assert.equal(assert.throws(() => fs.writeFileSync("/tmp/x", "x")).code, "EROFS");
  const viaCallback = await new Promise((resolve) => fs.stat("/home/.pgpass", (e) => resolve(e)));
  assert.equal(viaCallback.code, "ENOENT");
  assert.equal(viaCallback.syscall, "stat");
  await assert.rejects(readFile("/bundle/app.js"), { message: /^ENOENT/ });
  assert.equal(fs.promises.readFile, readFile);
  const streamError = await new Promise((resolve) => fs.createReadStream("/x").on("error", resolve));
  assert.equal(streamError.code, "ENOENT");
  assert.equal(fs.constants.R_OK, 4);
});

test("dns.lookup answers for an address and refuses a name", async () => {
  const v4 = await new Promise((resolve, reject) => dns.lookup("127.0.0.1", (e, address, family) => (e ? reject(e) : resolve([address, family]))));
  assert.deepEqual(v4, ["127.0.0.1", 4]);
  assert.deepEqual(await dns.promises.lookup("::1"), { address: "::1", family: 6 });
  assert.deepEqual(await dns.promises.lookup("10.0.0.1", { all: true }), [{ address: "10.0.0.1", family: 4 }]);
  const refused = await new Promise((resolve) => dns.lookup("example.com", (e) => resolve(e)));
  assert.equal(refused.code, "ENOTSUP");
  assert.equal(refused.hostname, "example.com");
  await assert.rejects(dns.promises.resolve4("example.com"), { message: /does not resolve names/ });
  assert.equal(typeof new dns.Resolver().resolveMx, "function");
  assert.equal(dns.NOTFOUND, "ENOTFOUND");
});

export default {
  async fetch() {
    return Response.json(await run());
  },
};
