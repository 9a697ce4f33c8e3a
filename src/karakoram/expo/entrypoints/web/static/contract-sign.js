/* Signing a contract in this browser (issue 19), on the contract page (#browser-signing).

   The key is made here, on the expo's origin, because that is where it signs: IndexedDB is per
   origin, so a key made on the customs node's pages could never sign on the expo's. WebCrypto
   makes an Ed25519 key pair whose private key is not extractable (no script, the expo's
   included, can read it out; it only signs), and IndexedDB keeps the CryptoKey objects for this
   party (issuer:trader id). The page shows a PKCS#10 certificate signing request built here and
   signed by that key (the proof of possession the node's CA asks for); the party certifies it
   on its node's "Signing key" page and pastes the certificate back, which is kept beside the
   key. To sign, the page fetches the version's canonical payload, builds the JWS protected
   header with the certificate (x5c, x5t#S256, sigT), signs `protected.payload` and posts the
   member. Texts come translated in the section's data-m-* attributes. */
(function () {
  "use strict";
  var box = document.getElementById("browser-signing");
  if (!box) {
    return;
  }
  var d = box.dataset;
  var party = d.issuer + ":" + d.trader;
  var state = box.querySelector("[data-state]");
  var DB = "karakoram-signing";
  var STORE = "keys";
  var ED25519 = [0x06, 0x03, 0x2b, 0x65, 0x70];
  var COMMON_NAME = [0x06, 0x03, 0x55, 0x04, 0x03];

  function say(text, bad) {
    state.textContent = text;
    state.classList.toggle("error", Boolean(bad));
  }

  function store(mode, act) {
    return new Promise(function (resolve, reject) {
      var opening = indexedDB.open(DB, 1);
      opening.onupgradeneeded = function () {
        opening.result.createObjectStore(STORE);
      };
      opening.onerror = function () {
        reject(opening.error);
      };
      opening.onsuccess = function () {
        var tx = opening.result.transaction(STORE, mode);
        var asked = act(tx.objectStore(STORE));
        tx.oncomplete = function () {
          opening.result.close();
          resolve(asked.result);
        };
        tx.onerror = function () {
          reject(tx.error);
        };
      };
    });
  }

  function held() {
    return store("readonly", function (s) {
      return s.get(party);
    });
  }

  function keep(record) {
    return store("readwrite", function (s) {
      return s.put(record, party);
    });
  }

  // DER, just what a CSR needs: a tag, a definite length, the content (arrays of bytes)
  function tlv(tag, content) {
    var n = content.length;
    var length = [];
    if (n < 128) {
      length = [n];
    } else {
      while (n > 0) {
        length.unshift(n & 255);
        n = Math.floor(n / 256);
      }
      length.unshift(0x80 | length.length);
    }
    return [tag].concat(length, content);
  }

  function bytes(buffer) {
    return Array.from(new Uint8Array(buffer));
  }

  function b64(list) {
    var text = "";
    list.forEach(function (b) {
      text += String.fromCharCode(b);
    });
    return btoa(text);
  }

  function b64url(list) {
    return b64(list).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function pem(label, der) {
    var body = b64(der).replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
    return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
  }

  function unpem(text) {
    var found = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(text);
    if (!found) {
      return null;
    }
    try {
      return Array.from(atob(found[1].replace(/\s+/g, "")), function (c) {
        return c.charCodeAt(0);
      });
    } catch (e) {
      return null;
    }
  }

  async function request(keys) {
    var raw = bytes(await crypto.subtle.exportKey("raw", keys.publicKey));
    var cn = tlv(0x0c, bytes(new TextEncoder().encode(d.trader)));
    var name = tlv(0x30, tlv(0x31, tlv(0x30, COMMON_NAME.concat(cn))));
    var spki = tlv(0x30, tlv(0x30, ED25519).concat(tlv(0x03, [0].concat(raw))));
    var info = tlv(0x30, [0x02, 0x01, 0x00].concat(name, spki, [0xa0, 0x00]));
    var signature = bytes(await crypto.subtle.sign("Ed25519", keys.privateKey, new Uint8Array(info)));
    var der = tlv(0x30, info.concat(tlv(0x30, ED25519), tlv(0x03, [0].concat(signature))));
    return pem("CERTIFICATE REQUEST", der);
  }

  // the certificate carries this very public key: its subjectPublicKeyInfo's BIT STRING
  async function carries(der, keys) {
    var needle = [0x03, 0x21, 0x00].concat(bytes(await crypto.subtle.exportKey("raw", keys.publicKey)));
    outer: for (var i = 0; i + needle.length <= der.length; i += 1) {
      for (var j = 0; j < needle.length; j += 1) {
        if (der[i + j] !== needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  function show(record) {
    box.querySelector("[data-step=certify]").hidden = !record;
    box.querySelector("[data-step=sign]").hidden = !(record && record.certificate);
    box.querySelector("[data-action=new-key]").hidden = !record;
    box.querySelector("[data-action=make-key]").hidden = Boolean(record);
    if (record) {
      request(record.keys).then(function (text) {
        box.querySelector("[data-csr]").value = text;
      });
      say(record.certificate ? d.mReady : d.mMade);
    } else {
      say(d.mNone);
    }
  }

  async function makeKey() {
    var keys = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    var record = { keys: keys, certificate: null, made: new Date().toISOString() };
    await keep(record);
    box.querySelector("[data-cert]").value = "";
    show(record);
  }

  async function keepCertificate() {
    var record = await held();
    var der = unpem(box.querySelector("[data-cert]").value);
    if (!record || !der) {
      say(d.mNotCert, true);
      return;
    }
    if (!(await carries(der, record.keys))) {
      say(d.mOtherKey, true);
      return;
    }
    record.certificate = b64(der);
    await keep(record);
    show(record);
  }

  async function fetchJson(url, options) {
    var answer = await fetch(url, Object.assign({ credentials: "same-origin" }, options));
    var body = await answer.json().catch(function () {
      return {};
    });
    if (!answer.ok) {
      var reasons = (body.errors || []).map(function (e) {
        return e.code + ": " + e.message;
      });
      throw new Error(reasons.join("; ") || body.detail || String(answer.status));
    }
    return body;
  }

  async function sign() {
    var record = await held();
    if (!record || !record.certificate) {
      show(record);
      return;
    }
    var base = "/ui/contracts/" + d.contract + "/versions/" + d.version;
    var payload = await fetchJson(base + "/signing-payload", { headers: { Accept: "application/json" } });
    var der = Array.from(atob(record.certificate), function (c) {
      return c.charCodeAt(0);
    });
    var header = {
      alg: "Ed25519",
      typ: d.typ,
      cty: d.cty,
      crit: ["sigT"],
      sigT: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      x5c: [record.certificate],
      "x5t#S256": b64url(bytes(await crypto.subtle.digest("SHA-256", new Uint8Array(der)))),
    };
    var protectedHeader = b64url(bytes(new TextEncoder().encode(JSON.stringify(header))));
    var input = new TextEncoder().encode(protectedHeader + "." + payload.payload);
    var signature = b64url(bytes(await crypto.subtle.sign("Ed25519", record.keys.privateKey, input)));
    await fetchJson(base + "/signatures", {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": d.csrf },
      body: JSON.stringify({ protected: protectedHeader, signature: signature }),
    });
    say(d.mSigned);
    window.location.reload();
  }

  function guarded(act) {
    return function () {
      act().catch(function (e) {
        say(d.mFailed + " " + (e && e.message ? e.message : e), true);
      });
    };
  }

  box.querySelector("[data-action=make-key]").addEventListener("click", guarded(makeKey));
  box.querySelector("[data-action=new-key]").addEventListener("click", guarded(makeKey));
  box.querySelector("[data-action=keep-cert]").addEventListener("click", guarded(keepCertificate));
  box.querySelector("[data-action=sign]").addEventListener("click", guarded(sign));
  if (!window.crypto || !crypto.subtle || !window.indexedDB) {
    say(d.mUnsupported, true);
    return;
  }
  held().then(show, function () {
    say(d.mUnsupported, true);
  });
})();
