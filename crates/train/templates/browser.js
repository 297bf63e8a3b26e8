// camwatch's mistakes browser: filters, sorts and enlarges the validation images of an epoch
// page from the data its epoch-NNN/data.js scripts hold. No server: plain file:// pages; the
// view lives in the URL fragment (#true=dots&pred=checker&sort=loss&open=17), so it can be
// shared.
"use strict";

const camwatch = {
  epochs: {},
  /** Called by each epoch-NNN/data.js. */
  epoch(data) {
    this.epochs[data.epoch] = data;
    const waiting = this.waiting[data.epoch];
    delete this.waiting[data.epoch];
    if (waiting) waiting.forEach((done) => done());
  },
  waiting: {},
};

const SORTS = {
  loss: ["loss, highest first", (a, b) => b.loss - a.loss],
  p_true: ["p(true), lowest first", (a, b) => a.pt - b.pt],
  p_pred: ["p(predicted), highest first", (a, b) => b.pp - a.pp],
  entropy: ["entropy of the true-class map, highest first", (a, b) => nullLast(a.e, b.e, b.e - a.e)],
  iou: ["IoU with the object, lowest first", (a, b) => nullLast(a.iou, b.iou, a.iou - b.iou)],
  pointing: ["pointing game, misses first", (a, b) => nullLast(a.hit, b.hit, a.hit - b.hit)],
  since: ["wrong since, longest first", (a, b) => nullLast(a.since, b.since, a.since - b.since)],
};

function nullLast(x, y, order) {
  if (x === null && y === null) return 0;
  if (x === null) return 1;
  if (y === null) return -1;
  return order;
}

function pad(n) {
  return String(n).padStart(5, "0");
}

function fragment() {
  const state = {};
  for (const part of location.hash.slice(1).split("&")) {
    const [key, value] = part.split("=");
    if (key) state[decodeURIComponent(key)] = decodeURIComponent(value || "");
  }
  return state;
}

function setFragment(state) {
  const parts = Object.entries(state)
    .filter(([, v]) => v !== "" && v !== undefined && v !== null)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  location.hash = parts.join("&");
}

/** The images a view shows: mistakes, or those newly broken or fixed, of a class pair. */
function shown(data, state) {
  const cls = (name) => data.classes.indexOf(name);
  let images = data.images.filter((im) =>
    state.changed ? im.ch === state.changed : im.p !== im.l
  );
  if (state.true) images = images.filter((im) => im.l === cls(state.true));
  if (state.pred) images = images.filter((im) => im.p === cls(state.pred));
  const sort = SORTS[state.sort] ? state.sort : "loss";
  return images.slice().sort(SORTS[sort][1]);
}

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

function picture(im, side) {
  return element("img", { src: `../images/${pad(im.i)}.png`, alt: "image", loading: "lazy", width: side, height: side });
}

/** The picture with a heatmap file laid over it at half opacity. */
function overlay(im, which, side) {
  const heat = element("img", { src: `maps/${pad(im.i)}.${which}.png`, alt: `${which === "true" ? "true" : "predicted"}-class map`, loading: "lazy", class: "heat" });
  return element("span", { class: "overlay", style: `width:${side}px;height:${side}px` }, picture(im, side), heat);
}

function caption(data, im) {
  const name = (c) => data.classes[c];
  const since = im.since !== null ? ` · wrong since epoch ${im.since}` : "";
  return `#${im.i} ${im.f} · ${name(im.l)} → ${name(im.p)} · p(true) ${im.pt.toFixed(2)}` +
    ` · loss ${im.loss.toFixed(2)}${since}`;
}

function renderList(data, state) {
  const list = document.getElementById("mistakes");
  const images = shown(data, state);
  const what = state.changed ? `newly ${state.changed}` : "misclassified";
  document.getElementById("count").textContent =
    `${images.length} ${what} image${images.length === 1 ? "" : "s"}` +
    (state.true ? ` of class ${state.true}` : "") +
    (state.pred ? ` taken for ${state.pred}` : "");
  list.replaceChildren(
    ...images.map((im) => {
      const figure = element(
        "figure",
        { class: "mistake", "data-index": im.i },
        picture(im, 96),
        overlay(im, "true", 96),
        overlay(im, im.p !== im.l ? "pred" : "true", 96),
        element("figcaption", {}, caption(data, im))
      );
      figure.addEventListener("click", () => setFragment({ ...fragment(), open: im.i }));
      return figure;
    })
  );
}

/** Loads epoch `n`'s data script once; `done` runs when it is there. */
function loadEpoch(n, done) {
  if (camwatch.epochs[n]) return done();
  if (camwatch.waiting[n]) return camwatch.waiting[n].push(done);
  camwatch.waiting[n] = [done];
  const script = element("script", { src: `../epoch-${String(n).padStart(3, "0")}/data.js` });
  script.onerror = () => camwatch.epoch({ epoch: n, missing: true });
  document.head.append(script);
}

