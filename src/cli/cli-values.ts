/**
 * The option values a command handler receives, keyed by the flag's long name (`values['dry-run']`
 * for `--dry-run`). Each command declares which of these it accepts; the parser rejects the rest,
 * so a handler only ever sees its own flags set.
 */
export interface CliValues {
  readonly state?: string;
  readonly config?: string;
  readonly 'from-dump'?: string;
  readonly listen?: string;
  readonly out?: string;
  /** explain: the source and destination of the connection, its port and protocol. */
  readonly from?: string;
  readonly to?: string;
  readonly port?: string;
  readonly proto?: string;
  /** apply: the confirm window's length in seconds, as typed. */
  readonly 'confirm-within'?: string;
  readonly desired: boolean;
  readonly json: boolean;
  readonly 'dry-run': boolean;
  readonly 'allow-mass-delete': boolean;
}

/** CliValues from the parser's values by long flag name; anything not declared stays unset. */
export function cliValuesFrom(byFlag: ReadonlyMap<string, unknown>): CliValues {
  const text = (flag: string): string | undefined => {
    const value = byFlag.get(flag);
    return typeof value === 'string' ? value : undefined;
  };
  const flag = (name: string): boolean => byFlag.get(name) === true;
  return {
    state: text('state'),
    config: text('config'),
    'from-dump': text('from-dump'),
    listen: text('listen'),
    out: text('out'),
    from: text('from'),
    to: text('to'),
    port: text('port'),
    proto: text('proto'),
    'confirm-within': text('confirm-within'),
    desired: flag('desired'),
    json: flag('json'),
    'dry-run': flag('dry-run'),
    'allow-mass-delete': flag('allow-mass-delete'),
  };
}
