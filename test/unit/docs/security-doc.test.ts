import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * docs/security.md maps every ETSI EN 303 645 provision and every promise of
 * the privacy policy to a mechanism and the test that proves it. A map that
 * names a test which was renamed, moved or never written proves nothing, so
 * this checks the map against the repository: rows for every provision and
 * promise, cited files and `t.test` titles that exist, links that resolve,
 * gaps that are written down, and no citation left `(pending)`.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DOC = 'docs/security.md';

/** EN 303 645 V2.1.1, every provision (a fixed standard: security.md §1.1 of the reference). */
const ETSI_IDS = [
  '5.1-1', '5.1-2', '5.1-3', '5.1-4', '5.1-5',
  '5.2-1', '5.2-2', '5.2-3',
  '5.3-1', '5.3-2', '5.3-3', '5.3-4', '5.3-5', '5.3-6', '5.3-7', '5.3-8', '5.3-9', '5.3-10', '5.3-11', '5.3-12', '5.3-13', '5.3-14', '5.3-15', '5.3-16',
  '5.4-1', '5.4-2', '5.4-3', '5.4-4',
  '5.5-1', '5.5-2', '5.5-3', '5.5-4', '5.5-5', '5.5-6', '5.5-7', '5.5-8',
  '5.6-1', '5.6-2', '5.6-3', '5.6-4', '5.6-5', '5.6-6', '5.6-7', '5.6-8', '5.6-9',
  '5.7-1', '5.7-2',
  '5.8-1', '5.8-2', '5.8-3',
  '5.9-1', '5.9-2', '5.9-3',
  '5.10-1',
  '5.11-1', '5.11-2', '5.11-3', '5.11-4',
  '5.12-1', '5.12-2', '5.12-3',
  '5.13-1',
  '6-1', '6-2', '6-3', '6-4', '6-5',
] as const;

/** The privacy policy's promises as the agent reads them (reference §1.4), with a word the row must carry. */
const PROMISES: ReadonlyArray<readonly [id: string, keyword: RegExp]> = [
  ['PP-1', /encryption in transit/i],
  ['PP-2', /encryption at rest/i],
  ['PP-3', /masking|desensiti[sz]ation/i],
  ['PP-4', /access control.*multiple authentication/i],
  ['PP-5', /audit/i],
  ['PP-6', /snapshot switch/i],
  ['PP-7', /erasure.*(unbind|account deletion)/i],
  ['PP-8', /retention/i],
  ['PP-9', /biometric/i],
  ['PP-10', /telemetry minimi[sz]ation/i],
];

const ROW_ID = /^(\d+\.\d+-\d+|6-\d+|PP-\d+)$/;
/** `test/…/x.test.ts` optionally followed by :: `title`, optionally marked (pending). */
const CITATION = /`(test\/[^`\s]+\.test\.ts)`(?:\s*::\s*`([^`]+)`)?(\s*\(pending\))?/g;
const GAP_REF = /\bG(\d+)\b/g;
const GAP_DEF = /^- \*\*G(\d+) ·/gm;
const LINK = /\]\(([^)\s]+)\)/g;

interface Row {
  id: string;
  cells: string[];
  line: number;
}

interface Citation {
  file: string;
  title: string | null;
  pending: boolean;
  line: number;
}

export interface DocProblems {
  missingRows: string[];
  duplicateRows: string[];
  badPromiseRows: string[];
  rowsWithoutProof: string[];
  missingFiles: string[];
  missingTitles: string[];
  pending: string[];
  brokenLinks: string[];
  undefinedGaps: string[];
  unusedGaps: string[];
}

function tableRows(doc: string): Row[] {
  const rows: Row[] = [];
  doc.split('\n').forEach((text, i) => {
    if (!text.startsWith('|')) return;
    const cells = text.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length && ROW_ID.test(cells[0]!)) rows.push({ id: cells[0]!, cells, line: i + 1 });
  });
  return rows;
}

function citations(doc: string): Citation[] {
  const out: Citation[] = [];
  doc.split('\n').forEach((text, i) => {
    for (const m of text.matchAll(CITATION)) out.push({ file: m[1]!, title: m[2] ?? null, pending: Boolean(m[3]), line: i + 1 });
  });
  return out;
}

