import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSshPublicKey, sshKeygenSign } from '../../src/cli/ssh-sign.js';
import { verifySshApproval } from '../../src/quorum/ssh-approval.js';
import {
  SSH_KEYGEN_REQUIRED,
  hasSshKeygen,
  sshKeygenKey,
  sshVector,
} from '../helpers/ssh-signatures.js';

const message = sshVector('message.txt');

describe.runIf(hasSshKeygen() || SSH_KEYGEN_REQUIRED)(
  'sshKeygenSign (runs the real ssh-keygen)',
  () => {
    it('returns what ssh-keygen -Y sign -n codex-approval prints, which verifies', async () => {
      const { file, line } = sshKeygenKey();
      const armor = await sshKeygenSign(file, message);
      expect(armor).toMatch(
        /^-----BEGIN SSH SIGNATURE-----\n[\s\S]+\n-----END SSH SIGNATURE-----\n$/,
      );
      expect(verifySshApproval(message, armor, line)).toBe(true);
      expect(readSshPublicKey(file)?.ssh.publicKey).toEqual(
        readSshPublicKey(`${file}.pub`)?.ssh.publicKey,
      );
    });

    it('passes the key path as one argument, never to a shell', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'ssh-sign-'));
      const marker = path.join(dir, 'pwned');
      await expect(sshKeygenSign(`$(touch ${marker}); x`, message)).rejects.toThrow(
        /ssh-keygen failed/,
      );
      await expect(sshKeygenSign(`x; touch ${marker}`, message)).rejects.toThrow(
        /ssh-keygen failed/,
      );
      expect(existsSync(marker)).toBe(false);
    });

    it('refuses when the program is missing or prints something that is not a signature', async () => {
      await expect(sshKeygenSign('k', message, 'no-such-ssh-keygen-xyz')).rejects.toThrow(
        /not found/,
      );
      // A stand-in that echoes the message back: exit 0, but not an armored signature.
      const fake = path.join(mkdtempSync(path.join(tmpdir(), 'ssh-sign-')), 'fake-ssh-keygen');
      writeFileSync(fake, '#!/bin/sh\ncat\n', { mode: 0o700 });
      await expect(sshKeygenSign('k', message, fake)).rejects.toThrow(/not an SSH signature/);
    });

    it('shows no fingerprint for a key without a readable .pub', () => {
      expect(readSshPublicKey('/nonexistent/id_ed25519')).toBeUndefined();
    });
  },
);
