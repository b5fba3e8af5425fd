// The drawing page: pointer events draw on #pad (mouse, pen and touch alike); while drawing,
// the canvas is sent as a PNG to POST /api/predict at most every THROTTLE_MS, and once more
// when the stroke ends. Responses for a canvas that has since been cleared are ignored.
// A photo (the "Use a photo" button, which opens the camera on a phone, or a file dropped on
// the pad) is shown on the pad and sent as a multipart form; one larger than PHOTO_SIDE is
// first shrunk in the browser (EXIF rotation applied), so a 12 MP photo uploads as ~200 KB.
"use strict";

const THROTTLE_MS = 150;
const LINE_WIDTH = 20; // in canvas pixels of the 280×280 pad: MNIST-like stroke thickness
const INK = "#111";
const PAPER = "#fff";
const PHOTO_SIDE = 1024; // the server works on at most 1024 px a side anyway

const pad = document.getElementById("pad");
const ctx = pad.getContext("2d");
const result = document.getElementById("result");
const digit = document.getElementById("digit");
const confidence = document.getElementById("confidence");
const statusLine = document.getElementById("status");
const bars = document.getElementById("bars");
const input = document.getElementById("input");
const inputCtx = input.getContext("2d");
const warning = document.getElementById("warning");
const photo = document.getElementById("photo");
const drop = document.getElementById("drop");

let drawing = false;
let last = null;
let hasInk = false;
let generation = 0; // bumped by Clear: answers about an older drawing are dropped
let timer = null;
let inFlight = false;
let again = false;
let shown = 0;
let photoShown = false; // the pad shows an uploaded photo

function buildBars() {
  for (let i = 0; i < 10; i++) {
    const row = document.createElement("li");
    row.dataset.digit = String(i);
    row.dataset.p = "0";
    row.innerHTML =
      `<span class="label">${i}</span>` +
      `<span class="track"><span class="fill"></span></span>` +
      `<span class="value">0%</span>`;
    bars.appendChild(row);
  }
}

function setBusy() {
  result.dataset.busy = inFlight || timer !== null ? "1" : "0";
}

function showWarning(text) {
  warning.hidden = !text;
  warning.textContent = text || "";
  result.dataset.warning = text ? "1" : "0";
}

function showEmpty(message) {
  result.dataset.state = "empty";
  showWarning(null);
  digit.textContent = "–";
  confidence.innerHTML = "&nbsp;";
  statusLine.textContent = message;
  for (const row of bars.children) {
    row.dataset.p = "0";
    row.classList.remove("top");
    row.querySelector(".fill").style.width = "0%";
    row.querySelector(".value").textContent = "0%";
  }
  inputCtx.fillStyle = "#000";
  inputCtx.fillRect(0, 0, input.width, input.height);
}

function showPrediction(data) {
  const ps = data.probabilities;
  result.dataset.state = "ready";
  digit.textContent = data.label;
  confidence.textContent = `${(100 * ps[data.digit]).toFixed(1)}% sure`;
  statusLine.textContent = photoShown
    ? "Try another photo, or Clear to draw."
    : "Keep drawing, or Clear to start again.";
  showWarning(data.warning);
  [...bars.children].forEach((row, i) => {
    const p = ps[i] ?? 0;
    row.dataset.p = String(p);
    row.classList.toggle("top", i === data.digit);
    row.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    row.querySelector(".value").textContent = `${(100 * p).toFixed(1)}%`;
  });
  const pixels = inputCtx.createImageData(28, 28);
  data.image.forEach((rowValues, y) =>
    rowValues.forEach((v, x) => {
      const k = 4 * (28 * y + x);
      const g = Math.round(255 * v);
      pixels.data[k] = pixels.data[k + 1] = pixels.data[k + 2] = g;
      pixels.data[k + 3] = 255;
    }),
  );
  inputCtx.putImageData(pixels, 0, 0);
  shown += 1;
  result.dataset.shown = String(shown);
}

function clearPad() {
  generation += 1;
  hasInk = false;
  photoShown = false;
  ctx.fillStyle = PAPER;
  ctx.fillRect(0, 0, pad.width, pad.height);
  showEmpty("Draw a digit with the mouse, a pen or a finger.");
}

function canvasPoint(event) {
  const box = pad.getBoundingClientRect();
  return {
    x: ((event.clientX - box.left) * pad.width) / box.width,
    y: ((event.clientY - box.top) * pad.height) / box.height,
  };
}

function strokeTo(point) {
  ctx.beginPath();
  ctx.moveTo(last.x, last.y);
  ctx.lineTo(point.x, point.y);
  ctx.stroke();
  last = point;
}

