// 社区投诉热线 · 工作台: the only script of the console. Pages work without it;
// it preselects a category's usual department in routing forms, plays a recording
// in place (instead of opening the audio as a page of its own) and turns a refused
// retrieval into a readable message.
"use strict";

function showMessage(status, text, kind) {
  status.textContent = text;
  status.className = "message " + kind;
  status.setAttribute("role", kind === "error" ? "alert" : "status");
  status.hidden = false;
}

function explainRefusal(url, status) {
  // The player only learns "it failed"; asking once more (itself audited) gets the reason.
  fetch(url, { headers: { Range: "bytes=0-0" }, credentials: "same-origin" })
    .then((response) => response.json().then(
      (body) => "录音无法播放：" + (body.detail || "服务器返回 " + response.status),
      () => "录音无法播放：服务器返回 " + response.status,
    ))
    .catch(() => "录音无法播放：与服务器的连接中断")
    .then((message) => showMessage(status, message, "error"));
}

function enhanceRecordingPlayer(form) {
  const box = form.closest("[data-recording]");
  const audio = box.querySelector("audio");
  const status = box.querySelector("[data-recording-status]");
  audio.addEventListener("error", () => {
    audio.hidden = true;
    explainRefusal(audio.currentSrc || audio.src, status);
  });
  audio.addEventListener("loadedmetadata", () => showMessage(status, "录音已载入，可播放和拖动进度。", "ok"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const purpose = form.elements.purpose.value;
    if (!purpose) {
      showMessage(status, "请先选择调取目的。", "error");
      form.elements.purpose.focus();
      return;
    }
    status.hidden = true;
    audio.hidden = false;
    audio.src = form.action + "?purpose=" + encodeURIComponent(purpose);
    audio.load();
    audio.focus();
  });
}

function followCategory(select) {
  // Choosing a category preselects its usual department and confidentiality; both stay editable.
  select.addEventListener("change", () => {
    const option = select.selectedOptions[0];
    const form = select.form;
    if (option.dataset.department) form.elements.department.value = option.dataset.department;
    if (form.elements.confidential) form.elements.confidential.checked = option.dataset.confidential === "true";
  });
}

document.querySelectorAll("select[data-category-select]").forEach(followCategory);
document.querySelectorAll("form[data-recording-player]").forEach(enhanceRecordingPlayer);
