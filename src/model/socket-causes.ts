// Plain data shared by the Docker target (which names a socket error) and the loop (which
// collapses one daemon's repeated errors into one line).

/** What a socket error means for the operator, by its code. */
export const SOCKET_CAUSES: Readonly<Record<string, string>> = {
  EACCES: 'permission denied: run as root or in the docker group',
  EPERM: 'permission denied: run as root or in the docker group',
  ENOENT: 'no such socket: is the Docker daemon running? (DOCKER_HOST names another socket)',
  ECONNREFUSED: 'connection refused: no Docker daemon listens there',
  EHOSTUNREACH: 'host unreachable',
  ENOTFOUND: 'no such host',
  ETIMEDOUT: 'connection timed out',
};
