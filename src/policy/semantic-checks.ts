import { toHex } from '../crypto/index.js';
import { parseApproverKey } from './approver-key.js';
import { emojiEntryProblem } from './emoji.js';
import { jsonPath } from './json-path.js';
import { foldForPatterns } from './normalize.js';
import type { PolicyDocument } from './schema.js';

/**
 * Load-time checks that a JSON Schema cannot express: duplicate names, approver keys that
 * are valid canonical Ed25519 points of large order (hex or OpenSSH lines) and pairwise
 * distinct across formats, quorum rules
 * that refer to defined approvers with a reachable threshold, usable emoji entries,
 * pattern literals that can match folded text. Each problem is `path: message`.
 * Regex safety is checked separately (`regex/pattern-set.ts`).
 */
export function semanticProblems(doc: PolicyDocument): string[] {
  const out: string[] = [];
  const at = (path: PropertyKey[], message: string): void => {
    out.push(`${jsonPath(path)}: ${message}`);
  };

  const names = new Set<string>();
  doc.deny.patterns.forEach((p, i) => {
    if (names.has(p.name)) at(['deny', 'patterns', i, 'name'], `duplicate rule name "${p.name}"`);
    names.add(p.name);
    for (const ch of p.regex) {
      // Text is folded before matching; a literal that folding changes could never match.
      if (foldForPatterns(ch) !== ch.toLowerCase()) {
        at(
          ['deny', 'patterns', i, 'regex'],
          `character U+${hex(ch)} never occurs in folded text; write "${foldForPatterns(ch)}"`,
        );
        break;
      }
    }
  });

  const emoji = new Set<string>();
  doc.deny.emoji.forEach((e, i) => {
    const problem = emojiEntryProblem(e);
    if (problem !== undefined) at(['deny', 'emoji', i], problem);
    if (emoji.has(e)) at(['deny', 'emoji', i], 'duplicate entry');
    emoji.add(e);
  });

  // Keys are compared by their 32 Ed25519 bytes, whatever the spelling (hex, ssh-ed25519,
  // sk-ssh-ed25519): one key in two formats is one key, so one person cannot hold two votes.
  const keys = new Map<string, string>();
  for (const [name, value] of Object.entries(doc.approvers)) {
    const parsed = parseApproverKey(value);
    if (!parsed.ok) {
      at(['approvers', name], parsed.problem);
      continue;
    }
    const keyHex = toHex(parsed.key.ssh.publicKey);
    const other = keys.get(keyHex);
    if (other !== undefined) at(['approvers', name], `same key as approver "${other}"`);
    keys.set(keyHex, name);
  }

  for (const [action, rule] of Object.entries(doc.quorum)) {
    const seen = new Set<string>();
    rule.approvers.forEach((a, j) => {
      if (!Object.hasOwn(doc.approvers, a))
        at(['quorum', action, 'approvers', j], `unknown approver "${a}"`);
      if (seen.has(a)) at(['quorum', action, 'approvers', j], `approver "${a}" listed twice`);
      seen.add(a);
    });
    if (rule.threshold > rule.approvers.length)
      at(
        ['quorum', action, 'threshold'],
        `threshold ${rule.threshold} is outside 1..${rule.approvers.length}`,
      );
  }
  return out;
}

function hex(ch: string): string {
  return ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
}
