import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  NoteError,
  formatCheckpointText,
  formatVkey,
  fromBase64,
  noteVerifier,
  openNote,
  parseCheckpointText,
  parseVkey,
  signCheckpoint,
  signNote,
  toBase64,
  verifyCheckpoint,
} from '../../src/audit/checkpoint.js';
import { generateEd25519KeyPair, sha256, toHex } from '../../src/crypto/index.js';
import { vectorPath } from '../helpers/paths.js';

interface NoteVectors {
  vectors: Array<{
    id: string;
    text?: string;
    vkey?: string;
    signed_note?: string;
    check_detail: Record<string, unknown>;
  }>;
}
const vectors = JSON.parse(readFileSync(vectorPath('c2sp-note.json'), 'utf8')) as NoteVectors;
const byId = (id: string) => vectors.vectors.find((v) => v.id === id)!;

function freshKey(origin = 'gw.example/audit') {
  const { secretKey, publicKey } = generateEd25519KeyPair();
  return { secretKey, verifier: noteVerifier(origin, publicKey) };
}

describe('C2SP signed note (known answers)', () => {
  const v = byId('c2sp-signed-note/example');
  it('parses the spec vkey and recomputes its key id', () => {
    const key = parseVkey(v.vkey!);
    expect(key.name).toBe('example.com/foo');
    expect(toHex(key.keyId)).toBe(v.check_detail['key_id_hex']);
    expect(formatVkey(key)).toBe(v.vkey);
  });
  it('verifies the spec signed note and returns its text', () => {
    expect(openNote(v.signed_note!, parseVkey(v.vkey!))).toBe('This is an example message.\n');
  });
  it('rejects the note when one byte of its text changes', () => {
    const tampered = v.signed_note!.replace('example message', 'exemple message');
    expect(() => openNote(tampered, parseVkey(v.vkey!))).toThrow(/does not verify/);
  });
  it('rejects the note when one bit of the signature changes', () => {
    const note = v.signed_note!;
    const sigStart = note.lastIndexOf(' ') + 1;
    const raw = fromBase64(note.slice(sigStart, -1));
    raw[10] = raw[10]! ^ 1;
    const tampered = note.slice(0, sigStart) + toBase64(raw) + '\n';
    expect(() => openNote(tampered, parseVkey(v.vkey!))).toThrow(NoteError);
  });
});

describe('C2SP tlog-checkpoint (known answers)', () => {
  const v = byId('c2sp-tlog-checkpoint/example');
  it('parses origin, size and a 32-byte root from the spec example', () => {
    const text = v.text!.slice(0, v.text!.indexOf('\n\n') + 1);
    const cp = parseCheckpointText(text);
    expect(cp.origin).toBe(v.check_detail['origin']);
    expect(cp.size).toBe(v.check_detail['size']);
    expect(cp.root.length).toBe(32);
    expect(formatCheckpointText(cp)).toBe(text);
  });
  it('carries a 4-byte key id and a 64-byte signature in its signature line', () => {
    const line = v.text!.slice(v.text!.indexOf('\n\n') + 2, -1);
    expect(line.startsWith('\u2014 example.com/behind-the-sofa ')).toBe(true);
    const raw = fromBase64(line.split(' ')[2]!);
    expect(toHex(raw.subarray(0, 4))).toBe(v.check_detail['sig_key_id_hex']);
    expect(raw.length - 4).toBe(v.check_detail['sig_len']);
  });
  it('is refused for a key that did not sign it', () => {
    const { verifier } = freshKey('example.com/behind-the-sofa');
    expect(() => verifyCheckpoint(v.text!, verifier)).toThrow(/no signature by/);
  });
});