pad.addEventListener("pointerdown", (event) => {
  if (event.pointerType === "mouse" && event.button !== 0) return;
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  if (photoShown) clearPad(); // drawing starts afresh, not on top of the photo
  drawing = true;
  hasInk = true;
  last = canvasPoint(event);
  ctx.beginPath();
  ctx.arc(last.x, last.y, LINE_WIDTH / 2, 0, 2 * Math.PI);
  ctx.fillStyle = INK;
  ctx.fill();
  schedule();
});

pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const e of events.length ? events : [event]) strokeTo(canvasPoint(e));
  schedule();
});

for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => {
    if (!drawing) return;
    drawing = false;
    clearTimeout(timer);
    timer = null;
    predict();
  });
}

document.getElementById("clear").addEventListener("click", clearPad);

function schedule() {
  if (timer !== null) return;
  timer = setTimeout(() => {
    timer = null;
    predict();
  }, THROTTLE_MS);
  setBusy();
}

async function predict() {
  if (!hasInk) return setBusy();
  if (inFlight) {
    again = true; // one more request when this one returns, with the newest drawing
    return;
  }
  inFlight = true;
  setBusy();
  const asked = generation;
  try {
    const png = await new Promise((resolve) => pad.toBlob(resolve, "image/png"));
    const response = await fetch("/api/predict", {
      method: "POST",
      headers: { "Content-Type": "image/png" },
      body: png,
    });
    const data = await response.json();
    if (asked === generation) {
      if (response.ok) showPrediction(data);
      else showEmpty(`Not readable yet: ${data.detail}`);
    }
  } catch (error) {
    statusLine.textContent = `The server did not answer (${error.message}); is barenet serve running?`;
  } finally {
    inFlight = false;
    if (again) {
      again = false;
      predict();
    } else {
      setBusy();
    }
  }
}

// ---- photos

async function shrinkPhoto(file) {
  // The photo as an ImageBitmap (EXIF rotation applied) and the blob to upload: the file
  // itself when small or when the browser cannot decode it (the server reads more formats),
  // else a JPEG of at most PHOTO_SIDE px a side.
  let bitmap = null;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return { bitmap: null, blob: file };
  }
  const scale = PHOTO_SIDE / Math.max(bitmap.width, bitmap.height);
  if (scale >= 1) return { bitmap, blob: file };
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
  return { bitmap, blob: blob || file };
}

function showPhotoOnPad(bitmap) {
  ctx.fillStyle = PAPER;
  ctx.fillRect(0, 0, pad.width, pad.height);
  if (!bitmap) return;
  const scale = Math.min(pad.width / bitmap.width, pad.height / bitmap.height);
  const w = bitmap.width * scale;
  const h = bitmap.height * scale;
  ctx.drawImage(bitmap, (pad.width - w) / 2, (pad.height - h) / 2, w, h);
}

async function sendPhoto(file) {
  if (!file) return;
  generation += 1; // answers about an earlier drawing are now stale
  const asked = generation;
  hasInk = false;
  photoShown = true;
  inFlight = true;
  setBusy();
  statusLine.textContent = `Reading ${file.name || "the photo"}…`;
  try {
    const { bitmap, blob } = await shrinkPhoto(file);
    showPhotoOnPad(bitmap);
    const form = new FormData();
    form.append("file", blob, file.name || "photo.jpg");
    const response = await fetch("/api/predict", { method: "POST", body: form });
    const data = await response.json();
    if (asked === generation) {
      if (response.ok) showPrediction(data);
      else showEmpty(`Not readable: ${data.detail}`);
    }
  } catch (error) {
    statusLine.textContent = `The photo could not be sent (${error.message}).`;
  } finally {
    inFlight = false;
    setBusy();
  }
}

document.getElementById("use-photo").addEventListener("click", () => photo.click());
photo.addEventListener("change", () => {
  sendPhoto(photo.files[0]);
  photo.value = ""; // choosing the same file again still fires "change"
});

for (const type of ["dragenter", "dragover"]) {
  drop.addEventListener(type, (event) => {
    if (![...event.dataTransfer.types].includes("Files")) return;
    event.preventDefault();
    drop.dataset.dragging = "1";
  });
}
drop.addEventListener("dragleave", (event) => {
  if (!drop.contains(event.relatedTarget)) drop.dataset.dragging = "0";
});
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.dataset.dragging = "0";
  const file = [...event.dataTransfer.files].find((f) => !f.type || f.type.startsWith("image/"));
  if (file) sendPhoto(file);
  else statusLine.textContent = "Drop an image file (a photo of a digit).";
});

async function loadHealth() {
  try {
    const health = await (await fetch("/api/health")).json();
    document.getElementById("model").textContent = health.model;
  } catch {
    document.getElementById("model").textContent = "(not reachable)";
  }
}

ctx.lineWidth = LINE_WIDTH;
ctx.lineCap = "round";
ctx.lineJoin = "round";
ctx.strokeStyle = INK;
buildBars();
clearPad();
loadHealth();
