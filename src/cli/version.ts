import { readFileSync } from 'node:fs';

/** Set by the bundler (scripts/build.mjs); absent when running from source. */
declare const AGENT_VERSION: string | undefined;

/** The agent's version: baked into the bundle, or read from package.json when running from source. */
export function agentVersion(): string {
  if (typeof AGENT_VERSION === 'string') return AGENT_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
