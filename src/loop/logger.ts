import { pino, type Logger, type LoggerOptions } from 'pino';
import { escapeDeep, escapeUntrusted } from '../text/escape-untrusted.js';

/**
 * For lines a person reads in a terminal: every string in a record (the message, a target's
 * stderr, an error) is escaped before pino-pretty prints it raw. JSON lines need none of this.
 */
export const ESCAPE_FOR_TERMINAL: Pick<LoggerOptions, 'formatters' | 'hooks'> = {
  formatters: { log: (record) => escapeDeep(record) as Record<string, unknown> },
  hooks: {
    logMethod(args, method) {
      method.apply(
        this,
        args.map((arg) => (typeof arg === 'string' ? escapeUntrusted(arg) : arg)) as Parameters<typeof method>,
      );
    },
  },
};

/** JSON lines for machines; pretty lines only when a person watches a terminal. */
export function createLogger(options: { level?: string; pretty?: boolean } = {}): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  return pino({
    name: 'pic-reconciler',
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    ...(pretty
      ? {
          ...ESCAPE_FOR_TERMINAL,
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' },
          },
        }
      : {}),
  });
}

export type { Logger };
