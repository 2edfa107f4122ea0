import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Open connections the status server keeps; each one is a file descriptor of the controller's. */
export const MAX_CONNECTIONS = 256;

/**
 * Keeps at most `max` connections open: past the bound the oldest is closed, not the new one, so
 * a flood of idle connections (slowloris, or any local user opening sockets) cannot exhaust the
 * controller's descriptors nor keep a fresh `/healthz` from an answer. A peer's reset or a write
 * to a closed socket is that connection's end, never the process's.
 */
export function boundConnections(server: Server, max = MAX_CONNECTIONS): void {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    socket.on('error', () => socket.destroy());
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    if (open.size > max) {
      const oldest = open.values().next().value;
      if (oldest !== undefined) {
        open.delete(oldest);
        oldest.destroy();
      }
    }
  });
}
