import { createHash } from 'node:crypto';
import { STATUS_PAGE_SCRIPT } from './status-page-script.js';

/**
 * `GET /`: one read-only HTML page, self-contained (no external script, font, style or image),
 * that draws /status and polls it. Its inline style and script are allowed by hash, so the CSP
 * allows nothing else: no other script, no inline handler, no request but to this origin.
 */

const STYLE = `
:root { color-scheme: light dark; --yes: #1a7f37; --no: #cf222e; --unknown: #9a6700; --line: #8884; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; max-width: 80rem; }
header { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
h1 { font-size: 1.3rem; margin: 0; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .4rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .2rem .5rem; border-bottom: 1px solid var(--line); }
pre { margin: 0; font: 12px/1.3 ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
.yes { color: var(--yes); font-weight: 600; }
.no { color: var(--no); font-weight: 600; }
.unknown { color: var(--unknown); }
.differs { outline: 2px solid var(--no); padding: 0 .2rem; }
.none { color: #888; font-style: italic; }
#updated { color: #888; }
`;

const SECTIONS: readonly (readonly [string, string])[] = [
  ['conditions', 'Conditions'],
  ['passes', 'Last passes'],
  ['file-errors', 'State file errors'],
  ['held-back', 'Held back'],
  ['repairs', 'Recent drift repairs'],
  ['matrix', 'Access matrix (live rules)'],
];

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pic-reconciler status</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>pic-reconciler</h1><span id="cell">loading…</span><span id="ready"></span><span id="updated"></span></header>
${SECTIONS.map(([id, title]) => `<h2>${title}</h2>\n<section id="${id}"><p class="none">loading…</p></section>`).join('\n')}
<script>${STATUS_PAGE_SCRIPT}</script>
</body>
</html>
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The page's CSP: its own inline style and script by hash, fetches to this origin, nothing else. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(STATUS_PAGE_SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers for the page besides its type and length. */
export const STATUS_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': STATUS_PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