describe('signCheckpoint / verifyCheckpoint', () => {
  it('computes the key id as SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[0:4]', () => {
    const { verifier } = freshKey();
    const pre = new Uint8Array([
      ...Buffer.from('gw.example/audit'),
      0x0a,
      0x01,
      ...verifier.publicKey,
    ]);
    expect(toHex(verifier.keyId)).toBe(toHex(sha256(pre).subarray(0, 4)));
    expect(formatVkey(verifier)).toBe(
      `gw.example/audit+${toHex(verifier.keyId)}+${Buffer.from([1, ...verifier.publicKey]).toString('base64')}`,
    );
  });
  it('produces the exact docs/protocol.md §6 layout and verifies round trip', () => {
    const { secretKey, verifier } = freshKey();
    const root = sha256('r');
    const note = signCheckpoint({ origin: 'gw.example/audit', size: 7, root }, secretKey, verifier);
    expect(note).toMatch(
      /^gw\.example\/audit\n7\n[A-Za-z0-9+/]{43}=\n\n\u2014 gw\.example\/audit [A-Za-z0-9+/]{91}=\n$/,
    );
    const cp = verifyCheckpoint(note, parseVkey(formatVkey(verifier)));
    expect(cp.size).toBe(7);
    expect(toHex(cp.root)).toBe(toHex(root));
  });
  it('ignores cosignatures by other keys but needs one by ours', () => {
    const a = freshKey();
    const b = freshKey('witness.example');
    const note = signCheckpoint(
      { origin: 'gw.example/audit', size: 1, root: sha256('') },
      a.secretKey,
      a.verifier,
    );
    const cosigned = signNote(note.slice(0, note.indexOf('\n\n') + 1), b.verifier, b.secretKey);
    const both = note + cosigned.slice(cosigned.indexOf('\n\n') + 2);
    expect(verifyCheckpoint(both, a.verifier).size).toBe(1);
  });
  it('rejects a checkpoint whose origin is not the key name', () => {
    const { secretKey, verifier } = freshKey('other.example');
    const note = signNote(
      'gw.example/audit\n1\n' + toBase64(sha256('')) + '\n',
      verifier,
      secretKey,
    );
    expect(() => verifyCheckpoint(note, verifier)).toThrow(/origin does not match/);
  });
  it.each([
    ['a carriage return', (n: string) => n.replace('\n7\n', '\r\n7\n')],
    ['a leading zero in the size', (n: string) => n.replace('\n7\n', '\n07\n')],
    ['a plus sign in the size', (n: string) => n.replace('\n7\n', '\n+7\n')],
    ['a missing final newline', (n: string) => n.slice(0, -1)],
    ['a huge note', (n: string) => 'x'.repeat(20_000) + n],
    ['two spaces in the signature line', (n: string) => n.replace('\u2014 gw', '\u2014  gw')],
  ])('rejects a note with %s', (_name, mutate) => {
    const { secretKey, verifier } = freshKey();
    const note = signCheckpoint(
      { origin: 'gw.example/audit', size: 7, root: sha256('r') },
      secretKey,
      verifier,
    );
    expect(() => verifyCheckpoint(mutate(note), verifier)).toThrow(NoteError);
  });
  it('refuses roots that are not 32 bytes and sizes that are not safe integers', () => {
    expect(() => parseCheckpointText('o\n1\n' + toBase64(new Uint8Array(31)) + '\n')).toThrow(
      /32 bytes/,
    );
    expect(() =>
      parseCheckpointText('o\n9007199254740993\n' + toBase64(new Uint8Array(32)) + '\n'),
    ).toThrow(/size/);
  });
  it('round-trips any tree head through format and parse', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (size, root) => {
          const cp = parseCheckpointText(formatCheckpointText({ origin: 'o.example', size, root }));
          expect(cp.size).toBe(size);
          expect(toHex(cp.root)).toBe(toHex(root));
        },
      ),
    );
  });
});

describe('parseVkey', () => {
  const { verifier } = freshKey();
  const good = formatVkey(verifier);
  it.each([
    ['a wrong key id', good.replace(/\+[0-9a-f]{8}\+/, '+00000000+')],
    [
      'a non-Ed25519 type byte',
      good.replace(/\+[^+]*$/, '+' + toBase64(new Uint8Array([2, ...verifier.publicKey]))),
    ],
    ['a name with a space', 'a b' + good.slice(good.indexOf('+'))],
    ['non-canonical base64', good.slice(0, -1) + (good.endsWith('=') ? '' : '=')],
    ['nothing', ''],
  ])('rejects %s', (_name, vkey) => {
    expect(() => parseVkey(vkey)).toThrow(NoteError);
  });
  it('rejects base64 with non-zero padding bits', () => {
    expect(() => fromBase64('AB==')).toThrow(NoteError);
    expect(Array.from(fromBase64('AA=='))).toEqual([0]);
  });
});