/** A `t.test('…')` (or `.test("…")`, or a template literal) with exactly this title. */
function hasTestTitle(source: string, title: string): boolean {
  const forms = [
    `'${title.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`,
    `"${title.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
    `\`${title}\``,
  ];
  return forms.some((quoted) => {
    let at = source.indexOf(quoted);
    while (at !== -1) {
      if (/\.test\(\s*$/.test(source.slice(Math.max(0, at - 40), at))) return true;
      at = source.indexOf(quoted, at + 1);
    }
    return false;
  });
}

/** GitHub-style heading anchors of the document. */
function anchors(doc: string): Set<string> {
  const out = new Set<string>();
  for (const m of doc.matchAll(/^#{1,6} (.+)$/gm)) {
    out.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} -]/gu, '').replace(/ /g, '-'));
  }
  return out;
}

/**
 * Every problem of the document, as readable strings. `read` returns a
 * repository file's text or null; `exists` says whether a path exists.
 */
export function checkSecurityDoc(doc: string, read: (path: string) => string | null, exists: (path: string) => boolean): DocProblems {
  const rows = tableRows(doc);
  const byId = new Map<string, Row[]>();
  for (const r of rows) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
  const wanted = [...ETSI_IDS, ...PROMISES.map(([id]) => id)];

  const problems: DocProblems = {
    missingRows: wanted.filter((id) => !byId.has(id)),
    duplicateRows: [...byId].filter(([, rs]) => rs.length > 1).map(([id, rs]) => `${id} (lines ${rs.map((r) => r.line).join(', ')})`),
    badPromiseRows: PROMISES.filter(([id, kw]) => byId.has(id) && !kw.test(byId.get(id)![0]!.cells[1] ?? '')).map(([id, kw]) => `${id}: promise cell does not say ${kw}`),
    rowsWithoutProof: [],
    missingFiles: [],
    missingTitles: [],
    pending: [],
    brokenLinks: [],
    undefinedGaps: [],
    unusedGaps: [],
  };

  // Rows: applies, mechanism and proof present; an agent row proves itself with a test or names its gap.
  for (const r of rows) {
    if (r.cells.length !== 5) {
      problems.rowsWithoutProof.push(`${r.id} (line ${r.line}): ${r.cells.length} cells, want 5 (ID, provision, applies, mechanism, proof)`);
      continue;
    }
    const [, , applies, mechanism, proof] = r.cells as [string, string, string, string, string];
    CITATION.lastIndex = 0;
    const cites = CITATION.test(proof);
    const gap = /\bGap G\d+\b/.test(proof);
    const na = /^N\/A\b/.test(proof);
    if (!applies || !mechanism || !proof) problems.rowsWithoutProof.push(`${r.id} (line ${r.line}): an empty cell`);
    else if (/\bA\b/.test(applies) && !cites && !gap) problems.rowsWithoutProof.push(`${r.id} (line ${r.line}): applies to the agent but cites no test and names no gap`);
    else if (!cites && !gap && !na) problems.rowsWithoutProof.push(`${r.id} (line ${r.line}): proof is neither a test, a gap nor N/A`);
  }

  // Citations: pending ones are reported as such; the others must exist with their title.
  const sources = new Map<string, string | null>();
  for (const c of citations(doc)) {
    const where = `line ${c.line}: ${c.file}${c.title ? ` :: ${c.title}` : ''}`;
    if (c.pending) {
      problems.pending.push(where);
      continue;
    }
    if (!sources.has(c.file)) sources.set(c.file, read(c.file));
    const source = sources.get(c.file);
    if (source == null) problems.missingFiles.push(where);
    else if (c.title !== null && !hasTestTitle(source, c.title)) problems.missingTitles.push(where);
  }
  if (/\(pending\)/.test(doc) && problems.pending.length === 0) problems.pending.push('a "(pending)" marker outside a citation');

  // Links: relative file links resolve from docs/; in-page anchors name a heading.
  const headingAnchors = anchors(doc);
  for (const m of doc.matchAll(LINK)) {
    const target = m[1]!;
    if (/^[a-z]+:/i.test(target)) continue;
    if (target.startsWith('#')) {
      if (!headingAnchors.has(target.slice(1))) problems.brokenLinks.push(target);
      continue;
    }
    const path = resolve(ROOT, 'docs', target.split('#')[0]!);
    if (!exists(path)) problems.brokenLinks.push(target);
  }

  // Gaps: every G-number a row or the CRA/threat tables use is written down, and every written one is used.
  const gapSection = doc.split(/^## Gaps$/m)[1] ?? '';
  const body = doc.split(/^## Gaps$/m)[0] ?? '';
  const defined = new Set([...gapSection.matchAll(GAP_DEF)].map((m) => m[1]!));
  const used = new Set([...body.matchAll(GAP_REF)].map((m) => m[1]!));
  problems.undefinedGaps = [...used].filter((g) => !defined.has(g)).map((g) => `G${g}`);
  problems.unusedGaps = [...defined].filter((g) => !used.has(g)).map((g) => `G${g}`);
  return problems;
}

function readRepoFile(path: string): string | null {
  try {
    return readFileSync(resolve(ROOT, path), 'utf8');
  } catch {
    return null;
  }
}

const doc = readFileSync(resolve(ROOT, DOC), 'utf8');
const problems = checkSecurityDoc(doc, readRepoFile, existsSync);

t.test('docs/security.md has one row for every ETSI EN 303 645 provision and every privacy-policy promise', async (t) => {
  t.same(problems.missingRows, [], 'every provision and promise has a row');
  t.same(problems.duplicateRows, [], 'no provision or promise has two rows');
  t.same(problems.badPromiseRows, [], 'each promise row says which promise it is');
});

t.test('every row names its proof: a test, a gap, or N/A where the agent has no part', async (t) => {
  t.same(problems.rowsWithoutProof, []);
});

t.test('every cited test file exists and holds the cited t.test title', async (t) => {
  t.same(problems.missingFiles, [], 'cited files exist');
  t.same(problems.missingTitles, [], 'cited titles are t.test titles of that file (rename the citation with the test)');
});

t.test('no citation is left pending', async (t) => {
  t.same(problems.pending, [], 'replace each (pending) with the test that now exists, or move the row to a gap');
});

t.test('every link resolves and every gap a row points to is written down', async (t) => {
  t.same(problems.brokenLinks, [], 'links to files and headings resolve');
  t.same(problems.undefinedGaps, [], 'gaps named in rows are listed under Gaps');
  t.same(problems.unusedGaps, [], 'every listed gap is named by a row');
});

t.test('the checker itself catches a missing row, a wrong title, a pending citation, a broken link and a stray gap', async (t) => {
  const broken = doc
    .replace(/^\| 5\.1-3 \|.*$/m, '')
    .replace('`test/unit/factory/codes.test.ts` :: `AP passphrase: 12 Crockford characters, 60 random bits, not trivial`', '`test/unit/factory/codes.test.ts` :: `AP passphrase: a title nobody wrote`')
    .replace('`test/unit/store/store-format.test.ts` :: `the KEK depends on the key material and on the deviceId`', '`test/unit/store/store-format.test.ts` :: `the KEK depends on the key material and on the deviceId` (pending)')
    .replace('](../src/store/personal-data-store.ts)', '](../src/store/no-such-file.ts)')
    .replace('none: Gap G10', 'none: Gap G99');
  const p = checkSecurityDoc(broken, readRepoFile, existsSync);
  t.ok(p.missingRows.includes('5.1-3'), 'a removed row is missing');
  t.ok(p.missingTitles.some((m) => m.includes('a title nobody wrote')), 'an invented title is caught');
  t.ok(p.pending.some((m) => m.includes('store-format.test.ts')), 'a pending marker is caught');
  t.ok(p.brokenLinks.includes('../src/store/no-such-file.ts'), 'a dead link is caught');
  t.ok(p.undefinedGaps.includes('G99'), 'a gap that is not written down is caught');
  const noProof = checkSecurityDoc(doc.replace(/^(\| 5\.5-2 \|(?:[^|]*\|){3})[^|]*\|$/m, '$1 looks fine |'), readRepoFile, existsSync);
  t.ok(noProof.rowsWithoutProof.some((m) => m.startsWith('5.5-2')), 'an agent row without a test or gap is caught');
  t.ok(hasTestTitle("t.test('the app\\'s flow', async () => {})", "the app's flow"), 'escaped quotes in titles are understood');
  t.notOk(hasTestTitle("const x = 'the app flow';", 'the app flow'), 'a string that is not a test title does not count');
});
