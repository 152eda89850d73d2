// Epiclic's only script besides htmx (the Content-Security-Policy allows no inline script):
// a form field marked data-autosubmit submits its form when it changes; the ordering page's poll
// runs only while the page is visible.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field instanceof Element && field.matches("[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});

// The ordering page's figures are polled (hx-trigger "every 5s") only while the page is seen:
// a hidden tab sends nothing, and coming back asks at once.
document.addEventListener("htmx:beforeRequest", function (event) {
  var source = event.detail && event.detail.elt;
  if (document.hidden && source instanceof Element && source.matches("[data-poll-visible]")) {
    event.preventDefault();
  }
});
document.addEventListener("visibilitychange", function () {
  if (document.hidden || !window.htmx) {
    return;
  }
  document.querySelectorAll("[data-poll-visible]").forEach(function (element) {
    window.htmx.trigger(element, "visible-again");
  });
});
