// Monaco's web workers, served by this server next to the bundle (no CDN, no blob URLs).
const base = new URL('./', document.currentScript?.src ?? location.href);

globalThis.MonacoEnvironment = {
  getWorker(_id, label) {
    const name =
      label === 'json' ? 'json.worker.js' : label === 'graphql' ? 'graphql.worker.js' : 'editor.worker.js';
    return new Worker(new URL(name, base));
  },
};
