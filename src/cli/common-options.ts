import type { OptionDeclaration } from './command-declaration.js';

/** Flags several commands share, worded once. */

export const stateOption: OptionDeclaration = {
  flags: '--state <dir>',
  help: 'the desired-state folder (cell.json, peers/, cells/)',
  example: '--state ./state',
  env: 'PIC_STATE',
};

export const configOption: OptionDeclaration = {
  flags: '--config <file>',
  help: 'the controller config; without it $PIC_CONFIG, else /etc/pic-reconciler/config.json if it exists, else built-in defaults',
  example: '--config /etc/pic-reconciler/config.json',
};

export const fromDumpOption: OptionDeclaration = {
  flags: '--from-dump <dir>',
  help: 'read a saved cell instead of the live one (iptables-save.txt, ip-rule.json, ip-route.json, ip-addr.json, Corefile, api-ip.txt)',
  example: '--from-dump ./saved-cell',
};

/** `--from` was the saved-cell flag before `--from-dump`; it keeps working with a note. */
export const fromDeprecatedOption: OptionDeclaration = {
  flags: '--from <dir>',
  help: 'old name of --from-dump',
  example: '--from ./saved-cell',
  deprecatedFor: 'from-dump',
};

export const listenOption: OptionDeclaration = {
  flags: '--listen <host:port>',
  help: "the controller's HTTP address, overriding the config's listen",
  example: '--listen 127.0.0.1:9470',
};

export function jsonOption(document: string): OptionDeclaration {
  return {
    flags: '--json',
    help: `print ${document} as one JSON document on stdout (errors stay on stderr)`,
    example: '--json | jq .',
  };
}
