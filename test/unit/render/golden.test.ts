import { describe, expect, it } from 'vitest';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import { formatIptablesSave } from '../../../src/render/format-iptables-save.js';
import { renderCell } from '../../../src/render/render-cell.js';
import { EXAMPLE_STATE } from '../../helpers/build-state.js';

// The golden files are the spec of the live layout (DESIGN §4) for the example state;
// `npx vitest run -u` rewrites them, and a reviewer reads the diff.
describe('render of the example state', () => {
  const rendered = renderCell(EXAMPLE_STATE, { apiIp: '172.20.0.3' }, DEFAULT_LAYOUT);

  it('matches the golden iptables-save text', async () => {
    await expect(formatIptablesSave(rendered.iptables)).toMatchFileSnapshot('golden/example.iptables-save.txt');
  });

  it('matches the golden Corefile', async () => {
    await expect(rendered.corefile).toMatchFileSnapshot('golden/example.Corefile');
  });

  it('puts one VIP per service on eth0 with the network prefix', () => {
    expect(rendered.addresses).toEqual([
      { address: '172.20.0.21', prefixlen: 16, label: 'eth0:pic' },
      { address: '172.20.0.22', prefixlen: 16, label: 'eth0:pic' },
      { address: '172.20.0.23', prefixlen: 16, label: 'eth0:pic' },
      { address: '172.20.0.24', prefixlen: 16, label: 'eth0:pic' },
    ]);
  });

  it('routes carol via paris: main first, then the exit table', () => {
    const table = rendered.routes[0]?.table;
    expect(table).toMatch(/^[0-9]+$/);
    expect(rendered.policyRules).toEqual([
      { priority: 10000, src: '10.0.0.4', table: 'main', suppressPrefixlength: 0 },
      { priority: 10001, src: '10.0.0.4', table, suppressPrefixlength: null },
    ]);
    expect(rendered.routes).toEqual([{ table, dst: 'default', gateway: '10.0.1.1', dev: 'wg0' }]);
  });
});
