// Shows upstream and network failures of htmx requests in #alerts, where the person is looking,
// and leaves the rest of the page as it was. No inline handlers: the CSP forbids them.
(function () {
  "use strict";

  function showAlert(text, kind) {
    var alerts = document.getElementById("alerts");
    if (!alerts) return;
    var p = document.createElement("p");
    p.className = "alert alert-" + (kind || "error");
    p.setAttribute("role", "alert");
    p.textContent = text; // text, never HTML: messages may quote upstream data
    var close = document.createElement("button");
    close.type = "button";
    close.className = "dismiss";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", function () { p.remove(); });
    p.prepend(close);
    alerts.replaceChildren(p);
  }

  // The server names Gcore and SPP failures in HX-Trigger: {"upstream-error": {"headline", "advice"}}.
  document.body.addEventListener("upstream-error", function (event) {
    var detail = event.detail || {};
    document.body.dataset.upstreamErrorShown = "1";
    showAlert([detail.headline, detail.advice].filter(Boolean).join(" "));
  });

  // Saves answer with HX-Trigger: {"notify": {"level", "text"}}.
  document.body.addEventListener("notify", function (event) {
    var detail = event.detail || {};
    if (detail.text) showAlert(detail.text, detail.level === "success" ? "success" : "info");
  });

  document.body.addEventListener("htmx:responseError", function (event) {
    if (document.body.dataset.upstreamErrorShown) { delete document.body.dataset.upstreamErrorShown; return; }
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403) showAlert("Your role does not allow this. Ask an administrator if you need it.");
    else if (status === 404) showAlert("Not found: Gcore has no such record, or it was removed.");
    else showAlert("The dashboard could not complete this request (HTTP " + status + "). Please try again.");
  });

  // Filter forms leave empty fields out of the URL, so the address bar reads like the API call.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var source = event.detail.elt;
    if (event.detail.verb !== "get" || !source.closest || !source.closest("form[data-drop-empty]")) return;
    var params = event.detail.parameters;
    var names = params instanceof FormData ? Array.from(new Set(params.keys())) : Object.keys(params);
    names.forEach(function (name) {
      var value = params instanceof FormData ? params.get(name) : params[name];
      if (value === "" || value === null) {
        if (params instanceof FormData) params.delete(name); else delete params[name];
      }
    });
  });

  // A <details data-remember="name"> is kept open or closed as the person left it: the server
  // reads the cookie and renders it that way on the next page and after every htmx swap.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.dataset || !details.dataset.remember) return;
    var state = details.open ? "open" : "closed";
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = details.dataset.remember + "=" + state + "; path=/; max-age=31536000; SameSite=Lax" + secure;
  }, true);

  // A page answering a form POST that stands for another address (a new client's page) puts that
  // address in the bar, so a reload shows the page itself rather than posting the form again.
  var replace = document.querySelector("[data-replace-url]");
  if (replace && window.history.replaceState) window.history.replaceState(null, "", replace.dataset.replaceUrl);

  // <button data-copy="#id">: copies that element's text (a new client's password) to the clipboard.
  document.body.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.querySelector(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent).then(function () { button.textContent = "Copied"; });
  });

  document.body.addEventListener("htmx:sendError", function () {
    showAlert("The dashboard did not answer. Check your connection and try again.");
  });
})();
