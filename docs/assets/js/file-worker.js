/*
 * file-worker.js: Web Workers for pages opened from the file system (file://).
 *
 * Why: the site is meant to work from a USB stick. Material's search runs its
 * Lunr index in a Web Worker, but browsers refuse `new Worker(url)` on file://
 * pages (each file has an opaque origin, so no script URL counts as same-origin).
 * Without a worker, Material hides the search box.
 *
 * What: on file: pages only, window.Worker is replaced by FileWorker, which runs
 * the worker script in a hidden, script-only iframe instead of a thread. Scripts
 * are allowed to load from file:// into a document, and an iframe without a src
 * (about:blank) shares its creator's origin, so this file can set the iframe up
 * directly. Page and "worker" talk over a MessageChannel, which gives what a real
 * worker gives: asynchronous delivery and structured-cloned data (no shared
 * objects), and keeps these messages apart from any other window messages.
 *
 * Scope: what Material's search worker needs, and the usual Worker surface:
 *   page side:   new Worker(url), postMessage(data), onmessage,
 *                addEventListener("message" | "error"), onerror, terminate()
 *   worker side: postMessage(data), onmessage / addEventListener("message"),
 *                importScripts(...urls) (returns a Promise: Material awaits it),
 *                self
 * Not covered: module workers; running off the main thread (indexing and each
 * query briefly share the page's thread, fine for a site of this size); error
 * details (on file:// the browser reports worker errors as "Script error.").
 *
 * It must load before Material's bundle creates its worker, so it is a
 * `polyfills` script in <head> (pipeline/site_hooks.py puts it there).
 * Written for this project; no code taken from elsewhere.
 */
(function () {
  "use strict";

  // Served over http(s), the browser's own workers work: leave them alone.
  if (location.protocol !== "file:" || typeof window.Worker === "undefined") {
    return;
  }

  // Worker scripts resolve relative URLs against their own URL, not the page's.
  function resolve(url, base) {
    return new URL(String(url), base).href;
  }

  class FileWorker extends EventTarget {
    constructor(url, options) {
      super();
      if (options && options.type === "module") {
        // An iframe could run it, but import and self semantics differ: fail
        // loudly rather than half-work.
        throw new TypeError("file-worker.js: module workers are not supported on file://");
      }
      this.onmessage = null;
      this.onerror = null;
      this._closed = false;
      // As on a real Worker, the on... handlers are just listeners of their event.
      for (const type of ["message", "error"]) {
        this.addEventListener(type, (ev) => {
          const handler = this["on" + type];
          if (typeof handler === "function") handler.call(this, ev);
        });
      }

      const scriptUrl = resolve(url, document.baseURI);
      const { port1: port, port2: inner } = new MessageChannel(); // page end, worker end
      this._port = port;

      // page <- worker: re-dispatched on this object.
      port.onmessage = (ev) => this._emit(new MessageEvent("message", { data: ev.data }));

      // The iframe: never shown, never focusable, not announced.
      const frame = document.createElement("iframe");
      frame.setAttribute("aria-hidden", "true");
      frame.tabIndex = -1;
      frame.title = "search worker";
      frame.style.display = "none";
      (document.body || document.documentElement).appendChild(frame);
      this._frame = frame;
      const win = frame.contentWindow; // about:blank: same origin as this page
      const doc = frame.contentDocument;

      // Worker-side globals, installed before the worker script runs.
      // A worker's postMessage goes to its creator, not to its own window.
      win.postMessage = (data, transfer) => inner.postMessage(data, transfer || []);
      // importScripts is synchronous in a worker; here the scripts are appended
      // one after the other and a Promise is returned (Material awaits it).
      win.importScripts = (...urls) => urls.reduce(
        (done, u) => done.then(() => loadScript(doc, resolve(u, scriptUrl))), Promise.resolve());
      // An uncaught error in the worker surfaces as an "error" event on the page.
      win.addEventListener("error", (ev) => this._emit(new ErrorEvent("error", {
        message: ev.message, filename: ev.filename, lineno: ev.lineno, colno: ev.colno, error: ev.error,
      })));

      // page -> worker: delivery starts once the worker script has run and set up
      // its listener; until then the port queues messages, as a real worker's
      // inbox does. Dispatching on the iframe window reaches both the worker's
      // addEventListener("message") and its `onmessage = ...`.
      loadScript(doc, scriptUrl).then(() => {
        inner.onmessage = (ev) => win.dispatchEvent(new win.MessageEvent("message", { data: ev.data }));
      }, () => this._emit(new ErrorEvent("error", {
        message: `file-worker.js: cannot load the worker script ${scriptUrl}`, filename: scriptUrl,
      })));
    }

    postMessage(data, transfer) {
      // structured clone (transferables moved), delivered asynchronously
      if (!this._closed) this._port.postMessage(data, transfer || []);
    }

    terminate() {
      if (this._closed) return;
      this._closed = true;
      this._port.close();
      this._frame.remove(); // unloads the iframe, and with it all of the worker's state
    }

    _emit(ev) {
      if (!this._closed) this.dispatchEvent(ev);
    }
  }

  function loadScript(doc, src) {
    return new Promise((ok, fail) => {
      const s = doc.createElement("script");
      s.src = src;
      s.onload = () => ok();
      s.onerror = () => fail(new Error(`cannot load ${src}`));
      (doc.body || doc.documentElement).appendChild(s);
    });
  }

  window.Worker = FileWorker;
})();
