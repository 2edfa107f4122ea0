'use strict';
// dockerode requires @grpc/grpc-js at import but uses it only inside a BuildKit session; pic-reconciler
// never builds images, so anything that reaches here fails with one clear sentence.
const absent = () => {
  throw new Error('@grpc/grpc-js is not installed: pic-reconciler does not open BuildKit sessions');
};
module.exports = new Proxy({}, { get: (_target, key) => (key === '__esModule' || typeof key === 'symbol' ? undefined : absent) });
