// Lint keeps the pure modules pure: render, plan, the packet model (access), the parsers and model/ itself
// import no node:* module, no package with side effects and no module outside the pure set
// (type-only imports excepted), and read no clock, randomness or process state. Formatting is
// prettier's (`npm run format:check`), not eslint's.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

/** The pure set: each module here may import only from the others (see PURE_IMPORT). */
const PURE_FOLDERS = ['model', 'text', 'parse', 'render', 'plan', 'access'];
const builtins = builtinModules.filter((name) => !name.startsWith('_')).join('|');
const sibling = `(${PURE_FOLDERS.join('|')})/`;

/** The import rule of a pure module. */
function pureImports() {
  const patterns = [
    { regex: `^(node:|(${builtins})(/|$))`, message: 'a pure module imports no node:* module' },
    { regex: `^(?![./]|node:|(${builtins})(/|$))(?!(zod|immer)(/|$))`, allowTypeImports: true, message: 'a pure module imports no package with side effects (zod and immer only)' },
    { regex: `^\\.\\./(?!${sibling})`, allowTypeImports: true, message: 'a pure module imports only model, text, parse, render, plan and access' },
  ];
  return ['error', { patterns }];
}

const pureRules = {
  'no-restricted-properties': [
    'error',
    { object: 'Date', property: 'now', message: 'pure modules take the time as an argument' },
    { object: 'Math', property: 'random', message: 'pure modules take randomness as an argument' },
    { object: 'performance', property: 'now', message: 'pure modules take the time as an argument' },
  ],
  'no-restricted-globals': ['error', 'process', 'console', 'setTimeout', 'setInterval', 'setImmediate', 'fetch'],
};

export default tseslint.config(
  { ignores: ['dist/**', 'dist-check/**', 'node_modules/**'] },
  { files: ['src/**/*.ts', 'test/**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { '@typescript-eslint': tseslint.plugin } },
  {
    files: PURE_FOLDERS.map((folder) => `src/${folder}/**/*.ts`),
    rules: { ...pureRules, '@typescript-eslint/no-restricted-imports': pureImports() },
  },
);
