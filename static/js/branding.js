// The branding page's colour preview: as a colour or the brand name is typed, the sample of the
// control panel's header follows (SVG fill attributes; no inline styles, so the CSP holds).
// Without JavaScript the sample shows the saved values.
(function () {
  "use strict";
  var HEX = /^#[0-9a-fA-F]{6}$/;

  function update() {
    var svg = document.getElementById("portal-preview");
    if (!svg) { return; }
    var header = document.getElementById("id_color_header");
    var primary = document.getElementById("id_color_primary");
    var brand = document.getElementById("id_brand_name");
    var parts = { header: header, primary: primary };
    Object.keys(parts).forEach(function (part) {
      var input = parts[part];
      var rect = svg.querySelector('[data-part="' + part + '"]');
      if (input && rect && HEX.test(input.value.trim())) {
        rect.setAttribute("fill", input.value.trim());
      }
    });
    var text = svg.querySelector('[data-part="brand"]');
    if (brand && text) { text.textContent = brand.value.trim() || "Your brand"; }
  }

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("[data-preview]")) { update(); }
  });
  document.addEventListener("htmx:afterSwap", update);
})();
