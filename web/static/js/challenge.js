// Starts the ALTCHA widget of a sign-in form (web/challenge.py): its proof-of-work worker is a
// file of this site (web/static/vendor/altcha), as the strict Content-Security-Policy requires.
(function () {
  "use strict";
  var script = document.currentScript;
  var worker = script && script.getAttribute("data-worker");
  if (!worker || !globalThis.$altcha) {
    return;
  }
  globalThis.$altcha.algorithms.set("PBKDF2/SHA-256", function () {
    return new Worker(worker);
  });
})();
