/** iptables-nft-save's only line for a table holding native nftables rules it cannot print (xtables-save.c). */
const INCOMPATIBLE = /^# Table [`']([a-z]+)' is incompatible, use 'nft' tool\.?$/;

/** The blind spot a comment line of a dump names: none, or the table it could not show. */
export function incompatibleTable(line: string): string[] {
  const table = INCOMPATIBLE.exec(line)?.[1];
  return table === undefined
    ? []
    : [
        `table ${table} is incompatible: it holds native nftables rules iptables-nft-save cannot print (read it with nft)`,
      ];
}
