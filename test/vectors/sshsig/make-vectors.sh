#!/usr/bin/env bash
# Regenerates the SSHSIG known-answer vectors in this folder with the real OpenSSH
# ssh-keygen (these were made with OpenSSH_9.2p1, OpenSSL 3.0). The private keys live only
# in a temporary folder and are deleted; only public keys and signatures are committed.
# Usage: bash test/vectors/sshsig/make-vectors.sh   (from the repository root)
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The approval message (docs/protocol.md §5) that every vector signs; every line ends with \n.
printf '%s\n' \
  'codex-approval/v1' \
  'deploy 8f14e45fceea167a5a36dedd4bea2543' \
  'action deploy' \
  'target acme/web' \
  'environment prod' \
  "artifact sha256:$(printf 'artifact' | sha256sum | cut -d' ' -f1)" \
  "request sha256:$(printf '{"raw":"body"}' | sha256sum | cut -d' ' -f1)" \
  "policy sha256:$(printf 'policy-1' | sha256sum | cut -d' ' -f1)" \
  'expires 1795000000' >"$out/message.txt"

ssh-keygen -q -t ed25519 -N '' -C 'alice@example.com' -f "$tmp/alice"
ssh-keygen -q -t ed25519 -N '' -C 'bob@example.com' -f "$tmp/bob"
ssh-keygen -q -t rsa -b 3072 -N '' -C 'rsa@example.com' -f "$tmp/rsa"
ssh-keygen -q -t ecdsa -b 256 -N '' -C 'ecdsa@example.com' -f "$tmp/ecdsa"
for k in alice bob rsa ecdsa; do cp "$tmp/$k.pub" "$out/$k.pub"; done

# Exactly the documented approval command (default hash sha512), message on stdin.
ssh-keygen -Y sign -n codex-approval -f "$tmp/alice" <"$out/message.txt" >"$out/alice.sha512.sig"
ssh-keygen -Y sign -n codex-approval -O hashalg=sha256 -f "$tmp/alice" <"$out/message.txt" >"$out/alice.sha256.sig"
ssh-keygen -Y sign -n codex-approval -f "$tmp/bob" <"$out/message.txt" >"$out/bob.sha512.sig"
# Refused by the gateway: another namespace, other bytes, RSA and ECDSA keys.
ssh-keygen -Y sign -n git -f "$tmp/alice" <"$out/message.txt" >"$out/alice.namespace-git.sig"
printf 'codex-approval/v1\ndeploy 00000000000000000000000000000000\n' |
  ssh-keygen -Y sign -n codex-approval -f "$tmp/alice" >"$out/alice.other-message.sig"
ssh-keygen -Y sign -n codex-approval -f "$tmp/rsa" <"$out/message.txt" >"$out/rsa.sig"
ssh-keygen -Y sign -n codex-approval -f "$tmp/ecdsa" <"$out/message.txt" >"$out/ecdsa.sig"

# What `ssh-keygen -l` prints for each key (the gateway must print the same fingerprints).
for k in alice bob rsa ecdsa; do ssh-keygen -l -f "$out/$k.pub"; done >"$out/fingerprints.txt"

# Cross-check with ssh-keygen's own verifier before committing.
printf 'alice namespaces="codex-approval" %s\n' "$(cat "$out/alice.pub")" >"$tmp/allowed_signers"
for s in alice.sha512.sig alice.sha256.sig; do
  ssh-keygen -Y verify -f "$tmp/allowed_signers" -I alice -n codex-approval \
    -s "$out/$s" <"$out/message.txt" >/dev/null
done
echo "vectors written to $out"
