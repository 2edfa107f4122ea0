'use strict';
// dockerode requires @grpc/proto-loader at import but uses it only inside a BuildKit session; pic-reconciler
// never builds images, so anything that reaches here fails with one clear sentence.
const absent = () => {
  throw new Error('@grpc/proto-loader is not installed: pic-reconciler does not open BuildKit sessions');
};
module.exports = new Proxy({}, { get: (_target, key) => (key === '__esModule' || typeof key === 'symbol' ? undefined : absent) });
