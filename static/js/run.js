// Live progress of a match run: poll its small JSON every 2 s while it is queued or running,
// and reload the page once it has finished so that figures and histogram appear.
(function () {
  "use strict";
  var box = document.getElementById("run-progress");
  if (!box || !box.dataset.active) { return; }
  var bar = document.getElementById("run-progress-bar");
  var stage = document.getElementById("run-stage");
  var percent = document.getElementById("run-percent");
  var status = document.getElementById("run-status");
  function poll() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (run) {
        if (!run) { return; }
        bar.value = run.progress;
        percent.textContent = run.progress;
        stage.textContent = run.stage;
        status.textContent = run.status;
        if (run.active) { window.setTimeout(poll, 2000); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
