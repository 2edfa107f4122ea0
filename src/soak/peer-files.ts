import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatIPv4 } from '../model/ipv4.js';

/** Peers live in 10.8.0.0/16, so a load test can have tens of thousands. */
const PEER_NETWORK = (10 << 24) + (8 << 16);

export function peerName(i: number): string {
  return `p${i}`;
}

/** The i-th peer's file; `version` varies its access, so every version is a real edit. */
export function peerJson(i: number, version: number): string {
  return JSON.stringify({
    kind: 'Peer',
    name: peerName(i),
    ip: formatIPv4(PEER_NETWORK + 2 + i),
    internet_access: version % 2 === 0,
    service_access: version % 3 === 0 ? ['calendar', 'files'] : ['calendar'],
  });
}

/** A cell with `peers` peers, one file each. */
export async function writeCellState(dir: string, peers: number): Promise<void> {
  await mkdir(join(dir, 'peers'), { recursive: true });
  await writeFile(
    join(dir, 'cell.json'),
    JSON.stringify({ kind: 'Cell', name: 'soak', peer_subnet: '10.8.0.0/16', services: ['calendar', 'files'] }),
  );
  for (let i = 0; i < peers; i++) await writeFile(join(dir, 'peers', `${peerName(i)}.json`), peerJson(i, 0));
}

/** Rewrites one peer's file the way editors do: a temp file renamed over it. */
export async function editPeer(dir: string, i: number, version: number): Promise<void> {
  const file = join(dir, 'peers', `${peerName(i)}.json`);
  await writeFile(`${file}.tmp`, peerJson(i, version));
  await rename(`${file}.tmp`, file);
}
