// Epiclic's only script besides htmx (the Content-Security-Policy allows no inline script):
// a form field marked data-autosubmit submits its form when it changes.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field instanceof Element && field.matches("[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});
