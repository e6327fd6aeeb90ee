// Behaviour the pages need beyond htmx, loaded from the platform's own origin: the
// Content-Security-Policy allows no inline script.
document.addEventListener("change", (event) => {
  const box = event.target;
  const name = box.dataset && box.dataset.selectAll;
  if (!name) return;
  for (const b of document.querySelectorAll(`input[name="${name}"]`)) b.checked = box.checked;
});

// Idle logout (API.md: the server ends a session after its idle time). The server records
// activity at most once a minute, so the session may end up to a minute before the page's
// own count: the warning comes two minutes early, leaving at least one to answer it.
(() => {
  const box = document.getElementById("idle-warning");
  if (!box) return;
  const idle = Number(box.dataset.idleSeconds) * 1000;
  if (!(idle > 0)) return;
  let warn;
  let end;
  const arm = () => {
    clearTimeout(warn);
    clearTimeout(end);
    box.hidden = true;
    warn = setTimeout(() => { box.hidden = false; }, Math.max(idle - 120000, 0));
    end = setTimeout(() => { window.location.href = "/"; }, idle);
  };
  box.querySelector("[data-keep-alive]").addEventListener("click", () => {
    fetch("/api/v1/me", { credentials: "same-origin" })
      .then((r) => (r.ok ? arm() : (window.location.href = "/")))
      .catch(() => { window.location.href = "/"; });
  });
  document.addEventListener("htmx:afterRequest", arm);
  arm();
})();
