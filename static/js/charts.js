// Draws every chart on the page with plotly.js (loaded before this file). Each chart is a
// `.js-chart` container whose `data-figure` names the `json_script` element holding its figure
// ({data, layout, config}): no inline script, so the Content-Security-Policy allows none.
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  document.querySelectorAll(".js-chart[data-figure]").forEach(function (container) {
    var source = document.getElementById(container.getAttribute("data-figure"));
    if (!source) { return; }
    window.Plotly.newPlot(container, JSON.parse(source.textContent));
  });
})();
