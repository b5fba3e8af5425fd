// The drawing page: pointer events draw on #pad (mouse, pen and touch alike); while drawing,
// the canvas is sent as a PNG to POST /api/predict at most every THROTTLE_MS, and once more
// when the stroke ends. Responses for a canvas that has since been cleared are ignored.
"use strict";

const THROTTLE_MS = 150;
const LINE_WIDTH = 20; // in canvas pixels of the 280×280 pad: MNIST-like stroke thickness
const INK = "#111";
const PAPER = "#fff";

const pad = document.getElementById("pad");
const ctx = pad.getContext("2d");
const result = document.getElementById("result");
const digit = document.getElementById("digit");
const confidence = document.getElementById("confidence");
const statusLine = document.getElementById("status");
const bars = document.getElementById("bars");
const input = document.getElementById("input");
const inputCtx = input.getContext("2d");

let drawing = false;
let last = null;
let hasInk = false;
let generation = 0; // bumped by Clear: answers about an older drawing are dropped
let timer = null;
let inFlight = false;
let again = false;
let shown = 0;

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

function showEmpty(message) {
  result.dataset.state = "empty";
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
  statusLine.textContent = "Keep drawing, or Clear to start again.";
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
