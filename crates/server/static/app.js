// Behaviour the pages need beyond htmx, loaded from the platform's own origin: the
// Content-Security-Policy allows no inline script.
document.addEventListener("change", (event) => {
  const box = event.target;
  const name = box.dataset && box.dataset.selectAll;
  if (!name) return;
  for (const b of document.querySelectorAll(`input[name="${name}"]`)) b.checked = box.checked;
});
