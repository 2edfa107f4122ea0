/**
 * The README's example output of a command, as a pattern the real output must match: the code
 * block whose first line is `$ npx pic-reconciler COMMAND`, with `…` standing for any text on its
 * line and a line of only `…` for any number of lines.
 */
export function readmeExample(readme: string, command: string): RegExp {
  const start = readme.indexOf(`$ npx pic-reconciler ${command}\n`);
  if (start < 0) throw new Error(`README.md has no example of ${command}`);
  const body = readme.slice(readme.indexOf('\n', start) + 1, readme.indexOf('\n```', start));
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const lines = body
    .split('\n')
    .map((line) => (line.trim() === '…' ? '(?:.*\\n)*?' : `${line.split('…').map(escape).join('.*')}\\n`));
  return new RegExp(`^${lines.join('')}$`);
}
