// Lint config. Besides style, it enforces the layering of ../shared/DESIGN.md: a lower layer
// importing a higher one fails lint, only main/app and main/index.ts may import electron, and
// the renderer sees main/ only through `import type` from main/api.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Who may import whom inside main/. A folder not listed for a layer is forbidden to it.
const allowed = {
  common: [],
  net: ['common'],
  stun: ['common', 'net'],
  turn: ['common', 'net', 'stun'],
  compat: ['common', 'net', 'stun'],
  ice: ['common', 'net', 'stun', 'turn', 'compat'],
  sip: ['common', 'net'],
  sdp: ['common', 'compat', 'ice'],
  mras: ['common', 'net', 'sip'],
  media: ['common', 'net'],
  api: ['common'],
  session: ['common', 'net', 'stun', 'turn', 'compat', 'ice', 'sip', 'sdp', 'mras', 'media', 'api'],
  report: ['common', 'net', 'stun', 'turn', 'compat', 'ice', 'sip', 'sdp', 'mras', 'media', 'api', 'session'],
  // The lab may use the engine's codecs; the engine never imports the lab.
  lab: ['common', 'net', 'stun', 'turn', 'compat', 'ice', 'sip', 'sdp', 'mras', 'media'],
  serve: ['common', 'net', 'stun', 'turn', 'compat', 'ice', 'sip', 'sdp', 'mras', 'media', 'api', 'session', 'report', 'lab'],
  headless: ['common', 'net', 'stun', 'turn', 'compat', 'ice', 'sip', 'sdp', 'mras', 'media', 'api', 'session', 'report', 'lab', 'serve'],
  app: ['common', 'net', 'stun', 'turn', 'compat', 'ice', 'sip', 'sdp', 'mras', 'media', 'api', 'session', 'report', 'lab', 'serve', 'headless'],
};
const layers = Object.keys(allowed);

const electronBan = { name: 'electron', message: 'Only main/app and main/index.ts may import electron (DESIGN.md layering).' };

function layerRule(layer) {
  const forbidden = layers.filter((l) => l !== layer && !allowed[layer].includes(l));
  return {
    files: [`main/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: layer === 'app' ? [] : [electronBan],
          patterns: [
            ...(forbidden.length
              ? [{ regex: `(^|/)(${forbidden.join('|')})(/|$)`, message: `main/${layer} may not import these layers (DESIGN.md layering): ${forbidden.join(', ')}.` }]
              : []),
            ...(layer === 'common' ? [{ regex: '^node:', message: 'main/common is platform-neutral: no node:* imports.' }] : []),
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', '.vite/**', 'out/**', 'artifacts/**', 'main/headless/bin.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/headless/**'],
    rules: { 'no-console': 'error' },
  },
  ...layers.map(layerRule),
  {
    files: ['preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '(^|/)main/(?!api(/|$))', message: 'preload exposes main/api only.' }] }],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [electronBan],
          patterns: [
            { regex: '^node:', message: 'The renderer has no Node: talk to the engine through window.mediapath.' },
            { regex: '(^|/)main/(?!api(/|$))', message: 'The renderer imports only main/api, and only types.' },
            { regex: '(^|/)main/api(/|$)', allowTypeImports: true, message: 'The renderer imports main/api with `import type` only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
