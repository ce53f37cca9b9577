/**
 * Secrets and site-specific values come from the environment, not the scenario file: a string
 * value may hold `${ENV:NAME}`, replaced by the variable's value (the whole value or part of it,
 * `sips:${ENV:EDGE_HOST}:5061`). `$${` writes a literal `${`. A variable that is not set is an
 * error naming the field, never an empty string: a password silently empty would fail later and
 * further from its cause.
 */

export type Env = Readonly<Record<string, string | undefined>>;

const REF = /\$\$\{|\$\{ENV:([A-Za-z_][A-Za-z0-9_]*)\}|\$\{[^}]*\}?/g;

export interface Substituted {
  readonly value: string;
  /** Variables named but not set. */
  readonly missing: readonly string[];
  /** `${…}` forms that are not `${ENV:NAME}`. */
  readonly malformed: readonly string[];
  /** Whether any variable was used (such a value is treated as a secret when printed). */
  readonly usedEnv: boolean;
}

export function substituteEnv(text: string, env: Env): Substituted {
  const missing: string[] = [];
  const malformed: string[] = [];
  let usedEnv = false;
  const value = text.replace(REF, (m, name: string | undefined) => {
    if (m === '$${') return '${';
    if (name === undefined) {
      malformed.push(m);
      return m;
    }
    usedEnv = true;
    const v = env[name];
    if (v === undefined) {
      missing.push(name);
      return '';
    }
    return v;
  });
  return { value, missing, malformed, usedEnv };
}
