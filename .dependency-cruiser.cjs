/**
 * Greenlink's architecture, enforced by `npm run lint` (dependency-cruiser). Folders are layered top-down;
 * a folder may import only folders below it in LAYERS (never one above, never a sibling on its own row
 * unless the row says so), and no module import cycle exists anywhere. tests are outside the rules.
 *
 *   entry points   api/ cli/ worker/ stack/ bench/ scripts/   processes and tools: wire everything below
 *   application    app/                                       use cases: LinkService, the timeline (Temporal client side)
 *   workflows      workflows/                                 deterministic decisions: state, transitions, timers
 *   activities     activities/                                the I/O a workflow asks for
 *   adapters       metrics/ webhooks/ mail/ store/ config/ i18n/ greenhouse/ logging/ tracing/   one outside system each
 *   domain         domain/ lib/                               pure words and helpers: no I/O, importable by workflows
 */

/** Top to bottom. Within a row of several folders, the order is the order of allowed imports (left may import right). */
const LAYERS = [
  ['api', 'cli', 'worker', 'bench', 'stack', 'scripts'],
  ['app'],
  ['workflows'],
  ['activities'],
  ['metrics', 'webhooks', 'mail', 'store', 'config', 'i18n', 'greenhouse', 'logging', 'tracing'],
  ['domain', 'lib'],
];

/** Entry points may use each other only like this (the supervisor starts the others; benches drive them). */
const ENTRY_IMPORTS = { bench: ['api', 'worker', 'stack'], cli: ['stack'], stack: [], scripts: ['api'] };

const folders = LAYERS.flat();
const dir = (names) => `^(${names.join('|')})/`;

const rules = [];
LAYERS.forEach((row, layer) => {
  const above = LAYERS.slice(0, layer).flat();
  row.forEach((folder, index) => {
    const forbidden =
      layer === 0
        ? [...above, ...row.filter((f) => f !== folder && !(ENTRY_IMPORTS[folder] ?? []).includes(f))]
        : [...above, ...row.slice(0, index)];
    if (forbidden.length === 0) return;
    rules.push({
      name: `${folder}-imports-downward-only`,
      comment: `${folder}/ may not import ${forbidden.join(', ')}: they are above it (see LAYERS).`,
      severity: 'error',
      from: { path: `^${folder}/` },
      to: { path: dir(forbidden) },
    });
  });
});

module.exports = {
  forbidden: [
    ...rules,
    {
      name: 'greenhouse-is-behind-domain',
      comment:
        'app/ and activities/ see the provider through domain/provider.ts: of greenhouse/ only its credential shape, never its transport.',
      severity: 'error',
      from: { path: '^(app|activities)/' },
      to: { path: '^greenhouse/', pathNot: '^greenhouse/credentials\\.ts$' },
    },
    {
      name: 'one-owner-of-the-rate-slots',
      comment:
        "Greenhouse's rate windows are taken through a BudgetSource (store/shared-budgets.ts), never from the slot store directly.",
      severity: 'error',
      from: { path: '^(?!store/shared-budgets\\.ts$)(?!test/)' },
      to: { path: '^store/rate-budgets\\.ts$' },
    },
    {
      name: 'one-way-to-greenhouse',
      comment:
        'Only greenhouse/request-engine.ts sends requests to Greenhouse; the rest of greenhouse/ goes through it.',
      severity: 'error',
      from: { path: '^greenhouse/(?!request-engine\\.ts$|simulator/)' },
      to: { path: 'node_modules/undici/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-cycles',
      comment: 'Modules import each other in a circle: split the shared part out, one layer down.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'workflows-are-deterministic',
      comment:
        'Workflow code runs in the Temporal sandbox: no Node built-ins, I/O libraries or zod. Activities are imported as types only.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: {
        pathNot: ['^workflows/', '^domain/', 'node_modules/@temporalio/(workflow|common)/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'domain-is-pure',
      comment: 'domain/ is plain types and pure functions: no npm package and no Node built-in.',
      severity: 'error',
      from: { path: '^domain/' },
      to: { pathNot: '^domain/' },
    },
    {
      name: 'client-is-standalone',
      comment:
        'clients/ are packages integrators install: they import their own files and npm packages, never the server.',
      severity: 'error',
      from: { path: '^clients/' },
      to: { pathNot: ['^clients/', 'node_modules/'] },
    },
    {
      name: 'known-folders-only',
      comment: 'A new top-level folder needs a place in LAYERS.',
      severity: 'error',
      from: { path: '^[^/]+/', pathNot: [dir([...folders, 'test', 'clients'])] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^test/', '^dist/', '/dist/', '\\.d\\.ts$', '^greenhouse/simulator/.*\\.test\\.ts$'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
