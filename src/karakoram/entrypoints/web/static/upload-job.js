// A large upload's page: polls the job's status, moves the progress bar, and reloads the page
// once the job has finished (the node then renders the results). Without this script the page
// offers a link to reload it by hand.
(function () {
  "use strict";
  var section = document.querySelector("section.upload-job");
  if (!section) { return; }
  var status = section.getAttribute("data-status");
  if (status !== "queued" && status !== "running") { return; }
  var url = section.getAttribute("data-status-url");
  var bar = section.querySelector("progress.job-progress");
  var count = section.querySelector(".job-done");

  function show(job) {
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
    bar.textContent = job.done + " / " + job.total;
    count.textContent = String(job.done);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        if (job.status === "done" || job.status === "failed") {
          window.location.reload();
          return;
        }
        show(job);
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  window.setTimeout(poll, 1000);
}());
