// What `portico trust` prints: where the local CA's root is and the usual commands that make a
// system, a browser or a tool trust it. It only prints: a trust store is never changed unasked.
// Light on purpose: the CLI loads it without the X.509 library.

import path from "node:path";

/** Where the local CA's root certificate lives (local-ca.ts makes it there). */
export function rootCertificatePath(dataDir: string): string {
  return path.join(dataDir, "pki", "root.crt");
}

export function trustInstructions(rootFile: string, exists: boolean): string {
  const q = rootFile.includes(" ") ? `"${rootFile}"` : rootFile;
  const lines = [
    `Portico's local CA root certificate: ${rootFile}`,
    exists
      ? "Trust it where you need it (each command changes that store; Portico runs none of them):"
      : "It does not exist yet: start `portico --tls internal` once to create it, then trust it with:",
    "",
    `  Debian, Ubuntu        sudo cp ${q} /usr/local/share/ca-certificates/portico-local-ca.crt && sudo update-ca-certificates`,
    `  Fedora, RHEL          sudo cp ${q} /etc/pki/ca-trust/source/anchors/portico-local-ca.crt && sudo update-ca-trust`,
    `  Arch Linux            sudo trust anchor --store ${q}`,
    `  macOS                 sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${q}`,
    `  Windows (as admin)    certutil -addstore -f ROOT ${q}`,
    `  Firefox, Chromium     certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n "Portico local CA" -i ${q}`,
    `  Node.js               NODE_EXTRA_CA_CERTS=${q} node app.js`,
    `  curl                  curl --cacert ${q} https://localhost:8443/`,
    "",
    "Anyone holding the root's key (root.key beside it) can make certificates your machine will trust:",
    "keep the data directory private, and remove the root from the stores when you no longer need it.",
  ];
  return lines.join("\n");
}
