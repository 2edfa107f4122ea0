import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { AgentAuthMethod, PublicKeyAuthMethod } from 'ssh2';

/** What docker-modem gives ssh2's Client.connect for DOCKER_HOST=ssh://. */
export type DockerSshOptions = NonNullable<Docker.DockerOptions['sshOptions']>;

/** The user's ssh files, as OpenSSH's client finds them by default. */
export interface SshFiles {
  readonly home: string;
  /** SSH_AUTH_SOCK, when an agent runs. */
  readonly agent: string | undefined;
  /** Where else known host keys are (OpenSSH: /etc/ssh/ssh_known_hosts). */
  readonly globalKnownHosts: string;
}

/** OpenSSH's default identities, in its order (DSA left out: ssh2 and OpenSSH 9 refuse it). */
const IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/**
 * ssh2 options for `ssh://[USER@]HOST[:PORT]` that behave like `ssh` without a config file: the
 * agent first, then each default identity under ~/.ssh that is not passphrase-protected; the
 * server's host key must be listed for that host in ~/.ssh/known_hosts or the global file (plain
 * or hashed names; a `@revoked` key is refused), else the connection is refused, as OpenSSH's
 * BatchMode refuses an unknown host. ssh2 itself would accept any host key.
 */
export function sshOptionsFor(
  host: string,
  port: number,
  user: string | null,
  files: SshFiles,
): DockerSshOptions & { readonly username: string } {
  const username = user ?? userInfo().username;
  // ssh2 skips a key it cannot parse (one with a passphrase) and tries the next method.
  const keys = IDENTITIES.flatMap((name) => readIfThere(join(files.home, '.ssh', name)) ?? []);
  const authHandler: (AgentAuthMethod | PublicKeyAuthMethod)[] = [
    ...(files.agent === undefined || files.agent === ''
      ? []
      : [{ type: 'agent' as const, username, agent: files.agent }]),
    ...keys.map((key) => ({ type: 'publickey' as const, username, key })),
  ];
  const known = [join(files.home, '.ssh', 'known_hosts'), files.globalKnownHosts].flatMap((file) =>
    knownHostLines(readIfThere(file)?.toString('utf8') ?? ''),
  );
  const name = port === 22 ? host : `[${host}]:${port}`;
  return {
    username,
    authHandler,
    hostVerifier: (key: Buffer) => hostKeyIsKnown(known, name, key),
  };
}

interface KnownHost {
  readonly marker: '' | '@revoked' | '@cert-authority';
  readonly hosts: string;
  readonly key: string;
}

/** `[@marker] hosts keytype base64 [comment]` lines; comments and blank lines dropped. Pure. */
export function knownHostLines(text: string): KnownHost[] {
  return text.split('\n').flatMap((line): KnownHost[] => {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return [];
    const marker = fields[0] === '@revoked' || fields[0] === '@cert-authority' ? fields[0] : '';
    const [hosts, , key] = marker === '' ? fields : fields.slice(1);
    return hosts === undefined || key === undefined ? [] : [{ marker, hosts, key }];
  });
}

/**
 * Whether `key` (the server's key blob) is listed for `name` (`host`, or `[host]:port` off port
 * 22), and not revoked. Host patterns are matched exactly or hashed (`|1|salt|hash`), negations
 * and wildcards are not read; a certificate authority is not trusted here. Pure.
 */
export function hostKeyIsKnown(known: readonly KnownHost[], name: string, key: Buffer): boolean {
  const blob = key.toString('base64');
  const forHost = known.filter((entry) => entry.key === blob && entry.hosts.split(',').some((p) => names(p, name)));
  return forHost.some((entry) => entry.marker === '') && !forHost.some((entry) => entry.marker === '@revoked');
}

function names(pattern: string, name: string): boolean {
  const hashed = /^\|1\|([^|]+)\|([^|]+)$/.exec(pattern);
  if (hashed === null) return pattern.toLowerCase() === name.toLowerCase();
  const [, salt = '', hash = ''] = hashed;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name.toLowerCase()).digest('base64') === hash;
}

function readIfThere(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}
