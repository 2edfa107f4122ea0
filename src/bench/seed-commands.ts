import type { DesiredState } from '../model/desired-state.js';
import { PRIVATE_NETS } from '../render/render-peer-chain.js';
import { cellTag, peerTag } from '../model/chain-names.js';

/**
 * What the seed (firewall_manager.py) runs at startup for the same cell, one process per
 * command, in its order: per peer (apply_all_peer_rules) one iptables-save (clear_peer_rules;
 * nothing to clear in a fresh cell, so no restore) and one `iptables -I FORWARD` per rule,
 * inserted bottom-up; then the same per cell link (apply_all_cell_rules). The firewall only:
 * VIPs and DNAT are a handful more processes, left out. Pure.
 */
export function seedCommands(state: DesiredState, apiIp: string): string[][] {
  const { cell, peers, links } = state;
  const commands: string[][] = [];
  const insert = (args: readonly string[]): void => void commands.push(['iptables', '-I', 'FORWARD', ...args]);
  for (const peer of peers) {
    const tag = ['-m', 'comment', '--comment', peerTag(peer.ip)];
    commands.push(['iptables-save']);
    if (peer.internet_access) insert(['-s', peer.ip, ...tag, '-j', 'ACCEPT']);
    else {
      insert(['-s', peer.ip, ...tag, '-j', 'DROP']);
      for (const net of [...PRIVATE_NETS].reverse()) insert(['-s', peer.ip, '-d', net, ...tag, '-j', 'ACCEPT']);
    }
    insert(['-s', peer.ip, '-d', cell.peer_subnet, ...tag, '-j', peer.peer_access ? 'ACCEPT' : 'DROP']);
    for (const service of [...cell.services].reverse()) {
      insert([
        '-s',
        peer.ip,
        '-d',
        service.vip,
        ...tag,
        '-j',
        peer.service_access.includes(service.name) ? 'ACCEPT' : 'DROP',
      ]);
    }
  }
  for (const link of links) {
    const tag = ['-m', 'comment', '--comment', cellTag(link.name)];
    commands.push(['iptables-save']);
    insert(['-s', link.vpn_subnet, ...tag, '-j', 'DROP']);
    if (link.remote_exit_relay_active) insert(['-s', link.vpn_subnet, '-o', 'eth0', ...tag, '-j', 'ACCEPT']);
    for (const service of [...cell.services].reverse()) {
      insert([
        '-s',
        link.vpn_subnet,
        '-d',
        service.vip,
        ...tag,
        '-j',
        link.permissions.inbound[service.name] === true ? 'ACCEPT' : 'DROP',
      ]);
    }
    insert(['-s', link.vpn_subnet, '-d', apiIp, '-p', 'tcp', '--dport', '3000', ...tag, '-j', 'ACCEPT']);
  }
  return commands;
}
