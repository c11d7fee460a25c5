// node:timers (nodejs_compat; https://nodejs.org/api/timers.html): the global timers (the glue's,
// captured before tenant code ran), setImmediate as a 0 ms timeout, and timers/promises.
const setTimeout = internal.setTimeout;
const clearTimeout = internal.clearTimeout;
const setInterval = internal.setInterval;
const clearInterval = internal.clearInterval;

function setImmediate(callback, ...args) {
  return setTimeout(callback, 0, ...args);
}

module.exports = {
  setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate: clearTimeout,
  get promises() {
    return internal.require("node_timers_promises");
  },
};
