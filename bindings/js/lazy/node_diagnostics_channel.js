// node:diagnostics_channel (nodejs_compat; https://nodejs.org/api/diagnostics_channel.html): named
// channels that libraries publish to and tools (APMs, Sentry) subscribe to; channels live per
// context. Hand-written: Node's is ~400 lines of its internals; this is the public API, with
// TracingChannel. Store binding (bindStore/runStores) runs the store's `run` when it has one.
const channels = new Map();

class Channel {
  #subscribers = [];
  #stores = new Map();

  constructor(name) {
    this.name = name;
  }

  get hasSubscribers() {
    return this.#subscribers.length > 0 || this.#stores.size > 0;
  }

  subscribe(onMessage) {
    if (typeof onMessage !== "function") throw new TypeError("The \"subscription\" argument must be of type function");
    this.#subscribers = [...this.#subscribers, onMessage];
  }

  unsubscribe(onMessage) {
    const index = this.#subscribers.indexOf(onMessage);
    if (index === -1) return false;
    this.#subscribers = [...this.#subscribers.slice(0, index), ...this.#subscribers.slice(index + 1)];
    return true;
  }

  publish(message) {
    for (const subscriber of this.#subscribers) {
      try {
        subscriber(message, this.name);
      } catch (e) {
        Promise.resolve().then(() => internal.reportError(e));
      }
    }
  }

  bindStore(store, transform = undefined) {
    this.#stores.set(store, transform);
  }

  unbindStore(store) {
    return this.#stores.delete(store);
  }

  runStores(message, fn, thisArg, ...args) {
    let run = () => {
      this.publish(message);
      return Reflect.apply(fn, thisArg, args);
    };
    for (const [store, transform] of this.#stores) {
      const inner = run;
      const value = transform === undefined ? message : transform(message);
      run = () => store.run(value, inner);
    }
    return run();
  }
}

function channel(name) {
  if (typeof name !== "string" && typeof name !== "symbol") {
    throw new TypeError("The \"channel\" argument must be one of type string or symbol");
  }
  let found = channels.get(name);
  if (found === undefined) {
    found = new Channel(name);
    channels.set(name, found);
  }
  return found;
}

function hasSubscribers(name) {
  return channels.get(name)?.hasSubscribers ?? false;
}

function subscribe(name, onMessage) {
  channel(name).subscribe(onMessage);
}

function unsubscribe(name, onMessage) {
  return channels.get(name)?.unsubscribe(onMessage) ?? false;
}

const kEvents = ["start", "end", "asyncStart", "asyncEnd", "error"];

// https://nodejs.org/api/diagnostics_channel.html#class-tracingchannel
class TracingChannel {
  constructor(nameOrChannels) {
    for (const event of kEvents) {
      this[event] = typeof nameOrChannels === "string" ? channel(`tracing:${nameOrChannels}:${event}`)
                                                       : nameOrChannels[event];
    }
  }

  get hasSubscribers() {
    return kEvents.some((event) => this[event].hasSubscribers);
  }

  subscribe(handlers) {
    for (const event of kEvents) if (handlers[event]) this[event].subscribe(handlers[event]);
  }

  unsubscribe(handlers) {
    let all = true;
    for (const event of kEvents) if (handlers[event] && !this[event].unsubscribe(handlers[event])) all = false;
    return all;
  }

  traceSync(fn, context = {}, thisArg = undefined, ...args) {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args);
    return this.start.runStores(context, () => {
      try {
        context.result = Reflect.apply(fn, thisArg, args);
        return context.result;
      } catch (error) {
        context.error = error;
        this.error.publish(context);
        throw error;
      } finally {
        this.end.publish(context);
      }
    });
  }

  tracePromise(fn, context = {}, thisArg = undefined, ...args) {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args);
    const settle = (result, error, failed) => {
      if (failed) {
        context.error = error;
        this.error.publish(context);
      } else {
        context.result = result;
      }
      this.asyncStart.runStores(context, () => this.asyncEnd.publish(context));
      if (failed) throw error;
      return result;
    };
    return this.start.runStores(context, () => {
      try {
        const promise = Promise.resolve(Reflect.apply(fn, thisArg, args));
        return promise.then((result) => settle(result, undefined, false), (error) => settle(undefined, error, true));
      } catch (error) {
        context.error = error;
        this.error.publish(context);
        throw error;
      } finally {
        this.end.publish(context);
      }
    });
  }

  traceCallback(fn, position = -1, context = {}, thisArg = undefined, ...args) {
    if (!this.hasSubscribers) return Reflect.apply(fn, thisArg, args);
    const index = position < 0 ? args.length + position : position;
    const callback = args[index];
    if (typeof callback !== "function") throw new TypeError("The \"callback\" argument must be of type function");
    const tracing = this;
    args[index] = function wrapped(error, result) {
      if (error) {
        context.error = error;
        tracing.error.publish(context);
      } else {
        context.result = result;
      }
      return tracing.asyncStart.runStores(context, () => {
        try {
          return Reflect.apply(callback, this, arguments);
        } finally {
          tracing.asyncEnd.publish(context);
        }
      });
    };
    return this.start.runStores(context, () => {
      try {
        return Reflect.apply(fn, thisArg, args);
      } catch (error) {
        context.error = error;
        this.error.publish(context);
        throw error;
      } finally {
        this.end.publish(context);
      }
    });
  }
}

function tracingChannel(nameOrChannels) {
  return new TracingChannel(nameOrChannels);
}

module.exports = { channel, hasSubscribers, subscribe, unsubscribe, tracingChannel, Channel };
