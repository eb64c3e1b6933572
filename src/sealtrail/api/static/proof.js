// Checks an event's inclusion proof in the browser, trusting nothing the page says it computed:
// the leaf hash SHA-256(0x00 || entry), the RFC 9162 audit path up to a root, that root against
// the signed checkpoint's, and the checkpoint's Ed25519 signature when this browser can.
"use strict";

(function () {
  const text = new TextEncoder();
  const unbase64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  async function sha256(...parts) {
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      all.set(part, at);
      at += part.length;
    }
    return new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  }

  const leafHash = (entry) => sha256(Uint8Array.of(0), entry);
  const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);
  const half = (n) => Math.floor(n / 2); // not >>: indexes may pass 2**31

  // RFC 9162, 2.1.3.2: the root that the audit path gives for leaf `index` of a tree of `size`.
  async function rootFromPath(index, size, leaf, path) {
    if (!(index >= 0 && index < size)) throw new Error(`index ${index} outside a tree of ${size}`);
    let fn = index;
    let sn = size - 1;
    let r = leaf;
    for (const p of path) {
      if (sn === 0) throw new Error("the audit path is too long");
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        while (fn % 2 === 0 && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = half(fn);
      sn = half(sn);
    }
    if (sn !== 0) throw new Error("the audit path is too short");
    return r;
  }

  // A C2SP signed note: the text up to the last blank line, then "— name base64" lines.
  function parseNote(note) {
    const split = note.lastIndexOf("\n\n");
    const body = note.slice(0, split + 1);
    const [origin, size, root] = body.split("\n");
    const signatures = note.slice(split + 2).split("\n").filter(Boolean).map((line) => {
      const [name, b64] = line.replace(/^\u2014 /, "").split(" ");
      const raw = unbase64(b64);
      return { name, keyHash: hex(raw.slice(0, 4)), signature: raw.slice(4) };
    });
    return { body, origin, size: Number(size), root: unbase64(root), signatures };
  }

  // Verifier keys are "name+hex8+base64(0x01 || public key)", hex8 = SHA-256(name\n0x01 key)[:4].
  async function parseVerifier(vkey) {
    const [name, keyHash] = vkey.split("+", 2);
    const key = unbase64(vkey.slice(name.length + keyHash.length + 2)); // base64 may hold "+"
    const id = await sha256(text.encode(name + "\n"), key);
    if (key[0] !== 1 || key.length !== 33 || hex(id.slice(0, 4)) !== keyHash) {
      throw new Error(`malformed verifier key ${name}`);
    }
    return { name, keyHash, publicKey: key.slice(1) };
  }

  async function checkSignature(note, vkeys) {
    const verifiers = await Promise.all(vkeys.map(parseVerifier));
    for (const sig of note.signatures) {
      const v = verifiers.find((k) => k.name === sig.name && k.keyHash === sig.keyHash);
      if (!v) continue;
      let key;
      try {
        key = await crypto.subtle.importKey("raw", v.publicKey, { name: "Ed25519" }, false, ["verify"]);
      } catch (error) {
        return ["server", "checked on the server (this browser has no Ed25519)"];
      }
      const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, sig.signature, text.encode(note.body));
      return ok ? ["ok", `verified (Ed25519, key ${v.name}+${v.keyHash})`] : ["failed", "FAILED: bad signature"];
    }
    return ["failed", "FAILED: no signature by a known key"];
  }

  async function checkProof(data, note) {
    const leaf = await leafHash(unbase64(data.entry));
    show("leaf-computed", hex(leaf));
    if (!equal(leaf, unbase64(data.leaf_hash))) throw new Error("the entry does not hash to the leaf hash");
    if (note.size !== data.size) throw new Error(`the proof is for size ${data.size}, the checkpoint signs ${note.size}`);
    const root = await rootFromPath(data.index, data.size, leaf, data.proof.map(unbase64));
    show("root-computed", hex(root));
    if (!equal(root, note.root)) throw new Error("the computed root is not the signed root");
  }

  function show(id, message, state) {
    const element = document.getElementById(id);
    element.textContent = message;
    if (state) element.dataset.state = state;
  }

  async function main() {
    const data = JSON.parse(document.getElementById("proof-data").textContent);
    if (!window.crypto || !crypto.subtle) {
      const why = "cannot check here: WebCrypto needs HTTPS (or localhost)";
      show("proof-status", why, "server");
      show("signature-status", why, "server");
      return;
    }
    let note;
    try {
      note = parseNote(data.checkpoint);
      await checkProof(data, note);
      show("proof-status", "verified", "ok");
    } catch (error) {
      show("proof-status", `FAILED: ${error.message}`, "failed");
    }
    try {
      const [state, message] = await checkSignature(note || parseNote(data.checkpoint), data.verifiers);
      show("signature-status", message, state);
    } catch (error) {
      show("signature-status", `FAILED: ${error.message}`, "failed");
    }
  }

  document.addEventListener("DOMContentLoaded", main);
})();
