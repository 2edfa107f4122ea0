import { escapeLines } from '../text/escape-untrusted.js';

/**
 * Colour for plan text, in the manner of terraform: `+` green, `-` red, `~` yellow. Only on a
 * terminal, and never when NO_COLOR is set to anything (no-color.org) or TERM is dumb.
 */

const GREEN = '\u001b[32m';
const RED = '\u001b[31m';
const YELLOW = '\u001b[33m';
const RESET = '\u001b[0m';

const COLOUR_OF: Readonly<Record<string, string>> = { '+': GREEN, '-': RED, '~': YELLOW };

export function wantsColour(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return stream.isTTY === true && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
}

/** Colours each action and detail line by its leading marker; every other line stays as it is. */
export function colourPlanText(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const marker = /^ +([+~-]) /.exec(line)?.[1];
      const colour = marker === undefined ? undefined : COLOUR_OF[marker];
      return colour === undefined ? line : `${colour}${line}${RESET}`;
    })
    .join('\n');
}

/** The plan text as it should reach stdout. */
export function planForStdout(text: string): string {
  // The plan quotes live rules and command output: escaped before any colour is added.
  const escaped = escapeLines(text);
  return wantsColour(process.stdout, process.env) ? colourPlanText(escaped) : escaped;
}
