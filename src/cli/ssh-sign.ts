import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MAX_SSHSIG_ARMOR_LENGTH, dearmorSshSignature } from '../crypto/index.js';
import { type ApproverKey, parseApproverKey } from '../policy/approver-key.js';
import { SSH_APPROVAL_NAMESPACE } from '../quorum/ssh-approval.js';

/**
 * Signing an approval with the approver's own SSH key or security key (docs/protocol.md §12):
 * the CLI runs `ssh-keygen -Y sign -n codex-approval -f <key>` exactly as a person would,
 * so ssh-agent, passphrases and the security key's touch prompt all work unchanged.
 */

/** Longest wait for ssh-keygen: a person may need to find and touch a security key. */
const SIGN_TIMEOUT_MS = 120_000;

/**
 * The public half of `keyPath` (`<key>.pub`, or the path itself when it is a `.pub` file,
 * which ssh-keygen accepts with the private key in an agent), or undefined when there is
 * none readable. Used only to show the fingerprint before signing.
 */
export function readSshPublicKey(keyPath: string): ApproverKey | undefined {
  for (const file of keyPath.endsWith('.pub') ? [keyPath] : [`${keyPath}.pub`]) {
    try {
      const line = readFileSync(file, 'utf8').slice(0, 4096).trim();
      const parsed = parseApproverKey(line);
      if (parsed.ok) return parsed.key;
    } catch {
      // No public key file: the fingerprint is shown after signing instead.
    }
  }
  return undefined;
}

/**
 * Runs `ssh-keygen -Y sign -n codex-approval -f <keyPath>` with `message` on stdin, without
 * a shell (the path is one argv entry, never parsed), stderr passed through so its prompts
 * ("Enter passphrase", "Confirm user presence") reach the person. Resolves with the armored
 * signature it prints; rejects when it fails, times out, or prints anything else.
 * @param program the ssh-keygen to run (default `ssh-keygen` on PATH).
 */
export function sshKeygenSign(
  keyPath: string,
  message: string,
  program = 'ssh-keygen',
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['-Y', 'sign', '-n', SSH_APPROVAL_NAMESPACE, '-f', keyPath], {
      shell: false,
      stdio: ['pipe', 'pipe', 'inherit'],
      timeout: SIGN_TIMEOUT_MS,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // A signature is well under this; anything bigger is not one.
      if (size <= MAX_SSHSIG_ARMOR_LENGTH) chunks.push(chunk);
      else child.kill();
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(err.code === 'ENOENT' ? `${program} not found (install OpenSSH)` : err.message),
      ),
    );
    child.on('close', (code, signal) => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (code !== 0)
        return reject(new Error(`ssh-keygen failed (${signal ?? `exit ${String(code)}`})`));
      if (size > MAX_SSHSIG_ARMOR_LENGTH || dearmorSshSignature(text) === undefined)
        return reject(new Error('ssh-keygen printed something that is not an SSH signature'));
      resolve(text);
    });
    child.stdin.on('error', () => {
      // ssh-keygen exited before reading stdin; 'close' reports why.
    });
    child.stdin.end(message);
  });
}
