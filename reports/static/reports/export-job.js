// Follows an export job's progress without reloading; the page works without it too
// ("Check again now" link). Reloads once when the job is finished, to show the result.
(function () {
  "use strict";
  var box = document.querySelector("[data-export-status]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-export-status");
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-progress-text]");
  var state = box.querySelector(".job-state");
  var note = box.querySelector(".no-js-note");
  if (note) { note.textContent = "This page updates by itself."; }
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 5000); return; }
        if (data.finished) { window.location.reload(); return; }
        if (bar) { bar.max = data.total || 1; bar.value = data.done; }
        if (text) { text.textContent = data.message; }
        if (state) { state.textContent = data.state_label; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
