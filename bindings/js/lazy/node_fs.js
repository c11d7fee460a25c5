// node:fs and node:fs/promises (nodejs_compat; https://nodejs.org/api/fs.html), so that code
// that imports them loads and takes its "no such file" path: a tenant has no files (its modules
// are compiled in, its data lives in KV, Durable Objects and the Cache API). Every read, stat or
// open fails with ENOENT and every write with EROFS, in Node's form (code, errno, syscall, path),
// synchronously, through callbacks, as promises and as stream errors; existsSync() is false.
// Workers has an in-memory file system instead (/bundle, /tmp, /dev).
const { Readable, Writable } = require("stream");

const $Error = Error;
const $Promise = Promise;

const ERRORS = {
  ENOENT: [-2, "no such file or directory"],
  EROFS: [-30, "read-only file system"],
};

function fsError(code, syscall, path) {
  const [errno, text] = ERRORS[code];
  const where = path === undefined ? "" : ` '${path}'`;
  const error = new $Error(`${code}: ${text}, ${syscall}${where}`);
  error.code = code;
  error.errno = errno;
  error.syscall = syscall;
  if (path !== undefined) error.path = `${path}`;
  return error;
}

const READS = {
  access: "access", stat: "stat", lstat: "lstat", readFile: "open", readdir: "scandir", open: "open",
  opendir: "opendir", realpath: "realpath", readlink: "readlink", chmod: "chmod", chown: "chown",
  utimes: "utime", truncate: "open", statfs: "statfs", watch: "watch",
};
const WRITES = {
  writeFile: "open", appendFile: "open", mkdir: "mkdir", mkdtemp: "mkdtemp", rm: "rm", rmdir: "rmdir",
  unlink: "unlink", rename: "rename", copyFile: "copyfile", cp: "cp", symlink: "symlink", link: "link",
};

const fs = { constants: {
  F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1, O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 64, O_EXCL: 128,
  O_TRUNC: 512, O_APPEND: 1024, COPYFILE_EXCL: 1, COPYFILE_FICLONE: 2, COPYFILE_FICLONE_FORCE: 4,
} };
const promises = { constants: fs.constants };

function define(name, code, syscall) {
  fs[name] = (path, ...rest) => {
    const callback = rest[rest.length - 1];
    if (typeof callback !== "function") throw new TypeError('The "cb" argument must be of type function');
    const error = fsError(code, syscall, path);
    queueMicrotask(() => callback(error));
  };
  fs[`${name}Sync`] = (path) => {
    throw fsError(code, syscall, path);
  };
  promises[name] = (path) => $Promise.reject(fsError(code, syscall, path));
}
for (const [name, syscall] of Object.entries(READS)) define(name, "ENOENT", syscall);
for (const [name, syscall] of Object.entries(WRITES)) define(name, "EROFS", syscall);

fs.existsSync = () => false;
fs.exists = (path, callback) => queueMicrotask(() => callback(false));
// As Node's, a file stream opens its file at once: the error comes whether or not it is read.
fs.createReadStream = (path) => {
  const stream = new Readable({ read() {} });
  queueMicrotask(() => stream.destroy(fsError("ENOENT", "open", path)));
  return stream;
};
fs.createWriteStream = (path) => {
  const stream = new Writable({
    write(chunk, encoding, callback) {
      callback(fsError("EROFS", "open", path));
    },
  });
  queueMicrotask(() => stream.destroy(fsError("EROFS", "open", path)));
  return stream;
};
fs.promises = promises;

module.exports = fs;
