// Small behaviours without inline script (the Content-Security-Policy forbids it).
document.addEventListener("click", function (ev) {
  var el = ev.target.closest("[data-confirm]");
  if (el && !window.confirm(el.getAttribute("data-confirm"))) { ev.preventDefault(); }
});

// Date fields (core/widgets.py DateInput): the calendar button opens the browser's own date picker on a
// hidden date input; the day picked is written into the text field day first (dd/mm/yyyy).
function isoDate(text) {
  var t = text.trim(), m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
  if (m) { return m[3] + "-" + ("0" + m[2]).slice(-2) + "-" + ("0" + m[1]).slice(-2); }
  return /^\d{4}-\d{2}-\d{2}$/.test(t) ? t : "";
}
document.addEventListener("click", function (ev) {
  var button = ev.target.closest("[data-date-pick]");
  if (!button) { return; }
  var box = button.parentNode, text = box.querySelector("input[type=text]"), native = box.querySelector(".date-native");
  native.value = isoDate(text.value);
  try { native.showPicker(); } catch (e) { native.focus(); }
});
document.addEventListener("change", function (ev) {
  if (!ev.target.classList || !ev.target.classList.contains("date-native") || !ev.target.value) { return; }
  var parts = ev.target.value.split("-"), text = ev.target.parentNode.querySelector("input[type=text]");
  text.value = parts[2] + "/" + parts[1] + "/" + parts[0];
  text.dispatchEvent(new Event("change", { bubbles: true }));
});
