// COPN's small glue for htmx: CSRF on every request, messages for errors that are
// not swapped, renewed CSRF tokens, and announcements of swaps for screen readers.
// No inline scripts anywhere: this file is loaded with `defer` after htmx.
(function () {
  "use strict";

  var body = document.body;
  var messages = document.getElementById("messages");
  var announcer = document.getElementById("announcer");

  function csrfMeta() {
    return document.querySelector('meta[name="csrf-token"]');
  }

  function renewCsrf(token) {
    var meta = csrfMeta();
    if (meta) { meta.setAttribute("content", token); }
    document.querySelectorAll('input[name="csrf_token"]').forEach(function (input) {
      input.value = token;
    });
  }

  function showMessage(text, kind) {
    if (!messages) { return; }
    var p = document.createElement("p");
    p.className = "message message--" + (kind || "error");
    p.textContent = text;
    messages.replaceChildren(p);
    messages.scrollIntoView({ block: "nearest" });
  }

  function announce(text) {
    if (!announcer) { return; }
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var meta = csrfMeta();
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.getAttribute("content"); }
  });

  // Errors htmx does not swap (see the htmx-config meta tag): show the server's
  // message in the message area and leave the page, and what was typed, as it is.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var renewed = xhr.getResponseHeader("X-CSRF-Token");
    if (renewed) { renewCsrf(renewed); }
    var text = body.dataset.msgError;
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var fragment = doc.querySelector(".error-fragment p");
    if (fragment && fragment.textContent.trim()) { text = fragment.textContent.trim(); }
    showMessage(text, "error");
  });

  document.addEventListener("htmx:sendError", function () {
    showMessage(body.dataset.msgOffline, "error");
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    announce((target && target.dataset.announce) || body.dataset.msgUpdated);
  });

  body.dataset.copnReady = "true";
})();
