// The folder order of src/, written once (README's "Source layout" lists the same layers and a
// test holds the two together): a folder imports only from its own folder and the layers above
// it. Folders in one layer are siblings and import nothing from each other. Type-only imports
// count: a type that runs upward is an upward arrow. `npm run lint` runs this.

/** Top to bottom: the pure base, the pipeline in its order, the controller, the edges, the commands, the developer tools. */
const LAYERS = [
  ['model'],
  ['text'],
  ['parse'],
  ['config'],
  ['load'],
  ['render'],
  ['observe'],
  ['plan'],
  ['apply'],
  ['verify'],
  ['pass'],
  ['access'],
  ['status'],
  ['notify', 'http'],
  ['loop'],
  ['targets'],
  ['lock'],
  ['rollback'],
  ['import'],
  ['runtime'],
  ['cli'],
  ['testbed'],
  ['demo', 'bench', 'soak'],
];

const folders = (list) => `^src/(${list.join('|')})/`;

/** For each folder: no import of a folder in its own layer or any layer below it. */
const downOnly = LAYERS.flatMap((layer, index) =>
  layer.map((folder) => {
    const notAbove = [...layer.filter((f) => f !== folder), ...LAYERS.slice(index + 1).flat()];
    return {
      name: `${folder}-imports-only-above`,
      comment: `src/${folder}/ imports only from its own folder and the folders above it (README "Source layout")`,
      severity: 'error',
      from: { path: `^src/${folder}/` },
      to: { path: folders(notAbove) },
    };
  }),
).filter((rule) => rule.to.path !== '^src/()/');

module.exports = {
  forbidden: [
    ...downOnly,
    {
      name: 'known-folder',
      comment: 'every folder of src/ has its place in LAYERS',
      severity: 'error',
      from: { path: '^src/', pathNot: folders(LAYERS.flat()) },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'no module reaches itself through its imports',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
