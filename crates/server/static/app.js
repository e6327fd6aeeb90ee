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

// The batch bar says what is selected, and a batch asks before it acts: how many, how many
// hours, and how many will be skipped for warnings not ticked as checked.
(() => {
  const form = document.querySelector("form[data-batch]");
  if (!form) return;
  const line = form.querySelector("[data-selection]");
  const selected = () => [...form.querySelectorAll('input[name="ids"]:checked')];
  const ticked = () => new Set([...form.querySelectorAll('input[name="checked"]:checked')].map((b) => b.value));
  const tally = () => {
    const boxes = selected();
    const hours = boxes.reduce((sum, b) => sum + Math.round(Number(b.dataset.hours) * 10), 0) / 10;
    const checked = ticked();
    const skipped = boxes.filter((b) => b.hasAttribute("data-needs-check") && !checked.has(b.value)).length;
    return { count: boxes.length, hours, skipped };
  };
  const show = () => {
    const t = tally();
    if (!line) return;
    line.textContent = t.count === 0 ? "未选择申报"
      : `已选 ${t.count} 份，共 ${t.hours} 学时` + (t.skipped ? `；其中 ${t.skipped} 份有待核对的提示未勾选，批量通过时将跳过` : "");
  };
  // On the document, after "select all" above has ticked the boxes.
  document.addEventListener("change", show);
  show();
  form.addEventListener("submit", (event) => {
    const button = event.submitter;
    const t = tally();
    if (t.count === 0) return;
    const label = button ? button.textContent.replace("批量", "") : "审核";
    let message = `确认${label} ${t.count} 份申报（共 ${t.hours} 学时）？`;
    if (button && button.value === "approve" && t.skipped) {
      message += `\n其中 ${t.skipped} 份有待核对的提示未勾选，将跳过。`;
    }
    if (window.confirm(message)) {
      form.querySelector('input[name="confirmed"]').value = "1";
    } else {
      event.preventDefault();
    }
  });
})();

// j / k move through a list's rows, Enter opens the current one.
(() => {
  const table = document.querySelector("[data-keyboard-list]");
  if (!table) return;
  const rows = [...table.querySelectorAll("tr[data-href]")];
  let at = -1;
  const move = (to) => {
    if (!rows.length) return;
    if (at >= 0) rows[at].classList.remove("current");
    at = Math.max(0, Math.min(rows.length - 1, to));
    rows[at].classList.add("current");
    rows[at].scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "j") move(at + 1);
    else if (event.key === "k") move(at - 1);
    else if (event.key === "Enter" && at >= 0) window.location.href = rows[at].dataset.href;
  });
})();

// Common opinions fill the comment box (still editable); choosing a rejection reason offers
// its wording when the box is empty.
(() => {
  const picker = document.querySelector("select[data-fill]");
  if (!picker) return;
  const box = document.getElementById(picker.dataset.fill);
  picker.addEventListener("change", () => {
    if (picker.value) box.value = picker.value;
  });
  const reason = document.querySelector("select[data-templates]");
  if (!reason) return;
  reason.addEventListener("change", () => {
    const match = [...picker.options].find((o) => o.dataset.reason === reason.value);
    if (match && !box.value.trim()) box.value = match.value;
  });
})();

// The evidence viewer: zoom, rotate, full screen.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-zoom], [data-rotate], [data-fullscreen]");
  if (!button) return;
  const figure = button.closest("[data-viewer]");
  const img = figure && figure.querySelector("img");
  if (!img) return;
  const state = { zoom: Number(img.dataset.zoom || 1), turn: Number(img.dataset.turn || 0) };
  if (button.dataset.zoom === "in") state.zoom = Math.min(state.zoom * 1.5, 6);
  if (button.dataset.zoom === "out") state.zoom = Math.max(state.zoom / 1.5, 1);
  if (button.hasAttribute("data-rotate")) state.turn = (state.turn + 90) % 360;
  if (button.hasAttribute("data-fullscreen")) {
    if (document.fullscreenElement) document.exitFullscreen();
    else if (figure.requestFullscreen) figure.requestFullscreen();
    return;
  }
  img.dataset.zoom = state.zoom;
  img.dataset.turn = state.turn;
  img.style.width = `${state.zoom * 100}%`;
  img.style.transform = state.turn ? `rotate(${state.turn}deg)` : "";
});

