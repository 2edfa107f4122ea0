import type { CommandDeclaration } from '../command-declaration.js';
import { configOption, fromDumpOption, jsonOption, stateOption } from '../common-options.js';

export const explainCommand: CommandDeclaration = {
  name: 'explain',
  summary: 'why a connection is (or is not) allowed, rule by rule',
  description:
    'Walks one connection through the live rules (or the rendered ones with --desired): nat PREROUTING, the policy routes, filter FORWARD or INPUT, then its reply. Prints every rule that matched with its owner and, for ours, the state file and field that produced it. A rule the model cannot evaluate makes the answer unknown, never a guess. Changes nothing.',
  options: [
    stateOption,
    configOption,
    {
      flags: '--from <source>',
      help: 'where the connection starts: a peer name, cell:<link>, or an IPv4 address',
      example: '--from bob',
    },
    {
      flags: '--to <destination>',
      help: 'a service, a peer, api, internet, cell:<link>, an IPv4 address with an optional :port, or dns:<name> for a DNS query',
      example: '--to files',
    },
    { flags: '--port <n>', help: 'destination port (default 443; api: api_port)', example: '--port 8443' },
    { flags: '--proto <tcp|udp>', help: 'protocol (default tcp)', example: '--proto udp' },
    {
      flags: '--desired',
      help: 'evaluate the rendered (desired) rules instead of the live ones',
      example: '--desired',
    },
    fromDumpOption,
    jsonOption('the verdict, the path and the reply'),
  ],
  examples: [
    'pic-reconciler explain --state ./state --from bob --to files',
    'pic-reconciler explain --state ./state --from cell:paris --to api --json',
    'pic-reconciler explain --state ./state --from bob --to dns:mail.cell',
  ],
  exitCodes: '0 answered (whatever the verdict), 1 error',
  load: async () => (await import('../commands/explain.js')).runExplainCommand,
};
