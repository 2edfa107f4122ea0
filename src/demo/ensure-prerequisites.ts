import { spawnSync } from 'node:child_process';

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * The demo builds network namespaces and iptables rules: it needs root, iptables and iproute2.
 * As root on Debian it installs what is missing; otherwise it says in one line what to do.
 */
export function ensureDemoPrerequisites(): string | null {
  if (process.getuid?.() !== 0)
    return 'the demo needs root (it creates network namespaces and iptables rules): run it with sudo';
  const missing = [
    ['iptables', 'iptables'],
    ['ip', 'iproute2'],
    ['sysctl', 'procps'],
  ].filter(([command]) => !has(command ?? ''));
  if (missing.length === 0) return null;
  const packages = missing.map(([, pkg]) => pkg ?? '');
  if (!has('apt-get')) return `the demo needs ${packages.join(' and ')}: install them with your package manager`;
  process.stderr.write(`installing ${packages.join(' ')} with apt-get...\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install =
    update.status === 0
      ? spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env })
      : update;
  return install.status === 0
    ? null
    : `could not install ${packages.join(' ')}: run apt-get install ${packages.join(' ')}`;
}
