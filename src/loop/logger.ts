import { pino, type Logger } from 'pino';

/** JSON lines for machines; pretty lines only when a person watches a terminal. */
export function createLogger(options: { level?: string; pretty?: boolean } = {}): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  return pino({
    name: 'pic-reconciler',
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' } } } : {}),
  });
}

export type { Logger };
