// Django's admin, made to pass WCAG 2.1 A (tests/browser/test_accessibility.py).
(function () {
  "use strict";

  // The two-box permission picker (SelectFilter2.js, built on window "load") puts an aria-label on
  // a bare <span> icon, where ARIA does not allow one (axe: aria-prohibited-attr): naming it an
  // image makes the label valid, and screen readers read it as before. This script is deferred, so
  // its "load" listener comes after the one SelectFilter2 (a plain script in the head) added.
  window.addEventListener("load", function () {
    document.querySelectorAll("span.search-label-icon[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  });
})();
