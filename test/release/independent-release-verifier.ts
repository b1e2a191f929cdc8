/**
 * An independent check of a release attestation, written only against docs/protocol.md §10 (and
 * §5, §6 for the message, leaf hash, checkpoint and proof formats) with node:crypto.
 * It deliberately imports nothing from the project, so a shared misreading of the
 * contract in src/ cannot make both sides agree.
 */
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function ed25519Verify(publicKey: Buffer, message: Buffer, signature: Buffer): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const key = createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]),
    format: 'der',
    type: 'spki',
  });
  return cryptoVerify(null, message, key, signature);
}

const sha256 = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

function parseVkey(vkey: string): { name: string; keyId: Buffer; key: Buffer } {
  const [name, keyIdHex, ...rest] = vkey.split('+');
  const raw = Buffer.from(rest.join('+'), 'base64');
  if (name === undefined || keyIdHex === undefined || raw.length !== 33 || raw[0] !== 1)
    throw new Error('vkey');
  const key = raw.subarray(1);
  const keyId = sha256(Buffer.from(name), Buffer.from([0x0a, 0x01]), key).subarray(0, 4);
  if (keyId.toString('hex') !== keyIdHex) throw new Error('vkey key id');
  return { name, keyId, key };
}

function pae(type: string, body: Buffer): Buffer {
  const t = Buffer.from(type);
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${t.length} `),
    t,
    Buffer.from(` ${body.length} `),
    body,
  ]);
}

function approvalMessage(d: Record<string, string>): string {
  const expires = Date.parse(d.expiresAt!) / 1000;
  return (
    `codex-approval/v1\ndeploy ${d.id}\naction ${d.action}\ntarget ${d.target}\n` +
    `environment ${d.environment}\nartifact ${d.artifact}\nrequest ${d.request}\n` +
    `policy ${d.policy}\nexpires ${expires}\n`
  );
}

/** Opens a C2SP signed checkpoint; returns size and root, or throws. */
function openCheckpoint(note: string, v: { name: string; keyId: Buffer; key: Buffer }) {
  const split = note.indexOf('\n\n');
  const text = note.slice(0, split + 1);
  const sigLines = note.slice(split + 2).split('\n').filter(Boolean);
  let ok = false;
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (m === null || m[1] !== v.name) continue;
    const raw = Buffer.from(m[2]!, 'base64');
    if (!raw.subarray(0, 4).equals(v.keyId)) continue;
    ok ||= ed25519Verify(v.key, Buffer.from(text), raw.subarray(4));
  }
  if (!ok) throw new Error('checkpoint signature');
  const [origin, size, root] = text.split('\n');
  if (origin !== v.name) throw new Error('checkpoint origin');
  return { size: Number(size), root: Buffer.from(root!, 'base64') };
}

/** RFC 9162 §2.1.3.2. */
function inclusionHolds(leaf: Buffer, index: number, size: number, proof: Buffer[], root: Buffer) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  const node = (a: Buffer, b: Buffer): Buffer => sha256(Buffer.from([1]), a, b);
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = node(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

export interface IndependentInput {
  envelope: string;
  artifact: string;
  vkey: string;
  /** The verifier's trusted quorum and keys (its own copy of the policy). */
  quorum: { action: string; threshold: number; approvers: string[] };
  keys: Record<string, string>;
}

/** Returns 'ok' or the name of the first failed §10 check. */
export function independentVerify(input: IndependentInput): string {
  const v = parseVkey(input.vkey);
  const env = JSON.parse(input.envelope) as {
    payloadType: string;
    payload: string;
    signatures: { keyid: string; sig: string }[];
  };
  if (env.payloadType !== 'application/vnd.in-toto+json') return 'payload type';
  const payload = Buffer.from(env.payload, 'base64');
  const signed = env.signatures.some(
    (s) =>
      s.keyid === v.keyId.toString('hex') &&
      ed25519Verify(v.key, pae(env.payloadType, payload), Buffer.from(s.sig, 'base64')),
  );
  if (!signed) return 'check 1';
  const st = JSON.parse(payload.toString('utf8'));
  if (st._type !== 'https://in-toto.io/Statement/v1') return 'check 1';
  if (st.predicateType !== 'urn:codex-gateway:release:v1') return 'check 1';
  const d = st.predicate.deploy;
  const hex = input.artifact.replace(/^sha256:/, '');
  if (st.subject.length !== 1 || st.subject[0].digest.sha256 !== hex) return 'check 2';
  if (d.artifact !== input.artifact) return 'check 2';
  if (d.message !== approvalMessage(d)) return 'check 3';
  if (d.action !== input.quorum.action) return 'check 4';
  const counted = new Set<string>();
  for (const a of st.predicate.approvals as { approver: string; signature: string }[]) {
    if (!input.quorum.approvers.includes(a.approver) || counted.has(a.approver)) continue;
    const key = input.keys[a.approver];
    if (key === undefined) continue;
    if (
      ed25519Verify(
        Buffer.from(key, 'hex'),
        Buffer.from(d.message),
        Buffer.from(a.signature, 'hex'),
      )
    )
      counted.add(a.approver);
  }
  if (counted.size < input.quorum.threshold) return 'check 4';
  const log = st.predicate.log;
  const entry = JSON.parse(log.leaf);
  if (entry.type !== 'decision' || entry.decision !== 'allow' || entry.deploy !== d.id)
    return 'check 5';
  const leafHash = sha256(Buffer.from([0]), Buffer.from(log.leaf, 'utf8'));
  if (leafHash.toString('hex') !== log.leafHash) return 'check 5';
  if (log.origin !== v.name) return 'check 5';
  const cp = openCheckpoint(log.checkpoint, v);
  const proof = (log.proof as string[]).map((h) => Buffer.from(h, 'hex'));
  if (!inclusionHolds(leafHash, log.index, cp.size, proof, cp.root)) return 'check 5';
  return 'ok';
}
