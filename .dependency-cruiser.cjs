/**
 * Import boundaries and cycles (`npm run lint:deps`; part of `npm run lint` and of scripts/test.sh). The README's
 * "How the pieces fit" draws the same layers. To change an arrow, change LAYERS or SIDEWAYS here, and the README.
 *
 * Every folder under src/ (and src/exit-codes.ts) sits in one layer. A folder imports its own files, any folder of a
 * LOWER layer, and, inside its layer, only the SIDEWAYS arrows listed: so the folders' graph has one direction by
 * construction. A new folder under src/ fails the check until it is placed here.
 * Type-only imports (`import type`, erased by tsc) count like the others, for the layers and for cycles
 * (tsPreCompilationDeps: dependency-cruiser reads them before they are erased).
 */
'use strict';

/** Top to bottom. */
const LAYERS = [
  { name: 'entry points', units: ['cli', 'bench', 'fuzz'] },
  { name: 'views of a run', units: ['report', 'progress'] },
  { name: 'runner', units: ['coordinator', 'worker'] },
  { name: 'work', units: ['extract', 'warc', 'reduce', 'cost', 'fleet'] },
  { name: 'infrastructure', units: ['redis', 'storage'] },
  { name: 'base', units: ['config', 'log', 'job', 'exit-codes.ts'] },
];

/** The arrows allowed inside a layer (one direction each). */
const SIDEWAYS = [
  ['report', 'progress'],
  ['extract', 'warc'],
  ['fleet', 'cost'],
  ['redis', 'storage'],
  ['log', 'exit-codes.ts'],
  ['log', 'config'],
  ['config', 'exit-codes.ts'],
];

/**
 * Beside the layers: the fixture generator (src/fixtures) imports nothing else of src/, and only the dev tools import
 * it (and scripts/, test/): the product never does.
 */
const FIXTURES = 'fixtures';
const FIXTURE_USERS = ['bench', 'fuzz'];
/** Only these reach a job definition, and only through the registry jobs/index.ts ("the runner knows the interface"). */
const JOB_REGISTRY_USERS = ['cli', 'bench', 'fuzz', 'worker'];

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const unitPath = (u) => (u.endsWith('.ts') ? `^src/${esc(u)}$` : `^src/${esc(u)}/`);
const anyOf = (units) => units.map(unitPath).join('|');

const layerOf = new Map();
LAYERS.forEach((layer, i) => layer.units.forEach((u) => layerOf.set(u, i)));
for (const [from, to] of SIDEWAYS) {
  if (layerOf.get(from) === undefined || layerOf.get(from) !== layerOf.get(to)) {
    throw new Error(`.dependency-cruiser.cjs: SIDEWAYS ${from} -> ${to} must join two units of one layer`);
  }
  if (SIDEWAYS.some(([f, t]) => f === to && t === from)) {
    throw new Error(`.dependency-cruiser.cjs: SIDEWAYS has ${from} -> ${to} both ways`);
  }
}

const layerRules = [...layerOf].map(([unit, i]) => {
  const allowed = [
    unit,
    ...SIDEWAYS.filter(([f]) => f === unit).map(([, t]) => t),
    ...LAYERS.slice(i + 1).flatMap((l) => l.units),
    ...(FIXTURE_USERS.includes(unit) ? [FIXTURES] : []),
  ];
  return {
    name: `layers: src/${unit}`,
    comment:
      `src/${unit} (layer "${LAYERS[i].name}") may import only ` +
      `${allowed.map((u) => `src/${u}`).join(', ')} (.dependency-cruiser.cjs, README "How the pieces fit")`,
    severity: 'error',
    from: { path: unitPath(unit) },
    to: { path: '^src/', pathNot: anyOf(allowed) },
  };
});

const TYPE_ONLY = ['type-only', 'type-import'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular-at-run-time',
      comment: 'An import cycle of run-time imports: module evaluation order decides what is undefined. Break the cycle.',
      severity: 'error',
      from: {},
      to: { circular: true, dependencyTypesNot: TYPE_ONLY, viaOnly: { dependencyTypesNot: TYPE_ONLY } },
    },
    {
      name: 'no-circular',
      comment:
        'An import cycle through a type-only import: harmless at run time, but the two modules cannot be read or moved ' +
        'apart. Move the shared type down to the module both use.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: `layers: src/${FIXTURES}`,
      comment: `src/${FIXTURES} (the fixture generator, beside the layers) imports nothing else of src/`,
      severity: 'error',
      from: { path: unitPath(FIXTURES) },
      to: { path: '^src/', pathNot: unitPath(FIXTURES) },
    },
    {
      name: 'layers: unplaced',
      comment: 'A file under src/ outside every layer: place its folder in LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: anyOf([...layerOf.keys(), FIXTURES]) },
      to: {},
    },
    {
      name: 'jobs: only the interface',
      comment: 'A job (jobs/) knows the job interface (src/job) and nothing else of the runner',
      severity: 'error',
      from: { path: '^jobs/' },
      to: { path: '^src/', pathNot: '^src/job/' },
    },
    {
      name: 'jobs: through the registry',
      comment: 'The runner reaches a job through the registry jobs/index.ts, never a job\'s own files',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^jobs/', pathNot: '^jobs/index\\.ts$' },
    },
    {
      name: 'jobs: who uses the registry',
      comment: `Only ${JOB_REGISTRY_USERS.map((u) => `src/${u}`).join(', ')} import jobs/ (the others are handed a JobRegistry or a JobDefinition)`,
      severity: 'error',
      from: { path: '^src/', pathNot: anyOf(JOB_REGISTRY_USERS) },
      to: { path: '^jobs/' },
    },
    {
      name: 'scripts: nothing imports them',
      comment: 'scripts/ are entry points (they import src/ and jobs/); code that src/ or jobs/ needs belongs in src/',
      severity: 'error',
      from: { path: '^(src|jobs)/' },
      to: { path: '^scripts/' },
    },
    {
      name: 'tests: no test file imports another',
      comment: 'A test file is imported by none: what two test files share goes in test/helpers',
      severity: 'error',
      from: {},
      to: { path: '^test/.*\\.test\\.ts$' },
    },
    {
      name: 'tests: product never imports test code',
      comment: 'src/, jobs/ and scripts/ never import test/',
      severity: 'error',
      from: { path: '^(src|jobs|scripts)/' },
      to: { path: '^test/' },
    },
    {
      name: 'packages: no devDependency at run time',
      comment:
        'src/ and jobs/ run in the worker image, which installs no devDependencies: move the package to dependencies ' +
        '(the dev tools src/bench, src/fuzz, src/fixtures may use them)',
      severity: 'error',
      from: { path: '^(src|jobs)/', pathNot: '^src/(bench|fuzz|fixtures)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: TYPE_ONLY },
    },
    {
      name: 'packages: listed in package.json',
      comment: 'A package imported but not in package.json works only while another package brings it along: add it',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'imports: resolvable',
      comment: 'An import that resolves to no file',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.test.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
