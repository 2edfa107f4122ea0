import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { LayoutConfig } from '../model/facts.js';
import { parseJson } from '../parse/parse-json.js';
import { escapeControl, formatLocation, toPointer } from '../text/state-issue.js';
import { locatorText, parseLocator, type LocatorRole } from '../model/locator.js';

/**
 * The controller config (DESIGN.md §7): where the cell's parts live and how the loop paces itself.
 * Every field has the seed's value as its default, so an absent file means "the seed's cell".
 */

/** A role's locator text, parsed here once into a typed Locator (the only place a locator is parsed). */
function locator<R extends LocatorRole>(role: R, seed: string) {
  return z
    .string()
    .transform((text, ctx) => {
      const parsed = parseLocator(text, role);
      if (parsed.ok) return parsed.value;
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    })
    .prefault(seed);
}
const ifname = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,14}$/, 'expected an interface name');

export const DEFAULT_LOCK_DIR = '/run/pic-reconciler';

export const controllerConfigSchema = z
  .object({
    $schema: z.string().optional(),
    targets: z
      .object({
        wireguard: locator('wireguard', 'docker:cell-wireguard'),
        caddy: locator('caddy', 'docker:cell-caddy'),
        dns: locator('dns', 'docker:cell-dns'),
        api: locator('api', 'docker:cell-api'),
      })
      .strict()
      .prefault({}),
    corefile: z.string().min(1).default('/app/config/dns/Corefile'),
    interfaces: z
      .object({ wireguard: ifname.default('wg0'), egress: ifname.default('eth0'), caddy: ifname.default('eth0') })
      .strict()
      .prefault({}),
    api_port: z.number().int().min(1).max(65535).default(3000),
    resync_seconds: z.number().min(1).max(86_400).default(30),
    listen: z
      .string()
      .regex(/^[0-9.]+:[0-9]{1,5}$|^\[[0-9a-fA-F:]+\]:[0-9]{1,5}$/, 'expected HOST:PORT')
      .default('127.0.0.1:9470'),
    /** Quiet time after the last state-file change before a reconcile starts. */
    debounce_ms: z.number().int().min(0).max(60_000).default(50),
    /** Least time between two reconciles. */
    min_interval_ms: z.number().int().min(0).max(60_000).default(200),
    /** Share of managed rules one step may remove before the mass-delete guard stops it. */
    max_delete_share: z.number().min(0).max(1).default(0.5),
    /** Where last-known-good state and status are kept (default: <state>/.status); relative to the config file's folder. */
    status_dir: z.string().min(1).nullable().default(null),
    /** The cell lock's folder: one only root (or the controller's account) can create (src/lock/lock-folder.ts). */
    lock_dir: z.string().regex(/^\//, 'expected an absolute path').default(DEFAULT_LOCK_DIR),
    /** Optional webhook for events (src/notify): plain http:// or https:// URL, POSTed one JSON event at a time. */
    notify: z
      .object({ webhook: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }) })
      .strict()
      .nullable()
      .default(null),
  })
  .strict();

export type ControllerConfig = z.infer<typeof controllerConfigSchema>;

/** The config as its file spells it (locators as text), for writing a config file or a log line. */
export function configFileJson(config: ControllerConfig): z.input<typeof controllerConfigSchema> {
  const { wireguard, caddy, dns, api } = config.targets;
  return {
    ...config,
    targets: {
      wireguard: locatorText(wireguard),
      caddy: locatorText(caddy),
      dns: locatorText(dns),
      api: locatorText(api),
    },
  };
}

export function layoutOf(config: ControllerConfig): LayoutConfig {
  return {
    wireguardInterface: config.interfaces.wireguard,
    egressInterface: config.interfaces.egress,
    caddyInterface: config.interfaces.caddy,
    apiPort: config.api_port,
  };
}

export type ConfigResult =
  { readonly ok: true; readonly config: ControllerConfig } | { readonly ok: false; readonly error: string };

/** Parses config JSON; errors are one line naming the file and the field, spelled as a state file's are. */
export function parseControllerConfig(text: string, file: string): ConfigResult {
  const json = parseJson(text);
  if (!json.ok) return { ok: false, error: `${formatLocation(file, '')}: ${escapeControl(json.message)}` };
  const parsed = controllerConfigSchema.safeParse(json.value);
  if (parsed.success) return { ok: true, config: parsed.data };
  const issue = parsed.error.issues[0];
  const pointer = toPointer(
    issue?.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)) ?? [],
  );
  const message = escapeControl((issue?.message ?? 'invalid').replace(/\s+/g, ' '));
  return { ok: false, error: `${formatLocation(file, pointer)}: ${message}` };
}

export async function loadControllerConfig(file: string | undefined): Promise<ConfigResult> {
  if (file === undefined) return parseControllerConfig('{}', '<defaults>');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return {
      ok: false,
      error: `${formatLocation(file, '')}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    };
  }
  return withAbsoluteStatusDir(parseControllerConfig(text, file), file);
}

/**
 * A relative `status_dir` means the config file's folder, resolved once here: the printed
 * `confirm` command and a `run` started by systemd in `/` must find the same folder.
 */
function withAbsoluteStatusDir(result: ConfigResult, file: string): ConfigResult {
  if (!result.ok || result.config.status_dir === null || isAbsolute(result.config.status_dir)) return result;
  return {
    ok: true,
    config: { ...result.config, status_dir: resolve(dirname(resolve(file)), result.config.status_dir) },
  };
}

/** Where a config comes from when --config is absent and $PIC_CONFIG is unset: the host's file, if there is one. */
export const SYSTEM_CONFIG_FILE = '/etc/pic-reconciler/config.json';

/** Which config a command uses: the file (null for the built-in defaults) and what named it. */
export interface ConfigChoice {
  readonly file: string | null;
  readonly from: '--config' | 'PIC_CONFIG' | 'system' | 'defaults';
}

/**
 * `--config` > `$PIC_CONFIG` > the system file when it exists > built-in defaults. A file that
 * was named but cannot be read is an error, never a silent fall back to the defaults; only the
 * system file may be absent.
 */
export async function chooseConfigFile(
  flag: string | undefined,
  env: string | undefined,
  systemFile = SYSTEM_CONFIG_FILE,
): Promise<ConfigChoice> {
  if (flag !== undefined && flag !== '') return { file: flag, from: '--config' };
  if (env !== undefined && env !== '') return { file: env, from: 'PIC_CONFIG' };
  const present = await stat(systemFile).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
  );
  return present ? { file: systemFile, from: 'system' } : { file: null, from: 'defaults' };
}

/** "config: FILE (from …)" or "config: built-in defaults", for the line plan and apply print. */
export function describeConfigChoice(choice: ConfigChoice): string {
  if (choice.file === null) return 'built-in defaults';
  return choice.from === 'system'
    ? choice.file
    : `${choice.file} (${choice.from === 'PIC_CONFIG' ? '$PIC_CONFIG' : '--config'})`;
}
