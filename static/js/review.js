// Review queue keyboard shortcuts: m = match, n = no match, s = skip.
// Ignored while typing in a field or with a modifier key, so forms stay usable.
(function () {
  "use strict";
  var form = document.getElementById("decide-form");
  if (!form) { return; }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) { return; }
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" || (target && target.isContentEditable)) { return; }
    var button = form.querySelector('button[data-key="' + event.key.toLowerCase() + '"]');
    if (!button || form.dataset.sent) { return; }
    event.preventDefault();
    form.dataset.sent = "1";
    button.classList.add("pressed");
    if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
  });
})();