function jet(v) {
  const c = (x) => Math.round(255 * Math.min(1, Math.max(0, x)));
  return [c(1.5 - Math.abs(4 * v - 3)), c(1.5 - Math.abs(4 * v - 2)), c(1.5 - Math.abs(4 * v - 1))];
}

/** The image with a small map over it, drawn on a canvas. */
function mapCanvas(data, im, side) {
  const canvas = element("canvas", { width: side, height: side });
  const context = canvas.getContext("2d");
  const image = new Image();
  image.onload = () => {
    context.drawImage(image, 0, 0, side, side);
    const n = data.map_side;
    const bytes = atob(im.m);
    const small = element("canvas", { width: n, height: n });
    const pixels = small.getContext("2d").createImageData(n, n);
    for (let p = 0; p < n * n; p++) {
      const [r, g, b] = jet(bytes.charCodeAt(p) / 255);
      pixels.data.set([r, g, b, 255], 4 * p);
    }
    small.getContext("2d").putImageData(pixels, 0, 0);
    context.globalAlpha = 0.5;
    context.imageSmoothingEnabled = true;
    context.drawImage(small, 0, 0, side, side);
  };
  image.src = `../images/${pad(im.i)}.png`;
  return canvas;
}

function renderHistory(index, current) {
  const strip = document.getElementById("history");
  strip.replaceChildren();
  for (let n = 1; n <= current; n++) {
    const cell = element("div", { class: "epoch-cell", "data-epoch": n }, `epoch ${n}`);
    strip.append(cell);
    loadEpoch(n, () => {
      const data = camwatch.epochs[n];
      const im = data.missing ? null : data.images[index];
      if (!im) return cell.append(element("div", { class: "note" }, "no data"));
      const right = im.p === im.l;
      cell.append(
        mapCanvas(data, im, 96),
        element("div", { class: right ? "good" : "bad" },
          `${data.classes[im.p]} (${(right ? im.pt : im.pp).toFixed(2)})`)
      );
    });
  }
}

function renderOpen(data, state) {
  const panel = document.getElementById("enlarged");
  const im = state.open !== undefined ? data.images[Number(state.open)] : undefined;
  panel.hidden = !im;
  if (!im) return;
  const wrong = im.p !== im.l;
  document.getElementById("enlarged-title").textContent = caption(data, im);
  const titled = (title, node) =>
    element("figure", { class: "panel" }, node, element("figcaption", {}, title));
  document.getElementById("enlarged-images").replaceChildren(
    titled("image", picture(im, 288)),
    titled(`true: ${data.classes[im.l]}`, overlay(im, "true", 288)),
    ...(wrong ? [titled(`predicted: ${data.classes[im.p]}`, overlay(im, "pred", 288))] : [])
  );
  const numbers = [
    ["true class", `${data.classes[im.l]} (p ${im.pt.toFixed(3)})`],
    ["predicted", `${data.classes[im.p]} (p ${im.pp.toFixed(3)})`],
    ["loss", im.loss.toFixed(3)],
    ["entropy of the true-class map", im.e === null ? "–" : im.e.toFixed(3)],
    ["IoU with the object (top 20%)", im.iou === null ? "no mask" : im.iou.toFixed(3)],
    ["pointing game", im.hit === null ? "no mask" : im.hit ? "hit" : "miss"],
  ];
  document.getElementById("enlarged-numbers").replaceChildren(
    ...numbers.map(([k, v]) => element("tr", {}, element("td", { class: "l" }, k), element("td", {}, v)))
  );
  renderHistory(im.i, data.epoch);
}

function render() {
  const data = camwatch.epochs[Number(document.body.dataset.epoch)];
  if (!data) return;
  const state = fragment();
  for (const key of ["true", "pred", "sort", "changed"]) {
    const control = document.getElementById(`filter-${key}`);
    if (control) control.value = state[key] || (key === "sort" ? "loss" : "");
  }
  renderList(data, state);
  renderOpen(data, state);
}

function setUp() {
  const data = camwatch.epochs[Number(document.body.dataset.epoch)];
  if (!data) return;
  const options = (id, values) => {
    const select = document.getElementById(id);
    for (const [value, label] of values) select.append(element("option", { value }, label));
    select.addEventListener("change", () => setFragment({ ...fragment(), [id.slice(7)]: select.value, open: "" }));
  };
  const classes = data.classes.map((c) => [c, c]);
  options("filter-true", [["", "any true class"], ...classes]);
  options("filter-pred", [["", "any predicted class"], ...classes]);
  options("filter-changed", [["", "all mistakes"], ["broken", "newly broken"], ["fixed", "newly fixed"]]);
  options("filter-sort", Object.entries(SORTS).map(([k, [label]]) => [k, label]));
  document.getElementById("enlarged-close").addEventListener("click", () =>
    setFragment({ ...fragment(), open: "" })
  );
  window.addEventListener("hashchange", render);
  render();
}

document.addEventListener("DOMContentLoaded", setUp);
