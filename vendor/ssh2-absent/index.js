'use strict';
// docker-modem requires ssh2 at import but uses its Client only for DOCKER_HOST=ssh://, which
// pic-reconciler refuses with a one-line error first. Should anything still reach here, it fails
// with that same sentence instead of a TypeError.
class Client {
  constructor() {
    throw new Error('DOCKER_HOST=ssh://… is not supported: ssh2 is not installed; use unix:///var/run/docker.sock or tcp://HOST:PORT');
  }
}
module.exports = { Client };
