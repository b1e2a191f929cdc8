/**
 * Compares a CycloneDX SBOM with the production tree of an npm v2/v3 lock file, so a
 * committed SBOM cannot drift from the dependencies that actually ship. Pure: both
 * documents are passed in parsed.
 */

/** Packages as `name@version` keys, e.g. `@noble/hashes@2.4.0`. */
export type PackageSet = ReadonlySet<string>;

/**
 * The production packages of a lock file: every `packages` entry except the root and
 * those marked `dev: true` (what `npm ci --omit=dev` installs). The name is the entry's
 * `name` field when present (aliases), else the path after the last `node_modules/`.
 * Throws TypeError on a lock file without a `packages` map (lockfileVersion 1).
 */
export function lockProductionPackages(lock: unknown): PackageSet {
  const packages = (lock as { packages?: unknown } | null)?.packages;
  if (typeof packages !== 'object' || packages === null)
    throw new TypeError('lock file has no "packages" map (lockfileVersion >= 2 required)');
  const out = new Set<string>();
  for (const [path, raw] of Object.entries(packages as Record<string, unknown>)) {
    if (path === '') continue;
    const entry = raw as { dev?: unknown; name?: unknown; version?: unknown; link?: unknown };
    if (entry.dev === true || entry.link === true) continue;
    const name =
      typeof entry.name === 'string'
        ? entry.name
        : path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (typeof entry.version !== 'string') throw new TypeError(`lock entry ${path} has no version`);
    out.add(`${name}@${entry.version}`);
  }
  return out;
}

/** Components of a CycloneDX BOM (nested ones too) as `group/name@version` keys. */
export function sbomPackages(bom: unknown): PackageSet {
  const out = new Set<string>();
  const visit = (components: unknown): void => {
    if (!Array.isArray(components)) return;
    for (const c of components as {
      group?: unknown;
      name?: unknown;
      version?: unknown;
      components?: unknown;
    }[]) {
      if (typeof c.name !== 'string' || typeof c.version !== 'string')
        throw new TypeError('SBOM component without name or version');
      const name = typeof c.group === 'string' && c.group !== '' ? `${c.group}/${c.name}` : c.name;
      out.add(`${name}@${c.version}`);
      visit(c.components);
    }
  };
  if (
    typeof bom !== 'object' ||
    bom === null ||
    (bom as { bomFormat?: unknown }).bomFormat !== 'CycloneDX'
  )
    throw new TypeError('not a CycloneDX JSON document');
  visit((bom as { components?: unknown }).components);
  return out;
}

/** What the SBOM lacks and what it claims beyond the lock file's production tree. */
export interface SbomDrift {
  readonly missing: string[];
  readonly extra: string[];
  readonly rootProblem: string | undefined;
}

/**
 * Drift between an SBOM and the lock file (plus the package's own name and version, which
 * must be the SBOM's `metadata.component`). No drift means all three fields are empty.
 */
export function sbomDrift(
  bom: unknown,
  lock: unknown,
  pkg: { readonly name: string; readonly version: string },
): SbomDrift {
  const expected = lockProductionPackages(lock);
  const actual = sbomPackages(bom);
  const missing = [...expected].filter((p) => !actual.has(p)).sort();
  const extra = [...actual].filter((p) => !expected.has(p)).sort();
  const root = (bom as { metadata?: { component?: { name?: unknown; version?: unknown } } })
    .metadata?.component;
  const rootProblem =
    root?.name === pkg.name && root.version === pkg.version
      ? undefined
      : `metadata.component is ${String(root?.name)}@${String(root?.version)}, expected ${pkg.name}@${pkg.version}`;
  return { missing, extra, rootProblem };
}
