// The waiting room tries the add-to-cart again by itself after the gate's Retry-After.
(function () {
  var form = document.querySelector("[data-retry-form]");
  if (!form) return;
  var left = Math.max(1, parseInt(form.getAttribute("data-retry-after"), 10) || 1);
  var label = form.querySelector("[data-countdown]");
  var tick = function () {
    left -= 1;
    if (left <= 0) { form.submit(); return; }
    if (label) label.textContent = label.textContent.replace(/\d+/, String(left));
    window.setTimeout(tick, 1000);
  };
  window.setTimeout(tick, 1000);
})();
