'use strict';
// Preloaded (node -r) into each `token` of bench/storm-trace.ts: records when this process did
// what (absolute ms) and appends one JSON line to $STORM_TRACE at exit. Times and counts only:
// it never looks at what the keychain returns or what is printed.
const Module = require('node:module');
const fs = require('node:fs');

const now = () => performance.timeOrigin + performance.now();
const events = [];
const record = (e, extra) => events.push({ e, t: now(), ...extra });
record('preload');

const load = Module._load;
Module._load = function (request) {
  const started = now();
  const loaded = load.apply(this, arguments);
  if (/token-lazy\.cjs$/.test(request)) record('lazyLoaded', { s: started, ms: now() - started });
  if (request === '@napi-rs/keyring' && !loaded.__traced) {
    loaded.__traced = true;
    for (const name of ['getPassword', 'setPassword']) {
      const call = loaded.Entry.prototype[name];
      loaded.Entry.prototype[name] = function () {
        const s = now();
        try {
          return call.apply(this, arguments);
        } finally {
          record(name, { s, ms: now() - s });
        }
      };
    }
  }
  return loaded;
};

// proper-lockfile's lock is a mkdir of <lock>.lock: taken, or busy (EEXIST).
const mkdir = fs.mkdir;
fs.mkdir = function (path, ...rest) {
  if (typeof path === 'string' && path.endsWith('.lock') && typeof rest[rest.length - 1] === 'function') {
    const callback = rest[rest.length - 1];
    rest[rest.length - 1] = (err, ...results) => {
      record(err ? 'lockBusy' : 'lockTaken');
      callback(err, ...results);
    };
  }
  return mkdir.call(this, path, ...rest);
};

const watch = fs.watch;
fs.watch = function (...args) {
  const at = args.findIndex((a) => typeof a === 'function');
  if (at >= 0) {
    const listener = args[at];
    args[at] = (...event) => {
      record('watchFired');
      listener(...event);
    };
  }
  record('watch');
  return watch.apply(this, args);
};

for (const name of ['http', 'https']) {
  const m = require(name);
  const request = m.request;
  m.request = function (...args) {
    record('httpStart');
    const req = request.apply(this, args);
    req.on('response', () => record('httpResponse'));
    return req;
  };
}

const write = process.stdout.write.bind(process.stdout);
let printed = false;
process.stdout.write = function (chunk, ...rest) {
  if (!printed && chunk && chunk.length) {
    printed = true;
    record('printed');
  }
  return write(chunk, ...rest);
};

process.on('exit', () => {
  const cpu = process.cpuUsage();
  record('exit', { cpu: (cpu.user + cpu.system) / 1000 });
  fs.appendFileSync(process.env.STORM_TRACE, `${JSON.stringify({ pid: process.pid, started: performance.timeOrigin, events })}\n`);
});