// A tap on a certificate opens it full screen, another tap closes it.
document.addEventListener("click", (event) => {
  const img = event.target.closest("[data-viewer] img");
  if (!img) return;
  const figure = img.closest("[data-viewer]");
  if (document.fullscreenElement) document.exitFullscreen();
  else if (figure.requestFullscreen) figure.requestFullscreen();
});

// A form that destroys or moves something asks first, naming it (data-confirm).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  if (!window.confirm(form.dataset.confirm)) event.preventDefault();
});

// A chosen photo is shown before it is sent, and a large one is first made a JPEG of at most
// 2,000 pixels on its longer side (a 12-megapixel phone photo becomes a few hundred KB, sent
// in seconds on a poor connection). Without JavaScript the original is sent as chosen.
(() => {
  const MAX_SIDE = 2000;
  const shrink = async (file) => {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) return file;
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (_) {
      return file; // The server says what is wrong with a picture it cannot read.
    }
    const scale = MAX_SIDE / Math.max(bitmap.width, bitmap.height);
    if (scale >= 1) return file;
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.85));
    if (!blob || blob.size >= file.size) return file;
    return new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" });
  };
  const kb = (n) => `${Math.max(1, Math.round(n / 1024))} KB`;
  // 识别结果，请核对: a certificate is sent as soon as it is chosen (data-read) and read in the
  // background; its part polls for what was read and carries the file's token, so the form
  // sends the token instead of the file. On any failure the file stays chosen and goes with
  // the form, as without JavaScript.
  const readEarly = async (input) => {
    const into = document.getElementById(input.dataset.readInto);
    const csrf = input.form && input.form.querySelector("input[name=csrf]");
    if (!into || !csrf) return;
    into.replaceChildren();
    const parts = [];
    for (const file of input.files) {
      const body = new FormData();
      body.append("csrf", csrf.value);
      body.append("file", file);
      let response;
      try {
        response = await fetch(input.dataset.read, { method: "POST", body, credentials: "same-origin" });
      } catch (_) {
        return;
      }
      const html = await response.text();
      if (!response.ok) {
        if (response.status === 422) into.innerHTML = html;
        return;
      }
      parts.push(html);
    }
    into.innerHTML = parts.join("");
    input.value = "";
    if (window.htmx) window.htmx.process(into);
  };
  const prepare = async (input) => {
    const chosen = [...input.files];
    if (!chosen.length || !window.DataTransfer) return;
    const form = input.form;
    const buttons = form ? [...form.querySelectorAll("button[type=submit]")] : [];
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const ready = await Promise.all(chosen.map(shrink));
      const list = new DataTransfer();
      ready.forEach((f) => list.items.add(f));
      input.files = list.files;
      input.dataset.originalBytes = chosen.reduce((n, f) => n + f.size, 0);
      input.dataset.sentBytes = ready.reduce((n, f) => n + f.size, 0);
      const box = input.dataset.preview && document.getElementById(input.dataset.preview);
      if (box) {
        box.replaceChildren(...ready.map((f, i) => {
          const item = document.createElement("figure");
          if (f.type.startsWith("image/")) {
            const img = document.createElement("img");
            img.src = URL.createObjectURL(f);
            img.alt = `已选择的第 ${i + 1} 个文件`;
            item.append(img);
          }
          const caption = document.createElement("figcaption");
          const note = f === chosen[i] ? "" : `（已压缩，原图 ${kb(chosen[i].size)}）`;
          caption.textContent = `${f.name} · ${kb(f.size)}${note}`;
          item.append(caption);
          return item;
        }));
      }
      if (input.dataset.read) await readEarly(input);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
    if (input.hasAttribute("data-submit-on-change") && form) form.requestSubmit();
  };
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.type === "file"
        && (input.dataset.preview || input.hasAttribute("data-submit-on-change"))) {
      prepare(input);
    }
  });
})();

// 识别结果: one tap fills the form's fields with what was read off the certificate; the
// teacher checks them against it before submitting.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-fill-fields]");
  if (!button) return;
  for (const line of button.dataset.fillFields.split("\n")) {
    const at = line.indexOf("=");
    const input = document.getElementById(line.slice(0, at));
    if (!input) continue;
    input.value = line.slice(at + 1);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }
  button.textContent = "已填入";
});
