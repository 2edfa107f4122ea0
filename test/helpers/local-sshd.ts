import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';
import { waitFor } from './wait-for.js';

/**
 * An OpenSSH server of the test's own on 127.0.0.1: a fresh host key and one authorized client
 * key, all in `dir`, and a HOME (`dir/home`) whose ~/.ssh holds that client key and a
 * known_hosts line for the server, as a user who has logged in once with `ssh` has.
 */
export interface LocalSshd {
  readonly port: number;
  /** The user's home: .ssh/id_ed25519 and .ssh/known_hosts. */
  readonly home: string;
  stop(): Promise<void>;
}

// sshd refuses to start without its privilege-separation folder, which Debian makes at boot.
const PRIVSEP_DIR = '/run/sshd';

function keygen(file: string): void {
  const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`ssh-keygen -f ${file}: ${made.stderr}`);
}

function sshdPath(): string {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  const found = dirs.map((dir) => join(dir, 'sshd')).find((file) => isAbsolute(file) && existsSync(file));
  if (found === undefined) throw new Error('sshd is not installed (Debian: openssh-server)');
  return found;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('data', (data) => {
      socket.destroy();
      done(data.toString('latin1').startsWith('SSH-'));
    });
    socket.once('error', () => done(false));
  });
}

/** Starts `sshd -D` on a free loopback port; it accepts only the key under `home`. */
export async function startLocalSshd(dir: string): Promise<LocalSshd> {
  const home = join(dir, 'home');
  await mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  keygen(join(dir, 'host_key'));
  keygen(join(home, '.ssh', 'id_ed25519'));
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(home, '.ssh', 'id_ed25519.pub')));
  const port = await freePort();
  const hostKey = (await readFile(join(dir, 'host_key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
  await writeFile(join(home, '.ssh', 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
  await writeFile(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // The temp folder is the test's, not the user's: its modes are not sshd's business.
      'StrictModes no',
      '',
    ].join('\n'),
  );
  const madePrivsep = !existsSync(PRIVSEP_DIR);
  if (madePrivsep) await mkdir(PRIVSEP_DIR, { mode: 0o755 });
  let log = '';
  // sshd re-executes itself for each connection, so it must be started by its absolute path.
  const child: ChildProcess = spawn(sshdPath(), ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    if (madePrivsep) await rm(PRIVSEP_DIR, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `sshd on 127.0.0.1:${port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`sshd exited ${child.exitCode}`);
        return answers(port);
      },
      10_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`sshd did not start: ${log.trim() || (error as Error).message}`);
  }
  return { port, home, stop };
}
